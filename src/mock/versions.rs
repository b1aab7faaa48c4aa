//! The version model: the 29 Stripe API versions the mock renders (2023-10-16 …
//! 2026-10-28.endive), as data.
//!
//! Stripe changes a version's shape in two ways (docs/versions-research.md §1): **breaking**
//! changes happen only at the first version of a release and stay with that version forever, so
//! they follow the request's `Stripe-Version` ([`Gate::Version`]); **additive** fields reach every
//! version on the day they ship, so they follow the calendar ([`Gate::AsOf`]), i.e. the date the
//! response describes (`Apiparity-As-Of`, default [`NEWEST_DATE`]: "Stripe today").
//!
//! A request resolves `(version, as_of)` once into a [`Facts`] bit set; renderers and handlers
//! test bits, never compare version strings.

use std::fmt;

use super::error::ApiError;

/// A calendar day as `yyyymmdd`, so days compare as integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(u32);

impl Day {
    pub const fn ymd(y: u32, m: u32, d: u32) -> Day {
        Day(y * 10_000 + m * 100 + d)
    }

    /// `YYYY-MM-DD`, a real calendar day.
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (y >= 1970 && (1..=days).contains(&d)).then_some(Day::ymd(y, m, d))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "{:04}-{:02}-{:02}", v / 10_000, v / 100 % 100, v % 100)
    }
}

/// The breaking-shape families of the invoice objects (research §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// 2023-10-16: pre-basil, still with `rendering_options` and `include_and_require`.
    P1,
    /// 2024-04-10 … 2025-02-24.acacia: pre-basil without them.
    P2,
    /// 2025-03-31.basil … 2026-10-28.endive: the basil shape (clover, dahlia and endive removed
    /// nothing from these objects).
    Basil,
}

#[derive(Debug)]
pub struct ApiVersion {
    pub name: &'static str,
    pub date: Day,
    pub family: Family,
}

const fn v(name: &'static str, y: u32, m: u32, d: u32, family: Family) -> ApiVersion {
    ApiVersion {
        name,
        date: Day::ymd(y, m, d),
        family,
    }
}

use Family::{Basil, P1, P2};

/// Every published version from 2023-10-16 on, oldest first: each is pinned by an npm `stripe`
/// release (tests/fixtures/stripe-schema/README.md), so a team on any of them gets an answer.
pub static VERSIONS: [ApiVersion; 29] = [
    v("2023-10-16", 2023, 10, 16, P1),
    v("2024-04-10", 2024, 4, 10, P2),
    v("2024-06-20", 2024, 6, 20, P2),
    v("2024-09-30.acacia", 2024, 9, 30, P2),
    v("2024-10-28.acacia", 2024, 10, 28, P2),
    v("2024-11-20.acacia", 2024, 11, 20, P2),
    v("2024-12-18.acacia", 2024, 12, 18, P2),
    v("2025-01-27.acacia", 2025, 1, 27, P2),
    v("2025-02-24.acacia", 2025, 2, 24, P2),
    v("2025-03-31.basil", 2025, 3, 31, Basil),
    v("2025-04-30.basil", 2025, 4, 30, Basil),
    v("2025-05-28.basil", 2025, 5, 28, Basil),
    v("2025-06-30.basil", 2025, 6, 30, Basil),
    v("2025-07-30.basil", 2025, 7, 30, Basil),
    v("2025-08-27.basil", 2025, 8, 27, Basil),
    v("2025-09-30.clover", 2025, 9, 30, Basil),
    v("2025-10-29.clover", 2025, 10, 29, Basil),
    v("2025-11-17.clover", 2025, 11, 17, Basil),
    v("2025-12-15.clover", 2025, 12, 15, Basil),
    v("2026-01-28.clover", 2026, 1, 28, Basil),
    v("2026-02-25.clover", 2026, 2, 25, Basil),
    v("2026-03-25.dahlia", 2026, 3, 25, Basil),
    v("2026-04-22.dahlia", 2026, 4, 22, Basil),
    v("2026-05-27.dahlia", 2026, 5, 27, Basil),
    v("2026-06-24.dahlia", 2026, 6, 24, Basil),
    v("2026-07-29.dahlia", 2026, 7, 29, Basil),
    v("2026-08-26.dahlia", 2026, 8, 26, Basil),
    v("2026-09-30.endive", 2026, 9, 30, Basil),
    v("2026-10-28.endive", 2026, 10, 28, Basil),
];

/// The version of a request without `Stripe-Version`: the newest modelled one.
pub fn newest() -> &'static ApiVersion {
    &VERSIONS[VERSIONS.len() - 1]
}

