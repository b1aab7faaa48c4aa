//! Acceptance tests of the normalizer + diff pair: two honest runs of the same flow (other ids,
//! other times, other key order, other JSON formatting) normalize to NO difference, and each
//! kind of real mistake still yields a difference at the right place.

use std::sync::Arc;

use apiparity::diff::{diff, DiffKind, DiffOptions, Difference};
use apiparity::normalize::Normalizer;
use serde_json::{json, Value};

/// The ids of one run: every object gets a fresh random-looking id in Stripe's formats.
struct Ids {
    cus: String,
    cus2: String,
    ii1: String,
    ii2: String,
    price: String,
    prod: String,
    inv: String,
    il1: String,
    il2: String,
    acct: String,
    token: String,
    prefix: String,
}

fn run_a() -> Ids {
    Ids {
        cus: "cus_NeZw0zvTyquTfF".into(),
        cus2: "cus_NeZxJ1c8xIwD2P".into(),
        ii1: "ii_1MtG0nLkdIwHu7ixDqfiUgg8".into(),
        ii2: "ii_1MtG0oLkdIwHu7ixQ2nC0Uqm".into(),
        price: "price_1Mr89PLkdIwHu7ixf5QhiWm2".into(),
        prod: "prod_NcMtLgctyqlJDC".into(),
        inv: "in_1MtGmCLkdIwHu7ix6PgS6g8S".into(),
        il1: "il_1MtG0nLkdIwHu7ix3eCoIIw7".into(),
        il2: "il_1MtG0nLkdIwHu7ixm8Zk3Lq1".into(),
        acct: "acct_1M2JTkLkdIwHu7ix".into(),
        token: "YWNjdF8xTTJKVGtMa2RJd0h1N2l4LF9OZVp3dVBYNnF0dGlvdXRubGVj10200x7P2wMSm".into(),
        prefix: "9545A614".into(),
    }
}

fn run_b() -> Ids {
    Ids {
        cus: "cus_QaXbYc7dEfGhIj".into(),
        cus2: "cus_Zq9RstUvWxYzAb".into(),
        ii1: "ii_1PqR2sTuVwXyZaBcDeFgHiJk".into(),
        ii2: "ii_1PqR2tTuVwXyZaBc9hGfEdCb".into(),
        price: "price_1PqQ00TuVwXyZaBcXyZ12345".into(),
        prod: "prod_QhNvbKwPpLRtGx".into(),
        inv: "in_1PqR3aTuVwXyZaBcLmNoPqRs".into(),
        il1: "il_1PqR3aTuVwXyZaBc0a1b2c3d".into(),
        il2: "il_1PqR3aTuVwXyZaBc4e5f6g7h".into(),
        acct: "acct_1PqPzzTuVwXyZaBc".into(),
        token: "YWNjdF8xUHFQenpUdVZ3WHlaYUJjLF9RYVhiWWM3ZEVmR2hJajEyMzQ10300aBcDeFg".into(),
        prefix: "3AB9C0CA".into(),
    }
}

/// One step: request path, response body.
type Step = (String, Value);

