//! The embedded mock over real HTTP: every transition and refusal of reference §4.3 / §2.5,
//! validation and auth errors, idempotency, pagination, search, versions and concurrency.

use std::time::Duration;

use apiparity::mock::{self, MockOptions, MockServer};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

const KEY: &str = "sk_test_apiparity";
const PRE_BASIL: &str = "2023-10-16";

struct Resp {
    status: u16,
    body: Value,
    headers: HeaderMap,
}

impl Resp {
    fn ok(self) -> Value {
        assert_eq!(self.status, 200, "unexpected error: {}", self.body);
        self.body
    }
    fn err(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        &self.body["error"]
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
    version: Option<String>,
    _server: Option<MockServer>,
}

impl Api {
    async fn start() -> Api {
        Self::start_with(MockOptions::default()).await
    }

    async fn start_with(opts: MockOptions) -> Api {
        let server = mock::spawn(opts).await.expect("mock binds");
        Api {
            base: server.base_url(),
            http: reqwest::Client::new(),
            version: None,
            _server: Some(server),
        }
    }

    /// A second handle on the same server speaking another API version.
    fn at_version(&self, v: &str) -> Api {
        Api {
            base: self.base.clone(),
            http: self.http.clone(),
            version: Some(v.to_string()),
            _server: None,
        }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let encoded = {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in params {
                s.append_pair(k, v);
            }
            s.finish()
        };
        let mut url = format!("{}{path}", self.base);
        let mut req = if method == Method::POST {
            self.http
                .request(method, &url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded)
        } else {
            if !encoded.is_empty() {
                url = format!("{url}?{encoded}");
            }
            self.http.request(method, &url)
        };
        if let Some(v) = &self.version {
            req = req.header("Stripe-Version", v);
        }
        let mut has_auth = false;
        for (k, v) in headers {
            has_auth |= k.eq_ignore_ascii_case("authorization");
            req = req.header(*k, *v);
        }
        if !has_auth {
            req = req.header("Authorization", format!("Bearer {KEY}"));
        }
        let resp = req.send().await.expect("request reaches the mock");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).expect("JSON body");
        Resp {
            status,
            body,
            headers,
        }
    }

    async fn post(&self, path: &str, params: &[(&str, &str)]) -> Resp {
        self.raw(Method::POST, path, params, &[]).await
    }
    async fn get(&self, path: &str, params: &[(&str, &str)]) -> Resp {
        self.raw(Method::GET, path, params, &[]).await
    }
    async fn delete(&self, path: &str) -> Resp {
        self.raw(Method::DELETE, path, &[], &[]).await
    }

    async fn customer(&self, params: &[(&str, &str)]) -> String {
        let mut p = vec![("name", "Jenny Rosen"), ("email", "jennyrosen@example.com")];
        p.extend_from_slice(params);
        id(&self.post("/v1/customers", &p).await.ok())
    }

    async fn item(&self, customer: &str, amount: i64) -> Value {
        let amount = amount.to_string();
        self.post(
            "/v1/invoiceitems",
            &[
                ("customer", customer),
                ("amount", amount.as_str()),
                ("currency", "usd"),
                (
                    "description",
                    "My First Invoice Item (created for API docs)",
                ),
            ],
        )
        .await
        .ok()
    }

    /// A draft that sweeps the customer's pending items.
    async fn draft(&self, customer: &str, params: &[(&str, &str)]) -> Value {
        let mut p = vec![
            ("customer", customer),
            ("pending_invoice_items_behavior", "include"),
        ];
        p.extend_from_slice(params);
        self.post("/v1/invoices", &p).await.ok()
    }

    /// An open invoice over one item of `amount` for a fresh customer.
    async fn open_invoice(&self, amount: i64, params: &[(&str, &str)]) -> Value {
        let cus = self.customer(&[]).await;
        self.item(&cus, amount).await;
        let inv = self.draft(&cus, params).await;
        self.post(&format!("/v1/invoices/{}/finalize", id(&inv)), &[])
            .await
            .ok()
    }

