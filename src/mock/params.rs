//! Per-endpoint parameter schemas and the validation that turns a decoded form tree into typed
//! JSON, producing Stripe's validation errors (reference §2.4): `parameter_unknown`,
//! `parameter_missing`, enum errors without a code, `parameter_invalid_integer`, range messages,
//! `parameter_invalid_empty`.
//!
//! In the validated output an empty string on a parameter that may be unset becomes JSON `null`,
//! so handlers can tell "absent" (no key) from "unset" (`null`) from "set".

use serde_json::{Map, Value};

use super::error::ApiError;
use super::form::{as_list, FormValue, Params};

#[derive(Debug)]
pub enum Ty {
    Str,
    Int,
    /// Integer with inclusive bounds (`limit`: 1–100).
    IntRange(i64, i64),
    Bool,
    /// Allowed values in Stripe's own order (the order its error message lists them in).
    Enum(&'static [&'static str]),
    Obj(&'static [Field]),
    /// `metadata`: string → string, `metadata[k]=` deletes k, `metadata=` clears all.
    Meta,
    Arr(&'static Ty),
    /// A timestamp filter: an integer, or `{gt,gte,lt,lte}`.
    Range,
    /// A real Stripe parameter that this mock does not model. Refused with a message that says
    /// so, rather than silently ignored or claimed unknown to Stripe.
    Unsupported,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// `''` is accepted and means "unset" (reference §1.3).
    pub empty_ok: bool,
}

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        empty_ok: false,
    }
}
const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
        empty_ok: false,
    }
}
const fn unset(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        empty_ok: true,
    }
}
const fn no(name: &'static str) -> Field {
    opt(name, Ty::Unsupported)
}

const EXPAND: Field = opt("expand", Ty::Arr(&Ty::Str));

// Bounds that keep every sum the mock computes far inside i64 (Stripe's own caps are lower:
// 8 digits for a USD amount).
const MAX_AMOUNT: i64 = 99_999_999;
const MAX_BALANCE: i64 = 999_999_999_999;
const MAX_QUANTITY: i64 = 1_000_000;
const MAX_DAYS: i64 = 36_500;
const LIMIT: Field = opt("limit", Ty::IntRange(1, 100));

const ADDRESS: &[Field] = &[
    unset("city", Ty::Str),
    unset("country", Ty::Str),
    unset("line1", Ty::Str),
    unset("line2", Ty::Str),
    unset("postal_code", Ty::Str),
    unset("state", Ty::Str),
];
const SHIPPING: &[Field] = &[
    req("name", Ty::Str),
    unset("phone", Ty::Str),
    req("address", Ty::Obj(ADDRESS)),
];
const TAX_ID_DATA: &[Field] = &[req("type", Ty::Str), req("value", Ty::Str)];
const INVOICE_SETTINGS: &[Field] = &[
    unset("default_payment_method", Ty::Str),
    unset("footer", Ty::Str),
    no("custom_fields"),
    no("rendering_options"),
    no("rendering"),
];
const CUSTOM_FIELD: &[Field] = &[req("name", Ty::Str), req("value", Ty::Str)];

/// Customer fields shared by create and update.
macro_rules! customer_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            unset("address", Ty::Obj(ADDRESS)),
            opt("balance", Ty::IntRange(-MAX_BALANCE, MAX_BALANCE)),
            unset("description", Ty::Str),
            unset("email", Ty::Str),
            EXPAND,
            unset("invoice_prefix", Ty::Str),
            opt("invoice_settings", Ty::Obj(INVOICE_SETTINGS)),
            unset("metadata", Ty::Meta),
            unset("name", Ty::Str),
            opt("next_invoice_sequence", Ty::IntRange(1, 1_000_000_000)),
            unset("phone", Ty::Str),
            unset("preferred_locales", Ty::Arr(&Ty::Str)),
            unset("shipping", Ty::Obj(SHIPPING)),
            unset("tax_exempt", Ty::Enum(&["none", "exempt", "reverse"])),
            no("cash_balance"),
            no("coupon"),
            no("promotion_code"),
            no("source"),
            no("tax"),
            no("test_clock"),
            no("validate"),
            $($extra),*
        ]
    };
}

pub const CUSTOMER_CREATE: &[Field] = customer_fields!(
    opt("payment_method", Ty::Str),
    opt("tax_id_data", Ty::Arr(&Ty::Obj(TAX_ID_DATA))),
);
pub const CUSTOMER_UPDATE: &[Field] = customer_fields!(no("default_source"));
pub const RETRIEVE: &[Field] = &[EXPAND];
pub const NONE: &[Field] = &[];
pub const CUSTOMER_LIST: &[Field] = &[
    opt("created", Ty::Range),
    opt("email", Ty::Str),
    opt("ending_before", Ty::Str),
    EXPAND,
    LIMIT,
    opt("starting_after", Ty::Str),
    no("test_clock"),
];

