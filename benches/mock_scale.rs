//! The mock at scale, through `apiparity mock` processes on loopback:
//!
//! 1. list (`GET /v1/invoices?limit=1`, also filtered by customer and by status) and search
//!    latency with 1k invoices against 200k (`APIPARITY_BENCH_INVOICES`), requests alternating
//!    between the two mocks, medians of `APIPARITY_BENCH_PAIRS` (default 20) pairs per query;
//! 2. at 200k, the GET throughput of 4 clients while one more client loops a list (or a search),
//!    against the same 4 clients alone; interleaved 2-second windows, medians of 3;
//! 3. RSS after `APIPARITY_BENCH_POSTS` (default 1,000,000) customer POSTs with distinct
//!    idempotency keys against the same without keys (two mocks, fed alternately);
//! 4. RSS growth over create + delete cycles of customers (deleted objects freed or not).
//!
//! Throughput of the create/finalize/pay mix and of retrieval is `cargo bench --bench mock`.

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// Requests per second of `readers` clients GETting one invoice for `secs`.
async fn read_throughput(base: &str, invoice: &str, readers: usize, secs: f64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..readers {
        let api = Api::new(base);
        let done = done.clone();
        let path = format!("/v1/invoices/{invoice}");
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let (status, _) = api.get(&path).await;
                assert_eq!(status, 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("reader");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Throughput of the readers while one more client loops `path` (or alone when `None`).
async fn with_loop(base: &str, invoice: &str, path: Option<String>) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let looped = Arc::new(AtomicU64::new(0));
    let looper = path.map(|p| {
        let api = Api::new(base);
        let stop = stop.clone();
        let looped = looped.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let (status, _) = api.get(&p).await;
                assert_eq!(status, 200);
                looped.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    let tput = read_throughput(base, invoice, 4, 2.0).await;
    stop.store(true, Ordering::Relaxed);
    if let Some(l) = looper {
        l.await.expect("looper");
    }
    (tput, looped.load(Ordering::Relaxed))
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

    // 2. A list or search loop against everyone else's GETs, at 200k.
    let base = big.base_url();
    let list_path = "/v1/invoices?limit=1".to_string();
    let search_path = format!(
        "/v1/invoices/search?limit=1&query={}",
        enc("status:\"paid\"")
    );
    let get_path = format!("/v1/invoices/{}", bp.invoice);
    let (mut alone, mut under_list, mut under_search) = (Vec::new(), Vec::new(), Vec::new());
    let mut under_get = Vec::new();
    let (mut list_loops, mut search_loops, mut get_loops) = (0, 0, 0);
    rt.block_on(async {
        for _ in 0..3 {
            // Control: a fifth client looping the readers' own GET. On a machine with fewer
            // cores than clients it takes its share of the CPU whatever it asks for; a list or
            // search that costs no more than a GET leaves the readers as much as this does.
            let (t, n) = with_loop(&base, &bp.invoice, Some(get_path.clone())).await;
            under_get.push(t);
            get_loops += n;
            alone.push(with_loop(&base, &bp.invoice, None).await.0);
            let (t, n) = with_loop(&base, &bp.invoice, Some(list_path.clone())).await;
            under_list.push(t);
            list_loops += n;
            alone.push(with_loop(&base, &bp.invoice, None).await.0);
            let (t, n) = with_loop(&base, &bp.invoice, Some(search_path.clone())).await;
            under_search.push(t);
            search_loops += n;
        }
    });
    let vs_get = |v: &[f64]| format!("{:.3}", median(v) / median(&under_get));
    let interference_rows = vec![
        vec![
            "4 clients GET an invoice, alone".into(),
            format!("{:.0}", median(&alone)),
            "1.00".into(),
            "—".into(),
            "—".into(),
        ],
        vec![
            format!("… while a 5th client loops the same GET (control: {get_loops} GETs in 6 s)"),
            format!("{:.0}", median(&under_get)),
            format!("{:.3}", median(&under_get) / median(&alone)),
            "1.00".into(),
            "—".into(),
        ],
        vec![
            format!("… while 1 client loops `GET /v1/invoices?limit=1` ({list_loops} lists in 6 s)"),
            format!("{:.0}", median(&under_list)),
            format!("{:.3}", median(&under_list) / median(&alone)),
            vs_get(&under_list),
            "≥ 0.80".into(),
        ],
        vec![
            format!("… while 1 client loops a `status:\"paid\"` search ({search_loops} searches in 6 s)"),
            format!("{:.0}", median(&under_search)),
            format!("{:.3}", median(&under_search) / median(&alone)),
            vs_get(&under_search),
            "≥ 0.80".into(),
        ],
    ];
    for r in &interference_rows {
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

    // 4. Create + delete cycles: is what is deleted given back?
    let churn = MockProc::start(&[]);
    let ca = Api::new(&churn.base_url());
    let cycles = (posts_n / 5).max(10_000);
    let cycle = |api: &Api, n: usize| {
        let api = api.clone();
        async move {
            fan_out(&api, n, |api, _| async move {
                let v = api.post("/v1/customers", "name=Churn").await;
                let (status, _) = api
                    .send(
                        reqwest::Method::DELETE,
                        &format!("/v1/customers/{}", id_of(&v)),
                        "",
                        None,
                    )
                    .await;
                assert_eq!(status, 200);
            })
            .await
        }
    };
    let tenth = cycles / 10;
    rt.block_on(cycle(&ca, tenth));
    let rss_tenth = churn.rss_kib();
    rt.block_on(cycle(&ca, cycles - tenth));
    let rss_all = churn.rss_kib();
    let per_object = (rss_all.saturating_sub(rss_tenth)) as f64 * 1024.0 / (cycles - tenth) as f64;
    drop(churn);

    let text = format!(
        "Two `apiparity mock` processes, {small_n} and {big_n} invoices (a tenth paid, ten per \
customer); sequential requests alternating between them, medians of {pairs} pairs.\n\n{}\n\
Interference at {big_n} invoices (mock RSS {:.0} MiB): 2-second windows, interleaved, medians of 3. \
The control is a fifth client looping the readers' own GET: with more busy clients than cores, \
any fifth client takes its share of the CPU; \"vs the control\" is what a list or search loop \
costs the readers beyond that.\n\n{}\n\
Memory: {posts_n} `POST /v1/customers` to each of two fresh mocks (fresh: {:.0} MiB), fed \
alternately in batches of {batch}, 8 clients.\n\n{}\n\
Deleted objects: {cycles} create + delete cycles of a customer; RSS after a tenth of them \
{:.0} MiB, after all {:.0} MiB: {per_object:.0} bytes kept per deleted customer (goal: none).\n",
        support::table(
            &["query", "1k: ms", &format!("{}k: ms", big_n / 1000), "ratio", "goal"],
            &latency_rows
        ),
        mib(big_rss),
        support::table(
            &["readers", "GETs/s", "vs alone", "vs the control", "goal"],
            &interference_rows
        ),
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
        mib(rss_tenth),
        mib(rss_all),
    );
    support::write_section("mock_scale", &text);
}
