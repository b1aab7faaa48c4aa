//! junit.xml over hostile bodies: characters XML 1.0 forbids (NUL, ESC, U+FFFE, U+FFFF) in
//! what a target sent must not make the file unparseable. Checked here character by character
//! and, with `junitparser` from PyPI (a real JUnit consumer; `.ci/run` installs it and sets
//! APIPARITY_REQUIRE_JUNITPARSER=1), by parsing it.

use std::process::Command;

use crate::support::bin::apiparity;
use crate::support::raw_server::{Resp, TestServer};

fn forbidden_in_xml(c: char) -> bool {
    !(matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}')
}

#[tokio::test(flavor = "multi_thread")]
async fn junit_xml_over_hostile_bodies_parses() {
    // JSON escapes, so the body itself is valid JSON holding the forbidden characters.
    let body = r#"{"id":"in_1","object":"invoice","status":"x\u0000y\u001bz\ufffe\uffff","note":"\u0001\u0008\u000b"}"#;
    let server =
        TestServer::start(move |_| Resp::text(200, "application/json", body).reply()).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios/x")).unwrap();
    std::fs::write(
        root.join("scenarios/x/hostile.yaml"),
        "steps:\n  - id: get\n    request: {method: GET, path: /v1/invoices/in_1}\n    expect:\n      body:\n        /status: paid\n        /note: {contains: nothing}\n",
    )
    .unwrap();
    let url = server.base_url();
    let out = apiparity(
        root,
        &[
            "run",
            "scenarios",
            "--base-url",
            &url,
            "--report-dir",
            "r",
            "--snapshots",
            "s",
        ],
        &[("STRIPE_API_KEY", "sk_test_apiparity")],
    )
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let xml_path = root.join("r/junit.xml");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert!(
        xml.contains("\\u{fffe}") && xml.contains("\\u{ffff}"),
        "the characters stay visible:\n{xml}"
    );
    let bad: Vec<char> = xml.chars().filter(|&c| forbidden_in_xml(c)).collect();
    assert!(bad.is_empty(), "forbidden characters {bad:?} in:\n{xml}");
    // Numeric references to them are just as forbidden.
    for r in [
        "&#0;", "&#x0;", "&#1;", "&#x1;", "&#27;", "&#x1b;", "&#x1B;", "&#xfffe;", "&#65534;",
    ] {
        assert!(!xml.contains(r), "{r} in:\n{xml}");
    }

    let require = std::env::var("APIPARITY_REQUIRE_JUNITPARSER").is_ok_and(|v| v == "1");
    let probe = Command::new("python3")
        .args(["-c", "import junitparser"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            !require,
            "APIPARITY_REQUIRE_JUNITPARSER=1 but `python3 -c 'import junitparser'` fails"
        );
        eprintln!(
            "skipping the junitparser check: install it with `python3 -m pip install junitparser`"
        );
        return;
    }
    let script = "import sys, junitparser\nx = junitparser.JUnitXml.fromfile(sys.argv[1])\ncases = [c for s in x for c in s]\nassert len(cases) == 1, cases\nassert not cases[0].is_passed\nprint(cases[0].result[0].message)\n";
    let parsed = Command::new("python3")
        .args(["-c", script])
        .arg(&xml_path)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "junitparser could not read junit.xml: {}\n{xml}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    assert!(String::from_utf8_lossy(&parsed.stdout).contains("step get"));
}
