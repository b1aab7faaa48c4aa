//! Throughput of `apiparity mock` (a child process) over loopback HTTP, two workloads: a write
//! mix (customer → invoice item → invoice → finalize → pay, 5 requests per flow) and invoice
//! retrieval. Prints requests/second and writes its section of BENCHMARKS.md.
//!
//! `cargo bench --bench mock`. Knobs: `APIPARITY_BENCH_SECS` (per workload, default 3),
//! `APIPARITY_BENCH_CLIENTS` (concurrent clients, default 8), `APIPARITY_BENCH_BIN` (the build
//! whose mock is measured, default this one). With `APIPARITY_BENCH_OLD_BIN=PATH` it compares
//! two builds in one sitting: `APIPARITY_BENCH_PAIRS` (default 4) pairs, old and new
//! alternately (old first in odd pairs, new first in even ones), each run on a fresh mock, and
//! the figure is the median of the per-pair new/old ratios, of requests/s and of requests per
//! second of the mock's CPU (from `/proc`). Every loop is bounded in time and in count, and
//! only 127.0.0.1 is contacted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use serde_json::Value;
use support::{median, MockProc};

/// Hard cap on requests per client per workload, whatever the duration.
const MAX_REQUESTS_PER_CLIENT: u64 = 200_000;

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(&self, post: bool, path: &str, body: &str) -> Value {
        let url = format!("{}{path}", self.base);
        let req = if post {
            self.http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_string())
        } else {
            self.http.get(url)
        };
        let resp = req
            .header("Authorization", "Bearer sk_test_apiparity")
            .send()
            .await
            .expect("mock answers");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert!(status.is_success(), "{path}: {v}");
        v
    }

    fn id(v: &Value) -> String {
        v["id"].as_str().expect("id").to_string()
    }

    /// One create/finalize/pay flow: 5 requests.
    async fn flow(&self) {
        let cus = Self::id(&self.call(true, "/v1/customers", "name=bench").await);
        self.call(
            true,
            "/v1/invoiceitems",
            &format!("customer={cus}&amount=1099&currency=usd"),
        )
        .await;
        let inv = Self::id(
            &self
                .call(
                    true,
                    "/v1/invoices",
                    &format!("customer={cus}&pending_invoice_items_behavior=include"),
                )
                .await,
        );
        self.call(true, &format!("/v1/invoices/{inv}/finalize"), "")
            .await;
        self.call(
            true,
            &format!("/v1/invoices/{inv}/pay"),
            "payment_method=pm_card_visa",
        )
        .await;
    }
}

struct Outcome {
    requests: u64,
    elapsed: Duration,
    /// The mock's CPU (user + system) while the workload ran.
    cpu: Duration,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    /// Requests per second of the mock's CPU: what the mock costs per request, steadier than
    /// requests/s on a shared machine (the clients and other jobs take cores from it there).
    fn per_cpu(&self) -> f64 {
        self.requests as f64 / self.cpu.as_secs_f64().max(1e-9)
    }
}

