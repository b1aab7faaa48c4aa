//! The runner (`run::run`) against local servers, and what it puts on the wire.

/// A scenario's `account:`: mock-only headers, to the embedded mock and nowhere else.
mod account;

/// Stripe form encoding and templates (proptest).
mod encode;
/// Lost responses, 5xx, 429, hangs, broken bodies: outcomes and attempts on both sides.
mod faults;
/// Redirects, duplicate keys, oversized and enormous bodies: reported, never followed or held.
mod hostile;
/// The rate limiter, measured at the server.
mod ratelimit;
/// Start order, adaptive concurrency, polling budgets, progress events.
mod schedule;
/// `sweep`: removes what interrupted runs left behind, and nothing else.
mod sweep;
