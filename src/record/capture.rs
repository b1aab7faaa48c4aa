//! What one forwarded request and its answer become on disk: the `../shared/recordings` shape,
//! with only the headers that shape keeps, and with every secret scrubbed before it is written.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::secret::{self, Redactor, Secret};

/// One recorded exchange, in the shape of `../shared/recordings/<source>/<cassette>.json`
/// (one element of that file's list; field order as there).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// `GET`, `POST`, `DELETE`.
    pub method: String,
    /// The path, without the query (`/v1/invoices/in_…/pay`).
    pub path: String,
    /// Decoded query pairs, in order, in Stripe's bracket form.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// Decoded form pairs, in order, in Stripe's bracket form.
    #[serde(default)]
    pub form: Vec<(String, String)>,
    /// The request headers the shape keeps ([`REQUEST_HEADERS`]).
    #[serde(default)]
    pub request_headers: BTreeMap<String, String>,
    /// The answer's status.
    pub status: u16,
    /// The response headers the shape keeps ([`RESPONSE_HEADERS`]).
    #[serde(default)]
    pub response_headers: BTreeMap<String, String>,
    /// The answer's body: parsed JSON, a string when it is not JSON, null when empty.
    pub body: Value,
}

/// Request headers kept, spelled as the recordings spell them. An allowlist: Authorization,
/// Cookie and anything a client adds on its own never reach disk.
pub const REQUEST_HEADERS: &[&str] = &["Stripe-Version", "Idempotency-Key", "Apiparity-As-Of"];
/// Response headers kept (Set-Cookie and the rest are dropped).
pub const RESPONSE_HEADERS: &[&str] = &[
    "Stripe-Version",
    "Idempotent-Replayed",
    "Request-Id",
    "Stripe-Should-Retry",
];

/// Key-shaped strings, whichever request or response they turn up in (a key in a form field,
/// echoed in an error message). Stripe keys, restricted keys, publishable keys and webhook
/// secrets; the mode prefix stays readable, as in `../shared/recordings`.
static KEY_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9]{8,}")
        .expect("valid pattern")
});

/// The key a request authenticates with: `Authorization: Bearer KEY` or Basic `KEY:`.
pub fn key_of(authorization: Option<&str>) -> Option<Secret> {
    let value = authorization?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or(("", value));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Secret::new(rest));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())?;
        let user = decoded.split(':').next().unwrap_or_default();
        return Some(Secret::new(user));
    }
    None
}

/// Where a live-mode key turned up in a request, if anywhere: the request is then refused and
/// nothing is forwarded.
pub fn live_key_in(
    key: Option<&Secret>,
    headers: &[(String, String)],
    path_and_query: &str,
    body: &[u8],
) -> Option<&'static str> {
    if key.is_some_and(Secret::is_live) {
        return Some("the Authorization header");
    }
    let has_live = secret::contains_live_key;
    if headers.iter().any(|(_, v)| has_live(v)) {
        return Some("a request header");
    }
    let decoded = |s: &str| -> String {
        url::form_urlencoded::parse(s.as_bytes())
            .flat_map(|(k, v)| [k.into_owned(), v.into_owned()])
            .collect::<Vec<_>>()
            .join("\n")
    };
    if has_live(path_and_query) || has_live(&decoded(path_and_query)) {
        return Some("the URL");
    }
    let body = String::from_utf8_lossy(body);
    if has_live(&body) || has_live(&decoded(&body)) {
        return Some("the request body");
    }
    None
}

/// Scrubs one exchange: the request's own key in every encoding the redactor knows, then any
/// other key-shaped string.
pub struct Scrubber {
    redactor: Redactor,
}

impl Scrubber {
    /// A scrubber that knows `key` (the request's).
    pub fn new(key: Option<&Secret>) -> Scrubber {
        let mut redactor = Redactor::new();
        if let Some(k) = key {
            redactor = redactor.with(k);
        }
        Scrubber { redactor }
    }

