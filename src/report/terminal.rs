//! The terminal summary: a line per scenario, details for failures, colored unless NO_COLOR.

use std::borrow::Cow;
use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::text::{display_pointer, failure_snippet, plain_snippets, value_or_absent, SNIPPETS};
use super::{Report, Status};

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}


/// The terminal format (see [`terminal`]).
pub fn render(r: &Report, style: &super::Style) -> Result<String, String> {
    Ok(terminal(r, style.color))
}

/// Renders the summary. `color` is decided by the caller (anstream honours NO_COLOR).
pub fn terminal(r: &Report, color: bool) -> String {
    let green = AnsiColor::Green.on_default();
    let red = AnsiColor::Red.on_default().bold();
    let yellow = AnsiColor::Yellow.on_default();
    let dim = Style::new().dimmed();
    let mut o = super::text_buffer(r);
    for sc in &r.scenarios {
        // A run cut short: the scenarios it never started are counted once, not listed.
        if r.summary.cut_short.is_some() && sc.status == Status::Skipped {
            continue;
        }
        let (style, label) = match sc.status {
            Status::Pass => (green, "PASS"),
            Status::Warn => (yellow, "WARN"),
            Status::Skipped => (dim, "SKIP"),
            Status::Error => (red, "ERROR"),
            Status::Unsupported => (red, "UNSUPPORTED"),
            Status::Fail => (red, "FAIL"),
            Status::Differ => (red, "DIFFER"),
            Status::Baselined => (yellow, "BASELINED"),
        };
        let _ = writeln!(
            o,
            "{} {} {}",
            // Padded before painting: escape codes must not count as width.
            paint(color, style, &format!("{label:>11}")),
            sc.key,
            paint(color, dim, &format!("({} ms)", sc.duration_ms))
        );
        if let Some(e) = &sc.error {
            let _ = writeln!(o, "            {e}");
        }
        for st in sc
            .steps
            .iter()
            .filter(|s| s.is_listed())
        {
            if st.teardown && st.status == Status::Warn {
                // One line: it does not fail the run, but it must not pass silently either.
                let _ = writeln!(
                    o,
                    "            {} teardown {:02}-{} {} {} → HTTP {}: {}",
                    paint(color, yellow, "warning:"),
                    st.index,
                    st.id,
                    st.method,
                    st.url,
                    st.http_status.map(|h| h.to_string()).unwrap_or_default(),
                    st.target_said.as_deref().unwrap_or("")
                );
                continue;
            }
            let _ = writeln!(
                o,
                "            step {:02}-{} {} {} → {}{}",
                st.index,
                st.id,
                st.method,
                st.path,
                st.status.as_str(),
                st.http_status
                    .map(|s| format!(" (HTTP {s})"))
                    .unwrap_or_default()
            );
            // What was asked and what came back: a wrong base URL shows here as a doubled path.
            if st.status.is_failure() || st.teardown || st.target_said.is_some() {
                let _ = writeln!(o, "              request: {} {}", st.method, st.url);
            }
            if let Some(said) = &st.target_said {
                let _ = writeln!(
                    o,
                    "              response: HTTP {}: {said}",
                    st.http_status.map(|h| h.to_string()).unwrap_or_default()
                );
            }
            if let Some(e) = &st.transport_error {
                let _ = writeln!(o, "              target error: {e}");
            }
            for (i, f) in st.failures.iter().enumerate() {
                // The first few against their lines; past them, one line each.
                let snippet = match (i < SNIPPETS, color) {
                    (false, _) => None,
                    (true, true) => failure_snippet(&sc.file, &sc.source, f, true).map(Cow::Owned),
                    (true, false) => plain_snippets(sc, st)[i].as_deref().map(Cow::Borrowed),
                };
                match snippet {
                    Some(snippet) => {
                        for line in snippet.lines() {
                            let _ = writeln!(o, "              {line}");
                        }
                    }
                    None => {
                        let _ = writeln!(o, "              {}", paint(color, red, &f.message));
                    }
                }
            }
            for d in st.differences.iter().take(25) {
                let fmt = |v: &Option<serde_json::Value>| value_or_absent(v.as_ref(), 120);
                let _ = writeln!(
                    o,
                    "              {} {}: expected {}, actual {}",
                    paint(color, yellow, d.kind.as_str()),
                    display_pointer(&d.pointer),
                    fmt(&d.expected),
                    fmt(&d.actual)
                );
            }
            if st.differences.len() > 25 {
                let _ = writeln!(
                    o,
                    "              … {} more in reports/report.json",
                    st.differences.len() - 25
                );
            }
            for b in &st.baselined {
                let what = match (&b.difference, b.status) {
                    (Some(d), _) => format!("{} {}", d.kind.as_str(), display_pointer(&d.pointer)),
                    (None, Some(s)) => format!("step {}", s.as_str()),
                    (None, None) => "step".to_string(),
                };
                let _ = writeln!(
                    o,
                    "              {} {what}: {} ({})",
                    paint(color, dim, "known:"),
                    b.reason,
                    b.location
                );
            }
            if st.verdict == Some(crate::snapshot::Verdict::Missing) {
                let _ = writeln!(o, "              no snapshot yet");
            }
            // The unified diff of the pretty JSON, for steps whose differences are few enough
            // to read here (report.json and report.html always have all of them).
            if let Some(u) = st.unified.as_ref().filter(|_| st.differences.len() <= 10) {
                for line in u.lines().take(60) {
                    let style = match line.chars().next() {
                        Some('-') => red,
                        Some('+') => green,
                        Some('@') => dim,
                        _ => Style::new(),
                    };
                    let _ = writeln!(o, "              {}", paint(color, style, line));
                }
            }
            if let Some(p) = &st.pending {
                let _ = writeln!(
                    o,
                    "              new version: {} (review with `apiparity review`)",
                    p.display()
                );
            }
        }
    }
    if let Some(b) = &r.baseline {
        let _ = writeln!(
            o,
            "\nbaseline {} ({}): {} of {} entries in use, {} accepted item(s){}{}",
            b.file,
            b.target,
            b.entries - b.stale.len() - b.not_run,
            b.entries,
            b.accepted,
            if b.not_run > 0 {
                format!(", {} for scenarios not run", b.not_run)
            } else {
                String::new()
            },
            if b.todo_reasons > 0 {
                format!(", {} reason(s) still TODO", b.todo_reasons)
            } else {
                String::new()
            }
        );
        for e in &b.stale {
            let _ = writeln!(
                o,
                "  {} {} {}{}{}: matched nothing ({})",
                paint(color, red, "STALE"),
                e.location,
                e.scenario,
                format_args!(" step {}", e.step),
                [
                    e.pointer
                        .as_deref()
                        .map(|p| format!(" {}", display_pointer(p))),
                    e.kind.as_deref().map(|k| format!(" {k}"))
                ]
                .into_iter()
                .flatten()
                .collect::<String>(),
                e.reason
            );
        }
    }
    let s = &r.summary;
    let c = &r.scorecard;
    let _ = writeln!(
        o,
        "\n{} scenarios: {} passed, {} failed{}; {} differences ({} breaking, {} additive), {} expectation failures, {} target errors{}",
        s.scenarios, s.scenarios_passed, s.scenarios_failed,
        if s.scenarios_not_run > 0 { format!(", {} not run", s.scenarios_not_run) } else { String::new() },
        s.differences, s.breaking, s.additive, s.expectation_failures, s.target_errors,
        if r.baseline.is_some() {
            format!("; {} baselined, {} stale baseline entries", s.baselined, s.stale_baseline_entries)
        } else {
            String::new()
        }
    );
    if s.teardown_warnings > 0 {
        let _ = writeln!(
            o,
            "{} {} teardown step(s) refused by the target and nothing else removed their object: it may remain (`apiparity sweep`)",
            paint(color, yellow, "warning:"),
            s.teardown_warnings
        );
    }
    let _ = writeln!(
        o,
        "parity: {}, unsupported steps {}",
        c.parity_text(),
        c.steps_unsupported
    );
    if !c.field_changes.is_empty() {
        let list = |kind: crate::diff::DiffKind| {
            c.field_changes
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| display_pointer(&f.pointer).to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(o, "field changes (target vs references):");
        let (extra, lacking) = (
            list(crate::diff::DiffKind::Unexpected),
            list(crate::diff::DiffKind::Missing),
        );
        if !extra.is_empty() {
            let _ = writeln!(o, "  only in the target (additive): {extra}");
        }
        if !lacking.is_empty() {
            let _ = writeln!(o, "  missing from the target (breaking): {lacking}");
        }
    }
    if !c.top_differences.is_empty() {
        let _ = writeln!(o, "most frequent differences:");
        for d in c.top_differences.iter().take(5) {
            let _ = writeln!(
                o,
                "  {} {} in {} responses",
                display_pointer(&d.pointer),
                d.kind.as_str(),
                d.count
            );
        }
    }
    o
}
