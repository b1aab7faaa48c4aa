//! `apiparity check` on malformed and well-formed scenario files: exact positions and
//! messages, every problem reported in one pass, and the model a good file loads into.

use std::path::{Path, PathBuf};
use std::time::Duration;

use apiparity::scenario::{self, AssertOp, Auth, CaptureSource, Param};
use serde_json::json;

fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scenarios")
        .join(sub)
}

/// `relative/file:line:col: message (help)` for every diagnostic, paths relative to `base`.
fn report(base: &Path, diags: &apiparity::input::diag::Diagnostics) -> Vec<String> {
    diags
        .0
        .iter()
        .map(|d| {
            let file = d.file.strip_prefix(base).unwrap_or(&d.file);
            let mut line = format!("{}:{}: {}", file.display(), d.span, d.message);
            if let Some(help) = &d.help {
                line.push_str(&format!(" ({help})"));
            }
            line
        })
        .collect()
}

#[test]
fn every_problem_in_every_file_at_once() {
    let root = fixtures("bad");
    let diags = scenario::load(&[&root], &root).expect_err("the bad fixtures must not load");
    let ops = "`eq`, `ne`, `matches`, `exists`, `type`, `gt`, `gte`, `lt`, `lte`, `len`, \
               `contains`, `one_of`, `offset_from`";
    let expected = vec![
        "empty.yaml:1:1: empty scenario file: expected a mapping with `steps`".to_string(),
        "everything.yaml:3:1: unknown key `descripton` in scenario (did you mean `description`?)".into(),
        "everything.yaml:17:15: invalid method `PUT` (expected GET, POST or DELETE (Stripe updates with POST))".into(),
        "everything.yaml:18:13: path `v1/invoices` must start with `/` (paths are relative to the target's base URL, e.g. `/v1/invoices`)".into(),
        "everything.yaml:20:5: unknown key `expct` in step (did you mean `expect`?)".into(),
        "everything.yaml:22:9: duplicate step id `customer` (first used at line 7)".into(),
        "everything.yaml:25:13: undefined variable `invoice_id` (`invoice_id` is captured by step `customer` (line 35), which does not run before this one)".into(),
        "everything.yaml:26:7: `form` is only allowed on POST, not GET (GET and DELETE carry parameters in `query`)".into(),
        "everything.yaml:28:15: invalid HTTP status 99 (statuses are 100 to 599)".into(),
        "everything.yaml:30:9: invalid JSON pointer `status`: must be empty or start with `/`".into(),
        "everything.yaml:31:28: invalid regular expression `([A-Z`: unclosed character class".into(),
        format!("everything.yaml:32:18: unknown assertion operator `equals` (operators are {ops}; to compare with a mapping, write `{{eq: {{…}}}}`)"),
        "everything.yaml:33:21: `offset_from` needs `seconds` (e.g. `{offset_from: /created, seconds: 604800}`)".into(),
        "everything.yaml:40:34: malformed template `{{run_id}-k1`: `{{` without a closing `}}`".into(),
        "everything.yaml:42:5: `retry` is only allowed on GET steps, not POST (re-sending a write could repeat its side effects)".into(),
        "everything.yaml:42:23: expected a duration, found an integer (durations have a unit: `2s`, `90s`, `1m`)".into(),
        "everything.yaml:46:13: undefined variable `invoic_id` (did you mean `invoice_id`?)".into(),
        "everything.yaml:48:36: invalid duration `forever`: expected number at 0 (durations have a unit: `2s`, `90s`, `1m`)".into(),
        "everything.yaml:49:5: missing required key `id` in step".into(),
        "nested/same-name.yaml:1:7: duplicate scenario name `everything` (first used in ".to_string()
            + &root.join("everything.yaml").display().to_string()
            + ":2:7)",
        "not-utf8.yaml:1:1: file is not valid UTF-8 (invalid byte at offset 10)".into(),
        "shape.yaml:1:1: expected a mapping, found a sequence".into(),
        "syntax.yaml:5:7: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'".into(),
    ];
    assert_eq!(report(&root, &diags), expected);

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
    let form = scenario::encode_params(&invoice.request.form, &render).unwrap();
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
