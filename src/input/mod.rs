//! User files: YAML with positions ([`yaml`]), rustc-style diagnostics ([`diag`]), and the one
//! typed reader every file kind goes through ([`reader`]): scenarios, `apiparity.yaml` and
//! baselines word the same mistake the same way.

pub mod diag;
pub mod reader;
pub mod source;
pub mod yaml;
