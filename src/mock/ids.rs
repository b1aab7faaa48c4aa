//! Object ids shaped like Stripe's (reference §9 item 1): `in_`/`ii_`/`il_`/`price_`/`pi_`/`ch_`
//! get `1` + 5 time-ordered characters + the account's 10-character fragment + 8 random
//! characters; `cus_`/`prod_`/`req_` get 14 random characters.

use base64::Engine;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The 10-character fragment every object of the mock's single account shares.
pub const ACCOUNT_FRAGMENT: &str = "ApPrtyMck0";

/// The one mock account (`acct_1` + 5 characters + the fragment), used in invoice URLs.
pub const ACCOUNT_ID: &str = "acct_1MoCk0ApPrtyMck0";

pub fn random_alnum(n: usize) -> String {
    (0..n)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Base62 in ASCII order, so ids minted in a later second sort after earlier ones.
fn time_chars(unix: i64) -> String {
    let mut v = unix.rem_euclid(62i64.pow(5));
    let mut out = [b'0'; 5];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(v % 62) as usize];
        v /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `in_1…` style id with 24 characters after the prefix.
pub fn object_id(prefix: &str, now: i64) -> String {
    format!(
        "{prefix}_1{}{ACCOUNT_FRAGMENT}{}",
        time_chars(now),
        random_alnum(8)
    )
}

/// `cus_…` / `prod_…` style id with 14 random characters.
pub fn short_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_alnum(14))
}

pub fn request_id() -> String {
    short_id("req")
}

/// The opaque per-invoice token of `hosted_invoice_url`/`invoice_pdf`: like the seeds, base64 of
/// `<acct>,_<random>,<number>` followed by a non-base64 suffix. Minted once per invoice, for the
/// account that finalizes it.
pub fn invoice_url_token(account: &str) -> String {
    let inner = format!(
        "{account},_{},{}",
        random_alnum(31),
        rand::random_range(10_000_000u32..99_999_999)
    );
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(inner);
    format!("test_{b64}0200{}", random_alnum(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = object_id("in", 1_700_000_000);
        assert_eq!(id.len(), 3 + 24);
        assert!(id.starts_with("in_1"));
        assert_eq!(&id[9..19], ACCOUNT_FRAGMENT);
        assert_eq!(short_id("cus").len(), 4 + 14);
        let r = request_id();
        assert!(r.starts_with("req_") && r[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(r.len(), 18);
        assert!(time_chars(100) < time_chars(101));
        assert_eq!(ACCOUNT_ID.len(), "acct_".len() + 16);
    }
}
