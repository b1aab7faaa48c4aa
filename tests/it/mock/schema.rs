//! The extracted SDK schemas (tests/fixtures/stripe-schema/*.json) as the oracle of the mock's
//! shapes: every object the mock produces — invoices in every status (with and without lines,
//! discounts and taxes), line items, invoice items, customers, deleted objects, invoice payments,
//! previews, list and search envelopes — is rendered at EVERY modelled version and checked:
//!
//! * no field of the wrong type, no `null` where the field is not nullable, no enum value out
//!   of range;
//! * every non-optional field present, unless [`MISSING_OK`] says real Stripe leaves it out;
//! * no field the version's schema lacks, unless [`EXTRA_OK`] says real Stripe sends it (the
//!   additive fields that reach older versions by date, `lines.total_count`, …).
//!
//! Failures name the version, the object and the JSON pointer. No npm: the schemas are checked
//! in.

use serde_json::{Map, Value};

use super::params_data::schemas;
use super::{id, Api};

/// Fields real Stripe sends although the version's SDK schema lacks them, by
/// `<schema object>.<field>`. Each is in docs/mock.md's version table with its evidence.
const EXTRA_OK: &[(&str, &str)] = &[
    (
        "Invoice.lines.total_count",
        "recorded on every embedded `lines` at every version; the SDK drops it",
    ),
    (
        "Invoice.automatic_tax.disabled_reason",
        "additive (as of 2024-12-18): recorded at 2024-12-18.acacia",
    ),
    (
        "Invoice.automatic_tax.provider",
        "additive (as of 2025-04-29): recorded at 2025-03-31.basil",
    ),
    (
        "Invoice.rendering.template",
        "additive (as of 2024-09-30): recorded at acacia",
    ),
    (
        "Invoice.rendering.template_version",
        "additive (as of 2024-09-30): recorded at acacia",
    ),
    (
        "Invoice.automatically_finalizes_at",
        "additive (as of 2024-06-20)",
    ),
    (
        "Invoice.total_pretax_credit_amounts",
        "additive (as of 2024-09-30): recorded at acacia",
    ),
    (
        "InvoiceLineItem.pretax_credit_amounts",
        "additive (as of 2024-09-30): recorded at acacia",
    ),
    (
        "Invoice.amount_overpaid",
        "basil addition recorded at 2024-12-18/2025-02-24.acacia (2025-03-26)",
    ),
    (
        "Invoice.parent",
        "basil addition recorded at acacia (2025-03-26)",
    ),
    (
        "Invoice.total_taxes",
        "basil addition recorded at acacia (2025-03-26)",
    ),
    (
        "InvoiceLineItem.parent",
        "basil addition recorded at acacia (2025-03-26)",
    ),
    (
        "InvoiceLineItem.pricing",
        "basil addition recorded at acacia (2025-03-26)",
    ),
    (
        "InvoiceLineItem.taxes",
        "basil addition recorded at acacia (2025-03-26)",
    ),
    (
        "InvoiceItem.parent",
        "basil addition, by analogy with the lines' (2025-03-26)",
    ),
    (
        "InvoiceItem.pricing",
        "basil addition, by analogy with the lines' (2025-03-26)",
    ),
    (
        "Invoice.customer_account",
        "additive (as of 2025-12-15): recorded at 2025-11-17.clover",
    ),
    (
        "InvoiceItem.customer_account",
        "additive (as of 2025-12-15): recorded at 2025-11-17.clover",
    ),
    (
        "Customer.customer_account",
        "additive (as of 2025-12-15): recorded at 2025-11-17.clover",
    ),
    (
        "InvoiceLineItem.subtotal",
        "additive (as of 2025-12-15): recorded at 2025-11-17.clover",
    ),
    (
        "InvoiceLineItem.quantity_decimal",
        "additive (as of 2026-03-25): recorded at 2025-11-17.clover",
    ),
    (
        "InvoiceItem.quantity_decimal",
        "additive (as of 2026-03-25): recorded at 2025-11-17.clover",
    ),
    (
        "InvoiceLineItem.parent.license_fee_subscription_details",
        "additive (as of 2026-04-24): recorded, in no SDK",
    ),
    (
        "Invoice.payment_settings.payment_method_options.payto",
        "additive (as of 2025-12-15): recorded at 2025-11-17.clover",
    ),
    (
        "Invoice.payment_settings.payment_method_options.pix",
        "additive (as of 2026-04-22): recorded at 2025-11-17.clover",
    ),
    (
        "Invoice.payment_settings.payment_method_options.upi",
        "additive (as of 2026-04-22): recorded at 2025-11-17.clover",
    ),
    (
        "Customer.invoice_settings.rendering_options.template",
        "additive (as of 2024-06-20): SDK 2024-06-20, no recording",
    ),
    (
        "Customer.tax.provider",
        "additive (as of 2025-10-29): recorded at 2025-10-29.clover",
    ),
];