/// A send_invoice flow: two customers, two invoice items, a draft invoice with two lines,
/// finalize, then list the customer's invoice items and retrieve an unknown invoice.
fn flow(ids: &Ids, t0: i64) -> Vec<Step> {
    let customer = |id: &str, email: &str, t: i64| {
        json!({"id": id, "object": "customer", "balance": 0, "created": t, "email": email,
            "invoice_prefix": ids.prefix, "invoice_settings": {"default_payment_method": null},
            "livemode": false, "next_invoice_sequence": 1})
    };
    let item = |id: &str, amount: i64, t: i64| {
        json!({"id": id, "object": "invoiceitem", "amount": amount, "currency": "usd",
            "customer": ids.cus, "date": t, "description": null, "invoice": null,
            "parent": null, "period": {"end": t, "start": t},
            "pricing": {"price_details": {"price": ids.price, "product": ids.prod},
                "type": "price_details", "unit_amount_decimal": amount.to_string()},
            "quantity": 1})
    };
    let line = |id: &str, ii: &str, amount: i64, t: i64| {
        json!({"id": id, "object": "line_item", "amount": amount, "currency": "usd",
            "invoice": ids.inv,
            "parent": {"invoice_item_details": {"invoice_item": ii, "proration": false},
                "type": "invoice_item_details"},
            "period": {"end": t, "start": t}})
    };
    let created = t0 + 2;
    let invoice = |status: &str, finalized: bool| {
        let fin = |v: Value| if finalized { v } else { Value::Null };
        json!({"id": ids.inv, "object": "invoice", "account_name": "Stripe Docs",
            "amount_due": 1599, "amount_paid": 0, "auto_advance": false,
            "collection_method": "send_invoice", "created": created,
            "customer": ids.cus, "due_date": created + 7 * 86400,
            "effective_at": fin(json!(created + 3)),
            "hosted_invoice_url": fin(json!(format!("https://invoice.stripe.com/i/{}/test_{}?s=ap", ids.acct, ids.token))),
            "invoice_pdf": fin(json!(format!("https://pay.stripe.com/invoice/{}/test_{}/pdf?s=ap", ids.acct, ids.token))),
            "lines": {"object": "list", "data": [
                    line(&ids.il1, &ids.ii1, 1099, t0),
                    line(&ids.il2, &ids.ii2, 500, t0 + 1)],
                "has_more": false, "total_count": 2,
                "url": format!("/v1/invoices/{}/lines", ids.inv)},
            "number": fin(json!(format!("{}-0001", ids.prefix))),
            "period_end": created, "period_start": created, "status": status,
            "status_transitions": {"finalized_at": fin(json!(created + 3)),
                "marked_uncollectible_at": null, "paid_at": null, "voided_at": null},
            "webhooks_delivered_at": created})
    };
    vec![
        (
            "/v1/customers".into(),
            customer(&ids.cus, "jenny@example.com", t0 - 5),
        ),
        (
            "/v1/customers".into(),
            customer(&ids.cus2, "other@example.com", t0 - 4),
        ),
        ("/v1/invoiceitems".into(), item(&ids.ii1, 1099, t0)),
        ("/v1/invoiceitems".into(), item(&ids.ii2, 500, t0 + 1)),
        ("/v1/invoices".into(), invoice("draft", false)),
        (
            format!("/v1/invoices/{}/finalize", ids.inv),
            invoice("open", true),
        ),
        (
            format!("/v1/invoiceitems?customer={}", ids.cus),
            json!({"object": "list", "url": "/v1/invoiceitems", "has_more": false,
                "data": [item(&ids.ii2, 500, t0 + 1), item(&ids.ii1, 1099, t0)]}),
        ),
        (
            "/v1/invoices/in_1ZzZzZzZzZzZzZzZzZzZzZzZ".into(),
            json!({"error": {"code": "resource_missing", "param": "invoice",
                "message": "No such invoice: 'in_1ZzZzZzZzZzZzZzZzZzZzZzZ'",
                "request_log_url": "https://dashboard.stripe.com/test/logs/req_AbCdEf123456Gh?t=1",
                "type": "invalid_request_error"}}),
        ),
    ]
}

/// Normalizes a whole run with one Normalizer, as the runner does.
fn normalize(steps: &[Step]) -> Vec<Step> {
    let mut n = Normalizer::new(Arc::new(apiparity::config::default_rules()));
    steps
        .iter()
        .map(|(path, body)| (n.text(path), n.value(body)))
        .collect()
}

/// All differences of run `b` against run `a`, tagged with the step index.
fn compare(a: &[Step], b: &[Step], opts: &DiffOptions) -> Vec<(usize, Difference)> {
    let (na, nb) = (normalize(a), normalize(b));
    assert_eq!(na.len(), nb.len());
    let mut out = Vec::new();
    for (i, ((pa, va), (pb, vb))) in na.iter().zip(&nb).enumerate() {
        if pa != pb {
            out.push((
                i,
                Difference {
                    pointer: "(path)".into(),
                    kind: DiffKind::ValueChanged,
                    expected: Some(json!(pa)),
                    actual: Some(json!(pb)),
                },
            ));
        }
        out.extend(diff(va, vb, opts).into_iter().map(|d| (i, d)));
    }
    out
}

