//! Routing and the per-route table: which parameter tree a route validates against (and which
//! of its parameters the mock models), which object it renders for `expand[]`, and the handler
//! it runs. A route whose operation the request's version does not have answers 404
//! `Unrecognized request URL`, as Stripe does for a path it does not serve.

use axum::http::Method;
use serde_json::Value;

use super::catalog;
use super::error::ApiError;
use super::expand::{self, Obj};
use super::form::Params;
use super::invoice::{self, api as invoice_api, lines, payments, preview};
use super::params::{self, Op, Supported, P};
use super::render::{self, Expand};
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
    ItemUpdate(&'a str),
    ItemDelete(&'a str),
    InvoiceCreate,
    InvoiceList,
    InvoiceSearch,
    CreatePreview,
    Upcoming,
    UpcomingLines,
    InvoiceGet(&'a str),
    InvoiceUpdate(&'a str),
    InvoiceDelete(&'a str),
    Finalize(&'a str),
    Pay(&'a str),
    Send(&'a str),
    Void(&'a str),
    MarkUncollectible(&'a str),
    Lines(&'a str),
    UpdateLine(&'a str, &'a str),
    AddLines(&'a str),
    RemoveLines(&'a str),
    UpdateLines(&'a str),
    AttachPayment(&'a str),
    PaymentList,
    PaymentGet(&'a str),
    CouponCreate,
    CouponGet(&'a str),
    CouponDelete(&'a str),
    TaxRateCreate,
    TaxRateGet(&'a str),
    ProductCreate,
    ProductGet(&'a str),
    PriceCreate,
    PriceGet(&'a str),
    PaymentMethodAttach(&'a str),
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
        ("POST", ["invoiceitems", id]) => ItemUpdate(id),
        ("DELETE", ["invoiceitems", id]) => ItemDelete(id),
        ("POST", ["invoices"]) => InvoiceCreate,
        ("GET", ["invoices"]) => InvoiceList,
        ("GET", ["invoices", "search"]) => InvoiceSearch,
        ("POST", ["invoices", "create_preview"]) => CreatePreview,
        ("GET", ["invoices", "upcoming"]) => Upcoming,
        ("GET", ["invoices", "upcoming", "lines"]) => UpcomingLines,
        // Never invoice ids, at any version.
        (_, ["invoices", "search" | "create_preview" | "upcoming", ..]) => return None,
        ("GET", ["invoices", id]) => InvoiceGet(id),
        ("POST", ["invoices", id]) => InvoiceUpdate(id),
        ("DELETE", ["invoices", id]) => InvoiceDelete(id),
        ("POST", ["invoices", id, "finalize"]) => Finalize(id),
        ("POST", ["invoices", id, "pay"]) => Pay(id),
        ("POST", ["invoices", id, "send"]) => Send(id),
        ("POST", ["invoices", id, "void"]) => Void(id),
        ("POST", ["invoices", id, "mark_uncollectible"]) => MarkUncollectible(id),
        ("GET", ["invoices", id, "lines"]) => Lines(id),
        ("POST", ["invoices", id, "lines", line]) => UpdateLine(id, line),
        ("POST", ["invoices", id, "add_lines"]) => AddLines(id),
        ("POST", ["invoices", id, "remove_lines"]) => RemoveLines(id),
        ("POST", ["invoices", id, "update_lines"]) => UpdateLines(id),
        ("POST", ["invoices", id, "attach_payment"]) => AttachPayment(id),
        ("GET", ["invoice_payments"]) => PaymentList,
        ("GET", ["invoice_payments", id]) => PaymentGet(id),
        ("POST", ["coupons"]) => CouponCreate,
        ("GET", ["coupons", id]) => CouponGet(id),
        ("DELETE", ["coupons", id]) => CouponDelete(id),
        ("POST", ["tax_rates"]) => TaxRateCreate,
        ("GET", ["tax_rates", id]) => TaxRateGet(id),
        ("POST", ["products"]) => ProductCreate,
        ("GET", ["products", id]) => ProductGet(id),
        ("POST", ["prices"]) => PriceCreate,
        ("GET", ["prices", id]) => PriceGet(id),
        ("POST", ["payment_methods", id, "attach"]) => PaymentMethodAttach(id),
        _ => return None,
    })
}

/// Per route: its parameter tree, the parameters the mock models, and what it renders
/// (`(object, is a list, is a search)`).
struct Spec {
    op: Op,
    supported: Supported,
    obj: Obj,
    list: bool,
    search: bool,
}

const fn one(op: Op, supported: Supported, obj: Obj) -> Spec {
    Spec {
        op,
        supported,
        obj,
        list: false,
        search: false,
    }
}
const fn many(op: Op, obj: Obj) -> Spec {
    Spec {
        op,
        supported: Supported::All,
        obj,
        list: true,
        search: false,
    }
}

/// Customer list: the `test_clock` filter needs test clocks, which the mock does not model.
const CUSTOMER_LIST: &[&str] = &[
    "created",
    "email",
    "ending_before",
    "expand",
    "limit",
    "starting_after",
];

fn spec(route: Route) -> Spec {
    use Route::*;
    use Supported::{All, Only};
    match route {
        CustomerCreate => one(
            Op::CustomerCreate,
            Only(customer::CREATE_PARAMS),
            Obj::Customer,
        ),
        CustomerList => Spec {
            supported: Only(CUSTOMER_LIST),
            ..many(Op::CustomerList, Obj::Customer)
        },
        CustomerGet(_) => one(Op::CustomerRetrieve, All, Obj::Customer),
        CustomerUpdate(_) => one(
            Op::CustomerUpdate,
            Only(customer::UPDATE_PARAMS),
            Obj::Customer,
        ),
        CustomerDelete(_) => one(Op::CustomerDelete, All, Obj::Plain),
        ItemCreate => one(Op::ItemCreate, Only(invoice_item::CREATE_PARAMS), Obj::Item),
        ItemList => many(Op::ItemList, Obj::Item),
        ItemGet(_) => one(Op::ItemRetrieve, All, Obj::Item),
        ItemUpdate(_) => one(Op::ItemUpdate, Only(invoice_item::UPDATE_PARAMS), Obj::Item),
        ItemDelete(_) => one(Op::ItemDelete, All, Obj::Plain),
        InvoiceCreate => one(
            Op::InvoiceCreate,
            Only(invoice_api::CREATE_PARAMS),
            Obj::Invoice,
        ),
        InvoiceList => many(Op::InvoiceList, Obj::Invoice),
        InvoiceSearch => Spec {
            search: true,
            ..many(Op::Search, Obj::Invoice)
        },
        CreatePreview => one(Op::CreatePreview, Only(preview::PARAMS), Obj::Invoice),
        Upcoming => one(Op::Upcoming, Only(preview::PARAMS), Obj::Upcoming),
        UpcomingLines => Spec {
            supported: Only(preview::PARAMS),
            ..many(Op::UpcomingLines, Obj::Line)
        },
        InvoiceGet(_) => one(Op::InvoiceRetrieve, All, Obj::Invoice),
        InvoiceUpdate(_) => one(
            Op::InvoiceUpdate,
            Only(invoice_api::UPDATE_PARAMS),
            Obj::Invoice,
        ),
        InvoiceDelete(_) => one(Op::InvoiceDelete, All, Obj::Plain),
        Finalize(_) => one(Op::Finalize, All, Obj::Invoice),
        Pay(_) => one(Op::Pay, All, Obj::Invoice),
        Send(_) => one(Op::Send, All, Obj::Invoice),
        Void(_) => one(Op::Void, All, Obj::Invoice),
        MarkUncollectible(_) => one(Op::MarkUncollectible, All, Obj::Invoice),
        Lines(_) => many(Op::Lines, Obj::Line),
        UpdateLine(..) => one(Op::UpdateLine, All, Obj::Line),
        AddLines(_) => one(Op::AddLines, All, Obj::Invoice),
        RemoveLines(_) => one(Op::RemoveLines, All, Obj::Invoice),
        UpdateLines(_) => one(Op::UpdateLines, All, Obj::Invoice),
        AttachPayment(_) => one(Op::AttachPayment, All, Obj::Invoice),
        PaymentList => many(Op::PaymentList, Obj::Payment),
        PaymentGet(_) => one(Op::PaymentRetrieve, All, Obj::Payment),
        CouponCreate => one(Op::CouponCreate, All, Obj::Plain),
        TaxRateCreate => one(Op::TaxRateCreate, All, Obj::Plain),
        ProductCreate => one(Op::ProductCreate, All, Obj::Plain),
        PriceCreate => one(Op::PriceCreate, All, Obj::Plain),
        CouponGet(_) | TaxRateGet(_) | ProductGet(_) | PriceGet(_) => {
            one(Op::CatalogRetrieve, All, Obj::Plain)
        }
        CouponDelete(_) => one(Op::InvoiceDelete, All, Obj::Plain),
        PaymentMethodAttach(_) => one(Op::PaymentMethodAttach, All, Obj::Plain),
    }
}

/// Does the request's version serve this route?
pub fn served(route: Route, ctx: &Ctx) -> bool {
    params::has_op(spec(route).op, ctx.version)
}

/// Validated parameters and the requested `expand[]` paths.
pub struct Valid {
    pub p: P,
    pub paths: Vec<String>,
    pub expand: Expand,
}

/// Schema validation plus the expand check: failures here are "before execution" and are never
/// stored for idempotency.
pub fn validate(route: Route, tree: &Params, ctx: &Ctx) -> Result<Valid, ApiError> {
    let s = spec(route);
    let p = P(params::validate(s.op, ctx.version, tree, s.supported)?);
    let paths = p.expand();
    if !paths.is_empty() {
        let allowed = expand::allowed(s.obj, ctx, s.list, s.search);
        expand::check(&paths, &allowed, s.list)?;
    }
    let expand = Expand::from_paths(&paths);
    Ok(Valid { p, paths, expand })
}

fn invoice_obj(store: &Store, id: &str, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    invoice_api::render_by_id(store, id, ctx, e)
}

fn customer_obj(store: &Store, id: &str, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    match store.customers.get(id) {
        Some(c) => Ok(render::customer_with(store, c, ctx, e)),
        None => Err(ApiError::no_such("customer", id, "id")),
    }
}

fn item_obj(store: &Store, id: &str, ctx: &Ctx) -> Result<Value, ApiError> {
    invoice_item::retrieve(store, id, ctx)
}

fn catalog_get(store: &Store, route: Route) -> Result<Value, ApiError> {
    use Route::*;
    match route {
        CouponGet(id) => store
            .coupons
            .get(id)
            .filter(|c| !c.deleted)
            .map(render::coupon)
            .ok_or_else(|| ApiError::no_such("coupon", id, "id")),
        TaxRateGet(id) => store
            .tax_rates
            .get(id)
            .map(render::tax_rate)
            .ok_or_else(|| ApiError::no_such("tax_rate", id, "id")),
        ProductGet(id) => store
            .products
            .get(id)
            .map(render::product)
            .ok_or_else(|| ApiError::no_such("product", id, "id")),
        PriceGet(id) => store
            .prices
            .get(id)
            .map(render::price)
            .ok_or_else(|| ApiError::no_such("price", id, "id")),
        _ => Err(ApiError::invalid("not a catalog route")),
    }
}

/// Runs the route's handler (with the store lock held) and applies `expand[]` to the result.
pub fn execute(store: &mut Store, route: Route, v: &Valid, ctx: &Ctx) -> Result<Value, ApiError> {
    let out = run(store, route, &v.p, ctx, &v.expand);
    // Every change is indexed before the lock is released, whatever the outcome.
    store.reindex();
    #[cfg(debug_assertions)]
    store.check_indexes();
    let mut out = out?;
    if !v.paths.is_empty() {
        expand::apply(&mut out, &v.paths, store, ctx);
    }
    Ok(out)
}

/// Routes that change nothing: they run under a shared lock ([`execute_read`]).
pub fn read_only(route: Route) -> bool {
    use Route::*;
    matches!(
        route,
        CustomerList
            | CustomerGet(_)
            | ItemList
            | ItemGet(_)
            | InvoiceList
            | InvoiceSearch
            | CreatePreview
            | Upcoming
            | UpcomingLines
            | InvoiceGet(_)
            | Lines(_)
            | PaymentList
            | PaymentGet(_)
            | CouponGet(_)
            | TaxRateGet(_)
            | ProductGet(_)
            | PriceGet(_)
    )
}

/// [`execute`] for a [`read_only`] route, on a shared borrow of the store.
pub fn execute_read(store: &Store, route: Route, v: &Valid, ctx: &Ctx) -> Result<Value, ApiError> {
    let mut out = run_read(store, route, &v.p, ctx, &v.expand)?;
    if !v.paths.is_empty() {
        expand::apply(&mut out, &v.paths, store, ctx);
    }
    Ok(out)
}

fn run_read(store: &Store, route: Route, p: &P, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    use Route::*;
    match route {
        CustomerList => customer::list(store, p, ctx),
        CustomerGet(id) => match store.customers.get(id) {
            Some(c) if !c.deleted => Ok(render::customer_with(store, c, ctx, e)),
            _ => customer::retrieve(store, id, ctx),
        },
        ItemList => invoice_item::list(store, p, ctx),
        ItemGet(id) => item_obj(store, id, ctx),
        InvoiceList => invoice_api::list(store, p, ctx, e.sub("data")),
        InvoiceSearch => invoice_api::search(store, p, ctx, e),
        CreatePreview => preview::create_preview(store, p, ctx),
        Upcoming => preview::upcoming(store, p, ctx),
        UpcomingLines => preview::upcoming_lines(store, p, ctx),
        InvoiceGet(id) => invoice_api::retrieve(store, id, ctx, e),
        Lines(id) => lines::list(store, id, p, ctx),
        PaymentList => payments::list(store, p, ctx),
        PaymentGet(id) => payments::retrieve(store, id, ctx),
        CouponGet(_) | TaxRateGet(_) | ProductGet(_) | PriceGet(_) => catalog_get(store, route),
        _ => Err(ApiError::invalid("not a read-only route")),
    }
}

fn run(store: &mut Store, route: Route, p: &P, ctx: &Ctx, e: &Expand) -> Result<Value, ApiError> {
    use Route::*;
    match route {
        CustomerCreate => {
            let id = customer::create(store, p, ctx)?;
            customer_obj(store, &id, ctx, e)
        }
        CustomerUpdate(id) => {
            customer::update(store, id, p, ctx)?;
            customer_obj(store, id, ctx, e)
        }
        CustomerDelete(id) => customer::delete(store, id),
        ItemCreate => {
            let id = invoice_item::create(store, p, ctx)?;
            item_obj(store, &id, ctx)
        }
        ItemUpdate(id) => {
            invoice_item::update(store, id, p, ctx)?;
            item_obj(store, id, ctx)
        }
        ItemDelete(id) => invoice_item::delete(store, id),
        InvoiceCreate => {
            let id = invoice_api::create(store, p, ctx)?;
            invoice_obj(store, &id, ctx, e)
        }
        InvoiceUpdate(id) => {
            invoice_api::update(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        InvoiceDelete(id) => {
            invoice::delete(store, id)?;
            Ok(render::deleted(id, "invoice"))
        }
        Finalize(id) => {
            invoice_api::finalize(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        Pay(id) => {
            let args = invoice::PayArgs {
                paid_out_of_band: p.bool("paid_out_of_band").unwrap_or(false),
                payment_method: p.str("payment_method"),
                source: p.str("source"),
            };
            invoice::pay(store, id, &args, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        Send(id) => {
            invoice::send(store, id, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        Void(id) => {
            invoice::void(store, id, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        MarkUncollectible(id) => {
            invoice::mark_uncollectible(store, id, ctx.now)?;
            invoice_obj(store, id, ctx, e)
        }
        UpdateLine(id, line) => lines::update_one(store, id, line, p, ctx),
        AddLines(id) => {
            lines::add(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        RemoveLines(id) => {
            lines::remove(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        UpdateLines(id) => {
            lines::update_many(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        AttachPayment(id) => {
            payments::attach(store, id, p, ctx)?;
            invoice_obj(store, id, ctx, e)
        }
        CouponCreate => catalog::create_coupon(store, p, ctx).map(render::coupon),
        TaxRateCreate => catalog::create_tax_rate(store, p, ctx).map(render::tax_rate),
        ProductCreate => catalog::create_product(store, p, ctx).map(render::product),
        PriceCreate => catalog::create_price(store, p, ctx).map(render::price),
        PaymentMethodAttach(id) => super::payment_method::attach(store, id, p, ctx),
        // Existing discounts keep applying (Stripe: deleting a coupon does not remove it from
        // customers or invoices that already use it).
        CouponDelete(id) => match store.coupons.get_mut(id) {
            Some(c) if !c.deleted => {
                c.deleted = true;
                Ok(render::deleted(id, "coupon"))
            }
            _ => Err(ApiError::no_such("coupon", id, "id")),
        },
        _ => run_read(store, route, p, ctx, e),
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
        assert_eq!(
            route(&Method::GET, "/v1/invoices/upcoming"),
            Some(Route::Upcoming)
        );
        assert_eq!(route(&Method::POST, "/v1/invoices/upcoming"), None);
        assert_eq!(route(&Method::GET, "/v1/invoices/create_preview"), None);
        assert_eq!(
            route(&Method::POST, "/v1/invoices/in_1/lines/il_2"),
            Some(Route::UpdateLine("in_1", "il_2"))
        );
        assert_eq!(route(&Method::POST, "/v1/invoice_drafts"), None);
        assert_eq!(route(&Method::GET, "/v1/invoices/"), None);
        assert_eq!(route(&Method::PUT, "/v1/invoices"), None);
    }
}
