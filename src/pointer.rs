//! JSON pointers (RFC 6901) and selectors over them, shared by the normalizer rules,
//! the diff options and baselines.

use std::fmt;
use std::str::FromStr;

/// Appends one reference token to a pointer, escaping `~` and `/`.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    escape_into(&mut out, token);
    out
}

/// [`escape`] appended to `out` (no allocation of its own).
pub fn escape_into(out: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Unescapes one reference token; `None` for a `~` not followed by `0` or `1`.
pub fn unescape(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Splits a pointer into its decoded reference tokens (`""` is the root: no tokens).
pub fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("a JSON pointer starts with `/`: `{pointer}`"));
    };
    rest.split('/')
        .map(|t| unescape(t).ok_or_else(|| format!("bad `~` escape in `{t}` (use `~0` or `~1`)")))
        .collect()
}

/// Builds a pointer from decoded tokens.
pub fn join<S: AsRef<str>>(tokens: &[S]) -> String {
    tokens
        .iter()
        .fold(String::new(), |p, t| push(&p, t.as_ref()))
}

/// Selects places in a JSON document. Syntax:
/// - `created`: a bare name matches that object key at any depth (the path's last token);
/// - `/status_transitions/*`: a pointer where `*` matches exactly one token and `**` any number
///   of tokens (including none), e.g. `/**/period/start`. Tokens use RFC 6901 escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    text: String,
    pattern: Pattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    Key(String),
    Path(Vec<Seg>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Lit(String),
    One,
    Any,
}

impl Selector {
    /// Parses a selector: a key name (`created`) or a pointer with `*` and `**`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let pattern = if text.is_empty() {
            return Err("empty selector (use a key name such as `created` or a pointer such as `/lines/data`)".into());
        } else if text.starts_with('/') {
            let segs = tokens(text)?
                .into_iter()
                .map(|t| match t.as_str() {
                    "*" => Seg::One,
                    "**" => Seg::Any,
                    _ => Seg::Lit(t),
                })
                .collect();
            Pattern::Path(segs)
        } else {
            if text.contains('*') {
                return Err(format!(
                    "`{text}`: wildcards are only allowed in pointer selectors (e.g. `/**/{text}`)"
                ));
            }
            Pattern::Key(text.to_string())
        };
        Ok(Selector {
            text: text.to_string(),
            pattern,
        })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the selector names the place at `path` (decoded reference tokens from the root).
    pub fn matches<S: AsRef<str>>(&self, path: &[S]) -> bool {
        match &self.pattern {
            Pattern::Key(k) => path.last().is_some_and(|last| last.as_ref() == k),
            Pattern::Path(segs) => glob(segs, path),
        }
    }
}

/// Token-wise glob match; `**` backtracks, which is fine for the short patterns users write.
fn glob<S: AsRef<str>>(segs: &[Seg], path: &[S]) -> bool {
    match segs.split_first() {
        None => path.is_empty(),
        Some((Seg::Any, rest)) => (0..=path.len()).any(|skip| glob(rest, &path[skip..])),
        Some((seg, rest)) => match path.split_first() {
            None => false,
            Some((tok, more)) => {
                let ok = match seg {
                    Seg::One => true,
                    Seg::Lit(l) => l == tok.as_ref(),
                    Seg::Any => unreachable!("handled above"),
                };
                ok && glob(rest, more)
            }
        },
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Selector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

impl serde::Serialize for Selector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Selector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Selector::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sel: &str, path: &[&str]) -> bool {
        Selector::parse(sel).unwrap().matches(path)
    }

    #[test]
    fn bare_key_matches_at_any_depth() {
        assert!(m("created", &["created"]));
        assert!(m("created", &["lines", "data", "0", "price", "created"]));
        assert!(!m("created", &["created", "x"]));
        assert!(!m("created", &[]));
        assert!(!m("created", &["created_at"]));
    }

    #[test]
    fn pointer_wildcards() {
        assert!(m(
            "/status_transitions/*",
            &["status_transitions", "paid_at"]
        ));
        assert!(!m("/status_transitions/*", &["status_transitions"]));
        assert!(!m(
            "/status_transitions/*",
            &["status_transitions", "a", "b"]
        ));
        assert!(m(
            "/lines/data/*/period/start",
            &["lines", "data", "3", "period", "start"]
        ));
        assert!(m("/**/period/start", &["period", "start"]));
        assert!(m(
            "/**/period/start",
            &["data", "0", "lines", "data", "1", "period", "start"]
        ));
        assert!(!m("/**/period/start", &["period", "end"]));
        assert!(m("/**", &[]));
        assert!(m("/a/**/b/**", &["a", "x", "b"]));
        assert!(!m("/a/**/b", &["a", "x", "b", "c"]));
        assert!(m("/lines", &["lines"]));
        assert!(!m("/lines", &["x", "lines"]));
    }

    #[test]
    fn escapes_and_errors() {
        assert!(m("/a~1b/c~0d", &["a/b", "c~d"]));
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("/a/~2").is_err());
        assert!(Selector::parse("crea*").is_err());
        assert_eq!(Selector::parse("/x/*").unwrap().to_string(), "/x/*");
    }

    #[test]
    fn pointer_round_trip() {
        let toks = vec!["a/b".to_string(), "~".to_string(), "".to_string()];
        let p = join(&toks);
        assert_eq!(p, "/a~1b/~0/");
        assert_eq!(tokens(&p).unwrap(), toks);
        assert_eq!(tokens("").unwrap(), Vec::<String>::new());
        assert!(tokens("a").is_err());
    }
}