    async fn action(&self, inv: &Value, action: &str, params: &[(&str, &str)]) -> Resp {
        self.post(&format!("/v1/invoices/{}/{action}", id(inv)), params)
            .await
    }

    async fn invoice(&self, inv: &Value) -> Value {
        self.get(&format!("/v1/invoices/{}", id(inv)), &[])
            .await
            .ok()
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("object has an id").to_string()
}

fn isnt_open(e: &Value) {
    assert_eq!(
        e["message"],
        "You can only pass in open invoices. This invoice isn't open."
    );
    assert_eq!(e["type"], "invalid_request_error");
    assert!(
        e.get("code").is_none(),
        "wrong-state refusals carry no code: {e}"
    );
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

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
async fn unknown_ids_name_the_param_per_endpoint() {
    let api = Api::start().await;
    let cases: &[(Method, &str, &str)] = &[
        (Method::GET, "/v1/invoices/in_nope", "invoice"),
        (Method::POST, "/v1/invoices/in_nope", "id"),
        (Method::DELETE, "/v1/invoices/in_nope", "invoice"),
        (Method::POST, "/v1/invoices/in_nope/finalize", "id"),
        (Method::POST, "/v1/invoices/in_nope/pay", "id"),
        (Method::POST, "/v1/invoices/in_nope/void", "id"),
        (
            Method::POST,
            "/v1/invoices/in_nope/mark_uncollectible",
            "id",
        ),
        (Method::POST, "/v1/invoices/in_nope/send", "invoice"),
        (Method::GET, "/v1/invoices/in_nope/lines", "invoice"),
    ];
    for (m, path, param) in cases {
        let r = api.raw(m.clone(), path, &[], &[]).await;
        let e = r.err(404);
        assert_eq!(e["message"], "No such invoice: 'in_nope'", "{m} {path}");
        assert_eq!(e["param"], *param, "{m} {path}");
        assert_eq!(e["code"], "resource_missing");
        assert_eq!(
            e["doc_url"],
            "https://stripe.com/docs/error-codes/resource-missing"
        );
    }
}

#[tokio::test]
async fn validation_errors() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let e = api
        .post(
            "/v1/invoices",
            &[("customer", cus.as_str()), ("bogus", "1")],
        )
        .await;
    let e = e.err(400);
    assert_eq!(e["message"], "Received unknown parameter: bogus");
    assert_eq!(e["code"], "parameter_unknown");
    assert_eq!(e["param"], "bogus");
    let e = api
        .post(
            "/v1/invoices",
            &[("customer", cus.as_str()), ("metadata", "x")],
        )
        .await;
    assert_eq!(e.err(400)["message"], "Invalid hash");
    let e = api.post("/v1/invoices", &[("auto_advance", "true")]).await;
    let e = e.err(400);
    assert_eq!(e["message"], "Missing required param: customer.");
    assert_eq!(e["code"], "parameter_missing");
    let e = api.get("/v1/invoices/search", &[]).await;
    let e = e.err(400);
    assert_eq!(e["message"], "Missing required param: query.");
    assert_eq!(e["param"], "query");
    let e = api.get("/v1/invoices", &[("status", "bogus")]).await;
    let e = e.err(400);
    assert_eq!(
        e["message"],
        "Invalid status: must be one of draft, open, void, paid, or uncollectible"
    );
    assert_eq!(e["param"], "status");
    assert!(e.get("code").is_none());
    let e = api
        .post(
            "/v1/invoices",
            &[("customer", cus.as_str()), ("collection_method", "x")],
        )
        .await;
    assert_eq!(
        e.err(400)["message"],
        "Invalid collection_method: must be one of charge_automatically or send_invoice"
    );
    let e = api.get("/v1/invoices", &[("limit", "abc")]).await;
    let e = e.err(400);
    assert_eq!(e["message"], "Invalid integer: abc");
    assert_eq!(e["code"], "parameter_invalid_integer");
    assert_eq!(e["param"], "limit");
    let e = api.get("/v1/invoices", &[("limit", "0")]).await;
    assert_eq!(
        e.err(400)["message"],
        "This value must be greater than or equal to 1."
    );
    let e = api.get("/v1/invoices", &[("limit", "101")]).await;
    assert_eq!(
        e.err(400)["message"],
        "This value must be less than or equal to 100."
    );
    let inv = api.draft(&cus, &[]).await;
    let e = api
        .get(
            &format!("/v1/invoices/{}", id(&inv)),
            &[("expand[]", "bogus")],
        )
        .await;
    let e = e.err(400);
    assert_eq!(e["message"], "This property cannot be expanded (bogus).");
    assert!(e.get("param").is_none());
    let e = api.get("/v1/invoices", &[("expand[]", "customer")]).await;
    assert_eq!(
        e.err(400)["message"],
        "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead."
    );
    // E22, E23, E25.
    let e = api
        .post(
            "/v1/invoices",
            &[
                ("customer", cus.as_str()),
                ("collection_method", "send_invoice"),
            ],
        )
        .await;
    assert_eq!(
        e.err(400)["message"],
        "If invoice collection method is 'send_invoice', you must specify 'due_date' or 'days_until_due'."
    );
    let e = api
        .post(
            "/v1/invoices",
            &[("customer", cus.as_str()), ("days_until_due", "3")],
        )
        .await;
    assert_eq!(
        e.err(400)["message"],
        "You can only specify 'due_date' or 'days_until_due' if invoice collection method is 'send_invoice'."
    );
    let e = api.post("/v1/invoices", &[("customer", "cus_nope")]).await;
    let e = e.err(400);
    assert_eq!(e["message"], "No such customer: 'cus_nope'");
    assert_eq!(e["param"], "customer");
    assert_eq!(e["code"], "resource_missing");
    // Invalid pending behavior for the version.
    let e = api
        .post(
            "/v1/invoices",
            &[
                ("customer", cus.as_str()),
                ("pending_invoice_items_behavior", "include_and_require"),
            ],
        )
        .await;
    assert_eq!(
        e.err(400)["message"],
        "Invalid pending_invoice_items_behavior: must be one of exclude or include"
    );
}

#[tokio::test]
async fn auth_and_headers() {
    let api = Api::start().await;
    let none = api
        .raw(Method::GET, "/v1/invoices", &[], &[("Authorization", "")])
        .await;
    let e = none.err(401);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("You did not provide an API key."));
    assert_eq!(e["type"], "invalid_request_error");
    let bad = api
        .raw(
            Method::GET,
            "/v1/invoices",
            &[],
            &[("Authorization", "Bearer sk_nope")],
        )
        .await;
    assert_eq!(bad.err(401)["message"], "Invalid API Key provided: ***nope");
    let pk = api
        .raw(
            Method::GET,
            "/v1/invoices",
            &[],
            &[("Authorization", "Bearer pk_test_abcdefgh")],
        )
        .await;
    assert_eq!(
        pk.err(401)["message"],
        "Invalid API Key provided: pk_test_****efgh"
    );
    let live = api
        .raw(
            Method::GET,
            "/v1/invoices",
            &[],
            &[("Authorization", "Bearer sk_live_abcdefgh")],
        )
        .await;
    assert!(live.err(401)["message"]
        .as_str()
        .unwrap()
        .contains("test mode only"));
    // Basic auth with the key as the username.
    let basic = base64_basic("sk_test_123:");
    let ok = api
        .raw(
            Method::GET,
            "/v1/invoices",
            &[],
            &[("Authorization", basic.as_str())],
        )
        .await;
    assert_eq!(ok.status, 200);
    let rk = api
        .raw(
            Method::GET,
            "/v1/invoices",
            &[],
            &[("Authorization", "Bearer rk_test_123")],
        )
        .await;
    assert_eq!(rk.status, 200);
    // Request-Id, Stripe-Version, content type.
    let rid = ok.header("request-id").unwrap();
    assert!(
        rid.starts_with("req_")
            && rid.len() == 18
            && rid[4..].chars().all(|c| c.is_ascii_alphanumeric())
    );
    assert_eq!(ok.header("stripe-version").unwrap(), "2025-03-31.basil");
    assert_eq!(ok.header("content-type").unwrap(), "application/json");
    assert_ne!(
        api.get("/v1/invoices", &[])
            .await
            .header("request-id")
            .unwrap(),
        rid
    );
    // Unknown route with a good key; auth comes first.
    let r = api.post("/v1/invoice_drafts", &[]).await;
    assert_eq!(
        r.err(404)["message"],
        "Unrecognized request URL (POST: /v1/invoice_drafts). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
    );
    let r = api
        .raw(
            Method::POST,
            "/v1/invoice_drafts",
            &[],
            &[("Authorization", "Bearer nope")],
        )
        .await;
    assert_eq!(r.status, 401);
    // Versions.
    let v = api.at_version("2024-02-30x").get("/v1/invoices", &[]).await;
    assert_eq!(
        v.err(400)["message"],
        "Invalid Stripe API version: 2024-02-30x"
    );
    let v = api
        .at_version("2026-06-24.dahlia")
        .get("/v1/invoices", &[])
        .await;
    assert_eq!(v.header("stripe-version").unwrap(), "2026-06-24.dahlia");
}

