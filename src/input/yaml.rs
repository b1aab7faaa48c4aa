//! YAML read with yaml-rust2's event parser into a tree whose every node knows its
//! line and column, so every later error can point at the source.

use std::fmt;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line/column position in a source file.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A YAML scalar, with the plain/quoted distinction kept: `"7"` is a string, `7` is not.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (quoted, or plain and not another scalar).
    Str(String),
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// Keys keep their own spans; order is the file's order.
    Map(Vec<(Key, Node)>),
}

/// A mapping key, with its own position.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where the key is.
    pub span: Span,
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it holds.
    pub kind: Kind,
    /// Where it starts.
    pub span: Span,
}

/// A YAML syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// Where the parser stopped.
    pub span: Span,
    /// What it expected.
    pub message: String,
}

impl Node {
    /// The text of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }
    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// Whether it is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Scalar(Scalar::Null))
    }
    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }
    /// What kind of node this is, for error messages ("expected a mapping, found a sequence").
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(Scalar::Null) => "null",
            Kind::Scalar(Scalar::Bool(_)) => "a boolean",
            Kind::Scalar(Scalar::Int(_)) => "an integer",
            Kind::Scalar(Scalar::Float(_)) => "a number",
            Kind::Scalar(Scalar::Str(_)) => "a string",
            Kind::Seq(_) => "a sequence",
            Kind::Map(_) => "a mapping",
        }
    }
    /// The scalar rendered as the text a form field would carry (`true`, `7`, `abc`).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Scalar(Scalar::Null) => None,
            Kind::Scalar(Scalar::Bool(b)) => Some(b.to_string()),
            Kind::Scalar(Scalar::Int(i)) => Some(i.to_string()),
            Kind::Scalar(Scalar::Float(f)) => Some(f.to_string()),
            Kind::Scalar(Scalar::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }
    /// Converts to JSON (for expected values in assertions and for config values).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Scalar(Scalar::Null) => Value::Null,
            Kind::Scalar(Scalar::Bool(b)) => Value::Bool(*b),
            Kind::Scalar(Scalar::Int(i)) => Value::from(*i),
            Kind::Scalar(Scalar::Float(f)) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Kind::Scalar(Scalar::Str(s)) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Deeper nesting than this is an error, not a stack overflow: no apiparity file needs more.
pub const MAX_DEPTH: usize = 128;

