//! Request-parameter validation against Stripe's own parameter trees, per operation and API
//! version (`data/params.json`, derived from the official SDK type definitions by
//! `tests/it/mock/params_data.rs`). It turns a decoded form tree into typed JSON and produces
//! Stripe's validation errors (reference §2.4): `parameter_unknown`, `parameter_missing`, enum
//! errors without a code, `parameter_invalid_integer`, range messages, `parameter_invalid_empty`.
//!
//! A parameter the version's tree lacks is `parameter_unknown`, exactly as Stripe answers. A
//! parameter Stripe knows but the mock does not model is refused explicitly (see
//! [`unsupported`]) instead of being ignored.
//!
//! In the validated output an empty string on a parameter that may be unset becomes JSON `null`,
//! so handlers can tell "absent" (no key) from "unset" (`null`) from "set".

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::error::ApiError;
use super::form::{as_list, FormValue, Params};
use super::versions::{ApiVersion, VERSIONS};

/// The operations whose parameters the mock validates (`resource.operation` in the data file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    CustomerCreate,
    CustomerDelete,
    CustomerList,
    CustomerRetrieve,
    CustomerUpdate,
    PaymentList,
    PaymentRetrieve,
    ItemCreate,
    ItemDelete,
    ItemList,
    ItemRetrieve,
    ItemUpdate,
    AddLines,
    AttachPayment,
    InvoiceCreate,
    CreatePreview,
    InvoiceDelete,
    Finalize,
    InvoiceList,
    Lines,
    UpcomingLines,
    MarkUncollectible,
    Pay,
    RemoveLines,
    InvoiceRetrieve,
    Upcoming,
    Search,
    Send,
    InvoiceUpdate,
    UpdateLine,
    UpdateLines,
    Void,
    // Hand-written trees (not in the SDK schemas): the catalog objects invoices refer to.
    CouponCreate,
    TaxRateCreate,
    ProductCreate,
    PriceCreate,
    CatalogRetrieve,
    PaymentMethodAttach,
}

impl Op {
    pub const ALL: [Op; 38] = [
        Op::CustomerCreate,
        Op::CustomerDelete,
        Op::CustomerList,
        Op::CustomerRetrieve,
        Op::CustomerUpdate,
        Op::PaymentList,
        Op::PaymentRetrieve,
        Op::ItemCreate,
        Op::ItemDelete,
        Op::ItemList,
        Op::ItemRetrieve,
        Op::ItemUpdate,
        Op::AddLines,
        Op::AttachPayment,
        Op::InvoiceCreate,
        Op::CreatePreview,
        Op::InvoiceDelete,
        Op::Finalize,
        Op::InvoiceList,
        Op::Lines,
        Op::UpcomingLines,
        Op::MarkUncollectible,
        Op::Pay,
        Op::RemoveLines,
        Op::InvoiceRetrieve,
        Op::Upcoming,
        Op::Search,
        Op::Send,
        Op::InvoiceUpdate,
        Op::UpdateLine,
        Op::UpdateLines,
        Op::Void,
        Op::CouponCreate,
        Op::TaxRateCreate,
        Op::ProductCreate,
        Op::PriceCreate,
        Op::CatalogRetrieve,
        Op::PaymentMethodAttach,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::CustomerCreate => "customers.create",
            Op::CustomerDelete => "customers.del",
            Op::CustomerList => "customers.list",
            Op::CustomerRetrieve => "customers.retrieve",
            Op::CustomerUpdate => "customers.update",
            Op::PaymentList => "invoice_payments.list",
            Op::PaymentRetrieve => "invoice_payments.retrieve",
            Op::ItemCreate => "invoiceitems.create",
            Op::ItemDelete => "invoiceitems.del",
            Op::ItemList => "invoiceitems.list",
            Op::ItemRetrieve => "invoiceitems.retrieve",
            Op::ItemUpdate => "invoiceitems.update",
            Op::AddLines => "invoices.add_lines",
            Op::AttachPayment => "invoices.attach_payment",
            Op::InvoiceCreate => "invoices.create",
            Op::CreatePreview => "invoices.create_preview",
            Op::InvoiceDelete => "invoices.del",
            Op::Finalize => "invoices.finalize_invoice",
            Op::InvoiceList => "invoices.list",
            Op::Lines => "invoices.list_line_items",
            Op::UpcomingLines => "invoices.list_upcoming_lines",
            Op::MarkUncollectible => "invoices.mark_uncollectible",
            Op::Pay => "invoices.pay",
            Op::RemoveLines => "invoices.remove_lines",
            Op::InvoiceRetrieve => "invoices.retrieve",
            Op::Upcoming => "invoices.retrieve_upcoming",
            Op::Search => "invoices.search",
            Op::Send => "invoices.send_invoice",
            Op::InvoiceUpdate => "invoices.update",
            Op::UpdateLine => "invoices.update_line_item",
            Op::UpdateLines => "invoices.update_lines",
            Op::Void => "invoices.void_invoice",
            Op::CouponCreate => "coupons.create",
            Op::TaxRateCreate => "tax_rates.create",
            Op::ProductCreate => "products.create",
            Op::PriceCreate => "prices.create",
            Op::CatalogRetrieve => "catalog.retrieve",
            Op::PaymentMethodAttach => "payment_methods.attach",
        }
    }
}

