//! `apiparity check` on malformed and well-formed scenario files: exact positions and
//! messages, every problem reported in one pass, and the model a good file loads into.

use std::path::{Path, PathBuf};
use std::time::Duration;

use apiparity::input::diag::Diagnostics;
use apiparity::scenario::{self, AssertOp, Auth, CaptureSource, Param};
use serde_json::json;

fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(sub)
}

/// The files under `dir` named `*.<ext>`, relative to `root`, sorted as the loader sorts.
fn files_named(root: &Path, dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            out.extend(files_named(root, &path, ext));
        } else if path.extension().is_some_and(|x| x == ext) {
            out.push(path.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
    out.sort();
    out
}

/// Every bad fixture, all loaded in one pass as `apiparity check` loads a directory: each
/// `<case>.yaml` under tests/fixtures/scenarios/bad/ fails with exactly the diagnostics in its
/// `<case>.err`, rendered as `check` prints them (no color), with the fixture directory cut from
/// every path so the files do not depend on where the repository is checked out.
///
/// After an intended change of wording, or for a new case,
/// `APIPARITY_BLESS=1 cargo test --test it scenario::check` writes the `.err` files instead of
/// comparing (refused when `CI` is set); review their diff before committing it.
#[test]
fn every_problem_in_every_file_at_once() {
    let root = fixtures("bad");
    let diags = scenario::load(&[&root], &root).expect_err("the bad fixtures must not load");
    let bless = std::env::var_os("APIPARITY_BLESS").is_some_and(|v| v == "1");
    assert!(
        !(bless && std::env::var_os("CI").is_some()),
        "APIPARITY_BLESS=1 rewrites expectations; it is refused in CI"
    );
    let cases = files_named(&root, &root, "yaml");
    let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);

    let mut problems = Vec::new();
    let mut case_by_case = Vec::new();
    for case in &cases {
        let file = root.join(case);
        let mine = Diagnostics(diags.0.iter().filter(|d| d.file == file).cloned().collect());
        if mine.is_empty() {
            problems.push(format!("{}: loads without a diagnostic", case.display()));
        }
        case_by_case.extend(mine.0.iter().cloned());
        let rendered = mine.render(false).replace(&prefix, "");
        let err_file = file.with_extension("err");
        if bless {
            std::fs::write(&err_file, &rendered)
                .unwrap_or_else(|e| panic!("{}: {e}", err_file.display()));
            continue;
        }
        match std::fs::read_to_string(&err_file) {
            Ok(expected) if expected == rendered => {}
            Ok(expected) => problems.push(
                similar::TextDiff::from_lines(&expected, &rendered)
                    .unified_diff()
                    .header(&err_file.display().to_string(), "rendered now")
                    .to_string(),
            ),
            Err(e) => problems.push(format!("{}: {e}", err_file.display())),
        }
    }
    for err in files_named(&root, &root, "err") {
        if !cases.contains(&err.with_extension("yaml")) {
            problems.push(format!("{}: no .yaml beside it", err.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(APIPARITY_BLESS=1 rewrites the .err files)",
        problems.join("\n")
    );
    // Nothing outside the cases, and every problem reported in one pass, file by file.
    assert_eq!(diags.0, case_by_case);

    // The rendered form shows the offending line with a caret, rustc style.
    let rendered = diags.render(false);
    assert!(rendered.contains("20 |     expct:"), "{rendered}");
    assert!(
        rendered.contains("help: did you mean `expect`?"),
        "{rendered}"
    );
}

#[test]
fn one_bad_file_alone() {
    let root = fixtures("bad");
    let file = root.join("syntax.yaml");
    let diags = scenario::load(&[&file], &root).unwrap_err();
    assert_eq!(diags.0.len(), 1);
    assert_eq!(diags.0[0].file, file);
}

#[test]
fn good_fixture_loads_into_the_model() {
    let root = fixtures("good");
    let scenarios = scenario::load(&[&root], &root).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(scenarios.len(), 1);
    let s = &scenarios[0];
    assert_eq!(s.key, "finalize/zero-amount");
    assert_eq!(s.name, "finalize/zero-amount", "name defaults to the key");
    assert_eq!(s.file, root.join("finalize/zero-amount.yaml"));
    assert_eq!(
        s.description,
        "A zero-amount send_invoice invoice is paid at finalize."
    );
    assert_eq!(s.tags, vec!["finalize", "seed-000"]);
    assert_eq!(s.stripe_version.as_deref(), Some("2025-03-31.basil"));
    assert_eq!(s.reference.as_deref(), Some("§4.4 zero-amount invoices"));
    assert_eq!(s.vars, vec![("days".to_string(), "7".to_string())]);
    let normalize = s.normalize.as_ref().expect("normalize kept raw");
    assert_eq!(normalize.to_json(), json!({"ignore": ["/account_name"]}));

    let ids: Vec<&str> = s.steps.iter().map(|st| st.id.as_str()).collect();
    assert_eq!(ids, vec!["customer", "invoice", "search"]);

    let customer = &s.steps[0];
    assert_eq!(
        customer.request.method, "POST",
        "methods are stored upper-case"
    );
    assert_eq!(customer.request.path, "/v1/customers");
    let sc = |v: &str| Param::Scalar(v.to_string());
    assert_eq!(
        customer.request.form,
        vec![
            ("name".to_string(), sc("Jenny Rosen")),
            (
                "metadata".to_string(),
                Param::Map(vec![("apiparity_run".to_string(), sc("{{ run_id }}"))])
            ),
        ],
        "`balance: ~` is left out"
    );
    assert_eq!(customer.expect.status, Some(200));
    assert!(!customer.expect.snapshot);
    assert_eq!(customer.capture.len(), 2);
    assert_eq!(customer.capture[0].var, "customer_id");
    assert_eq!(
        customer.capture[0].source,
        CaptureSource::Body("/id".into())
    );
    assert_eq!(
        customer.capture[1].source,
        CaptureSource::Header("Request-Id".into())
    );

    let invoice = &s.steps[1];
    assert_eq!(
        invoice.request.query,
        vec![("expand".to_string(), Param::List(vec![sc("customer")]))]
    );
    assert_eq!(
        invoice.request.form[3],
        ("auto_advance".to_string(), sc("false"))
    );
    assert_eq!(
        invoice.request.headers,
        vec![(
            "Idempotency-Key".to_string(),
            "{{run_id}}-invoice".to_string()
        )]
    );
    assert!(invoice.expect.snapshot, "steps snapshot by default");
    let body = &invoice.expect.body;
    assert_eq!(body.len(), 3);
    assert_eq!(body[0].pointer, "/status");
    assert!(matches!(&body[0].op, AssertOp::Eq(v) if *v == json!("draft")));
    assert!(matches!(&body[1].op,
        AssertOp::OffsetFrom { pointer, seconds: 604_800 } if pointer == "/created"));
    assert!(matches!(body[2].op, AssertOp::Len(0)));
    assert_eq!(invoice.expect.headers[0].name, "Idempotent-Replayed");
    assert!(matches!(
        invoice.expect.headers[0].op,
        AssertOp::Exists(false)
    ));

    let search = &s.steps[2];
    assert_eq!(
        search.request.auth,
        Auth::Bearer("sk_test_apiparity".into())
    );
    let retry = search.retry.as_ref().expect("retry");
    assert_eq!(
        (retry.interval, retry.timeout),
        (Duration::from_secs(2), Duration::from_secs(90))
    );
    assert_eq!(search.seed, vec!["000-search.json".to_string()]);
    assert!(s.steps[0].seed.is_empty());

    assert_eq!(s.teardown.len(), 1);
    let teardown = &s.teardown[0];
    assert_eq!(teardown.request.method, "DELETE");
    assert_eq!(teardown.request.auth, Auth::None);
    assert!(
        !teardown.expect.snapshot,
        "teardown steps do not snapshot by default"
    );
}

#[test]
fn encoded_request_of_the_good_fixture() {
    let root = fixtures("good");
    let scenarios = scenario::load(&[&root], &root).unwrap_or_else(|d| panic!("{d}"));
    let invoice = &scenarios[0].steps[1];
    let lookup = |name: &str| match name {
        "customer_id" => Some("cus_X".to_string()),
        "days" => Some("7".to_string()),
        _ => None,
    };
    let render = |t: &str| scenario::render_template(t, &lookup);
    let form = apiparity::run::encode_params(&invoice.request.form, &render).unwrap();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        pairs,
        vec![
            ("customer", "cus_X"),
            ("collection_method", "send_invoice"),
            ("days_until_due", "7"),
            ("auto_advance", "false"),
        ]
    );
}
