//! Checks a response against a step's `expect` block.

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::input::yaml::Span;
use crate::scenario::{AssertOp, Expect};

use super::Response;

/// What kind of expectation a failure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// `expect: status`.
    Status,
    /// An `expect: body` assertion.
    Body,
    /// An `expect: headers` assertion.
    Header,
    /// A `capture` that found nothing.
    Capture,
    /// A `{{template}}` that could not be rendered.
    Template,
    /// `retry` gave up.
    Retry,
    /// The request would have carried a live-mode key.
    Auth,
    /// The step's snapshot file could not be read.
    Snapshot,
}

impl Expectation {
    /// The kind as the JSON writes it (`status`, `body`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Expectation::Status => "status",
            Expectation::Body => "body",
            Expectation::Header => "header",
            Expectation::Capture => "capture",
            Expectation::Template => "template",
            Expectation::Retry => "retry",
            Expectation::Auth => "auth",
            Expectation::Snapshot => "snapshot",
        }
    }
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing about a step that did not hold.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ExpectFailure {
    /// What kind of expectation failed.
    pub what: Expectation,
    /// JSON pointer or header name, when there is one.
    pub at: Option<String>,
    /// What failed, in one sentence.
    pub message: String,
    /// The expected value, when there is one.
    pub expected: Option<Value>,
    /// The actual value, when there is one.
    pub actual: Option<Value>,
    /// Where in the scenario file the failed expectation is written (the assertion's key, the
    /// `status:` value, the capture, or the step), so it renders against its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl ExpectFailure {
    /// A failure without values or position.
    pub fn new(what: Expectation, at: Option<String>, message: impl Into<String>) -> ExpectFailure {
        ExpectFailure {
            what,
            at,
            message: message.into(),
            expected: None,
            actual: None,
            span: None,
        }
    }

    /// The same failure, pointing at `span` in the scenario file.
    pub fn at_span(mut self, span: Span) -> ExpectFailure {
        self.span = Some(span);
        self
    }
}

/// Every failed expectation (empty when the response meets `expect`). `render` expands
/// templates in expected values.
pub(super) fn check(
    expect: &Expect,
    resp: &Response,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Vec<ExpectFailure> {
    let mut out = Vec::new();
    if let Some(status) = expect.status {
        if status != resp.status {
            out.push(ExpectFailure {
                expected: Some(status.into()),
                actual: Some(resp.status.into()),
                ..ExpectFailure::new(
                    Expectation::Status,
                    None,
                    format!("expected status {status}, got {}", resp.status),
                )
            });
            if let (Some(f), Some(span)) = (out.last_mut(), expect.status_span) {
                f.span = Some(span);
            }
        }
    }
    let body = resp.body_value();
    for a in &expect.body {
        let actual = body.pointer(&a.pointer);
        if let Err(mut f) = eval(&a.op, actual, &body, render) {
            f.what = Expectation::Body;
            f.at = Some(a.pointer.clone());
            f.span = Some(a.span);
            f.message = format!("{}: {}", display_pointer(&a.pointer), f.message);
            out.push(*f);
        }
    }
    for h in &expect.headers {
        let actual = resp.header(&h.name).map(|v| Value::String(v.to_string()));
        if let Err(mut f) = eval(&h.op, actual.as_ref(), &body, render) {
            f.what = Expectation::Header;
            f.at = Some(h.name.clone());
            f.span = Some(h.span);
            f.message = format!("header {}: {}", h.name, f.message);
            out.push(*f);
        }
    }
    out
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() {
        "(body)"
    } else {
        p
    }
}

/// Expands templates inside every string of an expected value.
fn render_value(
    v: &Value,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) if s.contains("{{") => Value::String(render(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_value(i, render))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(v, render)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Loose equality for expectations written in YAML: `7` matches `7.0`, and a YAML string
/// matches a JSON string exactly. Types otherwise must agree (an expected `"7"` does not
/// match `7`).
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => expected == actual,
    }
}