type NodeId = u32;

#[derive(Debug)]
enum Node {
    Str,
    /// A decimal string (`unit_amount_decimal`, `quantity_decimal`).
    Dec,
    Num,
    Bool,
    /// Any shape (parameters the SDK types loosely); kept as given.
    Any,
    /// `metadata`: string → string, `metadata[k]=` deletes k, `metadata=` clears all.
    Meta,
    Enum(Vec<String>),
    Obj(Vec<Field>),
    Arr(NodeId),
    Map(NodeId),
    Union(Vec<NodeId>),
    /// Not a parameter: an object's `expand[]` paths.
    Paths(Vec<String>),
}

#[derive(Debug)]
struct Field {
    name: String,
    node: NodeId,
    required: bool,
    /// `''` is accepted and means "unset" (reference §1.3).
    empty_ok: bool,
}

struct Data {
    nodes: Vec<Node>,
    /// `roots[op][version index]`.
    roots: Vec<Vec<Option<NodeId>>>,
    /// `(object, [version index] → paths node)`.
    expandable: Vec<(String, Vec<Option<NodeId>>)>,
}

const DATA: &str = include_str!("data/params.json");

fn parse_node(v: &Value) -> Option<Node> {
    let a = v.as_array()?;
    let id = |x: &Value| x.as_u64().map(|n| n as NodeId);
    Some(match a.first()?.as_str()? {
        "str" => Node::Str,
        "dec" => Node::Dec,
        "num" => Node::Num,
        "bool" => Node::Bool,
        "any" => Node::Any,
        "meta" => Node::Meta,
        "enum" => Node::Enum(
            a.get(1)?
                .as_array()?
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
        ),
        "obj" => Node::Obj(
            a.get(1)?
                .as_array()?
                .iter()
                .filter_map(|f| {
                    let f = f.as_array()?;
                    let flags = f.get(2)?.as_u64()?;
                    Some(Field {
                        name: f.first()?.as_str()?.to_string(),
                        node: id(f.get(1)?)?,
                        required: flags & 1 != 0,
                        empty_ok: flags & 2 != 0,
                    })
                })
                .collect(),
        ),
        "arr" => Node::Arr(id(a.get(1)?)?),
        "map" => Node::Map(id(a.get(1)?)?),
        "union" => Node::Union(a.get(1)?.as_array()?.iter().filter_map(id).collect()),
        "paths" => Node::Paths(
            a.get(1)?
                .as_array()?
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
        ),
        _ => return None,
    })
}

/// Loads the tables now (see [`crate::mock::warm_up`]).
pub(super) fn load() {
    let _ = data();
}

