//! `expect` blocks: the status, body and header assertions, and the operators.

use serde_json::Value;

use super::keywords::*;
use super::{Cx, Phase};
use crate::input::diag::did_you_mean;
use crate::input::reader::one_of_list;
use crate::input::yaml::{Key, Kind, Node, Scalar};
use crate::scenario::model::*;

impl Cx {
    pub(super) fn expect(&mut self, node: &Node, phase: Phase) -> Option<Expect> {
        let entries = self.r.map(node, "expect")?;
        self.check_keys(entries, EXPECT_KEYS, "expect");
        let mut expect = default_expect(phase);
        for (k, v) in entries {
            match k.name.as_str() {
                "status" => {
                    if let Some(s) = self.r.integer(v, "status") {
                        match u16::try_from(s) {
                            Ok(s) if (100..=599).contains(&s) => {
                                expect.status = Some(s);
                                expect.status_span = Some(v.span);
                            }
                            _ => {
                                let d = self
                                    .r
                                    .diag(v.span, format!("invalid HTTP status {s}"))
                                    .help("statuses are 100 to 599");
                                self.r.push(d);
                            }
                        }
                    }
                }
                "body" => {
                    if let Some(entries) = self.r.map(v, "body") {
                        for (ptr, value) in entries {
                            let valid = self.pointer(&ptr.name, ptr.span);
                            if let Some(op) = self.assertion(value, false) {
                                if valid {
                                    expect.body.push(Assertion {
                                        pointer: ptr.name.clone(),
                                        op,
                                        span: ptr.span,
                                    });
                                }
                            }
                        }
                    }
                }
                "headers" => {
                    if let Some(entries) = self.r.map(v, "headers") {
                        for (name, value) in entries {
                            let valid = self.header_name(name);
                            if let Some(op) = self.assertion(value, true) {
                                if valid {
                                    expect.headers.push(HeaderAssertion {
                                        name: name.name.clone(),
                                        op,
                                        span: name.span,
                                    });
                                }
                            }
                        }
                    }
                }
                "snapshot" => {
                    if let Some(b) = self.r.boolean(v, "snapshot") {
                        expect.snapshot = b;
                    }
                }
                // `ignore: {/pointer: reason}`: excluded from the snapshot comparison.
                "ignore" => {
                    if let Some(entries) = self.r.map(v, "ignore") {
                        for (ptr, reason) in entries {
                            let valid = self.pointer(&ptr.name, ptr.span);
                            if let Some(reason) = self.r.text(reason, "ignore reason") {
                                if reason.trim().is_empty() {
                                    self.r
                                        .error(ptr.span, "an ignored pointer needs its reason");
                                } else if valid {
                                    expect.ignore.push((ptr.name.clone(), reason));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Some(expect)
    }

    /// One assertion: a bare value (equality) or a mapping with exactly one operator.
    fn assertion(&mut self, node: &Node, header: bool) -> Option<AssertOp> {
        let entries = match &node.kind {
            Kind::Map(entries) if !entries.is_empty() => entries,
            _ => {
                // A bare value, `{}` included, is compared for equality.
                self.templated_tree(node);
                return Some(AssertOp::Eq(operand(node, header)));
            }
        };
        let has_offset = entries.iter().any(|(k, _)| k.name == "offset_from");
        let mut ops: Vec<&(Key, Node)> = Vec::new();
        let mut bad = false;
        for entry in entries {
            let (k, _) = entry;
            if OPERATORS.contains(&k.name.as_str()) {
                ops.push(entry);
            } else if OPERATOR_COMPANIONS.contains(&k.name.as_str()) && has_offset {
                // The companion of offset_from.
            } else {
                bad = true;
                let d = self
                    .r
                    .diag(k.span, format!("unknown assertion operator `{}`", k.name))
                    .label("not an operator");
                let d = if k.name == "seconds" {
                    d.help("`seconds` goes with `offset_from`")
                } else if let Some(g) = did_you_mean(&k.name, OPERATORS) {
                    d.help(format!("did you mean `{g}`?"))
                } else {
                    d.help(format!(
                        "operators are {}; to compare with a mapping, write `{{eq: {{…}}}}`",
                        one_of_list(OPERATORS)
                    ))
                };
                self.r.push(d);
            }
        }
        if let [_, (second, _), ..] = ops.as_slice() {
            let d = self
                .r
                .diag(
                    second.span,
                    format!(
                        "an assertion takes exactly one operator; `{}` is another",
                        second.name
                    ),
                )
                .help("write a second assertion on another pointer instead, or use `one_of`");
            self.r.push(d);
            return None;
        }
        let (op, v) = *ops.first()?;
        if bad {
            return None;
        }
        let what = op.name.as_str();
        match what {
            "eq" | "ne" | "contains" => {
                self.templated_tree(v);
                let value = operand(v, header);
                Some(match what {
                    "eq" => AssertOp::Eq(value),
                    "ne" => AssertOp::Ne(value),
                    _ => AssertOp::Contains(value),
                })
            }
            "one_of" => {
                let items = self.r.seq(v, "one_of")?;
                if items.is_empty() {
                    self.r.error(v.span, "`one_of` needs at least one value");
                    return None;
                }
                items.iter().for_each(|n| self.templated_tree(n));
                Some(AssertOp::OneOf(
                    items.iter().map(|n| operand(n, header)).collect(),
                ))
            }
            "matches" => {
                let re = self.r.string(v, "matches")?;
                // A value spliced into a regex would need escaping to mean itself; the
                // runner matches the pattern as written, so templates are refused here.
                if re.contains("{{") {
                    let d = self
                        .r
                        .diag(v.span, "templates are not expanded in `matches`")
                        .help("compare a captured value with `eq` or `contains` instead");
                    self.r.push(d);
                    return None;
                }
                if let Err(e) = regex::Regex::new(&re) {
                    let msg = e.to_string();
                    // regex errors are multi-line drawings; the last line says what is wrong.
                    let last = msg.lines().last().unwrap_or("").trim();
                    let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                    let d = self
                        .r
                        .diag(v.span, format!("invalid regular expression `{re}`: {last}"))
                        .label("regex");
                    self.r.push(d);
                    return None;
                }
                Some(AssertOp::Matches(re))
            }
            "exists" => self.r.boolean(v, "exists").map(AssertOp::Exists),
            "type" => {
                let t = self.r.string(v, "type")?;
                if TYPE_NAMES.contains(&t.as_str()) {
                    Some(AssertOp::Type(t))
                } else {
                    let d = self.r.diag(v.span, format!("unknown JSON type `{t}`"));
                    let d = match did_you_mean(&t, TYPE_NAMES) {
                        Some(g) => d.help(format!("did you mean `{g}`?")),
                        None => d.help(format!("expected one of {}", one_of_list(TYPE_NAMES))),
                    };
                    self.r.push(d);
                    None
                }
            }
            "gt" => self.r.number(v, "gt").map(AssertOp::Gt),
            "gte" => self.r.number(v, "gte").map(AssertOp::Gte),
            "lt" => self.r.number(v, "lt").map(AssertOp::Lt),
            "lte" => self.r.number(v, "lte").map(AssertOp::Lte),
            "len" => {
                let n = self.r.integer(v, "len")?;
                match usize::try_from(n) {
                    Ok(n) => Some(AssertOp::Len(n)),
                    Err(_) => {
                        self.r
                            .error(v.span, format!("`len` must not be negative, found {n}"));
                        None
                    }
                }
            }
            "offset_from" => {
                if header {
                    self.r.error(
                        op.span,
                        "`offset_from` compares body fields; it cannot be used on headers",
                    );
                    return None;
                }
                let pointer = self.r.string(v, "offset_from")?;
                let valid = self.pointer(&pointer, v.span);
                let seconds = match entries.iter().find(|(k, _)| k.name == "seconds") {
                    Some((_, s)) => self.r.integer(s, "seconds"),
                    None => {
                        let d = self
                            .r
                            .diag(op.span, "`offset_from` needs `seconds`")
                            .help("e.g. `{offset_from: /created, seconds: 604800}`");
                        self.r.push(d);
                        None
                    }
                };
                let seconds = seconds?;
                valid.then_some(AssertOp::OffsetFrom { pointer, seconds })
            }
            _ => None,
        }
    }
}

pub(super) fn default_expect(phase: Phase) -> Expect {
    Expect {
        status: None,
        status_span: None,
        body: Vec::new(),
        headers: Vec::new(),
        snapshot: phase == Phase::Main,
        ignore: Vec::new(),
    }
}

/// An assertion operand as JSON. Header values are strings on the wire, so a bare `true`
/// or `7` there means the text `"true"` / `"7"`.
fn operand(node: &Node, header: bool) -> Value {
    match (&node.kind, header) {
        (Kind::Scalar(Scalar::Null), _) | (_, false) => node.to_json(),
        (Kind::Scalar(_), true) => Value::String(node.scalar_text().unwrap_or_default()),
        (_, true) => node.to_json(),
    }
}
