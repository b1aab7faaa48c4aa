//! Field-by-field differences between a snapshot (expected) and a normalized response (actual).
// INTEGRATION STUB: replaced by the normdiff branch.
use std::path::Path;

use serde_json::Value;

use crate::pointer::Selector;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Missing,
    Unexpected,
    TypeChanged,
    ValueChanged,
    OrderChanged,
    StatusChanged,
}
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Difference {
    pub pointer: String,
    pub kind: DiffKind,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
}
impl Difference {
    pub fn is_additive(&self) -> bool {
        self.kind == DiffKind::Unexpected
    }
}
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    pub array_keys: Vec<(Selector, String)>,
    pub allow_unexpected: bool,
    pub ignore: Vec<Selector>,
}
impl DiffOptions {
    pub fn defaults() -> DiffOptions {
        DiffOptions::default()
    }
    pub fn merged(
        &self,
        _node: &crate::yaml::Node,
        _file: &Path,
    ) -> Result<DiffOptions, crate::diag::Diagnostics> {
        todo!()
    }
}
pub fn diff_response(
    _es: u16,
    _eb: &Value,
    _as: u16,
    _ab: &Value,
    _o: &DiffOptions,
) -> Vec<Difference> {
    todo!()
}
pub fn diff(_e: &Value, _a: &Value, _o: &DiffOptions) -> Vec<Difference> {
    todo!()
}
pub fn patch(_e: &Value, _a: &Value) -> json_patch::Patch {
    todo!()
}
pub fn unified(_e: &Value, _a: &Value, _color: bool) -> String {
    todo!()
}