async fn run<F, Fut>(base: &str, clients: usize, secs: f64, per_iteration: u64, work: F) -> Outcome
where
    F: Fn(Arc<Client>) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = Arc::new(Client {
            http: reqwest::Client::new(),
            base: base.to_string(),
        });
        let done = done.clone();
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline && n < MAX_REQUESTS_PER_CLIENT {
                work(client.clone()).await;
                n += per_iteration;
                done.fetch_add(per_iteration, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    Outcome {
        requests: done.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
        cpu: Duration::ZERO,
    }
}

/// One run on a fresh mock of `bin`: (mix, retrieve).
fn measure(
    rt: &tokio::runtime::Runtime,
    bin: &std::path::Path,
    clients: usize,
    secs: f64,
) -> (Outcome, Outcome) {
    let mock = MockProc::start_at(bin, &[]);
    let base = mock.base_url();
    rt.block_on(async {
        let before = mock.cpu();
        let mut mix = run(&base, clients, secs, 5, |c: Arc<Client>| async move {
            c.flow().await
        })
        .await;
        mix.cpu = mock.cpu().saturating_sub(before);
        // One invoice to read back.
        let setup = Client {
            http: reqwest::Client::new(),
            base: base.clone(),
        };
        let cus = Client::id(&setup.call(true, "/v1/customers", "name=r").await);
        setup
            .call(
                true,
                "/v1/invoiceitems",
                &format!("customer={cus}&amount=500&currency=usd"),
            )
            .await;
        let inv = Client::id(
            &setup
                .call(
                    true,
                    "/v1/invoices",
                    &format!("customer={cus}&pending_invoice_items_behavior=include"),
                )
                .await,
        );
        let path = format!("/v1/invoices/{inv}");
        let before = mock.cpu();
        let mut retrieve = run(&base, clients, secs, 1, move |c: Arc<Client>| {
            let path = path.clone();
            async move {
                c.call(false, &path, "").await;
            }
        })
        .await;
        retrieve.cpu = mock.cpu().saturating_sub(before);
        (mix, retrieve)
    })
}

fn main() {
    let secs = support::env_num("APIPARITY_BENCH_SECS", 3.0).min(60.0);
    let clients = support::env_num("APIPARITY_BENCH_CLIENTS", 8.0).min(256.0) as usize;
    let rt = support::runtime();
    let new_bin = support::bin();
    let old_bin = std::env::var_os("APIPARITY_BENCH_OLD_BIN").map(std::path::PathBuf::from);

    let (mix, retrieve) = measure(&rt, &new_bin, clients, secs);
    println!(
        "apiparity mock benchmark ({clients} clients, {secs}s per workload, loopback HTTP, {})",
        new_bin.display()
    );
    println!(
        "{:<44} {:>10} {:>12} {:>16}",
        "workload", "requests", "requests/s", "per mock CPU s"
    );
    let rows = [
        ("create/finalize/pay mix (5 requests/flow)", &mix),
        ("retrieve invoice", &retrieve),
    ];
    for (name, o) in rows {
        println!(
            "{name:<44} {:>10} {:>12.0} {:>16.0}",
            o.requests,
            o.rps(),
            o.per_cpu()
        );
    }
    let flows = mix.rps() / 5.0;
    println!("(mix: {flows:.0} complete invoice flows/s)");

    let mut text = format!(
        "{clients} clients, {secs} s per workload, loopback HTTP, an `apiparity mock` process.\n\n\
         | workload | requests | requests/s | requests per mock CPU second |\n| --- | --- | --- | --- |\n"
    );
    for (name, o) in rows {
        text.push_str(&format!(
            "| {name} | {} | {:.0} | {:.0} |\n",
            o.requests,
            o.rps(),
            o.per_cpu()
        ));
    }
    text.push_str(&format!(
        "\nThe mix completes {flows:.0} invoice flows/s.\n"
    ));

    if let Some(old_bin) = old_bin {
        let pairs = support::env_num("APIPARITY_BENCH_PAIRS", 4.0) as usize;
        let mut table = Vec::new();
        let (mut mix_r, mut get_r) = (Vec::new(), Vec::new());
        let (mut mix_c, mut get_c) = (Vec::new(), Vec::new());
        for i in 0..pairs {
            let (old, new) = if i % 2 == 0 {
                let old = measure(&rt, &old_bin, clients, secs);
                (old, measure(&rt, &new_bin, clients, secs))
            } else {
                let new = measure(&rt, &new_bin, clients, secs);
                (measure(&rt, &old_bin, clients, secs), new)
            };
            let (m, g) = (new.0.rps() / old.0.rps(), new.1.rps() / old.1.rps());
            mix_r.push(m);
            get_r.push(g);
            let (mc, gc) = (
                new.0.per_cpu() / old.0.per_cpu(),
                new.1.per_cpu() / old.1.per_cpu(),
            );
            mix_c.push(mc);
            get_c.push(gc);
            let row = vec![
                format!(
                    "{}{}",
                    i + 1,
                    if i % 2 == 0 {
                        " (old first)"
                    } else {
                        " (new first)"
                    }
                ),
                format!("{:.0}", old.0.rps()),
                format!("{:.0}", new.0.rps()),
                format!("{m:.2}"),
                format!("{:.0}", old.1.rps()),
                format!("{:.0}", new.1.rps()),
                format!("{g:.2}"),
                format!("{mc:.2}"),
                format!("{gc:.2}"),
            ];
            println!("{}", row.join("  "));
            table.push(row);
        }
        let (mm, gm) = (median(&mix_r), median(&get_r));
        let (mcm, gcm) = (median(&mix_c), median(&get_c));
        table.push(vec![
            "median of ratios".into(),
            String::new(),
            String::new(),
            format!("**{mm:.2}**"),
            String::new(),
            String::new(),
            format!("**{gm:.2}**"),
            format!("**{mcm:.2}**"),
            format!("**{gcm:.2}**"),
        ]);
        println!(
            "new/old: mix {mm:.2}, retrieve {gm:.2}; per mock CPU second: mix {mcm:.2}, retrieve {gcm:.2}"
        );
        let name = |p: &std::path::Path| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        text.push_str(&format!(
            "\nOld and new builds side by side: old `{}`, new `{}`, {pairs} pairs run \
             alternately in one sitting (a fresh mock per run); requests/s, and requests per \
             second of the mock's CPU (what a request costs the mock, steadier where the \
             clients and other jobs share its cores); each figure is the median of the \
             per-pair ratios (goal: new/old ≥ 1.00).\n\n{}",
            name(&old_bin),
            name(&new_bin),
            support::table(
                &[
                    "pair",
                    "old mix",
                    "new mix",
                    "new/old",
                    "old retrieve",
                    "new retrieve",
                    "new/old",
                    "mix new/old per CPU s",
                    "retrieve new/old per CPU s"
                ],
                &table
            )
        ));
    }
    support::write_section("mock", &text);
}
