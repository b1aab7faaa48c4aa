//! Invoice transitions and their refusals (reference §4.3), invoice items on drafts, customers.

use serde_json::Value;

use super::{id, isnt_open, Api};

#[tokio::test]
async fn finalize_applies_credit_balance_and_numbers() {
    let api = Api::start().await;
    let cus = api
        .customer(&[
            ("balance", "-500"),
            ("tax_id_data[0][type]", "eu_vat"),
            ("tax_id_data[0][value]", "DE123456789"),
        ])
        .await;
    let item = api.item(&cus, 1099).await;
    assert!(item["id"].as_str().unwrap().starts_with("ii_"));
    let draft = api.draft(&cus, &[]).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["number"], Value::Null);
    assert_eq!(draft["hosted_invoice_url"], Value::Null);
    assert_eq!(draft["invoice_pdf"], Value::Null);
    assert_eq!(draft["ending_balance"], Value::Null);
    assert_eq!(draft["effective_at"], Value::Null);
    assert_eq!(draft["starting_balance"], -500);
    assert_eq!(draft["subtotal"], 1099);
    assert_eq!(draft["lines"]["total_count"], 1);
    assert_eq!(draft["customer_tax_ids"][0]["value"], "DE123456789");
    assert_eq!(draft["webhooks_delivered_at"], draft["created"]);
    assert_eq!(draft["period_start"], draft["created"]);
    assert_eq!(draft["period_end"], draft["created"]);

    let inv = api.action(&draft, "finalize", &[]).await.ok();
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["total"], 1099);
    assert_eq!(inv["amount_due"], 599);
    assert_eq!(inv["amount_remaining"], 599);
    assert_eq!(inv["amount_paid"], 0);
    assert_eq!(inv["starting_balance"], -500);
    assert_eq!(inv["ending_balance"], 0);
    assert_eq!(inv["attempted"], false);
    assert_eq!(inv["attempt_count"], 0);
    let finalized_at = inv["status_transitions"]["finalized_at"].as_i64().unwrap();
    assert_eq!(inv["effective_at"], finalized_at);
    let customer = api.get(&format!("/v1/customers/{cus}"), &[]).await.ok();
    assert_eq!(customer["balance"], 0);
    let prefix = customer["invoice_prefix"].as_str().unwrap();
    assert_eq!(prefix.len(), 8);
    assert!(prefix
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    assert_eq!(inv["number"], format!("{prefix}-0001"));
    let url = inv["hosted_invoice_url"].as_str().unwrap();
    assert!(url.starts_with("https://invoice.stripe.com/i/acct_1") && url.ends_with("?s=ap"));
    assert!(url.contains("/test_"));
    let pdf = inv["invoice_pdf"].as_str().unwrap();
    assert!(pdf.starts_with("https://pay.stripe.com/invoice/acct_1") && pdf.ends_with("/pdf?s=ap"));
    // The URL token is stable per invoice, and the customer copies are frozen now.
    api.post(&format!("/v1/customers/{cus}"), &[("name", "Renamed")])
        .await
        .ok();
    let again = api.invoice(&inv).await;
    assert_eq!(again["hosted_invoice_url"], inv["hosted_invoice_url"]);
    assert_eq!(again["customer_name"], "Jenny Rosen");

    // Second invoice of the same customer: -0002.
    api.item(&cus, 200).await;
    let second = api.draft(&cus, &[]).await;
    assert_eq!(
        second["customer_name"], "Renamed",
        "drafts follow the customer live"
    );
    let second = api.action(&second, "finalize", &[]).await.ok();
    assert_eq!(second["number"], format!("{prefix}-0002"));

    // Chosen prefix and sequence.
    let other = api
        .customer(&[("invoice_prefix", "ACME42"), ("next_invoice_sequence", "7")])
        .await;
    api.item(&other, 100).await;
    let third = api.draft(&other, &[]).await;
    let third = api.action(&third, "finalize", &[]).await.ok();
    assert_eq!(third["number"], "ACME42-0007");
    let bad = api
        .post("/v1/customers", &[("invoice_prefix", "lower")])
        .await;
    assert_eq!(bad.err(400)["param"], "invoice_prefix");
}

