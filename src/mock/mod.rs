//! The embedded reference mock of Stripe's invoice API. Entry points: [`spawn`] (in-process, on
//! an ephemeral loopback port) and [`serve`] (the `apiparity mock` command).
//!
//! Everything else is private: the surface is [`spawn`], [`serve`], [`MockOptions`] (with
//! [`AsOf`]) and [`MockServer`]. It is stateful: customers, invoice items, invoices and their
//! payments live in memory and follow Stripe's invoice state machine, money arithmetic, errors
//! and idempotency as the team reference (`shared/reference/stripe-invoices.md`) and the real
//! recordings describe them, rendered per `(Stripe-Version, as-of date)` (`versions.rs`).
//! `docs/mock.md` lists the modelled versions and every choice made where sources disagree.
//!
//! A request flows through `server.rs` (the gates), `auth.rs`, `versions.rs`, `routes.rs` (the
//! route table), `params.rs` (the version's SDK parameter tree), `idempotency.rs`, a handler
//! (`customer.rs`, `invoice_item.rs`, `invoice/`, `catalog.rs`), `render/` and `expand.rs`.

mod auth;
mod catalog;
mod customer;
mod error;
mod expand;
mod idempotency;
mod ids;
mod invoice;
mod invoice_item;
mod list;
mod params;
mod payment_method;
mod render;
mod routes;
mod server;
mod store;
mod versions;

// The two parsers every request goes through, public only for the fuzz tests
// (tests/it/mock/fuzz.rs); not part of the mock's API.
#[doc(hidden)]
pub mod form;
#[doc(hidden)]
pub mod search;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use server::MOCK_HEADER;
pub use versions::AsOf;

/// The version model's fact table `(fact, gate, date, evidence)`, for the docs test.
#[doc(hidden)]
pub fn version_facts() -> Vec<(String, &'static str, String, &'static str)> {
    versions::table()
}

/// An account country as `--account-country` and `Apiparity-Account-Country` take it: an ISO
/// 3166-1 alpha-2 code in capitals.
pub fn account_country(s: &str) -> Option<&str> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())).then_some(s)
}

/// An account id as `Apiparity-Account-Id` takes it: `acct_` and 16 letters or digits, the
/// shape of Stripe's account ids (and of the mock's own, `acct_1MoCk0ApPrtyMck0`).
pub fn account_id(s: &str) -> Option<&str> {
    s.strip_prefix("acct_")
        .is_some_and(|r| r.len() == 16 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(s)
}

/// An account default currency as `Apiparity-Account-Currency` takes it: a lowercase ISO 4217
/// code.
pub fn account_currency(s: &str) -> Option<&str> {
    (s.len() == 3 && s.bytes().all(|b| b.is_ascii_lowercase())).then_some(s)
}

/// The modelled versions, oldest first.
pub fn modelled_versions() -> Vec<&'static str> {
    versions::VERSIONS.iter().map(|v| v.name).collect()
}

#[derive(Clone, Debug)]
pub struct MockOptions {
    pub host: IpAddr,
    pub port: u16,
    /// Added to every routed request before it executes (outside any lock).
    pub latency: Duration,
    /// The day responses describe ("Stripe as of"): additive fields shipped after it are left
    /// out, and a request without `Stripe-Version` gets the newest version released by then.
    /// `None`: the newest date the version model knows. Per request, the
    /// `Apiparity-As-Of: YYYY-MM-DD` header overrides it.
    pub as_of: Option<AsOf>,
    /// The account has webhook endpoints, so `webhooks_delivered_at` stays null; without them
    /// (the default, reference §3.4) Stripe sets it at creation.
    pub webhook_endpoints: bool,
    /// The account's country (`account_country` on invoices), ISO 3166-1 alpha-2.
    pub account_country: String,
    /// A connection that moves no byte for this long is closed (`--idle-timeout`).
    pub idle_timeout: Duration,
    /// Idempotent results are kept this long on the mock's clock (Stripe: 24 hours)…
    pub idempotency_ttl: Duration,
    /// …and at most this many, the oldest dropped first, so a long-lived mock stays bounded.
    pub idempotency_max_keys: usize,
}

/// The default `--idle-timeout`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            latency: Duration::ZERO,
            as_of: None,
            webhook_endpoints: false,
            account_country: "US".to_string(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            idempotency_ttl: Duration::from_secs(idempotency::DEFAULT_TTL_SECS),
            idempotency_max_keys: idempotency::DEFAULT_MAX_KEYS,
        }
    }
}

/// A running mock. Dropping it without [`MockServer::shutdown`] also stops it (without waiting).
pub struct MockServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Loads the mock's parameter tables (127 KB of embedded JSON, about 9M instructions) on a
/// thread of its own, once per process. Otherwise the first request parses them while every
/// other request waits: a stall at the start of every run against the embedded mock, which
/// calls this before it loads the scenario files.
pub fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // Should no thread start, the first request loads them.
        let _ = std::thread::Builder::new()
            .name("mock-tables".into())
            .spawn(params::load);
    });
}

/// Binds and serves in the background on the current tokio runtime.
pub async fn spawn(opts: MockOptions) -> std::io::Result<MockServer> {
    warm_up();
    let listener = tokio::net::TcpListener::bind((opts.host, opts.port)).await?;
    let addr = listener.local_addr()?;
    let app = server::router(server::Settings {
        latency: opts.latency,
        as_of: opts.as_of.map_or(versions::NEWEST_DATE, |a| a.0),
        webhook_endpoints: opts.webhook_endpoints,
        account_country: opts.account_country.as_str().into(),
        idempotency: idempotency::Limits {
            ttl_secs: opts.idempotency_ttl.as_secs(),
            max_keys: opts.idempotency_max_keys,
        },
    });
    let (tx, rx) = oneshot::channel::<()>();
    let listener = server::IdleListener::new(listener, opts.idle_timeout);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(MockServer {
        addr,
        stop: Some(tx),
        task: Some(task),
    })
}

/// Serves until ctrl-c (the `apiparity mock` command). `bound` is told the address once the
/// port is bound — the real port for port 0, and never before a bind that fails.
pub async fn serve(opts: MockOptions, bound: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let server = spawn(opts).await?;
    bound(server.addr());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
