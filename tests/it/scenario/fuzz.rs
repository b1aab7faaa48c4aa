//! Fuzzing the scenario loader (`scenario::load`) with proptest: arbitrary bytes, text steered
//! towards the scenario grammar, and random mutations of the real suite's files. The loader
//! must never panic; it returns scenarios or at least one diagnostic, each pointing into the
//! file at a real position, and rendering the diagnostics never panics either.
//!
//! How to run (and run long): docs/fuzzing.md.

use std::path::{Path, PathBuf};

use apiparity::scenario;
use proptest::prelude::*;

/// Writes `bytes` as one scenario file in a fresh directory and loads it.
fn load_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let file = dir.path().join("fuzz.yaml");
    std::fs::write(&file, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    check(&file, dir.path(), bytes)
}

fn check(file: &Path, root: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    match scenario::load(&[file], root) {
        Ok(scenarios) => {
            prop_assert_eq!(scenarios.len(), 1);
            let s = &scenarios[0];
            prop_assert!(!s.steps.is_empty(), "a scenario has at least one step");
            for step in s.steps.iter().chain(&s.teardown) {
                prop_assert!(matches!(
                    step.request.method.as_str(),
                    "GET" | "POST" | "DELETE"
                ));
                prop_assert!(step.request.path.starts_with('/'));
            }
        }
        Err(diags) => {
            prop_assert!(!diags.is_empty(), "an error always says what is wrong");
            let lines = bytes.split(|b| *b == b'\n').count();
            for d in &diags.0 {
                prop_assert_eq!(&d.file, &file.to_path_buf());
                prop_assert!(d.span.line >= 1 && d.span.col >= 1, "{:?}", d.span);
                // Positions point into the file (a parser may point one line past the end).
                prop_assert!(
                    d.span.line <= lines + 1,
                    "{:?} past {} lines",
                    d.span,
                    lines
                );
                prop_assert!(!d.message.is_empty());
            }
            // What the user sees: rendering reads the file and underlines the position.
            let _ = diags.render(false);
            let _ = diags.render(true);
        }
    }
    Ok(())
}

/// Pieces of the scenario grammar, with values that stress each check.
fn fragment() -> impl Strategy<Value = String> {
    // Every word of the grammar, from the parser itself (a new keyword is fuzzed at once),
    // then parameter names and pointers.
    let mut words = apiparity::scenario::keywords::all();
    words.extend([
        "metadata",
        "expand",
        "lines",
        "/status",
        "/",
        "",
        "~1",
        "header:Request-Id",
    ]);
    let key = prop::sample::select(words).prop_map(String::from);
    let value = prop_oneof![
        prop::sample::select(vec![
            "GET",
            "post",
            "PUT",
            "/v1/invoices/{{invoice_id}}",
            "{{",
            "}}",
            "{{ run_id }}",
            "{{env.HOME}}",
            "{{a b}}",
            "200",
            "99",
            "600",
            "-1",
            "1e999",
            "0x10",
            "true",
            "null",
            "~",
            "[]",
            "{}",
            "[a, {b: c}]",
            "2025-03-31.basil",
            "2023-10-16",
            "basil",
            "1s",
            "0s",
            "90s",
            "1ms",
            "999999999999h",
            "sk_test_",
            "sk_live_x",
            "\"(\"",
            "\"\\u0000\"",
            "'",
            "\"",
            "&a",
            "*a",
            "!!binary",
            "|",
            ">",
            "- ",
            "? ",
            "#",
            "000-finalize.json",
            "../../etc/passwd",
        ])
        .prop_map(String::from),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ];
    let indent = prop::sample::select(vec!["", "  ", "    ", "      ", "\t", " "]);
    prop_oneof![
        3 => (indent.clone(), key.clone(), value.clone())
            .prop_map(|(i, k, v)| format!("{i}{k}: {v}\n")),
        2 => (indent.clone(), key.clone()).prop_map(|(i, k)| format!("{i}{k}:\n")),
        2 => (indent.clone(), value.clone()).prop_map(|(i, v)| format!("{i}- {v}\n")),
        1 => (indent, key, value).prop_map(|(i, k, v)| format!("{i}- {{{k}: {v}}}\n")),
        1 => Just("steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\u{feff}".to_string()),
        1 => Just("---\n".to_string()),
    ]
}

/// The real suite's files, to mutate.
fn suite() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out = vec![];
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                if let Ok(b) = std::fs::read(&p) {
                    out.push((p, b));
                }
            }
        }
    }
    out.sort();
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at (position % len) with this one.
    Set(usize, u8),
    /// Delete a run of bytes.
    Delete(usize, usize),
    /// Insert a fragment.
    Insert(usize, String),
    /// Copy a run of bytes elsewhere (duplicates keys, steps, blocks).
    Copy(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), 1..40usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), fragment()).prop_map(|(p, f)| Mutation::Insert(p, f)),
        (any::<usize>(), 1..200usize, any::<usize>()).prop_map(|(a, n, b)| Mutation::Copy(a, n, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    match m {
        Mutation::Set(p, b) => {
            if !bytes.is_empty() {
                let i = p % bytes.len();
                bytes[i] = *b;
            }
        }
        Mutation::Delete(p, n) => {
            let i = at(*p, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Insert(p, f) => {
            let i = at(*p, bytes.len());
            bytes.splice(i..i, f.bytes());
        }
        Mutation::Copy(a, n, b) => {
            let i = at(*a, bytes.len());
            let end = (i + n).min(bytes.len());
            let chunk: Vec<u8> = bytes[i..end].to_vec();
            let j = at(*b, bytes.len());
            bytes.splice(j..j, chunk);
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        load_bytes(&bytes)?;
    }

    #[test]
    fn scenario_shaped_text_never_panics(parts in prop::collection::vec(fragment(), 0..24)) {
        load_bytes(parts.concat().as_bytes())?;
    }

    #[test]
    fn mutated_suite_files_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let files = suite();
        prop_assume!(!files.is_empty());
        let (path, original) = &files[pick.index(files.len())];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        // Keep the file's name (and its key): some checks depend on the folder.
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let name = path.file_name().map(PathBuf::from).unwrap_or_else(|| "x.yaml".into());
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&file, dir.path(), &bytes)?;
    }
}

/// The unmutated suite loads: the mutation test above starts from valid files.
#[test]
fn the_suite_itself_loads() {
    let files = suite();
    assert!(files.len() >= 10, "{} files", files.len());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let paths: Vec<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let loaded = scenario::load(&paths, &root).map_err(|d| d.render(false));
    assert_eq!(loaded.map(|s| s.len()), Ok(files.len()));
}

/// Deep block nesting must be a diagnostic, not a crash. Run in a child process, because a
/// stack overflow aborts the whole process (it cannot be caught as a panic).
#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    // ~4 000 levels overflow a debug build's 8 MB main stack; 8 000 levels are a 32 MB file.
    let depth = 8_000;
    let mut src = String::from(
        "steps:\n  - id: a\n    request:\n      method: POST\n      path: /v1/x\n      form:\n",
    );
    for i in 0..depth {
        // One space deeper per level keeps the file small.
        src.push_str(&" ".repeat(8 + i));
        src.push_str("k:\n");
    }
    src.push_str(&" ".repeat(8 + depth));
    src.push_str("v\n");
    std::fs::write(dir.path().join("deep.yaml"), src).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_apiparity"))
        .current_dir(dir.path())
        .env_clear()
        .args(["check", "deep.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("deep.yaml"), "{stderr}");
}
