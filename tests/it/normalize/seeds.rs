//! The published Stripe examples (copied from the project's seeds into
//! tests/fixtures/normalize_seeds/) normalize to the placeholders a snapshot should hold.

use std::path::PathBuf;
use std::sync::Arc;

use apiparity::diff::{diff, DiffKind};
use apiparity::normalize::Normalizer;
use serde_json::{json, Value};

fn seed(name: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "normalize_seeds",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn normalized(name: &str) -> Value {
    Normalizer::new(Arc::new(apiparity::config::default_rules())).value(&seed(name))
}

#[test]
fn basil_finalize_placeholders() {
    let v = normalized("001-finalize.json");
    assert_eq!(v["id"], json!("in_1"));
    assert_eq!(v["customer"], json!("cus_1"));
    assert_eq!(v["lines"]["url"], json!("/v1/invoices/in_1/lines"));
    assert_eq!(v["number"], json!("<prefix_1>-0001"));
    assert_eq!(
        v["hosted_invoice_url"],
        json!("https://invoice.stripe.com/i/acct_1/test_<token>?s=ap")
    );
    assert_eq!(
        v["invoice_pdf"],
        json!("https://pay.stripe.com/invoice/acct_1/test_<token>/pdf?s=ap")
    );
    assert_eq!(v["created"], json!("<timestamp>"));
    assert_eq!(v["due_date"], json!("<created+604800>"));
    assert_eq!(v["period_start"], json!("<created+0>"));
    assert_eq!(v["period_end"], json!("<created+0>"));
    assert_eq!(v["webhooks_delivered_at"], json!("<timestamp>"));
    assert_eq!(
        v["status_transitions"],
        json!({"finalized_at": "<timestamp>", "marked_uncollectible_at": null,
            "paid_at": "<timestamp>", "voided_at": null})
    );
    assert_eq!(v["next_payment_attempt"], Value::Null);
    assert_eq!(v["account_name"], json!("<account_name>"));
    // Everything deterministic is untouched.
    for key in [
        "object",
        "collection_method",
        "billing_reason",
        "status",
        "customer_email",
        "customer_name",
        "currency",
        "amount_due",
        "attempted",
        "receipt_number",
        "customer_tax_exempt",
    ] {
        assert_eq!(v[key], seed("001-finalize.json")[key], "{key}");
    }
    // Key order is kept (snapshots read like the API).
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let orig = seed("001-finalize.json");
    let orig_keys: Vec<&String> = orig.as_object().unwrap().keys().collect();
    assert_eq!(keys, orig_keys);
}

#[test]
fn seeds_001_and_004_are_the_same_invoice() {
    assert_eq!(
        normalized("001-finalize.json"),
        normalized("004-finalize.json")
    );
}

#[test]
fn finalize_and_pay_normalize_equal() {
    let fin = normalized("000-finalize.json");
    let pay = normalized("000-pay.json");
    assert_eq!(fin, pay);
    assert!(diff(&fin, &pay, &apiparity::config::default_diff_options()).is_empty());
}

#[test]
fn pre_basil_vs_basil_shows_exactly_the_field_set_change() {
    let old = normalized("000-finalize.json");
    let new = normalized("001-finalize.json");
    let diffs = diff(&old, &new, &apiparity::config::default_diff_options());
    let mut missing: Vec<&str> = diffs
        .iter()
        .filter(|d| d.kind == DiffKind::Missing)
        .map(|d| d.pointer.as_str())
        .collect();
    let mut unexpected: Vec<&str> = diffs
        .iter()
        .filter(|d| d.kind == DiffKind::Unexpected)
        .map(|d| d.pointer.as_str())
        .collect();
    missing.sort();
    unexpected.sort();
    assert_eq!(
        missing,
        [
            "/application_fee_amount",
            "/charge",
            "/discount",
            "/paid",
            "/paid_out_of_band",
            "/payment_intent",
            "/quote",
            "/rendering_options",
            "/subscription",
            "/tax",
            "/total_tax_amounts",
            "/transfer_data"
        ]
    );
    assert_eq!(unexpected, ["/amount_overpaid", "/parent", "/total_taxes"]);
    assert_eq!(diffs.len(), 15, "{diffs:#?}");
    assert!(diffs.iter().filter(|d| d.is_additive()).count() == 3);
}

#[test]
fn uncollectible_example_lines_and_nested_objects() {
    let v = normalized("000-mark_uncollectible.json");
    let line = &v["lines"]["data"][0];
    assert_eq!(line["id"], json!("il_1"));
    assert_eq!(line["invoice_item"], json!("ii_1"));
    assert_eq!(line["object"], json!("line_item"));
    assert_eq!(
        line["period"],
        json!({"end": "<timestamp>", "start": "<timestamp>"})
    );
    assert_eq!(line["price"]["id"], json!("price_1"));
    assert_eq!(line["price"]["product"], json!("prod_1"));
    assert_eq!(line["price"]["created"], json!("<timestamp>"));
    assert_eq!(line["price"]["unit_amount_decimal"], json!("1099"));
    assert_eq!(line["type"], json!("invoiceitem"));
    assert_eq!(v["lines"]["url"], json!("/v1/invoices/in_1/lines"));
    assert_eq!(v["collection_method"], json!("charge_automatically"));
    // This example's hand-edited nulls stay null.
    assert_eq!(v["number"], Value::Null);
    assert_eq!(v["hosted_invoice_url"], Value::Null);
    assert_eq!(v["starting_balance"], json!(-500));
}

#[test]
fn search_and_delete_examples() {
    let v = normalized("000-search.json");
    assert_eq!(v["object"], json!("search_result"));
    assert_eq!(v["url"], json!("/v1/invoices/search"));
    assert_eq!(v["data"][0]["id"], json!("in_1"));
    assert_eq!(
        v["data"][0]["lines"]["url"],
        json!("/v1/invoices/in_1/lines")
    );
    let d = normalized("002-delete.json");
    assert_eq!(
        d,
        json!({"id": "in_1", "object": "invoice", "deleted": true})
    );
}

#[test]
fn one_normalizer_across_seed_steps_keeps_identity() {
    // finalize then pay of the same invoice in one run: same placeholders. The uncollectible
    // example bills the same customer; the send example is another invoice of another customer.
    let mut n = Normalizer::new(Arc::new(apiparity::config::default_rules()));
    let fin = n.value(&seed("000-finalize.json"));
    let other = n.value(&seed("000-mark_uncollectible.json"));
    let pay = n.value(&seed("000-pay.json"));
    let send = n.value(&seed("000-send.json"));
    assert_eq!(fin["id"], json!("in_1"));
    assert_eq!(other["id"], json!("in_2"));
    assert_eq!(pay["id"], json!("in_1"));
    assert_eq!(pay["lines"]["url"], json!("/v1/invoices/in_1/lines"));
    assert_eq!(send["id"], json!("in_3"));
    assert_eq!(send["lines"]["url"], json!("/v1/invoices/in_3/lines"));
    assert_eq!(other["customer"], fin["customer"]);
    assert_eq!(send["customer"], json!("cus_2"));
    assert_eq!(send["number"], json!("<prefix_2>-0001"));
}

/// The copies under tests/fixtures/normalize_seeds/ (kept so the tests run without ../shared)
/// must stay byte-identical to the project's seeds: a drifted copy would test against the wrong
/// truth.
/// CI always has ../shared beside the clone and sets APIPARITY_REQUIRE_SHARED=1, so there it runs.
#[test]
fn copies_equal_the_shared_seeds() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds/responses");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        crate::support::tools::missing(
            crate::support::tools::Tool::Shared,
            "normalize::seeds",
            &shared.display().to_string(),
        );
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let copy = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/normalize_seeds")
            .join(&name);
        let original = std::fs::read(e.path()).expect("read seed");
        let copied = std::fs::read(&copy).unwrap_or_else(|_| panic!("no copy of {name:?}"));
        assert_eq!(original, copied, "{name:?} differs from its copy");
        n += 1;
    }
    assert_eq!(n, 8, "eight recorded responses");
}
