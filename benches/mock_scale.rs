//! The mock at scale, through `apiparity mock` processes on loopback:
//!
//! 1. list (`GET /v1/invoices?limit=1`, also filtered by customer and by status) and search
//!    latency with 1k invoices against 200k (`APIPARITY_BENCH_INVOICES`), requests alternating
//!    between the two mocks, medians of `APIPARITY_BENCH_PAIRS` (default 20) pairs per query;
//! 2. at 200k, the GET throughput of 4 clients while a fifth loops a list, a search or (the
//!    control) the readers' own GET, against the 4 alone: every client built and run the same
//!    way, one shared 2-second window per measurement, interleaved, medians of
//!    `APIPARITY_BENCH_ROUNDS` (default 5); and the mock's CPU per answer (`/proc/<pid>/stat`)
//!    for a GET, a list and a search;
//! 3. RSS after `APIPARITY_BENCH_POSTS` (default 1,000,000) customer POSTs with distinct
//!    idempotency keys against the same without keys (two mocks, fed alternately);
//! 4. RSS growth over create + delete cycles (`APIPARITY_BENCH_CYCLES`, default 100,000) of
//!    customers, draft invoices and invoice items (deleted objects freed or not).
//!
//! Throughput of the create/finalize/pay mix and of retrieval is `cargo bench --bench mock`.

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{id_of, median, mib, Api, MockProc};

const CLIENTS: usize = 8;

/// Runs `n` jobs over `CLIENTS` concurrent tasks; job `i` is `f(api, i)`.
async fn fan_out<F, Fut>(api: &Api, n: usize, f: F)
where
    F: Fn(Api, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let api = Api::new(&api.base);
        let f = f.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    break;
                }
                f(api.clone(), i).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
}

struct Populated {
    /// A customer with ten invoices.
    customer: String,
    /// An invoice to GET.
    invoice: String,
}

/// `invoices` invoices over `invoices / 10` customers; every tenth is finalized (zero amount,
/// so paid): status filters then match a tenth of them.
async fn populate(api: &Api, invoices: usize) -> Populated {
    let customers = (invoices / 10).max(1);
    let ids = Arc::new(std::sync::Mutex::new(vec![String::new(); customers]));
    let ids2 = ids.clone();
    fan_out(api, customers, move |api, i| {
        let ids = ids2.clone();
        async move {
            let v = api.post("/v1/customers", "name=Scale").await;
            ids.lock().unwrap()[i] = id_of(&v);
        }
    })
    .await;
    let ids: Arc<Vec<String>> = Arc::new(ids.lock().unwrap().clone());
    let ids2 = ids.clone();
    fan_out(api, invoices, move |api, i| {
        let ids = ids2.clone();
        async move {
            let cus = &ids[i % ids.len()];
            let v = api
                .post(
                    "/v1/invoices",
                    &format!("customer={cus}&auto_advance=false"),
                )
                .await;
            if i % 10 == 0 {
                api.post(&format!("/v1/invoices/{}/finalize", id_of(&v)), "")
                    .await;
            }
        }
    })
    .await;
    let customer = ids[ids.len() / 2].clone();
    let (_, body) = api
        .get(&format!("/v1/invoices?limit=1&customer={customer}"))
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    Populated {
        invoice: v["data"][0]["id"].as_str().expect("an invoice").to_string(),
        customer,
    }
}

/// A labelled request path, made for one populated mock.
type Query = Box<dyn Fn(&Populated) -> String>;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn latency(api: &Api, path: &str) -> f64 {
    let start = Instant::now();
    let (status, body) = api.get(path).await;
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    start.elapsed().as_secs_f64()
}

/// One closed-loop client, the same for every client of an interference measurement: its own
/// HTTP client (its own connection, opened before the window), looping `path` and counting the
/// answers that complete inside the shared window `[start, end)`.
async fn closed_loop(base: String, path: String, start: Instant, end: Instant) -> u64 {
    let api = Api::new(&base);
    let (status, _) = api.get(&path).await;
    assert_eq!(status, 200, "{path}");
    tokio::time::sleep_until(start.into()).await;
    let mut n = 0;
    while Instant::now() < end {
        let (status, _) = api.get(&path).await;
        assert_eq!(status, 200, "{path}");
        if Instant::now() < end {
            n += 1;
        }
    }
    n
}

/// What one window measured: the readers' answers/s, the fifth client's, and the mock's CPU.
struct Window {
    readers: f64,
    fifth: f64,
    cpu_per_answer: f64,
}

