//! Stripe's request encoding: `application/x-www-form-urlencoded` with Rack-style brackets
//! (reference §1.3). `a[b][c]=d` nests maps, `a[]=x` appends to an array, and `a[0]=x` keeps an
//! integer-keyed map that the parameter schema turns into an array when it expects one (the way
//! stripe-mock's nested type assembler does). The parser never panics on any byte input: bytes are
//! percent-decoded lossily and nesting depth is bounded.

use indexmap::IndexMap;

/// A decoded parameter tree node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormValue {
    Str(String),
    Map(IndexMap<String, FormValue>),
    /// Only produced by the `a[]` notation; `a[0]` yields a `Map` with integer keys.
    List(Vec<FormValue>),
}

/// The top level of a request's parameters, in request order.
pub type Params = IndexMap<String, FormValue>;

/// A structural conflict in the form (e.g. `a=1&a[b]=2`), reported as Stripe reports a value of
/// the wrong shape: `Invalid hash` / `Invalid array` on the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub param: String,
    pub message: String,
}

/// More nesting than any Stripe parameter uses; deeper keys are refused instead of recursing.
pub const MAX_DEPTH: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Push,
}

/// Parses a urlencoded body or query string.
pub fn parse(input: &[u8]) -> Result<Params, FormError> {
    let mut root: Params = IndexMap::new();
    for (raw_key, value) in url::form_urlencoded::parse(input) {
        if raw_key.is_empty() {
            continue;
        }
        let segs = split_key(&raw_key);
        if segs.len() > MAX_DEPTH {
            return Err(FormError {
                param: raw_key.into_owned(),
                message: format!("Parameters may be nested at most {MAX_DEPTH} levels deep."),
            });
        }
        let (first, rest) = match segs.split_first() {
            Some((Seg::Key(k), rest)) => (k.clone(), rest),
            // split_key always starts with a key; keep the literal name otherwise.
            _ => (raw_key.to_string(), &[][..]),
        };
        let slot = root.entry(first.clone()).or_insert_with(|| fresh_for(rest));
        insert(slot, rest, value.into_owned(), first)?;
    }
    Ok(root)
}

/// `a[b][]` → [Key(a), Key(b), Push]. A name that does not follow the bracket grammar (an
/// unclosed `[`, text after a `]`, a leading `[`) is kept whole as one literal key, so it surfaces
/// later as an unknown parameter with its exact spelling.
fn split_key(raw: &str) -> Vec<Seg> {
    let literal = || vec![Seg::Key(raw.to_string())];
    let Some(open) = raw.find('[') else {
        return literal();
    };
    if open == 0 {
        return literal();
    }
    let mut segs = vec![Seg::Key(raw[..open].to_string())];
    let mut rest = &raw[open..];
    while !rest.is_empty() {
        let Some(stripped) = rest.strip_prefix('[') else {
            return literal();
        };
        let Some(close) = stripped.find(']') else {
            return literal();
        };
        let inner = &stripped[..close];
        segs.push(if inner.is_empty() {
            Seg::Push
        } else {
            Seg::Key(inner.to_string())
        });
        rest = &stripped[close + 1..];
    }
    segs
}

fn fresh_for(rest: &[Seg]) -> FormValue {
    match rest.first() {
        None => FormValue::Str(String::new()),
        Some(Seg::Key(_)) => FormValue::Map(IndexMap::new()),
        Some(Seg::Push) => FormValue::List(Vec::new()),
    }
}

fn kind_error(path: String, node: &FormValue) -> FormError {
    let message = match node {
        FormValue::Map(_) => "Invalid hash",
        FormValue::List(_) => "Invalid array",
        FormValue::Str(_) => "Invalid string",
    };
    FormError {
        param: path,
        message: message.to_string(),
    }
}

fn insert(
    slot: &mut FormValue,
    rest: &[Seg],
    value: String,
    path: String,
) -> Result<(), FormError> {
    match rest.split_first() {
        None => match slot {
            // Repeated scalar: the last one wins, as in Rack.
            FormValue::Str(s) => {
                *s = value;
                Ok(())
            }
            other => Err(kind_error(path, other)),
        },
        Some((Seg::Key(k), tail)) => match slot {
            FormValue::Map(m) => {
                let child_path = format!("{path}[{k}]");
                let child = m.entry(k.clone()).or_insert_with(|| fresh_for(tail));
                insert(child, tail, value, child_path)
            }
            other => Err(kind_error(path, other)),
        },
        Some((Seg::Push, tail)) => match slot {
            FormValue::List(items) => {
                // Rack: `a[][k]=…` fills the last hash until it already has `k`, then starts a
                // new one; anything else appends a fresh element.
                let reuse_last = match (tail.first(), items.last()) {
                    (Some(Seg::Key(k)), Some(FormValue::Map(m))) => !m.contains_key(k),
                    _ => false,
                };
                if !reuse_last {
                    items.push(fresh_for(tail));
                }
                let idx = items.len() - 1;
                let child_path = format!("{path}[{idx}]");
                match items.last_mut() {
                    Some(child) => insert(child, tail, value, child_path),
                    None => Ok(()),
                }
            }
            other => Err(kind_error(path, other)),
        },
    }
}