fn base64_basic(s: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(s)
    )
}

#[tokio::test]
async fn versions_render_their_own_shape() {
    let api = Api::start().await;
    let old = api.at_version(PRE_BASIL);
    let inv = api.open_invoice(1099, &[]).await;
    let basil = api.invoice(&inv).await;
    let legacy = old.invoice(&inv).await;
    let bk = keys(&basil);
    let lk = keys(&legacy);
    assert_eq!(bk.len(), 73);
    assert_eq!(lk.len(), 82);
    assert_eq!(&bk[..2], ["id", "object"]);
    let mut sorted = bk[2..].to_vec();
    sorted.sort();
    assert_eq!(bk[2..], sorted[..], "id, object, then alphabetical");
    let only_basil: Vec<&String> = bk.iter().filter(|k| !lk.contains(k)).collect();
    let only_legacy: Vec<&String> = lk.iter().filter(|k| !bk.contains(k)).collect();
    assert_eq!(only_basil, ["amount_overpaid", "parent", "total_taxes"]);
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
        if let Ok(text) = std::fs::read_to_string(&path) {
            let seed: Value = serde_json::from_str(&text).unwrap();
            for key in keys(&seed) {
                assert!(k.contains(&key), "{file}: {key} missing");
            }
        }
    }
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
    // Line shapes.
    let bl = &basil["lines"]["data"][0];
    assert_eq!(bl["parent"]["type"], "invoice_item_details");
    assert!(bl["pricing"]["price_details"]["price"]
        .as_str()
        .unwrap()
        .starts_with("price_"));
    assert!(bl.get("price").is_none());
    let ll = &legacy["lines"]["data"][0];
    assert_eq!(ll["price"]["object"], "price");
    assert_eq!(ll["price"]["unit_amount"], 1099);
    assert_eq!(ll["type"], "invoiceitem");
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

