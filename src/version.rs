//! Stripe API versions the suite knows about.

/// The version every request carries unless a scenario or the command line pins another.
/// The basil family is the shape seeds 001/004 record (`amount_overpaid`, `parent`, `total_taxes`).
pub const DEFAULT_STRIPE_VERSION: &str = "2025-03-31.basil";

/// The pre-basil version the seed-000 examples were published at (reference §3.5 dates that
/// snapshot to the 2023-10-16 era: it has `issuer` and still has `rendering_options`).
pub const PRE_BASIL_STRIPE_VERSION: &str = "2023-10-16";

/// The date part of a version string (`2025-03-31.basil` → `2025-03-31`), if it is well formed.
pub fn version_date(version: &str) -> Option<&str> {
    let date = version.split('.').next()?;
    let b = date.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    ok.then_some(date)
}

/// True when `version` renders the basil (2025-03-31) invoice shape or a later one.
pub fn is_basil_or_later(version: &str) -> bool {
    version_date(version).is_some_and(|d| d >= "2025-03-31")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(version_date("2025-03-31.basil"), Some("2025-03-31"));
        assert_eq!(version_date("2023-10-16"), Some("2023-10-16"));
        assert_eq!(version_date("basil"), None);
        assert!(is_basil_or_later("2026-06-24.dahlia"));
        assert!(!is_basil_or_later(PRE_BASIL_STRIPE_VERSION));
    }
}