/// Non-optional SDK fields real Stripe leaves out, by `<schema object>.<field>`.
const MISSING_OK: &[(&str, &str)] = &[(
    "InvoiceLineItem.subscription",
    "no recorded basil-or-later line has it (67 lines, 2025-04 … 2026-05)",
)];

struct Checker<'a> {
    objects: &'a Map<String, Value>,
    problems: Vec<String>,
    version: &'a str,
    what: &'a str,
}

/// The upcoming invoice is an invoice without an id: the same exceptions apply.
fn allowed(list: &[(&str, &str)], key: &str) -> bool {
    let key = match key.strip_prefix("UpcomingInvoice.") {
        Some(rest) => format!("Invoice.{rest}"),
        None => key.to_string(),
    };
    list.iter().any(|(k, _)| *k == key)
}

impl Checker<'_> {
    fn fail(&mut self, pointer: &str, msg: String) {
        self.problems
            .push(format!("{} {} {pointer}: {msg}", self.version, self.what));
    }

    /// `ty` is a schema type string; `label` names the place for the exception tables
    /// (`Invoice.automatic_tax`), `generic` the type argument of an envelope.
    fn check(&mut self, v: &Value, ty: &str, label: &str, generic: Option<&str>, ptr: &str) {
        if let Some(inner) = ty.strip_prefix("array:") {
            let Some(items) = v.as_array() else {
                return self.fail(ptr, format!("expected an array ({ty}), got {v}"));
            };
            for (i, x) in items.iter().enumerate() {
                self.check(x, inner, label, generic, &format!("{ptr}/{i}"));
            }
            return;
        }
        if let Some(inner) = ty.strip_prefix("map:") {
            let Some(m) = v.as_object() else {
                return self.fail(ptr, format!("expected a map ({ty}), got {v}"));
            };
            for (k, x) in m {
                self.check(x, inner, label, generic, &format!("{ptr}/{k}"));
            }
            return;
        }
        if let Some(name) = ty.strip_prefix("object:") {
            return self.object(v, name, label, ptr);
        }
        match ty {
            "T" => {
                if let Some(g) = generic {
                    self.check(v, &format!("object:{g}"), g, None, ptr);
                }
            }
            "string" if !v.is_string() => self.fail(ptr, format!("expected a string, got {v}")),
            "number" if !v.is_number() => self.fail(ptr, format!("expected a number, got {v}")),
            "boolean" if !v.is_boolean() => self.fail(ptr, format!("expected a boolean, got {v}")),
            _ => {}
        }
    }

    fn field(&mut self, v: &Value, f: &Value, label: &str, generic: Option<&str>, ptr: &str) {
        if v.is_null() {
            if f["nullable"] != true {
                self.fail(ptr, "null, but the field is not nullable".into());
            }
            return;
        }
        let ty = f["type"].as_str().unwrap_or("any");
        if f["expandable"] == true {
            // An id, or the expanded object (checked as one of the objects it expands to, when
            // the schema describes that object); arrays of them for `discounts` and the like.
            let targets: Vec<String> = f["expands_to"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|t| self.objects.contains_key(*t))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let one = |me: &mut Self, x: &Value, p: &str| match x {
                Value::String(_) => {}
                Value::Object(_) => {
                    let deleted = x.get("deleted") == Some(&Value::Bool(true));
                    if let Some(t) = targets
                        .iter()
                        .find(|t| t.starts_with("Deleted") == deleted)
                        .or(targets.first())
                    {
                        me.object(x, t, t, p);
                    }
                }
                other => me.fail(p, format!("expected an id or an object, got {other}")),
            };
            if ty.starts_with("array:") {
                match v.as_array() {
                    Some(items) => {
                        for (i, x) in items.iter().enumerate() {
                            one(self, x, &format!("{ptr}/{i}"));
                        }
                    }
                    None => self.fail(ptr, format!("expected an array, got {v}")),
                }
            } else {
                one(self, v, ptr);
            }
            return;
        }
        if ty == "enum" {
            let values = f["enum"].as_array().cloned().unwrap_or_default();
            if !values.contains(v) {
                self.fail(ptr, format!("{v} is not one of {}", Value::Array(values)));
            }
            return;
        }
        if ty == "array:enum" {
            let values = f["enum"].as_array().cloned().unwrap_or_default();
            for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                if !values.contains(x) {
                    self.fail(
                        &format!("{ptr}/{i}"),
                        format!("{x} is not an allowed value"),
                    );
                }
            }
            return;
        }
        if ty == "union" {
            let variants = f["variants"].as_array().cloned().unwrap_or_default();
            let ok = variants.iter().any(|var| {
                let mut probe = Checker {
                    objects: self.objects,
                    problems: Vec::new(),
                    version: self.version,
                    what: self.what,
                };
                probe.field(v, var, label, generic, ptr);
                probe.problems.is_empty()
            });
            if !ok {
                self.fail(ptr, format!("{v} matches no variant of the union"));
            }
            return;
        }
        self.check(v, ty, label, generic, ptr);
    }

    fn object(&mut self, v: &Value, name: &str, label: &str, ptr: &str) {
        let (base, generic) = match name.split_once('<') {
            Some((b, g)) => (b, Some(g.trim_end_matches('>'))),
            None => (name, None),
        };
        let Some(schema) = self.objects.get(base) else {
            // Another resource (Price, TaxRate, Discount, …): not described here.
            if !v.is_object() && !v.is_string() {
                self.fail(ptr, format!("expected an object ({name}), got {v}"));
            }
            return;
        };
        let Some(m) = v.as_object() else {
            return self.fail(ptr, format!("expected an object ({name}), got {v}"));
        };
        let fields = schema["fields"].as_object().cloned().unwrap_or_default();
        for (k, x) in m {
            let key = format!("{label}.{k}");
            match fields.get(k) {
                // Nested shapes are named `Invoice.AutomaticTax`; the exception tables use the
                // path (`Invoice.automatic_tax`), so the path is the label.
                Some(f) => self.field(x, f, &key, generic, &format!("{ptr}/{k}")),
                None if allowed(EXTRA_OK, &key) => {}
                None => self.fail(
                    &format!("{ptr}/{k}"),
                    format!("{key} is not in the {} schema", self.version),
                ),
            }
        }
        for (k, f) in &fields {
            let key = format!("{label}.{k}");
            if f["optional"] != true && !m.contains_key(k) && !allowed(MISSING_OK, &key) {
                self.fail(&format!("{ptr}/{k}"), format!("missing non-optional {key}"));
            }
        }
    }
}