#[tokio::test]
async fn idempotent_replay_and_key_reuse() {
    let api = Api::start().await;
    let key = [("Idempotency-Key", "key-one")];
    let first = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotency-key").unwrap(), "key-one");
    assert!(first.header("idempotent-replayed").is_none());
    let again = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.body, first.body);
    let list = api
        .get("/v1/customers", &[("email", "a@example.com")])
        .await
        .ok();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "no second object"
    );
    let other = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "b@example.com")],
            &key,
        )
        .await;
    let e = other.err(400);
    assert_eq!(e["type"], "idempotency_error");
    assert_eq!(
        e["message"],
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'key-one' if you meant to execute a different request."
    );
    let other_endpoint = api
        .raw(
            Method::POST,
            "/v1/invoices",
            &[("email", "a@example.com")],
            &key,
        )
        .await;
    assert_eq!(other_endpoint.err(400)["type"], "idempotency_error");

    // Executed 4xx results are stored and replayed.
    let inv = api.open_invoice(100, &[]).await;
    let k2 = [("Idempotency-Key", "key-two")];
    let path = format!("/v1/invoices/{}/finalize", id(&inv));
    let r1 = api.raw(Method::POST, &path, &[], &k2).await;
    r1.err(400);
    let r2 = api.raw(Method::POST, &path, &[], &k2).await;
    assert_eq!(r2.status, 400);
    assert_eq!(r2.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(r2.body, r1.body);

    // A replayed pay does not pay twice (no second attempt).
    let inv = api.open_invoice(100, &[]).await;
    let k3 = [("Idempotency-Key", "key-three")];
    let path = format!("/v1/invoices/{}/pay", id(&inv));
    let p1 = api
        .raw(
            Method::POST,
            &path,
            &[("payment_method", "pm_card_visa")],
            &k3,
        )
        .await;
    let p2 = api
        .raw(
            Method::POST,
            &path,
            &[("payment_method", "pm_card_visa")],
            &k3,
        )
        .await;
    assert_eq!(p1.status, 200);
    assert_eq!(p2.status, 200);
    assert_eq!(p2.body["attempt_count"], 1);

    // Validation errors are not stored: the same key then runs a valid request.
    let k4 = [("Idempotency-Key", "key-four")];
    let bad = api
        .raw(Method::POST, "/v1/customers", &[("bogus", "1")], &k4)
        .await;
    bad.err(400);
    let good = api
        .raw(Method::POST, "/v1/customers", &[("name", "x")], &k4)
        .await;
    assert_eq!(good.status, 200);
    assert!(good.header("idempotent-replayed").is_none());
    // Field order does not matter.
    let k5 = [("Idempotency-Key", "key-five")];
    let a = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("name", "n"), ("email", "e@x.io")],
            &k5,
        )
        .await;
    let b = api
        .raw(
            Method::POST,
            "/v1/customers",
            &[("email", "e@x.io"), ("name", "n")],
            &k5,
        )
        .await;
    assert_eq!(b.header("idempotent-replayed").unwrap(), "true");
    assert_eq!(a.body, b.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_use_of_one_key_is_409() {
    let api = Api::start_with(MockOptions {
        latency: Duration::from_millis(300),
        ..MockOptions::default()
    })
    .await;
    let key = [("Idempotency-Key", "same")];
    let (a, b) = tokio::join!(
        api.raw(Method::POST, "/v1/customers", &[("name", "x")], &key),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            api.raw(Method::POST, "/v1/customers", &[("name", "x")], &key)
                .await
        }
    );
    assert_eq!(a.status, 200);
    let e = b.err(409);
    assert_eq!(e["code"], "idempotency_key_in_use");
    assert_eq!(e["type"], "invalid_request_error");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("There is currently another in-progress request"));
    // Once done, the key replays.
    let c = api
        .raw(Method::POST, "/v1/customers", &[("name", "x")], &key)
        .await;
    assert_eq!(c.header("idempotent-replayed").unwrap(), "true");
}

