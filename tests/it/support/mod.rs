//! Helpers shared by the whole `it` binary: local servers, builders and fixtures.

/// The real binary in a clean environment (`apiparity(cwd, args, env)`).
pub mod bin;
/// Scenarios, steps and run options built in Rust, without YAML.
pub mod build;
/// An axum mini invoice API with knobs for the ways third-party mocks deviate.
pub mod fake_stripe;
/// A raw TCP HTTP/1.1 server that answers, drops, hangs or truncates, and logs every request.
pub mod raw_server;
/// Reports built the way a run builds them, without a target.
pub mod reports;
/// Proptest strategies used by more than one fuzz module.
pub mod strategies;
/// The skip policy for tests that need an outside program (Chromium, Python SDK, localstripe).
pub mod tools;

/// The obvious fake test key every local target is called with.
pub const TEST_KEY: &str = "sk_test_apiparity";
