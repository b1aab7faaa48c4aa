//! The normalizer (`Normalizer`, `Rules`), mostly together with the differ.

/// Recorded responses with random edits, random user rules, and echoed secrets (proptest).
mod fuzz;
/// Honest reruns normalize to no difference; every kind of real mistake still shows.
mod never_hides;
/// Never panics and is idempotent on arbitrary JSON (proptest).
mod props;
/// The published Stripe examples normalize to the placeholders a snapshot holds.
mod seeds;
