//! Turns one file's YAML tree into a [`Scenario`], collecting every problem on the way
//! (the user fixes a file in one pass, not one error per run). The generic typing (mappings,
//! strings, unknown keys, …) is the one reader of `crate::input::reader`; this module holds
//! the grammar, one file per part, as Hurl's parser does:
//! - here: the file, the scenario's top level, variables and their resolution across steps;
//! - [`step`]: steps, requests, auth, captures, retry, seeds;
//! - [`expect`]: `expect` blocks and assertion operators.

mod expect;
mod step;

use std::path::Path;

use super::model::*;
use super::template;
use crate::input::diag::{did_you_mean, Diagnostic};
use crate::input::reader::{start, Reader, START};
use crate::input::yaml::{Key, Kind, Node, Scalar, Span};

use keywords::*;

/// The scenario grammar's words, for messages and for the fuzzers (a new keyword is fuzzed
/// as soon as it is accepted).
pub mod keywords {
    /// Keys of a scenario file's top level.
    pub const TOP_KEYS: &[&str] = &[
        "name",
        "description",
        "tags",
        "stripe_version",
        "reference",
        "vars",
        "normalize",
        "as_of",
        "account",
        "continue_on_failure",
        "steps",
        "teardown",
    ];
    /// Keys of a step.
    pub const STEP_KEYS: &[&str] = &[
        "id", "request", "expect", "capture", "retry", "seed", "as_of", "account",
    ];
    /// Keys of a request.
    pub const REQUEST_KEYS: &[&str] = &["method", "path", "query", "form", "headers", "auth"];
    /// Keys of `expect`.
    pub const EXPECT_KEYS: &[&str] = &["status", "body", "headers", "snapshot", "ignore"];
    /// Keys of `account`.
    pub const ACCOUNT_KEYS: &[&str] = &["id", "country", "currency", "webhook_endpoints"];
    /// Keys of `retry`.
    pub const RETRY_KEYS: &[&str] = &["interval", "timeout"];
    /// Keys of an `auth` mapping.
    pub const AUTH_KEYS: &[&str] = &["bearer", "basic"];
    /// Words `auth` may be.
    pub const AUTH_WORDS: &[&str] = &["default", "none"];
    /// Assertion operators.
    pub const OPERATORS: &[&str] = &[
        "eq",
        "ne",
        "matches",
        "exists",
        "type",
        "gt",
        "gte",
        "lt",
        "lte",
        "len",
        "contains",
        "one_of",
        "offset_from",
    ];
    /// Keys that go with an operator (`{offset_from: /created, seconds: 604800}`).
    pub const OPERATOR_COMPANIONS: &[&str] = &["seconds"];
    /// JSON type names `type` takes.
    pub const TYPE_NAMES: &[&str] = &[
        "string", "number", "integer", "boolean", "object", "array", "null",
    ];
    /// HTTP methods a step may use.
    pub const METHODS: &[&str] = &["GET", "POST", "DELETE"];

    /// Every word above, once.
    pub fn all() -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for list in [
            TOP_KEYS,
            STEP_KEYS,
            REQUEST_KEYS,
            EXPECT_KEYS,
            ACCOUNT_KEYS,
            RETRY_KEYS,
            AUTH_KEYS,
            AUTH_WORDS,
            OPERATORS,
            OPERATOR_COMPANIONS,
            TYPE_NAMES,
            METHODS,
        ] {
            for w in list {
                if !out.contains(w) {
                    out.push(w);
                }
            }
        }
        out
    }
}

/// What [`check_file`] found in one file.
pub(crate) struct Checked {
    /// Built only when the file has no problems.
    pub scenario: Option<Scenario>,
    /// The scenario's name and where it was given (1:1 when it defaults to the key).
    pub name: Option<(String, Span)>,
    pub diags: Vec<Diagnostic>,
}

/// Parses and validates one file's source.
pub(crate) fn check_file(file: &Path, key: &str, source: &str) -> Checked {
    let mut cx = Cx::new(file);
    let Some(root) = cx.r.parse(source) else {
        if cx.r.error_count() == 0 {
            cx.r.error(
                START,
                "empty scenario file: expected a mapping with `steps`",
            );
        }
        return cx.finish(None, None);
    };
    let scenario = cx.scenario(&root, key).map(|s| Scenario {
        source: source.into(),
        ..s
    });
    let name = scenario_name(&root, key);
    cx.resolve_variables();
    cx.finish(scenario, name)
}

