//! Stripe's search query language for invoices (reference §7.3): clauses `field op value`
//! joined by spaces / `AND` or by `OR` (never both), optional `-` negation, no parentheses, at
//! most 10 clauses. Operators `:` `~` `>` `<` `>=` `<=` `=`; quoted values with `\"` escapes,
//! unquoted numbers, `null`; `metadata["k"]` / `metadata['k']`. The parser works on chars with
//! bounded loops and never panics on any input.

use indexmap::IndexMap;

/// Field types of the invoice search table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Case-insensitive phrase match; `~` allowed.
    Str,
    /// Exact, case-sensitive match.
    Token,
    Numeric,
}

pub const FIELDS: &[(&str, Kind)] = &[
    ("created", Kind::Numeric),
    ("currency", Kind::Token),
    ("customer", Kind::Token),
    ("last_finalization_error_code", Kind::Token),
    ("last_finalization_error_type", Kind::Token),
    ("metadata", Kind::Token),
    ("number", Kind::Str),
    ("receipt_number", Kind::Str),
    ("status", Kind::Str),
    ("subscription", Kind::Str),
    ("total", Kind::Numeric),
];

pub const MAX_CLAUSES: usize = 10;
pub const MAX_QUERY_CHARS: usize = 5000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldRef {
    Named(&'static str, Kind),
    Metadata(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Colon,
    Tilde,
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Colon => ":",
            Op::Tilde => "~",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Eq => "=",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QValue {
    Str(String),
    Num(i64),
    Null,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub field: FieldRef,
    pub op: Op,
    pub value: QValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join {
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub clauses: Vec<Clause>,
    pub join: Join,
}

/// The searchable view of one invoice.
pub struct Doc<'a> {
    pub created: i64,
    pub total: i64,
    pub currency: &'a str,
    pub customer: &'a str,
    pub status: &'a str,
    pub number: Option<&'a str>,
    pub metadata: &'a IndexMap<String, String>,
}

fn syntax(detail: &str, pos: usize) -> String {
    format!(
        "Invalid search query: {detail} (at character {}). Queries look like \
         status:\"open\" AND metadata[\"order_id\"]:\"42\"; see \
         https://stripe.com/docs/search#search-query-language.",
        pos + 1
    )
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        self.pos > start
    }
    /// The next whitespace-delimited word, without consuming it.
    fn word_ahead(&self) -> String {
        self.chars[self.pos..]
            .iter()
            .take_while(|c| !c.is_whitespace())
            .collect()
    }

    fn quoted(&mut self) -> Result<String, String> {
        let start = self.pos;
        let Some(q) = self.peek().filter(|c| *c == '"' || *c == '\'') else {
            return Err(syntax("expected a quoted value", self.pos));
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(syntax("unterminated quoted value", start)),
                Some('\\') => {
                    match self.peek_at(1) {
                        Some(c) => out.push(c),
                        None => return Err(syntax("unterminated quoted value", start)),
                    }
                    self.pos += 2;
                }
                Some(c) if c == q => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn clause(&mut self) -> Result<Clause, String> {
        let negated = if self.peek() == Some('-') {
            self.pos += 1;
            true
        } else {
            false
        };
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if name.is_empty() {
            return Err(syntax("expected a field name", start));
        }
        let field = if name == "metadata" {
            if self.peek() != Some('[') {
                return Err(syntax(
                    "metadata needs a key, as in metadata[\"key\"]",
                    self.pos,
                ));
            }
            self.pos += 1;
            let key = self.quoted()?;
            if self.peek() != Some(']') {
                return Err(syntax("expected ']' after the metadata key", self.pos));
            }
            self.pos += 1;
            FieldRef::Metadata(key)
        } else {
            match FIELDS.iter().find(|(n, _)| *n == name) {
                Some((n, k)) => FieldRef::Named(n, *k),
                None => {
                    return Err(format!(
                        "Field '{name}' is an unsupported search field for resource \
                         'invoices'. See https://stripe.com/docs/search#query-fields-for-invoices \
                         for a list of supported fields."
                    ))
                }
            }
        };
        let op_pos = self.pos;
        let op = match (self.peek(), self.peek_at(1)) {
            (Some('>'), Some('=')) => Op::Ge,
            (Some('<'), Some('=')) => Op::Le,
            (Some('>'), _) => Op::Gt,
            (Some('<'), _) => Op::Lt,
            (Some(':'), _) => Op::Colon,
            (Some('~'), _) => Op::Tilde,
            (Some('='), _) => Op::Eq,
            _ => {
                return Err(syntax(
                    "expected an operator (:, ~, >, <, >=, <= or =) after the field name",
                    op_pos,
                ))
            }
        };
        self.pos += op.as_str().chars().count();
        let value_pos = self.pos;
        let value = match self.peek() {
            Some('"') | Some('\'') => QValue::Str(self.quoted()?),
            Some(_) => {
                let word: String = self.chars[self.pos..]
                    .iter()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                self.pos += word.chars().count();
                if word == "null" {
                    QValue::Null
                } else if let Ok(n) = word.parse::<i64>() {
                    QValue::Num(n)
                } else {
                    return Err(syntax(
                        "string values must be quoted, as in status:\"open\"",
                        value_pos,
                    ));
                }
            }
            None => return Err(syntax("expected a value after the operator", value_pos)),
        };
        if self.peek().is_some_and(|c| !c.is_whitespace()) {
            return Err(syntax(
                "expected a space between clauses (parentheses are not supported)",
                self.pos,
            ));
        }
        check_types(&field, op, &value)?;
        Ok(Clause {
            negated,
            field,
            op,
            value,
        })
    }
}

fn check_types(field: &FieldRef, op: Op, value: &QValue) -> Result<(), String> {
    let (name, kind) = match field {
        FieldRef::Named(n, k) => (n.to_string(), *k),
        FieldRef::Metadata(k) => (format!("metadata[\"{k}\"]"), Kind::Token),
    };
    let op_ok = match kind {
        Kind::Numeric => op != Op::Tilde,
        Kind::Str => matches!(op, Op::Colon | Op::Tilde),
        Kind::Token => op == Op::Colon,
    };
    if !op_ok {
        let kind_name = match kind {
            Kind::Numeric => "numeric",
            Kind::Str => "string",
            Kind::Token => "token",
        };
        return Err(format!(
            "Invalid search query: the operator '{}' is not supported for the {kind_name} \
             field {name}.",
            op.as_str()
        ));
    }
    match (kind, value) {
        (_, QValue::Null) if op == Op::Colon => Ok(()),
        (_, QValue::Null) => Err(format!(
            "Invalid search query: null can only be used with ':' (field {name})."
        )),
        (Kind::Numeric, QValue::Num(_)) => Ok(()),
        (Kind::Numeric, QValue::Str(s)) if s.trim().parse::<i64>().is_ok() => Ok(()),
        (Kind::Numeric, QValue::Str(_)) => Err(format!(
            "Invalid search query: the numeric field {name} must be compared with a number."
        )),
        (_, QValue::Num(_)) => Err(format!(
            "Invalid search query: string values must be quoted (field {name})."
        )),
        (_, QValue::Str(s)) if op == Op::Tilde && s.chars().count() < 3 => Err(format!(
            "Invalid search query: substring matches (~) need a value of at least 3 \
             characters (field {name})."
        )),
        _ => Ok(()),
    }
}

/// Parses a query; `Err` carries the message for a 400 with `param: query`.
pub fn parse(query: &str) -> Result<Query, String> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(format!(
            "Invalid search query: queries can be at most {MAX_QUERY_CHARS} characters long."
        ));
    }
    let mut s = Scanner {
        chars: query.chars().collect(),
        pos: 0,
    };
    s.skip_ws();
    if s.peek().is_none() {
        return Err("Invalid search query: the query is empty.".to_string());
    }
    let mut clauses = vec![s.clause()?];
    let mut join: Option<Join> = None;
    loop {
        let had_ws = s.skip_ws();
        if s.peek().is_none() {
            break;
        }
        if !had_ws {
            return Err(syntax("expected a space between clauses", s.pos));
        }
        let word = s.word_ahead();
        let this = if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
            let kw_pos = s.pos;
            s.pos += word.chars().count();
            if !s.skip_ws() || s.peek().is_none() {
                return Err(syntax(
                    &format!("expected a clause after {}", word.to_uppercase()),
                    kw_pos,
                ));
            }
            if word.eq_ignore_ascii_case("and") {
                Join::And
            } else {
                Join::Or
            }
        } else {
            // A bare space is an implicit AND.
            Join::And
        };
        match join {
            Some(j) if j != this => {
                return Err(
                    "Invalid search query: AND and OR cannot be combined in one query \
                     (a space between clauses counts as AND)."
                        .to_string(),
                )
            }
            _ => join = Some(this),
        }
        clauses.push(s.clause()?);
        if clauses.len() > MAX_CLAUSES {
            return Err(format!(
                "Invalid search query: a query can have at most {MAX_CLAUSES} clauses."
            ));
        }
    }
    Ok(Query {
        clauses,
        join: join.unwrap_or(Join::And),
    })
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `:` on a string field: all of the query's words, in order, as a phrase.
fn phrase_match(hay: &str, needle: &str) -> bool {
    let q = words(needle);
    if q.is_empty() {
        return hay.trim().eq_ignore_ascii_case(needle.trim());
    }
    let h = words(hay);
    h.windows(q.len()).any(|w| w == q.as_slice())
}

fn num(v: &QValue) -> Option<i64> {
    match v {
        QValue::Num(n) => Some(*n),
        QValue::Str(s) => s.trim().parse().ok(),
        QValue::Null => None,
    }
}

fn clause_matches(c: &Clause, d: &Doc) -> bool {
    let hit = match &c.field {
        FieldRef::Metadata(k) => match (&c.value, d.metadata.get(k)) {
            (QValue::Null, v) => v.is_none(),
            (QValue::Str(want), Some(have)) => want == have,
            _ => false,
        },
        FieldRef::Named(name, Kind::Numeric) => {
            let have = if *name == "created" {
                d.created
            } else {
                d.total
            };
            match (c.op, num(&c.value)) {
                (_, None) => false,
                (Op::Colon | Op::Eq, Some(n)) => have == n,
                (Op::Gt, Some(n)) => have > n,
                (Op::Lt, Some(n)) => have < n,
                (Op::Ge, Some(n)) => have >= n,
                (Op::Le, Some(n)) => have <= n,
                (Op::Tilde, _) => false,
            }
        }
        FieldRef::Named(name, kind) => {
            let have: Option<&str> = match *name {
                "currency" => Some(d.currency),
                "customer" => Some(d.customer),
                "status" => Some(d.status),
                "number" => d.number,
                // Never set by the mock: no receipts, subscriptions or finalization errors.
                _ => None,
            };
            match (&c.value, have) {
                (QValue::Null, h) => h.is_none(),
                (QValue::Str(_), None) | (QValue::Num(_), _) => false,
                (QValue::Str(want), Some(h)) => match (kind, c.op) {
                    (Kind::Token, _) => want == h,
                    (_, Op::Tilde) => h.to_lowercase().contains(&want.to_lowercase()),
                    _ => phrase_match(h, want),
                },
            }
        }
    };
    hit != c.negated
}

/// Where a search can start instead of reading every invoice: what every match must have.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every match has this customer.
    pub customer: Option<String>,
    /// Every match has this status (a status name as stored).
    pub status: Option<&'static str>,
    /// Every match's `created` lies in this inclusive range.
    pub created: Option<(i64, i64)>,
}

const STATUSES: &[&str] = &["draft", "open", "paid", "uncollectible", "void"];

impl Query {
    /// Does matching need the invoice's total (computed, unlike the other fields)?
    pub fn uses_total(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| c.field == FieldRef::Named("total", Kind::Numeric))
    }

    /// What the clauses imply for every match. Only AND queries narrow; a narrowing is only
    /// taken where the clause's own test ([`clause_matches`]) can match nothing outside it.
    pub fn plan(&self) -> Plan {
        let mut plan = Plan::default();
        if self.join != Join::And {
            return plan;
        }
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        for c in self.clauses.iter().filter(|c| !c.negated) {
            match (&c.field, &c.value) {
                (FieldRef::Named("customer", _), QValue::Str(v)) => plan.customer = Some(v.clone()),
                (FieldRef::Named("status", _), QValue::Str(v)) if c.op == Op::Colon => {
                    let w = words(v);
                    if let [one] = w.as_slice() {
                        if let Some(s) = STATUSES.iter().find(|s| **s == one.as_str()) {
                            plan.status = Some(s);
                        }
                    }
                }
                (FieldRef::Named("created", _), v) => {
                    let Some(n) = num(v) else { continue };
                    match c.op {
                        Op::Colon | Op::Eq => {
                            lo = lo.max(n);
                            hi = hi.min(n);
                        }
                        Op::Gt => lo = lo.max(n.saturating_add(1)),
                        Op::Ge => lo = lo.max(n),
                        Op::Lt => hi = hi.min(n.saturating_sub(1)),
                        Op::Le => hi = hi.min(n),
                        Op::Tilde => {}
                    }
                }
                _ => {}
            }
        }
        if (lo, hi) != (i64::MIN, i64::MAX) {
            plan.created = Some((lo, hi));
        }
        plan
    }

    pub fn matches(&self, d: &Doc) -> bool {
        match self.join {
            Join::And => self.clauses.iter().all(|c| clause_matches(c, d)),
            Join::Or => self.clauses.iter().any(|c| clause_matches(c, d)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(m: &'a IndexMap<String, String>) -> Doc<'a> {
        Doc {
            created: 1000,
            total: 1099,
            currency: "usd",
            customer: "cus_A",
            status: "open",
            number: Some("9545A614-0001"),
            metadata: m,
        }
    }

    fn m(q: &str) -> bool {
        let mut md = IndexMap::new();
        md.insert("order".to_string(), "42".to_string());
        parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .matches(&doc(&md))
    }

    #[test]
    fn operators() {
        assert!(m("status:\"open\""));
        assert!(m("status:\"OPEN\""));
        assert!(!m("status:\"paid\""));
        assert!(m("total>1000"));
        assert!(m("total>=1099"));
        assert!(!m("total<1099"));
        assert!(m("total<=1099 created=1000"));
        assert!(m("total:1099"));
        assert!(m("number~\"45a6\""));
        assert!(m("number:\"9545a614 0001\""));
        assert!(!m("number:\"0001 9545a614\""));
        assert!(m("currency:\"usd\""));
        assert!(!m("currency:\"USD\""));
        assert!(m("customer:'cus_A'"));
    }

    /// Every narrowing the plan takes holds for every document the query matches.
    #[test]
    fn plan_never_excludes_a_match() {
        let md = IndexMap::new();
        let queries = [
            "customer:\"cus_A\"",
            "status:\"OPEN\" total>5",
            "status:\"open!\"",
            "status:\"open paid\"",
            "-status:\"paid\"",
            "status:\"paid\" OR customer:\"cus_B\"",
            "created>999 created<=1000",
            "created:1000",
            "created>=\"1000\"",
            "status~\"ope\"",
        ];
        for q in queries {
            let parsed = parse(q).unwrap();
            let plan = parsed.plan();
            for status in STATUSES {
                for customer in ["cus_A", "cus_B"] {
                    for created in [998, 999, 1000, 1001] {
                        let d = Doc {
                            created,
                            total: 10,
                            currency: "usd",
                            customer,
                            status,
                            number: None,
                            metadata: &md,
                        };
                        if !parsed.matches(&d) {
                            continue;
                        }
                        assert!(
                            plan.customer.as_deref().is_none_or(|c| c == customer),
                            "{q}"
                        );
                        assert!(plan.status.is_none_or(|s| s == *status), "{q}");
                        assert!(
                            plan.created
                                .is_none_or(|(lo, hi)| lo <= created && created <= hi),
                            "{q}"
                        );
                    }
                }
            }
        }
        assert_eq!(
            parse("status:\"OPEN\"").unwrap().plan().status,
            Some("open")
        );
        assert_eq!(
            parse("status:\"open\" OR total>1").unwrap().plan(),
            Plan::default()
        );
        assert_eq!(
            parse("created>5 created<=9").unwrap().plan().created,
            Some((6, 9))
        );
    }

    #[test]
    fn boolean_structure_and_negation() {
        assert!(m("status:\"open\" AND total>5"));
        assert!(m("status:\"open\" and total>5"));
        assert!(!m("status:\"paid\" AND total>5"));
        assert!(m("status:\"paid\" OR total>5"));
        assert!(m("status:\"paid\" or total>5"));
        assert!(m("-status:\"paid\""));
        assert!(!m("-status:\"open\""));
        let e = parse("status:\"a\" AND total>1 OR total<2").unwrap_err();
        assert!(e.contains("cannot be combined"));
        let e = parse("status:\"a\" total>1 OR total<2").unwrap_err();
        assert!(e.contains("cannot be combined"));
    }

    #[test]
    fn metadata_and_null() {
        assert!(m("metadata[\"order\"]:\"42\""));
        assert!(m("metadata['order']:'42'"));
        assert!(!m("metadata[\"order\"]:\"4\""));
        assert!(m("-metadata[\"order\"]:null"));
        assert!(m("metadata[\"other\"]:null"));
        assert!(m("receipt_number:null"));
        assert!(m("number:\"9545A614-0001\""));
        assert!(m("status:\"a \\\"quoted\\\" word\" OR total>0"));
    }

    #[test]
    fn errors() {
        assert!(parse("amount<1")
            .unwrap_err()
            .contains("Field 'amount' is an unsupported"));
        assert!(parse("status>\"open\"")
            .unwrap_err()
            .contains("operator '>'"));
        assert!(parse("currency~\"usd\"")
            .unwrap_err()
            .contains("operator '~'"));
        assert!(parse("number~\"ab\"").unwrap_err().contains("at least 3"));
        assert!(parse("status:open").unwrap_err().contains("must be quoted"));
        assert!(parse("status:\"open").unwrap_err().contains("unterminated"));
        assert!(parse("(status:\"open\")").is_err());
        assert!(parse("status:\"open\" AND").is_err());
        assert!(parse("   ").is_err());
        let q = ["total>1"; 11].join(" ");
        assert!(parse(&q).unwrap_err().contains("at most 10"));
        assert!(parse(&["total>1"; 10].join(" AND ")).is_ok());
        assert!(parse("total>\"abc\"").is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(q in "\\PC{0,120}") {
                if let Ok(parsed) = parse(&q) {
                    let md = IndexMap::new();
                    let d = Doc { created: 1, total: 2, currency: "usd", customer: "c",
                        status: "open", number: None, metadata: &md };
                    let _ = parsed.matches(&d);
                }
            }

            #[test]
            fn never_panics_on_grammar_soup(
                q in "(-?(status|total|number|metadata\\[\"k\"\\]|created)(:|~|>=|<=|>|<|=)(\"[a-z\\\\\"]{0,5}\"?|[0-9]{1,3}|null)( |  | AND | OR | and ))*"
            ) {
                let _ = parse(&q);
            }
        }
    }
}
