//! Line items: `GET /v1/invoices/:id/lines` (§8.3), `POST /v1/invoices/:id/lines/:line` and the
//! bulk edits `add_lines`, `remove_lines`, `update_lines` (2024-06-20 on). Every line is an
//! invoice item of the invoice, so edits go through `invoice_item.rs`. Non-drafts refuse edits
//! with E21 (`invoice_not_editable`).

use serde_json::{Map, Value};

use super::{get, money, Invoice, Status};
use crate::mock::error::ApiError;
use crate::mock::invoice_item::{self, Spec};
use crate::mock::list::{self, paginate};
use crate::mock::params::{apply_metadata, unsupported, P};
use crate::mock::render;
use crate::mock::store::{Ctx, SortKey, Store};

/// `GET /v1/invoices/:id/lines`: the full line list, in line order.
pub fn list(store: &Store, id: &str, p: &P, ctx: &Ctx) -> Result<Value, ApiError> {
    let inv = get(store, id, "invoice")?;
    page(
        store,
        inv,
        p,
        ctx,
        None,
        &format!("/v1/invoices/{id}/lines"),
    )
}

/// One page of an invoice's lines (also the preview's, with temporary line ids).
pub fn page(
    store: &Store,
    inv: &Invoice,
    p: &P,
    ctx: &Ctx,
    line_ids: Option<&[String]>,
    url: &str,
) -> Result<Value, ApiError> {
    let items = super::items_of(store, inv);
    let id_at = |k: usize| -> Option<String> {
        match line_ids {
            Some(ids) => ids.get(k).cloned(),
            None => items.get(k).and_then(|i| i.line_id.clone()),
        }
    };
    let key_of = |line_id: &str, param: &str| -> Result<SortKey, ApiError> {
        (0..items.len())
            .position(|k| id_at(k).as_deref() == Some(line_id))
            .map(|pos| (-(pos as i64), 0))
            .ok_or_else(|| list::bad_cursor("line item", line_id, param))
    };
    let after = p.str("starting_after");
    let before = p.str("ending_before");
    list::check_cursors(after, before)?;
    let after = after.map(|c| key_of(c, "starting_after")).transpose()?;
    let before = before.map(|c| key_of(c, "ending_before")).transpose()?;
    let rows: Vec<(SortKey, usize)> = (0..items.len()).map(|k| ((-(k as i64), 0), k)).collect();
    let pg = paginate(rows, p.int("limit").unwrap_or(10) as usize, after, before);
    let m = money(store, inv);
    let data = match (pg.items.first(), pg.items.last()) {
        (Some(&a), Some(&b)) => render::lines_data(store, inv, &m, ctx, line_ids, a..b + 1),
        _ => Vec::new(),
    };
    Ok(crate::mock::list::list_body(data, pg.has_more, url))
}

fn editable<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a Invoice, ApiError> {
    let inv = get(store, id, param)?;
    if inv.status != Status::Draft {
        // E21 [S].
        return Err(
            ApiError::invalid("Invalid invoice: This invoice is no longer editable")
                .code("invoice_not_editable"),
        );
    }
    Ok(inv)
}

/// The invoice item behind a line id of the invoice.
fn item_of(store: &Store, inv: &Invoice, line: &str, param: &str) -> Result<String, ApiError> {
    inv.items
        .iter()
        .find(|i| {
            store
                .items
                .get(*i)
                .is_some_and(|it| it.line_id.as_deref() == Some(line))
        })
        .cloned()
        .ok_or_else(|| ApiError::no_such("line item", line, param))
}

fn no_tax_amounts(v: &Map<String, Value>, at: &str) -> Result<(), ApiError> {
    match v.get("tax_amounts") {
        None => Ok(()),
        Some(x) if x.is_null() => Ok(()),
        // Manual tax amounts need tax rate data the mock does not model.
        Some(_) => Err(unsupported(&format!("{at}tax_amounts"))),
    }
}

/// `POST /v1/invoices/:id/lines/:line`; answers the line.
pub fn update_one(
    store: &mut Store,
    id: &str,
    line: &str,
    p: &P,
    ctx: &Ctx,
) -> Result<Value, ApiError> {
    let inv = editable(store, id, "invoice")?;
    let item = item_of(store, inv, line, "line_item_id")?;
    no_tax_amounts(&p.0, "")?;
    let spec = Spec {
        v: &p.0,
        at: String::new(),
    };
    invoice_item::apply_update(store, &item, &spec, ctx, "line_item_id")?;
    let inv = get(store, id, "invoice")?;
    let pos = inv.items.iter().position(|i| *i == item).unwrap_or(0);
    let m = money(store, inv);
    Ok(render::lines_data(store, inv, &m, ctx, None, pos..pos + 1)
        .pop()
        .unwrap_or(Value::Null))
}

fn lines_param(p: &P) -> Result<Vec<Map<String, Value>>, ApiError> {
    Ok(p.get("lines")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_object().cloned()).collect())
        .unwrap_or_default())
}

