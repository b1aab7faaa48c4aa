//! Routing and the per-route tables: which parameter schema and `expand[]` paths a route takes,
//! the version-dependent checks that belong to validation, and the handler each route runs.

use axum::http::Method;
use serde_json::Value;

use super::error::ApiError;
use super::form::Params;
use super::invoice::{self, api as invoice_api};
use super::params::{self, Field, P};
use super::render::{check_expand, Expand};
use super::store::{Ctx, Store};
use super::{customer, invoice_item};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    CustomerCreate,
    CustomerList,
    CustomerGet(&'a str),
    CustomerUpdate(&'a str),
    CustomerDelete(&'a str),
    ItemCreate,
    ItemList,
    ItemGet(&'a str),
    ItemDelete(&'a str),
    InvoiceCreate,
    InvoiceList,
    InvoiceSearch,
    InvoiceGet(&'a str),
    InvoiceUpdate(&'a str),
    InvoiceDelete(&'a str),
    Finalize(&'a str),
    Pay(&'a str),
    Send(&'a str),
    Void(&'a str),
    MarkUncollectible(&'a str),
    Lines(&'a str),
}

pub fn route<'a>(method: &Method, path: &'a str) -> Option<Route<'a>> {
    let rest = path.strip_prefix("/v1/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    use Route::*;
    let m = method.as_str();
    Some(match (m, segs.as_slice()) {
        ("POST", ["customers"]) => CustomerCreate,
        ("GET", ["customers"]) => CustomerList,
        ("GET", ["customers", id]) => CustomerGet(id),
        ("POST", ["customers", id]) => CustomerUpdate(id),
        ("DELETE", ["customers", id]) => CustomerDelete(id),
        ("POST", ["invoiceitems"]) => ItemCreate,
        ("GET", ["invoiceitems"]) => ItemList,
        ("GET", ["invoiceitems", id]) => ItemGet(id),
        ("DELETE", ["invoiceitems", id]) => ItemDelete(id),
        ("POST", ["invoices"]) => InvoiceCreate,
        ("GET", ["invoices"]) => InvoiceList,
        ("GET", ["invoices", "search"]) => InvoiceSearch,
        ("GET", ["invoices", id]) => InvoiceGet(id),
        ("POST", ["invoices", id]) => InvoiceUpdate(id),
        ("DELETE", ["invoices", id]) => InvoiceDelete(id),
        ("POST", ["invoices", id, "finalize"]) => Finalize(id),
        ("POST", ["invoices", id, "pay"]) => Pay(id),
        ("POST", ["invoices", id, "send"]) => Send(id),
        ("POST", ["invoices", id, "void"]) => Void(id),
        ("POST", ["invoices", id, "mark_uncollectible"]) => MarkUncollectible(id),
        ("GET", ["invoices", id, "lines"]) => Lines(id),
        _ => return None,
    })
}

/// The parameter schema and the expandable paths (and whether it is a list) of a route.
fn schema(route: Route, ctx: &Ctx) -> (&'static [Field], Vec<String>, bool) {
    use Route::*;
    match route {
        CustomerCreate => (params::CUSTOMER_CREATE, vec![], false),
        CustomerList => (params::CUSTOMER_LIST, vec![], true),
        CustomerGet(_) => (params::RETRIEVE, vec![], false),
        CustomerUpdate(_) => (params::CUSTOMER_UPDATE, vec![], false),
        CustomerDelete(_) | InvoiceDelete(_) | ItemDelete(_) => (params::NONE, vec![], false),
        ItemCreate => (params::ITEM_CREATE, invoice_api::item_expands(ctx), false),
        ItemList => (
            params::ITEM_LIST,
            invoice_api::item_expands(ctx)
                .into_iter()
                .map(|p| format!("data.{p}"))
                .collect(),
            true,
        ),
        ItemGet(_) => (params::RETRIEVE, invoice_api::item_expands(ctx), false),
        InvoiceCreate => (
            params::INVOICE_CREATE,
            invoice_api::invoice_expands(ctx),
            false,
        ),
        InvoiceList => (
            params::INVOICE_LIST,
            invoice_api::list_expands(ctx, false),
            true,
        ),
        InvoiceSearch => (
            params::INVOICE_SEARCH,
            invoice_api::list_expands(ctx, true),
            true,
        ),
        InvoiceGet(_) | Send(_) | Void(_) | MarkUncollectible(_) => {
            (params::RETRIEVE, invoice_api::invoice_expands(ctx), false)
        }
        InvoiceUpdate(_) => (
            params::INVOICE_UPDATE,
            invoice_api::invoice_expands(ctx),
            false,
        ),
        Finalize(_) => (params::FINALIZE, invoice_api::invoice_expands(ctx), false),
        Pay(_) => (params::PAY, invoice_api::invoice_expands(ctx), false),
        Lines(_) => (params::LINES, invoice_api::lines_expands(ctx), true),
    }
}

/// Schema validation plus the version-dependent checks: failures here are "before execution"
/// and are never stored for idempotency.
pub fn validate(route: Route, tree: &Params, ctx: &Ctx) -> Result<(P, Expand), ApiError> {
    let (fields, expandable, is_list) = schema(route, ctx);
    let p = P(params::validate(fields, tree)?);
    match route {
        Route::InvoiceCreate => invoice_api::check_create(&p, ctx)?,
        Route::ItemCreate => {
            // `price` became `pricing[price]` in basil.
            let stale = if ctx.basil { "price" } else { "pricing" };
            if p.has(stale) {
                return Err(ApiError::unknown_param(stale));
            }
        }
        _ => {}
    }
    let paths = p.expand();
    check_expand(&paths, &expandable, is_list)?;
    Ok((p, Expand::from_paths(&paths)))
}

pub fn execute(
    store: &mut Store,
    route: Route,
    p: &P,
    ctx: &Ctx,
    e: &Expand,
) -> Result<Value, ApiError> {
    use Route::*;
    let now = ctx.now;
    match route {
        CustomerCreate => customer::create(store, p, ctx),
        CustomerList => customer::list(store, p),
        CustomerGet(id) => customer::retrieve(store, id),
        CustomerUpdate(id) => customer::update(store, id, p),
        CustomerDelete(id) => customer::delete(store, id),
        ItemCreate => invoice_item::create(store, p, ctx, e),
        ItemList => invoice_item::list(store, p, ctx, e.sub("data")),
        ItemGet(id) => invoice_item::retrieve(store, id, ctx, e),
        ItemDelete(id) => invoice_item::delete(store, id),
        InvoiceCreate => invoice_api::create(store, p, ctx, e),
        InvoiceList => invoice_api::list(store, p, ctx, e),
        InvoiceSearch => invoice_api::search(store, p, ctx, e),
        InvoiceGet(id) => invoice_api::retrieve(store, id, ctx, e),
        InvoiceUpdate(id) => invoice_api::update(store, id, p, ctx, e),
        InvoiceDelete(id) => {
            invoice::delete(store, id)?;
            Ok(super::render::deleted(id, "invoice"))
        }
        Finalize(id) => invoice_api::finalize(store, id, p, ctx, e),
        Pay(id) => {
            let args = invoice::PayArgs {
                paid_out_of_band: p.bool("paid_out_of_band").unwrap_or(false),
                payment_method: p.str("payment_method"),
                source: p.str("source"),
            };
            invoice::pay(store, id, &args, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Send(id) => {
            invoice::send(store, id, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Void(id) => {
            invoice::void(store, id, ctx)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        MarkUncollectible(id) => {
            invoice::mark_uncollectible(store, id, now)?;
            invoice_api::render_by_id(store, id, ctx, e)
        }
        Lines(id) => invoice_api::lines(store, id, p, ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route(&Method::GET, "/v1/invoices/search"),
            Some(Route::InvoiceSearch)
        );
        assert_eq!(
            route(&Method::POST, "/v1/invoices/in_1/pay"),
            Some(Route::Pay("in_1"))
        );
        assert_eq!(route(&Method::POST, "/v1/invoice_drafts"), None);
        assert_eq!(route(&Method::GET, "/v1/invoices/"), None);
        assert_eq!(route(&Method::PUT, "/v1/invoices"), None);
    }
}
