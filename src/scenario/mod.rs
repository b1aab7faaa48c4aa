//! Scenarios: invoice flows as YAML data. This stage loads and validates them; nothing here
//! sends a request. Entry point: [`load`].
//!
//! The file format is documented for users in `scenarios/README.md`.

mod model;

pub use model::*;

use std::path::Path;

use crate::diag::Diagnostics;

/// Loads every scenario under `paths` (files, or directories searched recursively for
/// `*.yaml`/`*.yml`), validating them all and returning every problem at once.
/// `root` is the scenarios directory that scenario keys are relative to.
pub fn load(paths: &[&Path], root: &Path) -> Result<Vec<Scenario>, Diagnostics> {
    let _ = (paths, root);
    todo!("scenario loader")
}

/// Renders `{{var}}` templates. `lookup` answers a variable name (`invoice_id`, `run_id`,
/// `env.HOME`) with its value, or `None` when it is undefined.
pub fn render_template(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let _ = (template, lookup);
    todo!("templates")
}

/// Encodes a parameter tree the Stripe way: `a[b]=c`, `expand[]=x` for lists of scalars,
/// `items[0][price]=p` for lists of maps. Scalars go through `render` (template expansion).
pub fn encode_params(
    params: &[(String, Param)],
    render: &dyn Fn(&str) -> Result<String, TemplateError>,
) -> Result<Vec<(String, String)>, TemplateError> {
    let _ = (params, render);
    todo!("form encoding")
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("undefined variable `{0}`")]
    Undefined(String),
    #[error("malformed template `{0}`: {1}")]
    Malformed(String, String),
}
