//! Runs the embedded mock until ctrl-c, printing its base URL first, for manual runs such as
//! `python3 tests/fixtures/python/sdk_smoke.py <url>`.
//! Usage: `cargo run --example mock_server [PORT]`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let server = apiparity::mock::spawn(apiparity::mock::MockOptions {
        port,
        ..Default::default()
    })
    .await?;
    println!("{}", server.base_url());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
