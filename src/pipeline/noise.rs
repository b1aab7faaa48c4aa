//! Noise learning (`apiparity learn-noise`): runs the suite several times against one target,
//! normalizes every run with the current rules, and lists the places whose normalized values
//! still differ between honest runs — values that change on every call (a nonce, a request id,
//! a timestamp the rules do not know). Each comes with a suggested rule for apiparity.yaml.
//! Entry points: [`learn_noise`] (runs the suite) and [`noise_from_runs`] (finished runs).
//!
//! Only honest steps teach: a step is compared across runs when every run got a response with
//! the same HTTP status and no failed expectation, and the step is one whose body a normal run
//! compares with its snapshot. Other steps are listed as unstable, without a suggestion. Array
//! indices in pointers are generalized to `*`.
//!
//! Suggestions, per place: every value a non-null string → `normalize.placeholders`
//! (`"<field>"`); every value an integer that is a plausible Unix time in seconds →
//! `normalize.timestamps.fields`; anything else (numbers, booleans, a field that comes and
//! goes, a changing order) cannot be normalized and is suggested for `diff.ignore`.
//! A place that did not change during these runs is not listed: more runs find more.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::config::RunConfig;
use crate::diff::{self, DiffKind, DiffOptions};
use crate::normalize;
use crate::pipeline::Planned;
use crate::run::{self, Outcome, SuiteRun, Target};
use crate::secret::Redactor;

/// Plausible Unix seconds (2000-01-01 .. 2100-01-01), as the built-in timestamp rule has them.
const TS_MIN: i64 = 946_684_800;
const TS_MAX: i64 = 4_102_444_800;

/// `apiparity learn-noise`: what stays different between honest runs after normalization.
#[derive(Clone, Debug, Serialize)]
pub struct NoiseReport {
    /// The target's base URL.
    pub target: String,
    /// How many runs were compared.
    pub runs: usize,
    /// Scenarios per run.
    pub scenarios: usize,
    /// Steps compared across every run.
    pub steps_compared: usize,
    /// Places whose normalized value changed between runs, with the rule that would fix each.
    pub fields: Vec<NoisyField>,
    /// Steps that could not be learned from (errors, failed expectations, changing status).
    pub unstable_steps: Vec<UnstableStep>,
    /// Scenarios or steps that got no response: the target is not usable (exit 2).
    pub target_errors: Vec<String>,
    /// Scrubs the target's key from everything rendered (failure messages quote raw bodies).
    #[serde(skip)]
    pub redactor: Redactor,
}

/// A place whose normalized value changed between runs.
#[derive(Clone, Debug, Serialize)]
pub struct NoisyField {
    /// A selector (JSON pointer with `*` for array indices), as apiparity.yaml takes it.
    pub selector: String,
    /// The rule that would make it stable.
    pub suggestion: Suggestion,
    /// The kinds of difference seen (`value_changed`, `missing`, …).
    pub kinds: Vec<DiffKind>,
    /// `scenario#step` where it changed.
    pub steps: Vec<String>,
    /// A few of the values seen (up to 4), for the reader.
    pub examples: Vec<Value>,
}

/// A rule for apiparity.yaml.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", content = "value", rename_all = "snake_case")]
pub enum Suggestion {
    /// `normalize.placeholders: {selector: placeholder}`.
    Placeholder(String),
    /// `normalize.timestamps.fields: [selector]`.
    Timestamp,
    /// `diff.ignore: [selector]`: no normalization can make it stable.
    Ignore,
}

/// A step that could not be learned from.
#[derive(Clone, Debug, Serialize)]
pub struct UnstableStep {
    /// The scenario key.
    pub scenario: String,
    /// The step id.
    pub step: String,
    /// Why.
    pub why: String,
}

/// Runs the suite `runs` times (at least 2) against `target`, one after the other, each with
/// its own run id, and reports what stays different after normalization.
pub async fn learn_noise(
    planned: &[Planned],
    target: Target,
    cfg: &RunConfig,
    runs: usize,
) -> NoiseReport {
    let scenarios = crate::pipeline::scenarios(planned);
    let mut done = Vec::new();
    let mut redactor = None;
    for _ in 0..runs.max(2) {
        let session = cfg.session(&target, &run::new_run_id());
        done.push(run::run(&scenarios, &session.run).await);
        redactor.get_or_insert(session.redactor);
    }
    let redactor = redactor.unwrap_or_default();
    noise_from_runs(planned, &done, &cfg.diff, &redactor, &target.base_url)
}

