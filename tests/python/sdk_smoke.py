#!/usr/bin/env python3
"""Drives the apiparity mock with Stripe's official Python SDK.

Usage: python3 tests/python/sdk_smoke.py http://127.0.0.1:PORT

The SDK pins its own API version (newer than basil), encodes parameters its own way (indexed
arrays, an automatic Idempotency-Key on every POST) and maps errors to its exception classes, so
this checks the mock against a real client rather than against our own encoder. Exits non-zero
on the first failed check.
"""

import sys

try:
    import stripe
except ImportError:  # pragma: no cover - reported, not hidden
    print("sdk_smoke: the `stripe` package is not installed (pip install stripe)", file=sys.stderr)
    sys.exit(2)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def main(base):
    stripe.api_key = "sk_test_123"
    stripe.api_base = base
    stripe.max_network_retries = 0

    # customer -> invoice item -> invoice -> finalize -> pay
    cus = stripe.Customer.create(
        name="Jenny Rosen",
        email="jennyrosen@example.com",
        balance=-500,
        metadata={"run": "sdk_smoke"},
        tax_id_data=[{"type": "eu_vat", "value": "DE123456789"}],
    )
    check(cus.id.startswith("cus_"), f"customer id {cus.id}")
    item = stripe.InvoiceItem.create(
        customer=cus.id, amount=1099, currency="usd", description="SDK smoke item"
    )
    check(item.amount == 1099, "item amount")
    inv = stripe.Invoice.create(
        customer=cus.id, pending_invoice_items_behavior="include", metadata={"order": "42"}
    )
    check(inv.status == "draft", f"draft status {inv.status}")
    check(inv.lines.total_count == 1, "swept the pending item")
    check(inv.parent is None, "basil+ shape has parent")
    check("paid" not in inv, "basil+ shape has no `paid`")
    inv = stripe.Invoice.finalize_invoice(inv.id)
    check(inv.status == "open", f"finalized status {inv.status}")
    check(inv.amount_due == 599 and inv.ending_balance == 0, "credit balance applied")
    check(inv.number.endswith("-0001"), f"number {inv.number}")
    check(inv.hosted_invoice_url.startswith("https://invoice.stripe.com/i/"), "hosted url")
    inv = stripe.Invoice.pay(inv.id, payment_method="pm_card_visa")
    check(inv.status == "paid" and inv.amount_paid == 599, "paid by card")
    check(inv.attempt_count == 1 and inv.attempted, "one attempt")

    try:
        stripe.Invoice.pay(inv.id, paid_out_of_band=True)
        raise AssertionError("paying a paid invoice must fail")
    except stripe.InvalidRequestError as e:
        check(e.user_message == "Invoice is already paid", f"E4 message: {e.user_message}")
        check(e.http_status == 400, "E4 status")

    # A declined card surfaces as CardError and leaves the invoice open.
    stripe.InvoiceItem.create(customer=cus.id, amount=2000, currency="usd")
    declined = stripe.Invoice.create(customer=cus.id, pending_invoice_items_behavior="include")
    declined = stripe.Invoice.finalize_invoice(declined.id)
    try:
        stripe.Invoice.pay(declined.id, payment_method="pm_card_chargeDeclined")
        raise AssertionError("declined card must fail")
    except stripe.CardError as e:
        check(e.code == "card_declined", f"decline code {e.code}")
        check(e.http_status == 402, "decline status")
    declined = stripe.Invoice.retrieve(declined.id)
    check(declined.status == "open" and declined.attempt_count == 1, "decline kept it open")

    # mark_uncollectible, then void (allowed from uncollectible per the docs).
    un = stripe.Invoice.mark_uncollectible(declined.id)
    check(un.status == "uncollectible", "uncollectible")
    void = stripe.Invoice.void_invoice(declined.id)
    check(void.status == "void", "voided")

    # send on a send_invoice draft finalizes it.
    stripe.InvoiceItem.create(customer=cus.id, amount=300, currency="usd")
    sendable = stripe.Invoice.create(
        customer=cus.id,
        collection_method="send_invoice",
        days_until_due=7,
        pending_invoice_items_behavior="include",
    )
    check(sendable.due_date - sendable.created == 7 * 86400, "due date")
    sent = stripe.Invoice.send_invoice(sendable.id)
    check(sent.status == "open" and sent.number is not None, "sent finalizes")

    # delete a draft; then it is gone.
    draft = stripe.Invoice.create(customer=cus.id)
    deleted = stripe.Invoice.delete(draft.id)
    check(deleted.deleted is True and deleted.id == draft.id, "deleted stub")
    try:
        stripe.Invoice.retrieve(draft.id)
        raise AssertionError("deleted draft must 404")
    except stripe.InvalidRequestError as e:
        check(e.http_status == 404 and e.code == "resource_missing", "404 after delete")

    # list: newest first, paging with the SDK's auto-pager.
    page = stripe.Invoice.list(customer=cus.id, limit=2)
    check(len(page.data) == 2 and page.has_more, "first list page")
    all_ids = [i.id for i in stripe.Invoice.list(customer=cus.id, limit=1).auto_paging_iter()]
    check(len(all_ids) == 3, f"auto paging saw {len(all_ids)} invoices")
    check(all_ids[0] == sent.id, "newest first")

    # search: zero lag in the mock.
    found = stripe.Invoice.search(query=f'customer:"{cus.id}" AND metadata["order"]:"42"')
    check([i.id for i in found.data] == [inv.id], "search by metadata")
    found = stripe.Invoice.search(query=f'customer:"{cus.id}" -status:"paid"', limit=1)
    seen = [i.id for i in found.auto_paging_iter()]
    check(len(seen) == 2, f"search paging saw {len(seen)}")
    try:
        stripe.Invoice.search(query="amount<1")
        raise AssertionError("unknown search field must fail")
    except stripe.InvalidRequestError as e:
        check(e.param == "query", "search error param")

    # Idempotency through the SDK's own header.
    a = stripe.Customer.create(name="idem", idempotency_key="smoke-key-1")
    b = stripe.Customer.create(name="idem", idempotency_key="smoke-key-1")
    check(a.id == b.id, "idempotent replay returns the same customer")
    try:
        stripe.Customer.create(name="other", idempotency_key="smoke-key-1")
        raise AssertionError("key reuse with other params must fail")
    except stripe.IdempotencyError:
        pass

    print("sdk_smoke: all checks passed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1].rstrip("/"))
    except AssertionError as e:
        print(f"sdk_smoke: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except stripe.StripeError as e:
        print(f"sdk_smoke: FAILED with an unexpected Stripe error: {e!r}", file=sys.stderr)
        sys.exit(1)
