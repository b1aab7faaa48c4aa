//! Writes an imported scenario as YAML, by hand so the output is stable byte for byte and reads
//! like the hand-written scenarios: parameters as trees, strings quoted where YAML would
//! misread them.

use std::fmt::Write as _;

use super::{Dropped, Source};

/// A step as imported.
pub(super) struct StepDoc {
    pub id: String,
    /// 1-based position in the cassette (0: a setup step the import added).
    pub recorded: usize,
    /// Why a setup step is there.
    pub note: Option<String>,
    /// A literal bearer key (a recorded 401), else the target's.
    pub auth: Option<String>,
    /// Compared with its snapshot (setup steps are not).
    pub snapshot: bool,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub as_of: Option<String>,
    /// This step's session's account settings, where they differ from the scenario's.
    pub account: crate::scenario::Account,
    pub status: u16,
    /// (pointer, reason): excluded from comparison.
    pub ignore: Vec<(String, String)>,
    /// (var, pointer).
    pub capture: Vec<(String, String)>,
}

/// A scenario as imported.
pub(super) struct ScenarioDoc<'a> {
    pub modeline: Option<String>,
    pub source: &'a Source,
    pub cassette: &'a str,
    pub description: String,
    pub tags: Vec<String>,
    pub stripe_version: String,
    pub version_note: Option<String>,
    pub as_of: Option<String>,
    /// The recorder's account settings the recording shows.
    pub account: crate::scenario::Account,
    pub dropped: &'a [Dropped],
    pub steps: &'a [StepDoc],
    /// (step id, DELETE path).
    pub teardown: Vec<(String, String)>,
}

/// `account:` and its settings, at `indent`.
fn write_account(out: &mut String, indent: &str, a: &crate::scenario::Account) {
    let _ = writeln!(out, "{indent}account:");
    if let Some(c) = &a.id {
        let _ = writeln!(out, "{indent}  id: {}", scalar(c));
    }
    if let Some(c) = &a.country {
        let _ = writeln!(out, "{indent}  country: {}", scalar(c));
    }
    if let Some(c) = &a.currency {
        let _ = writeln!(out, "{indent}  currency: {}", scalar(c));
    }
    if let Some(w) = a.webhook_endpoints {
        let _ = writeln!(out, "{indent}  webhook_endpoints: {w}");
    }
}

/// A YAML scalar: plain where that reads back as the same string, else double-quoted.
pub(super) fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-' | b'@' | b'+')
        })
        && !s.starts_with(['-', '.', '@', '+'])
        && !looks_typed(s);
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string serializes")
    }
}

/// Whether YAML would read `s` as something other than a string (number, bool, null, date).
fn looks_typed(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~" | "nan" | "inf"
    ) || s.parse::<f64>().is_ok()
        || s.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// A comment line's text, kept on one line.
fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A parameter tree rebuilt from Stripe's bracket pairs.
#[derive(Debug)]
enum Tree {
    Leaf(String),
    Map(Vec<(String, Tree)>),
    List(Vec<Tree>),
}

/// `lines[0][amount]` → `["lines", "0", "amount"]`; `expand[]` → `["expand", ""]`.
fn segments(name: &str) -> Option<Vec<&str>> {
    let (head, mut rest) = match name.find('[') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    if head.is_empty() {
        return None;
    }
    let mut out = vec![head];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        out.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(out)
}

