//! Secrets never reach disk or terminal. [`Secret`] never prints its value; [`Redactor`]
//! scrubs every known secret out of text and JSON before anything is written or shown, which
//! also catches a target that echoes the key back in a body or header.

use std::fmt;

use crate::literals::Literals;

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

/// The one redactor: every secret a run touches (the API key, every value interpolated from
/// `{{env.*}}`, userinfo of the base URL) is registered here, and everything the tool shows or
/// writes passes through it first — before any cut, so no prefix of a key survives a
/// truncation. Clones share one registry, so a value registered while the run renders a request
/// is scrubbed from every report built from that run.
///
/// Each secret is scrubbed in the encodings a target or a report may put it in: verbatim,
/// URL-encoded (form and percent, either hex case), base64 (standard and URL-safe, at every
/// byte alignment, so `key:`, `user:key` and unpadded forms are all caught), hex (either case),
/// JSON- and HTML-escaped.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: std::sync::Arc<std::sync::RwLock<Literals>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the needles: they are the secrets.
        write!(f, "Redactor({} forms)", self.read().len())
    }
}

/// Values shorter than this are not treated as secrets: scrubbing them would mangle text.
pub const MIN_SECRET_LEN: usize = 8;

impl Redactor {
    /// A redactor that scrubs nothing yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }
    /// The redactor, also scrubbing `secret`.
    pub fn with(self, secret: &Secret) -> Redactor {
        self.add(secret.expose());
        self
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Literals> {
        // A poisoned lock only means a panic elsewhere mid-push; the list is still valid.
        self.needles.read().unwrap_or_else(|e| e.into_inner())
    }
    /// Registers a secret value (in every clone of this redactor).
    pub fn add(&self, value: &str) {
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        // Every render of `{{env.X}}` registers its value again: known values cost one scan.
        if self.read().has(value) {
            return;
        }
        let masked = mask(value);
        let mut forms = encodings(value);
        // A key's body without its `sk_test_` prefix is still the key (a partial leak).
        let body = key_body(value);
        if let Some(b) = body.filter(|b| b.len() >= MIN_SECRET_LEN) {
            forms.extend(encodings(b));
        }
        let mut needles = self.needles.write().unwrap_or_else(|e| e.into_inner());
        for f in forms.iter().filter(|f| f.len() >= MIN_SECRET_LEN) {
            needles.add(f, &masked);
        }
    }
    /// Registers the userinfo of `url` (`http://user:KEY@host`), the other place a key hides.
    pub fn add_url_userinfo(&self, url: &str) {
        if let Ok(u) = url::Url::parse(url) {
            for part in [u.username(), u.password().unwrap_or("")] {
                let decoded = url::form_urlencoded::parse(format!("x={part}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                self.add(part);
                self.add(&decoded);
            }
        }
    }
    /// Adds every secret `other` scrubs (a report over two targets scrubs both sides' keys).
    pub fn merge(&mut self, other: &Redactor) {
        if std::sync::Arc::ptr_eq(&self.needles, &other.needles) {
            return;
        }
        let theirs = other.read().clone();
        let mut needles = self.needles.write().unwrap_or_else(|e| e.into_inner());
        needles.extend(&theirs);
    }
    /// Whether it scrubs nothing.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }
    /// Whether `s` holds any secret, in any of its forms.
    pub fn touches(&self, s: &str) -> bool {
        self.read().found_in(s)
    }
    /// `s` with every secret replaced by its masked form.
    pub fn text(&self, s: &str) -> String {
        self.read().apply(s)
    }
    /// [`Redactor::text`] for a text the caller owns: handed back as it is when no secret
    /// occurs in it (a report of megabytes is not copied to find nothing).
    pub fn scrub(&self, s: String) -> String {
        self.read().replaced(&s).unwrap_or(s)
    }
    /// `v` with every secret in its strings replaced by its masked form.
    pub fn value(&self, v: &Value) -> Value {
        let mut v = v.clone();
        self.value_in_place(&mut v);
        v
    }
    /// Scrubs `v` where it is, without copying it (response bodies, as they arrive).
    pub fn value_in_place(&self, v: &mut Value) {
        if self.is_empty() {
            return;
        }
        match v {
            Value::String(s) if self.touches(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.value_in_place(i)),
            Value::Object(map) => {
                let dirty = map.keys().any(|k| self.touches(k));
                if dirty {
                    let old = std::mem::take(map);
                    for (k, mut v) in old {
                        self.value_in_place(&mut v);
                        map.insert(self.text(&k), v);
                    }
                } else {
                    map.values_mut().for_each(|v| self.value_in_place(v));
                }
            }
            _ => {}
        }
    }
}

/// `FAKE123…` of `sk_test_FAKE123…`: what follows a `kind_mode_` prefix.
fn key_body(key: &str) -> Option<&str> {
    let mut parts = key.splitn(3, '_');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(mode), Some(rest)) if kind.len() <= 4 && mode.len() <= 5 => Some(rest),
        _ => None,
    }
}

/// Every spelling of `value` that must not survive.
fn encodings(value: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let bytes = value.as_bytes();
    let mut forms = vec![value.to_string()];
    let form: String = url::form_urlencoded::byte_serialize(bytes).collect();
    forms.push(form.replace('+', "%20"));
    forms.push(lower_percent(&form));
    forms.push(form);
    let pct: String = bytes
        .iter()
        .map(|b| format!("%{b:02X}"))
        .collect::<Vec<_>>()
        .concat();
    forms.push(pct.to_ascii_lowercase());
    forms.push(pct);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    forms.push(hex.to_ascii_uppercase());
    forms.push(hex);
    // base64 at each of the three byte alignments: only the characters that depend on the
    // secret's bytes alone, so the secret is found inside any longer base64 text (`key:`,
    // `user:key`, padded or not).
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for shift in 0..3usize {
            let mut input = vec![0u8; shift];
            input.extend_from_slice(bytes);
            let enc = engine.encode(&input);
            let from = (8 * shift).div_ceil(6);
            let to = (8 * (shift + bytes.len())) / 6;
            if to > from {
                forms.push(enc[from..to].to_string());
            }
        }
    }
    if let Ok(json) = serde_json::to_string(value) {
        forms.push(json[1..json.len() - 1].to_string());
    }
    forms.push(html_escape::encode_text(value).into_owned());
    forms.push(html_escape::encode_double_quoted_attribute(value).into_owned());
    forms
}

