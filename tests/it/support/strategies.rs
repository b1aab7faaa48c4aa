//! Proptest strategies and helpers shared by the encoder and mock fuzzers (one copy, so a
//! change to what a parameter name may be reaches both).

use apiparity::scenario::{Param, TemplateError};
use proptest::prelude::*;

/// A parameter name Stripe's form can carry: no brackets, not a list index.
pub fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}"
}

/// Names are unique within a map, as the loader guarantees (YAML duplicate keys are errors).
pub fn unique(entries: Vec<(String, Param)>) -> Vec<(String, Param)> {
    let mut out: Vec<(String, Param)> = Vec::new();
    for (k, v) in entries {
        if !out.iter().any(|(n, _)| *n == k) {
            out.push((k, v));
        }
    }
    out
}

/// The template renderer that leaves every value as written.
pub fn identity(s: &str) -> Result<String, TemplateError> {
    Ok(s.to_string())
}
