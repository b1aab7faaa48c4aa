//! Fixed placeholders: configured fields whose value is an environment echo or an opaque token
//! (`account_name`, `request_log_url`, `next_page`, `client_secret`). Only a non-null STRING is
//! replaced: `null` vs a value, and a wrong type, stay visible.

use crate::input::yaml::Node;
use crate::pointer::Selector;

use crate::input::reader::Reader;

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct PlaceholderRule {
    pub fields: Vec<(Selector, String)>,
}

pub(crate) fn merge(rule: &mut PlaceholderRule, node: &Node, ctx: &mut Reader) {
    ctx.selector_map(
        &mut rule.fields,
        node,
        "normalize.placeholders",
        &mut |ctx, v| ctx.string(v, "normalize.placeholders.<field>"),
    );
}

impl PlaceholderRule {
    pub fn apply(&self, path: &[String]) -> Option<&str> {
        self.fields
            .iter()
            .find(|(sel, _)| sel.matches(path))
            .map(|(_, p)| p.as_str())
    }
}
