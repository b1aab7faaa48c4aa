//! `apiparity import`: every format's fixture gives the same scenario; the id flow becomes
//! captures; a replay against the embedded mock maps ids; keys never reach the output; live
//! mode is refused; a corrupt cassette is reported with its file and line while the others
//! import; the committed recorded suite is reproduced byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use apiparity::import::{
    import_cassettes, import_paths, Cassette, Exchange, ImportError, ImportOptions, Scope, Source,
};
use serde_json::Value;

/// The committed suite reproduced from ../shared/recordings.
mod committed;
/// A flow recorded from the embedded mock, ids rewritten, replayed against a fresh mock.
mod replay;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The scenario without the lines that name its file and recorder.
fn comparable_scenario(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("description:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A snapshot without its provenance text and scenario key.
fn comparable_snapshot(bytes: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    v["meta"]["source"] = Value::Null;
    v["meta"]["scenario"] = Value::Null;
    if let Some(h) = v["request"]["headers"].as_object_mut() {
        h.remove("Idempotency-Key");
    }
    v
}

const FORMATS: &[&str] = &[
    "ruby-vcr.yml",
    "ruby-vcr-json.json",
    "vcrpy.yaml",
    "vcrpy-json.json",
    "exvcr.json",
    "flow.har",
    "nock.json",
    "shared.json",
];

#[test]
fn every_format_imports_to_the_same_scenario() {
    let out = tempfile::tempdir().unwrap();
    let opts = ImportOptions::into_root(out.path());
    let paths: Vec<PathBuf> = FORMATS.iter().map(|f| fixtures().join(f)).collect();
    let report = import_paths(&paths, None, &opts);
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.written.len(), FORMATS.len());
    let first = &report.written[0];
    let reference = comparable_scenario(&std::fs::read_to_string(&first.scenario).unwrap());
    assert!(reference.contains("steps:"), "{reference}");
    for w in &report.written {
        assert_eq!(w.steps, 5, "{}", w.key);
        let text = std::fs::read_to_string(&w.scenario).unwrap();
        assert_eq!(comparable_scenario(&text), reference, "{} differs", w.key);
        // The exchange with another host is listed with its reason (the shared shape has none).
        if !w.key.ends_with("/shared") {
            assert!(
                text.contains("GET /v1/ping: host hooks.example.com, not api.stripe.com"),
                "{text}"
            );
        }
        // Each file names its recorder in the provenance of every snapshot.
        let snap: Value = serde_json::from_slice(&std::fs::read(&w.snapshots[0]).unwrap()).unwrap();
        let source = snap["meta"]["source"].as_str().unwrap();
        assert!(
            source.starts_with("recorded from Stripe test mode by "),
            "{source}"
        );
        assert!(source.contains("2025-06-01"), "{source}");
        assert_eq!(snap["meta"]["stripe_version"], "2025-03-31.basil");
        for (a, b) in w.snapshots.iter().zip(&first.snapshots) {
            assert_eq!(
                comparable_snapshot(&std::fs::read(a).unwrap()),
                comparable_snapshot(&std::fs::read(b).unwrap()),
                "{} vs {}",
                a.display(),
                b.display()
            );
        }
    }
    let recorders: Vec<String> = report
        .written
        .iter()
        .map(|w| {
            let s: Value =
                serde_json::from_slice(&std::fs::read(&w.snapshots[0]).unwrap()).unwrap();
            s["meta"]["source"].as_str().unwrap().to_string()
        })
        .collect();
    for (name, want) in [
        ("ruby-vcr", "by Ruby VCR (VCR 6.3.1)"),
        ("vcrpy", "by vcrpy"),
        ("exvcr", "by ExVCR"),
        ("flow", "by HAR 1.2 (Firefox 128.0)"),
        ("nock", "by nock"),
    ] {
        assert!(
            recorders
                .iter()
                .any(|r| r.contains(want) && r.contains(name)),
            "{want}: {recorders:?}"
        );
    }
}

#[test]
fn the_id_flow_becomes_captures_and_probes_stay_literal() {
    let out = tempfile::tempdir().unwrap();
    let report = import_paths(
        &[fixtures().join("ruby-vcr.yml")],
        None,
        &ImportOptions::into_root(out.path()),
    );
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    // Introduced by the customer response, used by the item and the invoice.
    assert!(
        text.contains("    capture:\n      customer_id: /id"),
        "{text}"
    );
    assert_eq!(
        text.matches("customer: \"{{customer_id}}\"").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("path: \"/v1/invoices/{{invoice_id}}/finalize\""),
        "{text}"
    );
    // No recorded id survives where a variable stands for it.
    assert!(!text.contains("cus_Qx7pLmN2aB3cD4"), "{text}");
    assert!(!text.contains("in_1RfA2cC3dE4fG5hI6jK7lM8n"), "{text}");
    // Nobody introduced in_nope: it is replayed as recorded, with the recorded 404.
    assert!(text.contains("path: /v1/invoices/in_nope\n"), "{text}");
    assert!(text.contains("status: 404"), "{text}");
    // Created objects are tagged for `sweep` and torn down.
    assert_eq!(
        text.matches("apiparity_run: \"{{run_id}}\"").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("path: \"/v1/customers/{{customer_id}}\""),
        "{text}"
    );
    assert!(
        text.contains("path: \"/v1/invoices/{{invoice_id}}\""),
        "{text}"
    );
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../schema.json\n"),
        "{text}"
    );
    // The snapshot carries the tag the replay's response will carry.
    let snap: Value =
        serde_json::from_slice(&std::fs::read(&report.written[0].snapshots[0]).unwrap()).unwrap();
    assert_eq!(
        snap["response"]["body"]["metadata"]["apiparity_run"],
        "<run_id>"
    );
    assert_eq!(snap["response"]["body"]["id"], "cus_1");
    // And `check` accepts it.
    let planned = apiparity::config::RunConfig::for_check(vec![out.path().join("scenarios")], None)
        .and_then(|cfg| apiparity::pipeline::plan(&cfg));
    assert!(planned.is_ok(), "{:?}", planned.err());
}

