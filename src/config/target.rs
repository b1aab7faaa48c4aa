//! The one target choice, for every command (`run`, `diff`, `learn-noise`, `sweep`) and the
//! `cargo test` harness: the embedded mock, Stripe test mode, or any other URL, each with its
//! default rate limit. The live-key guard runs here first (and again per request in `run`).

use std::time::Duration;

use crate::run::{Polling, RateLimit, Target, TargetKind};
use crate::secret::Secret;

use super::InputError;

/// The key apiparity sends to mocks when no STRIPE_API_KEY is set: test-shaped, obviously fake.
pub const MOCK_API_KEY: &str = "sk_test_apiparity";
/// Stripe's API.
pub const STRIPE_BASE_URL: &str = "https://api.stripe.com";
/// The word that names the embedded mock where a URL is expected (`diff --left embedded`).
pub const EMBEDDED: &str = "embedded";

/// Where a command's target comes from (what the flags said).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// `--base-url` / APIPARITY_BASE_URL, else STRIPE_API_KEY → Stripe test mode, else the
    /// embedded mock (`run`, `sweep`, `cargo test`).
    Auto(Option<String>),
    /// A URL given to `flag`, or the embedded mock when it is `embedded` (`diff --left`).
    Url {
        /// The flag it was given to, for messages.
        flag: &'static str,
        /// The URL, or `embedded`.
        url: String,
    },
    /// The embedded mock, whatever the environment says.
    EmbeddedMock,
}

impl Default for TargetSpec {
    fn default() -> Self {
        TargetSpec::Auto(None)
    }
}

/// The resolved target.
#[derive(Clone, Debug)]
pub enum TargetChoice {
    /// Start the embedded mock in-process on an ephemeral loopback port.
    EmbeddedMock,
    /// Stripe test mode, with the key from STRIPE_API_KEY.
    Stripe(Target),
    /// Any other base URL (a third-party mock, a proxy).
    Url(Target),
}

impl TargetChoice {
    /// Resolves what the flags said, with the (already checked) key from the environment.
    pub fn resolve(spec: &TargetSpec, api_key: Option<Secret>) -> Result<TargetChoice, InputError> {
        let (flag, url) = match spec {
            TargetSpec::EmbeddedMock => return Ok(TargetChoice::EmbeddedMock),
            TargetSpec::Url { url, .. } if url.trim() == EMBEDDED => {
                return Ok(TargetChoice::EmbeddedMock)
            }
            TargetSpec::Url { flag, url } if url.trim().is_empty() => {
                return Err(InputError::Usage(format!(
                    "{flag}: `{url}` is not a target"
                )))
            }
            TargetSpec::Url { flag, url } => (*flag, Some(url.as_str())),
            TargetSpec::Auto(url) => ("--base-url", url.as_deref()),
        };
        match (url.map(str::trim).filter(|s| !s.is_empty()), api_key) {
            (Some(url), key) => parse_url(flag, url, key),
            (None, Some(key)) => Ok(TargetChoice::Stripe(Target {
                base_url: STRIPE_BASE_URL.to_string(),
                api_key: Some(key),
                kind: TargetKind::Stripe,
                probed_at: None,
            })),
            (None, None) => Ok(TargetChoice::EmbeddedMock),
        }
    }

    /// The target, unless it is the embedded mock (which only has one once started).
    pub fn target(&self) -> Option<&Target> {
        match self {
            TargetChoice::EmbeddedMock => None,
            TargetChoice::Stripe(t) | TargetChoice::Url(t) => Some(t),
        }
    }
}

fn parse_url(flag: &str, url: &str, api_key: Option<Secret>) -> Result<TargetChoice, InputError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| InputError::Usage(format!("{flag} `{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(InputError::Usage(format!(
            "{flag} `{url}` must be an http(s) URL with a host"
        )));
    }
    let stripe = parsed.host_str() == Some("api.stripe.com");
    if stripe && api_key.is_none() {
        return Err(InputError::Usage(
            "the target is Stripe but STRIPE_API_KEY is not set (put a test key in .env)".into(),
        ));
    }
    let target = Target {
        base_url: url.trim_end_matches('/').to_string(),
        api_key: Some(api_key.unwrap_or_else(|| Secret::new(MOCK_API_KEY))),
        kind: if stripe {
            TargetKind::Stripe
        } else {
            TargetKind::Custom
        },
        probed_at: None,
    };
    Ok(if stripe {
        TargetChoice::Stripe(target)
    } else {
        TargetChoice::Url(target)
    })
}

/// The embedded mock's target once it listens at `base_url`.
pub fn embedded_mock(base_url: String) -> Target {
    Target {
        base_url,
        api_key: Some(Secret::new(MOCK_API_KEY)),
        kind: TargetKind::EmbeddedMock,
        probed_at: None,
    }
}

/// `--rate`, checked: a positive, finite number of requests per second.
pub fn check_rate(rate: Option<f64>) -> Result<Option<f64>, InputError> {
    match rate {
        Some(r) if !(r > 0.0 && r.is_finite()) => Err(InputError::Usage(format!(
            "--rate must be a positive number, got {r}"
        ))),
        other => Ok(other),
    }
}

