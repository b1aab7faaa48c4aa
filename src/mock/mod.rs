//! The embedded reference mock of Stripe's invoice API.
// INTEGRATION STUB: replaced by the mock branch.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct MockOptions {
    pub host: IpAddr,
    pub port: u16,
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
pub struct MockServer;
impl MockServer {
    pub fn addr(&self) -> SocketAddr {
        todo!()
    }
    pub fn base_url(&self) -> String {
        todo!()
    }
    pub async fn shutdown(self) {}
}
pub async fn spawn(_opts: MockOptions) -> std::io::Result<MockServer> {
    todo!()
}
pub async fn serve(_opts: MockOptions) -> std::io::Result<()> {
    todo!()
}
