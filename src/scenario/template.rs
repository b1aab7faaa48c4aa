//! `{{ name }}` templates: one parser shared by validation (which only needs the names)
//! and rendering (which needs the literal pieces too).

/// A piece of a template: literal text, or a variable reference (already trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Lit(&'a str),
    Var(&'a str),
}

/// Splits `s` into literal text and `{{ var }}` references. The error is the reason, for
/// a message like "malformed template `…`: <reason>".
pub(crate) fn parse(s: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = s;
    // memchr's search: `str::find` sets up a two-way searcher per call, which cost more than
    // the search on these short strings (every request value is rendered through here).
    while let Some(open) = memchr::memmem::find(rest.as_bytes(), b"{{") {
        if open > 0 {
            pieces.push(Piece::Lit(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = memchr::memmem::find(after.as_bytes(), b"}}") else {
            return Err("`{{` without a closing `}}`".to_string());
        };
        let name = after[..close].trim();
        if name.is_empty() {
            return Err("empty variable name".to_string());
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(format!(
                "variable name `{name}` may only contain letters, digits, `_`, `-` and `.`"
            ));
        }
        pieces.push(Piece::Var(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_and_vars() {
        assert_eq!(
            parse("/v1/invoices/{{ invoice_id }}/pay?x={{env.A}}").unwrap(),
            vec![
                Piece::Lit("/v1/invoices/"),
                Piece::Var("invoice_id"),
                Piece::Lit("/pay?x="),
                Piece::Var("env.A"),
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(
            parse("plain }} text").unwrap(),
            vec![Piece::Lit("plain }} text")]
        );
    }

    #[test]
    fn malformed() {
        assert!(parse("{{run_id").unwrap_err().contains("without a closing"));
        assert!(parse("a{{ }}b")
            .unwrap_err()
            .contains("empty variable name"));
        assert!(parse("{{a b}}").unwrap_err().contains("may only contain"));
        assert!(parse("{{a{{b}}").unwrap_err().contains("may only contain"));
    }
}
