//! API versions: each renders its own shape, legacy defaults, and the seed-000 examples.

use serde_json::Value;

use super::{id, Api, PRE_BASIL};

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// Basil as recorded in April 2025 (2025-03-31.basil, `Apiparity-As-Of: 2025-04-29`) and the
/// pre-basil 2023-10-16 shape of the same invoice.
#[tokio::test]
async fn versions_render_their_own_shape() {
    let api = Api::start().await;
    let basil_then = api.at("2025-03-31.basil", "2025-04-29");
    let old = api.at(PRE_BASIL, "2024-02-01");
    let inv = api.open_invoice(1099, &[]).await;
    let basil = basil_then.invoice(&inv).await;
    let legacy = old.invoice(&inv).await;
    let bk = keys(&basil);
    let lk = keys(&legacy);
    assert_eq!(bk.len(), 73);
    assert_eq!(&bk[..2], ["id", "object"]);
    let mut sorted = bk[2..].to_vec();
    sorted.sort();
    assert_eq!(bk[2..], sorted[..], "id, object, then alphabetical");
    let only_basil: Vec<&String> = bk.iter().filter(|k| !lk.contains(k)).collect();
    let only_legacy: Vec<&String> = lk.iter().filter(|k| !bk.contains(k)).collect();
    assert_eq!(
        only_basil,
        [
            "amount_overpaid",
            "automatically_finalizes_at",
            "parent",
            "total_pretax_credit_amounts",
            "total_taxes"
        ]
    );
    assert_eq!(
        only_legacy,
        [
            "application_fee_amount",
            "charge",
            "discount",
            "paid",
            "paid_out_of_band",
            "payment_intent",
            "quote",
            "rendering_options",
            "subscription",
            "subscription_details",
            "tax",
            "total_tax_amounts",
            "transfer_data"
        ]
    );
    // Seed comparison: every key of the recorded examples is present.
    for (file, k) in [("001-finalize.json", &bk), ("000-finalize.json", &lk)] {
        let path = format!(
            "{}/../shared/seeds/responses/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let Ok(text) = std::fs::read_to_string(&path) else {
            crate::support::tools::missing(
                crate::support::tools::Tool::Shared,
                "mock::versions",
                &path,
            );
            continue;
        };
        let seed: Value = serde_json::from_str(&text).unwrap();
        for key in keys(&seed) {
            assert!(k.contains(&key), "{file}: {key} missing");
        }
    }
    // Recorded: `rendering` is an object, `auto` on drafts, `letter` once finalized;
    // automatic_tax has disabled_reason and provider by April 2025.
    assert_eq!(basil["rendering"]["pdf"]["page_size"], "letter");
    assert_eq!(
        keys(&basil["automatic_tax"]),
        [
            "disabled_reason",
            "enabled",
            "liability",
            "provider",
            "status"
        ]
    );
    assert_eq!(
        keys(&legacy["automatic_tax"]),
        ["enabled", "liability", "status"]
    );
    assert_eq!(
        legacy["subscription_details"],
        serde_json::json!({"metadata": null})
    );
    assert_eq!(legacy["paid"], false);
    assert_eq!(legacy["charge"], Value::Null);
    let paid = old
        .action(&inv, "pay", &[("payment_method", "pm_card_visa")])
        .await
        .ok();
    assert_eq!(paid["paid"], true);
    assert!(paid["charge"].as_str().unwrap().starts_with("ch_"));
    assert!(paid["payment_intent"].as_str().unwrap().starts_with("pi_"));
    assert!(paid.get("parent").is_none());
    // Line shapes: basil has no top-level `subscription` (recorded), pre-basil has it.
    let bl = &basil["lines"]["data"][0];
    assert_eq!(bl["parent"]["type"], "invoice_item_details");
    assert!(bl["pricing"]["price_details"]["price"]
        .as_str()
        .unwrap()
        .starts_with("price_"));
    assert!(bl.get("price").is_none() && bl.get("subscription").is_none());
    assert!(
        bl.get("subtotal").is_none(),
        "line subtotal arrives in December 2025"
    );
    assert_eq!(bl["invoice"], basil["id"]);
    let ll = &legacy["lines"]["data"][0];
    assert_eq!(ll["price"]["object"], "price");
    assert_eq!(
        ll["price"]["active"], false,
        "one-off prices are inactive (recorded)"
    );
    assert_eq!(ll["price"]["unit_amount"], 1099);
    assert_eq!(ll["type"], "invoiceitem");
    assert_eq!(ll["invoice"], legacy["id"]);
    assert_eq!(ll["plan"], Value::Null);
    assert_eq!(ll["subscription"], Value::Null);
    assert!(ll.get("parent").is_none());
    // Expansions per version.
    let path = format!("/v1/invoices/{}", id(&inv));
    let x = api
        .get(
            &path,
            &[
                ("expand[]", "lines.data.pricing.price_details.price"),
                ("expand[]", "customer"),
            ],
        )
        .await
        .ok();
    assert_eq!(
        x["lines"]["data"][0]["pricing"]["price_details"]["price"]["object"],
        "price"
    );
    assert_eq!(x["customer"]["object"], "customer");
    let x = old
        .get(&path, &[("expand[0]", "lines.data.price.product")])
        .await
        .ok();
    assert_eq!(
        x["lines"]["data"][0]["price"]["product"]["object"],
        "product"
    );
    // pre-2024-04-10 has rendering_options; acacia does not.
    let acacia = api.at_version("2024-09-30.acacia").invoice(&inv).await;
    assert!(acacia.get("rendering_options").is_none());
    assert!(acacia.get("paid").is_some());
}