/// Parsed once, by [`crate::mock::warm_up`]'s thread or else on the first request; a broken
/// embedded file is a build defect that the `params_data` test catches, so it panics loudly
/// rather than serving without validation.
fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        let v: Value = serde_json::from_str(DATA).expect("embedded params.json parses");
        let nodes: Vec<Node> = v["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| parse_node(n).expect("params.json node"))
            .collect();
        let versions: Vec<&str> = v["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let names: Vec<&str> = VERSIONS.iter().map(|v| v.name).collect();
        assert_eq!(
            versions, names,
            "params.json versions = the version model's"
        );
        let roots = Op::ALL
            .iter()
            .map(|op| {
                v["ops"][op.name()]
                    .as_array()
                    .expect("op roots")
                    .iter()
                    .map(|r| r.as_i64().filter(|n| *n >= 0).map(|n| n as NodeId))
                    .collect()
            })
            .collect();
        let per_version = |x: &Value| -> Vec<Option<NodeId>> {
            x.as_array()
                .expect("per-version list")
                .iter()
                .map(|r| r.as_i64().filter(|n| *n >= 0).map(|n| n as NodeId))
                .collect()
        };
        let expandable = v["expandable"]
            .as_object()
            .expect("expandable")
            .iter()
            .map(|(k, x)| (k.clone(), per_version(x)))
            .collect();
        Data {
            nodes,
            roots,
            expandable,
        }
    })
}

fn version_index(version: &ApiVersion) -> Option<usize> {
    VERSIONS.iter().position(|v| std::ptr::eq(v, version))
}

/// The `expand[]` paths the SDK marks on `object` (`Invoice`, `InvoiceLineItem`, …) at the
/// version.
pub fn expandable(object: &str, version: &ApiVersion) -> &'static [String] {
    let d = data();
    let vi = version_index(version);
    let node = d
        .expandable
        .iter()
        .find(|(k, _)| k == object)
        .and_then(|(_, per)| vi.and_then(|i| per[i]));
    match node.map(|n| &d.nodes[n as usize]) {
        Some(Node::Paths(p)) => p,
        _ => &[],
    }
}

/// Does the version have the operation at all?
pub fn has_op(op: Op, version: &ApiVersion) -> bool {
    root(op, version).is_some()
}

fn root(op: Op, version: &ApiVersion) -> Option<NodeId> {
    let vi = version_index(version)?;
    let oi = Op::ALL.iter().position(|o| *o == op)?;
    data().roots[oi][vi]
}

/// Bounds Stripe enforces that the SDK types do not carry, by parameter name (at any depth).
/// They also keep every sum the mock computes far inside i64.
const BOUNDS: &[(&str, i64, i64)] = &[
    ("limit", 1, 100),
    ("amount", -99_999_999, 99_999_999),
    ("unit_amount", -99_999_999, 99_999_999),
    ("quantity", 0, 1_000_000),
    ("days_until_due", 0, 36_500),
    ("balance", -999_999_999_999, 999_999_999_999),
    ("next_invoice_sequence", 1, 1_000_000_000),
];

/// The recorded order of Stripe's invoice-status enum message (the SDK sorts the values).
const STATUS_ORDER: &[&str] = &["draft", "open", "void", "paid", "uncollectible"];

/// Which of an operation's top-level parameters the mock models.
#[derive(Clone, Copy, Debug)]
pub enum Supported {
    All,
    Only(&'static [&'static str]),
}

impl Supported {
    fn has(self, name: &str) -> bool {
        match self {
            Supported::All => true,
            Supported::Only(list) => list.contains(&name),
        }
    }
}

/// Checks `params` against the operation's tree at the request's version and returns typed
/// JSON. `supported` says which top-level parameters the mock models; every other parameter the
/// version knows is refused by [`unsupported`].
pub fn validate(
    op: Op,
    version: &ApiVersion,
    params: &Params,
    supported: Supported,
) -> Result<Map<String, Value>, ApiError> {
    let d = data();
    let Some(Node::Obj(fields)) = root(op, version).map(|r| &d.nodes[r as usize]) else {
        return Err(ApiError::invalid("This operation has no parameter schema."));
    };
    // Unknown names first, in request order: Stripe names the first stray parameter even when
    // others are also wrong.
    for name in params.keys() {
        if !fields.iter().any(|f| f.name == *name) {
            return Err(ApiError::unknown_param(name));
        }
    }
    for name in params.keys() {
        if !supported.has(name) {
            return Err(unsupported(name));
        }
    }
    object(d, fields, params, None)
}

/// A parameter Stripe knows at this version but the mock does not model.
pub fn unsupported(path: &str) -> ApiError {
    ApiError::invalid(format!(
        "The apiparity mock does not support the parameter {path}. It models Stripe's invoice \
         flows only; see docs/mock.md for the supported parameters."
    ))
    .param(path)
}

