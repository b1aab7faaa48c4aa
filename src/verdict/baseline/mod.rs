//! Known-deviation baselines: `mocks/<name>.yaml` lists the differences a third-party mock is
//! known to have from Stripe, so a run against it fails only on NEW differences. Entry points:
//! [`load`] (or [`parse`]) here, `apply` (called by [`super::decide`] before any status is
//! final), and [`write()`] for a starting baseline.
//!
//! ```yaml
//! target: localstripe
//! deviations:
//!   - scenario: finalize/zero-amount   # scenario key, or "*"
//!     step: finalize                   # step id, or "*"
//!     pointer: /number                 # JSON pointer (`*`, `**` wildcards); omit: any
//!     kind: missing                    # diff kind, or unsupported/fail/error; omit: any
//!     reason: localstripe has no finalize route
//! ```
//!
//! Matching, per step of a scenario that ran:
//! - a difference entry (`kind` a diff kind, or `kind` omitted with a `pointer`) accepts each
//!   difference of that kind at that pointer;
//! - a status entry (`kind: unsupported|fail|error`) accepts the step when it has that status,
//!   together with everything reported under it (its differences and failed expectations are
//!   the consequences of the refusal);
//! - an entry with neither `kind` nor `pointer` accepts the whole step, whatever went wrong.
//!
//! Every entry must match something when its scenario ran, or it is STALE and fails the run
//! (exit 1), so a baseline never outlives the deviations it describes. Entries whose scenario
//! did not run (filtered out) are neither used nor stale. The format is documented for users
//! in `mocks/README.md`.

use std::path::{Path, PathBuf};

use crate::diff::{DiffKind, Difference};
use crate::input::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::input::reader::{one_of_list, Reader};
use crate::input::yaml::{Node, Span};
use crate::pointer::{self, Selector};

use super::Status;

mod apply;
mod write;

pub(crate) use apply::apply;
pub use write::{write, Header};

/// The reason `--write-baseline` leaves for a human to fill in.
pub const TODO_REASON: &str = "TODO";

const TOP_KEYS: &[&str] = &["target", "deviations"];
const ENTRY_KEYS: &[&str] = &["scenario", "step", "pointer", "kind", "reason"];
/// Values of `kind`: every diff kind, then the step statuses a baseline may accept.
const KINDS: &[&str] = &[
    "missing",
    "unexpected",
    "type_changed",
    "value_changed",
    "order_changed",
    "status_changed",
    "unsupported",
    "fail",
    "error",
];

/// A parsed baseline file.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// The baseline file.
    pub file: PathBuf,
    /// Free text naming the target (`localstripe`, `stripe-mock 0.19`).
    pub target: String,
    /// The accepted deviations, in file order.
    pub deviations: Vec<Deviation>,
}

impl Baseline {
    /// Whether the baseline accepts every one of a step's snapshot differences: an entry for
    /// the whole step (which accepts a differing step), or one difference entry per difference.
    /// Decides only whether the step proposes a new reference (`.json.new`); the verdict applies
    /// the baseline itself ([`apply`](super::baseline)).
    pub fn accepts_all(&self, scenario: &str, step: &str, differences: &[Difference]) -> bool {
        let here: Vec<&Deviation> = self
            .deviations
            .iter()
            .filter(|d| d.applies_to(scenario) && d.applies_to_step(step))
            .collect();
        here.iter().any(|d| d.accepts_step(Status::Differ))
            || differences.iter().all(|x| {
                here.iter()
                    .any(|d| !d.is_whole_step() && d.accepts_difference(x))
            })
    }

    fn empty(file: &Path) -> Baseline {
        Baseline {
            file: file.to_path_buf(),
            target: String::new(),
            deviations: Vec::new(),
        }
    }
}

/// One accepted deviation.
#[derive(Clone, Debug, PartialEq)]
pub struct Deviation {
    /// Scenario key, or `*` for every scenario.
    pub scenario: String,
    /// Step id, or `*` for every step.
    pub step: String,
    /// The pointer as written; `None` matches any pointer.
    pub pointer: Option<String>,
    /// A difference kind or a step status; `None` matches any.
    pub kind: Option<EntryKind>,
    /// Why it is accepted.
    pub reason: String,
    /// Where the entry starts in the file.
    pub span: Span,
    matcher: Option<PointerMatch>,
}

/// What an entry's `kind` names.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryKind {
    /// A difference kind.
    Diff(DiffKind),
    /// A step status: `Unsupported`, `Fail` or `Error`.
    Step(Status),
}

