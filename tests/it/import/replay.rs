//! A flow recorded from one embedded mock, every id rewritten (so the target's ids differ from
//! the recording's), imported, and replayed against a fresh embedded mock: every reference
//! matches because the ids flow through captures.

use apiparity::config::{RunConfig, Settings, TargetSpec};
use apiparity::import::{import_cassettes, Cassette, Exchange, ImportOptions, Source};
use apiparity::mock::{self, MockOptions};
use apiparity::pipeline;
use serde_json::Value;

const VERSION: &str = "2025-03-31.basil";

async fn send(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
) -> Exchange {
    let encoded = {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let mut req = match method {
        "POST" => http
            .post(format!("{base}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encoded),
        "DELETE" => http.delete(format!("{base}{path}")),
        _ => http.get(format!(
            "{base}{path}{}",
            if params.is_empty() {
                String::new()
            } else {
                format!("?{encoded}")
            }
        )),
    };
    req = req
        .header(
            "Authorization",
            format!("Bearer {}", crate::support::TEST_KEY),
        )
        .header("Stripe-Version", VERSION);
    let res = req.send().await.expect("the mock answers");
    let status = res.status().as_u16();
    let body: Value = serde_json::from_str(&res.text().await.expect("a body")).expect("JSON");
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Exchange {
        method: method.into(),
        path: path.into(),
        query: if method == "POST" {
            vec![]
        } else {
            pairs.clone()
        },
        form: if method == "POST" { pairs } else { vec![] },
        request_headers: vec![("Stripe-Version".into(), VERSION.into())],
        status,
        body,
        ..Exchange::default()
    }
}

/// Every id-shaped token gets another random part of the same length (its last character
/// moved to the front), the same everywhere it appears.
fn rewrite(s: &str) -> String {
    let re =
        regex::Regex::new(r"\b(cus|in|ii|il|inpay|pi|ch|pm|txr|di)_([A-Za-z0-9]{8,})").unwrap();
    re.replace_all(s, |c: &regex::Captures| {
        let rest = &c[2];
        let (head, last) = rest.split_at(rest.len() - 1);
        let shifted = format!("{last}{head}");
        let shifted = if shifted == rest {
            format!("Z{}", &rest[1..])
        } else {
            shifted
        };
        format!("{}_{shifted}", &c[1])
    })
    .into_owned()
}

fn rewrite_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(rewrite(s)),
        Value::Array(a) => Value::Array(a.iter().map(rewrite_value).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), rewrite_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_against_the_embedded_mock_maps_every_id() {
    let server = mock::spawn(MockOptions::default())
        .await
        .expect("mock binds");
    let base = server.base_url();
    let http = reqwest::Client::new();
    let mut ex = Vec::new();
    let customer = send(
        &http,
        &base,
        "POST",
        "/v1/customers",
        &[("email", "jenny@example.com"), ("name", "Jenny Rosen")],
    )
    .await;
    let cus = customer.body["id"].as_str().unwrap().to_string();
    ex.push(customer);
    ex.push(
        send(
            &http,
            &base,
            "POST",
            "/v1/invoiceitems",
            &[
                ("customer", &cus),
                ("amount", "1099"),
                ("currency", "usd"),
                ("description", "Consulting"),
            ],
        )
        .await,
    );
    let invoice = send(
        &http,
        &base,
        "POST",
        "/v1/invoices",
        &[
            ("customer", &cus),
            ("auto_advance", "false"),
            ("pending_invoice_items_behavior", "include"),
        ],
    )
    .await;
    let inv = invoice.body["id"].as_str().unwrap().to_string();
    ex.push(invoice);
    ex.push(
        send(
            &http,
            &base,
            "POST",
            &format!("/v1/invoices/{inv}/finalize"),
            &[],
        )
        .await,
    );
    ex.push(
        send(
            &http,
            &base,
            "POST",
            &format!("/v1/invoices/{inv}/pay"),
            &[("paid_out_of_band", "true")],
        )
        .await,
    );
    ex.push(send(&http, &base, "GET", &format!("/v1/invoices/{inv}"), &[]).await);
    ex.push(send(&http, &base, "GET", "/v1/invoices", &[("customer", &cus)]).await);
    ex.push(send(&http, &base, "GET", "/v1/invoices/in_nope", &[]).await);
    server.shutdown().await;
    assert_eq!(ex[7].status, 404);

    // The recording's ids are not the ones any mock will hand out.
    let recorded: Vec<Exchange> = ex
        .iter()
        .map(|e| Exchange {
            path: rewrite(&e.path),
            query: e
                .query
                .iter()
                .map(|(k, v)| (k.clone(), rewrite(v)))
                .collect(),
            form: e
                .form
                .iter()
                .map(|(k, v)| (k.clone(), rewrite(v)))
                .collect(),
            body: rewrite_value(&e.body),
            ..e.clone()
        })
        .collect();
    assert_ne!(recorded[0].body["id"], ex[0].body["id"]);
    let out = tempfile::tempdir().unwrap();
    let cassette = Cassette {
        name: "pay-out-of-band".into(),
        source: Source {
            name: "mock".into(),
            recorder: "the replay test".into(),
            file: "memory".into(),
            recorded_on: None,
            origin: None,
        },
        exchanges: recorded,
    };
    let report = import_cassettes(&[cassette], &ImportOptions::into_root(out.path()));
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(text.contains("/v1/invoices/{{invoice_id}}/pay"), "{text}");

    let cfg = RunConfig::new(Settings {
        paths: vec![out.path().join("scenarios")],
        target: TargetSpec::EmbeddedMock,
        snapshots: out.path().join("snapshots"),
        report_dir: out.path().join("reports"),
        ..Settings::default()
    })
    .unwrap();
    let plan = pipeline::plan(&cfg).unwrap();
    let finished = pipeline::execute(&cfg, &plan.selected, None).await.unwrap();
    let report = serde_json::to_value(&finished.report).unwrap();
    let steps = report["scenarios"][0]["steps"].as_array().unwrap();
    let compared: Vec<&Value> = steps.iter().filter(|s| s["teardown"] == false).collect();
    assert_eq!(compared.len(), 8);
    for s in &compared {
        assert_eq!(
            s["status"],
            "pass",
            "{}: {}",
            s["id"],
            serde_json::to_string_pretty(s).unwrap()
        );
        assert_eq!(s["verdict"], "match", "{}", s["id"]);
    }
    assert_eq!(
        finished.report.summary.exit_code,
        0,
        "{}",
        serde_json::to_string_pretty(&report["summary"]).unwrap()
    );
}
