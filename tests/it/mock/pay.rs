//! `/pay`: out of band, by card, declines, the default payment method, concurrent pays.

use serde_json::Value;

use super::{id, isnt_open, Api, KEY, PRE_BASIL};

#[tokio::test]
async fn pay_out_of_band_then_refusals() {
    let api = Api::start().await;
    let inv = api.open_invoice(1500, &[]).await;
    let paid = api
        .action(&inv, "pay", &[("paid_out_of_band", "true")])
        .await
        .ok();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount_paid"], 1500);
    assert_eq!(paid["amount_remaining"], 0);
    assert_eq!(paid["attempted"], false, "out of band is not an attempt");
    assert_eq!(paid["auto_advance"], false);
    assert!(paid["status_transitions"]["paid_at"].is_i64());
    let e = api.action(&inv, "pay", &[]).await;
    let e = e.err(400);
    assert_eq!(e["message"], "Invoice is already paid");
    assert!(e.get("code").is_none());
    isnt_open(api.action(&inv, "mark_uncollectible", &[]).await.err(400));
    assert_eq!(
        api.action(&inv, "void", &[]).await.err(400)["message"],
        "Invoices with `paid` payments cannot be voided."
    );
    // Pre-basil wording of E10.
    let old = api.at_version(PRE_BASIL);
    isnt_open(old.action(&inv, "void", &[]).await.err(400));
    assert_eq!(
        api.delete(&format!("/v1/invoices/{}", id(&inv)))
            .await
            .err(400)["message"],
        "You can only delete draft invoices."
    );
}

#[tokio::test]
async fn pay_by_card_and_declines() {
    let api = Api::start().await;
    let inv = api.open_invoice(2000, &[]).await;
    let paid = api
        .action(&inv, "pay", &[("payment_method", "pm_card_visa")])
        .await
        .ok();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["attempted"], true);
    assert_eq!(paid["attempt_count"], 1);
    assert_eq!(paid["amount_paid"], 2000);
    assert_eq!(paid["amount_remaining"], 0);

    let inv = api.open_invoice(2000, &[]).await;
    for (n, pm) in [
        (1, "pm_card_chargeDeclined"),
        (2, "pm_card_chargeCustomerFail"),
    ] {
        let r = api.action(&inv, "pay", &[("payment_method", pm)]).await;
        let e = r.err(402);
        assert_eq!(e["type"], "card_error");
        assert_eq!(e["code"], "card_declined");
        assert_eq!(e["decline_code"], "generic_decline");
        assert_eq!(e["message"], "Your card was declined.");
        // Recorded alongside (zulip, 2025-11-17.clover).
        assert_eq!(e["advice_code"], "try_again_later");
        assert_eq!(e["network_decline_code"], "01");
        let now = api.invoice(&inv).await;
        assert_eq!(now["status"], "open");
        assert_eq!(now["attempted"], true);
        assert_eq!(now["attempt_count"], n);
        assert_eq!(now["amount_paid"], 0);
    }
    let paid = api
        .action(&inv, "pay", &[("payment_method", "pm_card_visa")])
        .await
        .ok();
    assert_eq!(paid["attempt_count"], 3);
    assert_eq!(paid["status"], "paid");
    let e = api.action(&inv, "pay", &[("payment_method", "nope")]).await;
    assert_eq!(e.err(400)["message"], "Invoice is already paid");
}

#[tokio::test]
async fn pay_uses_customer_default_payment_method() {
    let api = Api::start().await;
    let cus = api
        .customer(&[("invoice_settings[default_payment_method]", "pm_card_visa")])
        .await;
    api.item(&cus, 700).await;
    let draft = api.draft(&cus, &[]).await;
    // /pay on a draft finalizes first.
    let paid = api.action(&draft, "pay", &[]).await.ok();
    assert_eq!(paid["status"], "paid");
    assert!(paid["number"].as_str().unwrap().ends_with("-0001"));
    let t = &paid["status_transitions"];
    assert_eq!(t["finalized_at"], t["paid_at"]);
    assert_eq!(paid["effective_at"], t["finalized_at"]);
    assert_eq!(paid["attempt_count"], 1);
}