/// Additive fields follow the calendar, breaking ones the version (docs/mock.md).
#[tokio::test]
async fn additive_fields_follow_the_as_of_date() {
    let api = Api::start().await;
    let inv = api.open_invoice(500, &[]).await;
    let line = |v: &Value| v["lines"]["data"][0].clone();
    let nov = api
        .at("2025-10-29.clover", "2025-11-10")
        .invoice(&inv)
        .await;
    let dec = api
        .at("2025-10-29.clover", "2025-12-15")
        .invoice(&inv)
        .await;
    assert!(line(&nov).get("subtotal").is_none() && nov.get("customer_account").is_none());
    assert_eq!(line(&dec)["subtotal"], 500);
    assert_eq!(dec["customer_account"], Value::Null);
    assert!(line(&dec).get("quantity_decimal").is_none());
    // "Stripe today" (no header) at an old version has every addition, but keeps its shape.
    let today = api.at_version("2024-06-20").invoice(&inv).await;
    assert_eq!(line(&today)["quantity_decimal"], "1");
    assert_eq!(today["amount_overpaid"], 0);
    assert_eq!(today["paid"], false);
    // 2024-06-20 as recorded in August 2024: no pretax credits, no basil additions, no
    // rendering template.
    let aug = api.at("2024-06-20", "2024-08-10").invoice(&inv).await;
    assert!(aug.get("total_pretax_credit_amounts").is_none() && aug.get("parent").is_none());
    assert_eq!(keys(&aug["rendering"]), ["amount_tax_display", "pdf"]);
    assert_eq!(
        keys(&aug["automatic_tax"]),
        ["enabled", "liability", "status"]
    );
    // The default is the newest version, as of the newest modelled date.
    let r = api.get(&format!("/v1/invoices/{}", id(&inv)), &[]).await;
    assert_eq!(r.header("stripe-version").unwrap(), "2026-10-28.endive");
    let body = r.ok();
    assert_eq!(
        line(&body)["parent"]["license_fee_subscription_details"],
        Value::Null
    );
}