    /// `s` with every secret replaced.
    pub fn text(&self, s: &str) -> String {
        // Key shapes first, so a key reads `sk_test_REDACTED` as in the shared recordings; then
        // the request's own key in its other encodings (base64, url-encoded).
        let s = if KEY_SHAPE.is_match(s) {
            KEY_SHAPE
                .replace_all(s, |c: &regex::Captures<'_>| match (c.get(1), c.get(2)) {
                    (Some(kind), Some(mode)) => {
                        format!("{}_{}_REDACTED", kind.as_str(), mode.as_str())
                    }
                    _ => "whsec_REDACTED".to_string(),
                })
                .into_owned()
        } else {
            s.to_string()
        };
        self.redactor.scrub(s)
    }

    fn value(&self, v: &Value) -> Value {
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

    /// The exchange, scrubbed everywhere.
    pub fn exchange(&self, e: Exchange) -> Exchange {
        let pairs = |p: Vec<(String, String)>| {
            p.into_iter()
                .map(|(k, v)| (self.text(&k), self.text(&v)))
                .collect()
        };
        let map = |m: BTreeMap<String, String>| {
            m.into_iter()
                .map(|(k, v)| (k, self.text(&v)))
                .collect::<BTreeMap<_, _>>()
        };
        Exchange {
            method: e.method,
            path: self.text(&e.path),
            query: pairs(e.query),
            form: pairs(e.form),
            request_headers: map(e.request_headers),
            status: e.status,
            response_headers: map(e.response_headers),
            body: self.value(&e.body),
        }
    }
}

/// The kept headers of `headers` (any case), spelled as `keep` spells them (name order).
pub fn kept_headers(headers: &[(String, String)], keep: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in keep {
        if let Some((_, v)) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            out.insert((*name).to_string(), v.clone());
        }
    }
    out
}

/// Decoded pairs of a query string or form body.
pub fn pairs(s: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The body as the shape keeps it: JSON parsed, anything else as text, nothing as null.
pub fn body_value(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Whether a response says it came from live mode (top-level `livemode: true`): never
/// recorded, whatever key let it through.
pub fn is_live_mode(body: &Value) -> bool {
    body.get("livemode") == Some(&Value::Bool(true))
}

/// The key, masked, for messages.
pub fn masked(key: Option<&Secret>) -> String {
    key.map_or_else(|| "no key".to_string(), |k| secret::mask(k.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(mode: &str) -> String {
        format!("sk_{mode}_{}", "A1b2C3d4E5f6G7h8I9j0K1l2")
    }

    #[test]
    fn keys_from_bearer_and_basic() {
        let k = key("test");
        assert_eq!(key_of(Some(&format!("Bearer {k}"))).unwrap().expose(), k);
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{k}:"));
        assert_eq!(key_of(Some(&format!("Basic {basic}"))).unwrap().expose(), k);
        assert!(key_of(None).is_none());
    }

    #[test]
    fn live_keys_anywhere_are_found() {
        let live = key("live");
        let secret = Secret::new(live.clone());
        assert!(live_key_in(Some(&secret), &[], "/v1/invoices", b"").is_some());
        let enc: String = url::form_urlencoded::byte_serialize(live.as_bytes()).collect();
        assert_eq!(
            live_key_in(None, &[], "/v1/x", format!("a={enc}").as_bytes()),
            Some("the request body")
        );
        assert_eq!(
            live_key_in(None, &[], &format!("/v1/x?k={live}"), b""),
            Some("the URL")
        );
        assert!(live_key_in(None, &[], "/v1/invoices", b"a=b").is_none());
    }

    #[test]
    fn scrubs_the_key_and_any_key_shape() {
        let k = key("test");
        let s = Scrubber::new(Some(&Secret::new(k.clone())));
        let e = Exchange {
            method: "POST".into(),
            path: "/v1/customers".into(),
            query: vec![],
            form: vec![("metadata[k]".into(), format!("rk_test_{}", "zzzzzzzzzz"))],
            request_headers: BTreeMap::new(),
            status: 401,
            response_headers: BTreeMap::new(),
            body: serde_json::json!({"error": {"message": format!("Invalid API Key provided: {k}")}}),
        };
        let text = serde_json::to_string(&s.exchange(e)).unwrap();
        assert!(!text.contains(&k), "{text}");
        assert!(!text.contains("zzzzzzzzzz"), "{text}");
        assert!(text.contains("rk_test_REDACTED"), "{text}");
    }
}
