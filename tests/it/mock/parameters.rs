//! Measures, from the extracted SDK schemas, how many of the optional parameters of invoice
//! create/update/finalize/pay/send/void/mark_uncollectible, invoice item create/update and
//! customer create/update the mock accepts, at every modelled version: each parameter is sent
//! alone (with the companions a valid request needs) and must be either accepted (200, and
//! reflected where the object has a field of that name) or refused with Stripe's error shape
//! (400 `invalid_request_error` naming the parameter). At least 90% must be accepted. The figure
//! is printed per operation and version family.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::params_data::schemas;
use super::{id, Api};

/// A value for a parameter node of the schema: enums take a preferred or the first value,
/// objects their required fields (or their first field when none is required).
fn generate(name: &str, node: &Value, ctx: &Ctx) -> Value {
    if let Some(v) = ctx.value_for(name) {
        return v;
    }
    let ty = node["type"].as_str().unwrap_or("string");
    if let Some(inner) = ty.strip_prefix("array:") {
        let item = json!({"type": inner, "fields": node["fields"], "enum": node["enum"]});
        return json!([generate("", &item, ctx)]);
    }
    if ty.starts_with("map:") {
        return json!({"k": "v"});
    }
    if ty.starts_with("object:") || ty == "union" && node["fields"].is_object() {
        let fields = node["fields"].as_object().cloned().unwrap_or_default();
        let mut out = serde_json::Map::new();
        let mut required: Vec<(&String, &Value)> = fields
            .iter()
            .filter(|(_, f)| f["required"] == true)
            .collect();
        if required.is_empty() {
            if let Some(first) = fields.iter().next() {
                required.push(first);
            }
        }
        for (k, f) in required {
            out.insert(k.clone(), generate(k, f, ctx));
        }
        return Value::Object(out);
    }
    match ty {
        "enum" => {
            let values: Vec<&str> = node["enum"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let preferred = [
                "self",
                "none",
                "exclude",
                "automatic",
                "exclusive",
                "letter",
            ];
            json!(preferred
                .iter()
                .find(|p| values.contains(p))
                .copied()
                .or(values.first().copied())
                .unwrap_or(""))
        }
        "number" => json!(1),
        "boolean" => json!(true),
        "union" => {
            let first = node["variants"][0].clone();
            generate(name, &first, ctx)
        }
        _ if node["format"] == "decimal" => json!("1"),
        _ => json!("apiparity"),
    }
}

/// Form pairs of a JSON parameter value, Stripe's bracket encoding.
fn encode(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                encode(&format!("{prefix}[{k}]"), x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                encode(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// Ids of objects the values refer to, made once per version.
struct Ctx {
    basil: bool,
    /// A path the operation's object can expand.
    expand: &'static str,
    customer: String,
    coupon: String,
    tax_rate: String,
    price: String,
    product: String,
    open_invoice: String,
    draft: String,
}

impl Ctx {
    fn value_for(&self, name: &str) -> Option<Value> {
        Some(match name {
            "coupon" => json!(self.coupon),
            "tax_rates" | "default_tax_rates" => json!([self.tax_rate]),
            "customer" => json!(self.customer),
            "default_payment_method" | "payment_method" => json!("pm_card_visa"),
            "default_source" => json!("card_1ApPrtyMck0abcdef"),
            "source" => json!("tok_visa"),
            "account_tax_ids" => json!(["txi_1ApPrtyMck0abcdef"]),
            "due_date" | "effective_at" | "automatically_finalizes_at" => json!(2_000_000_000),
            "days_until_due" => json!(30),
            "email" => json!("jenny@example.com"),
            "invoice_prefix" => json!("APRT"),
            "preferred_locales" => json!(["en"]),
            "product" => json!(self.product),
            "price" => json!(self.price),
            "pricing" => json!({"price": self.price}),
            "price_data" => json!({"currency": "usd", "product": self.product, "unit_amount": 100}),
            "from_invoice" => json!({"action": "revision", "invoice": self.open_invoice}),
            "invoice" => json!(self.draft),
            "shipping_cost" => json!({"shipping_rate_data": {
                "display_name": "Ground", "fixed_amount": {"amount": 500, "currency": "usd"}}}),
            "tax_code" => json!("txcd_10000000"),
            "currency" => json!("usd"),
            "quantity_decimal" | "unit_amount_decimal" => json!("2"),
            "expand" => json!([self.expand]),
            "mandate" => json!("mandate_1ApPrtyMck0abcdef"),
            "ip_address" => json!("127.0.0.1"),
            _ => return None,
        })
    }
}

/// The companions a valid request needs for `param` (the schema cannot say so).
fn companions(op: &str, param: &str, ctx: &Ctx) -> Vec<(String, String)> {
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let price_param = if ctx.basil { "pricing[price]" } else { "price" };
    match (op, param) {
        (_, "days_until_due" | "due_date") => pairs(&[("collection_method", "send_invoice")]),
        ("invoiceitems.create", "quantity" | "quantity_decimal") => {
            pairs(&[(price_param, ctx.price.as_str())])
        }
        (
            "invoiceitems.create",
            "currency" | "description" | "discountable" | "discounts" | "expand" | "invoice"
            | "metadata" | "period" | "tax_rates" | "customer" | "tax_behavior" | "tax_code"
            | "subscription" | "customer_account",
        ) => pairs(&[("amount", "100")]),
        ("invoiceitems.create", "unit_amount" | "unit_amount_decimal") => {
            pairs(&[("currency", "usd")])
        }
        _ => Vec::new(),
    }
}

struct Tally {
    accepted: usize,
    refused: Vec<String>,
    bad_refusals: Vec<String>,
}

async fn setup(api: &Api, basil: bool) -> Ctx {
    let customer = api.customer(&[]).await;
    let coupon = id(&api.post("/v1/coupons", &[("percent_off", "10")]).await.ok());
    let tax_rate = id(&api
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "20"),
                ("inclusive", "false"),
            ],
        )
        .await
        .ok());
    let product = id(&api.post("/v1/products", &[("name", "Widget")]).await.ok());
    let price = id(&api
        .post(
            "/v1/prices",
            &[
                ("currency", "usd"),
                ("unit_amount", "250"),
                ("product", &product),
            ],
        )
        .await
        .ok());
    let open = api.open_invoice(900, &[]).await;
    let draft = api.draft(&customer, &[]).await;
    Ctx {
        basil,
        expand: "customer",
        customer,
        coupon,
        tax_rate,
        price,
        product,
        open_invoice: id(&open),
        draft: id(&draft),
    }
}

/// The endpoint of `op` on fresh state, and its fixed parameters.
async fn target(api: &Api, op: &str, ctx: &Ctx) -> (String, Vec<(String, String)>) {
    let own = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    match op {
        "invoices.create" => ("/v1/invoices".into(), own("customer", &ctx.customer)),
        "invoices.update" => {
            let d = api.draft(&ctx.customer, &[]).await;
            (format!("/v1/invoices/{}", id(&d)), Vec::new())
        }
        "invoices.finalize_invoice" => {
            let d = api.draft(&ctx.customer, &[]).await;
            (format!("/v1/invoices/{}/finalize", id(&d)), Vec::new())
        }
        "invoices.pay" => {
            let inv = api
                .open_invoice(700, &[("default_payment_method", "pm_card_visa")])
                .await;
            (format!("/v1/invoices/{}/pay", id(&inv)), Vec::new())
        }
        "invoices.send_invoice" => {
            let inv = api
                .open_invoice(
                    700,
                    &[
                        ("collection_method", "send_invoice"),
                        ("days_until_due", "3"),
                    ],
                )
                .await;
            (format!("/v1/invoices/{}/send", id(&inv)), Vec::new())
        }
        "invoices.void_invoice" | "invoices.mark_uncollectible" => {
            let inv = api.open_invoice(700, &[]).await;
            let action = if op.ends_with("void_invoice") {
                "void"
            } else {
                "mark_uncollectible"
            };
            (format!("/v1/invoices/{}/{action}", id(&inv)), Vec::new())
        }
        "invoiceitems.create" => ("/v1/invoiceitems".into(), own("customer", &ctx.customer)),
        "invoiceitems.update" => {
            let item = api.item(&ctx.customer, 300).await;
            (format!("/v1/invoiceitems/{}", id(&item)), Vec::new())
        }
        "customers.create" => ("/v1/customers".into(), Vec::new()),
        "customers.update" => {
            let c = api.customer(&[]).await;
            (format!("/v1/customers/{c}"), Vec::new())
        }
        other => panic!("no target for {other}"),
    }
}

const OPS: &[&str] = &[
    "invoices.create",
    "invoices.update",
    "invoices.finalize_invoice",
    "invoices.pay",
    "invoices.send_invoice",
    "invoices.void_invoice",
    "invoices.mark_uncollectible",
    "invoiceitems.create",
    "invoiceitems.update",
    "customers.create",
    "customers.update",
];

fn family(v: &str) -> &'static str {
    if v < "2024-04-10" {
        "2023-10-16"
    } else if v < "2025-03-31" {
        "2024-04-10 … acacia"
    } else {
        "basil … endive"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_parameters_are_accepted_or_refused_as_stripe_does() {
    let base = Api::start().await;
    // (family, op) → (accepted, total); refused parameter names per family.
    let mut table: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    let mut refused_by_family: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut worst: Option<(String, f64)> = None;
    for (version, schema) in schemas() {
        let api = base.at_version(&version);
        let mut ctx = setup(&api, version.as_str() >= "2025-03-31").await;
        let mut tally = Tally {
            accepted: 0,
            refused: Vec::new(),
            bad_refusals: Vec::new(),
        };
        let mut total = 0;
        for op in OPS {
            ctx.expand = if op.starts_with("customers.") {
                "default_source"
            } else {
                "customer"
            };
            let (res, name) = op.split_once('.').unwrap();
            let Some(params) = schema["params"][res][name].as_object() else {
                continue;
            };
            for (param, node) in params {
                if node["required"] == true {
                    continue;
                }
                total += 1;
                let (path, mut form) = target(&api, op, &ctx).await;
                form.retain(|(k, _)| k != param);
                form.extend(companions(op, param, &ctx));
                encode(param, &generate(param, node, &ctx), &mut form);
                let pairs: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let r = api.post(&path, &pairs).await;
                let e = &mut table.entry((family(&version), op)).or_default();
                e.1 += 1;
                if r.status == 200 {
                    tally.accepted += 1;
                    e.0 += 1;
                    // Reflected: a field of the same name is set on the answer.
                    let field = &r.body[param.as_str()];
                    let reflect = [
                        "metadata",
                        "description",
                        "footer",
                        "custom_fields",
                        "rendering",
                        "shipping_details",
                        "shipping_cost",
                        "account_tax_ids",
                        "default_tax_rates",
                        "discounts",
                        "payment_settings",
                        "email",
                        "name",
                        "phone",
                        "address",
                        "shipping",
                        "tax_rates",
                        "period",
                        "statement_descriptor",
                    ];
                    if reflect.contains(&param.as_str())
                        && (field.is_null() || *field == json!([]) || *field == json!({}))
                    {
                        problems.push(format!(
                            "{version} {op} {param}: accepted but not reflected"
                        ));
                    }
                } else {
                    let err = &r.body["error"];
                    let named = err["param"]
                        .as_str()
                        .is_some_and(|p| p == param || p.starts_with(&format!("{param}[")));
                    if r.status != 400 || err["type"] != "invalid_request_error" || !named {
                        tally
                            .bad_refusals
                            .push(format!("{version} {op} {param}: {} {err}", r.status));
                    }
                    let msg = err["message"].as_str().unwrap_or_default().to_string();
                    tally.refused.push(format!("{op} {param}"));
                    refused_by_family
                        .entry(family(&version))
                        .or_default()
                        .insert(format!("{op} {param}"), msg);
                }
            }
        }
        let pct = tally.accepted as f64 * 100.0 / total.max(1) as f64;
        if worst.as_ref().is_none_or(|(_, w)| pct < *w) {
            worst = Some((version.clone(), pct));
        }
        if pct < 90.0 {
            problems.push(format!(
                "{version}: {}/{total} accepted ({pct:.1}%), below 90%; refused: {:?}",
                tally.accepted, tally.refused
            ));
        }
        problems.extend(tally.bad_refusals);
    }
    let mut lines = Vec::new();
    for ((fam, op), (acc, tot)) in &table {
        lines.push(format!(
            "{fam:<20} {op:<28} {acc:>4}/{tot:<4} {:>5.1}%",
            *acc as f64 * 100.0 / (*tot).max(1) as f64
        ));
    }
    let mut fam_total: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((fam, _), (acc, tot)) in &table {
        let e = fam_total.entry(fam).or_default();
        e.0 += acc;
        e.1 += tot;
    }
    for (fam, (acc, tot)) in &fam_total {
        lines.push(format!(
            "{fam:<20} {:<28} {acc:>4}/{tot:<4} {:>5.1}%",
            "ALL",
            *acc as f64 * 100.0 / (*tot).max(1) as f64
        ));
    }
    for (fam, refused) in &refused_by_family {
        lines.push(format!("refused in {fam}:"));
        for (k, m) in refused {
            lines.push(format!("  {k}: {m}"));
        }
    }
    let (wv, wp) = worst.unwrap_or_default();
    eprintln!(
        "optional parameters accepted (per family, summed over its versions; lowest single \
         version {wv}: {wp:.1}%):\n  {}",
        lines.join("\n  ")
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