fn invoice_metadata(store: &mut Store, id: &str, p: &P) -> Result<(), ApiError> {
    if let Some(v) = p.get("invoice_metadata") {
        let Some(inv) = store.invoice_mut(id) else {
            return Ok(());
        };
        let mut m = inv.metadata.clone();
        apply_metadata(&mut m, Some(v)).map_err(|e| e.param("invoice_metadata"))?;
        inv.metadata = m;
    }
    Ok(())
}

/// `add_lines`: each line names a pending `invoice_item` of the customer, or prices a new one.
/// Added lines come first, in the order given ([S]).
pub fn add(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = editable(store, id, "invoice")?.clone();
    let specs = lines_param(p)?;
    let mut added = Vec::new();
    for (i, v) in specs.iter().enumerate() {
        let at = format!("lines[{i}]");
        no_tax_amounts(v, &at)?;
        if let Some(existing) = v.get("invoice_item").and_then(Value::as_str) {
            let ok = store
                .items
                .get(existing)
                .is_some_and(|it| it.invoice.is_none() && it.customer == inv.customer);
            if !ok {
                return Err(ApiError::no_such(
                    "invoiceitem",
                    existing,
                    &format!("{at}[invoice_item]"),
                )
                .status(400));
            }
            if store.items[existing].currency != inv.currency {
                return Err(ApiError::invalid(format!(
                    "The currency of the invoice item ({}) must match the currency of the \
                     invoice ({}).",
                    store.items[existing].currency, inv.currency
                ))
                .param(format!("{at}[invoice_item]")));
            }
            added.push((existing.to_string(), false));
            continue;
        }
        let spec = Spec { v, at: at.clone() };
        let item = invoice_item::build(store, &spec, ctx, &inv.customer, Some(id))?;
        let item_id = item.id.clone();
        store.insert_item(item);
        added.push((item_id, true));
    }
    if inv.items.len() + added.len() > invoice_item::MAX_ITEMS_PER_INVOICE {
        return Err(ApiError::invalid(format!(
            "An invoice can have at most {} invoice items.",
            invoice_item::MAX_ITEMS_PER_INVOICE
        ))
        .param("lines"));
    }
    for (item_id, _) in &added {
        if let Some(it) = store.items.get_mut(item_id) {
            it.invoice = Some(id.to_string());
            if it.line_id.is_none() {
                it.line_id = Some(crate::mock::ids::object_id("il", ctx.now));
            }
        }
    }
    invoice_metadata(store, id, p)?;
    if let Some(inv) = store.invoice_mut(id) {
        let mut items: Vec<String> = added.into_iter().map(|(i, _)| i).collect();
        items.append(&mut inv.items);
        inv.items = items;
    }
    Ok(())
}

/// `remove_lines`: `behavior=delete` deletes the item, `unassign` makes it pending again.
pub fn remove(store: &mut Store, id: &str, p: &P, _ctx: &Ctx) -> Result<(), ApiError> {
    let inv = editable(store, id, "invoice")?.clone();
    let specs = lines_param(p)?;
    let mut plan = Vec::new();
    for (i, v) in specs.iter().enumerate() {
        let line = v.get("id").and_then(Value::as_str).unwrap_or_default();
        let item =
            item_of(store, &inv, line, &format!("lines[{i}][id]")).map_err(|e| e.status(400))?;
        let delete = v.get("behavior").and_then(Value::as_str) == Some("delete");
        plan.push((item, delete));
    }
    invoice_metadata(store, id, p)?;
    for (item, delete) in plan {
        if let Some(inv) = store.invoice_mut(id) {
            inv.items.retain(|i| *i != item);
        }
        if delete {
            store.delete_item(&item);
        } else if let Some(it) = store.items.get_mut(&item) {
            it.invoice = None;
            it.line_id = None;
        }
    }
    Ok(())
}

/// `update_lines`: each line names its `id` and takes the line update parameters.
pub fn update_many(store: &mut Store, id: &str, p: &P, ctx: &Ctx) -> Result<(), ApiError> {
    let inv = editable(store, id, "invoice")?.clone();
    let specs = lines_param(p)?;
    let mut items = Vec::new();
    for (i, v) in specs.iter().enumerate() {
        let at = format!("lines[{i}]");
        let line = v.get("id").and_then(Value::as_str).unwrap_or_default();
        items.push(item_of(store, &inv, line, &format!("{at}[id]")).map_err(|e| e.status(400))?);
        no_tax_amounts(v, &at)?;
    }
    // Validate every line on a scratch copy first so a refusal changes nothing.
    let snapshot = store.items.clone();
    for (k, v) in specs.iter().enumerate() {
        let mut rest = v.clone();
        rest.remove("id");
        let spec = Spec {
            v: &rest,
            at: format!("lines[{k}]"),
        };
        if let Err(e) = invoice_item::apply_update(store, &items[k], &spec, ctx, "id") {
            store.items = snapshot;
            return Err(e);
        }
    }
    invoice_metadata(store, id, p)
}
