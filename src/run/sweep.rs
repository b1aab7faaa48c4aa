//! Cleans up what interrupted runs left on a target. Every scenario tags the customers (and
//! invoices) it creates with `metadata[apiparity_run]` and removes them in `teardown`; a run
//! killed halfway leaves them behind. It is the backstop for `teardown`. [`sweep`] finds tagged customers older than a cutoff and,
//! per customer: deletes its draft invoices, voids its open ones, then deletes the customer.
//!
//! It goes through the runner's HTTP client, so it has the same timeouts, transport retries
//! (POSTs carry an Idempotency-Key) and rate limit as a run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::http::{Client, Prepared};
use super::{Body, RateLimit, Response, RetryPolicy, RunOptions, Target, TransportError};
use crate::version::DEFAULT_STRIPE_VERSION;

/// The metadata key every scenario sets on what it creates.
pub const RUN_TAG: &str = "apiparity_run";
/// Page size for list requests (Stripe's maximum).
const PAGE: usize = 100;
/// Stops paging a target that never ends its list (a broken mock must not loop forever).
const MAX_PAGES: usize = 1000;

/// How a sweep runs.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Only customers created at least this long before `now` are touched, so a sweep never
    /// pulls objects out from under a run that is still going.
    pub older_than: Duration,
    /// Now, for the age cutoff.
    pub now: SystemTime,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Transport retries.
    pub retry: RetryPolicy,
    /// Requests per second (`None`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// List what would be removed; send no DELETE or POST.
    pub dry_run: bool,
}

impl SweepOptions {
    /// The runner's default timeout and retries, no rate limit, not a dry run. The rate limit
    /// for a target is the config's to choose (`config::Requests::rate_limit`: Stripe's
    /// test-mode limits for anything not on loopback), so set `rate_limit` from there.
    pub fn new(older_than: Duration, now: SystemTime) -> SweepOptions {
        SweepOptions {
            older_than,
            now,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            rate_limit: None,
            dry_run: false,
        }
    }
}

/// What a sweep found and did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SweepReport {
    /// Customers listed (tagged or not).
    pub customers_scanned: usize,
    /// Tagged customers left alone because they are newer than the cutoff.
    pub too_recent: usize,
    /// Every tagged customer old enough, with what happened to it and its invoices.
    pub customers: Vec<CustomerSweep>,
    /// Problems that stopped the sweep or a listing (the target unreachable, a live key).
    pub errors: Vec<String>,
}

/// A tagged customer old enough to sweep.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerSweep {
    /// The customer id.
    pub id: String,
    /// The `apiparity_run` value: which run left it.
    pub run_id: String,
    /// When it was created (Unix seconds).
    pub created: i64,
    /// Its invoices and what happened to each.
    pub invoices: Vec<InvoiceSweep>,
    /// What happened to the customer.
    pub action: Action,
}

/// An invoice of a swept customer.
#[derive(Clone, Debug, Serialize)]
pub struct InvoiceSweep {
    /// The invoice id.
    pub id: String,
    /// The status it was found in.
    pub status: String,
    /// What happened to it.
    pub action: Action,
}

/// What a sweep did to an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "detail", rename_all = "snake_case")]
pub enum Action {
    /// Deleted (drafts, customers).
    Deleted,
    /// Voided (open invoices).
    Voided,
    /// Already gone when we got to it (404): someone else cleaned up.
    Gone,
    /// Nothing to do (a paid, void or uncollectible invoice stays: Stripe keeps those).
    Kept(String),
    /// `dry_run`: what would have been done.
    WouldDelete,
    /// `dry_run`: would have voided it.
    WouldVoid,
    /// The request failed, with why.
    Failed(String),
}

impl Action {
    fn failed(&self) -> bool {
        matches!(self, Action::Failed(_))
    }
}

impl SweepReport {
    /// Customers removed (or already gone).
    pub fn customers_deleted(&self) -> usize {
        self.count(|c| matches!(c.action, Action::Deleted | Action::Gone))
    }
    /// Draft invoices removed (or already gone).
    pub fn invoices_deleted(&self) -> usize {
        self.invoices(|a| matches!(a, Action::Deleted | Action::Gone))
    }
    /// Open invoices voided.
    pub fn invoices_voided(&self) -> usize {
        self.invoices(|a| *a == Action::Voided)
    }
    /// Failed actions, plus errors that stopped a listing.
    pub fn failures(&self) -> usize {
        self.count(|c| c.action.failed()) + self.invoices(Action::failed) + self.errors.len()
    }
    fn count(&self, f: impl Fn(&CustomerSweep) -> bool) -> usize {
        self.customers.iter().filter(|c| f(c)).count()
    }
    fn invoices(&self, f: impl Fn(&Action) -> bool) -> usize {
        self.customers
            .iter()
            .flat_map(|c| &c.invoices)
            .filter(|i| f(&i.action))
            .count()
    }

