//! `sweep`: removes what interrupted runs left behind, and nothing else.
//!
//! Two targets: a small fake of Stripe's list/delete/void endpoints on the raw test server
//! (paging, failures and rate limiting under control), and the embedded mock (`mock::spawn`,
//! the real state machine).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::raw_server::{Request, Resp, TestServer};
use crate::support::TEST_KEY;
use apiparity::run::sweep::{self, Action, SweepOptions};
use apiparity::run::{RateLimit, Target, TargetKind};
use apiparity::secret::Secret;
use serde_json::{json, Value};

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[derive(Default)]
struct Fake {
    /// (id, created, metadata, deleted)
    customers: Vec<(String, i64, Value, bool)>,
    /// (id, customer, status)
    invoices: Vec<(String, String, String)>,
}

impl Fake {
    fn customer(&mut self, id: &str, age: Duration, tag: Option<&str>) {
        let meta = match tag {
            Some(t) => json!({"apiparity_run": t}),
            None => json!({"order": "42"}),
        };
        let created = now_unix() - age.as_secs() as i64;
        self.customers.push((id.into(), created, meta, false));
    }
    fn invoice(&mut self, id: &str, customer: &str, status: &str) {
        self.invoices
            .push((id.into(), customer.into(), status.into()));
    }
    fn live_customers(&self) -> Vec<String> {
        self.customers
            .iter()
            .filter(|c| !c.3)
            .map(|c| c.0.clone())
            .collect()
    }
    fn status(&self, invoice: &str) -> Option<String> {
        self.invoices
            .iter()
            .find(|i| i.0 == invoice)
            .map(|i| i.2.clone())
    }
}

fn error(status: u16, message: &str) -> Resp {
    Resp::json(
        status,
        &json!({"error": {"type": "invalid_request_error", "message": message}}),
    )
}

/// Newest first, `limit` and `starting_after`, as Stripe pages.
fn page(objs: Vec<(i64, Value)>, q: &[(String, String)]) -> Resp {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let limit: usize = get("limit").and_then(|l| l.parse().ok()).unwrap_or(10);
    let mut objs = objs;
    objs.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| b.1["id"].as_str().cmp(&a.1["id"].as_str()))
    });
    let start = match get("starting_after") {
        Some(after) => match objs.iter().position(|o| o.1["id"] == after.as_str()) {
            Some(p) => p + 1,
            None => return error(400, &format!("No such object: '{after}'")),
        },
        None => 0,
    };
    let rest = &objs[start.min(objs.len())..];
    let data: Vec<Value> = rest.iter().take(limit).map(|o| o.1.clone()).collect();
    Resp::json(
        200,
        &json!({"object": "list", "data": data, "has_more": rest.len() > limit}),
    )
}

fn handle(fake: &Mutex<Fake>, req: &Request) -> Resp {
    let mut f = fake.lock().unwrap();
    if req.header("authorization") != Some(&format!("Bearer {TEST_KEY}")) {
        return error(401, "Invalid API Key provided");
    }
    let segs: Vec<String> = req.path().split('/').skip(2).map(str::to_string).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["customers"]) => {
            let objs = f
                .customers
                .iter()
                .filter(|c| !c.3)
                .map(|c| {
                    (
                        c.1,
                        json!({"id": c.0, "object": "customer", "created": c.1, "metadata": c.2}),
                    )
                })
                .collect();
            page(objs, &req.query())
        }
        ("DELETE", ["customers", id]) => {
            match f.customers.iter_mut().find(|c| c.0 == *id && !c.3) {
                Some(c) => {
                    c.3 = true;
                    Resp::json(200, &json!({"id": id, "deleted": true}))
                }
                None => error(404, &format!("No such customer: '{id}'")),
            }
        }
        ("GET", ["invoices"]) => {
            let q = req.query();
            let Some((_, cus)) = q.iter().find(|(k, _)| k == "customer") else {
                return error(400, "test fake: pass customer");
            };
            let objs = f
                .invoices
                .iter()
                .enumerate()
                .filter(|(_, i)| i.1 == *cus)
                .map(|(n, i)| {
                    (
                        n as i64,
                        json!({"id": i.0, "object": "invoice", "status": i.2}),
                    )
                })
                .collect();
            page(objs, &q)
        }
        ("DELETE", ["invoices", id]) => match f.invoices.iter().position(|i| i.0 == *id) {
            Some(p) if f.invoices[p].2 == "draft" => {
                f.invoices.remove(p);
                Resp::json(200, &json!({"id": id, "deleted": true}))
            }
            Some(_) => error(
                400,
                "You can't delete invoices created by subscriptions or finalized invoices.",
            ),
            None => error(404, &format!("No such invoice: '{id}'")),
        },
        ("POST", ["invoices", id, "void"]) => {
            if *id == "in_stuck" {
                return error(500, "stuck").header("Stripe-Should-Retry", "false");
            }
            if req.header("idempotency-key").is_none() {
                return error(400, "test fake: POSTs must carry an Idempotency-Key");
            }
            match f.invoices.iter_mut().find(|i| i.0 == *id) {
                Some(i) if i.2 == "open" => {
                    i.2 = "void".into();
                    Resp::json(200, &json!({"id": id, "status": "void"}))
                }
                Some(_) => error(400, "You can only void open invoices."),
                None => error(404, &format!("No such invoice: '{id}'")),
            }
        }
        _ => error(404, "Unrecognized request URL"),
    }
}