/// The default `as_of`: the newest date the model knows anything about ("Stripe today").
pub const NEWEST_DATE: Day = Day::ymd(2026, 10, 28);

/// The oldest modelled version's date; anything before it is refused as not modelled.
const OLDEST: Day = Day::ymd(2023, 10, 16);

/// Resolves a `Stripe-Version` value. Stripe accepts exactly its published versions: a value
/// that is not one gets Stripe's own `Invalid Stripe API version` 400. A well-formed date before
/// 2023-10-16 is (or may be) a real, older version the mock does not model: refused with a
/// message that says so, never answered in another version's shape.
pub fn lookup(value: &str) -> Result<&'static ApiVersion, ApiError> {
    if let Some(v) = VERSIONS.iter().find(|v| v.name == value) {
        return Ok(v);
    }
    match Day::parse(value) {
        Some(d) if d < OLDEST && d >= Day::ymd(2011, 1, 1) => Err(ApiError::invalid(format!(
            "The apiparity mock does not model Stripe API version {value}: it renders the 29 \
             versions from 2023-10-16 to {} (see docs/mock.md). Send one of those in the \
             Stripe-Version header.",
            newest().name
        ))),
        _ => Err(ApiError::invalid(format!(
            "Invalid Stripe API version: {value}"
        ))),
    }
}

/// A version-dependent fact: a field, an operation, a parameter or a behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum F {
    // ---- breaking changes by version (the shapes are `Family`; which operations and
    // parameters a version has comes from the SDK trees in `data/params.json`) ----
    /// Invoice `rendering_options` (removed in 2024-04-10, also as a parameter).
    RenderingOptions,
    /// `customer_account` parameters; invoice item create without `customer` (2025-12-15).
    CustomerAccountParams,
    // ---- additive fields, by as-of date ----
    /// `automatic_tax.disabled_reason`.
    AutoTaxDisabledReason,
    /// `automatic_tax.provider`.
    AutoTaxProvider,
    /// `rendering.template`, `rendering.template_version`.
    RenderingTemplate,
    /// Invoice `automatically_finalizes_at`.
    AutoFinalizesAt,
    /// Invoice `total_pretax_credit_amounts`, line `pretax_credit_amounts`.
    PretaxCredits,
    /// Pre-basil versions gain the basil additions: invoice `amount_overpaid`, `parent`,
    /// `total_taxes`; line `parent`, `pricing`, `taxes`; invoice item `parent`, `pricing`.
    BasilAdditions,
    /// `customer_account` on invoices, invoice items and customers.
    CustomerAccount,
    /// Line `subtotal`.
    LineSubtotal,
    /// `quantity_decimal` on lines and invoice items.
    QuantityDecimal,
    /// Line `parent.license_fee_subscription_details`.
    LicenseFeeDetails,
    /// Customer `invoice_settings.rendering_options.template`.
    CustomerRenderingTemplate,
    /// Customer `tax.provider` (with `expand[]=tax`).
    CustomerTaxProvider,
    /// The includable invoice `amount_paid_off_stripe`.
    AmountPaidOffStripe,
    /// `payment_settings.payment_method_options.payto`.
    PmoPayto,
    /// `payment_settings.payment_method_options.pix` and `.upi`.
    PmoPixUpi,
}

/// When a fact holds.
#[derive(Clone, Copy, Debug)]
pub enum Gate {
    /// From the version released on `from` (inclusive) until the one released on `until`.
    Version { from: Day, until: Option<Day> },
    /// From the calendar day `from` on, at every version.
    AsOf { from: Day },
}

pub struct Fact {
    pub f: F,
    pub gate: Gate,
    /// Where the date comes from (docs/mock.md repeats this table).
    pub evidence: &'static str,
}

const fn ver(f: F, from: Day, until: Option<Day>, evidence: &'static str) -> Fact {
    Fact {
        f,
        gate: Gate::Version { from, until },
        evidence,
    }
}
const fn asof(f: F, from: Day, evidence: &'static str) -> Fact {
    Fact {
        f,
        gate: Gate::AsOf { from },
        evidence,
    }
}

