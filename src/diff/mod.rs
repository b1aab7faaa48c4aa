//! Field-by-field differences between a snapshot (expected) and a normalized response (actual).
