//! The integration tests: one binary whose modules mirror `src/` (the scenario-per-trial
//! `contract` harness is its own binary, tests/contract.rs). Shared helpers are in `support/`;
//! data the tests read is in tests/fixtures/.
//!
//! `cargo test --test it <filter>` runs part of it, e.g. `cargo test --test it mock::pay`.

/// `apiparity` as a user runs it: exit codes, output, files written.
mod cli;
/// The differ: every kind, pointers, array modes, options, patch and unified renderings.
mod diff;
/// `apiparity import`: formats, id flow, safety, bad input, the committed recorded suite.
mod import;
/// The embedded mock over real HTTP, split by endpoint, plus its parsers, seeds and the SDK.
mod mock;
/// A newcomer's first hour through the binary: unreachable targets, the project root, defaults.
mod newcomer;
/// The normalizer: seeds, properties, fuzzing, and that it never hides a real difference.
mod normalize;
/// The conductor's modes: `apiparity diff`, `learn-noise`, and the embedded mock through them.
mod pipeline;
/// `apiparity record`: the recording proxy, its journal, signals, and the Python SDK through it.
mod record;
/// report.html: its content, and in a real browser.
mod report;
/// The runner: faults, rate limiting, form encoding, and `sweep`.
mod run;
/// Scenario files: `check` diagnostics, the shipped suite's rules, loader fuzzing.
mod scenario;
/// API keys: live keys refused before any request; an echoed key never reaches disk or terminal.
mod secret;
/// Snapshot comparison through the whole pipeline: target variants and the drift example.
mod snapshot;
/// Shared helpers: local servers, builders, report fixtures, proptest strategies.
mod support;
/// Known-deviation baselines: parsing, applying to reports, end to end.
mod verdict;