fn path_of(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}[{name}]"),
        None => name.to_string(),
    }
}

fn object(
    d: &Data,
    fields: &[Field],
    given: &indexmap::IndexMap<String, FormValue>,
    parent: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (name, v) in given {
        let path = path_of(parent, name);
        let Some(field) = fields.iter().find(|f| f.name == *name) else {
            return Err(ApiError::unknown_param(&path));
        };
        out.insert(name.clone(), field_value(d, field, v, &path)?);
    }
    for f in fields.iter().filter(|f| f.required) {
        if !out.contains_key(&f.name) {
            return Err(ApiError::missing_param(&path_of(parent, &f.name)));
        }
    }
    Ok(out)
}

fn invalid_empty(path: &str) -> ApiError {
    ApiError::invalid(format!(
        "You passed an empty string for '{path}'. We assume empty values are an attempt to \
         unset a parameter; however '{path}' cannot be unset. You should remove '{path}' from \
         your request or supply a non-empty value."
    ))
    .code("parameter_invalid_empty")
    .param(path)
}

fn int(path: &str, v: &FormValue) -> Result<i64, ApiError> {
    match v {
        FormValue::Str(s) => s.trim().parse::<i64>().map_err(|_| {
            ApiError::invalid(format!("Invalid integer: {s}"))
                .code("parameter_invalid_integer")
                .param(path)
        }),
        _ => Err(ApiError::invalid("Invalid integer")
            .code("parameter_invalid_integer")
            .param(path)),
    }
}

fn leaf_name(path: &str) -> &str {
    let last = path.rsplit('[').next().unwrap_or(path);
    last.strip_suffix(']').unwrap_or(last)
}

/// String parameters that name an object or a cursor: `''` cannot unset them (Stripe answers
/// `parameter_invalid_empty`). Other optional strings take `''` as "unset" (the SDK types mark
/// only non-string parameters as emptyable, since `''` is already a string).
const NOT_UNSETTABLE: &[&str] = &[
    "customer",
    "invoice",
    "currency",
    "price",
    "product",
    "query",
    "page",
    "starting_after",
    "ending_before",
    "id",
    "payment_intent",
    "payment_method",
    "source",
    "coupon",
    "discount",
    "promotion_code",
    "invoice_item",
    "invoiceitem",
    "customer_account",
    "subscription",
];

fn field_value(d: &Data, field: &Field, v: &FormValue, path: &str) -> Result<Value, ApiError> {
    if let FormValue::Str(s) = v {
        if s.is_empty() {
            let node = &d.nodes[field.node as usize];
            if matches!(node, Node::Enum(vals) if vals.iter().any(|x| x.is_empty())) {
                return Ok(Value::String(String::new()));
            }
            let string_unset = matches!(node, Node::Str | Node::Dec)
                && !field.required
                && !NOT_UNSETTABLE.contains(&field.name.as_str());
            return if field.empty_ok || string_unset {
                Ok(Value::Null)
            } else {
                Err(invalid_empty(path))
            };
        }
    }
    value(d, field.node, v, path)
}

