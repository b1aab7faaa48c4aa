//! Finding scenario files and naming them.

use std::path::{Component, Path, PathBuf};

use crate::input::diag::{Diagnostic, Diagnostics};
use crate::input::yaml::Span;

const START: Span = Span { line: 1, col: 1 };

/// Every scenario file under `paths`, sorted and without duplicates. Files given explicitly
/// are taken whatever their extension; directories are searched recursively for `*.yaml` and
/// `*.yml`, skipping dotfiles, dot-directories and README files.
pub(crate) fn discover(paths: &[&Path], diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut out, diags),
            Ok(_) => out.push(path.to_path_buf()),
            Err(e) => diags.push(Diagnostic::new(*path, START, format!("cannot read: {e}"))),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::new(
                dir,
                START,
                format!("cannot read directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::new(
                    dir,
                    START,
                    format!("cannot read directory: {e}"),
                ));
                continue;
            }
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // file_type does not follow symlinks: symlinked directories are not descended into
        // (no loops), symlinked files are read like files.
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            walk(&path, out, diags);
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if matches!(ext, "yaml" | "yml") && !stem.eq_ignore_ascii_case("readme") {
            out.push(path);
        }
    }
}

/// The scenario key: `file` relative to `root`, without its extension, `/`-separated.
/// A file outside `root` is keyed by its file stem alone.
pub(crate) fn scenario_key(file: &Path, root: &Path) -> String {
    let relative = file
        .strip_prefix(root)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            // `./scenarios/a.yaml` against `scenarios`, or absolute against relative.
            let f = std::fs::canonicalize(file).ok()?;
            let r = std::fs::canonicalize(root).ok()?;
            f.strip_prefix(r).ok().map(Path::to_path_buf)
        })
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from(file.file_name().unwrap_or(file.as_os_str())));
    let mut parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if let Some(last) = parts.last_mut() {
        if let Some(stem) = Path::new(last.as_str()).file_stem() {
            *last = stem.to_string_lossy().into_owned();
        }
    }
    parts.join("/")
}

/// Reads a file as UTF-8 ([`crate::input::source::read`]: regular files only, size-limited,
/// BOM accepted); problems become a diagnostic at 1:1.
pub(crate) fn read_source(file: &Path) -> Result<String, Diagnostic> {
    crate::input::source::read(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let root = Path::new("scenarios");
        assert_eq!(
            scenario_key(Path::new("scenarios/finalize/zero-amount.yaml"), root),
            "finalize/zero-amount"
        );
        assert_eq!(scenario_key(Path::new("scenarios/a.yml"), root), "a");
        assert_eq!(scenario_key(Path::new("/elsewhere/b.yaml"), root), "b");
    }

    #[test]
    fn discovers_sorted_yaml_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("b/.hidden")).unwrap();
        std::fs::create_dir_all(p.join("a")).unwrap();
        for f in [
            "b/z.yaml",
            "b/y.yml",
            "a/x.yaml",
            "README.yaml",
            "notes.md",
            ".dot.yaml",
            "b/.hidden/h.yaml",
        ] {
            std::fs::write(p.join(f), "steps: []\n").unwrap();
        }
        let mut diags = Diagnostics::default();
        let found = discover(&[p], &mut diags);
        assert!(diags.is_empty());
        let keys: Vec<String> = found.iter().map(|f| scenario_key(f, p)).collect();
        assert_eq!(keys, vec!["a/x", "b/y", "b/z"]);

        let missing = p.join("nope");
        let found = discover(&[&missing], &mut diags);
        assert!(found.is_empty());
        assert_eq!(diags.0.len(), 1);
        assert!(diags.0[0].message.starts_with("cannot read"));
    }

    #[test]
    fn non_utf8_is_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.yaml");
        std::fs::write(&f, b"name: \xff\xfe\n").unwrap();
        let d = read_source(&f).unwrap_err();
        assert_eq!(d.span, START);
        assert!(d.message.contains("not valid UTF-8"), "{}", d.message);
    }
}