/// The 4 readers GET `invoice` and, with `fifth`, one more client loops that path; all start
/// and stop together, `secs` long.
async fn window(mock: &MockProc, invoice: &str, fifth: Option<&str>, secs: f64) -> Window {
    let base = mock.base_url();
    let get = format!("/v1/invoices/{invoice}");
    // Time for every client to connect first, then one window for all.
    let start = Instant::now() + Duration::from_millis(300);
    let end = start + Duration::from_secs_f64(secs);
    let mut paths = vec![get; 4];
    paths.extend(fifth.map(str::to_string));
    let tasks: Vec<_> = paths
        .into_iter()
        .map(|p| tokio::spawn(closed_loop(base.clone(), p, start, end)))
        .collect();
    tokio::time::sleep_until(start.into()).await;
    let cpu0 = mock.cpu();
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.expect("client"));
    }
    let cpu = mock.cpu().saturating_sub(cpu0).as_secs_f64();
    let total: u64 = counts.iter().sum();
    Window {
        readers: counts[..4].iter().sum::<u64>() as f64 / secs,
        fifth: counts.get(4).map_or(0.0, |n| *n as f64 / secs),
        cpu_per_answer: cpu / total.max(1) as f64,
    }
}

/// The mock's CPU per answer with 4 clients all looping `path` for `secs`.
async fn cpu_per_answer(mock: &MockProc, path: &str, secs: f64) -> f64 {
    let base = mock.base_url();
    let start = Instant::now() + Duration::from_millis(300);
    let end = start + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..4)
        .map(|_| tokio::spawn(closed_loop(base.clone(), path.to_string(), start, end)))
        .collect();
    tokio::time::sleep_until(start.into()).await;
    let cpu0 = mock.cpu();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    mock.cpu().saturating_sub(cpu0).as_secs_f64() / total.max(1) as f64
}

/// `n` customer POSTs; with `keyed`, each carries its own key (`offset + i`: distinct across calls).
async fn posts(api: &Api, n: usize, keyed: bool, offset: usize) {
    fan_out(api, n, move |api, i| async move {
        let key = keyed.then(|| format!("bench-{:09}", offset + i));
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                "/v1/customers",
                "name=Jenny+Rosen&email=jenny%40example.com",
                key.as_deref(),
            )
            .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    })
    .await;
}