/// The elements of an array-valued parameter: `a[]=x&a[]=y` or `a[0]=x&a[1]=y` (ordered by
/// index). `None` when the node is not array-shaped.
pub fn as_list(v: &FormValue) -> Option<Vec<(String, &FormValue)>> {
    match v {
        FormValue::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| (i.to_string(), x))
                .collect(),
        ),
        FormValue::Map(m) => {
            let mut indexed = Vec::with_capacity(m.len());
            for (k, x) in m {
                let i: usize = k.parse().ok()?;
                // Reject "01"-style keys so that every index has one spelling.
                if i.to_string() != *k {
                    return None;
                }
                indexed.push((i, x));
            }
            indexed.sort_by_key(|(i, _)| *i);
            Some(
                indexed
                    .into_iter()
                    .map(|(i, x)| (i.to_string(), x))
                    .collect(),
            )
        }
        FormValue::Str(_) => None,
    }
}

/// A key-sorted rendering of a parameter tree: two requests carry "the same parameters" for
/// idempotency when these strings are equal, whatever the order of their form fields.
pub fn canonical(params: &Params) -> String {
    fn walk(v: &FormValue, out: &mut String) {
        match v {
            FormValue::Str(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' | '\\' => {
                            out.push('\\');
                            out.push(c);
                        }
                        _ => out.push(c),
                    }
                }
                out.push('"');
            }
            FormValue::List(items) => {
                out.push('[');
                for x in items {
                    walk(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            FormValue::Map(m) => {
                // Integer-keyed maps and `[]` lists mean the same array.
                if let Some(items) = as_list(v) {
                    if !m.is_empty() {
                        out.push('[');
                        for (_, x) in items {
                            walk(x, out);
                            out.push(',');
                        }
                        out.push(']');
                        return;
                    }
                }
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    walk(&FormValue::Str(k.clone()), out);
                    out.push(':');
                    if let Some(x) = m.get(k) {
                        walk(x, out);
                    }
                    out.push(',');
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    out.push('{');
    for k in keys {
        walk(&FormValue::Str(k.clone()), &mut out);
        out.push(':');
        if let Some(v) = params.get(k) {
            walk(v, &mut out);
        }
        out.push(',');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> FormValue {
        FormValue::Str(x.to_string())
    }

    #[test]
    fn flat_and_nested() {
        let p = parse(b"customer=cus_1&metadata[order]=42&created[gte]=5&a[b][c]=d").unwrap();
        assert_eq!(p["customer"], s("cus_1"));
        let FormValue::Map(m) = &p["metadata"] else {
            panic!()
        };
        assert_eq!(m["order"], s("42"));
        let FormValue::Map(a) = &p["a"] else { panic!() };
        let FormValue::Map(b) = &a["b"] else { panic!() };
        assert_eq!(b["c"], s("d"));
    }

    #[test]
    fn both_array_notations() {
        let p = parse(b"expand[]=customer&expand[]=lines").unwrap();
        let l: Vec<_> = as_list(&p["expand"])
            .unwrap()
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(l, vec![s("customer"), s("lines")]);
        let p = parse(b"expand[1]=lines&expand[0]=customer").unwrap();
        let l: Vec<_> = as_list(&p["expand"])
            .unwrap()
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(l, vec![s("customer"), s("lines")]);
        assert_eq!(
            canonical(&parse(b"expand[]=a&expand[]=b").unwrap()),
            canonical(&parse(b"expand[0]=a&expand[1]=b").unwrap())
        );
    }

    #[test]
    fn arrays_of_objects() {
        let p = parse(b"lines[0][amount]=1&lines[0][description]=x&lines[1][amount]=2").unwrap();
        let l = as_list(&p["lines"]).unwrap();
        assert_eq!(l.len(), 2);
        let FormValue::Map(first) = l[0].1 else {
            panic!()
        };
        assert_eq!(first["amount"], s("1"));
        assert_eq!(first["description"], s("x"));
        // Rack's `[]` of hashes: a repeated key starts a new element.
        let p = parse(b"t[][type]=eu_vat&t[][value]=1&t[][type]=us_ein&t[][value]=2").unwrap();
        let FormValue::List(items) = &p["t"] else {
            panic!()
        };
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn percent_decoding_and_empty_values() {
        let p = parse(b"description=&metadata%5Bk%5D=a+b%21&x=%FF").unwrap();
        assert_eq!(p["description"], s(""));
        let FormValue::Map(m) = &p["metadata"] else {
            panic!()
        };
        assert_eq!(m["k"], s("a b!"));
        assert_eq!(p["x"], s("\u{FFFD}"));
    }

    #[test]
    fn malformed_names_stay_literal() {
        let p = parse(b"a[b=1&[x]=2&c[d]e=3").unwrap();
        assert!(p.contains_key("a[b"));
        assert!(p.contains_key("[x]"));
        assert!(p.contains_key("c[d]e"));
    }

    #[test]
    fn shape_conflicts_are_errors() {
        let e = parse(b"metadata=x&metadata[k]=v").unwrap_err();
        assert_eq!(e.param, "metadata");
        assert_eq!(e.message, "Invalid string");
        let e = parse(b"a[k]=v&a=x").unwrap_err();
        assert_eq!(e.message, "Invalid hash");
        let e = parse(b"a[]=v&a[k]=x").unwrap_err();
        assert_eq!(e.message, "Invalid array");
        // Repeated scalars: last wins.
        assert_eq!(parse(b"a=1&a=2").unwrap()["a"], s("2"));
    }

    #[test]
    fn depth_is_bounded() {
        let key = "a".to_string() + &"[x]".repeat(MAX_DEPTH + 5);
        assert!(parse(format!("{key}=1").as_bytes()).is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let _ = parse(&bytes);
            }

            #[test]
            fn never_panics_on_bracket_soup(s in "[a-z\\[\\]=&%0-9]{0,80}") {
                if let Ok(p) = parse(s.as_bytes()) {
                    let _ = canonical(&p);
                    for v in p.values() { let _ = as_list(v); }
                }
            }
        }
    }
}
