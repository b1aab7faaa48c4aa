//! Known-deviation baselines (today in `apiparity::verdict::baseline`).

/// Accepted differences stop failing; new ones and stale entries fail; round trip.
mod baseline_apply;
/// Baseline files: every problem at once with file:line:col, did-you-mean.
mod baseline_parse;
/// `--write-baseline` and `--baseline` through `pipeline::execute` against a deviating mock.
mod baseline_pipeline;