#[tokio::test]
async fn versions_and_as_of_are_validated() {
    let api = Api::start().await;
    for bad in [
        "2025-03-31",
        "2025-03-31.clover",
        "2026-11-25.endive",
        "basil",
        "2025-13-01",
    ] {
        let r = api.at_version(bad).get("/v1/invoices", &[]).await;
        let e = r.err(400);
        assert_eq!(e["message"], format!("Invalid Stripe API version: {bad}"));
        assert!(e.get("code").is_none() && e.get("param").is_none());
    }
    // A real but unmodelled older version: a clear refusal, never another version's shape.
    let r = api.at_version("2022-11-15").get("/v1/invoices", &[]).await;
    let m = r.err(400)["message"].as_str().unwrap().to_string();
    assert!(
        m.contains("does not model Stripe API version 2022-11-15"),
        "{m}"
    );
    assert!(
        m.contains("2023-10-16") && m.contains("2026-10-28.endive"),
        "{m}"
    );
    let r = api
        .at("2025-03-31.basil", "2025-02-30")
        .get("/v1/invoices", &[])
        .await;
    let e = r.err(400);
    assert_eq!(e["param"], "Apiparity-As-Of");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid Apiparity-As-Of header"));
    let r = api
        .at("2025-03-31.basil", "2025-01-01")
        .get("/v1/invoices", &[])
        .await;
    assert!(r.err(400)["message"]
        .as_str()
        .unwrap()
        .contains("before Stripe API version 2025-03-31.basil was released"));
    assert!(
        api.at("2025-03-31.basil", "2025-03-31")
            .get("/v1/invoices", &[])
            .await
            .status
            == 200
    );
}

