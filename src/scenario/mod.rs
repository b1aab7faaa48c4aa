//! Scenarios: invoice flows as YAML data. This stage loads and validates them; nothing here
//! sends a request. Entry point: [`load`].
//!
//! The file format is documented for users in `scenarios/README.md`.

mod files;
mod model;
mod parse;
pub mod schema;
mod template;

pub use model::{
    seed_applies, Account, AssertOp, Assertion, Auth, Capture, CaptureSource, Expect,
    HeaderAssertion, Param, RequestSpec, Retry, Scenario, Step, BUILTIN_VARS, ENV_VAR_PREFIX,
};
pub use parse::keywords;

use std::path::Path;

use crate::input::diag::{Diagnostic, Diagnostics};
use crate::input::yaml::Span;

/// Loads every scenario under `paths` (files, or directories searched recursively for
/// `*.yaml`/`*.yml`), validating them all and returning every problem at once.
/// `root` is the scenarios directory that scenario keys are relative to.
pub fn load(paths: &[&Path], root: &Path) -> Result<Vec<Scenario>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let found = files::discover(paths, &mut diags);

    let mut scenarios = Vec::new();
    // (name, file, span of the name or 1:1 when defaulted) of each file, for cross-file checks.
    let mut names: Vec<(String, std::path::PathBuf, Span)> = Vec::new();
    let mut keys: Vec<(String, std::path::PathBuf)> = Vec::new();
    // Read and checked side by side; the cross-file checks below stay in file order.
    let checked = crate::input::par_map(&found, |file| {
        let key = files::scenario_key(file, root);
        let checked = files::read_source(file).map(|source| parse::check_file(file, &key, &source));
        (key, checked)
    });
    for (file, (key, checked)) in found.into_iter().zip(checked) {
        if let Some((_, first)) = keys.iter().find(|(k, _)| k == &key) {
            diags.push(
                Diagnostic::new(
                    &file,
                    Span { line: 1, col: 1 },
                    format!(
                        "scenario key `{key}` is also the key of {}",
                        first.display()
                    ),
                )
                .help("keys name snapshot directories, so they must be unique: rename one file"),
            );
        }
        keys.push((key.clone(), file.clone()));

        let checked = match checked {
            Ok(c) => c,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Some((name, span)) = &checked.name {
            if let Some((_, first_file, first_span)) = names.iter().find(|(n, _, _)| n == name) {
                diags.push(
                    Diagnostic::new(
                        &file,
                        *span,
                        format!(
                            "duplicate scenario name `{name}` (first used in {}:{first_span})",
                            first_file.display()
                        ),
                    )
                    .label("duplicate name"),
                );
            } else {
                names.push((name.clone(), file.clone(), *span));
            }
        }
        for d in checked.diags {
            diags.push(d);
        }
        if let Some(s) = checked.scenario {
            scenarios.push(s);
        }
    }
    if diags.is_empty() {
        Ok(scenarios)
    } else {
        Err(diags)
    }
}

/// Renders `{{var}}` templates. `lookup` answers a variable name (`invoice_id`, `run_id`,
/// `env.HOME`) with its value, or `None` when it is undefined.
pub fn render_template(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let pieces = template::parse(template)
        .map_err(|reason| TemplateError::Malformed(template.to_string(), reason))?;
    let mut out = String::with_capacity(template.len());
    for piece in pieces {
        match piece {
            template::Piece::Lit(s) => out.push_str(s),
            template::Piece::Var(name) => match lookup(name) {
                Some(v) => out.push_str(&v),
                None => return Err(TemplateError::Undefined(name.to_string())),
            },
        }
    }
    Ok(out)
}

/// Why a template could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A variable with no value (never captured, not defined).
    #[error("undefined variable `{0}`")]
    Undefined(String),
    /// Not a template (the template, and why).
    #[error("malformed template `{0}`: {1}")]
    Malformed(String, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "invoice_id" => Some("in_123".into()),
            "run_id" => Some("r1".into()),
            _ => None,
        }
    }

    #[test]
    fn renders_templates() {
        assert_eq!(
            render_template("/v1/invoices/{{ invoice_id }}/pay", &lookup).unwrap(),
            "/v1/invoices/in_123/pay"
        );
        assert_eq!(
            render_template("{{run_id}}-{{invoice_id}}", &lookup).unwrap(),
            "r1-in_123"
        );
        assert_eq!(render_template("no vars", &lookup).unwrap(), "no vars");
        assert_eq!(
            render_template("{{nope}}", &lookup).unwrap_err(),
            TemplateError::Undefined("nope".into())
        );
        assert!(matches!(
            render_template("{{run_id", &lookup).unwrap_err(),
            TemplateError::Malformed(t, _) if t == "{{run_id"
        ));
    }
}