impl EntryKind {
    /// The kind as the file writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Diff(k) => k.as_str(),
            EntryKind::Step(s) => s.as_str(),
        }
    }
    fn parse(s: &str) -> Option<EntryKind> {
        Some(match s {
            "missing" => EntryKind::Diff(DiffKind::Missing),
            "unexpected" => EntryKind::Diff(DiffKind::Unexpected),
            "type_changed" => EntryKind::Diff(DiffKind::TypeChanged),
            "value_changed" => EntryKind::Diff(DiffKind::ValueChanged),
            "order_changed" => EntryKind::Diff(DiffKind::OrderChanged),
            "status_changed" => EntryKind::Diff(DiffKind::StatusChanged),
            "unsupported" => EntryKind::Step(Status::Unsupported),
            "fail" => EntryKind::Step(Status::Fail),
            "error" => EntryKind::Step(Status::Error),
            _ => return None,
        })
    }
}

/// How an entry's pointer matches a difference's pointer.
#[derive(Clone, Debug, PartialEq)]
enum PointerMatch {
    /// `""`: the document root (where `status_changed` lives).
    Root,
    /// A pointer, possibly with `*` (one token) and `**` (any number of tokens).
    Pattern(Selector),
}

impl PointerMatch {
    fn matches(&self, pointer: &str) -> bool {
        match self {
            PointerMatch::Root => pointer.is_empty(),
            PointerMatch::Pattern(sel) => {
                !pointer.is_empty() && pointer::tokens(pointer).is_ok_and(|t| sel.matches(&t))
            }
        }
    }
}

impl Deviation {
    /// `file:line` for messages and reports.
    fn location(&self, file: &Path) -> String {
        format!("{}:{}", file.display(), self.span.line)
    }
    fn applies_to(&self, scenario: &str) -> bool {
        self.scenario == "*" || self.scenario == scenario
    }
    fn applies_to_step(&self, step: &str) -> bool {
        self.step == "*" || self.step == step
    }
    /// A status entry, or one with neither kind nor pointer.
    fn is_whole_step(&self) -> bool {
        matches!(self.kind, Some(EntryKind::Step(_)))
            || (self.kind.is_none() && self.pointer.is_none())
    }
    /// Accepts the step as a whole (status entries, and entries with neither kind nor pointer)?
    fn accepts_step(&self, status: Status) -> bool {
        let failing = matches!(
            status,
            Status::Unsupported | Status::Fail | Status::Error | Status::Differ | Status::Warn
        );
        match &self.kind {
            Some(EntryKind::Step(s)) => *s == status,
            None if self.pointer.is_none() => failing,
            _ => false,
        }
    }
    fn accepts_difference(&self, d: &Difference) -> bool {
        let kind_ok = match &self.kind {
            Some(EntryKind::Diff(k)) => *k == d.kind,
            Some(EntryKind::Step(_)) => false,
            None => true,
        };
        kind_ok && self.matcher.as_ref().is_none_or(|m| m.matches(&d.pointer))
    }
}

/// Reads and validates a baseline file; every problem at once, each with file:line:col.
pub fn load(path: &Path) -> Result<Baseline, Diagnostics> {
    let mut r = Reader::new(path);
    match r.read("baseline") {
        Some(text) => parse(&text, path),
        None => r.finish(Baseline::empty(path)),
    }
}

/// Parses baseline text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &Path) -> Result<Baseline, Diagnostics> {
    let mut r = Reader::new(file);
    let mut out = Baseline::empty(file);
    // An empty file is an empty baseline: nothing accepted.
    let Some(root) = r.parse(text) else {
        return r.finish(out);
    };
    let Some(entries) = root.as_map() else {
        let d = r
            .expected(&root, "a mapping", "baseline")
            .help("a baseline has `target` and `deviations` (mocks/README.md)");
        r.push(d);
        return r.finish(out);
    };
    r.check_keys(entries, TOP_KEYS, "baseline");
    for (k, v) in entries {
        match k.name.as_str() {
            "target" => {
                if let Some(t) = r.text(v, "target") {
                    out.target = t;
                }
            }
            "deviations" if v.is_null() => {}
            "deviations" => {
                for item in r.seq(v, "deviations").unwrap_or_default() {
                    let Some(d) = entry(item, &mut r) else {
                        continue;
                    };
                    if let Some(first) = out.deviations.iter().find(|e| same_entry(e, &d)) {
                        let diag = r
                            .diag(
                                d.span,
                                format!(
                                    "duplicate deviation (same as the entry at line {})",
                                    first.span.line
                                ),
                            )
                            .label("duplicate")
                            .help("remove one of them");
                        r.push(diag);
                    } else {
                        out.deviations.push(d);
                    }
                }
            }
            _ => {}
        }
    }
    r.finish(out)
}

fn same_entry(a: &Deviation, b: &Deviation) -> bool {
    a.scenario == b.scenario && a.step == b.step && a.pointer == b.pointer && a.kind == b.kind
}

