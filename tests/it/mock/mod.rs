//! The embedded mock over real HTTP: every transition and refusal of reference §4.3 / §2.5,
//! validation and auth errors, idempotency, pagination, search, versions and concurrency; one
//! module per endpoint or concept, all through the `Api` client below. Then its parsers, the
//! recorded seeds it must reproduce, and Stripe's own Python SDK against it.

use apiparity::mock::{self, MockOptions, MockServer};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::support::TEST_KEY as KEY;

const PRE_BASIL: &str = "2023-10-16";

/// docs/mock.md's version table is the mock's.
mod docs;
/// Unknown ids, validation errors, auth and headers, garbage input.
mod errors;
/// The form and search-query parsers (proptest).
mod fuzz;
/// Idempotency keys: replay, reuse, concurrent use.
mod idempotency;
/// Invoice transitions and refusals, invoice items, customers.
mod lifecycle;
/// Lists, paging, invoice lines, search.
mod list_search;
/// Optional parameters accepted or refused as Stripe does, measured from the SDK schemas.
mod parameters;
/// The committed parameter data of the mock, derived from the extracted SDK schemas.
mod params_data;
/// `/pay`: out of band, cards, declines, concurrency.
mod pay;
/// Stripe's official Python SDK against the mock (skips without python3 + `stripe`).
mod python_sdk;
/// The real recordings in ../shared/recordings replayed against the mock, ids mapped.
mod recordings;
/// Every rendering against the extracted SDK schema of every modelled version.
mod schema;
/// Every recorded Stripe response in shared/seeds, and every seed-covered snapshot, reproduced.
mod seeds;
/// `apiparity mock` the process: banner after bind, real port, idle close, key echo.
mod server;
/// Money with discounts, taxes and shipping; line edits; previews; payments; expansions.
mod surface;
/// API versions: each renders its own shape; the seed-000 examples.
mod versions;

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
    /// Sent as `Apiparity-As-Of` (the day responses describe).
    as_of: Option<String>,
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
            as_of: None,
            _server: Some(server),
        }
    }

    /// A second handle on the same server speaking another API version.
    fn at_version(&self, v: &str) -> Api {
        Api {
            base: self.base.clone(),
            http: self.http.clone(),
            version: Some(v.to_string()),
            as_of: None,
            _server: None,
        }
    }

    /// A handle speaking `v` as Stripe was on `as_of`.
    fn at(&self, v: &str, as_of: &str) -> Api {
        Api {
            as_of: Some(as_of.to_string()),
            ..self.at_version(v)
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
        if let Some(d) = &self.as_of {
            req = req.header("Apiparity-As-Of", d);
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