fn lower_percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let end = (i + 3).min(rest.len());
        out.push_str(&rest[i..end].to_ascii_lowercase());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Whether `s` holds a live-mode key anywhere (`…?key=sk_live_…`, `Bearer rk_live_…`).
pub fn contains_live_key(s: &str) -> bool {
    s.contains("sk_live_") || s.contains("rk_live_")
}

/// `url` without its userinfo, for the `target:` line and `meta.source`.
pub fn display_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        _ => url.to_string(),
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

    #[test]
    fn scrub_hands_back_a_clean_text_and_scrubs_a_dirty_one_like_text() {
        let r = Redactor::new().with(&Secret::new(KEY));
        let clean = String::from("nothing secret here");
        let at = clean.as_ptr();
        let back = r.scrub(clean);
        assert_eq!((back.as_str(), back.as_ptr()), ("nothing secret here", at));
        for dirty in [format!("key={KEY}"), format!("{KEY}{KEY} and {KEY}")] {
            assert_eq!(r.scrub(dirty.clone()), r.text(&dirty));
            assert!(!r.scrub(dirty).contains("FAKEfake"));
        }
    }

    #[test]
    fn every_encoding_is_scrubbed() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        use base64::Engine;
        let secret = "s3cr3t value/with+odd&chars";
        let r = Redactor::new();
        r.add(secret);
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for text in [
            secret.to_string(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            STANDARD.encode(secret),
            STANDARD.encode(format!("{secret}:")),
            STANDARD.encode(format!("user:{secret}")),
            STANDARD.encode(format!("ab{secret}")),
            URL_SAFE_NO_PAD.encode(secret),
            hex.clone(),
            hex.to_ascii_uppercase(),
            serde_json::to_string(secret).unwrap(),
            html_escape::encode_text(secret).into_owned(),
        ] {
            let out = r.text(&format!("before {text} after"));
            assert!(!out.contains(&text), "{text} survived: {out}");
        }
        // Clones share one registry: a secret added later is scrubbed by earlier clones.
        let earlier = r.clone();
        r.add("added-after-the-clone");
        assert_eq!(earlier.text("x added-after-the-clone"), "x ****");
        assert!(!format!("{r:?}").contains("s3cr3t"));
    }

    #[test]
    fn userinfo_is_found_and_hidden() {
        let r = Redactor::new();
        let url = format!(
            "http://{}:{}@127.0.0.1:9/",
            "me",
            concat!("sk_test_", "userinfo1")
        );
        r.add_url_userinfo(&url);
        assert!(!r.text(&url).contains("userinfo1"));
        assert_eq!(display_url(&url), "http://127.0.0.1:9");
        assert_eq!(display_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