/// The one table of version-dependent facts.
pub static FACTS: &[Fact] = &[
    ver(
        F::RenderingOptions,
        OLDEST,
        Some(Day::ymd(2024, 4, 10)),
        "SDK 2024-04-10 removal",
    ),
    ver(
        F::CustomerAccountParams,
        Day::ymd(2025, 12, 15),
        None,
        "SDK 2025-12-15.clover",
    ),
    asof(
        F::AutoTaxDisabledReason,
        Day::ymd(2024, 12, 18),
        "SDK 2024-12-18.acacia; absent Aug 2024, present Mar 2025 (acacia)",
    ),
    asof(
        F::AutoTaxProvider,
        Day::ymd(2025, 4, 29),
        "recording basil 2025-04-29 (SDK: 2025-04-30); absent 2025-03-26",
    ),
    asof(
        F::RenderingTemplate,
        Day::ymd(2024, 9, 30),
        "absent Aug 2024 (2024-06-20), present Mar 2025; listed by stripe@17.0.0 (2024-09-30)",
    ),
    asof(
        F::AutoFinalizesAt,
        Day::ymd(2024, 6, 20),
        "SDK 2024-06-20; recording Aug 2024",
    ),
    asof(
        F::PretaxCredits,
        Day::ymd(2024, 9, 30),
        "SDK 2024-09-30.acacia; absent Aug 2024, present Mar 2025",
    ),
    asof(
        F::BasilAdditions,
        Day::ymd(2025, 3, 26),
        "recordings at 2024-12-18/2025-02-24.acacia made 2025-03-26; absent Aug 2024",
    ),
    asof(
        F::CustomerAccount,
        Day::ymd(2025, 12, 15),
        "SDK 2025-12-15; absent 2025-11-10, present 2025-12-25 at 2025-11-17.clover",
    ),
    asof(
        F::LineSubtotal,
        Day::ymd(2025, 12, 15),
        "SDK 2025-12-15; absent 2025-11-10, present 2025-12-25",
    ),
    asof(
        F::QuantityDecimal,
        Day::ymd(2026, 3, 25),
        "SDK 2026-03-25.dahlia; absent 2025-12-31, present 2026-03-30",
    ),
    asof(
        F::LicenseFeeDetails,
        Day::ymd(2026, 4, 24),
        "no SDK; absent 2026-03-30, present 2026-04-24 (subscription lines)",
    ),
    asof(
        F::CustomerRenderingTemplate,
        Day::ymd(2024, 6, 20),
        "SDK 2024-06-20; no recording",
    ),
    asof(
        F::CustomerTaxProvider,
        Day::ymd(2025, 10, 29),
        "SDK 2025-10-29.clover; recorded Nov 2025 (expand[]=tax)",
    ),
    asof(
        F::AmountPaidOffStripe,
        Day::ymd(2026, 5, 27),
        "SDK 2026-05-27.dahlia (includable)",
    ),
    asof(
        F::PmoPayto,
        Day::ymd(2025, 12, 15),
        "SDK 2025-12-15; present May 2026 at 2025-11-17.clover",
    ),
    asof(
        F::PmoPixUpi,
        Day::ymd(2026, 4, 22),
        "SDK 2026-04-22; present May 2026 at 2025-11-17.clover",
    ),
];

/// The facts of one `(version, as_of)`, computed once per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts(u64);

impl Facts {
    pub fn of(version: &ApiVersion, as_of: Day) -> Facts {
        let mut bits = 0u64;
        for fact in FACTS {
            let on = match fact.gate {
                Gate::Version { from, until } => {
                    version.date >= from && until.is_none_or(|u| version.date < u)
                }
                Gate::AsOf { from } => as_of >= from,
            };
            if on {
                bits |= 1 << (fact.f as u8);
            }
        }
        Facts(bits)
    }

    pub fn has(self, f: F) -> bool {
        self.0 & (1 << (f as u8)) != 0
    }
}

/// The fact table as text rows `(fact, gate, date, evidence)` (docs/mock.md holds the same
/// table; a test keeps them in step).
pub fn table() -> Vec<(String, &'static str, String, &'static str)> {
    FACTS
        .iter()
        .map(|f| {
            let (gate, date) = match f.gate {
                Gate::Version { from, until: None } => ("version", format!("{from}")),
                Gate::Version {
                    from,
                    until: Some(u),
                } => ("version", format!("{from} until {u}")),
                Gate::AsOf { from } => ("as-of", format!("{from}")),
            };
            (format!("{:?}", f.f), gate, date, f.evidence)
        })
        .collect()
}

/// The date a response describes: Stripe as of that day (`Apiparity-As-Of`, `--as-of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsOf(pub(crate) Day);