/// One rendered object and the schema type it must satisfy.
struct Case {
    what: String,
    ty: String,
    body: Value,
}

fn case(out: &mut Vec<Case>, what: &str, ty: &str, body: Value) {
    out.push(Case {
        what: what.to_string(),
        ty: ty.to_string(),
        body,
    });
}

/// Drives the mock at `version` through every object it renders.
async fn catalog(api: &Api, version: &str) -> Vec<Case> {
    let basil = version >= "2025-03-31";
    let previews = version >= "2024-04-10";
    let mut out = Vec::new();
    let cus = api
        .post(
            "/v1/customers",
            &[
                ("name", "Jenny Rosen"),
                ("email", "jenny@example.com"),
                ("address[country]", "US"),
                ("address[postal_code]", "94107"),
                ("address[line1]", "1 Main St"),
                ("shipping[name]", "Jenny"),
                ("shipping[address][city]", "SF"),
                ("tax_id_data[0][type]", "eu_vat"),
                ("tax_id_data[0][value]", "DE123456789"),
                ("invoice_settings[custom_fields][0][name]", "PO"),
                ("invoice_settings[custom_fields][0][value]", "42"),
                (
                    "invoice_settings[rendering_options][amount_tax_display]",
                    "exclude_tax",
                ),
                ("invoice_settings[default_payment_method]", "pm_card_visa"),
                ("expand[]", "tax"),
                ("expand[]", "invoice_credit_balance"),
                ("expand[]", "cash_balance"),
            ],
        )
        .await
        .ok();
    let cus_id = id(&cus);
    case(
        &mut out,
        "customer create (expanded)",
        "Customer",
        cus.clone(),
    );
    let coupon = api
        .post(
            "/v1/coupons",
            &[("percent_off", "25"), ("duration", "once")],
        )
        .await
        .ok();
    let rate = api
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "20"),
                ("inclusive", "false"),
            ],
        )
        .await
        .ok();
    let incl = api
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "GST"),
                ("percentage", "10"),
                ("inclusive", "true"),
            ],
        )
        .await
        .ok();
    let coupon_id = id(&coupon);
    let rate_id = id(&rate);
    let incl_id = id(&incl);
    // Pending items: a plain amount; one with discounts and tax rates.
    let item = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus_id),
                ("amount", "1099"),
                ("currency", "usd"),
                ("description", "Consulting"),
            ],
        )
        .await
        .ok();
    case(&mut out, "invoice item", "InvoiceItem", item.clone());
    let price = if basil {
        item["pricing"]["price_details"]["price"]
            .as_str()
            .unwrap()
            .to_string()
    } else {
        item["price"]["id"].as_str().unwrap().to_string()
    };
    let price_param = if basil { "pricing[price]" } else { "price" };
    let rich = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus_id),
                (price_param, &price),
                ("quantity", "3"),
                ("discounts[0][coupon]", &coupon_id),
                ("tax_rates[0]", &rate_id),
                ("metadata[k]", "v"),
            ],
        )
        .await
        .ok();
    case(
        &mut out,
        "invoice item with discounts and taxes",
        "InvoiceItem",
        rich,
    );
    let item2 = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus_id),
                ("amount", "500"),
                ("currency", "usd"),
                ("tax_rates[0]", &incl_id),
            ],
        )
        .await
        .ok();
    let updated = api
        .post(
            &format!("/v1/invoiceitems/{}", id(&item2)),
            &[("description", "Updated"), ("expand[]", "customer")],
        )
        .await
        .ok();
    case(
        &mut out,
        "invoice item update (expanded customer)",
        "InvoiceItem",
        updated,
    );
    if previews {
        let pv = api
            .post(
                "/v1/invoices/create_preview",
                &[
                    ("customer", &cus_id),
                    ("invoice_items[0][amount]", "300"),
                    ("invoice_items[0][currency]", "usd"),
                ],
            )
            .await
            .ok();
        case(&mut out, "create_preview", "Invoice", pv);
    }
    if !basil {
        let up = api
            .get("/v1/invoices/upcoming", &[("customer", &cus_id)])
            .await
            .ok();
        case(&mut out, "upcoming", "UpcomingInvoice", up);
        let lines = api
            .get("/v1/invoices/upcoming/lines", &[("customer", &cus_id)])
            .await
            .ok();
        case(
            &mut out,
            "upcoming lines",
            "ApiList<InvoiceLineItem>",
            lines,
        );
    }
    // A draft with lines, invoice discounts, default tax rates and most settings.
    let draft = api
        .post(
            "/v1/invoices",
            &[
                ("customer", &cus_id),
                ("pending_invoice_items_behavior", "include"),
                ("discounts[0][coupon]", &coupon_id),
                ("default_tax_rates[0]", &rate_id),
                ("auto_advance", "true"),
                ("automatic_tax[enabled]", "false"),
                ("payment_settings[payment_method_types][0]", "card"),
                (
                    "payment_settings[payment_method_options][card][request_three_d_secure]",
                    "any",
                ),
                ("rendering[pdf][page_size]", "a4"),
                ("shipping_details[name]", "Jenny"),
                ("shipping_details[address][city]", "SF"),
                ("shipping_cost[shipping_rate_data][display_name]", "Ground"),
                (
                    "shipping_cost[shipping_rate_data][fixed_amount][amount]",
                    "500",
                ),
                (
                    "shipping_cost[shipping_rate_data][fixed_amount][currency]",
                    "usd",
                ),
                ("account_tax_ids[0]", "txi_1NnnrN2eZvKYlo2CZt3Y8XYZ"),
                ("custom_fields[0][name]", "Ref"),
                ("custom_fields[0][value]", "A-1"),
                ("expand[]", "customer"),
                ("expand[]", "discounts"),
            ],
        )
        .await
        .ok();
    case(
        &mut out,
        "draft with lines, discounts, taxes (expanded)",
        "Invoice",
        draft.clone(),
    );
    let draft_id = id(&draft);
    let line_id = draft["lines"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let line = api
        .post(
            &format!("/v1/invoices/{draft_id}/lines/{line_id}"),
            &[("description", "Edited line"), ("expand[]", "discounts")],
        )
        .await
        .ok();
    case(&mut out, "line update", "InvoiceLineItem", line);
    let lines = api
        .get(
            &format!("/v1/invoices/{draft_id}/lines"),
            &[("expand[]", "data.discounts")],
        )
        .await
        .ok();
    case(&mut out, "invoice lines", "ApiList<InvoiceLineItem>", lines);
    if version >= "2024-06-20" {
        let added = api
            .post(
                &format!("/v1/invoices/{draft_id}/add_lines"),
                &[
                    ("lines[0][amount]", "250"),
                    ("lines[0][description]", "Added"),
                    ("invoice_metadata[k]", "v"),
                ],
            )
            .await
            .ok();
        case(&mut out, "add_lines", "Invoice", added);
    }
    let empty = api
        .post("/v1/invoices", &[("customer", &cus_id)])
        .await
        .ok();
    case(&mut out, "draft without lines", "Invoice", empty.clone());
    let open = api
        .post(&format!("/v1/invoices/{draft_id}/finalize"), &[])
        .await
        .ok();
    case(&mut out, "open", "Invoice", open);
    let paid = api
        .post(
            &format!("/v1/invoices/{draft_id}/pay"),
            &[("payment_method", "pm_card_visa")],
        )
        .await
        .ok();
    case(&mut out, "paid by card", "Invoice", paid);
    // void and uncollectible
    for (action, what) in [("void", "void"), ("mark_uncollectible", "uncollectible")] {
        api.post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus_id),
                ("amount", "700"),
                ("currency", "usd"),
            ],
        )
        .await
        .ok();
        let inv = api
            .post(
                "/v1/invoices",
                &[
                    ("customer", &cus_id),
                    ("pending_invoice_items_behavior", "include"),
                    ("collection_method", "send_invoice"),
                    ("days_until_due", "7"),
                ],
            )
            .await
            .ok();
        let i = id(&inv);
        api.post(&format!("/v1/invoices/{i}/finalize"), &[])
            .await
            .ok();
        let v = api
            .post(&format!("/v1/invoices/{i}/{action}"), &[])
            .await
            .ok();
        case(&mut out, what, "Invoice", v);
    }
    // $0 invoice: paid at finalize; out-of-band payment.
    let zero = api
        .post(&format!("/v1/invoices/{}/finalize", id(&empty)), &[])
        .await
        .ok();
    case(&mut out, "zero amount paid at finalize", "Invoice", zero);
    api.post(
        "/v1/invoiceitems",
        &[
            ("customer", &cus_id),
            ("amount", "800"),
            ("currency", "usd"),
        ],
    )
    .await
    .ok();
    let oob = api
        .post(
            "/v1/invoices",
            &[
                ("customer", &cus_id),
                ("pending_invoice_items_behavior", "include"),
            ],
        )
        .await
        .ok();
    let oob = api
        .post(
            &format!("/v1/invoices/{}/pay", id(&oob)),
            &[("paid_out_of_band", "true")],
        )
        .await
        .ok();
    case(&mut out, "paid out of band", "Invoice", oob);
    let list = api
        .get(
            "/v1/invoices",
            &[("customer", &cus_id), ("expand[]", "data.customer")],
        )
        .await
        .ok();
    case(&mut out, "invoice list", "ApiList<Invoice>", list);
    let search = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", &format!("customer:\"{cus_id}\"")),
                ("expand[]", "total_count"),
            ],
        )
        .await
        .ok();
    case(
        &mut out,
        "invoice search",
        "ApiSearchResult<Invoice>",
        search,
    );
    let items = api
        .get("/v1/invoiceitems", &[("customer", &cus_id)])
        .await
        .ok();
    case(&mut out, "invoice item list", "ApiList<InvoiceItem>", items);
    let custs = api.get("/v1/customers", &[("limit", "3")]).await.ok();
    case(&mut out, "customer list", "ApiList<Customer>", custs);
    let cus_get = api
        .get(
            &format!("/v1/customers/{cus_id}"),
            &[("expand[]", "default_source")],
        )
        .await
        .ok();
    case(&mut out, "customer retrieve", "Customer", cus_get);
    if basil {
        let pays = api
            .get(
                "/v1/invoice_payments",
                &[("invoice", &draft_id), ("expand[]", "data.invoice")],
            )
            .await
            .ok();
        let pay_id = pays["data"][0]["id"].as_str().unwrap().to_string();
        case(
            &mut out,
            "invoice payment list",
            "ApiList<InvoicePayment>",
            pays,
        );
        let pay = api
            .get(&format!("/v1/invoice_payments/{pay_id}"), &[])
            .await
            .ok();
        case(&mut out, "invoice payment", "InvoicePayment", pay);
        let with = api
            .get(
                &format!("/v1/invoices/{draft_id}"),
                &[
                    ("expand[]", "payments"),
                    ("expand[]", "confirmation_secret"),
                ],
            )
            .await
            .ok();
        case(&mut out, "invoice with payments", "Invoice", with);
    }
    // Deleted objects.
    let d_item = api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", &cus_id),
                ("amount", "100"),
                ("currency", "usd"),
            ],
        )
        .await
        .ok();
    let del = api
        .delete(&format!("/v1/invoiceitems/{}", id(&d_item)))
        .await
        .ok();
    case(&mut out, "deleted invoice item", "DeletedInvoiceItem", del);
    let d_inv = api
        .post("/v1/invoices", &[("customer", &cus_id)])
        .await
        .ok();
    let del = api
        .delete(&format!("/v1/invoices/{}", id(&d_inv)))
        .await
        .ok();
    case(&mut out, "deleted invoice", "DeletedInvoice", del);
    let other = api.customer(&[]).await;
    let del = api.delete(&format!("/v1/customers/{other}")).await.ok();
    case(&mut out, "deleted customer", "DeletedCustomer", del);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rendering_satisfies_its_versions_schema() {
    let base = Api::start().await;
    let mut problems = Vec::new();
    let mut summary = Vec::new();
    let all = schemas();
    assert_eq!(all.len(), 29, "one schema per modelled version");
    for (version, schema) in &all {
        let api = base.at_version(version);
        let cases = catalog(&api, version).await;
        let objects = schema["objects"].as_object().expect("objects");
        let before = problems.len();
        for c in &cases {
            let mut ch = Checker {
                objects,
                problems: Vec::new(),
                version,
                what: &c.what,
            };
            let (base_ty, _) = c.ty.split_once('<').unwrap_or((&c.ty, ""));
            ch.object(&c.body, &c.ty, base_ty, "");
            problems.extend(ch.problems);
        }
        summary.push(format!(
            "{version}: {} objects, {} problems",
            cases.len(),
            problems.len() - before
        ));
    }
    eprintln!("schema check:\n  {}", summary.join("\n  "));
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The exception tables stay tight: every EXTRA_OK field is absent from at least one version's
/// schema (else it is no exception), and every MISSING_OK field is required somewhere.
#[test]
fn exceptions_are_needed() {
    let all = schemas();
    let has = |key: &str, s: &Value| -> bool {
        let mut parts: Vec<&str> = key.split('.').collect();
        let field = parts.pop().unwrap_or_default();
        let mut obj = parts.remove(0).to_string();
        for p in parts {
            let ty = s["objects"][&obj]["fields"][p]["type"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            obj = ty
                .trim_start_matches("object:")
                .split('<')
                .next()
                .unwrap_or_default()
                .to_string();
        }
        s["objects"][&obj]["fields"][field].is_object()
    };
    for (key, why) in EXTRA_OK {
        assert!(
            all.iter().any(|(_, s)| !has(key, s)),
            "{key} is in every schema; drop the exception ({why})"
        );
    }
    for (key, why) in MISSING_OK {
        assert!(
            all.iter().any(|(_, s)| has(key, s)),
            "{key} is in no schema; drop the exception ({why})"
        );
    }
}

/// Every `expand[]` path the SDK marks on these objects is accepted at its version, on the
/// object's own endpoint and (under `data.`) on its list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_expandable_path_is_accepted() {
    let base = Api::start().await;
    let mut problems = Vec::new();
    for (version, schema) in schemas() {
        let api = base.at_version(&version);
        let basil = version.as_str() >= "2025-03-31";
        let cus = api.customer(&[]).await;
        let item = api.item(&cus, 500).await;
        let inv = api.draft(&cus, &[]).await;
        let inv_id = id(&inv);
        let mut targets: Vec<(&str, String, bool)> = vec![
            ("Invoice", format!("/v1/invoices/{inv_id}"), false),
            ("Invoice", "/v1/invoices".into(), true),
            (
                "InvoiceLineItem",
                format!("/v1/invoices/{inv_id}/lines"),
                true,
            ),
            (
                "InvoiceItem",
                format!("/v1/invoiceitems/{}", id(&item)),
                false,
            ),
            ("InvoiceItem", "/v1/invoiceitems".into(), true),
            ("Customer", format!("/v1/customers/{cus}"), false),
            ("Customer", "/v1/customers".into(), true),
        ];
        if basil {
            targets.push(("InvoicePayment", "/v1/invoice_payments".into(), true));
        }
        for (object, path, list) in targets {
            let paths = schema["expandable"][object]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for p in paths.iter().filter_map(Value::as_str) {
                let e = if list {
                    format!("data.{p}")
                } else {
                    p.to_string()
                };
                let mut q = vec![("expand[]", e.as_str())];
                if path == "/v1/invoices" || path == "/v1/invoiceitems" {
                    q.push(("customer", cus.as_str()));
                }
                let r = api.get(&path, &q).await;
                if r.status != 200 {
                    problems.push(format!("{version} GET {path} expand[]={e}: {}", r.body));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
