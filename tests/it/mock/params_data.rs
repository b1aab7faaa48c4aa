//! `src/mock/data/params.json` — the request-parameter trees the mock validates against, per
//! operation and API version — is derived from the extracted SDK schemas
//! (tests/fixtures/stripe-schema/*.json). This test derives it again and fails when the
//! committed file differs; `APIPARITY_UPDATE_PARAMS=1 cargo test --test it mock::params_data`
//! rewrites it (never in CI).
//!
//! The compact form interns identical subtrees (most of a tree survives from one version to the
//! next; only enum lists grow), so 29 versions fit in a few hundred KB:
//!
//! * `nodes[i]` is `["str"]`, `["dec"]` (decimal string), `["num"]`, `["bool"]`, `["any"]`,
//!   `["meta"]` (metadata), `["enum", [values]]`, `["obj", [[name, node, flags], …]]`,
//!   `["arr", node]`, `["map", node]` or `["union", [node, …]]`;
//!   `flags`: 1 = required, 2 = accepts `''` (emptyable or nullable in the SDK).
//! * `ops["invoices.create"][k]` is the root node at `versions[k]`, or -1 where the version has no
//!   such operation.
//! * `expandable["Invoice"][k]` is a `["paths", [...]]` node: the `expand[]` paths the SDK marks
//!   on that object at `versions[k]` (-1 where the object does not exist).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

/// The operations the mock validates, as `resource.operation` of the schema files.
const OPS: &[&str] = &[
    "customers.create",
    "customers.del",
    "customers.list",
    "customers.retrieve",
    "customers.update",
    "invoice_payments.list",
    "invoice_payments.retrieve",
    "invoiceitems.create",
    "invoiceitems.del",
    "invoiceitems.list",
    "invoiceitems.retrieve",
    "invoiceitems.update",
    "invoices.add_lines",
    "invoices.attach_payment",
    "invoices.create",
    "invoices.create_preview",
    "invoices.del",
    "invoices.finalize_invoice",
    "invoices.list",
    "invoices.list_line_items",
    "invoices.list_upcoming_lines",
    "invoices.mark_uncollectible",
    "invoices.pay",
    "invoices.remove_lines",
    "invoices.retrieve",
    "invoices.retrieve_upcoming",
    "invoices.search",
    "invoices.send_invoice",
    "invoices.update",
    "invoices.update_line_item",
    "invoices.update_lines",
    "invoices.void_invoice",
];

/// Operations the SDK schemas do not cover (the mock serves only these create calls, with the
/// parameters invoice flows use), hand-written in the schema files' parameter format. Every
/// version gets the same tree.
fn extra_ops() -> Vec<(&'static str, Value)> {
    let s = |req: bool| json!({"required": req, "type": "string"});
    let n = |req: bool| json!({"required": req, "type": "number"});
    let b = json!({"required": false, "type": "boolean"});
    let meta = json!({"emptyable": true, "nullable": true, "required": false, "type": "map:union"});
    let expand = json!({"required": false, "type": "array:string"});
    let dec = json!({"format": "decimal", "required": false, "type": "string"});
    let tax_behavior = json!({"enum": ["exclusive", "inclusive", "unspecified"], "required": false, "type": "enum"});
    vec![
        (
            "coupons.create",
            json!({
                "amount_off": n(false), "currency": s(false),
                "duration": {"enum": ["forever", "once", "repeating"], "required": false, "type": "enum"},
                "duration_in_months": n(false), "expand": expand, "id": s(false),
                "max_redemptions": n(false), "metadata": meta, "name": s(false),
                "percent_off": dec, "redeem_by": n(false),
            }),
        ),
        (
            "tax_rates.create",
            json!({
                "active": b, "country": s(false), "description": s(false),
                "display_name": s(true), "expand": expand, "inclusive": {"required": true, "type": "boolean"},
                "jurisdiction": s(false), "metadata": meta,
                "percentage": {"format": "decimal", "required": true, "type": "string"},
                "state": s(false), "tax_type": s(false),
            }),
        ),
        (
            "products.create",
            json!({
                "active": b, "description": s(false), "expand": expand, "id": s(false),
                "metadata": meta, "name": s(true), "tax_code": s(false), "unit_label": s(false),
            }),
        ),
        (
            "prices.create",
            json!({
                "active": b, "currency": s(true), "expand": expand, "lookup_key": s(false),
                "metadata": meta, "nickname": s(false), "product": s(false),
                "product_data": {"fields": {"name": s(true)}, "required": false, "type": "object:PriceCreateParams.ProductData"},
                "tax_behavior": tax_behavior, "unit_amount": n(false), "unit_amount_decimal": dec,
            }),
        ),
        ("catalog.retrieve", json!({"expand": expand})),
        (
            "payment_methods.attach",
            json!({"customer": s(true), "expand": expand}),
        ),
    ]
}