fn reversed_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reversed_keys).collect()),
        _ => v.clone(),
    }
}

const T_A: i64 = 1_680_641_300;
const T_B: i64 = 1_751_234_567;

#[test]
fn honest_runs_normalize_equal() {
    let a = flow(&run_a(), T_A);
    // Other ids, other times, keys in reverse order, compact JSON re-read from text.
    let b: Vec<Step> = flow(&run_b(), T_B)
        .into_iter()
        .map(|(p, v)| {
            let text = serde_json::to_string(&reversed_keys(&v)).unwrap();
            (p, serde_json::from_str(&text).unwrap())
        })
        .collect();
    // And pretty-printed JSON for run a.
    let a: Vec<Step> = a
        .into_iter()
        .map(|(p, v)| {
            let text = serde_json::to_string_pretty(&v).unwrap();
            (p, serde_json::from_str(&text).unwrap())
        })
        .collect();
    let diffs = compare(&a, &b, &apiparity::config::default_diff_options());
    assert!(diffs.is_empty(), "{diffs:#?}");
    let diffs = compare(&a, &b, &DiffOptions::default());
    assert!(diffs.is_empty(), "index mode: {diffs:#?}");
}

#[test]
fn ids_keep_identity_across_steps_and_inside_urls() {
    let n = normalize(&flow(&run_a(), T_A));
    // Customer from step 0 is the invoice's customer in steps 4 and 5.
    assert_eq!(n[0].1["id"], json!("cus_1"));
    assert_eq!(n[1].1["id"], json!("cus_2"));
    assert_eq!(n[4].1["customer"], json!("cus_1"));
    assert_eq!(n[5].1["customer"], json!("cus_1"));
    assert_eq!(n[4].1["id"], json!("in_1"));
    assert_eq!(n[4].1["lines"]["url"], json!("/v1/invoices/in_1/lines"));
    assert_eq!(n[5].0, "/v1/invoices/in_1/finalize");
    assert_eq!(n[6].0, "/v1/invoiceitems?customer=cus_1");
    // Invoice items of steps 2/3 are referenced from the lines and listed in step 6.
    assert_eq!(
        n[4].1["lines"]["data"][1]["parent"]["invoice_item_details"]["invoice_item"],
        json!("ii_2")
    );
    assert_eq!(n[6].1["data"][0]["id"], json!("ii_2"));
    assert_eq!(
        n[5].1["hosted_invoice_url"],
        json!("https://invoice.stripe.com/i/acct_1/test_<token>?s=ap")
    );
    assert_eq!(
        n[5].1["invoice_pdf"],
        json!("https://pay.stripe.com/invoice/acct_1/test_<token>/pdf?s=ap")
    );
    assert_eq!(n[5].1["number"], json!("<prefix_1>-0001"));
    assert_eq!(n[0].1["invoice_prefix"], json!("<prefix_1>"));
    assert_eq!(n[4].1["due_date"], json!("<created+604800>"));
    assert_eq!(
        n[4].1["lines"]["data"][0]["period"]["start"],
        json!("<timestamp>")
    );
    assert_eq!(n[4].1["pricing"], Value::Null);
    assert_eq!(n[2].1["pricing"]["type"], json!("price_details"));
    assert_eq!(n[4].1["collection_method"], json!("send_invoice"));
    assert_eq!(n[7].1["error"]["message"], json!("No such invoice: 'in_2'"));
    assert_eq!(
        n[7].1["error"]["request_log_url"],
        json!("<request_log_url>")
    );
    assert_eq!(n[4].1["account_name"], json!("<account_name>"));
}

/// Applies `mutate` to run b and asserts a difference of `kind` at `pointer` in step `step`.
#[track_caller]
fn assert_caught(
    what: &str,
    opts: &DiffOptions,
    mutate: impl FnOnce(&mut Vec<Step>, &Ids),
    step: usize,
    pointer: &str,
    kind: DiffKind,
) {
    let a = flow(&run_a(), T_A);
    let ids = run_b();
    let mut b = flow(&ids, T_B);
    mutate(&mut b, &ids);
    let diffs = compare(&a, &b, opts);
    assert!(
        diffs
            .iter()
            .any(|(s, d)| *s == step && d.pointer == pointer && d.kind == kind),
        "{what}: expected {kind:?} at step {step} {pointer}, got {diffs:#?}"
    );
}

