//! Authentication (reference §1.2): the first gate every request passes, before the
//! `Stripe-Version` check (`versions.rs`) and routing.

use axum::http::HeaderMap;
use base64::Engine;

use super::error::ApiError;

const NO_KEY: &str = "You did not provide an API key. You need to provide your API key in the \
Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See \
https://stripe.com/docs/api#authentication for details, or we can help at \
https://support.stripe.com/.";

/// Stars shown at most: a 10 KB header must not come back as 10 KB of stars.
const MAX_STARS: usize = 24;

/// Masks a key for error messages. A key shaped like Stripe's (`sk_`/`rk_`/`pk_` + `test_` or
/// `live_`) is masked as Stripe does: the prefix, stars, the last 4 characters (all stars when
/// the rest is 4 characters or fewer). Anything else — a malformed key could be any secret
/// pasted by mistake — shows only a short prefix: at most 4 characters, never half of it.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let parts: Vec<&str> = key.splitn(3, '_').collect();
    let stripe_shaped = parts.len() == 3
        && matches!(parts[0], "sk" | "rk" | "pk")
        && matches!(parts[1], "test" | "live");
    if !stripe_shaped {
        let shown: String = chars.iter().take((chars.len() / 2).min(4)).collect();
        return format!("{shown}***");
    }
    let prefix_len = parts[0].len() + parts[1].len() + 2;
    let rest = &chars[prefix_len.min(chars.len())..];
    let prefix: String = chars[..prefix_len.min(chars.len())].iter().collect();
    if rest.len() <= 4 {
        return format!("{prefix}{}", "*".repeat(rest.len()));
    }
    let tail: String = rest[rest.len() - 4..].iter().collect();
    format!(
        "{prefix}{}{tail}",
        "*".repeat((rest.len() - 4).min(MAX_STARS))
    )
}

/// Accepts `sk_test_*` / `rk_test_*` via Bearer or Basic (key as the username), as stripe-mock
/// does: the key splits on `_` into exactly 3 parts.
pub fn check_auth(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(raw) = headers.get("authorization") else {
        return Err(ApiError::unauthorized(NO_KEY));
    };
    let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::unauthorized(NO_KEY));
    }
    let (scheme, cred) = raw.split_once(' ').unwrap_or((raw, ""));
    let cred = cred.trim();
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        cred.to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(cred)
            .map_err(|_| {
                ApiError::unauthorized(format!("Invalid API Key provided: {}", mask_key(cred)))
            })?;
        let text = String::from_utf8_lossy(&decoded).into_owned();
        text.split(':').next().unwrap_or_default().to_string()
    } else {
        return Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask_key(raw)
        )));
    };
    if key.is_empty() {
        return Err(ApiError::unauthorized(NO_KEY));
    }
    let parts: Vec<&str> = key.split('_').collect();
    match parts.as_slice() {
        [kind, "test", secret] if (*kind == "sk" || *kind == "rk") && !secret.is_empty() => Ok(()),
        [kind, "live", _] if *kind == "sk" || *kind == "rk" => {
            Err(ApiError::unauthorized(format!(
                "The apiparity mock serves test mode only; it refuses live mode keys such as {}. \
             Use an sk_test_ or rk_test_ key.",
                mask_key(&key)
            )))
        }
        _ => Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask_key(&key)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_key("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask_key("pk_test_123"), "pk_test_***");
        assert_eq!(mask_key("garbage"), "gar***");
        assert_eq!(mask_key("ab"), "a***");
        assert_eq!(mask_key("sk_nope"), "sk_***");
        let long = format!("hello_world_{}", "s".repeat(5000));
        assert_eq!(mask_key(&long), "hell***");
        let stripe = format!("sk_test_{}wxyz", "a".repeat(5000));
        assert_eq!(
            mask_key(&stripe),
            format!("sk_test_{}wxyz", "*".repeat(MAX_STARS))
        );
    }
}