#[tokio::test]
async fn list_paging_newest_first() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let other = api.customer(&[]).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(id(&api.draft(&cus, &[]).await));
        api.draft(&other, &[]).await;
    }
    ids.reverse(); // newest first
    let c = cus.as_str();
    let page =
        |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let p1 = api
        .get("/v1/invoices", &[("customer", c), ("limit", "2")])
        .await
        .ok();
    assert_eq!(p1["object"], "list");
    assert_eq!(p1["url"], "/v1/invoices");
    assert_eq!(page(&p1), ids[0..2]);
    assert_eq!(p1["has_more"], true);
    let p2 = api
        .get(
            "/v1/invoices",
            &[
                ("customer", c),
                ("limit", "2"),
                ("starting_after", ids[1].as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(page(&p2), ids[2..4]);
    assert_eq!(p2["has_more"], true);
    let p3 = api
        .get(
            "/v1/invoices",
            &[
                ("customer", c),
                ("limit", "2"),
                ("starting_after", ids[3].as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(page(&p3), ids[4..5]);
    assert_eq!(p3["has_more"], false);
    let back = api
        .get(
            "/v1/invoices",
            &[
                ("customer", c),
                ("limit", "2"),
                ("ending_before", ids[4].as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(page(&back), ids[2..4]);
    assert_eq!(back["has_more"], true);
    let all = api.get("/v1/invoices", &[("customer", c)]).await.ok();
    assert_eq!(page(&all), ids);
    assert_eq!(all["has_more"], false);
    let both = api.get("/v1/invoices", &[("limit", "100")]).await.ok();
    assert_eq!(both["data"].as_array().unwrap().len(), 10);
    let e = api
        .get("/v1/invoices", &[("starting_after", "in_nope")])
        .await;
    let e = e.err(400);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["param"], "starting_after");
    assert_eq!(e["message"], "No such invoice: 'in_nope'");
    let e = api
        .get(
            "/v1/invoices",
            &[
                ("starting_after", ids[0].as_str()),
                ("ending_before", ids[1].as_str()),
            ],
        )
        .await;
    assert_eq!(e.err(400)["code"], "parameters_exclusive");
    // Filters.
    let first = serde_json::json!({"id": ids[0]});
    api.action(&first, "finalize", &[]).await.ok();
    let paid = api
        .get("/v1/invoices", &[("customer", c), ("status", "paid")])
        .await
        .ok();
    assert_eq!(page(&paid), ids[0..1]);
    let created = all["data"][0]["created"].as_i64().unwrap().to_string();
    let ranged = api
        .get(
            "/v1/invoices",
            &[("customer", c), ("created[lte]", created.as_str())],
        )
        .await
        .ok();
    assert_eq!(ranged["data"].as_array().unwrap().len(), 5);
    let none = api
        .get(
            "/v1/invoices",
            &[("customer", c), ("created[gt]", created.as_str())],
        )
        .await
        .ok();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let expanded = api
        .get(
            "/v1/invoices",
            &[
                ("customer", c),
                ("limit", "1"),
                ("expand[]", "data.customer"),
            ],
        )
        .await
        .ok();
    assert_eq!(expanded["data"][0]["customer"]["id"], cus);
}

#[tokio::test]
async fn search_language() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let mut made = Vec::new();
    for (amount, order) in [(500, "1"), (1500, "2"), (2500, "3")] {
        api.item(&cus, amount).await;
        let d = api.draft(&cus, &[("metadata[order]", order)]).await;
        made.push(d);
    }
    let opened = api.action(&made[2], "finalize", &[]).await.ok();
    let number = opened["number"].as_str().unwrap().to_string();
    let q = |query: String| {
        let api = &api;
        async move {
            api.get("/v1/invoices/search", &[("query", query.as_str())])
                .await
        }
    };
    let ids_of =
        |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let c = format!("customer:\"{cus}\"");
    let r = q(format!("{c} AND status:\"open\"")).await.ok();
    assert_eq!(r["object"], "search_result");
    assert_eq!(r["url"], "/v1/invoices/search");
    assert_eq!(r["next_page"], Value::Null);
    assert!(r.get("total_count").is_none());
    assert_eq!(ids_of(&r), [id(&made[2])]);
    assert_eq!(
        ids_of(&q(format!("{c} -status:\"open\"")).await.ok()).len(),
        2
    );
    assert_eq!(ids_of(&q(format!("{c} total>1000")).await.ok()).len(), 2);
    assert_eq!(ids_of(&q(format!("{c} total>=1500")).await.ok()).len(), 2);
    assert_eq!(
        ids_of(&q(format!("{c} total<1500")).await.ok()),
        [id(&made[0])]
    );
    assert_eq!(ids_of(&q(format!("{c} total<=1500")).await.ok()).len(), 2);
    assert_eq!(
        ids_of(&q(format!("{c} total=1500")).await.ok()),
        [id(&made[1])]
    );
    assert_eq!(
        ids_of(&q(format!("{c} metadata[\"order\"]:\"2\"")).await.ok()),
        [id(&made[1])]
    );
    assert_eq!(
        ids_of(
            &q("metadata['order']:'1' OR metadata['order']:'3'".to_string())
                .await
                .ok()
        )
        .len(),
        2
    );
    assert_eq!(
        ids_of(&q(format!("number:\"{number}\"")).await.ok()),
        [id(&made[2])]
    );
    let part: String = number.chars().take(4).collect();
    assert_eq!(
        ids_of(&q(format!("number~\"{part}\"")).await.ok()),
        [id(&made[2])]
    );
    assert_eq!(
        ids_of(&q(format!("{c} and currency:\"usd\"")).await.ok()).len(),
        3
    );
    // Paging with next_page; newest first.
    let p1 = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", c.as_str()),
                ("limit", "2"),
                ("expand[]", "total_count"),
            ],
        )
        .await
        .ok();
    assert_eq!(p1["total_count"], 3);
    assert_eq!(p1["has_more"], true);
    assert_eq!(ids_of(&p1), [id(&made[2]), id(&made[1])]);
    let token = p1["next_page"].as_str().unwrap().to_string();
    let p2 = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", c.as_str()),
                ("limit", "2"),
                ("page", token.as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(ids_of(&p2), [id(&made[0])]);
    assert_eq!(p2["has_more"], false);
    assert_eq!(p2["next_page"], Value::Null);
    let e = api
        .get(
            "/v1/invoices/search",
            &[("query", "status:\"open\""), ("page", token.as_str())],
        )
        .await;
    assert_eq!(e.err(400)["param"], "page");
    // Errors.
    for bad in [
        "amount<1",
        "status>\"open\"",
        "status:\"a\" AND total>1 OR total<2",
        "number~\"ab\"",
        "status:open",
        "(status:\"open\")",
        "currency~\"usd\"",
    ] {
        let r = q(bad.to_string()).await;
        let e = r.err(400);
        assert_eq!(e["param"], "query", "{bad}");
        assert_eq!(e["type"], "invalid_request_error");
    }
    let e = api
        .get(
            "/v1/invoices/search",
            &[("query", "status:\"open\""), ("starting_after", "in_x")],
        )
        .await;
    assert_eq!(e.err(400)["code"], "parameter_unknown");
}

#[tokio::test]
async fn embedded_lines_and_line_paging() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let mut items = Vec::new();
    for n in 1..=12 {
        items.push(id(&api.item(&cus, n * 100).await));
    }
    let inv = api.draft(&cus, &[]).await;
    let lines = &inv["lines"];
    assert_eq!(lines["data"].as_array().unwrap().len(), 10);
    assert_eq!(lines["has_more"], true);
    assert_eq!(lines["total_count"], 12);
    assert_eq!(lines["url"], format!("/v1/invoices/{}/lines", id(&inv)));
    assert_eq!(inv["subtotal"], (1..=12).map(|n| n * 100).sum::<i64>());
    // Swept pending items come newest first.
    assert_eq!(
        lines["data"][0]["parent"]["invoice_item_details"]["invoice_item"],
        items[11]
    );
    let path = format!("/v1/invoices/{}/lines", id(&inv));
    let p1 = api.get(&path, &[("limit", "5")]).await.ok();
    assert_eq!(p1["url"], path);
    assert_eq!(p1["has_more"], true);
    let last = id(&p1["data"][4]);
    let p2 = api
        .get(&path, &[("limit", "5"), ("starting_after", last.as_str())])
        .await
        .ok();
    let last2 = id(&p2["data"][4]);
    let p3 = api
        .get(&path, &[("limit", "5"), ("starting_after", last2.as_str())])
        .await
        .ok();
    assert_eq!(p3["data"].as_array().unwrap().len(), 2);
    assert_eq!(p3["has_more"], false);
    assert_eq!(p3["data"][1]["amount"], 100);
    let back = api
        .get(&path, &[("limit", "5"), ("ending_before", last2.as_str())])
        .await
        .ok();
    let mut expected = vec![p1["data"][4].clone()];
    expected.extend(p2["data"].as_array().unwrap()[..4].iter().cloned());
    assert_eq!(back["data"], Value::Array(expected));
    assert_eq!(back["has_more"], true);
    let e = api.get(&path, &[("starting_after", "il_nope")]).await;
    assert_eq!(e.err(400)["param"], "starting_after");
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
async fn legacy_versions_require_pending_items() {
    let api = Api::start().await;
    let old = api.at_version("2020-08-27");
    let cus = api.customer(&[]).await;
    let e = old
        .post("/v1/invoices", &[("customer", cus.as_str())])
        .await;
    let e = e.err(400);
    assert_eq!(e["message"], "Nothing to invoice for customer");
    assert_eq!(e["code"], "invoice_no_customer_line_items");
    api.item(&cus, 100).await;
    let inv = old
        .post("/v1/invoices", &[("customer", cus.as_str())])
        .await
        .ok();
    assert_eq!(inv["subtotal"], 100);
    // The default since 2022-08-01 is exclude.
    api.item(&cus, 100).await;
    let inv = api
        .post("/v1/invoices", &[("customer", cus.as_str())])
        .await
        .ok();
    assert_eq!(inv["subtotal"], 0);
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

fn seed(file: &str) -> Option<Value> {
    let path = format!(
        "{}/../shared/seeds/responses/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("seed is JSON")),
        Err(_) => {
            eprintln!("skipping seed comparison: {path} not found");
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
    let old = api.at_version(PRE_BASIL);
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
    want.extend(
        [
            "automatically_finalizes_at",
            "effective_at",
            "rendering",
            "total_pretax_credit_amounts",
        ]
        .map(String::from),
    );
    want.sort();
    assert_eq!(sorted_keys(&got), want);
    let (sl, gl) = (&seed["lines"]["data"][0], &got["lines"]["data"][0]);
    assert_eq!(sorted_keys(gl), sorted_keys(sl), "line item shape");
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
        "automatic_tax",
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
    let basil = api.action(&draft, "finalize", &[]).await.ok();
    let legacy = api.at_version(PRE_BASIL).invoice(&draft).await;
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
                _ => assert_eq!(g, w, "{k}"),
            }
        }
        assert_eq!(
            got["due_date"].as_i64().unwrap() - got["created"].as_i64().unwrap(),
            604_800
        );
    }
}

/// Arbitrary bytes as bodies and query strings, on every kind of route, always get a JSON
/// answer with a sensible status: nothing panics and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_input_gets_json_errors() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    api.item(&cus, 100).await;
    let inv = id(&api.draft(&cus, &[]).await);
    let paths = [
        "/v1/customers".to_string(),
        format!("/v1/customers/{cus}"),
        "/v1/invoiceitems".to_string(),
        "/v1/invoices".to_string(),
        "/v1/invoices/search".to_string(),
        format!("/v1/invoices/{inv}"),
        format!("/v1/invoices/{inv}/pay"),
        format!("/v1/invoices/{inv}/lines"),
    ];
    let alphabet = b"ab[]=&%+0123456789_-\"':~<>metadata[expand]query\xff\x00 ";
    for round in 0..300usize {
        let len = rand::random_range(0..60usize);
        let body: Vec<u8> = (0..len)
            .map(|_| alphabet[rand::random_range(0..alphabet.len())])
            .collect();
        let path = &paths[round % paths.len()];
        let method = if round % 2 == 0 {
            Method::POST
        } else {
            Method::GET
        };
        let url = format!("{}{path}", api.base);
        let req = if method == Method::POST {
            api.http.post(url).body(body.clone())
        } else {
            let q: String = url::form_urlencoded::byte_serialize(&body).collect();
            api.http.get(format!(
                "{url}?q={q}&{}",
                String::from_utf8_lossy(&body).replace(['#', ' '], "")
            ))
        };
        let resp = req
            .header("Authorization", format!("Bearer {KEY}"))
            .send()
            .await
            .expect("the server keeps answering");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let v: Value = serde_json::from_slice(&bytes).expect("always JSON");
        assert!(
            matches!(status, 200 | 400 | 402 | 404),
            "{status} for {body:?}: {v}"
        );
        if status != 200 {
            assert!(v["error"]["message"].is_string(), "{v}");
        }
    }
    assert_eq!(
        api.invoice(&serde_json::json!({"id": inv})).await["id"],
        inv
    );
}
