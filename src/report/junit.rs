//! `junit.xml`: a testcase per scenario — classname the topic (`finalize`), name the rest of the
//! key (`with-amount`), so CI shows `finalize.with-amount` once — with a plain-text failure
//! body (request, what the target said, each failure and difference, the unified diff).

use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use super::text::{display_pointer, plain_details};
use super::{Report, ScenarioReport, Status, Style};

pub fn render(report: &Report, _: &Style) -> Result<String, String> {
    let mut suite = TestSuite::new("apiparity");
    for s in &report.scenarios {
        let status = match s.status {
            Status::Pass | Status::Warn | Status::Baselined => TestCaseStatus::success(),
            Status::Skipped => TestCaseStatus::skipped(),
            Status::Error | Status::Unsupported => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                st.set_message(headline(s));
                st.set_type(s.status.as_str());
                st.set_description(plain_details(s));
                st
            }
            Status::Differ | Status::Fail => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(headline(s));
                st.set_type(s.status.as_str());
                st.set_description(plain_details(s));
                st
            }
        };
        let (topic, name) = topic_and_name(&s.key);
        let mut case = TestCase::new(name, status);
        case.set_classname(topic);
        case.set_time(std::time::Duration::from_millis(s.duration_ms as u64));
        suite.add_test_case(case);
    }
    // Stale baseline entries fail the run: one failing testcase each, so CI shows them.
    if let Some(b) = &report.baseline {
        for e in &b.stale {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(format!(
                "baseline entry {} matched nothing: remove it, or the deviation came back fixed",
                e.location
            ));
            st.set_type("stale_baseline_entry");
            st.set_description(format!(
                "scenario {}, step {}, pointer {}, kind {}: {}",
                e.scenario,
                e.step,
                e.pointer.as_deref().unwrap_or("(any)"),
                e.kind.as_deref().unwrap_or("(any)"),
                e.reason
            ));
            let mut case = TestCase::new(format!("baseline::{}", e.location), st);
            case.set_classname("apiparity.baseline");
            suite.add_test_case(case);
        }
    }
    // A run cut short is a failure of the run itself: one testcase says so, and why.
    if let Some(cut) = &report.summary.cut_short {
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        st.set_message(cut.clone());
        st.set_type("cut_short");
        let mut case = TestCase::new("cut-short", st);
        case.set_classname("apiparity.run");
        suite.add_test_case(case);
    }
    let mut r = JReport::new("apiparity");
    r.add_test_suite(suite);
    // Whatever a target sent may be quoted in messages: make the whole document XML 1.0.
    r.to_string().map(|x| xml_safe(&x)).map_err(|e| e.to_string())
}

/// `s` with every character XML 1.0 forbids (controls other than tab, newline and carriage
/// return; U+FFFE, U+FFFF; lone surrogates cannot occur in a `str`) written as `\u{…}`, so
/// the file parses in every JUnit consumer and the character is still visible. quick-junit
/// escapes markup, not these; none of them is ever part of the markup itself.
pub(crate) fn xml_safe(s: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if s.chars().all(allowed) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if allowed(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect()
}

/// `finalize/with-amount` → (`finalize`, `with-amount`); a key without a topic is its own name
/// under `apiparity`.
fn topic_and_name(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("apiparity", key))
}

fn headline(s: &ScenarioReport) -> String {
    let bad: Vec<String> = s
        .steps
        .iter()
        .filter(|st| st.status.is_failure())
        .map(|st| {
            let first = st
                .differences
                .first()
                .map(|d| format!(" {} {}", d.kind.as_str(), display_pointer(&d.pointer)))
                .or_else(|| st.failures.first().map(|f| format!(" {}", f.message)))
                .or_else(|| st.transport_error.as_ref().map(|e| format!(" {e}")))
                .unwrap_or_default();
            format!("step {} {}:{}", st.id, st.status.as_str(), first)
        })
        .collect();
    if bad.is_empty() {
        s.error
            .clone()
            .unwrap_or_else(|| s.status.as_str().to_string())
    } else {
        bad.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::xml_safe;

    #[test]
    fn forbidden_characters_become_visible_escapes() {
        assert_eq!(xml_safe("plain <b> & ü 😀\t\n"), "plain <b> & ü 😀\t\n");
        assert_eq!(xml_safe("a\u{FFFE}b\u{0}c\u{1b}d\u{FFFF}"), "a\\u{fffe}b\\u{0}c\\u{1b}d\\u{ffff}");
    }
}