/// Objects whose `expand[]` paths the mock takes from the schemas.
const EXPANDABLE: &[&str] = &[
    "Customer",
    "Invoice",
    "InvoiceItem",
    "InvoiceLineItem",
    "InvoicePayment",
    "UpcomingInvoice",
];

pub fn schema_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stripe-schema")
}

/// The 29 schema files, oldest first, as (api version, parsed file).
pub fn schemas() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(schema_dir())
        .expect("schema dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("20"))
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            (
                v["api_version"].as_str().expect("api_version").to_string(),
                v,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

struct Interner {
    nodes: Vec<Value>,
    index: HashMap<String, usize>,
}

impl Interner {
    fn add(&mut self, node: Value) -> usize {
        let key = node.to_string();
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.nodes.push(node);
        self.index.insert(key, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn fields(&mut self, fields: &serde_json::Map<String, Value>) -> Value {
        let mut names: Vec<&String> = fields.keys().collect();
        names.sort();
        let list: Vec<Value> = names
            .into_iter()
            .map(|name| {
                let f = &fields[name];
                let mut flags = 0;
                if f["required"] == true {
                    flags |= 1;
                }
                if f["emptyable"] == true || f["nullable"] == true {
                    flags |= 2;
                }
                json!([name, self.param(name, f), flags])
            })
            .collect();
        json!(["obj", list])
    }

    /// One parameter node (its `type` plus `fields` / `value_fields` / `variants` / `enum`).
    fn param(&mut self, name: &str, p: &Value) -> usize {
        let ty = p["type"].as_str().unwrap_or("any");
        let node = self.shape(name, ty, p);
        self.add(node)
    }

    fn shape(&mut self, name: &str, ty: &str, p: &Value) -> Value {
        if name == "metadata" && ty.starts_with("map:") {
            return json!(["meta"]);
        }
        if let Some(inner) = ty.strip_prefix("array:") {
            let item = self.shape("", inner, p);
            let i = self.add(item);
            return json!(["arr", i]);
        }
        if let Some(inner) = ty.strip_prefix("map:") {
            let value = if let Some(vf) = p["value_fields"].as_object() {
                self.fields(vf)
            } else {
                self.shape("", inner, &Value::Null)
            };
            let i = self.add(value);
            return json!(["map", i]);
        }
        if ty.starts_with("object:") {
            return match p["fields"].as_object() {
                Some(f) => self.fields(f),
                None => json!(["any"]),
            };
        }
        match ty {
            "string" if p["format"] == "decimal" => json!(["dec"]),
            "string" => json!(["str"]),
            "number" => json!(["num"]),
            "boolean" => json!(["bool"]),
            "enum" => json!(["enum", p["enum"].clone()]),
            "union" => {
                let variants: Vec<Value> = p["variants"]
                    .as_array()
                    .map(|vs| {
                        vs.iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let vty = v["type"].as_str().unwrap_or("any");
                                // Object variants take the union's `fields` (or their own
                                // `variant_fields` entry).
                                let holder = if vty.starts_with("object:") {
                                    match p["variant_fields"].get(i) {
                                        Some(vf) if vf.is_object() => json!({"fields": vf}),
                                        _ => json!({"fields": p["fields"]}),
                                    }
                                } else {
                                    v.clone()
                                };
                                let node = self.shape("", vty, &holder);
                                json!(self.add(node))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                json!(["union", variants])
            }
            "string_or_scalar" => json!(["str"]),
            _ => json!(["any"]),
        }
    }
}

fn build() -> String {
    let schemas = schemas();
    let mut interner = Interner {
        nodes: Vec::new(),
        index: HashMap::new(),
    };
    let mut ops = serde_json::Map::new();
    for op in OPS {
        let (res, name) = op.split_once('.').expect("resource.op");
        let roots: Vec<Value> = schemas
            .iter()
            .map(|(_, s)| {
                let exists = s["operations"][res][name].is_object();
                match s["params"][res][name].as_object() {
                    Some(fields) if exists => {
                        let node = interner.fields(fields);
                        json!(interner.add(node))
                    }
                    None if exists => {
                        let node = json!(["obj", []]);
                        json!(interner.add(node))
                    }
                    _ => json!(-1),
                }
            })
            .collect();
        ops.insert(op.to_string(), Value::Array(roots));
    }
    for (op, tree) in extra_ops() {
        let node = interner.fields(tree.as_object().expect("tree"));
        let root = interner.add(node);
        ops.insert(op.to_string(), json!(vec![root; schemas.len()]));
    }
    let mut expandable = serde_json::Map::new();
    for obj in EXPANDABLE {
        let roots: Vec<Value> = schemas
            .iter()
            .map(|(_, s)| match s["expandable"][obj].as_array() {
                Some(paths) => {
                    let mut paths: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
                    paths.sort();
                    json!(interner.add(json!(["paths", paths])))
                }
                None if s["objects"][obj].is_object() => json!(interner.add(json!(["paths", []]))),
                None => json!(-1),
            })
            .collect();
        expandable.insert(obj.to_string(), Value::Array(roots));
    }
    let versions: Vec<Value> = schemas.iter().map(|(v, _)| json!(v)).collect();
    // One node per line, so a regenerated file diffs readably.
    let mut out = String::from("{\n\"note\": \"generated by tests/it/mock/params_data.rs from tests/fixtures/stripe-schema; do not edit\",\n");
    out.push_str(&format!("\"versions\": {},\n", Value::Array(versions)));
    out.push_str("\"ops\": {\n");
    let n = ops.len();
    for (i, (k, v)) in ops.iter().enumerate() {
        out.push_str(&format!(
            "{}: {}{}\n",
            json!(k),
            v,
            if i + 1 < n { "," } else { "" }
        ));
    }
    out.push_str("},\n\"expandable\": {\n");
    let n = expandable.len();
    for (i, (k, v)) in expandable.iter().enumerate() {
        out.push_str(&format!(
            "{}: {}{}\n",
            json!(k),
            v,
            if i + 1 < n { "," } else { "" }
        ));
    }
    out.push_str("},\n\"nodes\": [\n");
    let n = interner.nodes.len();
    for (i, node) in interner.nodes.iter().enumerate() {
        out.push_str(&format!("{node}{}\n", if i + 1 < n { "," } else { "" }));
    }
    out.push_str("]\n}\n");
    out
}

#[test]
fn embedded_parameter_data_matches_the_schemas() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mock/data/params.json");
    let fresh = build();
    if std::env::var("APIPARITY_UPDATE_PARAMS").is_ok_and(|v| v == "1") {
        assert!(
            std::env::var("CI").is_err(),
            "APIPARITY_UPDATE_PARAMS is for local regeneration, never CI"
        );
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &fresh).expect("write");
        std::fs::rename(&tmp, &path).expect("rename");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: regenerate with APIPARITY_UPDATE_PARAMS=1 cargo test --test it \
         mock::params_data",
        path.display()
    );
}
