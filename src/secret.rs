//! Secrets never reach disk or terminal. [`Secret`] never prints its value; [`Redactor`]
//! scrubs every known secret out of text and JSON before anything is written or shown, which
//! also catches a target that echoes the key back in a body or header.

use std::fmt;

use serde_json::Value;

/// An API key. `Debug` and `Display` show only the masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret from its value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The real value, for the Authorization header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `sk_test_…****`: the mode prefix stays readable, nothing of the key itself does.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
    /// Live-mode keys are refused before any request is sent.
    pub fn is_live(&self) -> bool {
        is_live_key(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Whether `key` is a live-mode key (`sk_live_`, `rk_live_`).
pub fn is_live_key(key: &str) -> bool {
    let k = key.trim();
    k.starts_with("sk_live_") || k.starts_with("rk_live_")
}

/// Keeps the `xx_mode_` prefix when there is one, never any character of the key proper.
pub fn mask(key: &str) -> String {
    let mut parts = key.splitn(3, '_');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(mode), Some(_)) if kind.len() <= 4 && mode.len() <= 5 => {
            format!("{kind}_{mode}_…****")
        }
        _ => "****".to_string(),
    }
}

/// Replaces every secret (and its URL-encoded and Basic-auth forms) with its masked form.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    needles: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that scrubs nothing yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }
    /// The redactor, also scrubbing `secret`.
    pub fn with(mut self, secret: &Secret) -> Redactor {
        self.add(secret.expose());
        self
    }
    /// Registers a secret value. Values shorter than 8 characters are not treated as secrets:
    /// scrubbing them would mangle ordinary text.
    pub fn add(&mut self, value: &str) {
        if value.len() < 8 {
            return;
        }
        use base64::Engine;
        let masked = mask(value);
        let mut forms = vec![value.to_string()];
        forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        forms.push(base64::engine::general_purpose::STANDARD.encode(format!("{value}:")));
        // Stripe echoes keys masked but with the last four characters: keep those from
        // surviving next to stars, too.
        for f in forms {
            if !self.needles.iter().any(|(n, _)| *n == f) {
                self.needles.push((f, masked.clone()));
            }
        }
        // Longest first, so a form that contains another is replaced whole.
        self.needles
            .sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    }
    /// Adds every secret `other` scrubs (a report over two targets scrubs both sides' keys).
    pub fn merge(&mut self, other: &Redactor) {
        for n in &other.needles {
            if !self.needles.contains(n) {
                self.needles.push(n.clone());
            }
        }
        self.needles
            .sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    }
    /// Whether it scrubs nothing.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }
    /// `s` with every secret replaced by its masked form.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (needle, replacement) in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), replacement);
            }
        }
        out
    }
    /// `v` with every secret in its strings replaced by its masked form.
    pub fn value(&self, v: &Value) -> Value {
        if self.needles.is_empty() {
            return v.clone();
        }
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (self.text(k), self.value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk_test_FAKEfake0000";

    #[test]
    fn masking_shows_no_key_material() {
        let s = Secret::new(KEY);
        assert_eq!(s.masked(), "sk_test_…****");
        assert_eq!(format!("{s} {s:?}"), "sk_test_…**** Secret(sk_test_…****)");
        assert_eq!(mask("garbage"), "****");
    }

    #[test]
    fn live_keys_are_recognized() {
        assert!(is_live_key("sk_live_abc"));
        assert!(is_live_key("rk_live_abc"));
        assert!(!is_live_key("sk_test_abc"));
    }

    #[test]
    fn redactor_scrubs_echoes_in_text_and_json() {
        let r = Redactor::new().with(&Secret::new(KEY));
        let body = serde_json::json!({"echo": format!("key={KEY}"), KEY: [KEY]});
        let out = serde_json::to_string(&r.value(&body)).unwrap();
        assert!(!out.contains("FAKEfake"), "{out}");
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
        assert!(!r.text(&format!("Basic {basic}")).contains(&basic));
    }
}
