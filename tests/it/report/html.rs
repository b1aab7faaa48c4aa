//! report.html's content without a browser: what a reader finds on the page, and escaping.

use std::path::Path;

use serde_json::json;

use crate::support::reports::{build, judge, mock_flows, Flow, Step};
use apiparity::report;
use apiparity::verdict::baseline;

fn html(r: &report::Report) -> String {
    let dir = tempfile::tempdir().unwrap();
    report::write_all(r, dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    if let Ok(out) = std::env::var("APIPARITY_HTML_OUT") {
        // For looking at the page by hand.
        let _ = std::fs::write(out, &text);
    }
    text
}

#[test]
fn shows_scorecard_differences_unified_diff_and_provenance() {
    let r = build(&mock_flows(), true);
    let h = html(&r);
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("<span class=\"verdict bad\" id=\"verdict\">differences found</span>"));
    // Scorecard: 1 of 3 compared steps match; the unsupported search step is listed.
    assert!(h.contains("1/3 (33.3%)"), "step parity");
    assert!(h.contains("<ul id=\"unsupported\">"));
    assert!(h.contains("<code>search/by-status</code> step <code>search</code>"));
    assert!(h.contains("<table id=\"top-differences\">"));
    // The failing step: pointer, kind, expected and actual side by side.
    assert!(h.contains(
        "<tr><td><code class=\"pointer\">/number</code></td><td>missing</td><td class=\"side\"><pre>&quot;&lt;prefix_1&gt;-0001&quot;</pre></td><td class=\"side\"><span class=\"absent\">(absent)</span></td></tr>"
    ), "{h}");
    assert!(h.contains("<code class=\"pointer\">(root)</code></td><td>status_changed</td>"));
    // The unified diff, line by line.
    assert!(h.contains("<span class=\"del\">-  &quot;status&quot;: &quot;paid&quot;\n</span>"));
    assert!(h.contains("<span class=\"add\">+  &quot;status&quot;: &quot;open&quot;\n</span>"));
    // Provenance, also for the passing step.
    assert_eq!(
        h.matches("recorded from Stripe test mode on 2025-04-01")
            .count(),
        3 + 2,
        "in the steps tables (3 compared steps) and in the 2 failing steps' details"
    );
    // Passing scenarios are closed, failing ones open; the script is there but optional.
    assert!(h.contains("id=\"sc-2\" data-status=\"pass\" data-failing=\"false\">"));
    assert!(h.contains("id=\"sc-0\" data-status=\"differ\" data-failing=\"true\" open>"));
    assert!(h.contains("Content-Security-Policy"));
}

#[test]
fn everything_from_a_run_is_escaped() {
    let flows = vec![Flow {
        key: "x/<b>",
        steps: vec![Step::Compared {
            id: "s\"1",
            status: 200,
            body: json!({"<k>": "<script>x</script>", "a": "&amp;"}),
            expected_status: 200,
            expected: json!({"<k>": "'ok'", "a": "&"}),
        }],
    }];
    let b = baseline::parse(
        "target: \"<i>mock</i>\"\ndeviations:\n  - {scenario: \"x/<b>\", step: 's\"1', pointer: /a, reason: \"<u>why</u>\"}\n",
        Path::new("m.yaml"),
    )
    .unwrap();
    let r = judge(&flows, true, Some(&b)).report;
    let h = html(&r);
    for raw in ["<b>", "<k>", "<script>x", "<i>mock", "<u>why", "s\"1"] {
        assert!(!h.contains(raw), "unescaped {raw}");
    }
    assert!(h.contains("/&lt;k&gt;"));
    assert!(h.contains("&amp;amp;"));
    assert!(h.contains("&lt;u&gt;why&lt;/u&gt;"));
}

#[test]
fn a_clean_run_says_so() {
    let flows: Vec<Flow> = mock_flows().into_iter().skip(2).collect();
    let r = build(&flows, true);
    let h = html(&r);
    assert!(h.contains("<span class=\"verdict ok\" id=\"verdict\">all scenarios match</span>"));
    assert!(h.contains("data-exit-code=\"0\""));
    assert!(!h.contains("<section class=\"step-detail"));
    assert!(!h.contains("id=\"baseline\""));
}