    /// A plain-text account, one line per object acted on, then totals.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.customers {
            for i in &c.invoices {
                out.push_str(&format!(
                    "  invoice {} ({}): {}\n",
                    i.id,
                    i.status,
                    describe(&i.action)
                ));
            }
            out.push_str(&format!(
                "customer {} (run {}): {}\n",
                c.id,
                c.run_id,
                describe(&c.action)
            ));
        }
        for e in &self.errors {
            out.push_str(&format!("error: {e}\n"));
        }
        out.push_str(&format!(
            "scanned {} customers: {} tagged and old enough ({} newer left alone); removed {} customers, deleted {} draft invoices, voided {} open invoices; {} failures\n",
            self.customers_scanned,
            self.customers.len(),
            self.too_recent,
            self.customers_deleted(),
            self.invoices_deleted(),
            self.invoices_voided(),
            self.failures(),
        ));
        out
    }
}

fn describe(a: &Action) -> String {
    match a {
        Action::Deleted => "deleted".into(),
        Action::Voided => "voided".into(),
        Action::Gone => "already gone".into(),
        Action::Kept(why) => format!("kept ({why})"),
        Action::WouldDelete => "would delete (dry run)".into(),
        Action::WouldVoid => "would void (dry run)".into(),
        Action::Failed(e) => format!("FAILED: {e}"),
    }
}

/// Finds what earlier runs left on `target` and removes it (or, `dry_run`, says what it would
/// remove).
pub async fn sweep(target: &Target, opts: &SweepOptions) -> SweepReport {
    let mut report = SweepReport::default();
    if let Some(key) = target.api_key.as_ref().filter(|k| k.is_live()) {
        report.errors.push(format!(
            "refusing to sweep with a live-mode key ({}): apiparity works in test mode only",
            key.masked()
        ));
        return report;
    }
    let api = Api::new(target, opts);
    let cutoff = unix(opts.now).saturating_sub(opts.older_than.as_secs() as i64);

    // Collect first, act after: deleting while paging would invalidate the cursor. No
    // server-side `created` filter: not every mock supports one, and the count of recent
    // tagged customers left alone is worth reporting.
    let customers = match api.list_all("/v1/customers", &[]).await {
        Ok(c) => c,
        Err((partial, e)) => {
            report.errors.push(format!("listing customers: {e}"));
            partial
        }
    };
    report.customers_scanned = customers.len();
    for c in customers {
        let Some(run_id) = tag(&c) else { continue };
        let (Some(id), Some(created)) = (c["id"].as_str(), c["created"].as_i64()) else {
            continue;
        };
        if created > cutoff {
            report.too_recent += 1;
            continue;
        }
        report
            .customers
            .push(sweep_customer(&api, id, run_id, created, opts.dry_run).await);
    }
    report
}

async fn sweep_customer(
    api: &Api,
    id: &str,
    run_id: String,
    created: i64,
    dry_run: bool,
) -> CustomerSweep {
    let mut out = CustomerSweep {
        id: id.to_string(),
        run_id,
        created,
        invoices: vec![],
        action: Action::Kept(String::new()),
    };
    let invoices = match api
        .list_all("/v1/invoices", &[("customer".into(), id.to_string())])
        .await
    {
        Ok(i) => i,
        Err((_, e)) => {
            // Without the invoice list we cannot void what is open: keep the customer, so the
            // next sweep finds it again.
            out.action = Action::Failed(format!("listing its invoices: {e}"));
            return out;
        }
    };
    for inv in invoices {
        let Some(inv_id) = inv["id"].as_str() else {
            continue;
        };
        let status = inv["status"].as_str().unwrap_or("").to_string();
        let action = match (status.as_str(), dry_run) {
            ("draft", true) => Action::WouldDelete,
            ("open", true) => Action::WouldVoid,
            ("draft", false) => api.delete(&format!("/v1/invoices/{inv_id}")).await,
            ("open", false) => {
                api.post(&format!("/v1/invoices/{inv_id}/void"), Action::Voided)
                    .await
            }
            (other, _) => Action::Kept(format!("{other} invoices stay")),
        };
        out.invoices.push(InvoiceSweep {
            id: inv_id.to_string(),
            status,
            action,
        });
    }
    out.action = if out.invoices.iter().any(|i| i.action.failed()) {
        Action::Failed("kept: an invoice could not be removed (the next sweep retries)".into())
    } else if dry_run {
        Action::WouldDelete
    } else {
        api.delete(&format!("/v1/customers/{id}")).await
    };
    out
}