fn scenario_name(root: &Node, key: &str) -> Option<(String, Span)> {
    match root.get("name") {
        Some(n) => n.as_str().map(|s| (s.to_string(), n.span)),
        None => Some((key.to_string(), START)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Main,
    Teardown,
}

/// Where a template is used: which step list, which step.
#[derive(Clone, Copy, Debug)]
struct At {
    phase: Phase,
    index: usize,
}

struct VarUse {
    name: String,
    span: Span,
    at: Option<At>,
}

struct CaptureDef {
    var: String,
    step_id: String,
    line: usize,
    at: At,
}

struct Cx {
    /// The typed reader: positions, wording, every problem collected.
    r: Reader,
    vars: Vec<String>,
    uses: Vec<VarUse>,
    captures: Vec<CaptureDef>,
    /// The step being read (None outside steps, e.g. in `vars`).
    at: Option<At>,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_step_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
}

/// RFC 7230 token characters: what a header name may contain.
fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// Why `p` is not a JSON pointer (RFC 6901), if it is not.
fn pointer_problem(p: &str) -> Option<&'static str> {
    if !p.is_empty() && !p.starts_with('/') {
        return Some("must be empty or start with `/`");
    }
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.peek(), Some('0') | Some('1')) {
            return Some("`~` may only appear as `~0` or `~1`");
        }
    }
    None
}