#[tokio::test]
async fn pay_without_payment_method_is_refused_without_side_effects() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 700).await;
    let draft = api.draft(&cus, &[]).await;
    let e = api.action(&draft, "pay", &[]).await;
    assert!(e.err(400)["message"]
        .as_str()
        .unwrap()
        .starts_with("This customer has no attached payment source or default payment method."));
    assert_eq!(api.invoice(&draft).await["status"], "draft");
    // Void invoices cannot be paid (E5).
    let inv = api.open_invoice(100, &[]).await;
    api.action(&inv, "void", &[]).await.ok();
    isnt_open(
        api.action(&inv, "pay", &[("paid_out_of_band", "true")])
            .await
            .err(400),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pays_pay_once() {
    let api = Api::start().await;
    let inv = api.open_invoice(4200, &[]).await;
    let path = format!("/v1/invoices/{}/pay", id(&inv));
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let url = format!("{}{path}", api.base);
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("Authorization", format!("Bearer {KEY}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("paid_out_of_band=true")
                .send()
                .await
                .expect("reaches the mock");
            let status = r.status().as_u16();
            let body: Value =
                serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
            (status, body)
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, body) = t.await.expect("task");
        match status {
            200 => ok += 1,
            400 => {
                assert_eq!(body["error"]["message"], "Invoice is already paid");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, refused), (1, 199));
    let now = api.invoice(&inv).await;
    assert_eq!(now["status"], "paid");
    assert_eq!(now["amount_paid"], now["amount_due"]);
    assert_eq!(now["amount_remaining"], 0);
}

/// Attaching a test card (`POST /v1/payment_methods/pm_card_visa/attach`, recorded: pay-rails)
/// mints a card payment method on the customer; made the customer's default, a pay uses it.
/// Declining test cards keep declining; anything else is refused as Stripe would.
#[tokio::test]
async fn an_attached_test_card_pays_as_the_default() {
    let api = Api::start().await;
    let inv = api.open_invoice(1000, &[]).await;
    let cus = inv["customer"].as_str().unwrap().to_string();
    let pm = api
        .post(
            "/v1/payment_methods/pm_card_visa/attach",
            &[("customer", &cus)],
        )
        .await
        .ok();
    assert_eq!(pm["object"], "payment_method");
    assert_eq!(pm["customer"], cus.as_str());
    assert_eq!(pm["card"]["brand"], "visa");
    assert_eq!(pm["card"]["last4"], "4242");
    let pm_id = id(&pm);
    assert!(
        pm_id.starts_with("pm_1") && pm_id != "pm_card_visa",
        "{pm_id}"
    );
    // Before it is the default, a pay has no card to use.
    assert_eq!(
        api.action(&inv, "pay", &[]).await.err(400)["param"],
        Value::Null
    );
    api.post(
        &format!("/v1/customers/{cus}"),
        &[("invoice_settings[default_payment_method]", &pm_id)],
    )
    .await
    .ok();
    let paid = api.action(&inv, "pay", &[]).await.ok();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["attempt_count"], 1);

    let declining = api
        .post(
            "/v1/payment_methods/pm_card_chargeDeclined/attach",
            &[("customer", &cus)],
        )
        .await
        .ok();
    let inv = api.open_invoice(1000, &[]).await;
    let r = api
        .action(&inv, "pay", &[("payment_method", &id(&declining))])
        .await;
    assert_eq!(r.err(402)["code"], "card_declined");

    let e = api
        .post(
            "/v1/payment_methods/pm_nope1234567/attach",
            &[("customer", &cus)],
        )
        .await;
    assert_eq!(
        e.err(404)["message"],
        "No such PaymentMethod: 'pm_nope1234567'"
    );
    let e = api
        .post(
            "/v1/payment_methods/pm_card_visa/attach",
            &[("customer", "cus_nope1234567")],
        )
        .await;
    assert_eq!(e.err(400)["param"], "customer");
    let e = api
        .post("/v1/payment_methods/pm_card_visa/attach", &[])
        .await;
    assert_eq!(e.err(400)["param"], "customer");
}