fn value(d: &Data, id: NodeId, v: &FormValue, path: &str) -> Result<Value, ApiError> {
    match &d.nodes[id as usize] {
        Node::Str => match v {
            FormValue::Str(s) => Ok(Value::String(s.clone())),
            _ => Err(ApiError::invalid("Invalid string").param(path)),
        },
        Node::Dec => match v {
            FormValue::Str(s) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
                Ok(Value::String(s.trim().to_string()))
            }
            FormValue::Str(s) => {
                Err(ApiError::invalid(format!("Invalid decimal: {s}")).param(path))
            }
            _ => Err(ApiError::invalid("Invalid decimal").param(path)),
        },
        Node::Num => {
            let n = int(path, v)?;
            if let Some((_, min, max)) = BOUNDS.iter().find(|(k, _, _)| *k == leaf_name(path)) {
                if n < *min {
                    return Err(ApiError::invalid(format!(
                        "This value must be greater than or equal to {min}."
                    ))
                    .param(path));
                }
                if n > *max {
                    return Err(ApiError::invalid(format!(
                        "This value must be less than or equal to {max}."
                    ))
                    .param(path));
                }
            }
            Ok(n.into())
        }
        Node::Bool => match v {
            FormValue::Str(s) if s == "true" => Ok(Value::Bool(true)),
            FormValue::Str(s) if s == "false" => Ok(Value::Bool(false)),
            FormValue::Str(s) => {
                Err(ApiError::invalid(format!("Invalid boolean: {s}")).param(path))
            }
            _ => Err(ApiError::invalid("Invalid boolean").param(path)),
        },
        Node::Enum(values) => match v {
            FormValue::Str(s) if values.iter().any(|x| x == s) => Ok(Value::String(s.clone())),
            _ => {
                let mut listed: Vec<&str> = values.iter().map(String::as_str).collect();
                let mut sorted_status = STATUS_ORDER.to_vec();
                sorted_status.sort();
                if listed == sorted_status {
                    listed = STATUS_ORDER.to_vec();
                }
                listed.retain(|x| !x.is_empty());
                Err(ApiError::bad_enum(path, &listed))
            }
        },
        Node::Obj(fields) => match v {
            FormValue::Map(m) => Ok(Value::Object(object(d, fields, m, Some(path))?)),
            _ => Err(ApiError::invalid("Invalid hash").param(path)),
        },
        Node::Meta => match v {
            FormValue::Map(m) => metadata(m, path),
            _ => Err(ApiError::invalid("Invalid hash").param(path)),
        },
        Node::Map(inner) => match v {
            FormValue::Map(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    out.insert(k.clone(), value(d, *inner, x, &format!("{path}[{k}]"))?);
                }
                Ok(Value::Object(out))
            }
            _ => Err(ApiError::invalid("Invalid hash").param(path)),
        },
        Node::Arr(item) => {
            let Some(items) = as_list(v) else {
                return Err(ApiError::invalid("Invalid array").param(path));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items {
                let p = format!("{path}[{i}]");
                if matches!(x, FormValue::Str(s) if s.is_empty()) {
                    return Err(invalid_empty(&p));
                }
                out.push(value(d, *item, x, &p)?);
            }
            Ok(Value::Array(out))
        }
        Node::Union(variants) => {
            let mut first_err = None;
            // Object variants answer maps, scalar variants answer strings.
            for vid in variants {
                let is_obj = matches!(d.nodes[*vid as usize], Node::Obj(_) | Node::Map(_));
                if is_obj != matches!(v, FormValue::Map(_)) {
                    continue;
                }
                match value(d, *vid, v, path) {
                    Ok(x) => return Ok(x),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            Err(first_err.unwrap_or_else(|| match v {
                FormValue::Map(_) => ApiError::invalid("Invalid string").param(path),
                _ => ApiError::invalid("Invalid hash").param(path),
            }))
        }
        Node::Any | Node::Paths(_) => Ok(any(v)),
    }
}

fn any(v: &FormValue) -> Value {
    match v {
        FormValue::Str(s) => Value::String(s.clone()),
        FormValue::List(items) => Value::Array(items.iter().map(any).collect()),
        FormValue::Map(m) => match as_list(v) {
            Some(items) if !m.is_empty() => {
                Value::Array(items.into_iter().map(|(_, x)| any(x)).collect())
            }
            _ => Value::Object(m.iter().map(|(k, x)| (k.clone(), any(x))).collect()),
        },
    }
}

fn metadata(m: &indexmap::IndexMap<String, FormValue>, path: &str) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for (k, v) in m {
        let p = format!("{path}[{k}]");
        if k.chars().count() > 40 {
            return Err(ApiError::invalid(format!(
                "Metadata keys can have up to 40 characters, but '{k}' has {}.",
                k.chars().count()
            ))
            .param(p));
        }
        match v {
            FormValue::Str(s) if s.is_empty() => {
                out.insert(k.clone(), Value::Null);
            }
            FormValue::Str(s) => {
                if s.chars().count() > 500 {
                    return Err(ApiError::invalid(
                        "Metadata values can have up to 500 characters.",
                    )
                    .param(p));
                }
                out.insert(k.clone(), Value::String(s.clone()));
            }
            _ => return Err(ApiError::invalid("Invalid string").param(p)),
        }
    }
    Ok(Value::Object(out))
}

/// Typed access to validated parameters.
pub struct P(pub Map<String, Value>);