/// Something shaped like a real secret key must never sit in a committed scenario.
fn looks_like_real_key(s: &str) -> bool {
    ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        .iter()
        .any(|prefix| {
            s.match_indices(prefix).any(|(i, _)| {
                s[i + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count()
                    >= 20
            })
        })
}

/// Help for a key that exists, just at another level.
fn misplaced_help(key: &str, place: &str) -> Option<String> {
    let home = if REQUEST_KEYS.contains(&key) && place != "request" {
        "request"
    } else if EXPECT_KEYS.contains(&key) && place != "expect" {
        "expect"
    } else if STEP_KEYS.contains(&key) && place != "step" {
        "a step (under `steps:`)"
    } else if OPERATORS.contains(&key) {
        "an assertion (under `expect: body:`)"
    } else {
        return None;
    };
    Some(if home.contains(' ') {
        format!("`{key}` belongs in {home}")
    } else {
        format!("`{key}` belongs under `{home}:`")
    })
}

impl Cx {
    fn new(file: &Path) -> Self {
        Cx {
            r: Reader::new(file),
            vars: Vec::new(),
            uses: Vec::new(),
            captures: Vec::new(),
            at: None,
        }
    }

    fn finish(self, scenario: Option<Scenario>, name: Option<(String, Span)>) -> Checked {
        // Reading order, not discovery order: variables are resolved after all steps are read.
        let diags = self.r.into_diagnostics();
        let scenario = if diags.is_empty() { scenario } else { None };
        Checked {
            scenario,
            name,
            diags,
        }
    }

    /// Unknown keys, with a hint when the key belongs at another level.
    fn check_keys(&mut self, entries: &[(Key, Node)], allowed: &[&str], place: &str) {
        self.r
            .check_keys_hinted(entries, allowed, place, &|k| misplaced_help(k, place));
    }

    /// Checks a string that may hold `{{var}}` templates and records the variables it uses.
    fn templated(&mut self, s: &str, span: Span) {
        // Live keys are refused wherever they appear (headers, query, form, path, auth), not
        // only where a key is expected.
        if crate::secret::contains_live_key(s) {
            let d = self
                .r
                .diag(span, "this is a live-mode key: apiparity never sends one")
                .label("live-mode key")
                .help("use a test-mode key (`sk_test_…`) through `{{env.NAME}}`");
            self.r.push(d);
        }
        match template::parse(s) {
            Err(reason) => self
                .r
                .error(span, format!("malformed template `{s}`: {reason}")),
            Ok(pieces) => {
                for p in pieces {
                    if let template::Piece::Var(name) = p {
                        self.uses.push(VarUse {
                            name: name.to_string(),
                            span,
                            at: self.at,
                        });
                    }
                }
            }
        }
    }

    /// Checks the templates in every string of a value tree (assertion operands).
    fn templated_tree(&mut self, node: &Node) {
        match &node.kind {
            Kind::Scalar(Scalar::Str(s)) => self.templated(s, node.span),
            Kind::Scalar(_) => {}
            Kind::Seq(items) => items.iter().for_each(|n| self.templated_tree(n)),
            Kind::Map(entries) => entries.iter().for_each(|(_, v)| self.templated_tree(v)),
        }
    }

    fn pointer(&mut self, p: &str, span: Span) -> bool {
        match pointer_problem(p) {
            Some(problem) => {
                let d = self
                    .r
                    .diag(span, format!("invalid JSON pointer `{p}`: {problem}"))
                    .label("JSON pointer");
                self.r.push(d);
                false
            }
            None => true,
        }
    }

    // ---- the scenario ----

    fn header_name(&mut self, k: &Key) -> bool {
        if is_header_name(&k.name) {
            true
        } else {
            self.r
                .error(k.span, format!("invalid header name `{}`", k.name));
            false
        }
    }

    fn scenario(&mut self, root: &Node, key: &str) -> Option<Scenario> {
        let entries = self.r.map(root, "scenario")?;
        self.check_keys(entries, TOP_KEYS, "scenario");

        let mut name = key.to_string();
        let mut description = String::new();
        let mut tags = Vec::new();
        let mut stripe_version = None;
        let mut reference = None;
        let mut vars = Vec::new();
        let mut normalize = None;
        let mut as_of = None;
        let mut account = crate::scenario::model::Account::default();
        let mut continue_on_failure = false;
        let mut steps_node = None;
        let mut teardown_node = None;
        for (k, v) in entries {
            match k.name.as_str() {
                "name" => {
                    if let Some(s) = self.r.string(v, "name") {
                        if s.trim().is_empty() {
                            self.r.error(v.span, "scenario name must not be empty");
                        }
                        name = s;
                    }
                }
                "description" => {
                    if let Some(s) = self.r.string(v, "description") {
                        description = s;
                    }
                }
                "tags" => tags = self.tags(v),
                "stripe_version" => {
                    if let Some(s) = self.r.string(v, "stripe_version") {
                        if crate::version::version_date(&s).is_none() {
                            let d = self
                                .r.diag(v.span, format!("invalid Stripe API version `{s}`"))
                                .help("expected `YYYY-MM-DD` or `YYYY-MM-DD.release`, e.g. `2025-03-31.basil`");
                            self.r.push(d);
                        }
                        stripe_version = Some(s);
                    }
                }
                "reference" => {
                    if let Some(s) = self.r.string(v, "reference") {
                        if s.trim().is_empty() {
                            self.r.error(v.span, "`reference` must not be empty");
                        }
                        reference = Some(s);
                    }
                }
                "vars" => vars = self.vars(v),
                // Validated by the normalizer, which owns its syntax.
                "normalize" => normalize = Some(v.clone()),
                "as_of" => as_of = self.as_of(v),
                "account" => account = self.account(v),
                "continue_on_failure" => {
                    if let Some(b) = self.r.boolean(v, "continue_on_failure") {
                        continue_on_failure = b;
                    }
                }
                "steps" => steps_node = Some(v),
                "teardown" => teardown_node = Some(v),
                _ => {}
            }
        }
        self.vars = vars.iter().map(|(n, _)| n.clone()).collect();

        if steps_node.is_none() {
            self.r.require(entries, start(root), "steps", "scenario");
        }
        // Step ids are unique across steps and teardown: (id, line of first use).
        let mut ids: Vec<(String, usize)> = Vec::new();
        let steps = match steps_node {
            Some(n) => {
                let steps = self.step_list(n, Phase::Main, &mut ids);
                if n.as_seq().is_some_and(|s| s.is_empty()) {
                    self.r.error(n.span, "a scenario needs at least one step");
                }
                steps
            }
            None => Vec::new(),
        };
        let teardown = match teardown_node {
            Some(n) if !n.is_null() => self.step_list(n, Phase::Teardown, &mut ids),
            _ => Vec::new(),
        };

        Some(Scenario {
            file: self.r.file().to_path_buf(),
            key: key.to_string(),
            name,
            description,
            tags,
            stripe_version,
            reference,
            vars,
            normalize,
            as_of,
            account,
            continue_on_failure,
            source: "".into(),
            steps,
            teardown,
        })
    }

    /// `account: {id: acct_…, country: CA, currency: cad, webhook_endpoints: true}` (a
    /// scenario's, or a step's over it).
    fn account(&mut self, node: &Node) -> crate::scenario::model::Account {
        let mut out = crate::scenario::model::Account::default();
        let Some(entries) = self.r.map(node, "account") else {
            return out;
        };
        self.check_keys(entries, ACCOUNT_KEYS, "account");
        for (k, v) in entries {
            match k.name.as_str() {
                "id" => {
                    let Some(s) = self.r.text(v, "account id") else {
                        continue;
                    };
                    if crate::mock::account_id(&s).is_none() {
                        let d = self
                            .r
                            .diag(v.span, format!("invalid account id `{s}`"))
                            .help("expected `acct_` and 16 letters or digits, e.g. `acct_1MoCk0ApPrtyMck0`");
                        self.r.push(d);
                    } else {
                        out.id = Some(s);
                    }
                }
                "country" => {
                    let Some(s) = self.r.text(v, "account country") else {
                        continue;
                    };
                    if crate::mock::account_country(&s).is_none() {
                        let d = self
                            .r
                            .diag(v.span, format!("invalid account country `{s}`"))
                            .help("expected an ISO 3166-1 alpha-2 code in capitals, e.g. `CA`");
                        self.r.push(d);
                    } else {
                        out.country = Some(s);
                    }
                }
                "currency" => {
                    let Some(s) = self.r.text(v, "account currency") else {
                        continue;
                    };
                    if crate::mock::account_currency(&s).is_none() {
                        let d = self
                            .r
                            .diag(v.span, format!("invalid account currency `{s}`"))
                            .help("expected a lowercase ISO 4217 code, e.g. `cad`");
                        self.r.push(d);
                    } else {
                        out.currency = Some(s);
                    }
                }
                "webhook_endpoints" => {
                    out.webhook_endpoints = self.r.boolean(v, "webhook_endpoints");
                }
                _ => {}
            }
        }
        out
    }

    /// `as_of: YYYY-MM-DD`: a real calendar day.
    fn as_of(&mut self, node: &Node) -> Option<String> {
        let s = self.r.text(node, "as_of")?;
        if crate::mock::AsOf::parse(&s).is_err() {
            let d = self
                .r
                .diag(node.span, format!("invalid `as_of` day `{s}`"))
                .help("expected a day `YYYY-MM-DD`, e.g. `2025-06-01`");
            self.r.push(d);
            return None;
        }
        Some(s)
    }

    fn tags(&mut self, node: &Node) -> Vec<String> {
        let Some(items) = self.r.seq(node, "tags") else {
            return Vec::new();
        };
        items.iter().filter_map(|t| self.r.text(t, "tag")).collect()
    }

    fn vars(&mut self, node: &Node) -> Vec<(String, String)> {
        let Some(entries) = self.r.map(node, "vars") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            if !is_identifier(&k.name) {
                let d = self
                    .r
                    .diag(k.span, format!("invalid variable name `{}`", k.name))
                    .help("variable names are letters, digits and `_`, not starting with a digit");
                self.r.push(d);
                continue;
            }
            if BUILTIN_VARS.contains(&k.name.as_str()) {
                self.r.error(
                    k.span,
                    format!(
                        "`{}` is a built-in variable and cannot be redefined",
                        k.name
                    ),
                );
                continue;
            }
            let Some(value) = self.r.text(v, "vars") else {
                continue;
            };
            if value.contains("{{") {
                let d = self
                    .r
                    .diag(v.span, "templates are not expanded inside `vars`")
                    .help("`vars` are constants; use the template where the value is used");
                self.r.push(d);
                continue;
            }
            out.push((k.name.clone(), value));
        }
        out
    }

    // ---- variables ----

    /// Every `{{var}}` must be a built-in, `env.*`, a `vars` entry, or a capture of a step
    /// that runs before it (any main step, for teardown).
    fn resolve_variables(&mut self) {
        let uses = std::mem::take(&mut self.uses);
        for u in &uses {
            let name = u.name.as_str();
            if BUILTIN_VARS.contains(&name)
                || self.vars.iter().any(|v| v == name)
                || name
                    .strip_prefix(ENV_VAR_PREFIX)
                    .is_some_and(|rest| !rest.is_empty())
            {
                continue;
            }
            let visible: Vec<&CaptureDef> = self
                .captures
                .iter()
                .filter(|c| match u.at {
                    Some(at) => visible(c.at, at),
                    None => false,
                })
                .collect();
            if visible.iter().any(|c| c.var == name) {
                continue;
            }
            let d = self
                .r
                .diag(u.span, format!("undefined variable `{name}`"))
                .label("undefined");
            let later = self.captures.iter().find(|c| c.var == name);
            let d = if let Some(c) = later {
                d.help(format!(
                    "`{name}` is captured by step `{}` (line {}), which does not run before this one",
                    c.step_id, c.line
                ))
            } else {
                let mut defined: Vec<&str> = BUILTIN_VARS.to_vec();
                defined.extend(self.vars.iter().map(String::as_str));
                defined.extend(visible.iter().map(|c| c.var.as_str()));
                match did_you_mean(name, &defined) {
                    Some(g) => d.help(format!("did you mean `{g}`?")),
                    None => d.help(
                        "define it under `vars:`, capture it in an earlier step, or use `env.NAME`",
                    ),
                }
            };
            self.r.push(d);
        }
    }
}