/// One `deviations` item; `None` (with diagnostics) when it is unusable.
fn entry(node: &Node, r: &mut Reader) -> Option<Deviation> {
    let before = r.error_count();
    let Some(entries) = node.as_map() else {
        let d = r
            .expected(node, "a mapping", "deviation")
            .help("a deviation has `scenario`, `step`, `pointer`, `kind` and `reason`");
        r.push(d);
        return None;
    };
    r.check_keys(entries, ENTRY_KEYS, "deviation");
    // Where the entry starts: its first key (a mapping's own mark is not reliable).
    let at = entries.first().map_or(node.span, |(k, _)| k.span);
    let (mut scenario, mut step, mut pointer, mut kind, mut reason) =
        (None, None, None, None, None);
    let mut matcher = None;
    for (k, v) in entries {
        // `pointer: ~` and `kind: ~` are the same as leaving them out.
        if v.is_null() && matches!(k.name.as_str(), "pointer" | "kind") {
            continue;
        }
        match k.name.as_str() {
            // `step: 1` or `reason: 42` read as numbers; their text is what was meant.
            "scenario" => scenario = r.text(v, "scenario"),
            "step" => step = r.text(v, "step"),
            "reason" => reason = r.text(v, "reason"),
            "pointer" => {
                let Some(p) = r.text(v, "pointer") else {
                    continue;
                };
                match parse_pointer(&p) {
                    Ok(m) => {
                        matcher = Some(m);
                        pointer = Some(p);
                    }
                    Err((msg, help)) => {
                        let mut d = r.diag(v.span, msg).label("bad pointer");
                        if let Some(h) = help {
                            d = d.help(h);
                        }
                        r.push(d);
                    }
                }
            }
            "kind" => {
                let Some(t) = r.text(v, "kind") else {
                    continue;
                };
                match EntryKind::parse(&t) {
                    Some(k) => kind = Some(k),
                    None => {
                        let d = r
                            .diag(v.span, format!("unknown kind `{t}`"))
                            .label("unknown kind");
                        let d = match did_you_mean(&t, KINDS) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!("expected one of {}", one_of_list(KINDS))),
                        };
                        r.push(d);
                    }
                }
            }
            _ => {}
        }
    }
    for (name, value) in [
        ("scenario", &scenario),
        ("step", &step),
        ("reason", &reason),
    ] {
        match value {
            None => {
                r.require(entries, at, name, "deviation");
            }
            Some(v) if v.trim().is_empty() => {
                let span = entries
                    .iter()
                    .find(|(k, _)| k.name == name)
                    .map_or(at, |(_, v)| v.span);
                r.error(span, format!("`{name}` is empty"));
            }
            _ => {}
        }
    }
    if let (Some(EntryKind::Step(s)), Some(_)) = (&kind, &pointer) {
        let span = entries
            .iter()
            .find(|(k, _)| k.name == "pointer")
            .map_or(at, |(k, _)| k.span);
        let d = r
            .diag(
                span,
                format!(
                    "`kind: {}` accepts a step's status, which has no pointer",
                    s.as_str()
                ),
            )
            .help("remove `pointer`, or use a difference kind such as `missing`");
        r.push(d);
    }
    if r.error_count() > before {
        return None;
    }
    Some(Deviation {
        scenario: scenario?,
        step: step?,
        pointer,
        kind,
        reason: reason?,
        span: at,
        matcher,
    })
}

fn parse_pointer(p: &str) -> Result<PointerMatch, (String, Option<String>)> {
    if p.is_empty() {
        return Ok(PointerMatch::Root);
    }
    if !p.starts_with('/') {
        return Err((
            format!("`{p}` is not a JSON pointer: a pointer starts with `/`"),
            Some(format!("did you mean `/{p}`?")),
        ));
    }
    Selector::parse(p)
        .map(PointerMatch::Pattern)
        .map_err(|e| (format!("bad pointer `{p}`: {e}"), None))
}

impl Baseline {
    /// Entries naming a scenario that is not in the suite (`known`: every scenario key the
    /// suite has, before tag/name filters), with a did-you-mean. The CLI calls this after
    /// loading scenarios, so a typo in a key fails loudly instead of never applying.
    pub fn check_scenarios(&self, known: &[&str]) -> Diagnostics {
        let mut diags = Diagnostics::default();
        for d in &self.deviations {
            if d.scenario != "*" && !known.contains(&d.scenario.as_str()) {
                let mut diag = Diagnostic::new(
                    &self.file,
                    d.span,
                    format!("no scenario `{}` in the suite", d.scenario),
                )
                .label("unknown scenario");
                if let Some(s) = did_you_mean(&d.scenario, known) {
                    diag = diag.help(format!("did you mean `{s}`?"));
                }
                diags.push(diag);
            }
        }
        diags
    }
}
