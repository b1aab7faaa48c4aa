//! Page cursors in recorded requests: a search page's `page=<token>` (query or form parameter
//! of the request stored in a snapshot) → `page=<page_token>`. The token is opaque and new on
//! every run, so without this every `run --update` would rewrite the snapshot of each second
//! page. Only a `name=value` string directly under the request's `query` or `form` whose name
//! is configured is touched; `starting_after`/`ending_before` carry object ids, which the id
//! rule already handles with identity.

use std::any::Any;

use serde_json::Value;

use crate::input::reader::Reader;
use crate::input::yaml::Node;
use crate::normalize::rules::{At, Change, Reach, Rule};

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Cursors {
    /// Parameter names whose value is an opaque cursor.
    pub params: Vec<String>,
    /// What the value becomes.
    pub placeholder: String,
}

pub(crate) const KEYS: &[&str] = &["params", "placeholder"];

fn merge(rule: &mut Cursors, node: &Node, ctx: &mut Reader) {
    let Some(entries) = ctx.map(node, "normalize.cursors") else {
        return;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "params" => ctx.list(&mut rule.params, v, "normalize.cursors.params", &mut |r, n| {
                r.string(n, "normalize.cursors.params")
            }),
            "placeholder" => {
                if let Some(p) = ctx.string(v, "normalize.cursors.placeholder") {
                    rule.placeholder = p;
                }
            }
            _ => ctx.unknown_key(k, "`normalize.cursors`", KEYS, None),
        }
    }
}

impl Cursors {
    /// `page=abc` → `page=<placeholder>` when `page` is a configured cursor parameter.
    pub fn rewrite(&self, param: &str) -> Option<String> {
        let (name, value) = param.split_once('=')?;
        (!value.is_empty() && self.params.iter().any(|p| p == name))
            .then(|| format!("{name}={}", self.placeholder))
    }
}

impl Rule for Cursors {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, _: &mut dyn Any) -> Option<Change> {
        let s = v.as_str()?;
        // `query[i]` / `form[i]` of a request document, nothing deeper.
        match at.path {
            [list, _] if list == "query" || list == "form" => {}
            _ => return None,
        }
        self.rewrite(s).map(|p| Change::Final(Value::String(p)))
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: false,
            only: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_parameters_with_a_value_are_rewritten() {
        let c = Cursors {
            params: vec!["page".into()],
            placeholder: "<page_token>".into(),
        };
        assert_eq!(
            c.rewrite("page=djE6YjhlOWE1").as_deref(),
            Some("page=<page_token>")
        );
        assert_eq!(c.rewrite("page="), None);
        assert_eq!(c.rewrite("limit=2"), None);
        assert_eq!(c.rewrite("pages=abc"), None);
    }
}
