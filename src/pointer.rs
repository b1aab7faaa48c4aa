//! JSON pointers (RFC 6901) and selectors over them, shared by the normalizer rules,
//! the diff options and baselines.

/// Appends one reference token to a pointer, escaping `~` and `/`.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Selects places in a JSON document. Syntax (TODO(normalize): implement):
/// - `created`: a bare name matches that object key at any depth;
/// - `/status_transitions/*`: a pointer where `*` matches one token and `**` any number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(pub String);
