//! The conductor's modes through the real loader, runner and normalizer.

/// `apiparity diff`: the same scenarios against two live local targets.
mod differential;
/// The embedded mock is deterministic after normalization (learn-noise and diff).
mod embedded_mock;
/// `apiparity learn-noise` against live local targets.
mod noise;
/// `run --partition k/n` and `report merge`.
mod partition;
