//! Writing a starting baseline (`--write-baseline`) from a run and its verdicts.

use std::fmt::Write;

use crate::diff;
use crate::run::SuiteRun;
use crate::secret::Redactor;
use crate::verdict::{Status, Verdicts};

use super::TODO_REASON;

/// What the header of a written baseline names.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// The baseline's free-text `target` (the file's stem by default).
    pub target: &'a str,
    /// The target's base URL.
    pub base_url: &'a str,
    /// The Stripe-Version of the run.
    pub stripe_version: &'a str,
    /// The run id.
    pub run_id: &'a str,
}

/// A starting baseline from a run: one entry per difference of a failing step, and one status
/// entry per unsupported, failed or errored step (which covers everything under that step),
/// each with `reason: TODO`. Values are quoted in comments to help write the reasons. Secrets
/// are scrubbed (the text is meant to be committed).
///
/// From a run a baseline was applied to, it is a refresh: accepted items keep their reasons,
/// stale entries are gone, new differences get `TODO` (wildcard entries come back expanded to
/// the pointers that occurred).
pub fn write(
    run: &SuiteRun,
    verdicts: &Verdicts,
    header: &Header<'_>,
    redactor: &Redactor,
) -> String {
    let target = header.target;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Known deviations of {} from Stripe's invoice API, written by `apiparity run \
         --write-baseline`\n# against {} (Stripe-Version {}, run {}).\n# Replace every \
         `reason: TODO` with why the deviation is accepted; entries that stop occurring fail \
         the run.\n# Format: mocks/README.md.",
        one_line(target),
        one_line(header.base_url),
        one_line(header.stripe_version),
        one_line(header.run_id),
    );
    let _ = writeln!(o, "target: {}", quote(target));
    let mut entries = String::new();
    let mut seen: Vec<(String, String, String, String)> = Vec::new();
    for (srun, sv) in run.scenarios.iter().zip(&verdicts.scenarios) {
        let key = &srun.scenario.key;
        for (step, st) in srun.steps.iter().zip(&sv.steps) {
            // A status the baseline already accepted is written back as that status.
            let status = st.baselined_status.unwrap_or(st.status);
            if matches!(status, Status::Unsupported | Status::Fail | Status::Error) {
                let why = step
                    .transport_error()
                    .map(|e| e.to_string())
                    .or_else(|| step.failures.first().map(|f| f.message.clone()))
                    .or_else(|| step.response().map(|r| format!("HTTP {}", r.status)))
                    .unwrap_or_default();
                let reason = st
                    .baselined
                    .iter()
                    .find(|b| b.difference.is_none())
                    .map_or(TODO_REASON, |b| b.reason.as_str());
                let _ = writeln!(
                    entries,
                    "  - scenario: {}\n    step: {}\n    kind: {}\n    reason: {}{}",
                    quote(key),
                    quote(&step.id),
                    status.as_str(),
                    quote(reason),
                    comment(&format!(
                        "{} {}: {why}",
                        step.request.method, step.request.path
                    )),
                );
                continue;
            }
            let accepted = st
                .baselined
                .iter()
                .filter_map(|b| b.difference.as_ref().map(|d| (d, b.reason.as_str())));
            let current = st.differences.iter().map(|d| (d, TODO_REASON));
            for (d, reason) in current.chain(accepted) {
                let entry = (
                    key.clone(),
                    step.id.clone(),
                    d.pointer.clone(),
                    d.kind.as_str().to_string(),
                );
                // The same pointer and kind twice in a step (keyed arrays) is one entry.
                if seen.contains(&entry) {
                    continue;
                }
                seen.push(entry);
                let _ = writeln!(
                    entries,
                    "  - scenario: {}\n    step: {}\n    pointer: {}\n    kind: {}\n    reason: {}{}",
                    quote(key),
                    quote(&step.id),
                    quote_pointer(&d.pointer),
                    d.kind.as_str(),
                    quote(reason),
                    comment(&format!(
                        "expected {}, actual {}",
                        short(d.expected.as_ref()),
                        short(d.actual.as_ref())
                    )),
                );
            }
        }
    }
    if entries.is_empty() {
        let _ = writeln!(o, "deviations: []");
    } else {
        let _ = write!(o, "deviations:\n{entries}");
    }
    redactor.scrub(o)
}

/// A YAML scalar that reads back as exactly `s`: plain when unambiguous, else a JSON string
/// (JSON string literals are valid YAML double-quoted scalars).
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

/// Pointers are always quoted: `""` is the root, and `/` starts no YAML syntax but `~` would.
fn quote_pointer(p: &str) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "\"\"".into())
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn comment(s: &str) -> String {
    format!("  # {}", diff::shorten(&one_line(s), 100))
}

fn short(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(absent)".into(), |v| diff::abbreviate(v, 40))
}
