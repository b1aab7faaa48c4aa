//! Fixed placeholders: configured fields whose value is an environment echo or an opaque token
//! (`account_name`, `request_log_url`, `next_page`, `client_secret`). Only a non-null STRING is
//! replaced: `null` vs a value, and a wrong type, stay visible.

use crate::input::yaml::Node;
use std::any::Any;

use serde_json::Value;

use crate::pointer::Selector;

use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule};

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Placeholders {
    pub fields: Vec<(Selector, String)>,
}

fn merge(rule: &mut Placeholders, node: &Node, ctx: &mut Reader) {
    ctx.selector_map(
        &mut rule.fields,
        node,
        "normalize.placeholders",
        &mut |ctx, v| ctx.string(v, "normalize.placeholders.<field>"),
    );
}

impl Placeholders {
    pub fn lookup(&self, path: &[String]) -> Option<&str> {
        self.fields
            .iter()
            .find(|(sel, _)| sel.matches(path))
            .map(|(_, p)| p.as_str())
    }
}

impl Rule for Placeholders {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, _: &mut dyn Any) -> Option<Change> {
        v.as_str()?;
        let p = self.lookup(at.path)?;
        Some(Change::Final(Value::String(p.to_string())))
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: false,
            only: Some(self.fields.iter().map(|(sel, _)| sel).collect()),
        }
    }
}