#[tokio::test]
async fn balance_larger_than_total_leaves_credit() {
    let api = Api::start().await;
    let cus = api.customer(&[("balance", "-5000")]).await;
    api.item(&cus, 3000).await;
    let inv = api.draft(&cus, &[]).await;
    let inv = api.action(&inv, "finalize", &[]).await.ok();
    assert_eq!(inv["amount_due"], 0);
    assert_eq!(inv["ending_balance"], -2000);
    assert_eq!(inv["status"], "paid", "nothing due: paid at finalization");
    let c = api.get(&format!("/v1/customers/{cus}"), &[]).await.ok();
    assert_eq!(c["balance"], -2000);
    // A positive balance is owed on top.
    let cus = api.customer(&[("balance", "300")]).await;
    api.item(&cus, 1099).await;
    let inv = api.draft(&cus, &[]).await;
    let inv = api.action(&inv, "finalize", &[]).await.ok();
    assert_eq!(inv["amount_due"], 1399);
    assert_eq!(inv["ending_balance"], 0);
}

#[tokio::test]
async fn zero_amount_invoice_is_paid_at_finalize() {
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
    let created = draft["created"].as_i64().unwrap();
    assert_eq!(draft["due_date"].as_i64().unwrap() - created, 604_800);
    assert_eq!(draft["next_payment_attempt"], Value::Null);
    let inv = api
        .action(&draft, "finalize", &[("auto_advance", "true")])
        .await
        .ok();
    assert_eq!(inv["status"], "paid");
    assert_eq!(inv["attempted"], true);
    assert_eq!(inv["attempt_count"], 0);
    assert_eq!(inv["amount_paid"], 0);
    assert_eq!(inv["auto_advance"], false);
    assert_eq!(inv["next_payment_attempt"], Value::Null);
    assert_eq!(
        inv["status_transitions"]["finalized_at"],
        inv["status_transitions"]["paid_at"]
    );
    assert!(inv["number"].as_str().unwrap().ends_with("-0001"));
    // E4 and E10 follow.
    let e = api
        .action(&inv, "pay", &[("paid_out_of_band", "true")])
        .await;
    assert_eq!(e.err(400)["message"], "Invoice is already paid");
    let e = api.action(&inv, "void", &[]).await;
    assert_eq!(
        e.err(400)["message"],
        "Invoices with `paid` payments cannot be voided."
    );
}

#[tokio::test]
async fn refinalize_is_refused() {
    let api = Api::start().await;
    let inv = api.open_invoice(1000, &[]).await;
    let e = api.action(&inv, "finalize", &[]).await;
    let e = e.err(400);
    assert_eq!(
        e["message"],
        "This invoice is already finalized, you can't re-finalize a non-draft invoice."
    );
    assert!(e.get("code").is_none());
}

#[tokio::test]
async fn send_transitions_and_refusals() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 900).await;
    let draft = api
        .draft(
            &cus,
            &[
                ("collection_method", "send_invoice"),
                ("days_until_due", "30"),
            ],
        )
        .await;
    let sent = api.action(&draft, "send", &[]).await.ok();
    assert_eq!(sent["status"], "open");
    assert!(sent["number"].is_string());
    let again = api.action(&draft, "send", &[]).await.ok();
    assert_eq!(
        again, sent,
        "sending an open invoice changes nothing visible"
    );
    let paid = api
        .action(&draft, "pay", &[("paid_out_of_band", "true")])
        .await
        .ok();
    assert_eq!(paid["status"], "paid");
    let e = api.action(&draft, "send", &[]).await;
    assert!(e.err(400)["message"]
        .as_str()
        .unwrap()
        .starts_with("This invoice cannot be sent right now."));
    let auto = api.open_invoice(100, &[]).await;
    let e = api.action(&auto, "send", &[]).await;
    assert_eq!(
        e.err(400)["message"],
        "You can only manually send an invoice if its collection method is 'send_invoice'."
    );
    // Unknown id: param `invoice` on send.
    let e = api.post("/v1/invoices/in_missing/send", &[]).await;
    assert_eq!(e.err(404)["param"], "invoice");
}

#[tokio::test]
async fn void_and_mark_uncollectible() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 100).await;
    let draft = api.draft(&cus, &[]).await;
    isnt_open(api.action(&draft, "void", &[]).await.err(400));
    isnt_open(api.action(&draft, "mark_uncollectible", &[]).await.err(400));

    let inv = api.open_invoice(1099, &[("auto_advance", "true")]).await;
    let un = api.action(&inv, "mark_uncollectible", &[]).await.ok();
    assert_eq!(un["status"], "uncollectible");
    assert!(un["status_transitions"]["marked_uncollectible_at"].is_i64());
    assert_eq!(un["auto_advance"], false);
    assert_eq!(un["amount_remaining"], 1099, "amounts unchanged");
    let e = api.action(&inv, "mark_uncollectible", &[]).await;
    assert_eq!(
        e.err(400)["message"],
        "This invoice has already been marked uncollectible."
    );
    // Void on uncollectible follows the docs: allowed.
    let void = api.action(&inv, "void", &[]).await.ok();
    assert_eq!(void["status"], "void");
    assert!(void["status_transitions"]["voided_at"].is_i64());
    assert!(
        void["status_transitions"]["marked_uncollectible_at"].is_i64(),
        "stamps are kept"
    );
    assert_eq!(void["amount_due"], 1099);
    isnt_open(api.action(&inv, "void", &[]).await.err(400));
    isnt_open(api.action(&inv, "mark_uncollectible", &[]).await.err(400));
    let e = api.action(&inv, "finalize", &[]).await;
    e.err(400);

    // Uncollectible invoices can still be paid.
    let inv = api.open_invoice(500, &[]).await;
    api.action(&inv, "mark_uncollectible", &[]).await.ok();
    let paid = api
        .action(&inv, "pay", &[("paid_out_of_band", "true")])
        .await
        .ok();
    assert_eq!(paid["status"], "paid");
}