impl P {
    pub fn has(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.0.get(k)
    }
    /// A set (non-null) string.
    pub fn str(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(Value::as_str)
    }
    pub fn int(&self, k: &str) -> Option<i64> {
        self.0.get(k).and_then(Value::as_i64)
    }
    pub fn bool(&self, k: &str) -> Option<bool> {
        self.0.get(k).and_then(Value::as_bool)
    }
    /// Absent → `None`; `''` → `Some(None)`; set → `Some(Some(s))`.
    pub fn tri_str(&self, k: &str) -> Option<Option<String>> {
        self.0.get(k).map(|v| v.as_str().map(str::to_string))
    }
    pub fn tri_int(&self, k: &str) -> Option<Option<i64>> {
        self.0.get(k).map(Value::as_i64)
    }
    pub fn expand(&self) -> Vec<String> {
        match self.0.get("expand") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Applies a validated `metadata` value to a stored map: `null` clears everything, a `null`
/// entry deletes that key. Stripe caps metadata at 50 keys.
pub fn apply_metadata(
    store: &mut indexmap::IndexMap<String, String>,
    v: Option<&Value>,
) -> Result<(), ApiError> {
    let mut next = store.clone();
    match v {
        None => return Ok(()),
        Some(Value::Null) => next.clear(),
        Some(Value::Object(m)) => {
            for (k, x) in m {
                match x.as_str() {
                    Some(s) => {
                        next.insert(k.clone(), s.to_string());
                    }
                    None => {
                        next.shift_remove(k);
                    }
                }
            }
        }
        Some(_) => return Err(ApiError::invalid("Invalid hash").param("metadata")),
    }
    if next.len() > 50 {
        return Err(
            ApiError::invalid("Invalid metadata: metadata can have at most 50 keys.")
                .param("metadata"),
        );
    }
    *store = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::form::parse;
    use crate::mock::versions::lookup;

    fn v(op: Op, version: &str, q: &str) -> Result<Map<String, Value>, ApiError> {
        let version = lookup(version).unwrap();
        let tree = parse(q.as_bytes()).unwrap();
        validate(op, version, &tree, Supported::All)
    }
    const B: &str = "2025-03-31.basil";

    #[test]
    fn every_version_has_every_core_operation() {
        for version in &VERSIONS {
            for op in [
                Op::InvoiceCreate,
                Op::Pay,
                Op::ItemCreate,
                Op::CustomerUpdate,
            ] {
                assert!(has_op(op, version), "{} {}", version.name, op.name());
            }
        }
        assert!(!has_op(Op::PaymentList, lookup("2024-06-20").unwrap()));
        assert!(has_op(Op::Upcoming, lookup("2025-02-24.acacia").unwrap()));
        assert!(!has_op(Op::Upcoming, lookup(B).unwrap()));
    }

    #[test]
    fn unknown_and_missing() {
        let e = v(Op::Search, B, "bogus=1").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: bogus");
        assert_eq!(e.code, Some("parameter_unknown"));
        let e = v(Op::Search, B, "limit=3").unwrap_err();
        assert_eq!(e.message, "Missing required param: query.");
        assert_eq!(e.param.as_deref(), Some("query"));
        let e = v(Op::ItemCreate, B, "customer=c&period[start]=1").unwrap_err();
        assert_eq!(e.message, "Missing required param: period[end].");
        let e = v(Op::ItemCreate, B, "customer=c&period[start]=1&period[x]=2").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: period[x]");
        // Version-dependent names: `price` became `pricing[price]` in basil.
        assert!(v(Op::ItemCreate, "2024-06-20", "customer=c&price=p").is_ok());
        let e = v(Op::ItemCreate, B, "customer=c&price=p").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: price");
        let e = v(Op::ItemCreate, "2024-06-20", "customer=c&pricing[price]=p").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: pricing");
    }

    #[test]
    fn types_and_ranges() {
        let e = v(Op::InvoiceList, B, "limit=abc").unwrap_err();
        assert_eq!(e.message, "Invalid integer: abc");
        assert_eq!(e.code, Some("parameter_invalid_integer"));
        assert_eq!(
            v(Op::InvoiceList, B, "limit=0").unwrap_err().message,
            "This value must be greater than or equal to 1."
        );
        assert_eq!(
            v(Op::InvoiceList, B, "limit=101").unwrap_err().message,
            "This value must be less than or equal to 100."
        );
        let e = v(Op::InvoiceList, B, "status=bogus").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid status: must be one of draft, open, void, paid, or uncollectible"
        );
        assert_eq!(e.code, None);
        let ok = v(Op::InvoiceList, B, "created[gte]=5&due_date=7&limit=3").unwrap();
        assert_eq!(ok["created"]["gte"], 5);
        assert_eq!(ok["due_date"], 7);
        assert_eq!(
            v(Op::Finalize, B, "auto_advance=yes").unwrap_err().message,
            "Invalid boolean: yes"
        );
        assert_eq!(
            v(Op::Finalize, B, "auto_advance=true").unwrap()["auto_advance"],
            true
        );
        let e = v(
            Op::InvoiceCreate,
            B,
            "pending_invoice_items_behavior=include_and_require",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid pending_invoice_items_behavior: must be one of exclude or include"
        );
        assert!(v(
            Op::InvoiceCreate,
            "2023-10-16",
            "pending_invoice_items_behavior=include_and_require"
        )
        .is_ok());
    }

    #[test]
    fn empties_and_metadata() {
        let ok = v(
            Op::InvoiceUpdate,
            B,
            "description=&metadata[a]=&metadata[b]=x",
        )
        .unwrap();
        assert_eq!(ok["description"], Value::Null);
        assert_eq!(ok["metadata"]["a"], Value::Null);
        let e = v(Op::ItemCreate, B, "customer=").unwrap_err();
        assert_eq!(e.code, Some("parameter_invalid_empty"));
        assert_eq!(
            v(Op::InvoiceUpdate, B, "metadata=").unwrap()["metadata"],
            Value::Null
        );
        assert_eq!(
            v(Op::InvoiceUpdate, B, "metadata=x").unwrap_err().message,
            "Invalid hash"
        );
        let mut m = indexmap::IndexMap::new();
        m.insert("a".to_string(), "1".to_string());
        let p = v(Op::InvoiceUpdate, B, "metadata[a]=&metadata[b]=2").unwrap();
        apply_metadata(&mut m, p.get("metadata")).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m["b"], "2");
    }

