//! What every format reader needs: URLs split into host, path and query; form bodies decoded;
//! bodies parsed; header lists flattened; dates reduced to days.

use serde_json::Value;

use crate::import::Exchange;

/// One exchange as a reader found it, before the common decoding.
#[derive(Default)]
pub(super) struct Raw {
    pub method: String,
    /// A full URL (`https://api.stripe.com/v1/x?a=b`) or a path (`/v1/x?a=b`).
    pub url: String,
    /// The request body as text (form-encoded for Stripe).
    pub request_body: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    /// The response body: text (JSON inside), or already parsed.
    pub response_body: Body,
    /// When it was recorded, in any of the recorders' date forms.
    pub recorded_at: Option<String>,
}

#[derive(Default)]
pub(super) enum Body {
    #[default]
    None,
    Text(String),
    Json(Value),
}

/// A URL's host (when it has one), path and decoded query pairs.
type UrlParts = (Option<String>, String, Vec<(String, String)>);

/// Splits `https://host/path?query` (or `/path?query`) into host, path and decoded query pairs.
pub(super) fn split_url(url: &str) -> Result<UrlParts, String> {
    if url.starts_with('/') {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        return Ok((None, path.to_string(), decode_pairs(query)));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("invalid URL `{url}`: {e}"))?;
    let host = parsed.host_str().map(str::to_string);
    let query = decode_pairs(parsed.query().unwrap_or(""));
    Ok((host, parsed.path().to_string(), query))
}

/// `a=1&b%5Bc%5D=2` → `[("a", "1"), ("b[c]", "2")]`.
pub(super) fn decode_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The response body as JSON: parsed text, or (a recorder that stored it base64-encoded)
/// decoded then parsed; other text stays a string.
pub(super) fn parse_body(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return v;
    }
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) {
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            return v;
        }
    }
    Value::String(text.to_string())
}

/// A recorder's date (`Sat, 10 Aug 2024 16:21:56 GMT`, `2024-08-10T16:21:56.123Z`) as a day.
pub(super) fn day(s: &str) -> Option<String> {
    super::shared::day_of_date(s)
}

/// Header values as text: a list (VCR, vcrpy) is joined the way HTTP folds repeated headers.
pub(super) fn header_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(header_text)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A `{name: value or [values]}` object as ordered pairs.
pub(super) fn header_map(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| header_text(v).map(|t| (k.clone(), t)))
            .collect(),
        // HAR: `[{name, value}]`; nock rawHeaders: `[name, value, name, value]`.
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => items
            .iter()
            .filter_map(|h| {
                Some((
                    h.get("name")?.as_str()?.to_string(),
                    header_text(h.get("value")?)?,
                ))
            })
            .collect(),
        Some(Value::Array(items)) => items
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => Some((k.as_str()?.to_string(), header_text(v)?)),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The common decoding: URL split, form decoded, body parsed, the day found.
pub(super) fn finish(raw: Raw) -> Result<Exchange, String> {
    let (host, path, query) = split_url(&raw.url)?;
    let form = match raw.request_body.as_deref() {
        Some(b) if !b.trim().is_empty() && !b.trim_start().starts_with(['{', '[']) => {
            decode_pairs(b.trim())
        }
        _ => vec![],
    };
    let body = match raw.response_body {
        Body::None => Value::Null,
        Body::Text(t) => parse_body(&t),
        Body::Json(v) => v,
    };
    let recorded_on = raw
        .recorded_at
        .as_deref()
        .and_then(day)
        .or_else(|| header(&raw.response_headers, "Date").and_then(day));
    if raw.method.is_empty() {
        return Err("no request method".into());
    }
    if !(100..=599).contains(&raw.status) {
        return Err(format!("status {} is not an HTTP status", raw.status));
    }
    Ok(Exchange {
        method: raw.method.to_ascii_uppercase(),
        host,
        path,
        query,
        form,
        request_headers: raw.request_headers,
        status: raw.status,
        response_headers: raw.response_headers,
        body,
        recorded_on,
    })
}

/// A field of a JSON object, or why it is missing.
pub(super) fn field<'a>(v: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur
            .get(part)
            .ok_or_else(|| format!("`{path}` is missing"))?;
    }
    Ok(cur)
}

/// A text field (numbers are taken as their text).
pub(super) fn text(v: &Value, path: &str) -> Result<String, String> {
    match field(v, path)? {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "`{path}` is {} where text was expected",
            kind(other)
        )),
    }
}

/// A status field (a number or its text).
pub(super) fn status(v: &Value, path: &str) -> Result<u16, String> {
    let f = field(v, path)?;
    let n = match f {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| format!("`{path}` is not an HTTP status"))
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Each element of a cassette's interaction list through `one`, or (its index, what is wrong).
pub(super) fn each(
    list: &[Value],
    one: impl Fn(&Value) -> Result<Exchange, String>,
) -> Result<Vec<Exchange>, (Option<usize>, String)> {
    list.iter()
        .enumerate()
        .map(|(i, it)| one(it).map_err(|e| (Some(i), e)))
        .collect()
}

/// One VCR-style interaction (Ruby VCR, vcrpy): `request {method, uri, body, headers}` and
/// `response {status {code}, headers, body}`; the recorders differ in how a body is held
/// (`body_text`) and whether they date it.
pub(super) fn vcr_interaction(
    it: &Value,
    body_text: fn(Option<&Value>) -> Option<String>,
    recorded_at: Option<String>,
) -> Result<Exchange, String> {
    let req = field(it, "request")?;
    let res = field(it, "response")?;
    finish(Raw {
        method: text(req, "method")?,
        url: text(req, "uri")?,
        request_body: body_text(req.get("body")),
        request_headers: header_map(req.get("headers")),
        status: status(res, "status.code")?,
        response_headers: header_map(res.get("headers")),
        response_body: body_text(res.get("body")).map_or(Body::None, Body::Text),
        recorded_at,
    })
}
