//! THE rule table: every normalization rule, in the order it applies, under the `normalize:`
//! key that configures it. Each line declares the rule's file (`rule/<file>.rs`, whose type
//! implements `rules::Rule`) and its table entry at once, so a new rule is that file, one line
//! here, and its commented defaults section in `apiparity.yaml`.

use super::rules::{entry, Entry};

/// Declares each rule's module and builds [`TABLE`] from the same lines, in order.
macro_rules! rules {
    ($($file:ident :: $rule:ident => $key:literal,)*) => {
        $(pub(crate) mod $file;)*

        /// `normalize:` keys and their rules, in the order the rules apply.
        pub(crate) const TABLE: &[Entry] = &[$(entry::<$file::$rule>($key),)*];
    };
}

rules! {
    // Strings: fixed placeholders settle a field; tokens, then numbers, then ids rewrite it.
    placeholders::Placeholders => "placeholders",
    cursors::Cursors => "cursors",
    urls::Urls => "urls",
    numbers::InvoiceNumbers => "invoice_numbers",
    ids::Ids => "ids",
    // Numbers: a timestamp relative to a sibling first, else an absolute one.
    relative::Relative => "relative_timestamps",
    timestamps::Timestamps => "timestamps",
}
