//! Snapshot comparison through the whole pipeline (run → normalize → snapshot diff → report).

/// Corrupt snapshots and pending files, killed writes, a full disk, the umask.
mod disk;
/// Seed-000 scenarios at the pre-basil version against the basil snapshots.
mod drift;
/// Harmless target variations pass; real changes fail (a rewriting proxy before the mock).
mod variants;
/// Pending answers per version tree; `accept` refusing to mix versions.
mod versions;