async fn fake_target(fake: &Arc<Mutex<Fake>>) -> (TestServer, Target) {
    let f = Arc::clone(fake);
    let server = TestServer::start(move |req| handle(&f, req).reply()).await;
    let target = Target {
        base_url: server.base_url(),
        api_key: Some(Secret::new(TEST_KEY)),
        kind: TargetKind::Custom,
        probed_at: None,
    };
    (server, target)
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn removes_old_tagged_customers_and_their_invoices_only() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    {
        let mut f = fake.lock().unwrap();
        f.customer("cus_old", 2 * HOUR, Some("ap_killed"));
        f.invoice("in_draft", "cus_old", "draft");
        f.invoice("in_open", "cus_old", "open");
        f.invoice("in_paid", "cus_old", "paid");
        f.invoice("in_uncollectible", "cus_old", "uncollectible");
        f.customer("cus_bare", 3 * HOUR, Some("ap_killed"));
        f.customer("cus_recent", Duration::from_secs(60), Some("ap_running"));
        f.invoice("in_recent", "cus_recent", "draft");
        f.customer("cus_user", 5 * HOUR, None);
        f.invoice("in_user", "cus_user", "draft");
        // A third-party object that merely has other metadata keys.
        f.customers.push((
            "cus_other".into(),
            now_unix() - 7200,
            json!({"apiparity_run": ""}),
            false,
        ));
    }
    let (server, target) = fake_target(&fake).await;

    let report = sweep::sweep(&target, &SweepOptions::new(HOUR, SystemTime::now())).await;

    let f = fake.lock().unwrap();
    assert_eq!(
        f.live_customers(),
        vec!["cus_recent", "cus_user", "cus_other"],
        "{}",
        report.render()
    );
    assert_eq!(f.status("in_draft"), None, "drafts are deleted");
    assert_eq!(f.status("in_open").as_deref(), Some("void"));
    assert_eq!(f.status("in_paid").as_deref(), Some("paid"));
    assert_eq!(
        f.status("in_uncollectible").as_deref(),
        Some("uncollectible")
    );
    assert_eq!(f.status("in_recent").as_deref(), Some("draft"));
    assert_eq!(f.status("in_user").as_deref(), Some("draft"));

    assert_eq!(report.customers_scanned, 5);
    assert_eq!(report.too_recent, 1);
    assert_eq!(report.customers.len(), 2);
    assert_eq!(report.customers_deleted(), 2);
    assert_eq!(report.invoices_deleted(), 1);
    assert_eq!(report.invoices_voided(), 1);
    assert_eq!(report.failures(), 0, "{}", report.render());
    let old = report.customers.iter().find(|c| c.id == "cus_old").unwrap();
    assert_eq!(old.run_id, "ap_killed");
    assert!(old
        .invoices
        .iter()
        .any(|i| i.id == "in_paid" && matches!(i.action, Action::Kept(_))));
    let text = report.render();
    assert!(
        text.contains(
            "removed 2 customers, deleted 1 draft invoices, voided 1 open invoices; 0 failures"
        ),
        "{text}"
    );

    // The untouched customers' invoices were never even listed.
    let reqs = server.requests();
    assert!(!reqs
        .iter()
        .any(|r| r.target.contains("cus_user") || r.target.contains("cus_recent")));
    assert!(reqs.iter().all(|r| r.header("stripe-version").is_some()));
}