/// Operations a version does not have answer 404 `Unrecognized request URL`; `upcoming` is never
/// an invoice id.
#[tokio::test]
async fn operations_follow_the_version() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 300).await;
    let old = api.at_version("2024-06-20");
    let up = old
        .get("/v1/invoices/upcoming", &[("customer", &cus)])
        .await
        .ok();
    assert_eq!(up["object"], "invoice");
    assert!(up.get("id").is_none());
    assert_eq!(up["amount_due"], 300);
    assert!(up["lines"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("il_tmp_"));
    let e = old.get("/v1/invoices/upcoming", &[]).await;
    assert_eq!(
        e.err(400)["message"],
        "You must either provide a `customer` or a `subscription` to the upcoming invoice endpoint."
    );
    for (v, method, path) in [
        (
            "2025-03-31.basil",
            reqwest::Method::GET,
            "/v1/invoices/upcoming",
        ),
        (
            "2025-03-31.basil",
            reqwest::Method::GET,
            "/v1/invoices/upcoming/lines",
        ),
        (
            "2023-10-16",
            reqwest::Method::POST,
            "/v1/invoices/create_preview",
        ),
        (
            "2024-04-10",
            reqwest::Method::POST,
            "/v1/invoices/in_123/add_lines",
        ),
        (
            "2024-12-18.acacia",
            reqwest::Method::GET,
            "/v1/invoice_payments",
        ),
        (
            "2025-04-30.basil",
            reqwest::Method::POST,
            "/v1/invoices/in_123/attach_payment",
        ),
    ] {
        let r = api.at_version(v).raw(method.clone(), path, &[], &[]).await;
        let e = r.err(404);
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with("Unrecognized request URL"),
            "{v} {path}: {e}"
        );
    }
    let pv = api
        .post("/v1/invoices/create_preview", &[("customer", &cus)])
        .await
        .ok();
    assert!(pv["id"].as_str().unwrap().starts_with("upcoming_in_"));
    assert_eq!(pv["total"], 300);
    // Previews are not stored.
    assert_eq!(
        api.get("/v1/invoices", &[("customer", &cus)]).await.ok()["data"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn out_of_band_amount_paid_differs_pre_basil() {
    let api = Api::start().await;
    let inv = api.open_invoice(800, &[]).await;
    api.action(&inv, "pay", &[("paid_out_of_band", "true")])
        .await
        .ok();
    let legacy = api.at_version(PRE_BASIL).invoice(&inv).await;
    assert_eq!(legacy["paid_out_of_band"], true);
    assert_eq!(legacy["amount_paid"], 0);
    assert_eq!(api.invoice(&inv).await["amount_paid"], 800);
}

/// `include_and_require` (accepted until 2024-04-10) fails without pending items (E24); the
/// default has been `exclude` since 2022-08-01.
#[tokio::test]
async fn include_and_require_needs_pending_items() {
    let api = Api::start().await;
    let old = api.at_version(PRE_BASIL);
    let cus = api.customer(&[]).await;
    let require = [
        ("customer", cus.as_str()),
        ("pending_invoice_items_behavior", "include_and_require"),
    ];
    let e = old.post("/v1/invoices", &require).await;
    let e = e.err(400);
    assert_eq!(e["message"], "Nothing to invoice for customer");
    assert_eq!(e["code"], "invoice_no_customer_line_items");
    api.item(&cus, 100).await;
    let inv = old.post("/v1/invoices", &require).await.ok();
    assert_eq!(inv["subtotal"], 100);
    let e = api
        .at_version("2024-04-10")
        .post("/v1/invoices", &require)
        .await;
    assert_eq!(
        e.err(400)["message"],
        "Invalid pending_invoice_items_behavior: must be one of exclude or include"
    );
    api.item(&cus, 100).await;
    let inv = old
        .post("/v1/invoices", &[("customer", cus.as_str())])
        .await
        .ok();
    assert_eq!(inv["subtotal"], 0);
}

fn seed(file: &str) -> Option<Value> {
    let path = format!(
        "{}/../shared/seeds/responses/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("seed is JSON")),
        Err(_) => {
            crate::support::tools::missing(
                crate::support::tools::Tool::Shared,
                "mock::versions",
                &path,
            );
            None
        }
    }
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k = keys(v);
    k.sort();
    k
}

/// Seed 000's mark_uncollectible example replayed at its version: same keys (less the legacy
/// `closed`/`forgiven`, plus the four fields the published examples omit), same line and price
/// shapes, same money.
#[tokio::test]
async fn pre_basil_shapes_match_seed_000() {
    let Some(seed) = seed("000-mark_uncollectible.json") else {
        return;
    };
    let api = Api::start().await;
    // Seed 000 is a docs snapshot from early 2024 (reference §3.5).
    let old = api.at(PRE_BASIL, "2024-02-01");
    let cus = api
        .customer(&[
            ("balance", "-500"),
            ("tax_id_data[0][type]", "eu_vat"),
            ("tax_id_data[0][value]", "DE123456789"),
            ("tax_id_data[1][type]", "eu_vat"),
            ("tax_id_data[1][value]", "DE123456781"),
        ])
        .await;
    api.item(&cus, 1099).await;
    let inv = api.draft(&cus, &[]).await;
    old.action(&inv, "finalize", &[]).await.ok();
    let got = old.action(&inv, "mark_uncollectible", &[]).await.ok();

    let mut want: Vec<String> = sorted_keys(&seed)
        .into_iter()
        .filter(|k| k != "closed" && k != "forgiven")
        .collect();
    // The examples omit these default-response fields (§3.5); `subscription_details` and the
    // line's `invoice`/`plan` are in the 2023-10-16 SDK and in every recorded pre-basil body.
    want.extend(["effective_at", "rendering", "subscription_details"].map(String::from));
    want.sort();
    assert_eq!(sorted_keys(&got), want);
    let (sl, gl) = (&seed["lines"]["data"][0], &got["lines"]["data"][0]);
    let mut want_line = sorted_keys(sl);
    want_line.extend(["invoice", "plan"].map(String::from));
    want_line.sort();
    assert_eq!(sorted_keys(gl), want_line, "line item shape");
    assert_eq!(
        sorted_keys(&gl["price"]),
        sorted_keys(&sl["price"]),
        "price shape"
    );
    for k in [
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "starting_balance",
        "subtotal",
        "total",
        "subtotal_excluding_tax",
        "total_excluding_tax",
        "customer_tax_ids",
        "customer_email",
        "customer_name",
        "billing_reason",
        "collection_method",
        "status",
        "issuer",
        "payment_settings",
        "paid",
        "paid_out_of_band",
        "attempted",
        "attempt_count",
    ] {
        assert_eq!(got[k], seed[k], "{k}");
    }
    for k in [
        "amount",
        "amount_excluding_tax",
        "currency",
        "description",
        "quantity",
        "type",
        "unit_amount_excluding_tax",
        "proration_details",
        "discountable",
    ] {
        assert_eq!(gl[k], sl[k], "line {k}");
    }
    // Where the published example is hand-edited (§3.6), the mock follows the behaviour.
    assert_eq!(got["ending_balance"], 0);
    assert!(got["number"].is_string());
    assert!(got["status_transitions"]["marked_uncollectible_at"].is_i64());
}

/// Seeds 000/001 finalize examples: a $0 send_invoice invoice with days_until_due 7.
#[tokio::test]
async fn zero_amount_finalize_matches_seeds() {
    let (Some(new), Some(old_seed)) = (seed("001-finalize.json"), seed("000-finalize.json")) else {
        return;
    };
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let draft = api
        .draft(
            &cus,
            &[
                ("collection_method", "send_invoice"),
                ("days_until_due", "7"),
            ],
        )
        .await;
    let basil = api
        .at("2025-03-31.basil", "2025-04-01")
        .action(&draft, "finalize", &[])
        .await
        .ok();
    let legacy = api.at(PRE_BASIL, "2024-02-01").invoice(&draft).await;
    for (got, want) in [(&basil, &new), (&legacy, &old_seed)] {
        for k in keys(want) {
            let (g, w) = (&got[&k], &want[&k]);
            match k.as_str() {
                // Ids, times, URLs and numbers vary per run (§9); compare their shape.
                "id"
                | "customer"
                | "created"
                | "due_date"
                | "period_end"
                | "period_start"
                | "webhooks_delivered_at"
                | "hosted_invoice_url"
                | "invoice_pdf"
                | "number" => {
                    assert_eq!(g.is_null(), w.is_null(), "{k}");
                }
                "status_transitions" => {
                    assert_eq!(g["finalized_at"], g["paid_at"]);
                    assert_eq!(g["voided_at"], Value::Null);
                }
                "lines" => {
                    assert_eq!(sorted_keys(g), sorted_keys(w));
                    assert_eq!(g["total_count"], 0);
                }
                // The examples show 3 keys; `disabled_reason` shipped in December 2024 (recorded
                // at acacia in March 2025), so basil has it.
                "automatic_tax" => {
                    for x in ["enabled", "liability", "status"] {
                        assert_eq!(g[x], w[x], "automatic_tax.{x}");
                    }
                }
                _ => assert_eq!(g, w, "{k}"),
            }
        }
        assert_eq!(
            got["due_date"].as_i64().unwrap() - got["created"].as_i64().unwrap(),
            604_800
        );
    }
}

/// The server-wide as-of (`MockOptions::as_of`, `apiparity mock --as-of`), overridden per
/// request by `Apiparity-As-Of`; account options.
#[tokio::test]
async fn server_options_set_the_date_and_the_account() {
    let api = Api::start_with(apiparity::mock::MockOptions {
        as_of: Some(apiparity::mock::AsOf::parse("2025-11-10").unwrap()),
        webhook_endpoints: true,
        account_country: "CA".into(),
        ..Default::default()
    })
    .await;
    let inv = api.open_invoice(500, &[]).await;
    // Without Stripe-Version: the newest version released by then.
    let r = api.get(&format!("/v1/invoices/{}", id(&inv)), &[]).await;
    assert_eq!(r.header("stripe-version").unwrap(), "2025-10-29.clover");
    let at = api.at_version("2025-10-29.clover").invoice(&inv).await;
    assert!(at["lines"]["data"][0].get("subtotal").is_none());
    assert_eq!(at["account_country"], "CA");
    assert_eq!(at["webhooks_delivered_at"], Value::Null);
    let later = api
        .at("2025-10-29.clover", "2025-12-20")
        .invoice(&inv)
        .await;
    assert_eq!(later["lines"]["data"][0]["subtotal"], 500);
    // The server's date is before basil-era versions' release: refused, not moved.
    let r = api
        .at_version("2026-03-25.dahlia")
        .get("/v1/invoices", &[])
        .await;
    assert!(r.err(400)["message"].as_str().unwrap().contains(
        "The mock's --as-of date 2025-11-10 is before Stripe API version 2026-03-25.dahlia"
    ));
}

#[tokio::test]
async fn mock_command_validates_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["mock", "--as-of", "2025-02-30"], "--as-of"),
        (
            vec!["mock", "--account-country", "usa"],
            "--account-country",
        ),
    ] {
        let out = crate::support::bin::apiparity(dir.path(), &args, &[]).await;
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}

