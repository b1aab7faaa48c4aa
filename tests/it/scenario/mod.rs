//! Scenario files (`scenario::load`).

/// `apiparity check` diagnostics (fixture files in tests/fixtures/scenarios/) and the model.
mod check;
/// The loader never panics on arbitrary or mutated input (proptest).
mod fuzz;
/// FIFOs, devices, huge files, a BOM, a second document.
mod loading;
/// The shipped suite in scenarios/ and the rules it promises.
mod suite;
