//! Unknown ids, validation errors, auth and headers, and garbage input: always a JSON error.

use reqwest::Method;
use serde_json::Value;

use super::{id, Api, KEY};

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
    assert_eq!(bad.err(401)["message"], "Invalid API Key provided: sk_***");
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
    assert_eq!(ok.header("stripe-version").unwrap(), "2026-10-28.endive");
    assert_eq!(ok.header("content-type").unwrap(), "application/json");
    // Who answers, so a runner given this mock's URL sends it the mock-only headers.
    assert_eq!(
        ok.header("apiparity-mock").unwrap(),
        env!("CARGO_PKG_VERSION")
    );
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
