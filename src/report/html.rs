//! `report.html`: one self-contained page (no external assets, and a Content-Security-Policy
//! that forbids loading any), readable without JavaScript. Every piece of text that comes from
//! a run (target responses, scenario files, baseline reasons) is HTML-escaped; nothing from a
//! run ever goes into the script or the style sheet.
//!
//! Sections: header (target, versions, verdict, parity), the failing steps (first, so they
//! are above the fold), summary counts, scorecard (parity figures,
//! unsupported steps, most frequent differences), baseline (accepted and stale entries), then
//! every scenario with its steps, and for each failing step its differences (pointer, kind,
//! expected and actual side by side), accepted deviations, snapshot provenance and unified diff.
//! The small inline script only adds conveniences (show only failures, expand/collapse all)
//! and marks the page `data-ready` when it ran, which the browser test checks.

use std::fmt::Write;

use serde_json::Value;

use super::text::{display_pointer, failure_rows};
use super::{Report, ScenarioReport, Status, StepReport, Style};
use crate::verdict::Headline;

/// Text content and attribute values alike (quotes too, so one helper serves both).
fn esc(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

fn pointer(p: &str) -> String {
    esc(display_pointer(p))
}


/// A JSON value for a table cell, pretty-printed, cut past a size a reader can use.
fn json_cell(v: Option<&Value>) -> String {
    const MAX: usize = 4000;
    match v {
        None => "<span class=\"absent\">(absent)</span>".to_string(),
        Some(v) => {
            let text = serde_json::to_string_pretty(v).unwrap_or_default();
            let text = if text.chars().count() > MAX {
                format!(
                    "{}\n… ({} more characters in report.json)",
                    text.chars().take(MAX).collect::<String>(),
                    text.chars().count() - MAX
                )
            } else {
                text
            };
            format!("<pre>{}</pre>", esc(&text))
        }
    }
}

fn badge(s: Status) -> String {
    format!("<span class=\"badge st-{0}\">{0}</span>", esc(s.as_str()))
}

const STYLE: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg2:#f6f8fa;
  --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --known:#8250df; --skip:#59636e; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h4 { margin: 1rem 0 .4rem; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; max-height: 24rem; overflow: auto; }
table { border-collapse: collapse; margin: .4rem 0 .8rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.verdict { padding: .1rem .5rem; border-radius: .3rem; color: #fff; }
.verdict.ok { background: var(--pass); } .verdict.bad { background: var(--fail); }
.verdict.err { background: #6e7781; }
.badge { display: inline-block; min-width: 6.5rem; text-align: center; border-radius: .25rem;
  padding: 0 .4rem; font-size: 12px; font-weight: 600; text-transform: uppercase; color: #fff; }
.st-pass { background: var(--pass); } .st-warn { background: var(--warn); }
.st-differ, .st-fail, .st-unsupported, .st-error { background: var(--fail); }
.st-skipped { background: var(--skip); } .st-baselined { background: var(--known); }
.bar { display: inline-block; width: 12rem; height: .7rem; background: #eaeef2; border-radius: .35rem;
  vertical-align: middle; overflow: hidden; margin-right: .5rem; }
.bar > span { display: block; height: 100%; background: var(--pass); }
details.scenario { border: 1px solid var(--line); border-radius: .4rem; margin: .5rem 0; padding: 0 .8rem; }
details.scenario > summary { cursor: pointer; padding: .5rem 0; list-style-position: outside; }
details.scenario[open] > summary { border-bottom: 1px solid var(--line); margin-bottom: .5rem; }
.step-detail { border-left: 3px solid var(--fail); padding: 0 0 0 .8rem; margin: .8rem 0 1.2rem; }
.step-detail.known { border-left-color: var(--known); }
.step-detail.warn { border-left-color: var(--warn); }
.muted, .absent { color: var(--muted); }
.udiff { background: var(--bg2); padding: .4rem; border: 1px solid var(--line); }
.udiff .del { background: #ffebe9; } .udiff .add { background: #dafbe1; }
.udiff .hunk { color: #0969da; } .udiff .head { font-weight: 600; }
table.diffs td:first-child { white-space: nowrap; }
table.diffs td.side { width: 40%; }
.stale { color: var(--fail); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
#failures table { width: 100%; } #failures td code { word-break: break-word; }
#controls { margin: .8rem 0; display: flex; gap: 1rem; align-items: center; }
body.only-failures [data-failing="false"] { display: none; }
"#;

/// Runs only when scripts are allowed; the page is complete without it.
const SCRIPT: &str = r#"
(function () {
  var controls = document.getElementById('controls');
  var only = document.getElementById('only-failures');
  function apply() { document.body.classList.toggle('only-failures', only.checked); }
  function setAll(open) {
    var all = document.querySelectorAll('details.scenario');
    for (var i = 0; i < all.length; i++) { all[i].open = open; }
  }
  only.addEventListener('change', apply);
  document.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
  // Following a link to a step opens its scenario.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el) { var d = el.closest('details'); if (d) { d.open = true; } }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  controls.hidden = false;
  apply();
  document.documentElement.setAttribute('data-ready', '1');
})();
"#;

pub fn render(r: &Report, _: &Style) -> Result<String, String> {
    let mut o = super::text_buffer(r);
    let s = &r.summary;
    let headline = s.headline();
    let verdict = headline.text();
    let verdict_class = match headline {
        Headline::AllMatch | Headline::NoNewDifferences => "ok",
        Headline::StaleBaseline | Headline::Differences => "bad",
        Headline::TargetErrors => "err",
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>apiparity: {} — {}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body data-exit-code=\"{}\">\n",
        esc(verdict),
        esc(&r.target.base_url),
        s.exit_code
    );
    header(&mut o, r, verdict_class, verdict);
    if let Some(cut) = &s.cut_short {
        let _ = writeln!(
            o,
            "<p class=\"verdict err\" id=\"cut-short\">{}</p>",
            esc(cut)
        );
    }
    failures(&mut o, r);
    let _ = writeln!(
        o,
        "<nav id=\"controls\" hidden><label><input type=\"checkbox\" id=\"only-failures\"> \
         show only failing scenarios</label><button type=\"button\" id=\"expand-all\">expand \
         all</button><button type=\"button\" id=\"collapse-all\">collapse all</button></nav>"
    );
    summary(&mut o, r);
    scorecard(&mut o, r);
    baseline(&mut o, r);
    scenarios(&mut o, r);
    let _ = write!(
        o,
        "<footer class=\"muted\"><p>{} · run {} · {} scenarios in {} ms</p></footer>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        esc(&r.tool),
        esc(&r.run_id),
        s.scenarios,
        r.duration_ms
    );
    Ok(o)
}

fn header(o: &mut String, r: &Report, verdict_class: &str, verdict: &str) {
    let _ = writeln!(
        o,
        "<header>\n<h1>apiparity report <span class=\"verdict {verdict_class}\" id=\"verdict\">{}</span></h1>",
        esc(verdict)
    );
    let kind = serde_json::to_value(r.target.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let rows: [(&str, String); 9] = [
        (
            "target",
            format!("<code>{}</code> ({})", esc(&r.target.base_url), esc(&kind)),
        ),
        (
            "Stripe-Version",
            format!("<code>{}</code>", esc(&r.stripe_version)),
        ),
        ("snapshots", format!("<code>{}</code>", esc(&r.snapshots))),
        ("run", format!("<code>{}</code>", esc(&r.run_id))),
        ("started", esc(&r.started_at)),
        ("duration", format!("{} ms", r.duration_ms)),
        (
            "additive differences",
            format!(
                "{} (new fields {} the run)",
                esc(&r.additive),
                if r.policy.additive_fails {
                    "fail"
                } else {
                    "do not fail"
                }
            ),
        ),
        ("exit code", r.summary.exit_code.to_string()),
        ("parity", esc(&r.scorecard.parity_text())),
    ];
    o.push_str("<dl class=\"meta\">\n");
    for (k, v) in rows {
        let _ = writeln!(o, "<dt>{k}</dt><dd>{v}</dd>");
    }
    o.push_str("</dl>\n</header>\n");
}

/// The failing steps, first thing under the header (above the fold at 1400×900): one row per
/// difference or failure, each linking to its step's details below.
fn failures(o: &mut String, r: &Report) {
    let (rows, left_out) = failure_rows(r, 12);
    if rows.is_empty() {
        return;
    }
    o.push_str("<section id=\"failures\">\n<h2>Failing steps</h2>\n<table class=\"diffs\">\n<tr><th>scenario</th><th>step</th><th>status</th><th>pointer</th><th>expected</th><th>actual</th></tr>\n");
    for f in &rows {
        let _ = writeln!(
            o,
            "<tr class=\"failure\"><td><a href=\"#sc-{}-st-{}\"><code>{}</code></a></td><td><code>{:02}-{}</code></td><td>{}</td><td><code class=\"pointer\">{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            f.scenario_index,
            f.step_index,
            esc(&f.scenario),
            f.step_index,
            esc(&f.step),
            esc(f.status),
            esc(&f.pointer),
            esc(&f.expected),
            esc(&f.actual)
        );
    }
    o.push_str("</table>\n");
    if left_out > 0 {
        let _ = writeln!(
            o,
            "<p class=\"muted\">… and {left_out} more below and in report.json.</p>"
        );
    }
    o.push_str("</section>\n");
}

fn summary(o: &mut String, r: &Report) {
    let s = &r.summary;
    o.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<table>\n<tr>");
    let mut cols: Vec<(&str, usize)> = vec![
        ("scenarios", s.scenarios),
        ("passed", s.scenarios_passed),
        ("failed", s.scenarios_failed),
        ("not run", s.scenarios_not_run),
        ("steps", s.steps),
        ("differences", s.differences),
        ("breaking", s.breaking),
        ("additive", s.additive),
        ("expectation failures", s.expectation_failures),
        ("target errors", s.target_errors),
        ("pending snapshots", s.pending_snapshots),
        ("teardown warnings", s.teardown_warnings),
    ];
    if r.baseline.is_some() {
        cols.push(("baselined", s.baselined));
        cols.push(("stale baseline entries", s.stale_baseline_entries));
    }
    for (k, _) in &cols {
        let _ = write!(o, "<th>{k}</th>");
    }
    o.push_str("</tr>\n<tr>");
    for (_, v) in &cols {
        let _ = write!(o, "<td class=\"num\">{v}</td>");
    }
    o.push_str("</tr>\n</table>\n");
    // Scenario overview, linking to the details below.
    o.push_str("<table id=\"overview\">\n<tr><th>status</th><th>scenario</th><th>steps</th><th>differences</th><th>ms</th></tr>\n");
    for (i, sc) in r.scenarios.iter().enumerate() {
        let diffs: usize = sc.steps.iter().map(|s| s.differences.len()).sum();
        let _ = writeln!(
            o,
            "<tr data-failing=\"{}\"><td>{}</td><td><a href=\"#sc-{i}\"><code>{}</code></a></td><td class=\"num\">{}</td><td class=\"num\">{diffs}</td><td class=\"num\">{}</td></tr>",
            sc.status.is_failure(),
            badge(sc.status),
            esc(&sc.key),
            sc.steps.len(),
            sc.duration_ms
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn scorecard(o: &mut String, r: &Report) {
    let c = &r.scorecard;
    o.push_str("<section id=\"scorecard\">\n<h2>Parity scorecard</h2>\n<table>\n");
    for (what, a, b) in [
        ("steps matching", c.steps_matching, c.steps_compared),
        ("fields matching", c.fields_matching, c.fields_compared),
    ] {
        if b == 0 {
            let _ = writeln!(o, "<tr><th>{what}</th><td>nothing compared</td></tr>");
            continue;
        }
        let p = super::percent(a, b);
        let _ = writeln!(
            o,
            "<tr><th>{what}</th><td><span class=\"bar\"><span style=\"width:{p}%\"></span></span>{a}/{b} ({p}%)</td></tr>"
        );
    }
    let _ = writeln!(
        o,
        "<tr><th>steps unsupported by the target</th><td>{}</td></tr>\n</table>",
        c.steps_unsupported
    );
    let unsupported: Vec<String> = r
        .scenarios
        .iter()
        .enumerate()
        .flat_map(|(i, sc)| {
            sc.steps
                .iter()
                .filter(|s| {
                    s.status == Status::Unsupported || s.baselined_status == Some(Status::Unsupported)
                })
                .map(move |s| {
                    format!(
                        "<li><a href=\"#sc-{i}-st-{}\"><code>{}</code> step <code>{}</code></a>: {} <code>{}</code>{}{}</li>",
                        s.index,
                        esc(&sc.key),
                        esc(&s.id),
                        esc(&s.method),
                        esc(&s.path),
                        s.http_status.map(|h| format!(" → HTTP {h}")).unwrap_or_default(),
                        if s.status == Status::Baselined { " <span class=\"muted\">(baselined)</span>" } else { "" }
                    )
                })
        })
        .collect();
    if !unsupported.is_empty() {
        let _ = writeln!(
            o,
            "<h3>Unsupported steps</h3>\n<ul id=\"unsupported\">\n{}\n</ul>",
            unsupported.join("\n")
        );
    }
    if !c.top_differences.is_empty() {
        o.push_str("<h3>Most frequent differences</h3>\n<table id=\"top-differences\">\n<tr><th>pointer</th><th>kind</th><th>responses</th></tr>\n");
        for d in &c.top_differences {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
                pointer(&d.pointer),
                esc(d.kind.as_str()),
                d.count
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("</section>\n");
}

fn baseline(o: &mut String, r: &Report) {
    let Some(b) = &r.baseline else {
        return;
    };
    let _ = writeln!(
        o,
        "<section id=\"baseline\">\n<h2>Baseline</h2>\n<p>{}.</p>",
        b.sentence(|f| format!("<code>{}</code>", esc(f)), esc)
    );
    if !b.stale.is_empty() {
        o.push_str("<p class=\"stale\">Stale entries matched nothing: the deviation no longer occurs. Each one fails the run; remove it from the baseline.</p>\n<table id=\"stale\">\n<tr><th>entry</th><th>scenario</th><th>step</th><th>pointer</th><th>kind</th><th>reason</th></tr>\n");
        for e in &b.stale {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.location),
                esc(&e.scenario),
                esc(&e.step),
                e.pointer
                    .as_deref()
                    .map(|p| format!("<code>{}</code>", pointer(p)))
                    .unwrap_or_else(|| "any".into()),
                esc(e.kind.as_deref().unwrap_or("any")),
                esc(&e.reason)
            );
        }
        o.push_str("</table>\n");
    }
    o.push_str("</section>\n");
}

fn scenarios(o: &mut String, r: &Report) {
    o.push_str("<section id=\"scenarios\">\n<h2>Scenarios</h2>\n");
    for (i, sc) in r.scenarios.iter().enumerate() {
        scenario(o, i, sc);
    }
    o.push_str("</section>\n");
}

fn scenario(o: &mut String, i: usize, sc: &ScenarioReport) {
    let failing = sc.status.is_failure();
    let _ = writeln!(
        o,
        "<details class=\"scenario\" id=\"sc-{i}\" data-status=\"{}\" data-failing=\"{failing}\"{}>\n<summary>{} <code>{}</code>{} <span class=\"muted\">· {} steps · {} ms</span></summary>",
        esc(sc.status.as_str()),
        if failing { " open" } else { "" },
        badge(sc.status),
        esc(&sc.key),
        if sc.name != sc.key {
            format!(" — {}", esc(&sc.name))
        } else {
            String::new()
        },
        sc.steps.len(),
        sc.duration_ms
    );
    if !sc.description.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", esc(&sc.description));
    }
    let _ = writeln!(
        o,
        "<p class=\"muted\">file <code>{}</code> · Stripe-Version <code>{}</code></p>",
        esc(&sc.file.display().to_string()),
        esc(&sc.stripe_version)
    );
    if let Some(e) = &sc.error {
        let _ = writeln!(o, "<p class=\"stale\">scenario error: {}</p>", esc(e));
    }
    o.push_str("<table class=\"steps\">\n<tr><th>#</th><th>step</th><th>request</th><th>HTTP</th><th>status</th><th>attempts</th><th>ms</th><th>snapshot</th></tr>\n");
    for st in &sc.steps {
        let snap = match (&st.snapshot, &st.provenance) {
            (Some(f), Some(p)) => format!(
                "<code>{}</code><br><span class=\"muted\">{} · Stripe-Version {} · recorded {}</span>",
                esc(&f.display().to_string()),
                esc(&p.source),
                esc(&p.stripe_version),
                esc(&p.recorded_at)
            ),
            (Some(f), None) => format!(
                "<code>{}</code><br><span class=\"muted\">(no snapshot yet)</span>",
                esc(&f.display().to_string())
            ),
            _ => "<span class=\"muted\">not compared</span>".to_string(),
        };
        let _ = writeln!(
            o,
            "<tr id=\"sc-{i}-row-{}\"><td class=\"num\">{:02}</td><td><code>{}</code>{}</td><td><code>{} {}</code></td><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{snap}</td></tr>",
            st.index,
            st.index,
            esc(&st.id),
            if st.teardown { " <span class=\"muted\">(teardown)</span>" } else { "" },
            esc(&st.method),
            esc(&st.path),
            st.http_status.map(|h| h.to_string()).unwrap_or_else(|| "—".into()),
            badge(st.status),
            st.baselined_status
                .map(|s| format!(" <span class=\"muted\">(was {})</span>", esc(s.as_str())))
                .unwrap_or_default(),
            st.attempts,
            st.duration_ms
        );
    }
    o.push_str("</table>\n");
    for st in sc
        .steps
        .iter()
        .filter(|s| s.is_listed())
    {
        step_detail(o, i, st);
    }
    o.push_str("</details>\n");
}

fn step_detail(o: &mut String, i: usize, st: &StepReport) {
    let class = match st.status {
        Status::Baselined => "step-detail known",
        Status::Warn => "step-detail warn",
        _ => "step-detail",
    };
    let _ = writeln!(
        o,
        "<section class=\"{class}\" id=\"sc-{i}-st-{}\">\n<h4>step {:02}-<code>{}</code> {} <code>{} {}</code>{}</h4>",
        st.index,
        st.index,
        esc(&st.id),
        badge(st.status),
        esc(&st.method),
        esc(&st.path),
        st.http_status
            .map(|h| format!(" → HTTP {h}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "<p class=\"request\">request <code>{} {}</code>{}</p>",
        esc(&st.method),
        esc(&st.url),
        st.http_status
            .map(|h| format!(" → HTTP {h}"))
            .unwrap_or_default()
    );
    if let Some(said) = &st.target_said {
        let _ = writeln!(
            o,
            "<p class=\"target-said\">target said: <code>{}</code></p>",
            esc(said)
        );
    }
    if st.teardown && st.status == Status::Warn {
        o.push_str("<p class=\"warn\">teardown warning: the target refused this step; what it should remove may remain.</p>\n");
    }
    if let Some(e) = &st.transport_error {
        let _ = writeln!(
            o,
            "<p class=\"stale\">target error: {} (after {} attempts)</p>",
            esc(e),
            st.attempts
        );
    }
    if let Some(why) = &st.skipped {
        let _ = writeln!(o, "<p class=\"muted\">skipped: {}</p>", esc(why));
    }
    if !st.failures.is_empty() {
        o.push_str("<ul class=\"failures\">\n");
        for f in &st.failures {
            let _ = writeln!(
                o,
                "<li>expectation failed ({}): {}</li>",
                esc(f.what.as_str()),
                esc(&f.message)
            );
        }
        o.push_str("</ul>\n");
    }
    if !st.differences.is_empty() {
        o.push_str("<table class=\"diffs\">\n<tr><th>pointer</th><th>kind</th><th>expected (snapshot)</th><th>actual (target)</th></tr>\n");
        for d in &st.differences {
            let _ = writeln!(
                o,
                "<tr><td><code class=\"pointer\">{}</code></td><td>{}</td><td class=\"side\">{}</td><td class=\"side\">{}</td></tr>",
                pointer(&d.pointer),
                esc(d.kind.as_str()),
                json_cell(d.expected.as_ref()),
                json_cell(d.actual.as_ref())
            );
        }
        o.push_str("</table>\n");
    }
    if !st.baselined.is_empty() {
        o.push_str("<p>Accepted by the baseline:</p>\n<table class=\"diffs baselined\">\n<tr><th>what</th><th>expected</th><th>actual</th><th>reason</th><th>entry</th></tr>\n");
        for b in &st.baselined {
            let (what, e, a) = match (&b.difference, b.status) {
                (Some(d), _) => (
                    format!(
                        "<code class=\"pointer\">{}</code> {}",
                        pointer(&d.pointer),
                        esc(d.kind.as_str())
                    ),
                    json_cell(d.expected.as_ref()),
                    json_cell(d.actual.as_ref()),
                ),
                (None, s) => (
                    format!("step {}", esc(s.map_or("status", |s| s.as_str()))),
                    String::new(),
                    String::new(),
                ),
            };
            let _ = writeln!(
                o,
                "<tr><td>{what}</td><td class=\"side\">{e}</td><td class=\"side\">{a}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&b.reason),
                esc(&b.location)
            );
        }
        o.push_str("</table>\n");
    }
    if let (Some(f), Some(p)) = (&st.snapshot, &st.provenance) {
        let _ = writeln!(
            o,
            "<p class=\"provenance\">snapshot <code>{}</code>: {} (Stripe-Version <code>{}</code>, recorded {})</p>",
            esc(&f.display().to_string()),
            esc(&p.source),
            esc(&p.stripe_version),
            esc(&p.recorded_at)
        );
    }
    if let Some(p) = &st.pending {
        let _ = writeln!(
            o,
            "<p>new version written for review: <code>{}</code> (<code>apiparity review</code>)</p>",
            esc(&p.display().to_string())
        );
    }
    if let Some(u) = st.unified.as_deref().filter(|u| !u.trim().is_empty()) {
        o.push_str("<details class=\"unified\" open><summary>unified diff</summary>\n<pre class=\"udiff\">");
        for line in u.lines() {
            let class = if line.starts_with("--- ") || line.starts_with("+++ ") {
                "head"
            } else if line.starts_with("@@") {
                "hunk"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with('+') {
                "add"
            } else {
                "ctx"
            };
            // The newline inside the span keeps the text copyable as a patch.
            let _ = write!(o, "<span class=\"{class}\">{}\n</span>", esc(line));
        }
        o.push_str("</pre>\n</details>\n");
    }
    o.push_str("</section>\n");
}
