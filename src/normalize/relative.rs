//! Relative timestamps: a field whose value only makes sense relative to another field of the same
//! object (`due_date` = `created` + days_until_due × 86400) becomes `"<created+604800>"`, so two
//! runs at different times compare equal while a wrongly computed due date is still caught.
//! Applies before the plain timestamp rule; when either side is not a plausible seconds value the
//! plain rule decides instead (and leaves a millisecond value visible).

use serde_json::{Map, Value};

use crate::input::yaml::Node;
use crate::pointer::Selector;

use super::timestamps::TimestampRule;
use crate::input::reader::Reader;

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct RelativeRule {
    /// (field, key of the base field in the same object).
    pub pairs: Vec<(Selector, String)>,
}

pub(crate) fn merge(rule: &mut RelativeRule, node: &Node, ctx: &mut Reader) {
    ctx.selector_map(
        &mut rule.pairs,
        node,
        "normalize.relative_timestamps",
        &mut |ctx, v| {
            let s = ctx.string(v, "normalize.relative_timestamps.<field>")?;
            if s.is_empty() || s.contains(['/', '*', '<', '>']) {
                ctx.error(
                    v.span,
                    format!("`{s}`: the base is the key of a sibling field, e.g. `created`"),
                );
                return None;
            }
            Some(s)
        },
    );
}

impl RelativeRule {
    /// `"<base+offset>"` for the integer `v` at `path` (whose object is `parent`), if configured.
    pub fn apply(
        &self,
        v: &Value,
        path: &[String],
        parent: Option<&Map<String, Value>>,
        ts: &TimestampRule,
    ) -> Option<Value> {
        let t = ts.in_range(v)?;
        let parent = parent?;
        let (_, base_key) = self.pairs.iter().find(|(sel, _)| sel.matches(path))?;
        // A field is never relative to itself (that would always read `+0`).
        if path.last().is_some_and(|k| k == base_key) {
            return None;
        }
        let base = ts.in_range(parent.get(base_key)?)?;
        let offset = t - base;
        let sign = if offset < 0 { '-' } else { '+' };
        Some(Value::String(format!(
            "<{base_key}{sign}{}>",
            offset.unsigned_abs()
        )))
    }
}
