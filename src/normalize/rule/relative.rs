//! Relative timestamps: a field whose value only makes sense relative to another field of the same
//! object (`due_date` = `created` + days_until_due × 86400) becomes `"<created+604800>"`, so two
//! runs at different times compare equal while a wrongly computed due date is still caught.
//! Applies before the plain timestamp rule; when either side is not a plausible seconds value the
//! plain rule decides instead (and leaves a millisecond value visible).

use std::any::Any;

use serde_json::Value;

use crate::input::yaml::Node;
use crate::pointer::Selector;

use super::timestamps::Timestamps;
use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule, Siblings};

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Relative {
    /// (field, key of the base field in the same object).
    pub pairs: Vec<(Selector, String)>,
}

fn merge(rule: &mut Relative, node: &Node, ctx: &mut Reader) {
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

impl Relative {
    /// `"<base+offset>"` for the integer `v` at `path` (whose object is `parent`), if configured.
    pub fn replace(
        &self,
        v: &Value,
        path: &[String],
        parent: Option<&dyn Siblings>,
        ts: &Timestamps,
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

impl Rule for Relative {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, _: &mut dyn Any) -> Option<Change> {
        // Plausible seconds are what the absolute rule says they are.
        let default = Timestamps::default();
        let ts = at.rules.get::<Timestamps>().unwrap_or(&default);
        self.replace(v, at.path, at.parent, ts).map(Change::Final)
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: false,
            numbers: true,
            only: Some(self.pairs.iter().map(|(sel, _)| sel).collect()),
        }
    }
}