/// The rate limit for `target`: `--rate` (search capped at Stripe's test-mode search limit),
/// else Stripe's test-mode limits for anything not on loopback, else none.
pub fn rate_limit(rate: Option<f64>, target: &Target) -> Option<RateLimit> {
    match rate {
        Some(r) => Some(RateLimit {
            per_second: r,
            search_per_second: r.min(RateLimit::stripe_test_mode().search_per_second),
        }),
        None => (!target.is_loopback()).then(RateLimit::stripe_test_mode),
    }
}

/// How long `retry:` steps poll `target`, unless `--poll-timeout`/`--poll-interval` say
/// otherwise: Stripe (and anything not on loopback) gets the scenario's own budget, which is
/// sized for Stripe's search lag; a loopback target (the embedded mock, a local mock) is
/// consistent at once, so a second of polling every 100 ms is plenty — and a broken one is
/// judged in seconds rather than minutes.
pub fn polling(target: &Target, timeout: Option<Duration>, interval: Option<Duration>) -> Polling {
    let default = if target.is_loopback() {
        Polling {
            max_wait: Some(LOOPBACK_POLL_TIMEOUT),
            max_interval: Some(LOOPBACK_POLL_INTERVAL),
        }
    } else {
        Polling::default()
    };
    Polling {
        max_wait: timeout.or(default.max_wait),
        max_interval: interval.or(default.max_interval),
    }
}

/// Longest a `retry:` step polls a loopback target by default.
pub const LOOPBACK_POLL_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest pause between polls of a loopback target by default.
pub const LOOPBACK_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// True when running under CI (the `CI` variable is set to anything but empty/false/0).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The API key from the environment, refusing live-mode keys.
pub fn api_key_from_env() -> Result<Option<Secret>, InputError> {
    match std::env::var("STRIPE_API_KEY") {
        Ok(k) if k.trim().is_empty() => Ok(None),
        Ok(k) => {
            let key = Secret::new(k.trim());
            if key.is_live() {
                return Err(InputError::Usage(format!(
                    "STRIPE_API_KEY is a live-mode key ({}): apiparity refuses live keys and sent no request. Use a test-mode key (sk_test_… or rk_test_…).",
                    key.masked()
                )));
            }
            Ok(Some(key))
        }
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Option<Secret> {
        Some(Secret::new("sk_test_x"))
    }

    #[test]
    fn one_choice_for_every_command() {
        let auto =
            |u: Option<&str>, k| TargetChoice::resolve(&TargetSpec::Auto(u.map(String::from)), k);
        assert!(matches!(auto(None, None), Ok(TargetChoice::EmbeddedMock)));
        assert!(matches!(auto(None, key()), Ok(TargetChoice::Stripe(_))));
        assert!(
            matches!(auto(Some("http://127.0.0.1:1/"), key()), Ok(TargetChoice::Url(t)) if t.base_url == "http://127.0.0.1:1")
        );
        assert!(matches!(
            auto(Some("https://api.stripe.com"), key()),
            Ok(TargetChoice::Stripe(_))
        ));
        assert!(auto(Some("https://api.stripe.com"), None).is_err());
        let url = |u: &str| {
            TargetChoice::resolve(
                &TargetSpec::Url {
                    flag: "--left",
                    url: u.into(),
                },
                key(),
            )
        };
        assert!(matches!(url("embedded"), Ok(TargetChoice::EmbeddedMock)));
        let e = url("ftp://x").unwrap_err().to_string();
        assert_eq!(e, "--left `ftp://x` must be an http(s) URL with a host");
    }

    #[test]
    fn rate_is_checked_once_and_defaults_by_target() {
        assert!(check_rate(Some(0.0)).is_err());
        assert!(check_rate(Some(f64::NAN)).is_err());
        let local = embedded_mock("http://127.0.0.1:5".into());
        assert_eq!(rate_limit(None, &local), None);
        let remote = Target {
            base_url: STRIPE_BASE_URL.into(),
            api_key: key(),
            kind: TargetKind::Stripe,
            probed_at: None,
        };
        assert_eq!(
            rate_limit(None, &remote),
            Some(RateLimit::stripe_test_mode())
        );
        assert_eq!(
            rate_limit(Some(50.0), &local).map(|r| r.search_per_second),
            Some(15.0)
        );
    }

    #[test]
    fn polling_follows_the_target_and_the_flags() {
        let local = embedded_mock("http://127.0.0.1:5".into());
        let stripe = Target {
            base_url: STRIPE_BASE_URL.into(),
            api_key: key(),
            kind: TargetKind::Stripe,
            probed_at: None,
        };
        let retry = crate::scenario::Retry {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(90),
        };
        assert_eq!(
            polling(&stripe, None, None).budget(&retry),
            (Duration::from_secs(2), Duration::from_secs(90))
        );
        assert_eq!(
            polling(&local, None, None).budget(&retry),
            (LOOPBACK_POLL_INTERVAL, LOOPBACK_POLL_TIMEOUT)
        );
        let s = Duration::from_secs;
        assert_eq!(
            polling(&local, Some(s(30)), Some(s(1))).budget(&retry),
            (s(1), s(30))
        );
        // A budget never stretches a scenario's own.
        assert_eq!(polling(&stripe, Some(s(300)), None).budget(&retry).1, s(90));
    }
}