fn fail(
    message: impl Into<String>,
    expected: Option<Value>,
    actual: Option<&Value>,
) -> Box<ExpectFailure> {
    Box::new(ExpectFailure {
        expected,
        actual: actual.cloned(),
        // The caller says which assertion (body or header) it was.
        ..ExpectFailure::new(Expectation::Body, None, message)
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn eval(
    op: &AssertOp,
    actual: Option<&Value>,
    body: &Value,
    render: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), Box<ExpectFailure>> {
    let missing = || fail("not present in the response", None, None);
    let num = |v: Option<&Value>| -> Result<f64, Box<ExpectFailure>> {
        match v {
            Some(Value::Number(n)) => n.as_f64().ok_or_else(|| fail("not a number", None, v)),
            Some(other) => Err(fail(
                format!("expected a number, found {}", type_name(other)),
                None,
                Some(other),
            )),
            None => Err(missing()),
        }
    };
    match op {
        AssertOp::Eq(e) => {
            let e = render_value(e, render).map_err(|m| fail(m, None, None))?;
            let a = actual.ok_or_else(|| {
                fail(
                    format!("expected {e}, but it is not present"),
                    Some(e.clone()),
                    None,
                )
            })?;
            if !same(&e, a) {
                return Err(fail(format!("expected {e}, got {a}"), Some(e), Some(a)));
            }
        }
        AssertOp::Ne(e) => {
            let e = render_value(e, render).map_err(|m| fail(m, None, None))?;
            if let Some(a) = actual {
                if same(&e, a) {
                    return Err(fail(format!("expected anything but {e}"), Some(e), Some(a)));
                }
            }
        }
        AssertOp::Matches(re) => {
            let re = Regex::new(re).map_err(|e| fail(format!("bad regex: {e}"), None, None))?;
            match actual {
                Some(Value::String(s)) if re.is_match(s) => {}
                Some(a) => {
                    return Err(fail(
                        format!("expected a string matching /{re}/, got {a}"),
                        Some(Value::String(re.to_string())),
                        Some(a),
                    ))
                }
                None => return Err(missing()),
            }
        }
        AssertOp::Exists(want) => {
            if actual.is_some() != *want {
                return Err(fail(
                    if *want {
                        "expected to be present"
                    } else {
                        "expected to be absent"
                    },
                    None,
                    actual,
                ));
            }
        }
        AssertOp::Type(t) => {
            let a = actual.ok_or_else(missing)?;
            let got = type_name(a);
            let ok = got == t || (t == "number" && got == "integer");
            if !ok {
                return Err(fail(
                    format!("expected type {t}, got {got}"),
                    Some(t.as_str().into()),
                    Some(a),
                ));
            }
        }
        AssertOp::Gt(x) | AssertOp::Gte(x) | AssertOp::Lt(x) | AssertOp::Lte(x) => {
            let a = num(actual)?;
            let (ok, sym) = match op {
                AssertOp::Gt(_) => (a > *x, ">"),
                AssertOp::Gte(_) => (a >= *x, ">="),
                AssertOp::Lt(_) => (a < *x, "<"),
                _ => (a <= *x, "<="),
            };
            if !ok {
                return Err(fail(format!("expected {sym} {x}, got {a}"), None, actual));
            }
        }
        AssertOp::Len(n) => {
            let a = actual.ok_or_else(missing)?;
            let len = match a {
                Value::Array(v) => v.len(),
                Value::Object(m) => m.len(),
                Value::String(s) => s.chars().count(),
                other => {
                    return Err(fail(
                        format!("{} has no length", type_name(other)),
                        None,
                        Some(other),
                    ))
                }
            };
            if len != *n {
                return Err(fail(
                    format!("expected length {n}, got {len}"),
                    Some((*n).into()),
                    Some(a),
                ));
            }
        }
        AssertOp::Contains(e) => {
            let e = render_value(e, render).map_err(|m| fail(m, None, None))?;
            let a = actual.ok_or_else(missing)?;
            let ok = match (a, &e) {
                (Value::Array(items), _) => items.iter().any(|i| same(&e, i)),
                (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
                _ => false,
            };
            if !ok {
                return Err(fail(format!("expected to contain {e}"), Some(e), Some(a)));
            }
        }
        AssertOp::OneOf(options) => {
            let options = options
                .iter()
                .map(|o| render_value(o, render))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| fail(m, None, None))?;
            let a = actual.ok_or_else(missing)?;
            if !options.iter().any(|o| same(o, a)) {
                return Err(fail(
                    format!("expected one of {}, got {a}", Value::Array(options.clone())),
                    Some(Value::Array(options)),
                    Some(a),
                ));
            }
        }
        AssertOp::OffsetFrom { pointer, seconds } => {
            let a = num(actual)?;
            let base = num(body.pointer(pointer)).map_err(|mut f| {
                f.message = format!("base {pointer}: {}", f.message);
                f
            })?;
            let want = base + *seconds as f64;
            if a != want {
                return Err(fail(
                    format!(
                        "expected {pointer} + {seconds} = {want}, got {a} ({pointer} + {})",
                        a - base
                    ),
                    Some(serde_json::json!(want)),
                    actual,
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::yaml::Span;
    use crate::scenario::{Assertion, HeaderAssertion};
    use serde_json::json;

    fn resp(body: Value) -> Response {
        Response {
            status: 200,
            headers: vec![("idempotent-replayed".into(), "true".into())],
            body: super::super::Body::Json(body),
            duplicate_keys: vec![],
        }
    }

    fn expect(body: Vec<(&str, AssertOp)>) -> Expect {
        Expect {
            ignore: vec![],
            status: Some(200),
            status_span: None,
            body: body
                .into_iter()
                .map(|(p, op)| Assertion {
                    pointer: p.into(),
                    op,
                    span: Span::default(),
                })
                .collect(),
            headers: vec![],
            snapshot: true,
        }
    }

    fn no_templates(s: &str) -> Result<String, String> {
        Ok(s.replace("{{customer_id}}", "cus_A"))
    }

    #[test]
    fn passing_assertions() {
        let body = json!({"status": "paid", "created": 100, "due_date": 604900, "customer": "cus_A",
                          "number": "ABC-0001", "data": [1, 2], "total": 1099});
        let e = expect(vec![
            ("/status", AssertOp::Eq(json!("paid"))),
            ("/customer", AssertOp::Eq(json!("{{customer_id}}"))),
            ("/number", AssertOp::Matches("^[A-Z]+-0001$".into())),
            (
                "/due_date",
                AssertOp::OffsetFrom {
                    pointer: "/created".into(),
                    seconds: 604800,
                },
            ),
            ("/data", AssertOp::Len(2)),
            ("/data", AssertOp::Contains(json!(2))),
            ("/total", AssertOp::Gte(1000.0)),
            ("/missing", AssertOp::Exists(false)),
            (
                "/status",
                AssertOp::OneOf(vec![json!("open"), json!("paid")]),
            ),
            ("/total", AssertOp::Type("integer".into())),
        ]);
        assert_eq!(check(&e, &resp(body), &no_templates), vec![]);
    }

    #[test]
    fn failing_assertions_name_pointer_expected_and_actual() {
        let body = json!({"status": "open", "created": 100, "due_date": 100, "total": "1099"});
        let mut e = expect(vec![
            ("/status", AssertOp::Eq(json!("paid"))),
            (
                "/due_date",
                AssertOp::OffsetFrom {
                    pointer: "/created".into(),
                    seconds: 604800,
                },
            ),
            ("/total", AssertOp::Eq(json!(1099))),
            ("/nope", AssertOp::Eq(json!(1))),
        ]);
        e.status = Some(201);
        e.headers.push(HeaderAssertion {
            name: "Idempotent-Replayed".into(),
            op: AssertOp::Eq(json!("false")),
            span: Span::default(),
        });
        let f = check(&e, &resp(body), &no_templates);
        assert_eq!(f.len(), 6, "{f:#?}");
        assert_eq!(f[0].what, Expectation::Status);
        assert_eq!(f[1].at.as_deref(), Some("/status"));
        assert_eq!(f[1].expected, Some(json!("paid")));
        assert_eq!(f[1].actual, Some(json!("open")));
        assert!(f[2].message.contains("604800"));
        assert_eq!(
            f[3].actual,
            Some(json!("1099")),
            "a string is not an integer"
        );
        assert!(f[5].message.contains("Idempotent-Replayed"));
    }
}