    #[test]
    fn arrays() {
        let ok = v(
            Op::CustomerCreate,
            B,
            "tax_id_data[0][type]=eu_vat&tax_id_data[0][value]=DE1",
        )
        .unwrap();
        assert_eq!(ok["tax_id_data"][0]["type"], "eu_vat");
        let e = v(Op::CustomerCreate, B, "tax_id_data[0][type]=eu_vat").unwrap_err();
        assert_eq!(e.message, "Missing required param: tax_id_data[0][value].");
        assert_eq!(
            v(Op::InvoiceRetrieve, B, "expand=customer")
                .unwrap_err()
                .message,
            "Invalid array"
        );
        assert_eq!(
            v(Op::InvoiceRetrieve, B, "expand[]=customer").unwrap()["expand"][0],
            "customer"
        );
    }

    #[test]
    fn unsupported_is_explicit() {
        let version = lookup(B).unwrap();
        let tree = parse(b"customer=c&subscription=sub_1").unwrap();
        let e = validate(
            Op::InvoiceCreate,
            version,
            &tree,
            Supported::Only(&["customer"]),
        )
        .unwrap_err();
        assert!(e
            .message
            .contains("does not support the parameter subscription"));
    }

    mod props {
        use super::super::*;
        use crate::mock::form::parse;
        use proptest::prelude::*;

        proptest! {
            /// Any decoded form, against any operation at any version: an answer, never a panic.
            #[test]
            fn validation_never_panics(
                s in "((customer|lines|discounts|metadata|expand|amount|period|price_data|pricing|invoice_items|payment_settings|rendering|shipping_cost|automatic_tax|quantity|created|limit)(\\[(0|1|k|start|end|coupon|price|amount|currency|enabled|pdf|page_size|gte)\\]){0,3}=[a-z0-9]{0,4}&){0,6}",
                op in 0usize..Op::ALL.len(),
                v in 0usize..VERSIONS.len(),
            ) {
                if let Ok(tree) = parse(s.as_bytes()) {
                    let _ = validate(Op::ALL[op], &VERSIONS[v], &tree, Supported::All);
                }
            }
        }
    }
}