/// Parses one YAML document. An empty file is `Ok(None)`.
///
/// Events are pulled one at a time (yaml-rust2's `Parser::load` recurses per nesting level
/// and overflows the stack on hostile input), and nesting is capped at [`MAX_DEPTH`].
pub fn parse(source: &str) -> Result<Option<Node>, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(source);
    let mut depth = 0usize;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| YamlError {
            span: Span {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info().to_string(),
        })?;
        match ev {
            Event::StreamEnd => break,
            Event::DocumentEnd => continue,
            Event::DocumentStart if builder.root.is_some() => {
                return Err(YamlError {
                    span: span_of(mark),
                    message: "a second YAML document: an apiparity file holds one document (move it to its own file, or remove the `---`)".to_string(),
                });
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(YamlError {
                        span: span_of(mark),
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        // After the document only its end (and a second document's start) can follow.
        let done = builder.root.is_some() && builder.stack.is_empty();
        if done {
            continue;
        }
        builder.on_event(ev, mark);
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root)
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    error: Option<YamlError>,
}

enum Frame {
    Seq(Span, Vec<Node>),
    Map(Span, Vec<(Key, Node)>, Option<Key>),
}

fn span_of(mark: Marker) -> Span {
    // yaml-rust2 markers: line is 1-based, column 0-based.
    Span {
        line: mark.line(),
        col: mark.col() + 1,
    }
}

fn scalar(value: String, style: TScalarStyle) -> Scalar {
    if style != TScalarStyle::Plain {
        return Scalar::Str(value);
    }
    match value.as_str() {
        "~" | "null" | "Null" | "NULL" | "" => Scalar::Null,
        "true" | "True" | "TRUE" => Scalar::Bool(true),
        "false" | "False" | "FALSE" => Scalar::Bool(false),
        _ => {
            if let Ok(i) = value.parse::<i64>() {
                Scalar::Int(i)
            } else if value
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
                && value.chars().any(|c| c.is_ascii_digit())
            {
                match value.parse::<f64>() {
                    Ok(f) => Scalar::Float(f),
                    Err(_) => Scalar::Str(value),
                }
            } else {
                Scalar::Str(value)
            }
        }
    }
}

impl Builder {
    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => {
                    // A mapping key: only scalar keys are meaningful in our files.
                    let name = match &node.kind {
                        Kind::Scalar(s) => match s {
                            Scalar::Str(s) => s.clone(),
                            Scalar::Int(i) => i.to_string(),
                            Scalar::Bool(b) => b.to_string(),
                            Scalar::Float(f) => f.to_string(),
                            Scalar::Null => "null".to_string(),
                        },
                        _ => {
                            if self.error.is_none() {
                                self.error = Some(YamlError {
                                    span: node.span,
                                    message: "mapping keys must be plain scalars".into(),
                                });
                            }
                            String::new()
                        }
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                span: node.span,
                                message: format!(
                                    "duplicate key `{name}` (first defined at {})",
                                    first.span
                                ),
                            });
                        }
                    }
                    *pending = Some(Key {
                        name,
                        span: node.span,
                    });
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let span = span_of(mark);
        match ev {
            Event::Scalar(value, style, _, _) => self.push_node(Node {
                kind: Kind::Scalar(scalar(value, style)),
                span,
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(span, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Frame::Map(span, Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(span, items)) => Node {
                        kind: Kind::Seq(items),
                        span,
                    },
                    // yaml-rust2 marks a block mapping at its first `:`; point at the
                    // first key instead, which is where a reader looks.
                    Some(Frame::Map(span, entries, _)) => Node {
                        span: entries.first().map_or(span, |(k, _)| k.span.min(span)),
                        kind: Kind::Map(entries),
                    },
                    None => return,
                };
                self.push_node(node);
            }
            Event::Alias(_) => {
                if self.error.is_none() {
                    self.error = Some(YamlError {
                        span,
                        message: "YAML aliases are not supported in apiparity files".into(),
                    });
                }
                self.push_node(Node {
                    kind: Kind::Scalar(Scalar::Null),
                    span,
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_types() {
        let src =
            "name: x\nsteps:\n  - id: a\n    n: 7\n    q: \"7\"\n    f: 1.5\n    d: 2025-03-31\n";
        let root = parse(src).unwrap().unwrap();
        let steps = root.get("steps").unwrap();
        assert_eq!(steps.span.line, 3);
        let step = &steps.as_seq().unwrap()[0];
        let (k, v) = &step.as_map().unwrap()[0];
        assert_eq!((k.name.as_str(), k.span), ("id", Span { line: 3, col: 5 }));
        assert_eq!(v.as_str(), Some("a"));
        assert_eq!(step.get("n").unwrap().kind, Kind::Scalar(Scalar::Int(7)));
        assert_eq!(step.get("q").unwrap().as_str(), Some("7"));
        assert_eq!(
            step.get("f").unwrap().kind,
            Kind::Scalar(Scalar::Float(1.5))
        );
        assert_eq!(step.get("d").unwrap().as_str(), Some("2025-03-31"));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.line >= 1, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // Flow nesting: yaml-rust2's scanner refuses it itself ("recursion limit exceeded").
        assert!(parse(&"[".repeat(100_000)).is_err());
        let mut block = String::new();
        for i in 0..5000 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert!(parse(&block).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.span.line, 2);
        assert!(err.message.contains("duplicate key `a`"));
    }
}
