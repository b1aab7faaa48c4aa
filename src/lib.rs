//! apiparity: replays Stripe invoice flows against a target and says, field by field,
//! where the target differs from what real Stripe returned.
//!
//! The modules read as the pipeline, and data flows one way:
//! `scenario` (load, validate) → `run` (HTTP, captures, retries) → `normalize` →
//! `diff` → `snapshot` → `report`, with `mock` (the embedded reference mock) beside it.

pub mod config;
pub mod diff;
pub mod input;
pub mod mock;
pub mod normalize;
pub mod pipeline;
pub mod pointer;
pub mod report;
pub mod run;
pub mod scenario;
pub mod secret;
pub mod snapshot;
pub mod verdict;
pub mod version;