/// What differs between finished runs of the planned scenarios (each in plan order).
pub fn noise_from_runs(
    planned: &[Planned],
    runs: &[SuiteRun],
    opts: &DiffOptions,
    redactor: &Redactor,
    target: &str,
) -> NoiseReport {
    let mut report = NoiseReport {
        target: target.to_string(),
        runs: runs.len(),
        scenarios: runs.first().map_or(0, |r| r.scenarios.len()),
        steps_compared: 0,
        fields: vec![],
        unstable_steps: vec![],
        target_errors: vec![],
        redactor: redactor.clone(),
    };
    // selector → (kinds, steps, examples, every value seen)
    let mut found: BTreeMap<String, Acc> = BTreeMap::new();
    for (si, (first, plan)) in runs
        .first()
        .map(|r| r.scenarios.as_slice())
        .unwrap_or_default()
        .iter()
        .zip(planned)
        .enumerate()
    {
        let key = first.scenario.key.clone();
        let sruns: Vec<_> = runs.iter().map(|r| r.scenarios.get(si)).collect();
        if let Some((i, e)) = sruns.iter().enumerate().find_map(|(i, s)| match s {
            None => Some((i, "did not run".to_string())),
            Some(s) => s.error.clone().map(|e| (i, e)),
        }) {
            report
                .target_errors
                .push(format!("{key}: run {}: {e}", i + 1));
            continue;
        }
        let sruns: Vec<_> = sruns.into_iter().flatten().collect();
        let rules = &plan.rules;
        let normalized: Vec<_> = sruns
            .iter()
            .map(|s| normalize::normalize_run(s, Arc::clone(rules), redactor).steps)
            .collect();
        for (pos, step) in first.steps.iter().enumerate() {
            if !step.compare {
                continue;
            }
            let mut unusable = None;
            let mut bodies = Vec::new();
            for (ri, s) in sruns.iter().enumerate() {
                let Some(st) = s.steps.get(pos) else {
                    unusable = Some(format!("run {}: step missing", ri + 1));
                    break;
                };
                match &st.outcome {
                    Outcome::TransportError(e) => {
                        report.target_errors.push(format!(
                            "{key} step {}: run {}: {e}",
                            step.id,
                            ri + 1
                        ));
                        unusable = Some(format!("run {}: {e}", ri + 1));
                        break;
                    }
                    Outcome::Skipped(why) => {
                        unusable = Some(format!("run {}: not sent ({why})", ri + 1));
                        break;
                    }
                    Outcome::Response(_) if !st.failures.is_empty() => {
                        unusable = Some(format!(
                            "run {}: expectation failed: {}",
                            ri + 1,
                            st.failures[0].message
                        ));
                        break;
                    }
                    Outcome::Response(_) => {}
                }
                match normalized
                    .get(ri)
                    .and_then(|n| n.iter().find(|x| x.position == pos))
                    .and_then(|n| n.status.map(|status| (status, &n.body)))
                {
                    Some(b) => bodies.push(b),
                    None => {
                        unusable = Some(format!("run {}: no normalized response", ri + 1));
                        break;
                    }
                }
            }
            if let Some(why) = unusable {
                report.unstable_steps.push(UnstableStep {
                    scenario: key.clone(),
                    step: step.id.clone(),
                    why,
                });
                continue;
            }
            let statuses: Vec<u16> = bodies.iter().map(|(s, _)| *s).collect();
            if statuses.windows(2).any(|w| w[0] != w[1]) {
                report.unstable_steps.push(UnstableStep {
                    scenario: key.clone(),
                    step: step.id.clone(),
                    why: format!(
                        "HTTP status changes between runs: {}",
                        statuses
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
                continue;
            }
            report.steps_compared += 1;
            let Some((_, base)) = bodies.first() else {
                continue;
            };
            let where_ = format!("{key}#{}", step.id);
            for (_, other) in bodies.iter().skip(1) {
                for d in diff::diff(base, other, opts) {
                    if d.pointer.is_empty() {
                        report.unstable_steps.push(UnstableStep {
                            scenario: key.clone(),
                            step: step.id.clone(),
                            why: format!("the whole body changes between runs ({})", d.kind),
                        });
                        continue;
                    }
                    let acc = found.entry(generalize(&d.pointer)).or_default();
                    if !acc.kinds.contains(&d.kind) {
                        acc.kinds.push(d.kind.clone());
                    }
                    if !acc.steps.contains(&where_) {
                        acc.steps.push(where_.clone());
                    }
                    for v in [d.expected, d.actual].into_iter() {
                        match v {
                            Some(v) => acc.values.push(v),
                            None => acc.absent = true,
                        }
                    }
                }
            }
        }
    }
    report
        .unstable_steps
        .dedup_by(|a, b| a.scenario == b.scenario && a.step == b.step && a.why == b.why);
    report.fields = found
        .into_iter()
        .map(|(selector, acc)| {
            let suggestion = suggest(&selector, &acc);
            let mut examples: Vec<Value> = Vec::new();
            for v in &acc.values {
                if examples.len() < 4 && !examples.contains(v) {
                    examples.push(v.clone());
                }
            }
            NoisyField {
                selector,
                suggestion,
                kinds: acc.kinds,
                steps: acc.steps,
                examples,
            }
        })
        .collect();
    report
}

#[derive(Default)]
struct Acc {
    kinds: Vec<DiffKind>,
    steps: Vec<String>,
    values: Vec<Value>,
    /// The place was absent in some run.
    absent: bool,
}

/// `/lines/data/3/period` → `/lines/data/*/period`.
fn generalize(pointer: &str) -> String {
    match crate::pointer::tokens(pointer) {
        Ok(tokens) => crate::pointer::join(
            &tokens
                .iter()
                .map(|t| {
                    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                        "*".to_string()
                    } else {
                        t.clone()
                    }
                })
                .collect::<Vec<_>>(),
        ),
        Err(_) => pointer.to_string(),
    }
}

fn suggest(selector: &str, acc: &Acc) -> Suggestion {
    let only_values = acc.kinds.iter().all(|k| *k == DiffKind::ValueChanged) && !acc.absent;
    if !only_values || acc.values.is_empty() {
        return Suggestion::Ignore;
    }
    if acc.values.iter().all(|v| v.as_str().is_some()) {
        let name = crate::pointer::tokens(selector)
            .ok()
            .and_then(|t| t.into_iter().rev().find(|t| t != "*"))
            .unwrap_or_else(|| "value".to_string());
        return Suggestion::Placeholder(format!("<{name}>"));
    }
    if acc
        .values
        .iter()
        .all(|v| v.as_i64().is_some_and(|t| (TS_MIN..=TS_MAX).contains(&t)))
    {
        return Suggestion::Timestamp;
    }
    Suggestion::Ignore
}

impl NoiseReport {
    /// 0: nothing to suggest; 1: suggestions or unstable steps; 2: target errors.
    pub fn exit_code(&self) -> i32 {
        if !self.target_errors.is_empty() || self.steps_compared == 0 {
            2
        } else if !self.fields.is_empty() || !self.unstable_steps.is_empty() {
            1
        } else {
            0
        }
    }

    /// The report as JSON, secrets scrubbed.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {}}}", Value::String(e.to_string())));
        s.push('\n');
        self.redactor.scrub(s)
    }

    /// The suggested rules as an apiparity.yaml snippet (merged over the current rules: lists
    /// add, maps add entries). Empty sections are left out; with nothing to suggest, only a
    /// comment.
    pub fn yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let note = |f: &NoisyField| {
            let ex: Vec<String> = f
                .examples
                .iter()
                .take(2)
                .map(|v| {
                    let t = v.to_string().replace(['\n', '\r'], " ");
                    if t.chars().count() > 30 {
                        format!("{}…", t.chars().take(30).collect::<String>())
                    } else {
                        t
                    }
                })
                .collect();
            format!(
                "  # {} step(s), e.g. {}",
                f.steps.len(),
                if ex.is_empty() {
                    "present in some runs only".to_string()
                } else {
                    ex.join(" / ")
                }
            )
        };
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# apiparity learn-noise: {} runs against {}; {} steps compared.",
            self.runs,
            self.target.replace(['\n', '\r'], " "),
            self.steps_compared
        );
        if self.steps_compared == 0 {
            // Stability of nothing proves nothing: say so, and why (the target errors below).
            let _ = writeln!(
                o,
                "# Nothing compared: no step answered in every run, so nothing can be said about noise."
            );
            for e in &self.target_errors {
                let _ = writeln!(o, "# target error: {}", e.replace(['\n', '\r'], " "));
            }
            return self.redactor.scrub(o);
        }
        if self.fields.is_empty() {
            let _ = writeln!(
                o,
                "# Nothing to suggest: every normalized value was stable."
            );
            return self.redactor.scrub(o);
        }
        let _ = writeln!(
            o,
            "# Places whose normalized values changed between runs. Merge into apiparity.yaml,\n\
             # after checking each is really noise and not a bug of the target."
        );
        let placeholders: Vec<_> = self
            .fields
            .iter()
            .filter_map(|f| match &f.suggestion {
                Suggestion::Placeholder(p) => Some((f, p)),
                _ => None,
            })
            .collect();
        let timestamps: Vec<_> = self
            .fields
            .iter()
            .filter(|f| f.suggestion == Suggestion::Timestamp)
            .collect();
        let ignore: Vec<_> = self
            .fields
            .iter()
            .filter(|f| f.suggestion == Suggestion::Ignore)
            .collect();
        if !placeholders.is_empty() || !timestamps.is_empty() {
            let _ = writeln!(o, "normalize:");
        }
        if !placeholders.is_empty() {
            let _ = writeln!(o, "  placeholders:");
            for (f, p) in &placeholders {
                let _ = writeln!(o, "    {}: {}{}", q(&f.selector), q(p), note(f));
            }
        }
        if !timestamps.is_empty() {
            let _ = writeln!(o, "  timestamps:\n    fields:");
            for f in &timestamps {
                let _ = writeln!(o, "      - {}{}", q(&f.selector), note(f));
            }
        }
        if !ignore.is_empty() {
            let _ = writeln!(
                o,
                "diff:\n  # No normalization makes these stable: numbers, booleans, fields that come\n  # and go, or a changing order.\n  ignore:"
            );
            for f in &ignore {
                let kinds: Vec<&str> = f.kinds.iter().map(DiffKind::as_str).collect();
                let _ = writeln!(
                    o,
                    "    - {}{} ({})",
                    q(&f.selector),
                    note(f),
                    kinds.join(", ")
                );
            }
        }
        self.redactor.scrub(o)
    }

    /// Human summary: what changed where, the unstable steps, then the snippet.
    pub fn terminal(&self) -> String {
        let mut o = String::new();
        for e in &self.target_errors {
            let _ = writeln!(o, "target error: {e}");
        }
        for u in &self.unstable_steps {
            let _ = writeln!(o, "unstable: {} step {}: {}", u.scenario, u.step, u.why);
        }
        for f in &self.fields {
            let kinds: Vec<&str> = f.kinds.iter().map(DiffKind::as_str).collect();
            let _ = writeln!(
                o,
                "noisy: {} ({}) in {}",
                f.selector,
                kinds.join(", "),
                f.steps.join(", ")
            );
        }
        if !o.is_empty() {
            o.push('\n');
        }
        o.push_str(&self.yaml());
        self.redactor.scrub(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn array_indices_become_wildcards() {
        assert_eq!(
            generalize("/lines/data/12/period/start"),
            "/lines/data/*/period/start"
        );
        assert_eq!(generalize("/a~1b/0"), "/a~1b/*");
        assert_eq!(generalize("/nonce"), "/nonce");
    }

    fn acc(kinds: &[DiffKind], values: &[Value], absent: bool) -> Acc {
        Acc {
            kinds: kinds.to_vec(),
            steps: vec!["s#x".into()],
            values: values.to_vec(),
            absent,
        }
    }

    #[test]
    fn suggestions_by_what_was_seen() {
        let v = DiffKind::ValueChanged;
        assert_eq!(
            suggest(
                "/data/*/nonce",
                &acc(std::slice::from_ref(&v), &[json!("a"), json!("b")], false)
            ),
            Suggestion::Placeholder("<nonce>".into())
        );
        assert_eq!(
            suggest(
                "/t",
                &acc(
                    std::slice::from_ref(&v),
                    &[json!(1_700_000_000), json!(1_700_000_017)],
                    false
                )
            ),
            Suggestion::Timestamp
        );
        // Milliseconds are not plausible seconds; null vs a string cannot be a placeholder.
        for values in [
            vec![json!(1_700_000_000_000i64), json!(1_700_000_000_017i64)],
            vec![json!("a"), Value::Null],
            vec![json!(true), json!(false)],
        ] {
            assert_eq!(
                suggest("/x", &acc(std::slice::from_ref(&v), &values, false)),
                Suggestion::Ignore
            );
        }
        assert_eq!(
            suggest("/x", &acc(&[DiffKind::Missing], &[json!("a")], true)),
            Suggestion::Ignore
        );
    }
}