#[tokio::test]
async fn pages_through_every_customer_before_deleting_any() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    {
        let mut f = fake.lock().unwrap();
        for n in 0..230 {
            let tag = (n % 2 == 0).then_some("ap_old");
            f.customer(
                &format!("cus_{n:03}"),
                2 * HOUR + Duration::from_secs(n),
                tag,
            );
        }
    }
    let (server, target) = fake_target(&fake).await;
    let report = sweep::sweep(&target, &SweepOptions::new(HOUR, SystemTime::now())).await;
    assert_eq!(report.errors, Vec::<String>::new());
    assert_eq!(report.customers_scanned, 230);
    assert_eq!(report.customers_deleted(), 115);
    assert_eq!(fake.lock().unwrap().live_customers().len(), 115);

    let reqs = server.requests();
    let lists: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.method == "GET" && r.path() == "/v1/customers")
        .collect();
    assert_eq!(lists.len(), 3, "230 customers are 3 pages of 100");
    assert!(lists
        .iter()
        .all(|r| r.query().contains(&("limit".into(), "100".into()))));
    // Every listing came before the first delete, so no cursor pointed at a deleted customer.
    let first_delete = reqs.iter().position(|r| r.method == "DELETE").unwrap();
    assert!(
        reqs[..first_delete]
            .iter()
            .filter(|r| r.path() == "/v1/customers")
            .count()
            == 3
    );
}

#[tokio::test]
async fn a_customer_whose_invoice_cannot_be_voided_is_kept_for_the_next_sweep() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    {
        let mut f = fake.lock().unwrap();
        f.customer("cus_stuck", 2 * HOUR, Some("ap_x"));
        f.invoice("in_stuck", "cus_stuck", "open");
        f.invoice("in_fine", "cus_stuck", "draft");
        f.customer("cus_fine", 2 * HOUR, Some("ap_x"));
    }
    let (_server, target) = fake_target(&fake).await;
    let mut opts = SweepOptions::new(HOUR, SystemTime::now());
    opts.retry.base = Duration::from_millis(10);
    let report = sweep::sweep(&target, &opts).await;

    assert_eq!(fake.lock().unwrap().live_customers(), vec!["cus_stuck"]);
    let stuck = report
        .customers
        .iter()
        .find(|c| c.id == "cus_stuck")
        .unwrap();
    assert!(matches!(stuck.action, Action::Failed(_)));
    let inv = stuck.invoices.iter().find(|i| i.id == "in_stuck").unwrap();
    assert_eq!(inv.action, Action::Failed("HTTP 500: stuck".into()));
    // The rest of that customer's cleanup still happened.
    assert_eq!(fake.lock().unwrap().status("in_fine"), None);
    assert_eq!(report.failures(), 2);
    assert!(report.render().contains("FAILED"));
}

#[tokio::test]
async fn dry_run_only_reads() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    {
        let mut f = fake.lock().unwrap();
        f.customer("cus_old", 2 * HOUR, Some("ap_x"));
        f.invoice("in_draft", "cus_old", "draft");
        f.invoice("in_open", "cus_old", "open");
    }
    let (server, target) = fake_target(&fake).await;
    let mut opts = SweepOptions::new(HOUR, SystemTime::now());
    opts.dry_run = true;
    let report = sweep::sweep(&target, &opts).await;
    assert!(server.requests().iter().all(|r| r.method == "GET"));
    let c = &report.customers[0];
    assert_eq!(c.action, Action::WouldDelete);
    let actions: Vec<_> = c.invoices.iter().map(|i| i.action.clone()).collect();
    assert!(actions.contains(&Action::WouldDelete) && actions.contains(&Action::WouldVoid));
    assert_eq!(fake.lock().unwrap().live_customers(), vec!["cus_old"]);
}

#[tokio::test]
async fn refuses_a_live_key_and_sends_nothing() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    let (server, mut target) = fake_target(&fake).await;
    target.api_key = Some(Secret::new("sk_live_FAKEsweep"));
    let report = sweep::sweep(
        &target,
        &SweepOptions::new(Duration::ZERO, SystemTime::now()),
    )
    .await;
    assert_eq!(server.count(), 0);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].contains("live-mode key"));
    assert!(!report.errors[0].contains("FAKEsweep"));
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_not_a_hang() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let target = Target {
        base_url: format!("http://127.0.0.1:{port}"),
        api_key: Some(Secret::new(TEST_KEY)),
        kind: TargetKind::Custom,
        probed_at: None,
    };
    let mut opts = SweepOptions::new(HOUR, SystemTime::now());
    opts.retry.base = Duration::from_millis(10);
    let report = sweep::sweep(&target, &opts).await;
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].starts_with("listing customers"));
    assert_eq!(report.failures(), 1);
}