#[tokio::test]
async fn delete_drafts_only() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let item = api.item(&cus, 100).await;
    let draft = api.draft(&cus, &[]).await;
    let path = format!("/v1/invoices/{}", id(&draft));
    let stub = api.delete(&path).await.ok();
    assert_eq!(
        stub,
        serde_json::json!({"id": id(&draft), "object": "invoice", "deleted": true})
    );
    let e = api.get(&path, &[]).await;
    let e = e.err(404);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["message"], format!("No such invoice: '{}'", id(&draft)));
    assert_eq!(e["param"], "invoice");
    assert_eq!(api.delete(&path).await.err(404)["param"], "invoice");
    assert_eq!(
        api.action(&draft, "finalize", &[]).await.err(404)["param"],
        "id"
    );
    // Its items are not released back to pending.
    let it = api
        .get(&format!("/v1/invoiceitems/{}", id(&item)), &[])
        .await
        .ok();
    assert_eq!(it["deleted"], true);
    let open = api.open_invoice(100, &[]).await;
    assert_eq!(
        api.delete(&format!("/v1/invoices/{}", id(&open)))
            .await
            .err(400)["message"],
        "You can only delete draft invoices."
    );
}

#[tokio::test]
async fn update_drafts_and_finalized() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let draft = api
        .draft(&cus, &[("description", "memo"), ("metadata[a]", "1")])
        .await;
    let path = format!("/v1/invoices/{}", id(&draft));
    let up = api
        .post(
            &path,
            &[
                ("description", ""),
                ("footer", "thanks"),
                ("metadata[a]", ""),
                ("metadata[b]", "2"),
            ],
        )
        .await
        .ok();
    assert_eq!(up["description"], Value::Null);
    assert_eq!(up["footer"], "thanks");
    assert_eq!(up["metadata"], serde_json::json!({"b": "2"}));
    let up = api.post(&path, &[("auto_advance", "true")]).await.ok();
    let created = up["created"].as_i64().unwrap();
    assert_eq!(up["automatically_finalizes_at"], created + 3601);
    assert_eq!(up["next_payment_attempt"], created + 3600);
    let up = api.post(&path, &[("auto_advance", "false")]).await.ok();
    assert_eq!(up["automatically_finalizes_at"], Value::Null);
    assert_eq!(up["next_payment_attempt"], Value::Null);
    let e = api.post(&path, &[("days_until_due", "3")]).await;
    assert_eq!(
        e.err(400)["message"],
        "You can only specify 'due_date' or 'days_until_due' if invoice collection method is 'send_invoice'."
    );
    let up = api
        .post(
            &path,
            &[
                ("collection_method", "send_invoice"),
                ("days_until_due", "3"),
            ],
        )
        .await
        .ok();
    assert_eq!(up["due_date"], created + 3 * 86_400);

    api.action(&draft, "finalize", &[]).await.ok();
    let up = api.post(&path, &[("metadata[k]", "v")]).await.ok();
    assert_eq!(up["metadata"]["k"], "v");
    assert_eq!(up["status"], "paid");
    let e = api.post(&path, &[("description", "late")]).await;
    let e = e.err(400);
    assert_eq!(
        e["message"],
        "Finalized invoices can't be updated in this way"
    );
    assert_eq!(e["param"], "description");
    assert!(e.get("code").is_none());
    let e = api
        .post(
            &path,
            &[
                ("metadata[x]", "1"),
                ("collection_method", "charge_automatically"),
            ],
        )
        .await;
    assert_eq!(e.err(400)["param"], "collection_method");
    assert_eq!(
        api.invoice(&draft).await["metadata"].get("x"),
        None,
        "refused updates change nothing"
    );
}