/// The `apiparity_run` tag of an object, when set (non-empty).
fn tag(obj: &Value) -> Option<String> {
    match &obj["metadata"][RUN_TAG] {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

struct Api {
    client: Client,
    auth: Option<String>,
    /// Unique per sweep: idempotency keys of one sweep never collide with an earlier one's.
    nonce: String,
}

impl Api {
    fn new(target: &Target, opts: &SweepOptions) -> Api {
        let nonce = crate::run::new_run_id();
        let run_opts = RunOptions {
            target: target.clone(),
            jobs: 1,
            timeout: opts.timeout,
            stripe_version: DEFAULT_STRIPE_VERSION.to_string(),
            run_id: nonce.clone(),
            retry: opts.retry.clone(),
            rate_limit: opts.rate_limit,
            adaptive: false,
            polling: Default::default(),
            progress: None,
            redactor: Default::default(),
            max_body: crate::run::DEFAULT_MAX_BODY,
        };
        Api {
            client: Client::new(&run_opts),
            auth: target
                .api_key
                .as_ref()
                .map(|k| format!("Bearer {}", k.expose())),
            nonce,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path_and_query: String,
        idempotency: Option<String>,
    ) -> Result<Response, String> {
        let mut headers = vec![(
            "Stripe-Version".to_string(),
            DEFAULT_STRIPE_VERSION.to_string(),
        )];
        if let Some(a) = &self.auth {
            headers.push(("Authorization".into(), a.clone()));
        }
        if let Some(k) = idempotency {
            headers.push(("Idempotency-Key".into(), k));
        }
        let is_post = method == reqwest::Method::POST;
        let req = Prepared {
            method,
            path_and_query,
            headers,
            form: is_post.then(String::new),
        };
        let (result, _) = self.client.send(&req, &super::http::Notify::NONE).await;
        result.map_err(|e: TransportError| e.to_string())
    }

    /// Every object of a list endpoint, following `has_more` with `starting_after`. On error,
    /// what was listed so far and the error.
    async fn list_all(
        &self,
        path: &str,
        params: &[(String, String)],
    ) -> Result<Vec<Value>, (Vec<Value>, String)> {
        let mut all: Vec<Value> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut q: Vec<(String, String)> = params.to_vec();
            q.push(("limit".into(), PAGE.to_string()));
            if let Some(a) = &after {
                q.push(("starting_after".into(), a.clone()));
            }
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(q)
                .finish();
            let resp = match self
                .send(reqwest::Method::GET, format!("{path}?{query}"), None)
                .await
            {
                Ok(r) => r,
                Err(e) => return Err((all, e)),
            };
            let body = match (&resp.body, resp.status) {
                (Body::Json(v), 200) => v,
                _ => return Err((all, failure(&resp))),
            };
            let Some(data) = body["data"].as_array() else {
                return Err((all, format!("GET {path}: the response has no `data` list")));
            };
            let last = data
                .last()
                .and_then(|o| o["id"].as_str())
                .map(str::to_string);
            all.extend(data.iter().cloned());
            match (body["has_more"].as_bool(), last) {
                (Some(true), Some(last)) if after.as_deref() != Some(last.as_str()) => {
                    after = Some(last);
                }
                _ => return Ok(all),
            }
        }
        Err((
            all,
            format!("GET {path}: still more after {MAX_PAGES} pages"),
        ))
    }

    async fn delete(&self, path: &str) -> Action {
        match self
            .send(reqwest::Method::DELETE, path.to_string(), None)
            .await
        {
            Ok(r) if r.status == 200 => Action::Deleted,
            Ok(r) if r.status == 404 => Action::Gone,
            Ok(r) => Action::Failed(failure(&r)),
            Err(e) => Action::Failed(e),
        }
    }

    async fn post(&self, path: &str, done: Action) -> Action {
        let key = format!("apiparity-sweep-{}-{}", self.nonce, path.replace('/', "-"));
        match self
            .send(reqwest::Method::POST, path.to_string(), Some(key))
            .await
        {
            Ok(r) if r.status == 200 => done,
            Ok(r) if r.status == 404 => Action::Gone,
            Ok(r) => Action::Failed(failure(&r)),
            Err(e) => Action::Failed(e),
        }
    }
}

/// `HTTP 400: <Stripe's error message>` (or the start of a non-JSON body).
fn failure(r: &Response) -> String {
    let detail = match &r.body {
        Body::Json(v) => v["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        Body::Text(t) => t.chars().take(200).collect(),
        Body::Empty | Body::Released => String::new(),
    };
    format!("HTTP {}: {detail}", r.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_must_be_non_empty_strings() {
        assert_eq!(
            tag(&json!({"metadata": {"apiparity_run": "ap1"}})),
            Some("ap1".into())
        );
        assert_eq!(tag(&json!({"metadata": {"apiparity_run": ""}})), None);
        assert_eq!(tag(&json!({"metadata": {}})), None);
        assert_eq!(tag(&json!({"metadata": null})), None);
        assert_eq!(tag(&json!({})), None);
    }

    #[test]
    fn failures_quote_stripe_error_messages() {
        let r = Response {
            status: 400,
            headers: vec![],
            body: Body::Json(json!({"error": {"message": "You can only void open invoices."}})),
            duplicate_keys: vec![],
        };
        assert_eq!(failure(&r), "HTTP 400: You can only void open invoices.");
    }
}
