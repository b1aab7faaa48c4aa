//! The embedded reference mock of Stripe's invoice API. Entry points: [`spawn`] (in-process, on
//! an ephemeral loopback port) and [`serve`] (the `apiparity mock` command).
//!
//! Everything else is private: the surface is [`spawn`], [`serve`], [`MockOptions`] and
//! [`MockServer`]. It is stateful: customers, invoice items and invoices live in memory and follow Stripe's
//! invoice state machine, money arithmetic, errors and idempotency as the team reference
//! (`shared/reference/stripe-invoices.md`) describes them. `docs/mock.md` lists every choice made
//! where the reference is unverified.

mod auth;
mod customer;
mod error;
mod idempotency;
mod ids;
mod invoice;
mod invoice_item;
mod list;
mod params;
mod render;
mod routes;
mod server;
mod store;

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

#[derive(Clone, Debug)]
pub struct MockOptions {
    pub host: IpAddr,
    pub port: u16,
    /// Added to every routed request before it executes (outside any lock).
    pub latency: Duration,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            latency: Duration::ZERO,
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

/// Binds and serves in the background on the current tokio runtime.
pub async fn spawn(opts: MockOptions) -> std::io::Result<MockServer> {
    let listener = tokio::net::TcpListener::bind((opts.host, opts.port)).await?;
    let addr = listener.local_addr()?;
    let app = server::router(opts.latency);
    let (tx, rx) = oneshot::channel::<()>();
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

/// Serves until ctrl-c (the `apiparity mock` command); prints nothing itself.
pub async fn serve(opts: MockOptions) -> std::io::Result<()> {
    let server = spawn(opts).await?;
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