#[test]
fn an_id_prefix_change_is_caught() {
    assert_caught(
        "cus_ → cust_",
        &apiparity::config::default_diff_options(),
        |b, ids| b[4].1["customer"] = json!(ids.cus.replacen("cus_", "cust_", 1)),
        4,
        "/customer",
        DiffKind::ValueChanged,
    );
}

#[test]
fn null_vs_value_is_caught() {
    assert_caught(
        "hosted_invoice_url null after finalize",
        &apiparity::config::default_diff_options(),
        |b, _| b[5].1["hosted_invoice_url"] = Value::Null,
        5,
        "/hosted_invoice_url",
        DiffKind::TypeChanged,
    );
    assert_caught(
        "number set on a draft",
        &apiparity::config::default_diff_options(),
        |b, ids| b[4].1["number"] = json!(format!("{}-0001", ids.prefix)),
        4,
        "/number",
        DiffKind::TypeChanged,
    );
    assert_caught(
        "effective_at set on a draft",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["effective_at"] = json!(T_B),
        4,
        "/effective_at",
        DiffKind::TypeChanged,
    );
}

#[test]
fn int_vs_string_is_caught() {
    assert_caught(
        "amount_due as a string",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["amount_due"] = json!("1599"),
        4,
        "/amount_due",
        DiffKind::TypeChanged,
    );
    assert_caught(
        "created as a string",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["created"] = json!((T_B + 2).to_string()),
        4,
        "/created",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_wrong_reference_is_caught() {
    assert_caught(
        "invoice points at the second customer",
        &apiparity::config::default_diff_options(),
        |b, ids| b[4].1["customer"] = json!(ids.cus2),
        4,
        "/customer",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "line points at the other invoice item",
        &apiparity::config::default_diff_options(),
        |b, ids| {
            b[5].1["lines"]["data"][0]["parent"]["invoice_item_details"]["invoice_item"] =
                json!(ids.ii2)
        },
        5,
        "/lines/data/0/parent/invoice_item_details/invoice_item",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_changed_enum_value_is_caught() {
    assert_caught(
        "collection_method",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["collection_method"] = json!("charge_automatically"),
        4,
        "/collection_method",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "pricing.type",
        &apiparity::config::default_diff_options(),
        |b, _| b[2].1["pricing"]["type"] = json!("price_detail"),
        2,
        "/pricing/type",
        DiffKind::ValueChanged,
    );
}

fn swap_data(v: &mut Value) {
    if let Some(a) = v["data"].as_array_mut() {
        a.swap(0, 1);
    }
}

#[test]
fn a_changed_list_order_is_caught_in_index_mode() {
    assert_caught(
        "lines swapped (index mode)",
        &DiffOptions::default(),
        |b, _| swap_data(&mut b[4].1["lines"]),
        4,
        "/lines/data/0/amount",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "list swapped (index mode)",
        &DiffOptions::default(),
        |b, _| swap_data(&mut b[6].1),
        6,
        "/data/0/id",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_changed_list_order_is_caught_in_keyed_mode() {
    // The invoice items were created (and numbered) in steps 2-3, so the list's ids are known.
    let a = flow(&run_a(), T_A);
    let mut b = flow(&run_b(), T_B);
    swap_data(&mut b[6].1);
    let diffs = compare(&a, &b, &apiparity::config::default_diff_options());
    assert_eq!(
        diffs,
        vec![(
            6,
            Difference {
                pointer: "/data".into(),
                kind: DiffKind::OrderChanged,
                expected: Some(json!(["ii_2", "ii_1"])),
                actual: Some(json!(["ii_1", "ii_2"])),
            }
        )]
    );
    // Lines are keyed too (`data: id`); their ids are first seen in this very list, so a swap
    // shows as changed elements rather than hiding.
    assert_caught(
        "lines swapped (keyed mode)",
        &apiparity::config::default_diff_options(),
        |b, _| swap_data(&mut b[4].1["lines"]),
        4,
        "/lines/data/0/amount",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_millisecond_timestamp_is_caught() {
    assert_caught(
        "finalized_at in ms",
        &apiparity::config::default_diff_options(),
        |b, _| b[5].1["status_transitions"]["finalized_at"] = json!((T_B + 5) * 1000),
        5,
        "/status_transitions/finalized_at",
        DiffKind::TypeChanged,
    );
    assert_caught(
        "created in ms (due_date then has no plausible base)",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["created"] = json!((T_B + 2) * 1000),
        4,
        "/created",
        DiffKind::TypeChanged,
    );
}

#[test]
fn a_live_url_token_is_caught() {
    assert_caught(
        "live_ token in test mode",
        &apiparity::config::default_diff_options(),
        |b, _| {
            let url = b[5].1["hosted_invoice_url"]
                .as_str()
                .unwrap()
                .replace("/test_", "/live_");
            b[5].1["hosted_invoice_url"] = json!(url);
        },
        5,
        "/hosted_invoice_url",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "other host",
        &apiparity::config::default_diff_options(),
        |b, _| {
            let url = b[5].1["invoice_pdf"]
                .as_str()
                .unwrap()
                .replace("pay.stripe.com", "127.0.0.1:12111");
            b[5].1["invoice_pdf"] = json!(url);
        },
        5,
        "/invoice_pdf",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_wrong_due_date_offset_is_caught() {
    assert_caught(
        "due date 6 days instead of 7",
        &apiparity::config::default_diff_options(),
        |b, _| b[4].1["due_date"] = json!(T_B + 2 + 6 * 86400),
        4,
        "/due_date",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "period_start one second off created",
        &apiparity::config::default_diff_options(),
        |b, _| b[5].1["period_start"] = json!(T_B + 3),
        5,
        "/period_start",
        DiffKind::ValueChanged,
    );
}

#[test]
fn a_different_sequence_or_missing_field_is_caught() {
    assert_caught(
        "number sequence",
        &apiparity::config::default_diff_options(),
        |b, ids| b[5].1["number"] = json!(format!("{}-0002", ids.prefix)),
        5,
        "/number",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "number prefix differs from the customer's invoice_prefix",
        &apiparity::config::default_diff_options(),
        |b, _| b[5].1["number"] = json!("ABCDEF12-0001"),
        5,
        "/number",
        DiffKind::ValueChanged,
    );
    assert_caught(
        "missing total_count",
        &apiparity::config::default_diff_options(),
        |b, _| {
            b[4].1["lines"]
                .as_object_mut()
                .unwrap()
                .remove("total_count");
        },
        4,
        "/lines/total_count",
        DiffKind::Missing,
    );
}

#[test]
fn placeholder_numbers_do_not_depend_on_key_order() {
    let rules = Arc::new(apiparity::config::default_rules());
    let a = json!({"b": "cus_NeZw0zvTyquTfF", "a": "cus_QaXbYc7dEfGhIj", "c": {"z": "in_1MtGmCLkdIwHu7ix6PgS6g8S", "y": "in_1PqR3aTuVwXyZaBcLmNoPqRs"}});
    let b = json!({"c": {"y": "in_1PqR3aTuVwXyZaBcLmNoPqRs", "z": "in_1MtGmCLkdIwHu7ix6PgS6g8S"}, "a": "cus_QaXbYc7dEfGhIj", "b": "cus_NeZw0zvTyquTfF"});
    let na = Normalizer::new(rules.clone()).value(&a);
    let nb = Normalizer::new(rules).value(&b);
    assert_eq!(
        na,
        json!({"a": "cus_1", "b": "cus_2", "c": {"y": "in_1", "z": "in_2"}})
    );
    assert!(diff(&na, &nb, &apiparity::config::default_diff_options()).is_empty());
    // The output keeps the input's key order.
    let keys: Vec<&String> = na.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["b", "a", "c"]);
}