#[tokio::test]
async fn invoice_items_on_drafts() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let draft = api.draft(&cus, &[]).await;
    assert_eq!(draft["lines"]["total_count"], 0);
    let inv_id = id(&draft);
    let item = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", cus.as_str()),
                ("amount", "250"),
                ("invoice", inv_id.as_str()),
                ("metadata[k]", "v"),
            ],
        )
        .await
        .ok();
    assert_eq!(item["object"], "invoiceitem");
    assert_eq!(item["invoice"], inv_id);
    assert!(item["pricing"]["price_details"]["product"]
        .as_str()
        .unwrap()
        .starts_with("prod_"));
    let second = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", cus.as_str()),
                ("amount", "50"),
                ("invoice", inv_id.as_str()),
            ],
        )
        .await
        .ok();
    let d = api.invoice(&draft).await;
    assert_eq!(d["subtotal"], 300);
    // Items added after creation come in chronological order.
    assert_eq!(
        d["lines"]["data"][1]["parent"]["invoice_item_details"]["invoice_item"],
        id(&second)
    );
    api.delete(&format!("/v1/invoiceitems/{}", id(&second)))
        .await
        .ok();
    assert_eq!(api.invoice(&draft).await["subtotal"], 250);
    // Reusing the minted price with a quantity.
    let price = item["pricing"]["price_details"]["price"]
        .as_str()
        .unwrap()
        .to_string();
    let q = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", cus.as_str()),
                ("pricing[price]", price.as_str()),
                ("quantity", "3"),
                ("expand[]", "customer"),
                ("expand[]", "pricing.price_details.price"),
            ],
        )
        .await
        .ok();
    assert_eq!(q["amount"], 750);
    assert_eq!(q["customer"]["object"], "customer");
    assert_eq!(q["pricing"]["price_details"]["price"]["id"], price);
    let e = api
        .post(
            "/v1/invoiceitems",
            &[("customer", cus.as_str()), ("price", price.as_str())],
        )
        .await;
    assert_eq!(e.err(400)["message"], "Received unknown parameter: price");
    api.action(&draft, "finalize", &[]).await.ok();
    let e = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", cus.as_str()),
                ("amount", "1"),
                ("invoice", inv_id.as_str()),
            ],
        )
        .await;
    assert_eq!(e.err(400)["param"], "invoice");
    let e = api.delete(&format!("/v1/invoiceitems/{}", id(&item))).await;
    e.err(400);
    let e = api
        .post("/v1/invoiceitems", &[("customer", cus.as_str())])
        .await;
    assert_eq!(e.err(400)["message"], "Missing required param: amount.");
    let got = api
        .get(&format!("/v1/invoiceitems/{}", id(&item)), &[])
        .await
        .ok();
    assert_eq!(got["amount"], 250);
    let listed = api
        .get(
            "/v1/invoiceitems",
            &[("customer", cus.as_str()), ("pending", "true")],
        )
        .await
        .ok();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "only the priced item is pending"
    );
}

#[tokio::test]
async fn customers_crud_and_deleted_expansion() {
    let api = Api::start().await;
    let cus = api
        .customer(&[
            ("metadata[a]", "1"),
            ("address[city]", "Berlin"),
            ("phone", "+49"),
        ])
        .await;
    let path = format!("/v1/customers/{cus}");
    let c = api.get(&path, &[]).await.ok();
    assert_eq!(c["object"], "customer");
    assert_eq!(c["address"]["city"], "Berlin");
    assert_eq!(c["address"]["line1"], Value::Null);
    assert_eq!(c["invoice_settings"]["default_payment_method"], Value::Null);
    let inv = api.draft(&cus, &[]).await;
    assert_eq!(inv["customer_address"]["city"], "Berlin");
    assert_eq!(inv["customer_phone"], "+49");
    let up = api
        .post(&path, &[("description", "vip"), ("metadata[a]", "")])
        .await
        .ok();
    assert_eq!(up["description"], "vip");
    assert_eq!(up["metadata"], serde_json::json!({}));
    let list = api
        .get("/v1/customers", &[("email", "jennyrosen@example.com")])
        .await
        .ok();
    assert_eq!(list["url"], "/v1/customers");
    assert_eq!(list["data"][0]["id"], cus);
    let del = api.delete(&path).await.ok();
    assert_eq!(
        del,
        serde_json::json!({"id": cus, "object": "customer", "deleted": true})
    );
    let x = api
        .get(
            &format!("/v1/invoices/{}", id(&inv)),
            &[("expand[]", "customer")],
        )
        .await
        .ok();
    assert_eq!(
        x["customer"],
        serde_json::json!({"id": cus, "object": "customer", "deleted": true})
    );
    assert_eq!(api.delete(&path).await.err(404)["code"], "resource_missing");
}