fn main() {
    let big_n = support::env_num("APIPARITY_BENCH_INVOICES", 200_000.0) as usize;
    let small_n = 1000;
    let pairs = support::env_num("APIPARITY_BENCH_PAIRS", 20.0) as usize;
    let posts_n = support::env_num("APIPARITY_BENCH_POSTS", 1_000_000.0) as usize;
    let rt = support::runtime();

    // 1. List and search latency, 1k against 200k.
    let small = MockProc::start(&[]);
    let big = MockProc::start(&[]);
    let (sa, ba) = (Api::new(&small.base_url()), Api::new(&big.base_url()));
    let t = Instant::now();
    let (sp, bp) =
        rt.block_on(async { (populate(&sa, small_n).await, populate(&ba, big_n).await) });
    println!(
        "populated {small_n} and {big_n} invoices in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let queries: Vec<(&str, Query)> = vec![
        (
            "list `limit=1`",
            Box::new(|_| "/v1/invoices?limit=1".into()),
        ),
        (
            "list `limit=1&customer=…`",
            Box::new(|p| format!("/v1/invoices?limit=1&customer={}", p.customer)),
        ),
        (
            "list `limit=1&status=paid`",
            Box::new(|_| "/v1/invoices?limit=1&status=paid".into()),
        ),
        (
            "search `customer:\"…\"` limit 1",
            Box::new(|p| {
                format!(
                    "/v1/invoices/search?limit=1&query={}",
                    enc(&format!("customer:\"{}\"", p.customer))
                )
            }),
        ),
        (
            "search `status:\"paid\"` limit 1",
            Box::new(|_| {
                format!(
                    "/v1/invoices/search?limit=1&query={}",
                    enc("status:\"paid\"")
                )
            }),
        ),
    ];
    let mut latency_rows = Vec::new();
    for (label, q) in &queries {
        let (ps, pb) = (q(&sp), q(&bp));
        let (mut ls, mut lb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        rt.block_on(async {
            for i in 0..pairs {
                let (s, b) = if i % 2 == 0 {
                    let s = latency(&sa, &ps).await;
                    (s, latency(&ba, &pb).await)
                } else {
                    let b = latency(&ba, &pb).await;
                    (latency(&sa, &ps).await, b)
                };
                ls.push(s);
                lb.push(b);
                ratios.push(b / s);
            }
        });
        let row = vec![
            label.to_string(),
            format!("{:.2}", median(&ls) * 1000.0),
            format!("{:.2}", median(&lb) * 1000.0),
            format!("{:.1}", median(&ratios)),
            "≤ 2".into(),
        ];
        println!("{}", row.join("  "));
        latency_rows.push(row);
    }
    drop(small);

    // 2. A list or search loop against everyone else's GETs, at 200k. Five identical closed-
    // loop clients on a saturated mock each get a fifth of it when their answers cost the mock
    // the same, so the readers' fair share with a fifth client is 4/5 = 0.80; the control (a
    // fifth client looping the readers' own GET) shows what this machine gives.
    let list_path = "/v1/invoices?limit=1".to_string();
    let search_path = format!(
        "/v1/invoices/search?limit=1&query={}",
        enc("status:\"paid\"")
    );
    let get_path = format!("/v1/invoices/{}", bp.invoice);
    let rounds = support::env_num("APIPARITY_BENCH_ROUNDS", 5.0) as usize;
    let secs = 2.0;
    let fifths: [(&str, Option<&str>); 4] = [
        ("4 clients GET an invoice, alone", None),
        (
            "… while a 5th client loops the same GET (control)",
            Some(&get_path),
        ),
        (
            "… while a 5th client loops `GET /v1/invoices?limit=1`",
            Some(&list_path),
        ),
        (
            "… while a 5th client loops a `status:\"paid\"` search",
            Some(&search_path),
        ),
    ];
    // Per case: readers' answers/s, the readers against the alone window of the same round,
    // the fifth client against one reader, the mock's CPU per answer.
    let mut got: Vec<[Vec<f64>; 4]> = (0..fifths.len()).map(|_| Default::default()).collect();
    let kinds = [
        ("GET an invoice", &get_path),
        ("list `limit=1`", &list_path),
        ("search `status:\"paid\"` limit 1", &search_path),
    ];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    rt.block_on(async {
        for r in 0..rounds {
            let mut order: Vec<usize> = (0..fifths.len()).collect();
            if r % 2 == 1 {
                order.reverse();
            }
            let mut w: Vec<Option<Window>> = (0..fifths.len()).map(|_| None).collect();
            for i in order {
                w[i] = Some(window(&big, &bp.invoice, fifths[i].1, secs).await);
            }
            let alone = w[0].as_ref().expect("measured").readers;
            for (i, w) in w.iter().enumerate() {
                let w = w.as_ref().expect("measured");
                got[i][0].push(w.readers);
                got[i][1].push(w.readers / alone);
                got[i][2].push(w.fifth / (w.readers / 4.0));
                got[i][3].push(w.cpu_per_answer);
            }
            for (k, (_, path)) in kinds.iter().enumerate() {
                cpu[k].push(cpu_per_answer(&big, path, secs).await);
            }
        }
    });
    let interference_rows: Vec<Vec<String>> = fifths
        .iter()
        .zip(&got)
        .enumerate()
        .map(|(i, ((label, _), g))| {
            vec![
                label.to_string(),
                format!("{:.0}", median(&g[0])),
                format!("{:.3}", median(&g[1])),
                if i == 0 {
                    "—".into()
                } else {
                    format!("{:.2}", median(&g[2]))
                },
                format!("{:.0}", median(&g[3]) * 1e6),
                if i < 2 {
                    "—".into()
                } else {
                    "≥ 0.80".into()
                },
            ]
        })
        .collect();
    for r in &interference_rows {
        println!("{}", r.join("  "));
    }
    let get_cpu = median(&cpu[0]);
    let cpu_rows: Vec<Vec<String>> = kinds
        .iter()
        .zip(&cpu)
        .map(|((label, _), c)| {
            vec![
                label.to_string(),
                format!("{:.0}", median(c) * 1e6),
                format!("{:.2}", median(c) / get_cpu),
            ]
        })
        .collect();
    for r in &cpu_rows {
        println!("{}", r.join("  "));
    }
    let big_rss = big.rss_kib();
    drop(big);

    // 3. RSS after many POSTs, with distinct idempotency keys and without.
    let keyed = MockProc::start(&[]);
    let unkeyed = MockProc::start(&[]);
    let (ka, ua) = (Api::new(&keyed.base_url()), Api::new(&unkeyed.base_url()));
    let fresh_rss = keyed.rss_kib();
    let t = Instant::now();
    let batch = 50_000.min(posts_n);
    rt.block_on(async {
        let mut sent = 0;
        while sent < posts_n {
            let n = batch.min(posts_n - sent);
            posts(&ka, n, true, sent).await;
            posts(&ua, n, false, sent).await;
            sent += n;
        }
    });
    let (krss, urss) = (keyed.rss_kib(), unkeyed.rss_kib());
    println!(
        "{posts_n} POSTs each in {:.1} s: keyed {:.0} MiB, unkeyed {:.0} MiB",
        t.elapsed().as_secs_f64(),
        mib(krss),
        mib(urss)
    );
    drop(keyed);
    drop(unkeyed);

    // 4. Create + delete cycles: is what is deleted given back? One fresh mock per kind; the
    // growth from a tenth of the cycles to all of them, per cycle.
    let cycles = support::env_num("APIPARITY_BENCH_CYCLES", 100_000.0) as usize;
    let mut churn_rows = Vec::new();
    for kind in ["customer", "invoice item", "draft invoice with an item"] {
        let churn = MockProc::start(&[]);
        let ca = Api::new(&churn.base_url());
        let owner = if kind == "customer" {
            String::new()
        } else {
            id_of(&rt.block_on(ca.post("/v1/customers", "name=Owner")))
        };
        let cycle = |n: usize| {
            let api = ca.clone();
            let owner = owner.clone();
            async move {
                fan_out(&api, n, move |api, _| {
                    let owner = owner.clone();
                    async move {
                        let delete = match kind {
                            "customer" => {
                                let v = api.post("/v1/customers", "name=Churn").await;
                                format!("/v1/customers/{}", id_of(&v))
                            }
                            _ => {
                                let item = format!("customer={owner}&amount=100&currency=usd");
                                let v = api.post("/v1/invoiceitems", &item).await;
                                if kind == "invoice item" {
                                    format!("/v1/invoiceitems/{}", id_of(&v))
                                } else {
                                    let inv = api
                                        .post(
                                            "/v1/invoices",
                                            &format!(
                                                "customer={owner}&auto_advance=false&\
                                                 pending_invoice_items_behavior=include"
                                            ),
                                        )
                                        .await;
                                    format!("/v1/invoices/{}", id_of(&inv))
                                }
                            }
                        };
                        let (status, body) =
                            api.send(reqwest::Method::DELETE, &delete, "", None).await;
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    }
                })
                .await
            }
        };
        let tenth = cycles / 10;
        rt.block_on(cycle(tenth));
        let rss_tenth = churn.rss_kib();
        rt.block_on(cycle(cycles - tenth));
        let rss_all = churn.rss_kib();
        let per_cycle =
            (rss_all.saturating_sub(rss_tenth)) as f64 * 1024.0 / (cycles - tenth) as f64;
        let row = vec![
            kind.to_string(),
            cycles.to_string(),
            format!("{:.0} MiB", mib(rss_tenth)),
            format!("{:.0} MiB", mib(rss_all)),
            format!("{per_cycle:.0}"),
        ];
        println!("{}", row.join("  "));
        churn_rows.push(row);
    }

    let text =
        format!(
        "Two `apiparity mock` processes, {small_n} and {big_n} invoices (a tenth paid, ten per \
customer); sequential requests alternating between them, medians of {pairs} pairs.\n\n{}\n\
Interference at {big_n} invoices (mock RSS {:.0} MiB): every client is the same closed loop \
(its own connection, opened before the window), all five share one {secs:.0}-second window; the \
four cases interleaved (order reversed every other round), medians of {rounds} rounds; \
\"vs alone\" is against the alone window of the same round. Five equal clients on a saturated \
mock get a fifth each when their answers cost the same, so the readers' fair share is 4/5 = \
0.80; the control (a fifth client looping the readers' own GET) shows what this machine gives \
(the benchmark's clients run on the same two cores as the mock).\n\n{}\n\
The mock's CPU per answer (`/proc/<pid>/stat` user + system over the window, divided by the \
answers), 4 clients looping one request, medians of {rounds}:\n\n{}\n\
Memory: {posts_n} `POST /v1/customers` to each of two fresh mocks (fresh: {:.0} MiB), fed \
alternately in batches of {batch}, 8 clients.\n\n{}\n\
Deleted objects: create + delete cycles, 8 clients, one fresh mock per kind (the invoice \
kinds bill one customer; a draft sweeps its item and is deleted with it); bytes kept per cycle \
from the RSS after a tenth of the cycles to the RSS after all (goal: none; the ids stay, for \
the deleted stubs).\n\n{}",
        support::table(
            &["query", "1k: ms", &format!("{}k: ms", big_n / 1000), "ratio", "goal"],
            &latency_rows
        ),
        mib(big_rss),
        support::table(
            &[
                "readers",
                "GETs/s",
                "vs alone",
                "5th client / a reader",
                "mock CPU per answer, µs",
                "goal"
            ],
            &interference_rows
        ),
        support::table(&["answer", "mock CPU, µs", "vs GET"], &cpu_rows),
        mib(fresh_rss),
        support::table(
            &["POSTs", "with distinct Idempotency-Keys", "without keys", "ratio", "goal"],
            &[vec![
                posts_n.to_string(),
                format!("{:.0} MiB", mib(krss)),
                format!("{:.0} MiB", mib(urss)),
                format!("{:.2}", krss as f64 / urss as f64),
                "≤ 1.20".into(),
            ]]
        ),
        support::table(
            &["deleted", "cycles", "RSS after a tenth", "after all", "bytes kept per cycle"],
            &churn_rows
        ),
    );
    support::write_section("mock_scale", &text);
}
