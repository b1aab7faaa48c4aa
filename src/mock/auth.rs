//! Authentication (reference §1.2) and the `Stripe-Version` check (§1.7): the first two gates
//! every request passes, before routing.

use axum::http::HeaderMap;
use base64::Engine;

use super::error::ApiError;

const NO_KEY: &str = "You did not provide an API key. You need to provide your API key in the \
Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See \
https://stripe.com/docs/api#authentication for details, or we can help at \
https://support.stripe.com/.";

/// Masks a key for error messages: a recognizable `xx_mode_` prefix stays, the rest becomes
/// stars except the last 4 characters (all stars when the rest is 4 characters or fewer).
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let parts: Vec<&str> = key.splitn(3, '_').collect();
    let prefix_len = if parts.len() == 3 {
        parts[0].chars().count() + parts[1].chars().count() + 2
    } else {
        0
    };
    let rest = &chars[prefix_len.min(chars.len())..];
    let prefix: String = chars[..prefix_len.min(chars.len())].iter().collect();
    if rest.len() <= 4 {
        return format!("{prefix}{}", "*".repeat(rest.len()));
    }
    let tail: String = rest[rest.len() - 4..].iter().collect();
    format!("{prefix}{}{tail}", "*".repeat(rest.len() - 4))
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

/// First day of each named release (reference §0.2); a name must match its date range.
const RELEASES: &[(&str, &str)] = &[
    ("acacia", "2024-09-30"),
    ("basil", "2025-03-31"),
    ("clover", "2025-09-30"),
    ("dahlia", "2026-03-25"),
];

/// `YYYY-MM-DD` or `YYYY-MM-DD.release`. Known release names must fit their date range;
/// unknown (newer) names are accepted from the last known release on, so newer SDKs work.
pub fn check_version(v: &str) -> Result<(), ApiError> {
    let bad = || ApiError::invalid(format!("Invalid Stripe API version: {v}"));
    let date = crate::version::version_date(v).ok_or_else(bad)?;
    let month: u32 = date[5..7].parse().map_err(|_| bad())?;
    let day: u32 = date[8..10].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || date < "2011-01-01" {
        return Err(bad());
    }
    match v.get(10..) {
        None | Some("") => Ok(()),
        Some(rest) => {
            let name = rest.strip_prefix('.').ok_or_else(bad)?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(bad());
            }
            match RELEASES.iter().position(|(n, _)| *n == name) {
                Some(i) => {
                    let start = RELEASES[i].1;
                    let end = RELEASES.get(i + 1).map(|r| r.1);
                    if date >= start && end.is_none_or(|e| date < e) {
                        Ok(())
                    } else {
                        Err(bad())
                    }
                }
                None if RELEASES.last().is_some_and(|(_, d)| date >= *d) => Ok(()),
                None => Err(bad()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_key("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask_key("pk_test_123"), "pk_test_***");
        assert_eq!(mask_key("garbage"), "***bage");
        assert_eq!(mask_key("ab"), "**");
    }

    #[test]
    fn versions() {
        assert!(check_version("2025-03-31.basil").is_ok());
        assert!(check_version("2023-10-16").is_ok());
        assert!(check_version("2026-10-28.endive").is_ok());
        assert!(check_version("2026-06-24.dahlia").is_ok());
        assert!(check_version("2023-10-16.basil").is_err());
        assert!(check_version("2025-13-01").is_err());
        assert!(check_version("basil").is_err());
        assert!(check_version("2025-03-31.").is_err());
        assert!(check_version("2025-03-31x").is_err());
        assert_eq!(
            check_version("nope").unwrap_err().message,
            "Invalid Stripe API version: nope"
        );
    }
}