const PERIOD: &[Field] = &[req("end", Ty::Int), req("start", Ty::Int)];
const PRICING: &[Field] = &[opt("price", Ty::Str)];

/// `price` (pre-basil) and `pricing[price]` (basil+) are both listed; the server refuses the one
/// the request's version does not know as an unknown parameter.
pub const ITEM_CREATE: &[Field] = &[
    opt("amount", Ty::IntRange(-MAX_AMOUNT, MAX_AMOUNT)),
    opt("currency", Ty::Str),
    req("customer", Ty::Str),
    opt("description", Ty::Str),
    opt("discountable", Ty::Bool),
    EXPAND,
    opt("invoice", Ty::Str),
    unset("metadata", Ty::Meta),
    opt("period", Ty::Obj(PERIOD)),
    opt("price", Ty::Str),
    opt("pricing", Ty::Obj(PRICING)),
    opt("quantity", Ty::IntRange(0, MAX_QUANTITY)),
    no("discounts"),
    no("price_data"),
    no("quantity_decimal"),
    no("subscription"),
    no("tax_behavior"),
    no("tax_code"),
    no("tax_rates"),
    no("unit_amount"),
    no("unit_amount_decimal"),
    no("customer_account"),
];
pub const ITEM_LIST: &[Field] = &[
    opt("created", Ty::Range),
    opt("customer", Ty::Str),
    opt("ending_before", Ty::Str),
    EXPAND,
    opt("invoice", Ty::Str),
    LIMIT,
    opt("pending", Ty::Bool),
    opt("starting_after", Ty::Str),
];

pub const COLLECTION_METHODS: &[&str] = &["charge_automatically", "send_invoice"];
/// The list filter's order, as Stripe's recorded error message gives it.
pub const STATUSES: &[&str] = &["draft", "open", "void", "paid", "uncollectible"];

macro_rules! invoice_fields {
    ($($extra:expr),* $(,)?) => {
        &[
            opt("auto_advance", Ty::Bool),
            unset("automatically_finalizes_at", Ty::Int),
            opt("collection_method", Ty::Enum(COLLECTION_METHODS)),
            unset("custom_fields", Ty::Arr(&Ty::Obj(CUSTOM_FIELD))),
            opt("days_until_due", Ty::IntRange(0, MAX_DAYS)),
            unset("default_payment_method", Ty::Str),
            unset("description", Ty::Str),
            opt("due_date", Ty::Int),
            unset("effective_at", Ty::Int),
            EXPAND,
            unset("footer", Ty::Str),
            unset("metadata", Ty::Meta),
            unset("number", Ty::Str),
            unset("statement_descriptor", Ty::Str),
            no("account_tax_ids"),
            no("application_fee_amount"),
            no("automatic_tax"),
            no("default_source"),
            no("default_tax_rates"),
            no("discounts"),
            no("issuer"),
            no("on_behalf_of"),
            no("payment_settings"),
            no("rendering"),
            no("rendering_options"),
            no("shipping_cost"),
            no("shipping_details"),
            no("transfer_data"),
            $($extra),*
        ]
    };
}

/// `customer` is required here: the mock models no `from_invoice`/`customer_account` path
/// (reference §5.2 marks this [U]).
pub const INVOICE_CREATE: &[Field] = invoice_fields!(
    opt("currency", Ty::Str),
    req("customer", Ty::Str),
    // Checked against the request's version by the server (the allowed set changed 2022-08-01).
    opt("pending_invoice_items_behavior", Ty::Str),
    no("customer_account"),
    no("from_invoice"),
    no("subscription"),
);
pub const INVOICE_UPDATE: &[Field] = invoice_fields!();
pub const INVOICE_LIST: &[Field] = &[
    opt("collection_method", Ty::Enum(COLLECTION_METHODS)),
    opt("created", Ty::Range),
    opt("customer", Ty::Str),
    opt("due_date", Ty::Range),
    opt("ending_before", Ty::Str),
    EXPAND,
    LIMIT,
    opt("starting_after", Ty::Str),
    opt("status", Ty::Enum(STATUSES)),
    opt("subscription", Ty::Str),
    no("customer_account"),
];
pub const INVOICE_SEARCH: &[Field] = &[EXPAND, LIMIT, opt("page", Ty::Str), req("query", Ty::Str)];
pub const FINALIZE: &[Field] = &[opt("auto_advance", Ty::Bool), EXPAND];
pub const PAY: &[Field] = &[
    EXPAND,
    opt("forgive", Ty::Bool),
    unset("mandate", Ty::Str),
    opt("off_session", Ty::Bool),
    opt("paid_out_of_band", Ty::Bool),
    opt("payment_method", Ty::Str),
    opt("source", Ty::Str),
];
pub const LINES: &[Field] = &[
    opt("ending_before", Ty::Str),
    EXPAND,
    LIMIT,
    opt("starting_after", Ty::Str),
];