#[tokio::test]
async fn respects_the_rate_limit() {
    let fake: Arc<Mutex<Fake>> = Arc::default();
    {
        let mut f = fake.lock().unwrap();
        // 1 list + 8 × (list invoices + delete customer) = 17 requests.
        for n in 0..8 {
            f.customer(&format!("cus_{n}"), 2 * HOUR, Some("ap_x"));
        }
    }
    let (server, target) = fake_target(&fake).await;
    let mut opts = SweepOptions::new(HOUR, SystemTime::now());
    opts.rate_limit = Some(RateLimit {
        per_second: 10.0,
        search_per_second: 10.0,
    });
    let started = Instant::now();
    let report = sweep::sweep(&target, &opts).await;
    assert_eq!(report.customers_deleted(), 8);
    assert_eq!(server.count(), 17);
    // At most 10 in any one second: the other 7 wait a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

// ---- against the embedded mock (needs the mock merge) ----

async fn post(http: &reqwest::Client, base: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let resp = http
        .post(format!("{base}{path}"))
        .bearer_auth(TEST_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn get(http: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let resp = http
        .get(format!("{base}{path}"))
        .bearer_auth(TEST_KEY)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap(),
    )
}

/// What an interrupted run leaves in the embedded mock: a tagged customer with a draft and an
/// open invoice (and a paid one), and an untagged customer that must survive.
#[tokio::test]
async fn sweeps_what_an_interrupted_run_left_in_the_embedded_mock() {
    let server = apiparity::mock::spawn(apiparity::mock::MockOptions::default())
        .await
        .expect("start the mock");
    let base = server.base_url();
    let http = reqwest::Client::new();
    let tag = [("metadata[apiparity_run]", "ap_interrupted")];

    let cus = post(
        &http,
        &base,
        "/v1/customers",
        &[("name", "Left behind"), tag[0]],
    )
    .await;
    let cus = cus["id"].as_str().unwrap().to_string();
    let invoice = |http: &reqwest::Client, amount: Option<&str>| {
        let (http, base, cus) = (http.clone(), base.clone(), cus.clone());
        let amount = amount.map(str::to_string);
        async move {
            if let Some(a) = amount {
                post(
                    &http,
                    &base,
                    "/v1/invoiceitems",
                    &[("customer", &cus), ("amount", &a), ("currency", "usd")],
                )
                .await;
            }
            let inv = post(
                &http,
                &base,
                "/v1/invoices",
                &[
                    ("customer", cus.as_str()),
                    ("auto_advance", "false"),
                    ("pending_invoice_items_behavior", "include"),
                    tag[0],
                ],
            )
            .await;
            inv["id"].as_str().unwrap().to_string()
        }
    };
    let draft = invoice(&http, None).await;
    let open = invoice(&http, Some("1099")).await;
    post(&http, &base, &format!("/v1/invoices/{open}/finalize"), &[]).await;
    let paid = invoice(&http, Some("500")).await;
    post(&http, &base, &format!("/v1/invoices/{paid}/finalize"), &[]).await;
    post(
        &http,
        &base,
        &format!("/v1/invoices/{paid}/pay"),
        &[("paid_out_of_band", "true")],
    )
    .await;

    let keep = post(
        &http,
        &base,
        "/v1/customers",
        &[("name", "A real user"), ("metadata[team]", "billing")],
    )
    .await;
    let keep = keep["id"].as_str().unwrap().to_string();

    let target = Target {
        base_url: base.clone(),
        api_key: Some(Secret::new(TEST_KEY)),
        kind: TargetKind::EmbeddedMock,
        probed_at: None,
    };
    let report = sweep::sweep(
        &target,
        &SweepOptions::new(Duration::ZERO, SystemTime::now()),
    )
    .await;
    assert_eq!(report.failures(), 0, "{}", report.render());
    assert_eq!(report.customers_deleted(), 1, "{}", report.render());

    let (status, _) = get(&http, &base, &format!("/v1/invoices/{draft}")).await;
    assert_eq!(status, 404, "the draft is deleted");
    let (_, inv) = get(&http, &base, &format!("/v1/invoices/{open}")).await;
    assert_eq!(inv["status"], "void");
    let (_, inv) = get(&http, &base, &format!("/v1/invoices/{paid}")).await;
    assert_eq!(inv["status"], "paid");
    let (status, body) = get(&http, &base, &format!("/v1/customers/{cus}")).await;
    assert!(status == 404 || body["deleted"] == true, "{status} {body}");
    let (status, body) = get(&http, &base, &format!("/v1/customers/{keep}")).await;
    assert_eq!(status, 200);
    assert_ne!(body["deleted"], true);

    // A second sweep finds nothing left to do.
    let again = sweep::sweep(
        &target,
        &SweepOptions::new(Duration::ZERO, SystemTime::now()),
    )
    .await;
    assert!(again.customers.is_empty(), "{}", again.render());
    server.shutdown().await;
}
