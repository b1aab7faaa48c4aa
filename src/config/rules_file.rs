//! `apiparity.yaml`: the normalizer (`normalize:`) and diff (`diff:`) settings. The repository's
//! commented file is compiled in and is the ONE source of the built-in rules, so the documented
//! defaults and the behaviour cannot drift; a project's own file (`--config FILE`, or
//! `./apiparity.yaml` when present) is merged over them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::diff::DiffOptions;
use crate::input::diag::{Diagnostic, Diagnostics};
use crate::input::reader::{Reader, START};
use crate::input::yaml::Node;
use crate::normalize::Rules;

use super::InputError;

/// The project's default `apiparity.yaml` (normalizer and diff defaults, commented).
pub const DEFAULT_CONFIG: &str = include_str!("../../apiparity.yaml");
/// The name [`DEFAULT_CONFIG`]'s diagnostics carry.
pub const DEFAULT_CONFIG_NAME: &str = "apiparity.yaml (built-in)";
/// The top-level keys of a rules file.
const SECTIONS: &[&str] = &["normalize", "diff"];

/// The built-in rules: [`DEFAULT_CONFIG`] merged over empty rules.
fn builtin() -> &'static (Rules, DiffOptions) {
    static BUILTIN: OnceLock<(Rules, DiffOptions)> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let parsed = crate::input::yaml::parse(DEFAULT_CONFIG)
            .map_err(|e| {
                Diagnostics(vec![Diagnostic::new(
                    DEFAULT_CONFIG_NAME,
                    e.span,
                    e.message,
                )])
            })
            .and_then(|root| {
                let section = |name: &str| -> Result<Node, Diagnostics> {
                    root.as_ref()
                        .and_then(|r| r.get(name))
                        .cloned()
                        .ok_or_else(|| {
                            Diagnostics(vec![Diagnostic::new(
                                DEFAULT_CONFIG_NAME,
                                START,
                                format!("no `{name}:` section"),
                            )])
                        })
                };
                let file = Path::new(DEFAULT_CONFIG_NAME);
                Ok((
                    Rules::empty().merged(&section("normalize")?, file)?,
                    DiffOptions::default().merged(&section("diff")?, file)?,
                ))
            });
        match parsed {
            Ok(b) => b,
            // Compiled in and parsed by a unit test: only a broken build gets here.
            Err(e) => panic!("the built-in apiparity.yaml is invalid:\n{e}"),
        }
    })
}

/// The built-in normalization rules (the `normalize:` section of [`DEFAULT_CONFIG`]).
pub fn default_rules() -> Rules {
    builtin().0.clone()
}

/// The built-in diff options (the `diff:` section of [`DEFAULT_CONFIG`]).
pub fn default_diff_options() -> DiffOptions {
    builtin().1.clone()
}

/// Reads the rules file: the given one, or ./apiparity.yaml when present, over the built-in
/// defaults.
pub fn load(explicit: Option<&Path>) -> Result<(Rules, DiffOptions), InputError> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("apiparity.yaml")).filter(|p| p.exists()),
    };
    let (rules, diff) = (default_rules(), default_diff_options());
    let Some(path) = path else {
        return Ok((rules, diff));
    };
    let mut r = Reader::new(&path);
    let Some(text) = r.read("rules file") else {
        return Err(r.finish(()).unwrap_err().into());
    };
    let Some(root) = r.parse(&text) else {
        return r.finish((rules, diff)).map_err(InputError::from);
    };
    if let Some(entries) = r.map(&root, "rules file") {
        r.check_keys(entries, SECTIONS, "rules file");
    }
    let mut diags = r.into_diagnostics();
    let rules = match root.get("normalize") {
        Some(n) => rules.merged(n, &path).unwrap_or_else(|d| {
            diags.extend(d.0);
            rules.clone()
        }),
        None => rules,
    };
    let diff = match root.get("diff") {
        Some(n) => diff.merged(n, &path).unwrap_or_else(|d| {
            diags.extend(d.0);
            diff.clone()
        }),
        None => diff,
    };
    if diags.is_empty() {
        Ok((rules, diff))
    } else {
        diags.sort_by_key(|d| d.span);
        Err(Diagnostics(diags).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_a_rules_file_in_reading_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apiparity.yaml");
        std::fs::write(
            &path,
            "normalize:\n  ids: [in]\ndiff: {allow_unexpected: 1}\nextra: 1\n",
        )
        .unwrap();
        let Err(InputError::Files(d)) = load(Some(&path)) else {
            panic!("expected errors")
        };
        let lines: Vec<String> =
            d.0.iter()
                .map(|d| format!("{}: {}", d.span, d.message))
                .collect();
        assert_eq!(
            lines,
            [
                "2:8: expected a mapping, found a sequence",
                "3:26: expected a boolean, found an integer",
                "4:1: unknown key `extra` in rules file",
            ]
        );
    }
}