/// Checks `params` against `schema` and returns typed JSON.
pub fn validate(schema: &[Field], params: &Params) -> Result<Map<String, Value>, ApiError> {
    // Unknown names first, in request order: Stripe names the first stray parameter even when
    // others are also wrong.
    for name in params.keys() {
        if !schema.iter().any(|f| f.name == name) {
            return Err(ApiError::unknown_param(name));
        }
    }
    object(schema, params, None)
}

fn path_of(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}[{name}]"),
        None => name.to_string(),
    }
}

fn object(
    schema: &[Field],
    given: &indexmap::IndexMap<String, FormValue>,
    parent: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (name, v) in given {
        let path = path_of(parent, name);
        let Some(field) = schema.iter().find(|f| f.name == name) else {
            return Err(ApiError::unknown_param(&path));
        };
        out.insert(name.clone(), value(field, v, &path)?);
    }
    for f in schema.iter().filter(|f| f.required) {
        if !out.contains_key(f.name) {
            return Err(ApiError::missing_param(&path_of(parent, f.name)));
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

fn value(field: &Field, v: &FormValue, path: &str) -> Result<Value, ApiError> {
    if let FormValue::Str(s) = v {
        if s.is_empty() && !matches!(field.ty, Ty::Unsupported) {
            return if field.empty_ok {
                Ok(Value::Null)
            } else {
                Err(invalid_empty(path))
            };
        }
    }
    match &field.ty {
        Ty::Unsupported => Err(ApiError::invalid(format!(
            "The apiparity mock does not support the parameter {path}. It models Stripe's \
             invoice flows only; see docs/mock.md for the supported parameters."
        ))
        .param(path)),
        Ty::Str => match v {
            FormValue::Str(s) => Ok(Value::String(s.clone())),
            _ => Err(ApiError::invalid("Invalid string").param(path)),
        },
        Ty::Int => Ok(int(path, v)?.into()),
        Ty::IntRange(min, max) => {
            let n = int(path, v)?;
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
            Ok(n.into())
        }
        Ty::Bool => match v {
            FormValue::Str(s) if s == "true" => Ok(Value::Bool(true)),
            FormValue::Str(s) if s == "false" => Ok(Value::Bool(false)),
            FormValue::Str(s) => {
                Err(ApiError::invalid(format!("Invalid boolean: {s}")).param(path))
            }
            _ => Err(ApiError::invalid("Invalid boolean").param(path)),
        },
        Ty::Enum(values) => match v {
            FormValue::Str(s) if values.contains(&s.as_str()) => Ok(Value::String(s.clone())),
            _ => Err(ApiError::bad_enum(path, values)),
        },
        Ty::Obj(fields) => match v {
            FormValue::Map(m) => Ok(Value::Object(object(fields, m, Some(path))?)),
            _ => Err(ApiError::invalid("Invalid hash").param(path)),
        },
        Ty::Meta => match v {
            FormValue::Map(m) => metadata(m, path),
            _ => Err(ApiError::invalid("Invalid hash").param(path)),
        },
        Ty::Arr(elem) => {
            let Some(items) = as_list(v) else {
                return Err(ApiError::invalid("Invalid array").param(path));
            };
            let f = Field {
                name: "",
                ty: shallow(elem),
                required: false,
                empty_ok: false,
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items {
                out.push(value(&f, x, &format!("{path}[{i}]"))?);
            }
            Ok(Value::Array(out))
        }
        Ty::Range => match v {
            FormValue::Str(_) => Ok(int(path, v)?.into()),
            FormValue::Map(m) => {
                const BOUNDS: &[Field] = &[
                    opt("gt", Ty::Int),
                    opt("gte", Ty::Int),
                    opt("lt", Ty::Int),
                    opt("lte", Ty::Int),
                ];
                Ok(Value::Object(object(BOUNDS, m, Some(path))?))
            }
            FormValue::List(_) => Err(ApiError::invalid("Invalid hash").param(path)),
        },
    }
}

/// Array element types are simple enough to copy (`&'static` inner slices make this cheap).
fn shallow(t: &Ty) -> Ty {
    match t {
        Ty::Str => Ty::Str,
        Ty::Int => Ty::Int,
        Ty::IntRange(a, b) => Ty::IntRange(*a, *b),
        Ty::Bool => Ty::Bool,
        Ty::Enum(v) => Ty::Enum(v),
        Ty::Obj(f) => Ty::Obj(f),
        Ty::Meta => Ty::Meta,
        Ty::Arr(e) => Ty::Arr(e),
        Ty::Range => Ty::Range,
        Ty::Unsupported => Ty::Unsupported,
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

    fn v(schema: &[Field], q: &str) -> Result<Map<String, Value>, ApiError> {
        validate(schema, &parse(q.as_bytes()).unwrap())
    }

    #[test]
    fn unknown_and_missing() {
        let e = v(INVOICE_SEARCH, "bogus=1").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: bogus");
        assert_eq!(e.code, Some("parameter_unknown"));
        let e = v(INVOICE_SEARCH, "limit=3").unwrap_err();
        assert_eq!(e.message, "Missing required param: query.");
        assert_eq!(e.param.as_deref(), Some("query"));
        let e = v(ITEM_CREATE, "customer=c&period[start]=1").unwrap_err();
        assert_eq!(e.message, "Missing required param: period[end].");
        let e = v(ITEM_CREATE, "customer=c&period[start]=1&period[x]=2").unwrap_err();
        assert_eq!(e.message, "Received unknown parameter: period[x]");
    }

    #[test]
    fn types_and_ranges() {
        let e = v(INVOICE_LIST, "limit=abc").unwrap_err();
        assert_eq!(e.message, "Invalid integer: abc");
        assert_eq!(e.code, Some("parameter_invalid_integer"));
        assert_eq!(
            v(INVOICE_LIST, "limit=0").unwrap_err().message,
            "This value must be greater than or equal to 1."
        );
        assert_eq!(
            v(INVOICE_LIST, "limit=101").unwrap_err().message,
            "This value must be less than or equal to 100."
        );
        let e = v(INVOICE_LIST, "status=bogus").unwrap_err();
        assert_eq!(
            e.message,
            "Invalid status: must be one of draft, open, void, paid, or uncollectible"
        );
        assert_eq!(e.code, None);
        let ok = v(INVOICE_LIST, "created[gte]=5&due_date=7&limit=3").unwrap();
        assert_eq!(ok["created"]["gte"], 5);
        assert_eq!(ok["due_date"], 7);
        assert_eq!(
            v(FINALIZE, "auto_advance=yes").unwrap_err().message,
            "Invalid boolean: yes"
        );
        assert_eq!(
            v(FINALIZE, "auto_advance=true").unwrap()["auto_advance"],
            true
        );
    }

    #[test]
    fn empties_and_metadata() {
        let ok = v(INVOICE_UPDATE, "description=&metadata[a]=&metadata[b]=x").unwrap();
        assert_eq!(ok["description"], Value::Null);
        assert_eq!(ok["metadata"]["a"], Value::Null);
        let e = v(ITEM_CREATE, "customer=").unwrap_err();
        assert_eq!(e.code, Some("parameter_invalid_empty"));
        assert_eq!(
            v(INVOICE_UPDATE, "metadata=").unwrap()["metadata"],
            Value::Null
        );
        assert_eq!(
            v(INVOICE_UPDATE, "metadata=x").unwrap_err().message,
            "Invalid hash"
        );
        let mut m = indexmap::IndexMap::new();
        m.insert("a".to_string(), "1".to_string());
        let p = v(INVOICE_UPDATE, "metadata[a]=&metadata[b]=2").unwrap();
        apply_metadata(&mut m, p.get("metadata")).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m["b"], "2");
    }

    #[test]
    fn arrays() {
        let ok = v(
            CUSTOMER_CREATE,
            "tax_id_data[0][type]=eu_vat&tax_id_data[0][value]=DE1",
        )
        .unwrap();
        assert_eq!(ok["tax_id_data"][0]["type"], "eu_vat");
        let e = v(CUSTOMER_CREATE, "tax_id_data[0][type]=eu_vat").unwrap_err();
        assert_eq!(e.message, "Missing required param: tax_id_data[0][value].");
        assert_eq!(
            v(RETRIEVE, "expand=customer").unwrap_err().message,
            "Invalid array"
        );
        assert_eq!(
            v(RETRIEVE, "expand[]=customer").unwrap()["expand"][0],
            "customer"
        );
    }

    #[test]
    fn unsupported_is_explicit() {
        let e = v(INVOICE_CREATE, "customer=c&discounts[0][coupon]=x").unwrap_err();
        assert!(e
            .message
            .contains("does not support the parameter discounts"));
    }
}