#[test]
fn importing_twice_gives_the_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    import_paths(&[fixtures()], None, &ImportOptions::into_root(a.path()));
    import_paths(&[fixtures()], None, &ImportOptions::into_root(b.path()));
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    assert!(ta.len() > 40, "{:?}", ta.keys());
    assert_eq!(ta, tb);
}

fn key(rest: &str) -> String {
    format!("{}_{}_{rest}", "sk", "test")
}

fn exchange(method: &str, path: &str, status: u16, body: Value) -> Exchange {
    Exchange {
        method: method.into(),
        path: path.into(),
        request_headers: vec![("Stripe-Version".into(), "2025-03-31.basil".into())],
        status,
        body,
        ..Exchange::default()
    }
}

fn cassette(name: &str, exchanges: Vec<Exchange>) -> Cassette {
    Cassette {
        name: name.into(),
        source: Source {
            name: "tests".into(),
            recorder: "a test".into(),
            file: format!("{name}.json"),
            recorded_on: Some("2025-06-01".into()),
            origin: None,
        },
        exchanges,
    }
}

#[test]
fn a_key_in_a_cassette_never_reaches_the_output() {
    let secret = key("4eC39HqLyjWDarjtT1zdp7dcXyZ");
    let restricted = format!("{}_{}_{}", "rk", "test", "51HxYz0123456789abcdefGHIJ");
    let mut e1 = exchange(
        "POST",
        "/v1/customers",
        200,
        serde_json::json!({"id": "cus_Qx7pLmN2aB3cD4", "object": "customer",
            "description": format!("made with {secret}"), "livemode": false}),
    );
    e1.request_headers
        .push(("Authorization".into(), format!("Bearer {secret}")));
    e1.request_headers
        .push(("Cookie".into(), format!("session={restricted}")));
    e1.form = vec![("description".into(), format!("made with {secret}"))];
    e1.response_headers = vec![("Set-Cookie".into(), format!("k={restricted}"))];
    let mut e2 = exchange(
        "GET",
        "/v1/invoices/in_nope",
        401,
        serde_json::json!({"error": {"message": format!("Invalid API Key provided: {restricted}"),
            "type": "invalid_request_error"}}),
    );
    e2.query = vec![("api_key".into(), secret.clone())];
    let out = tempfile::tempdir().unwrap();
    let report = import_cassettes(
        &[cassette("keys", vec![e1, e2])],
        &ImportOptions::into_root(out.path()),
    );
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let files = tree(out.path());
    assert_eq!(files.len(), 3, "{:?}", files.keys());
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for k in [&secret, &restricted] {
            assert!(!text.contains(k.as_str()), "{name} holds a key:\n{text}");
            assert!(
                !text.contains(&k[8..]),
                "{name} holds part of a key:\n{text}"
            );
        }
        assert!(!text.contains("Authorization"), "{name}:\n{text}");
        assert!(!text.contains("session="), "{name}:\n{text}");
    }
    let scenario =
        String::from_utf8_lossy(&files["scenarios/recorded/tests/keys.yaml"]).into_owned();
    assert!(scenario.contains("sk_test_REDACTED"), "{scenario}");
}

