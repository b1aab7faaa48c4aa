//! Hosted invoice URLs (`https://invoice.stripe.com/i/<acct>/test_<token>?s=ap`, `invoice_pdf`):
//! the per-invoice token path segment becomes `test_<token>` / `live_<token>`. The mode is kept
//! (a `live_` URL in a test run is a real difference), and so are the host, the other path
//! segments and the query; the account id inside is handled by the id rule.

use crate::input::yaml::Node;
use std::any::Any;

use serde_json::Value;

use crate::pointer::Selector;

use crate::input::reader::Reader;
use crate::normalize::rules::{At, Change, Reach, Rule};

pub(crate) const MODES: &[&str] = &["test", "live"];

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Urls {
    pub fields: Vec<Selector>,
}

pub(crate) const KEYS: &[&str] = &["fields"];

fn merge(rule: &mut Urls, node: &Node, ctx: &mut Reader) {
    let Some(entries) = ctx.map(node, "normalize.urls") else {
        return;
    };
    for (k, v) in entries {
        match k.name.as_str() {
            "fields" => ctx.selectors(&mut rule.fields, v, "normalize.urls.fields"),
            _ => ctx.unknown_key(k, "`normalize.urls`", KEYS, None),
        }
    }
}

impl Urls {
    pub fn applies(&self, path: &[String]) -> bool {
        self.fields.iter().any(|s| s.matches(path))
    }
}

impl Rule for Urls {
    fn merge(&mut self, node: &Node, r: &mut Reader) {
        merge(self, node, r)
    }
    fn apply(&self, v: &Value, at: &At<'_>, _: &mut dyn Any) -> Option<Change> {
        let s = v.as_str().filter(|_| self.applies(at.path))?;
        Some(Change::Continue(Value::String(tokenize(s))))
    }
    fn reach(&self) -> Reach<'_> {
        Reach {
            strings: true,
            numbers: false,
            only: Some(self.fields.iter().collect()),
        }
    }
}

/// Replaces the token of every `<mode>_<token>` path segment (before any `?` or `#`).
pub(crate) fn tokenize(url: &str) -> String {
    let split = url
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(url.len());
    let (path, rest) = url.split_at(split);
    // Written into one buffer: the URL's segments are not kept apart.
    let mut out = String::with_capacity(url.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let mode = MODES.iter().find(|mode| {
            seg.strip_prefix(**mode)
                .and_then(|t| t.strip_prefix('_'))
                .is_some_and(|token| !token.is_empty())
        });
        match mode {
            Some(mode) => {
                out.push_str(mode);
                out.push_str("_<token>");
            }
            None => out.push_str(seg),
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::tokenize;

    #[test]
    fn token_segment_keeps_mode_host_and_shape() {
        assert_eq!(
            tokenize("https://pay.stripe.com/invoice/acct_1/test_YWNjd10200x7P2wMSm/pdf?s=ap"),
            "https://pay.stripe.com/invoice/acct_1/test_<token>/pdf?s=ap"
        );
        assert_eq!(
            tokenize("https://invoice.stripe.com/i/acct_1/live_abc?s=ap"),
            "https://invoice.stripe.com/i/acct_1/live_<token>?s=ap"
        );
        assert_eq!(tokenize("https://h/i/test_"), "https://h/i/test_");
        assert_eq!(
            tokenize("https://h/i/x?q=test_abc"),
            "https://h/i/x?q=test_abc"
        );
        let once = tokenize("https://h/i/test_abc");
        assert_eq!(tokenize(&once), once);
    }
}