impl AsOf {
    /// `YYYY-MM-DD`; the error says what is wrong with the value.
    pub fn parse(s: &str) -> Result<AsOf, String> {
        Day::parse(s)
            .map(AsOf)
            .ok_or_else(|| format!("invalid as-of date {s:?}: expected a calendar date YYYY-MM-DD"))
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Resolves a request's `Stripe-Version` and `Apiparity-As-Of` headers (`default`: the server's
/// as-of date). Without `Stripe-Version`, the newest version released by the as-of date. A
/// date before the requested version was released describes nothing real: refused, not moved.
pub fn resolve(
    version_header: Option<&str>,
    as_of_header: Option<&str>,
    default: Day,
) -> Result<(&'static ApiVersion, Day), ApiError> {
    let version = version_header.map(lookup).transpose()?;
    let (day, source) = match as_of_header {
        None => (default, "The mock's --as-of date"),
        Some(h) => (
            Day::parse(h.trim()).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid Apiparity-As-Of header: {h:?}. Send a calendar date YYYY-MM-DD (the \
                     day the response should describe); the header is the apiparity mock's own."
                ))
                .param("Apiparity-As-Of")
            })?,
            "Apiparity-As-Of",
        ),
    };
    let version = match version {
        Some(v) => v,
        None => VERSIONS
            .iter()
            .rev()
            .find(|v| v.date <= day)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "{source} {day} is before the oldest modelled Stripe API version (2023-10-16)."
                ))
                .param("Apiparity-As-Of")
            })?,
    };
    if day < version.date {
        return Err(ApiError::invalid(format!(
            "{source} {day} is before Stripe API version {} was released ({}).",
            version.name, version.date
        ))
        .param("Apiparity-As-Of"));
    }
    Ok((version, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        assert_eq!(Day::parse("2025-03-31"), Some(Day::ymd(2025, 3, 31)));
        assert_eq!(Day::parse("2024-02-29"), Some(Day::ymd(2024, 2, 29)));
        assert_eq!(Day::parse("2025-02-29"), None);
        assert_eq!(Day::parse("2025-13-01"), None);
        assert_eq!(Day::parse("2025-3-31"), None);
        assert_eq!(Day::parse("2025-03-3x"), None);
        assert_eq!(Day::ymd(2026, 1, 2).to_string(), "2026-01-02");
    }

    #[test]
    fn versions() {
        assert_eq!(VERSIONS.len(), 29);
        assert!(VERSIONS.windows(2).all(|w| w[0].date < w[1].date));
        for v in &VERSIONS {
            let date = &v.name[..10];
            assert_eq!(Day::parse(date), Some(v.date), "{}", v.name);
        }
        assert_eq!(lookup("2025-03-31.basil").unwrap().family, Family::Basil);
        assert_eq!(lookup("2024-04-10").unwrap().family, Family::P2);
        let e = lookup("2025-03-31").unwrap_err();
        assert_eq!(e.message, "Invalid Stripe API version: 2025-03-31");
        assert!(lookup("2023-10-16.basil").is_err());
        assert!(lookup("2026-11-25.endive").is_err());
        assert!(lookup("nope").is_err());
        let e = lookup("2022-11-15").unwrap_err();
        assert!(e.message.contains("does not model"), "{}", e.message);
        assert_eq!(newest().name, "2026-10-28.endive");
        assert!(NEWEST_DATE >= newest().date);
        assert!(FACTS.len() < 64);
    }

    #[test]
    fn facts() {
        let basil = lookup("2025-03-31.basil").unwrap();
        let old = lookup("2023-10-16").unwrap();
        let today = Facts::of(basil, NEWEST_DATE);
        assert!(today.has(F::LineSubtotal));
        let then = Facts::of(basil, Day::ymd(2025, 4, 29));
        assert!(!then.has(F::LineSubtotal) && then.has(F::AutoTaxProvider));
        let o = Facts::of(old, NEWEST_DATE);
        assert!(o.has(F::RenderingOptions) && o.has(F::BasilAdditions));
        let _ = basil;
        assert!(resolve(Some("2025-03-31.basil"), Some("2024-01-01"), NEWEST_DATE).is_err());
        assert!(resolve(Some("2025-03-31.basil"), Some("soon"), NEWEST_DATE).is_err());
        let (v, d) = resolve(None, None, NEWEST_DATE).unwrap();
        assert_eq!((v.name, d), ("2026-10-28.endive", NEWEST_DATE));
        let (v, _) = resolve(None, Some("2025-11-10"), NEWEST_DATE).unwrap();
        assert_eq!(v.name, "2025-10-29.clover");
        assert!(resolve(None, Some("2023-01-01"), NEWEST_DATE).is_err());
    }
}