#[test]
fn a_live_mode_cassette_is_refused_and_nothing_is_written() {
    let live_body = exchange(
        "GET",
        "/v1/invoices/in_nope",
        200,
        serde_json::json!({"object": "list", "data": [{"id": "in_1AbCdEfGhIjKlMnOpQrStUv", "livemode": true}]}),
    );
    let mut live_key = exchange(
        "GET",
        "/v1/customers",
        200,
        serde_json::json!({"object": "list", "data": []}),
    );
    live_key.request_headers.push((
        "Authorization".into(),
        format!("Bearer {}_{}_{}", "sk", "live", "0123456789abcdefghijklmn"),
    ));
    let fine = exchange(
        "GET",
        "/v1/invoices/in_nope",
        200,
        serde_json::json!({"object": "list", "data": []}),
    );
    let out = tempfile::tempdir().unwrap();
    let report = import_cassettes(
        &[
            cassette("live-body", vec![fine.clone(), live_body]),
            cassette("live-key", vec![live_key]),
            cassette("fine", vec![fine]),
        ],
        &ImportOptions::into_root(out.path()),
    );
    assert_eq!(report.written.len(), 1);
    assert_eq!(report.refused.len(), 2);
    let messages: Vec<String> = report.refused.iter().map(|e| e.to_string()).collect();
    assert!(
        matches!(&report.refused[0], ImportError::Live { .. }),
        "{messages:?}"
    );
    assert_eq!(
        messages[0],
        "tests/live-body: refused, recorded in live mode (exchange 2: livemode: true in the response)"
    );
    assert!(messages[1].contains("live-mode key"), "{messages:?}");
    assert!(
        !messages[1].contains("0123456789"),
        "the message shows the key: {messages:?}"
    );
    let files = tree(out.path());
    assert!(
        files.keys().all(|f| f.contains("/fine")),
        "{:?}",
        files.keys()
    );
}

