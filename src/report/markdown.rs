//! `summary.md`: fit for a CI job summary (GitHub's `$GITHUB_STEP_SUMMARY`).

use std::fmt::Write;

use serde_json::Value;

use super::text::{display_pointer, failure_rows, plain_snippets};
use super::{Report, ScenarioReport, Status, Style};
use crate::verdict::Headline;

pub fn render(r: &Report, _: &Style) -> Result<String, String> {
    let mut o = super::text_buffer(r);
    let s = &r.summary;
    let headline = s.headline();
    let mark = match headline {
        Headline::AllMatch | Headline::NoNewDifferences => "✅",
        Headline::StaleBaseline | Headline::Differences => "❌",
        Headline::TargetErrors => "⛔",
    };
    let _ = writeln!(o, "# apiparity: {mark} {}\n", headline.text());
    if let Some(cut) = &s.cut_short {
        let _ = writeln!(
            o,
            "> ⛔ {} ({} of {} scenarios not run)\n",
            cut.replace(['\n', '\r'], " "),
            s.scenarios_not_run,
            s.scenarios
        );
    }
    let _ = writeln!(
        o,
        "Target **{}** ({:?}), Stripe-Version `{}`, snapshots `{}`, additive differences: {}.\n",
        r.target.base_url, r.target.kind, r.stripe_version, r.snapshots, r.additive
    );
    // What failed comes first: a reader of a CI summary should not scroll for it.
    let (rows, left_out) = failure_rows(r, 50);
    if !rows.is_empty() {
        let _ = writeln!(o, "## Failing steps\n");
        let _ = writeln!(o, "| scenario | step | status | pointer | expected | actual |");
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for f in &rows {
            let _ = writeln!(
                o,
                "| `{}` | `{:02}-{}` | {} | `{}` | {} | {} |",
                f.scenario,
                f.step_index,
                f.step,
                f.status,
                f.pointer,
                code_cell(&f.expected),
                code_cell(&f.actual)
            );
        }
        if left_out > 0 {
            let _ = writeln!(o, "\n… and {left_out} more in report.json.");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "| scenarios | passed | failed | steps | differences (breaking / additive) | expectation failures | target errors |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} ({} / {}) | {} | {} |\n",
        s.scenarios,
        s.scenarios_passed,
        s.scenarios_failed,
        s.steps,
        s.differences,
        s.breaking,
        s.additive,
        s.expectation_failures,
        s.target_errors
    );
    if s.teardown_warnings > 0 {
        let _ = writeln!(
            o,
            "⚠️ {} teardown step(s) refused by the target and nothing else removed their object: it may remain (`apiparity sweep`).\n",
            s.teardown_warnings
        );
    }
    if let Some(b) = &r.baseline {
        let _ = writeln!(o, "## Baseline\n");
        let _ = writeln!(o, "{}.\n", b.sentence(|f| format!("`{f}`"), str::to_string));
        if !b.stale.is_empty() {
            let _ = writeln!(
                o,
                "Stale entries (they matched nothing; each fails the run):\n"
            );
            let _ = writeln!(o, "| entry | scenario | step | pointer | kind | reason |");
            let _ = writeln!(o, "|---|---|---|---|---|---|");
            for e in &b.stale {
                let _ = writeln!(
                    o,
                    "| `{}` | `{}` | `{}` | {} | {} | {} |",
                    e.location,
                    e.scenario,
                    e.step,
                    e.pointer
                        .as_deref()
                        .map(|p| format!("`{}`", display_pointer(p)))
                        .unwrap_or_else(|| "any".into()),
                    e.kind.as_deref().unwrap_or("any"),
                    cell(&e.reason)
                );
            }
            let _ = writeln!(o);
        }
    }
    let c = &r.scorecard;
    let _ = writeln!(o, "## Parity\n");
    let _ = writeln!(
        o,
        "- parity: {}\n- steps unsupported by the target: {}\n",
        c.parity_text(),
        c.steps_unsupported
    );
    if !c.field_changes.is_empty() {
        let _ = writeln!(o, "Field changes (target vs references):\n");
        for f in &c.field_changes {
            let what = if f.kind == crate::diff::DiffKind::Unexpected {
                "only in the target (additive)"
            } else {
                "missing from the target (breaking)"
            };
            let _ = writeln!(
                o,
                "- `{}` {what}, {} responses",
                display_pointer(&f.pointer),
                f.count
            );
        }
        let _ = writeln!(o);
    }
    if !c.top_differences.is_empty() {
        let _ = writeln!(o, "Most frequent differences:\n");
        for d in c.top_differences.iter().take(10) {
            let _ = writeln!(
                o,
                "- `{}` {} in {} responses",
                display_pointer(&d.pointer),
                d.kind.as_str(),
                d.count
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Scenarios\n");
    let _ = writeln!(o, "| scenario | status | steps |");
    let _ = writeln!(o, "|---|---|---|");
    for sc in &r.scenarios {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} |",
            sc.key,
            icon(sc.status),
            sc.steps.len()
        );
    }
    for sc in r
        .scenarios
        .iter()
        .filter(|s| !matches!(s.status, Status::Pass))
    {
        let _ = writeln!(o, "\n### `{}` — {}\n", sc.key, sc.status.as_str());
        o.push_str(&scenario_details(sc));
    }
    Ok(o)
}

fn code_cell(s: &str) -> String {
    format!("`{}`", cell(s).replace('`', "'"))
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn icon(s: Status) -> String {
    match s {
        Status::Pass => "✅ pass".into(),
        Status::Warn => "⚠️ warn".into(),
        Status::Baselined => "☑️ baselined".into(),
        other => format!("❌ {}", other.as_str()),
    }
}

fn short(v: &Option<Value>) -> String {
    match v {
        None => "—".to_string(),
        Some(v) => {
            let t = crate::diff::abbreviate(v, 80);
            format!("`{}`", t.replace('|', "\\|").replace('`', "'"))
        }
    }
}

/// Per failing step: what failed, each difference (pointer, kind, expected, actual), the
/// snapshot's provenance, and the unified diff. Shared with junit.xml's failure text.
pub(super) fn scenario_details(sc: &ScenarioReport) -> String {
    let mut o = String::new();
    if let Some(e) = &sc.error {
        let _ = writeln!(o, "{e}\n");
    }
    for st in sc
        .steps
        .iter()
        .filter(|s| s.is_listed())
    {
        let _ = writeln!(
            o,
            "**step `{}`** ({} {}) — {}{}\n",
            st.id,
            st.method,
            st.path,
            st.status.as_str(),
            st.http_status
                .map(|s| format!(", HTTP {s}"))
                .unwrap_or_default()
        );
        let _ = writeln!(o, "- request: `{} {}`", st.method, st.url.replace('`', "'"));
        if let Some(said) = &st.target_said {
            let _ = writeln!(o, "- target said: {}", code_cell(said));
        }
        if st.teardown && st.status == Status::Warn {
            let _ = writeln!(
                o,
                "- ⚠️ teardown warning: the target refused it; what it should remove may remain"
            );
        }
        if let Some(e) = &st.transport_error {
            let _ = writeln!(o, "- target error: {e} (after {} attempts)", st.attempts);
        }
        for (i, f) in st.failures.iter().enumerate() {
            let _ = writeln!(o, "- expectation failed: {}", f.message);
            let snippet = plain_snippets(sc, st).get(i).and_then(Option::as_deref);
            if let Some(snippet) = snippet {
                let _ = writeln!(o, "\n  ```text");
                for line in snippet.trim_end().lines() {
                    let _ = writeln!(o, "  {line}");
                }
                let _ = writeln!(o, "  ```\n");
            }
        }
        if !st.differences.is_empty() {
            let _ = writeln!(o, "| pointer | kind | expected | actual |");
            let _ = writeln!(o, "|---|---|---|---|");
            for d in &st.differences {
                let _ = writeln!(
                    o,
                    "| `{}` | {} | {} | {} |",
                    display_pointer(&d.pointer),
                    d.kind.as_str(),
                    short(&d.expected),
                    short(&d.actual)
                );
            }
            let _ = writeln!(o);
        }
        if !st.baselined.is_empty() {
            let _ = writeln!(o, "Accepted by the baseline:\n");
            let _ = writeln!(o, "| what | expected | actual | reason | entry |");
            let _ = writeln!(o, "|---|---|---|---|---|");
            for b in &st.baselined {
                let (what, e, a) = match (&b.difference, b.status) {
                    (Some(d), _) => (
                        format!("`{}` {}", display_pointer(&d.pointer), d.kind.as_str()),
                        short(&d.expected),
                        short(&d.actual),
                    ),
                    (None, s) => (
                        format!("step {}", s.map_or("status", |s| s.as_str())),
                        "—".into(),
                        "—".into(),
                    ),
                };
                let _ = writeln!(
                    o,
                    "| {what} | {e} | {a} | {} | `{}` |",
                    cell(&b.reason),
                    b.location
                );
            }
            let _ = writeln!(o);
        }
        if let Some(p) = &st.provenance {
            let _ = writeln!(
                o,
                "snapshot `{}`: {} (Stripe-Version {})\n",
                st.snapshot
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                p.source,
                p.stripe_version
            );
        }
        if let Some(p) = &st.pending {
            let _ = writeln!(
                o,
                "new version written for review: `{}` (`apiparity review`)\n",
                p.display()
            );
        }
        if let Some(u) = &st.unified {
            let _ = writeln!(
                o,
                "<details><summary>diff</summary>\n\n```diff\n{}\n```\n</details>\n",
                u.trim_end()
            );
        }
    }
    o
}