/// The account headers a scenario's `account:` sends (the embedded mock only): honoured for
/// that one request over the server's options, refused with the header named when malformed.
#[tokio::test]
async fn account_headers_set_the_account_per_request() {
    use reqwest::Method;
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let canadian = [
        ("Apiparity-Account-Country", "CA"),
        ("Apiparity-Account-Currency", "cad"),
        ("Apiparity-Webhook-Endpoints", "true"),
    ];
    let inv = api
        .raw(
            Method::POST,
            "/v1/invoices",
            &[("customer", &cus)],
            &canadian,
        )
        .await
        .ok();
    assert_eq!(inv["account_country"], "CA");
    assert_eq!(inv["currency"], "cad");
    assert_eq!(inv["webhooks_delivered_at"], Value::Null);
    // The next request without them: the server's own account (US, usd, no endpoints).
    let plain = api.draft(&cus, &[]).await;
    assert_eq!(plain["account_country"], "US");
    assert_eq!(plain["currency"], "usd");
    assert!(plain["webhooks_delivered_at"].is_i64(), "{plain}");
    // An explicit currency still wins over the account's default.
    let eur = api
        .raw(
            Method::POST,
            "/v1/invoices",
            &[("customer", &cus), ("currency", "eur")],
            &canadian,
        )
        .await
        .ok();
    assert_eq!(eur["currency"], "eur");
    // Another account's id: the invoices it finalizes name it in their URLs, for good.
    let other = "acct_1SkAmiH7zmouMIBX";
    let theirs = api.draft(&cus, &[]).await;
    let path = format!("/v1/invoices/{}/finalize", theirs["id"].as_str().unwrap());
    let open = api
        .raw(Method::POST, &path, &[], &[("Apiparity-Account-Id", other)])
        .await
        .ok();
    for key in ["hosted_invoice_url", "invoice_pdf"] {
        let url = open[key].as_str().unwrap();
        assert!(url.contains(&format!("/{other}/test_")), "{key}: {url}");
    }
    let again = api
        .raw(
            Method::GET,
            &format!("/v1/invoices/{}", theirs["id"].as_str().unwrap()),
            &[],
            &[],
        )
        .await
        .ok();
    assert_eq!(again["hosted_invoice_url"], open["hosted_invoice_url"]);
    let ours = api.draft(&cus, &[]).await;
    let path = format!("/v1/invoices/{}/finalize", ours["id"].as_str().unwrap());
    let open = api.raw(Method::POST, &path, &[], &[]).await.ok();
    assert!(
        open["hosted_invoice_url"]
            .as_str()
            .unwrap()
            .contains("/acct_1MoCk0ApPrtyMck0/test_"),
        "{open}"
    );
    for (name, bad) in [
        ("Apiparity-Account-Id", "acct_123"),
        ("Apiparity-Account-Country", "ca"),
        ("Apiparity-Account-Currency", "CAD"),
        ("Apiparity-Webhook-Endpoints", "yes"),
    ] {
        let r = api
            .raw(Method::GET, "/v1/invoices", &[], &[(name, bad)])
            .await;
        let e = r.err(400);
        assert_eq!(e["param"], name, "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains(&format!("Invalid {name} header")),
            "{e}"
        );
    }
}
