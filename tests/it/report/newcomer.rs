//! What a newcomer reads when something fails: the URL requested, the status and the target's
//! error in every format; summary.md and junit.xml leading with what failed; parity that never
//! rounds a failure up; teardowns that could not clean up shown as warnings; `--update` that
//! rewrites only what changed and exits 0.

use std::path::Path;

use apiparity::report::{percent, Scorecard};

use crate::support::bin::apiparity;

/// A throwaway project: `scenarios/<key>.yaml` for each (key, text).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (key, text) in files {
        let p = dir.path().join("scenarios").join(format!("{key}.yaml"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

const CUSTOMERS: &str = "\
steps:
  - id: list
    request: {method: GET, path: /v1/customers}
    expect: {status: 200, snapshot: false}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_base_url_shows_the_url_requested_the_status_and_the_error_everywhere() {
    let server = apiparity::mock::spawn(Default::default()).await.unwrap();
    let dir = project(&[("basics/customers", CUSTOMERS)]);
    // The classic mistake: the base URL already ends in /v1.
    let base = format!("{}/v1", server.base_url());
    let out = apiparity(dir.path(), &["run", "--base-url", &base], &[]).await;
    server.shutdown().await;
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let url = format!("{base}/v1/customers");
    assert!(
        out.stdout.contains(&format!("request: GET {url}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("response: HTTP 404: {"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Unrecognized request URL"),
        "{}",
        out.stdout
    );

    let reports = dir.path().join("reports");
    let md = read(&reports, "summary.md");
    assert!(md.contains(&format!("- request: `GET {url}`")), "{md}");
    assert!(md.contains("- target said: `"), "{md}");
    let html = read(&reports, "report.html");
    assert!(html.contains("class=\"target-said\""), "{html}");
    assert!(html.contains(&format!("<code>GET {url}</code>")));
    let junit = read(&reports, "junit.xml");
    assert!(
        junit.contains(&format!("request: GET {url} -&gt; HTTP 404"))
            || junit.contains(&format!("request: GET {url} -> HTTP 404")),
        "{junit}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&reports, "report.json")).unwrap();
    let step = &json["scenarios"][0]["steps"][0];
    assert_eq!(step["url"], url.as_str());
    assert!(step["target_said"]
        .as_str()
        .unwrap()
        .contains("invalid_request_error"));
}

const TWO_TOPICS: &str = "\
steps:
  - id: list
    request: {method: GET, path: /v1/invoices, query: {limit: 1}}
    expect:
      status: 200
      snapshot: false
      body:
        /object: lizt
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_and_junit_lead_with_the_failure_in_plain_words() {
    let dir = project(&[("alpha/ok", CUSTOMERS), ("beta/wrong-object", TWO_TOPICS)]);
    let out = apiparity(dir.path(), &["run"], &[]).await;
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let reports = dir.path().join("reports");
    let md = read(&reports, "summary.md");
    let failing = md
        .find("## Failing steps")
        .expect("a failing-steps section");
    let counts = md.find("| scenarios | passed |").expect("the counts table");
    assert!(failing < counts, "failures must come first:\n{md}");
    assert!(
        md.contains("| `beta/wrong-object` | `01-list` | fail | `body` |"),
        "{md}"
    );

    let junit = read(&reports, "junit.xml");
    assert!(!junit.contains("::"), "names must not be doubled:\n{junit}");
    assert!(junit.contains("name=\"wrong-object\""), "{junit}");
    assert!(junit.contains("classname=\"beta\""), "{junit}");
    assert!(junit.contains("classname=\"alpha\""), "{junit}");
    // Plain text, not Markdown.
    for md_only in ["**step", "|---", "```"] {
        assert!(!junit.contains(md_only), "{md_only} in junit.xml:\n{junit}");
    }
    assert!(junit.contains("expectation failed (body)"), "{junit}");

    // The HTML report opens on the failure: the section comes before the counts.
    let html = read(&reports, "report.html");
    let f = html
        .find("<section id=\"failures\">")
        .expect("failures section");
    assert!(f < html.find("<section id=\"summary\">").unwrap());
}

#[test]
fn parity_never_rounds_a_failure_up_and_says_when_nothing_was_compared() {
    assert_eq!(percent(11920, 11921), "99.9");
    assert_eq!(percent(1, 1), "100.0");
    assert_eq!(percent(2, 3), "66.6");
    assert_eq!(Scorecard::default().parity_text(), "nothing compared");
    let c = Scorecard {
        steps_compared: 4,
        steps_matching: 3,
        fields_compared: 11921,
        fields_matching: 11920,
        ..Scorecard::default()
    };
    assert_eq!(
        c.parity_text(),
        "steps 3/4 (75.0%), fields 11920/11921 (99.9%)"
    );
}

const TEARDOWN: &str = "\
steps:
  - id: customer
    request:
      method: POST
      path: /v1/customers
      form: {name: Jenny Rosen}
    expect: {status: 200, snapshot: false}
    capture: {customer_id: /id}
teardown:
  - id: delete-customer
    request: {method: DELETE, path: \"/v1/customers/{{customer_id}}\", auth: none}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_teardown_is_a_warning_in_every_report_not_a_pass() {
    let dir = project(&[("cleanup/refused", TEARDOWN)]);
    let out = apiparity(dir.path(), &["run"], &[]).await;
    // A warning, not a failure.
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("WARN cleanup/refused"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("warning: teardown 02-delete-customer DELETE"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 teardown step(s) refused"),
        "{}",
        out.stdout
    );
    let reports = dir.path().join("reports");
    let md = read(&reports, "summary.md");
    assert!(
        md.contains("| `cleanup/refused` | `02-delete-customer` | warn |"),
        "{md}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&reports, "report.json")).unwrap();
    assert_eq!(json["summary"]["teardown_warnings"], 1);
    assert_eq!(json["scenarios"][0]["steps"][1]["status"], "warn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_rewrites_only_changed_snapshots_and_exits_zero() {
    let paging = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/search/paging.yaml"),
    )
    .unwrap();
    let dir = project(&[("search/paging", &paging)]);
    let first = apiparity(dir.path(), &["run", "--update"], &[]).await;
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let page2 = dir
        .path()
        .join("snapshots/search/paging/06-search-page-2.json");
    let text = std::fs::read_to_string(&page2).unwrap();
    assert!(
        text.contains("\"page=<page_token>\""),
        "cursor not normalized:\n{text}"
    );
    let before = std::fs::metadata(&page2).unwrap().modified().unwrap();

    // Same answers: nothing is rewritten (the page cursor differs per run, and is normalized).
    let second = apiparity(dir.path(), &["run", "--update"], &[]).await;
    assert_eq!(second.code, Some(0), "{}", second.stdout);
    assert!(
        second.stdout.contains("snapshots written: 0, unchanged: 5"),
        "{}",
        second.stdout
    );
    assert_eq!(
        std::fs::metadata(&page2).unwrap().modified().unwrap(),
        before
    );

    // A changed answer is rewritten and named; it is not a failure.
    let mut snap: serde_json::Value = serde_json::from_str(&text).unwrap();
    snap["response"]["body"]["has_more"] = serde_json::json!(true);
    std::fs::write(&page2, serde_json::to_string_pretty(&snap).unwrap()).unwrap();
    let third = apiparity(dir.path(), &["run", "--update"], &[]).await;
    assert_eq!(third.code, Some(0), "{}", third.stdout);
    assert!(!third.stdout.contains("DIFFER"), "{}", third.stdout);
    assert!(
        third
            .stdout
            .contains("updated: snapshots/search/paging/06-search-page-2.json"),
        "{}",
        third.stdout
    );
    assert!(
        third.stdout.contains("snapshots written: 1, unchanged: 4"),
        "{}",
        third.stdout
    );
}