#[test]
fn a_corrupt_cassette_is_named_with_its_line_and_the_others_import() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixtures().join("vcrpy.yaml")).unwrap();
    std::fs::write(dir.path().join("a-good.yaml"), &good).unwrap();
    // Truncated mid-file.
    let har = std::fs::read_to_string(fixtures().join("flow.har")).unwrap();
    std::fs::write(dir.path().join("b-truncated.har"), &har[..har.len() / 2]).unwrap();
    // A YAML syntax error on line 3.
    std::fs::write(
        dir.path().join("c-broken.yml"),
        "http_interactions:\n- request:\n    method: [post\n",
    )
    .unwrap();
    // Well-formed, but an exchange lacks its URI (line 6 of the file).
    std::fs::write(
        dir.path().join("d-no-uri.yml"),
        "http_interactions:\n- request: {method: get, uri: 'https://api.stripe.com/v1/invoices'}\n  response: {status: {code: 200}, body: {string: '{}'}}\n\
         \n# the second one has no uri\n- request: {method: get}\n  response: {status: {code: 200}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("e-unknown.json"),
        "{\"hello\": \"world\"}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("f-empty.json"), "").unwrap();
    std::fs::write(dir.path().join("g-binary.json"), [0x5b, 0xff, 0xfe, 0x5d]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let report = import_paths(
        &[dir.path().to_path_buf()],
        None,
        &ImportOptions::into_root(out.path()),
    );
    assert_eq!(report.written.len(), 1, "{:?}", report.refused);
    let messages: Vec<String> = report.refused.iter().map(|e| e.to_string()).collect();
    let find = |file: &str| {
        messages
            .iter()
            .find(|m| m.contains(file))
            .unwrap_or_else(|| panic!("no error for {file}: {messages:?}"))
            .clone()
    };
    let truncated = find("b-truncated.har");
    assert!(truncated.contains("truncated JSON"), "{truncated}");
    let line = har[..har.len() / 2].lines().count();
    assert!(
        truncated.contains(&format!("b-truncated.har:{line}:")),
        "{truncated} (line {line})"
    );
    let broken = find("c-broken.yml");
    assert!(broken.contains("c-broken.yml:"), "{broken}");
    assert!(broken.contains("invalid YAML"), "{broken}");
    assert_eq!(
        find("d-no-uri.yml"),
        format!(
            "{}:6:1: ruby-vcr exchange 2: `uri` is missing",
            dir.path().join("d-no-uri.yml").display()
        )
    );
    assert!(find("e-unknown.json").contains("not a cassette in any known format"));
    assert!(find("f-empty.json").contains("empty file"));
    assert!(find("g-binary.json").contains(":1:2: not UTF-8 text"));
    assert_eq!(messages.len(), 6, "{messages:?}");
    // Only the good cassette's files, and no temporary file anywhere.
    let files = tree(out.path());
    assert!(
        files.keys().all(|f| f.contains("a-good")),
        "{:?}",
        files.keys()
    );
    assert!(
        files.keys().all(|f| !f.contains(".apiparity-import-")),
        "{:?}",
        files.keys()
    );
}

#[test]
fn a_failed_write_leaves_nothing_of_its_cassette() {
    let out = tempfile::tempdir().unwrap();
    let opts = ImportOptions::into_root(out.path());
    // The third snapshot's path is taken by a directory: its rename must fail.
    let blocker = out
        .path()
        .join("snapshots/recorded/import/nock/03-post-invoices.json");
    std::fs::create_dir_all(blocker.join("in-the-way")).unwrap();
    let report = import_paths(
        &[fixtures().join("nock.json"), fixtures().join("exvcr.json")],
        None,
        &opts,
    );
    assert_eq!(report.written.len(), 1, "{:?}", report.refused);
    assert!(
        matches!(&report.refused[0], ImportError::Write { .. }),
        "{:?}",
        report.refused
    );
    let files = tree(out.path());
    assert!(
        files.keys().all(|f| f.contains("exvcr")),
        "{:?}",
        files.keys()
    );
}

#[test]
fn masked_versions_need_one_supplied_and_say_so() {
    let mut e = exchange(
        "GET",
        "/v1/invoices/in_nope",
        200,
        serde_json::json!({"object": "list", "data": []}),
    );
    e.request_headers = vec![("Stripe-Version".into(), "<STRIPE_VERSION>".into())];
    let c = cassette("masked", vec![e]);
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    let report = import_cassettes(std::slice::from_ref(&c), &opts);
    assert_eq!(
        report.refused[0].to_string(),
        "tests/masked: no Stripe-Version recorded (exchange 1 has it masked as <STRIPE_VERSION>); give one with --stripe-version VERSION or --stripe-version SOURCE=VERSION"
    );
    opts.source_versions = vec![("tests".into(), "2025-11-17.clover".into())];
    let report = import_cassettes(&[c], &opts);
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(text.contains("# Stripe-Version not recorded (masked by the recorder as <STRIPE_VERSION>): supplied at import\nstripe_version: \"2025-11-17.clover\""), "{text}");
    let snap: Value =
        serde_json::from_slice(&std::fs::read(&report.written[0].snapshots[0]).unwrap()).unwrap();
    assert!(snap["meta"]["source"]
        .as_str()
        .unwrap()
        .ends_with("Stripe-Version 2025-11-17.clover supplied at import"));
}

#[test]
fn the_invoice_scope_drops_what_the_mock_does_not_reach_with_the_reason() {
    let price = exchange(
        "POST",
        "/v1/prices",
        200,
        serde_json::json!({"id": "price_1AbCdEfGhIjKlMnOpQrStUv", "object": "price"}),
    );
    let mut item = exchange(
        "POST",
        "/v1/invoiceitems",
        200,
        serde_json::json!({"id": "ii_1AbCdEfGhIjKlMnOpQrStUw", "object": "invoiceitem"}),
    );
    item.form = vec![("price".into(), "price_1AbCdEfGhIjKlMnOpQrStUv".into())];
    let list = exchange(
        "GET",
        "/v1/invoices/in_nope",
        200,
        serde_json::json!({"object": "list", "data": []}),
    );
    let mut everything = exchange(
        "GET",
        "/v1/invoices",
        200,
        serde_json::json!({"object": "list", "data": []}),
    );
    everything.query = vec![("limit".into(), "3".into())];
    let mut of_one = everything.clone();
    of_one
        .query
        .push(("customer".into(), "cus_Qx7pLmN2aB3cD4".into()));
    let flow = vec![price, item, list, everything, of_one];
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    // `all` keeps every exchange as recorded.
    let report = import_cassettes(&[cassette("all", flow.clone())], &opts);
    // Five as recorded, and a setup step for the customer the last one names.
    assert_eq!(report.written[0].steps, 6);
    opts.scope = Scope::InvoiceApi;
    let report = import_cassettes(&[cassette("scoped", flow)], &opts);
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(text.contains("#   4. GET /v1/invoices: lists the whole account (its answer depends on everything else in it, not on this flow)\n"), "{text}");
    assert!(text.contains("#   1. POST /v1/prices: prices are not modelled by the mock (outside the invoice API)\n"), "{text}");
    assert!(text.contains("#   2. POST /v1/invoiceitems: uses price_1AbCdEfGhIjKlMnOpQrStUv, which dropped exchange 1 introduced\n"), "{text}");
    // The list of one customer's invoices stays (with its customer's setup step).
    assert_eq!(report.written[0].steps, 3);
    assert!(
        text.contains("# setup: the recorder's customer cus_Qx7pLmN2aB3cD4"),
        "{text}"
    );
}

#[test]
fn redactions_of_the_recorder_are_ignored_field_by_field() {
    let body = serde_json::json!({"id": "in_NORMALIZED00000000000001", "object": "invoice",
        "created": 1000000000, "customer": "cus_NORMALIZED0001", "total": 6400});
    let out = tempfile::tempdir().unwrap();
    let report = import_cassettes(
        &[cassette(
            "normalized",
            vec![exchange("GET", "/v1/invoices/in_nope", 200, body)],
        )],
        &ImportOptions::into_root(out.path()),
    );
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(text.contains("      ignore:\n        /id: \"value normalized by the recorder (NORMALIZED…)\"\n        /created: \"timestamp normalized by the recorder (1000000000)\"\n        /customer: \"value normalized by the recorder (NORMALIZED…)\"\n"), "{text}");
    assert!(
        text.contains(
            "# 3 field(s) the recorder redacted are excluded from comparison (expect.ignore)."
        ),
        "{text}"
    );
}

/// An invoice of the recorder's account that the cassette never created cannot be replayed on
/// a fresh account: dropped with the reason (a recorded error for such an id stays); the
/// account the recorded bodies show becomes the scenario's `account:`.
#[test]
fn foreign_invoices_are_dropped_and_the_account_is_what_the_bodies_show() {
    let ours = "in_1OurOwnInvoiceAbCdEfGh";
    let theirs = "in_1NotCreatedHereAbCdEf";
    let invoice = |id: &str, stamp: Value| {
        serde_json::json!({"id": id, "object": "invoice", "status": "draft",
            "account_country": "CA", "currency": "cad", "webhooks_delivered_at": stamp})
    };
    let create = exchange("POST", "/v1/invoices", 200, invoice(ours, Value::Null));
    let again = exchange(
        "GET",
        &format!("/v1/invoices/{ours}"),
        200,
        invoice(ours, Value::Null),
    );
    let foreign = exchange(
        "GET",
        &format!("/v1/invoices/{theirs}"),
        200,
        invoice(theirs, serde_json::json!(1_700_000_000)),
    );
    let finalize = exchange(
        "POST",
        &format!("/v1/invoices/{theirs}/finalize"),
        200,
        invoice(theirs, serde_json::json!(1_700_000_000)),
    );
    let missing = exchange(
        "GET",
        "/v1/invoices/in_1NeverExistedAbCdEfGhIj",
        404,
        serde_json::json!({"error": {"type": "invalid_request_error", "code": "resource_missing"}}),
    );
    let flow = vec![create, again, foreign, finalize, missing];
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    opts.scope = Scope::InvoiceApi;
    let report = import_cassettes(&[cassette("foreign", flow)], &opts);
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert_eq!(report.written[0].steps, 3, "{text}");
    let reason = format!(
        "names {theirs}, an invoice of the recorder's account that the cassette did not create"
    );
    for line in [
        format!("#   3. GET /v1/invoices/{theirs}: {reason}"),
        format!("#   4. POST /v1/invoices/{theirs}/finalize: {reason}"),
    ] {
        assert!(text.contains(&line), "{line}\n{text}");
    }
    assert!(!text.contains("#   5."), "a recorded 404 replays: {text}");
    assert!(
        text.contains("\naccount:\n  country: CA\n  currency: cad\n  webhook_endpoints: true\n"),
        "{text}"
    );
    // It loads, and the runner will send it.
    let loaded = apiparity::scenario::load(&[out.path()], out.path())
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    assert_eq!(loaded[0].account.country.as_deref(), Some("CA"));
}

/// A customer of the recorder's account that the cassette uses and deletes: the deletion's stub
/// says nothing of it, so the setup step rebuilds it from what the first invoice made for it
/// shows (email, name, phone, address, tax exemption), which the replay's invoices then copy.
#[test]
fn a_deleted_account_customer_is_rebuilt_from_its_invoice() {
    let cus = "cus_TfaMZWOqGeuVbn";
    let invoice = serde_json::json!({"id": "in_1SiFCEH54PcLeqtY5XAQQShJ", "object": "invoice",
        "customer": cus, "status": "draft", "customer_email": "invoice-test@example.com",
        "customer_name": null, "customer_phone": "+15555550100",
        "customer_address": {"city": "Montréal", "country": "CA", "line1": null},
        "customer_shipping": null, "customer_tax_exempt": "exempt"});
    let mut create = exchange("POST", "/v1/invoices", 200, invoice);
    create.form = vec![("customer".into(), cus.into())];
    let delete = exchange(
        "DELETE",
        &format!("/v1/customers/{cus}"),
        200,
        serde_json::json!({"id": cus, "object": "customer", "deleted": true}),
    );
    let out = tempfile::tempdir().unwrap();
    let report = import_cassettes(
        &[cassette("deleted", vec![create, delete])],
        &ImportOptions::into_root(out.path()),
    );
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    let setup = &text[text.find("- id: setup-customer").expect("a setup step")..];
    let setup = &setup[..setup.find("- id: post-invoices").expect("then the flow")];
    for line in [
        "email: invoice-test@example.com",
        "phone: \"+15555550100\"",
        "city: \"Montréal\"",
        "country: CA",
        "tax_exempt: exempt",
    ] {
        assert!(setup.contains(line), "{line}\n{setup}");
    }
    assert!(
        !setup.contains("name:") && !setup.contains("line1"),
        "nulls are not sent: {setup}"
    );
}

/// A cassette recorded over sessions on differently set up accounts (onetimesecret's: a later
/// session on a new account with webhook endpoints): the scenario's `account:` is what the
/// whole recording shows, and each step of a session that shows otherwise says so in its own
/// `account:`, the account id included once the recording names more than one.
#[test]
fn each_session_keeps_its_own_account_settings() {
    let (first, second) = ("acct_1SRUXQH54PcLeqtY", "acct_1SkAmiH7zmouMIBX");
    let draft = |id: &str, stamp: Value| {
        serde_json::json!({"id": id, "object": "invoice", "status": "draft",
            "account_country": "CA", "customer": "cus_TfaMZWOqGeuVbn",
            "customer_email": "a@example.com", "webhooks_delivered_at": stamp})
    };
    let open = |id: &str, acct: &str| {
        serde_json::json!({"id": id, "object": "invoice", "status": "open",
            "hosted_invoice_url": format!("https://invoice.stripe.com/i/{acct}/test_abc?s=ap"),
            "webhooks_delivered_at": 1_766_671_638})
    };
    let on = |day: &str, mut e: Exchange| {
        e.recorded_on = Some(day.into());
        e.form = vec![("customer".into(), "cus_TfaMZWOqGeuVbn".into())];
        e
    };
    let (a, b, c) = (
        "in_1SiFCEH54PcLeqtY5XAQQShJ",
        "in_1SiFCEH54PcLeqtY5XAQQShK",
        "in_1TYzR7H7zmouMIBXhqpxwIfr",
    );
    let flow = vec![
        on(
            "2025-12-25",
            exchange("POST", "/v1/invoices", 200, draft(a, 1_766_671_638.into())),
        ),
        on(
            "2025-12-25",
            exchange("POST", "/v1/invoices", 200, draft(b, 1_766_671_639.into())),
        ),
        on(
            "2025-12-25",
            exchange(
                "POST",
                &format!("/v1/invoices/{a}/finalize"),
                200,
                open(a, first),
            ),
        ),
        on(
            "2026-05-20",
            exchange("POST", "/v1/invoices", 200, draft(c, Value::Null)),
        ),
        on(
            "2026-05-20",
            exchange(
                "POST",
                &format!("/v1/invoices/{c}/finalize"),
                200,
                open(c, second),
            ),
        ),
    ];
    let out = tempfile::tempdir().unwrap();
    let report = import_cassettes(
        &[cassette("sessions", flow)],
        &ImportOptions::into_root(out.path()),
    );
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(
        text.contains(&format!(
            "\naccount:\n  id: {first}\n  country: CA\n  webhook_endpoints: false\n"
        )),
        "{text}"
    );
    let later = format!(
        "    as_of: \"2026-05-20\"\n    account:\n      id: {second}\n      webhook_endpoints: true\n    request:\n"
    );
    assert_eq!(text.matches(&later).count(), 2, "{text}");
    assert_eq!(text.matches("    account:").count(), 2, "{text}");
    let loaded = apiparity::scenario::load(&[out.path()], out.path())
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let last = loaded[0].steps.last().unwrap();
    assert_eq!(last.account.id.as_deref(), Some(second));
    assert_eq!(last.account.webhook_endpoints, Some(true));
}

/// A payment intent of the recorder's account (its subscription paid an invoice outside the
/// cassette): the first request names it before any response showed it, so what lists its
/// payments lists the account's history and is dropped with the reason, whichever exchange
/// named it first; one the cassette's own pay introduced stays.
#[test]
fn payments_of_a_foreign_payment_intent_are_dropped() {
    let theirs = "pi_3RJFxCKXBGcbgpbZ1JGEYBmw";
    let ours = "pi_3SRzrhKXBGcbgpbZ09nWsmS6";
    let list = |pi: &str| {
        let mut e = exchange(
            "GET",
            "/v1/invoice_payments",
            200,
            serde_json::json!({"object": "list", "data": [{"id": "inpay_1SRzrhKXBGcbgpbZxD7Wdj91",
                "object": "invoice_payment", "payment": {"payment_intent": pi, "type": "payment_intent"}}]}),
        );
        e.query = vec![("payment[payment_intent]".into(), pi.into())];
        e
    };
    let peek = exchange(
        "GET",
        &format!("/v1/payment_intents/{theirs}"),
        200,
        serde_json::json!({"id": theirs, "object": "payment_intent"}),
    );
    let created = exchange(
        "POST",
        "/v1/invoices",
        200,
        serde_json::json!({"id": "in_1SRzrfKXBGcbgpbZqIe4IGKO", "object": "invoice", "status": "draft"}),
    );
    let pay = exchange(
        "POST",
        "/v1/invoices/in_1SRzrfKXBGcbgpbZqIe4IGKO/pay",
        200,
        serde_json::json!({"id": "in_1SRzrfKXBGcbgpbZqIe4IGKO", "object": "invoice",
            "status": "paid", "payment_intent": ours}),
    );
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    opts.scope = Scope::InvoiceApi;
    let flow = vec![peek, list(theirs), created, pay, list(ours)];
    let report = import_cassettes(&[cassette("foreign_pi", flow)], &opts);
    let text = std::fs::read_to_string(&report.written[0].scenario).unwrap();
    assert!(
        text.contains(&format!(
            "#   2. GET /v1/invoice_payments: names {theirs}, a payment intent of the recorder's account that the cassette did not create"
        )),
        "{text}"
    );
    assert_eq!(report.written[0].steps, 3, "{text}");
    assert!(
        text.contains("payment_intent_id}}"),
        "ours is captured and used: {text}"
    );
}

/// What pay-rails' discount cassette needs from the recorder's account, rebuilt: the test card
/// it attaches is replayed for the state (its answer not compared: payment methods are outside
/// the invoice API), and the coupon it uses but never created is created by a setup step from
/// the recorded coupon object (and deleted afterwards); the coupon's `times_redeemed`, which
/// counts the account's history, is excluded with that reason; a discount's `start` is a
/// timestamp like any other.
#[test]
fn a_test_card_and_an_account_coupon_are_rebuilt() {
    let cus = "cus_TOnStIpd4nn1WQ";
    let pm = "pm_1SRzrfKXBGcbgpbZEb7jPi5M";
    let inv = "in_1SRzrfKXBGcbgpbZqIe4IGKO";
    let mut create = exchange(
        "POST",
        "/v1/customers",
        200,
        serde_json::json!({"id": cus, "object": "customer", "email": "stripe@example.org"}),
    );
    create.form = vec![("email".into(), "stripe@example.org".into())];
    let mut attach = exchange(
        "POST",
        "/v1/payment_methods/pm_card_visa/attach",
        200,
        serde_json::json!({"id": pm, "object": "payment_method", "customer": cus}),
    );
    attach.form = vec![("customer".into(), cus.into())];
    let mut default = exchange(
        "POST",
        &format!("/v1/customers/{cus}"),
        200,
        serde_json::json!({"id": cus, "object": "customer",
            "invoice_settings": {"default_payment_method": pm}}),
    );
    default.form = vec![("invoice_settings[default_payment_method]".into(), pm.into())];
    let mut draft = exchange(
        "POST",
        "/v1/invoices",
        200,
        serde_json::json!({"id": inv, "object": "invoice", "customer": cus, "status": "draft"}),
    );
    draft.form = vec![("customer".into(), cus.into())];
    let mut item = exchange(
        "POST",
        "/v1/invoiceitems",
        200,
        serde_json::json!({"id": "ii_1SRzrgKXBGcbgpbZiNLJnUIq", "object": "invoiceitem",
            "invoice": inv, "discounts": ["di_1SRzrgKXBGcbgpbZVj8LX0ne"]}),
    );
    item.form = vec![
        ("invoice".into(), inv.into()),
        ("amount".into(), "1900".into()),
        ("discounts[0][coupon]".into(), "sirmAxRi".into()),
    ];
    let fetched = exchange(
        "GET",
        &format!("/v1/invoices/{inv}"),
        200,
        serde_json::json!({"id": inv, "object": "invoice", "total_discount_amounts": [{
            "amount": 950, "discount": {"id": "di_1SRzrgKXBGcbgpbZVj8LX0ne", "object": "discount",
            "start": 1_762_799_456, "source": {"type": "coupon", "coupon": {"id": "sirmAxRi",
            "object": "coupon", "duration": "forever", "name": "Half Off", "percent_off": 50.0,
            "amount_off": null, "times_redeemed": 5, "created": 1_762_797_128}}}}]}),
    );
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    opts.scope = Scope::InvoiceApi;
    let flow = vec![create, attach, default, draft, item, fetched];
    let report = import_cassettes(&[cassette("coupon", flow)], &opts);
    let w = &report.written[0];
    let text = std::fs::read_to_string(&w.scenario).unwrap();
    assert!(w.dropped.is_empty(), "{:?}", w.dropped);
    let setup = &text[text.find("- id: setup-coupon").expect("a coupon setup")..];
    let setup = &setup[..setup.find("\n\n").unwrap()];
    for line in [
        "path: /v1/coupons",
        "id: sirmAxRi",
        "duration: forever",
        "name: \"Half Off\"",
        "percent_off: \"50\"",
        "snapshot: false",
    ] {
        assert!(setup.contains(line), "{line}\n{setup}");
    }
    let attach = &text[text
        .find("- id: post-payment_methods-pm_card_visa-attach")
        .unwrap()..];
    let attach = &attach[..attach.find("\n\n").unwrap()];
    assert!(attach.contains("# exchange 2: a test card"), "{attach}");
    assert!(
        attach.contains("snapshot: false") && attach.contains("payment_method_id: /id"),
        "{attach}"
    );
    assert!(
        text.contains("default_payment_method: \"{{payment_method_id}}\""),
        "{text}"
    );
    assert!(
        text.contains("request: {method: DELETE, path: /v1/coupons/sirmAxRi}"),
        "{text}"
    );
    assert!(
        text.contains("/total_discount_amounts/0/discount/source/coupon/times_redeemed: \"counts the redemptions of coupon sirmAxRi in the recorder's account"),
        "{text}"
    );
    // Snapshots: none for the setup steps and the card, one per compared step.
    assert_eq!(w.snapshots.len(), 5, "{:?}", w.snapshots);
    let last = std::fs::read_to_string(w.snapshots.last().unwrap()).unwrap();
    assert!(last.contains("\"start\": \"<timestamp>\""), "{last}");
    apiparity::scenario::load(&[out.path()], out.path())
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
}