fn visible(capture: At, using: At) -> bool {
    match (capture.phase, using.phase) {
        (Phase::Main, Phase::Main) | (Phase::Teardown, Phase::Teardown) => {
            capture.index < using.index
        }
        // Teardown may use any main capture; the runner skips a teardown step whose
        // variables a failed run never captured.
        (Phase::Main, Phase::Teardown) => true,
        (Phase::Teardown, Phase::Main) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::reader::one_of_list;
    use serde_json::Value;
    use std::time::Duration;

    /// `line:col: message (help)` of every diagnostic for `src`.
    fn problems(src: &str) -> Vec<String> {
        check_file(Path::new("t.yaml"), "t", src)
            .diags
            .iter()
            .map(|d| {
                let mut s = format!("{}: {}", d.span, d.message);
                if let Some(h) = &d.help {
                    s.push_str(&format!(" ({h})"));
                }
                s
            })
            .collect()
    }

    fn ok(src: &str) -> Scenario {
        let checked = check_file(Path::new("t.yaml"), "dir/t", src);
        assert!(checked.diags.is_empty(), "{:?}", problems(src));
        checked.scenario.expect("scenario")
    }

    fn one(src: &str) -> String {
        let p = problems(src);
        assert_eq!(p.len(), 1, "{p:#?}");
        p.into_iter().next().unwrap_or_default()
    }

    const STEP: &str = "steps:\n  - id: a\n    request: {method: GET, path: /v1/invoices}\n";

    #[test]
    fn minimal_scenario_defaults() {
        let s = ok(STEP);
        assert_eq!(s.key, "dir/t");
        assert_eq!(s.name, "dir/t");
        assert_eq!(s.description, "");
        assert_eq!(s.steps.len(), 1);
        let step = &s.steps[0];
        assert_eq!(step.id, "a");
        assert_eq!(step.span, Span { line: 2, col: 5 });
        assert_eq!(step.request.method, "GET");
        assert_eq!(step.request.auth, Auth::Default);
        assert!(step.expect.snapshot);
        assert_eq!(step.expect.status, None);
        assert!(s.teardown.is_empty());
    }

    #[test]
    fn bad_yaml_has_position() {
        let p = one("steps:\n  - id: a\n    request: {method: GET\n");
        assert!(p.starts_with("4:1: invalid YAML:"), "{p}");
        assert_eq!(
            one(""),
            "1:1: empty scenario file: expected a mapping with `steps`"
        );
    }

    #[test]
    fn wrong_node_types() {
        assert_eq!(
            one("- steps\n"),
            "1:1: expected a mapping, found a sequence"
        );
        assert_eq!(
            one("steps:\n  - id: a\n    request: [GET, /v1]\n"),
            "3:14: expected a mapping, found a sequence"
        );
        assert_eq!(
            one(&format!("{STEP}    expect: {{status: \"200\"}}\n")),
            "4:22: expected an integer, found a string"
        );
        assert_eq!(
            one("steps: {}\n"),
            "1:8: expected a sequence, found a mapping"
        );
    }

    #[test]
    fn unknown_keys_everywhere_with_suggestions() {
        let src = "nmae: x\nsteps:\n  - id: a\n    expct: {}\n    request:\n      method: GET\n      pth: /v1\n      path: /v1\n    retry: {intervl: 2s}\n";
        let p = problems(src);
        assert_eq!(
            p,
            vec![
                "1:1: unknown key `nmae` in scenario (did you mean `name`?)",
                "4:5: unknown key `expct` in step (did you mean `expect`?)",
                "7:7: unknown key `pth` in request (did you mean `path`?)",
                "9:5: `retry` needs expectations to wait for (add `expect: status` or `expect: body` assertions to this step)",
                "9:13: unknown key `intervl` in retry (did you mean `interval`?)",
            ]
        );
        // A key from another level says where it belongs.
        assert_eq!(
            one(&format!("{STEP}    status: 200\n")),
            "4:5: unknown key `status` in step (`status` belongs under `expect:`)"
        );
    }

    #[test]
    fn missing_required_keys() {
        assert_eq!(
            one("name: x\n"),
            "1:1: missing required key `steps` in scenario"
        );
        let p = problems("steps:\n  - request: {path: /v1}\n  - id: b\n");
        assert_eq!(
            p,
            vec![
                "2:5: missing required key `id` in step",
                "2:14: missing required key `method` in request",
                "3:5: missing required key `request` in step",
            ]
        );
        assert_eq!(
            one("steps: []\n"),
            "1:8: a scenario needs at least one step"
        );
    }

    #[test]
    fn duplicate_step_ids_across_teardown() {
        let src =
            format!("{STEP}teardown:\n  - id: a\n    request: {{method: DELETE, path: /v1/x}}\n");
        assert_eq!(
            one(&src),
            "5:9: duplicate step id `a` (first used at line 2)"
        );
        assert_eq!(
            one("steps:\n  - id: Bad Id\n    request: {method: GET, path: /v1}\n"),
            "2:9: invalid step id `Bad Id` (step ids use lower-case letters, digits, `_` and `-`)"
        );
    }

    #[test]
    fn methods_form_and_retry() {
        assert_eq!(
            one("steps:\n  - id: a\n    request: {method: PUT, path: /v1}\n"),
            "3:23: invalid method `PUT` (expected GET, POST or DELETE (Stripe updates with POST))"
        );
        assert_eq!(
            one("steps:\n  - id: a\n    request: {method: POTS, path: /v1}\n"),
            "3:23: invalid method `POTS` (did you mean `POST`?)"
        );
        let s = ok("steps:\n  - id: a\n    request: {method: post, path: /v1, form: {a: 1}}\n");
        assert_eq!(s.steps[0].request.method, "POST");
        assert_eq!(
            one("steps:\n  - id: a\n    request: {method: delete, path: /v1, form: {a: 1}}\n"),
            "3:42: `form` is only allowed on POST, not DELETE (GET and DELETE carry parameters in `query`)"
        );
        assert_eq!(
            one("steps:\n  - id: a\n    request: {method: POST, path: /v1}\n    expect: {status: 200}\n    retry: {interval: 2s, timeout: 90s}\n"),
            "5:5: `retry` is only allowed on GET steps, not POST (re-sending a write could repeat its side effects)"
        );
    }

    #[test]
    fn durations() {
        let s = ok(&format!(
            "{STEP}    expect: {{status: 200}}\n    retry: {{interval: 500ms, timeout: 1m}}\n"
        ));
        let r = s.steps[0].retry.as_ref().expect("retry");
        assert_eq!(r.interval, Duration::from_millis(500));
        assert_eq!(r.timeout, Duration::from_secs(60));
        let p = problems(&format!(
            "{STEP}    expect: {{status: 200}}\n    retry: {{interval: 2, timeout: soon}}\n"
        ));
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].starts_with("5:23: expected a duration, found an integer"),
            "{}",
            p[0]
        );
        assert!(
            p[1].starts_with("5:35: invalid duration `soon`"),
            "{}",
            p[1]
        );
        assert_eq!(
            one(&format!("{STEP}    retry: {{interval: 2s}}\n")),
            "4:5: `retry` needs expectations to wait for (add `expect: status` or `expect: body` assertions to this step)"
        );
    }

    #[test]
    fn pointers_regexes_statuses() {
        let src = format!(
            "{STEP}    expect:\n      status: 700\n      body:\n        status: paid\n        /a~2b: 1\n        /n: {{matches: \"([a-z\"}}\n        /d: {{offset_from: created, seconds: 1}}\n    capture:\n      x: id\n"
        );
        let p = problems(&src);
        assert_eq!(p.len(), 6, "{p:#?}");
        assert_eq!(
            p[0],
            "5:15: invalid HTTP status 700 (statuses are 100 to 599)"
        );
        assert_eq!(
            p[1],
            "7:9: invalid JSON pointer `status`: must be empty or start with `/`"
        );
        assert_eq!(
            p[2],
            "8:9: invalid JSON pointer `/a~2b`: `~` may only appear as `~0` or `~1`"
        );
        assert!(
            p[3].starts_with("9:23: invalid regular expression `([a-z`:"),
            "{}",
            p[3]
        );
        assert_eq!(
            p[4],
            "10:27: invalid JSON pointer `created`: must be empty or start with `/`"
        );
        assert_eq!(
            p[5],
            "12:10: invalid JSON pointer `id`: must be empty or start with `/`"
        );
    }

    #[test]
    fn assertion_operators() {
        let src = format!(
            "{STEP}    expect:\n      body:\n        /status: paid\n        /lines/data: []\n        /metadata: {{}}\n        /customer: {{eq: {{id: x}}}}\n        /number: {{matches: \"^[A-Z0-9]{{3,12}}-0001$\"}}\n        /due_date: {{offset_from: /created, seconds: 604800}}\n        /data: {{len: 2}}\n        /error/code: {{exists: false}}\n        /total: {{gte: 1.5}}\n        /id: {{type: string}}\n        /s: {{one_of: [open, paid]}}\n        /t: {{contains: x}}\n        /u: {{ne: null}}\n      headers:\n        Idempotent-Replayed: true\n        Request-Id: {{matches: \"^req_\"}}\n"
        );
        let s = ok(&src);
        let body = &s.steps[0].expect.body;
        assert_eq!(body.len(), 13);
        assert!(matches!(&body[0].op, AssertOp::Eq(Value::String(v)) if v == "paid"));
        assert!(matches!(&body[1].op, AssertOp::Eq(Value::Array(a)) if a.is_empty()));
        assert!(matches!(&body[2].op, AssertOp::Eq(Value::Object(o)) if o.is_empty()));
        assert!(matches!(&body[3].op, AssertOp::Eq(v) if *v == serde_json::json!({"id": "x"})));
        assert!(matches!(&body[4].op, AssertOp::Matches(r) if r == "^[A-Z0-9]{3,12}-0001$"));
        assert!(
            matches!(&body[5].op, AssertOp::OffsetFrom { pointer, seconds: 604800 } if pointer == "/created")
        );
        assert!(matches!(body[6].op, AssertOp::Len(2)));
        assert!(matches!(body[7].op, AssertOp::Exists(false)));
        assert!(matches!(body[8].op, AssertOp::Gte(v) if v == 1.5));
        assert!(matches!(&body[9].op, AssertOp::Type(t) if t == "string"));
        assert!(matches!(&body[10].op, AssertOp::OneOf(v) if v.len() == 2));
        assert!(matches!(&body[11].op, AssertOp::Contains(_)));
        assert!(matches!(&body[12].op, AssertOp::Ne(Value::Null)));
        assert_eq!(body[5].span, Span { line: 11, col: 9 });
        let headers = &s.steps[0].expect.headers;
        // Header values are text: a bare `true` means "true".
        assert!(matches!(&headers[0].op, AssertOp::Eq(Value::String(v)) if v == "true"));
        assert!(matches!(&headers[1].op, AssertOp::Matches(_)));
    }

    #[test]
    fn assertion_operator_errors() {
        let src = format!(
            "{STEP}    expect:\n      body:\n        /a: {{eqq: 1}}\n        /b: {{id: x, object: invoice}}\n        /c: {{eq: 1, ne: 2}}\n        /d: {{offset_from: /created}}\n        /e: {{seconds: 5}}\n        /f: {{type: str}}\n        /g: {{len: -1}}\n        /h: {{matches: \"^{{{{run_id}}}}\"}}\n"
        );
        let p = problems(&src);
        assert_eq!(
            p,
            vec![
                "6:14: unknown assertion operator `eqq` (did you mean `eq`?)".to_string(),
                "7:14: unknown assertion operator `id` (did you mean `eq`?)".to_string(),
                format!("7:21: unknown assertion operator `object` (operators are {}; to compare with a mapping, write `{{eq: {{…}}}}`)", one_of_list(OPERATORS)),
                "8:21: an assertion takes exactly one operator; `ne` is another (write a second assertion on another pointer instead, or use `one_of`)".to_string(),
                "9:14: `offset_from` needs `seconds` (e.g. `{offset_from: /created, seconds: 604800}`)".to_string(),
                "10:14: unknown assertion operator `seconds` (`seconds` goes with `offset_from`)".to_string(),
                format!("11:20: unknown JSON type `str` (expected one of {})", one_of_list(TYPE_NAMES)),
                "12:19: `len` must not be negative, found -1".to_string(),
                "13:23: templates are not expanded in `matches` (compare a captured value with `eq` or `contains` instead)".to_string(),
            ]
        );
    }

    #[test]
    fn templates_and_variables() {
        let src = "vars:\n  amount: 1099\nsteps:\n  - id: customer\n    request:\n      method: POST\n      path: /v1/customers\n      form: {metadata: {run: \"{{ run_id }}\"}, email: \"{{env.EMAIL}}\"}\n    capture: {customer_id: /id, req: \"header: Request-Id\"}\n  - id: invoice\n    request:\n      method: POST\n      path: /v1/invoices\n      form: {customer: \"{{customer_id}}\", amount: \"{{amount}}\", gone: null}\n      headers: {Idempotency-Key: \"{{run_id}}-k1\"}\n    expect:\n      body:\n        /customer: \"{{customer_id}}\"\nteardown:\n  - id: delete-customer\n    request: {method: DELETE, path: \"/v1/customers/{{customer_id}}\"}\n";
        let s = ok(src);
        assert_eq!(s.vars, vec![("amount".to_string(), "1099".to_string())]);
        assert_eq!(s.steps[0].capture.len(), 2);
        assert_eq!(
            s.steps[0].capture[1].source,
            CaptureSource::Header("Request-Id".into())
        );
        assert_eq!(
            s.steps[1].request.form.len(),
            2,
            "null leaves the parameter out"
        );
        assert!(
            !s.teardown[0].expect.snapshot,
            "teardown defaults to no snapshot"
        );
        assert_eq!(
            s.steps[1].request.headers,
            vec![("Idempotency-Key".to_string(), "{{run_id}}-k1".to_string())]
        );
    }

    #[test]
    fn undefined_and_malformed_templates() {
        let src = "vars: {amount: 5}\nsteps:\n  - id: a\n    request: {method: GET, path: \"/v1/{{invoce_id}}\"}\n  - id: b\n    request: {method: GET, path: \"/v1/{{invoice_id}}/{{amont}}\"}\n    capture: {invoice_id: /id}\n  - id: c\n    request: {method: GET, path: \"/v1/{{run_id\"}\n  - id: d\n    request: {method: GET, path: \"/v1/{{ }}\"}\n";
        let p = problems(src);
        assert_eq!(
            p,
            vec![
                "4:34: undefined variable `invoce_id` (define it under `vars:`, capture it in an earlier step, or use `env.NAME`)".to_string(),
                "6:34: undefined variable `invoice_id` (`invoice_id` is captured by step `b` (line 7), which does not run before this one)".to_string(),
                "6:34: undefined variable `amont` (did you mean `amount`?)".to_string(),
                "9:34: malformed template `/v1/{{run_id`: `{{` without a closing `}}`".to_string(),
                "11:34: malformed template `/v1/{{ }}`: empty variable name".to_string(),
            ]
        );
    }

    #[test]
    fn teardown_sees_all_main_captures() {
        let src = "steps:\n  - id: a\n    request: {method: GET, path: /v1}\n  - id: b\n    request: {method: GET, path: /v1}\n    capture: {late: /id}\nteardown:\n  - id: t1\n    request: {method: DELETE, path: \"/v1/{{late}}/{{td}}\"}\n  - id: t2\n    request: {method: DELETE, path: /v1}\n    capture: {td: /id}\n";
        let p = problems(src);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("9:37: undefined variable `td`"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn vars_captures_auth_headers() {
        // Built at run time so no key-shaped string sits in the source.
        let fake_real_key = format!("sk_test_{}", "a1".repeat(12));
        let src = format!("vars:\n  run_id: x\n  1bad: y\n  tmpl: \"{{{{run_id}}}}\"\nsteps:\n  - id: a\n    request:\n      method: GET\n      path: /v1\n      auth: nobody\n      headers: {{Authorization: x, \"bad name\": y}}\n    capture: {{run_id: /id, v: \"header:\"}}\n  - id: b\n    request: {{method: GET, path: /v1, auth: {{bearer: {fake_real_key}}}}}\n  - id: c\n    request: {{method: GET, path: /v1, auth: {{bearer: x, basic: y}}}}\n");
        let src = src.as_str();
        let p = problems(src);
        assert_eq!(
            p,
            vec![
                "2:3: `run_id` is a built-in variable and cannot be redefined",
                "3:3: invalid variable name `1bad` (variable names are letters, digits and `_`, not starting with a digit)",
                "4:9: templates are not expanded inside `vars` (`vars` are constants; use the template where the value is used)",
                "10:13: invalid auth `nobody` (expected `default`, `none`, `{bearer: \"…\"}` or `{basic: \"…\"}`)",
                "11:17: set credentials with `auth:`, not an `Authorization` header (`auth: none`, `auth: {bearer: \"sk_test_bogus\"}` or `auth: {basic: \"…\"}`)",
                "11:35: invalid header name `bad name`",
                "12:15: `run_id` is a built-in variable and cannot be captured",
                "12:31: invalid header name `` in capture",
                "14:54: this looks like a real Stripe key (never commit keys; use an obvious fake like `sk_test_bogus`, or `{{env.NAME}}`)",
                "16:57: `auth` takes one of `bearer` or `basic`, not both",
            ]
        );
        let s = ok("steps:\n  - id: a\n    request: {method: GET, path: /v1, auth: none}\n  - id: b\n    request: {method: GET, path: /v1, auth: {basic: sk_test_bogus}}\n");
        assert_eq!(s.steps[0].request.auth, Auth::None);
        assert_eq!(s.steps[1].request.auth, Auth::Basic("sk_test_bogus".into()));
    }

    #[test]
    fn params_become_trees() {
        let s = ok("steps:\n  - id: a\n    request:\n      method: POST\n      path: /v1\n      query: {expand: [customer]}\n      form:\n        flag: true\n        n: 7\n        f: 1.5\n        s: \"007\"\n        items: [{price: p, quantity: 2}]\n        metadata: {a: b, gone: ~}\n");
        let r = &s.steps[0].request;
        assert_eq!(
            r.query,
            vec![(
                "expand".to_string(),
                Param::List(vec![Param::Scalar("customer".into())])
            )]
        );
        let sc = |v: &str| Param::Scalar(v.to_string());
        assert_eq!(
            r.form,
            vec![
                ("flag".to_string(), sc("true")),
                ("n".to_string(), sc("7")),
                ("f".to_string(), sc("1.5")),
                ("s".to_string(), sc("007")),
                (
                    "items".to_string(),
                    Param::List(vec![Param::Map(vec![
                        ("price".into(), sc("p")),
                        ("quantity".into(), sc("2")),
                    ])])
                ),
                (
                    "metadata".to_string(),
                    Param::Map(vec![("a".into(), sc("b"))])
                ),
            ]
        );
    }

    #[test]
    fn top_level_fields() {
        let s = ok(&format!("name: my-flow\ndescription: d\ntags: [finalize, seed-000]\nstripe_version: 2023-10-16\nnormalize: {{ignore: [created]}}\n{STEP}"));
        assert_eq!(s.name, "my-flow");
        assert_eq!(s.description, "d");
        assert_eq!(s.tags, vec!["finalize", "seed-000"]);
        assert_eq!(s.stripe_version.as_deref(), Some("2023-10-16"));
        assert!(s.normalize.is_some());
        assert_eq!(s.reference, None);
        assert!(s.steps[0].seed.is_empty());
        let s = ok(&format!(
            "reference: \"§4.4\"\n{STEP}    seed: 000-finalize.json\n"
        ));
        assert_eq!(s.reference.as_deref(), Some("§4.4"));
        assert_eq!(s.steps[0].seed, vec!["000-finalize.json".to_string()]);
        assert_eq!(
            one(&format!("{STEP}    seed: shared/seeds/000-finalize.json\n")),
            "4:11: invalid seed file name `shared/seeds/000-finalize.json` (seeds are named `<NNN>-<endpoint>.json`, e.g. `000-finalize.json`)"
        );
        assert_eq!(
            one(&format!("{STEP}    seed: 0-pay\n")),
            "4:11: invalid seed file name `0-pay` (seeds are named `<NNN>-<endpoint>.json`, e.g. `000-finalize.json`)"
        );
        assert_eq!(
            one(&format!("stripe_version: basil\n{STEP}")),
            "1:17: invalid Stripe API version `basil` (expected `YYYY-MM-DD` or `YYYY-MM-DD.release`, e.g. `2025-03-31.basil`)"
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Fragments that steer random text towards the scenario grammar, so the checks past the
    /// YAML parser run too.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("steps:\n".to_string()),
            Just("  - id: a\n".to_string()),
            Just("    request: {method: GET, path: /v1}\n".to_string()),
            Just("    expect:\n      body:\n".to_string()),
            Just("        /a: {matches: \"(\"}\n".to_string()),
            Just("        /b: {offset_from: /c}\n".to_string()),
            Just("    capture: {x: /id}\n".to_string()),
            Just("    retry: {interval: 1s}\n".to_string()),
            Just("teardown:\n".to_string()),
            Just("vars: {v: 1}\n".to_string()),
            "[ -~\n]{0,30}",
            "\\PC{0,10}",
        ]
    }

    proptest! {
        #[test]
        fn never_panics(parts in proptest::collection::vec(fragment(), 0..12)) {
            let src: String = parts.concat();
            let checked = check_file(Path::new("p.yaml"), "p", &src);
            // Either a scenario or at least one problem, never both and never neither.
            prop_assert_eq!(checked.scenario.is_some(), checked.diags.is_empty());
        }

        #[test]
        fn templates_never_panic(s in "\\PC{0,40}") {
            let _ = template::parse(&s);
            let _ = crate::scenario::render_template(&s, &|_| Some("v".into()));
        }
    }
}