fn insert(tree: &mut Vec<(String, Tree)>, segs: &[&str], value: &str) -> bool {
    let (first, rest) = (segs[0], &segs[1..]);
    if rest.is_empty() {
        if tree.iter().any(|(k, _)| k == first) {
            return false;
        }
        tree.push((first.to_string(), Tree::Leaf(value.to_string())));
        return true;
    }
    let next = rest[0];
    let is_list = next.is_empty() || next.bytes().all(|b| b.is_ascii_digit());
    let slot = match tree.iter().position(|(k, _)| k == first) {
        Some(i) => i,
        None => {
            tree.push((
                first.to_string(),
                if is_list {
                    Tree::List(vec![])
                } else {
                    Tree::Map(vec![])
                },
            ));
            tree.len() - 1
        }
    };
    match (&mut tree[slot].1, is_list) {
        (Tree::Map(m), false) => insert(m, rest, value),
        (Tree::List(items), true) => {
            if next.is_empty() {
                // `a[]=x`: scalars only, in order.
                if rest.len() != 1 {
                    return false;
                }
                items.push(Tree::Leaf(value.to_string()));
                return true;
            }
            let Ok(i) = next.parse::<usize>() else {
                return false;
            };
            if i > items.len() {
                return false; // a gap: the list form would renumber it
            }
            if rest.len() == 1 {
                if i < items.len() {
                    return false;
                }
                // An indexed scalar list is re-sent as `a[]`: only when no map item is around.
                if items.iter().any(|t| !matches!(t, Tree::Leaf(_))) {
                    return false;
                }
                items.push(Tree::Leaf(value.to_string()));
                return true;
            }
            if i == items.len() {
                items.push(Tree::Map(vec![]));
            }
            match &mut items[i] {
                Tree::Map(m) => insert(m, &rest[1..], value),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The tree of a list of pairs, or `None` when the pairs do not form one that encodes back to
/// the same pairs (then they are written flat, one name per key).
fn tree_of(pairs: &[(String, String)]) -> Option<Vec<(String, Tree)>> {
    let mut tree = Vec::new();
    for (name, value) in pairs {
        let segs = segments(name)?;
        if !insert(&mut tree, &segs, value) {
            return None;
        }
    }
    // Lists of maps must hold maps only, and scalar lists scalars only (the encoder's rule).
    fn consistent(t: &Tree) -> bool {
        match t {
            Tree::Leaf(_) => true,
            Tree::Map(m) => m.iter().all(|(_, t)| consistent(t)),
            Tree::List(items) => {
                let scalars = items.iter().filter(|t| matches!(t, Tree::Leaf(_))).count();
                (scalars == 0 || scalars == items.len()) && items.iter().all(consistent)
            }
        }
    }
    tree.iter().all(|(_, t)| consistent(t)).then_some(tree)
}

fn write_tree(out: &mut String, entries: &[(String, Tree)], indent: usize) {
    let pad = " ".repeat(indent);
    for (k, t) in entries {
        write_entry(out, &pad, &scalar(k), t, indent);
    }
}

fn write_entry(out: &mut String, pad: &str, key: &str, t: &Tree, indent: usize) {
    match t {
        Tree::Leaf(v) => {
            let _ = writeln!(out, "{pad}{key}: {}", scalar(v));
        }
        Tree::Map(m) if m.is_empty() => {
            let _ = writeln!(out, "{pad}{key}: {{}}");
        }
        Tree::Map(m) => {
            let _ = writeln!(out, "{pad}{key}:");
            write_tree(out, m, indent + 2);
        }
        Tree::List(items) if items.is_empty() => {
            let _ = writeln!(out, "{pad}{key}: []");
        }
        Tree::List(items) => {
            let _ = writeln!(out, "{pad}{key}:");
            for item in items {
                match item {
                    Tree::Leaf(v) => {
                        let _ = writeln!(out, "{pad}  - {}", scalar(v));
                    }
                    Tree::Map(m) if m.is_empty() => {
                        let _ = writeln!(out, "{pad}  - {{}}");
                    }
                    Tree::Map(m) => {
                        // First entry on the dash line, the rest aligned under it.
                        let mut first = String::new();
                        write_tree(&mut first, &m[..1], indent + 4);
                        let _ = write!(out, "{pad}  - {}", first.trim_start());
                        write_tree(out, &m[1..], indent + 4);
                    }
                    Tree::List(_) => unreachable!("nested lists are refused by tree_of"),
                }
            }
        }
    }
}

fn write_params(out: &mut String, key: &str, pairs: &[(String, String)]) {
    if pairs.is_empty() {
        return;
    }
    let _ = writeln!(out, "      {key}:");
    match tree_of(pairs) {
        Some(tree) => write_tree(out, &tree, 8),
        None => {
            for (k, v) in pairs {
                let _ = writeln!(out, "        {}: {}", scalar(k), scalar(v));
            }
        }
    }
}

/// The scenario file's text.
pub(super) fn scenario(doc: &ScenarioDoc) -> String {
    let mut out = String::new();
    if let Some(m) = &doc.modeline {
        out.push_str(m);
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "# Imported by `apiparity import` from {} ({}); re-import rather than edit.",
        comment(&doc.source.file),
        comment(&doc.source.recorder)
    );
    let _ = writeln!(out, "# Cassette: {}", comment(doc.cassette));
    if !doc.dropped.is_empty() {
        let _ = writeln!(out, "# Exchanges not replayed:");
        for d in doc.dropped {
            let _ = writeln!(
                out,
                "#   {}. {}: {}",
                d.index,
                comment(&d.request),
                comment(&d.reason)
            );
        }
    }
    // Redactions, and values that count the recorder's account history (each says which).
    let history = |r: &str| r.contains("in the recorder's account");
    let ignored = doc.steps.iter().flat_map(|s| &s.ignore);
    let (history_n, redacted): (usize, usize) = ignored.fold((0, 0), |(h, r), (_, reason)| {
        if history(reason) {
            (h + 1, r)
        } else {
            (h, r + 1)
        }
    });
    if redacted > 0 {
        let _ = writeln!(
            out,
            "# {redacted} field(s) the recorder redacted are excluded from comparison (expect.ignore)."
        );
    }
    if history_n > 0 {
        let _ = writeln!(
            out,
            "# {history_n} field(s) counting the recorder's account history are excluded from comparison (expect.ignore, reasons below)."
        );
    }
    let _ = writeln!(out, "description: {}", scalar(&doc.description));
    let tags: Vec<String> = doc.tags.iter().map(|t| scalar(t)).collect();
    let _ = writeln!(out, "tags: [{}]", tags.join(", "));
    if let Some(note) = &doc.version_note {
        let _ = writeln!(out, "# {}", comment(note));
    }
    let _ = writeln!(out, "stripe_version: {}", scalar(&doc.stripe_version));
    if let Some(day) = &doc.as_of {
        let _ = writeln!(out, "as_of: {}", scalar(day));
    }
    if !doc.account.is_empty() {
        let _ = writeln!(
            out,
            "# The recorder's account, as the recorded bodies show it (apiparity's mock only)."
        );
        write_account(&mut out, "", &doc.account);
    }
    // A recorded flow is evidence step by step: one mismatch must not hide the rest.
    let _ = writeln!(out, "continue_on_failure: true");
    let _ = writeln!(out, "steps:");
    for (i, s) in doc.steps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match &s.note {
            Some(note) if s.recorded > 0 => {
                let _ = writeln!(
                    out,
                    "  - id: {}  # exchange {}: {}",
                    s.id,
                    s.recorded,
                    comment(note)
                );
            }
            Some(note) => {
                let _ = writeln!(out, "  - id: {}  # setup: {}", s.id, comment(note));
            }
            None => {
                let _ = writeln!(out, "  - id: {}  # exchange {}", s.id, s.recorded);
            }
        }
        if let Some(a) = &s.as_of {
            let _ = writeln!(out, "    as_of: {}", scalar(a));
        }
        if !s.account.is_empty() {
            write_account(&mut out, "    ", &s.account);
        }
        let _ = writeln!(out, "    request:");
        let _ = writeln!(out, "      method: {}", s.method);
        let _ = writeln!(out, "      path: {}", scalar(&s.path));
        write_params(&mut out, "query", &s.query);
        write_params(&mut out, "form", &s.form);
        if !s.headers.is_empty() {
            let _ = writeln!(out, "      headers:");
            for (k, v) in &s.headers {
                let _ = writeln!(out, "        {}: {}", scalar(k), scalar(v));
            }
        }
        if let Some(key) = &s.auth {
            let _ = writeln!(out, "      auth: {{bearer: {}}}", scalar(key));
        }
        let _ = writeln!(out, "    expect:");
        let _ = writeln!(out, "      status: {}", s.status);
        if !s.snapshot {
            let _ = writeln!(out, "      snapshot: false");
        }
        if !s.ignore.is_empty() {
            let _ = writeln!(out, "      ignore:");
            for (ptr, reason) in &s.ignore {
                let _ = writeln!(out, "        {}: {}", scalar(ptr), scalar(reason));
            }
        }
        if !s.capture.is_empty() {
            let _ = writeln!(out, "    capture:");
            for (var, ptr) in &s.capture {
                let _ = writeln!(out, "      {var}: {}", scalar(ptr));
            }
        }
    }
    if !doc.teardown.is_empty() {
        let _ = writeln!(out, "\nteardown:");
        for (id, path) in &doc.teardown {
            let _ = writeln!(
                out,
                "  - id: {id}\n    request: {{method: DELETE, path: {}}}",
                scalar(path)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn scalars_quote_what_yaml_would_misread() {
        assert_eq!(scalar("usd"), "usd");
        assert_eq!(scalar("100"), "\"100\"");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("/v1/invoices"), "/v1/invoices");
        assert_eq!(scalar("{{invoice_id}}"), "\"{{invoice_id}}\"");
        assert_eq!(scalar("2024-06-20"), "\"2024-06-20\"");
    }

    #[test]
    fn bracket_pairs_become_trees_that_encode_back() {
        let mut out = String::new();
        write_params(
            &mut out,
            "form",
            &p(&[
                ("customer", "cus_1"),
                ("lines[0][amount]", "100"),
                ("lines[0][description]", "x"),
                ("lines[1][amount]", "5"),
                ("expand[]", "customer"),
                ("expand[]", "lines"),
                ("metadata[a]", "b"),
            ]),
        );
        assert_eq!(
            out,
            "      form:\n        customer: cus_1\n        lines:\n          - amount: \"100\"\n            description: x\n          - amount: \"5\"\n        expand:\n          - customer\n          - lines\n        metadata:\n          a: b\n"
        );
    }

    #[test]
    fn pairs_that_form_no_tree_stay_flat() {
        let mut out = String::new();
        write_params(&mut out, "form", &p(&[("a[0]", "x"), ("a[2]", "z")]));
        assert_eq!(
            out,
            "      form:\n        \"a[0]\": x\n        \"a[2]\": z\n"
        );
    }
}
