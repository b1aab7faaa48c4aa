//! Lists and paging (newest first, cursors, filters), invoice lines, the search language.

use serde_json::Value;

use super::{id, Api};

/// One page of the list at `path` with `params` (filters, `limit`), from `cursor`: `None`,
/// [`after`] an id or [`before`] one.
async fn list_page(
    api: &Api,
    path: &str,
    params: &[(&str, &str)],
    cursor: Option<(&'static str, &str)>,
) -> Value {
    let mut params = params.to_vec();
    params.extend(cursor);
    api.get(path, &params).await.ok()
}

fn after(id: &str) -> Option<(&'static str, &str)> {
    Some(("starting_after", id))
}

fn before(id: &str) -> Option<(&'static str, &str)> {
    Some(("ending_before", id))
}

#[tokio::test]
async fn list_paging_newest_first() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let other = api.customer(&[]).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(id(&api.draft(&cus, &[]).await));
        api.draft(&other, &[]).await;
    }
    ids.reverse(); // newest first
    let c = cus.as_str();
    let page =
        |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let two = [("customer", c), ("limit", "2")];
    let p1 = list_page(&api, "/v1/invoices", &two, None).await;
    assert_eq!(p1["object"], "list");
    assert_eq!(p1["url"], "/v1/invoices");
    assert_eq!(page(&p1), ids[0..2]);
    assert_eq!(p1["has_more"], true);
    let p2 = list_page(&api, "/v1/invoices", &two, after(&ids[1])).await;
    assert_eq!(page(&p2), ids[2..4]);
    assert_eq!(p2["has_more"], true);
    let p3 = list_page(&api, "/v1/invoices", &two, after(&ids[3])).await;
    assert_eq!(page(&p3), ids[4..5]);
    assert_eq!(p3["has_more"], false);
    let back = list_page(&api, "/v1/invoices", &two, before(&ids[4])).await;
    assert_eq!(page(&back), ids[2..4]);
    assert_eq!(back["has_more"], true);
    let all = api.get("/v1/invoices", &[("customer", c)]).await.ok();
    assert_eq!(page(&all), ids);
    assert_eq!(all["has_more"], false);
    let both = api.get("/v1/invoices", &[("limit", "100")]).await.ok();
    assert_eq!(both["data"].as_array().unwrap().len(), 10);
    let e = api
        .get("/v1/invoices", &[("starting_after", "in_nope")])
        .await;
    let e = e.err(400);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["param"], "starting_after");
    assert_eq!(e["message"], "No such invoice: 'in_nope'");
    let e = api
        .get(
            "/v1/invoices",
            &[
                ("starting_after", ids[0].as_str()),
                ("ending_before", ids[1].as_str()),
            ],
        )
        .await;
    assert_eq!(e.err(400)["code"], "parameters_exclusive");
    // Filters.
    let first = serde_json::json!({"id": ids[0]});
    api.action(&first, "finalize", &[]).await.ok();
    let paid = api
        .get("/v1/invoices", &[("customer", c), ("status", "paid")])
        .await
        .ok();
    assert_eq!(page(&paid), ids[0..1]);
    let created = all["data"][0]["created"].as_i64().unwrap().to_string();
    let ranged = api
        .get(
            "/v1/invoices",
            &[("customer", c), ("created[lte]", created.as_str())],
        )
        .await
        .ok();
    assert_eq!(ranged["data"].as_array().unwrap().len(), 5);
    let none = api
        .get(
            "/v1/invoices",
            &[("customer", c), ("created[gt]", created.as_str())],
        )
        .await
        .ok();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let expanded = api
        .get(
            "/v1/invoices",
            &[
                ("customer", c),
                ("limit", "1"),
                ("expand[]", "data.customer"),
            ],
        )
        .await
        .ok();
    assert_eq!(expanded["data"][0]["customer"]["id"], cus);
}

#[tokio::test]
async fn search_language() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let mut made = Vec::new();
    for (amount, order) in [(500, "1"), (1500, "2"), (2500, "3")] {
        api.item(&cus, amount).await;
        let d = api.draft(&cus, &[("metadata[order]", order)]).await;
        made.push(d);
    }
    let opened = api.action(&made[2], "finalize", &[]).await.ok();
    let number = opened["number"].as_str().unwrap().to_string();
    let q = |query: String| {
        let api = &api;
        async move {
            api.get("/v1/invoices/search", &[("query", query.as_str())])
                .await
        }
    };
    let ids_of =
        |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let c = format!("customer:\"{cus}\"");
    let r = q(format!("{c} AND status:\"open\"")).await.ok();
    assert_eq!(r["object"], "search_result");
    assert_eq!(r["url"], "/v1/invoices/search");
    assert_eq!(r["next_page"], Value::Null);
    assert!(r.get("total_count").is_none());
    assert_eq!(ids_of(&r), [id(&made[2])]);
    assert_eq!(
        ids_of(&q(format!("{c} -status:\"open\"")).await.ok()).len(),
        2
    );
    assert_eq!(ids_of(&q(format!("{c} total>1000")).await.ok()).len(), 2);
    assert_eq!(ids_of(&q(format!("{c} total>=1500")).await.ok()).len(), 2);
    assert_eq!(
        ids_of(&q(format!("{c} total<1500")).await.ok()),
        [id(&made[0])]
    );
    assert_eq!(ids_of(&q(format!("{c} total<=1500")).await.ok()).len(), 2);
    assert_eq!(
        ids_of(&q(format!("{c} total=1500")).await.ok()),
        [id(&made[1])]
    );
    assert_eq!(
        ids_of(&q(format!("{c} metadata[\"order\"]:\"2\"")).await.ok()),
        [id(&made[1])]
    );
    assert_eq!(
        ids_of(
            &q("metadata['order']:'1' OR metadata['order']:'3'".to_string())
                .await
                .ok()
        )
        .len(),
        2
    );
    assert_eq!(
        ids_of(&q(format!("number:\"{number}\"")).await.ok()),
        [id(&made[2])]
    );
    let part: String = number.chars().take(4).collect();
    assert_eq!(
        ids_of(&q(format!("number~\"{part}\"")).await.ok()),
        [id(&made[2])]
    );
    assert_eq!(
        ids_of(&q(format!("{c} and currency:\"usd\"")).await.ok()).len(),
        3
    );
    // Paging with next_page; newest first.
    let p1 = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", c.as_str()),
                ("limit", "2"),
                ("expand[]", "total_count"),
            ],
        )
        .await
        .ok();
    assert_eq!(p1["total_count"], 3);
    assert_eq!(p1["has_more"], true);
    assert_eq!(ids_of(&p1), [id(&made[2]), id(&made[1])]);
    let token = p1["next_page"].as_str().unwrap().to_string();
    let p2 = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", c.as_str()),
                ("limit", "2"),
                ("page", token.as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(ids_of(&p2), [id(&made[0])]);
    assert_eq!(p2["has_more"], false);
    assert_eq!(p2["next_page"], Value::Null);
    let e = api
        .get(
            "/v1/invoices/search",
            &[("query", "status:\"open\""), ("page", token.as_str())],
        )
        .await;
    assert_eq!(e.err(400)["param"], "page");
    // Errors.
    for bad in [
        "amount<1",
        "status>\"open\"",
        "status:\"a\" AND total>1 OR total<2",
        "number~\"ab\"",
        "status:open",
        "(status:\"open\")",
        "currency~\"usd\"",
    ] {
        let r = q(bad.to_string()).await;
        let e = r.err(400);
        assert_eq!(e["param"], "query", "{bad}");
        assert_eq!(e["type"], "invalid_request_error");
    }
    let e = api
        .get(
            "/v1/invoices/search",
            &[("query", "status:\"open\""), ("starting_after", "in_x")],
        )
        .await;
    assert_eq!(e.err(400)["code"], "parameter_unknown");
}

#[tokio::test]
async fn embedded_lines_and_line_paging() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let mut items = Vec::new();
    for n in 1..=12 {
        items.push(id(&api.item(&cus, n * 100).await));
    }
    let inv = api.draft(&cus, &[]).await;
    let lines = &inv["lines"];
    assert_eq!(lines["data"].as_array().unwrap().len(), 10);
    assert_eq!(lines["has_more"], true);
    assert_eq!(lines["total_count"], 12);
    assert_eq!(lines["url"], format!("/v1/invoices/{}/lines", id(&inv)));
    assert_eq!(inv["subtotal"], (1..=12).map(|n| n * 100).sum::<i64>());
    // Swept pending items come newest first.
    assert_eq!(
        lines["data"][0]["parent"]["invoice_item_details"]["invoice_item"],
        items[11]
    );
    let path = format!("/v1/invoices/{}/lines", id(&inv));
    let five = [("limit", "5")];
    let p1 = list_page(&api, &path, &five, None).await;
    assert_eq!(p1["url"], path);
    assert_eq!(p1["has_more"], true);
    let last = id(&p1["data"][4]);
    let p2 = list_page(&api, &path, &five, after(&last)).await;
    let last2 = id(&p2["data"][4]);
    let p3 = list_page(&api, &path, &five, after(&last2)).await;
    assert_eq!(p3["data"].as_array().unwrap().len(), 2);
    assert_eq!(p3["has_more"], false);
    assert_eq!(p3["data"][1]["amount"], 100);
    let back = list_page(&api, &path, &five, before(&last2)).await;
    let mut expected = vec![p1["data"][4].clone()];
    expected.extend(p2["data"].as_array().unwrap()[..4].iter().cloned());
    assert_eq!(back["data"], Value::Array(expected));
    assert_eq!(back["has_more"], true);
    let e = api.get(&path, &[("starting_after", "il_nope")]).await;
    assert_eq!(e.err(400)["param"], "starting_after");
}

/// Lists and searches read indexes kept by status and customer: an invoice that changes status
/// moves between them, a deleted draft leaves them, and filtered pages still page exactly.
#[tokio::test]
async fn filtered_pages_follow_transitions() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let other = api.customer(&[]).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(id(&api.draft(&cus, &[]).await));
        api.draft(&other, &[]).await;
    }
    // Zero-amount drafts: finalizing pays them.
    for i in [1, 3, 4] {
        let r = api
            .post(&format!("/v1/invoices/{}/finalize", ids[i]), &[])
            .await
            .ok();
        assert_eq!(r["status"], "paid");
    }
    let gone = api.delete(&format!("/v1/invoices/{}", ids[5])).await.ok();
    assert_eq!(gone["deleted"], true);
    let page =
        |v: &Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(id).collect() };
    let c = cus.as_str();
    let paid = [("status", "paid"), ("limit", "2")];
    let p1 = api.get("/v1/invoices", &paid).await.ok();
    assert_eq!(page(&p1), [ids[4].clone(), ids[3].clone()]);
    assert_eq!(p1["has_more"], true);
    let p2 = list_page(&api, "/v1/invoices", &paid, after(&ids[3])).await;
    assert_eq!(page(&p2), [ids[1].clone()]);
    assert_eq!(p2["has_more"], false);
    // A cursor outside the filter still positions the page.
    let p3 = list_page(&api, "/v1/invoices", &paid, before(&ids[2])).await;
    assert_eq!(page(&p3), [ids[4].clone(), ids[3].clone()]);
    let drafts = api
        .get("/v1/invoices", &[("customer", c), ("status", "draft")])
        .await
        .ok();
    assert_eq!(page(&drafts), [ids[2].clone(), ids[0].clone()]);
    let created = serde_json::json!(0).to_string();
    let none = api
        .get("/v1/invoices", &[("created[lt]", created.as_str())])
        .await
        .ok();
    assert_eq!(page(&none), Vec::<String>::new());
    let q = format!("customer:\"{c}\" AND status:\"PAID\"");
    let s = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", q.as_str()),
                ("limit", "2"),
                ("expand[]", "total_count"),
            ],
        )
        .await
        .ok();
    assert_eq!(page(&s), [ids[4].clone(), ids[3].clone()]);
    assert_eq!(s["total_count"], 3);
    let next = s["next_page"].as_str().unwrap().to_string();
    let s2 = api
        .get(
            "/v1/invoices/search",
            &[
                ("query", q.as_str()),
                ("limit", "2"),
                ("page", next.as_str()),
            ],
        )
        .await
        .ok();
    assert_eq!(page(&s2), [ids[1].clone()]);
    assert_eq!(s2["has_more"], false);
    let drafts = api
        .get("/v1/invoices/search", &[("query", "status:\"draft\"")])
        .await
        .ok();
    assert_eq!(drafts["data"].as_array().unwrap().len(), 8);
}

/// A deleted customer nothing refers to is freed, yet still answers as deleted.
#[tokio::test]
async fn deleted_customers_answer_their_stub() {
    let api = Api::start().await;
    let lone = api.customer(&[]).await;
    let billed = api.customer(&[]).await;
    let inv = id(&api.draft(&billed, &[]).await);
    for c in [&lone, &billed] {
        let d = api.delete(&format!("/v1/customers/{c}")).await.ok();
        assert_eq!(d["deleted"], true);
        let again = api.get(&format!("/v1/customers/{c}"), &[]).await.ok();
        assert_eq!(
            again,
            serde_json::json!({"id": c, "object": "customer", "deleted": true})
        );
        // Deleted twice: 404, as before.
        api.delete(&format!("/v1/customers/{c}")).await.err(404);
        // List filters accept a deleted customer.
        let l = api
            .get("/v1/invoices", &[("customer", c.as_str())])
            .await
            .ok();
        assert_eq!(l["object"], "list");
    }
    let expanded = api
        .get(&format!("/v1/invoices/{inv}"), &[("expand[]", "customer")])
        .await
        .ok();
    assert_eq!(expanded["customer"]["deleted"], true);
    let live = api.get("/v1/customers", &[]).await.ok();
    assert_eq!(live["data"].as_array().unwrap().len(), 0);
}

/// Deleted invoices and invoice items are freed too, and still answer as Stripe does: the
/// invoice 404 `resource_missing`, the item its deleted stub; lists no longer show them, and a
/// deleted customer whose last invoice goes is still a deleted customer.
#[tokio::test]
async fn deleted_invoices_and_items_answer_as_before() {
    let api = Api::start().await;
    let cus = api.customer(&[]).await;
    let swept = id(&api.item(&cus, 100).await);
    let draft = id(&api.draft(&cus, &[]).await);
    let kept = id(&api.draft(&cus, &[]).await);
    let on_kept = id(&api
        .post(
            "/v1/invoiceitems",
            &[
                ("customer", cus.as_str()),
                ("invoice", kept.as_str()),
                ("amount", "300"),
                ("currency", "usd"),
            ],
        )
        .await
        .ok());
    let pending = id(&api.item(&cus, 200).await);
    let line = api
        .get(&format!("/v1/invoices/{kept}/lines"), &[])
        .await
        .ok()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.post(
        &format!("/v1/invoices/{kept}/remove_lines"),
        &[
            ("lines[0][id]", line.as_str()),
            ("lines[0][behavior]", "delete"),
        ],
    )
    .await
    .ok();
    api.delete(&format!("/v1/invoices/{draft}")).await.ok();
    api.delete(&format!("/v1/invoiceitems/{pending}"))
        .await
        .ok();
    for it in [&swept, &pending, &on_kept] {
        let path = format!("/v1/invoiceitems/{it}");
        assert_eq!(
            api.get(&path, &[]).await.ok(),
            serde_json::json!({"id": it, "object": "invoiceitem", "deleted": true})
        );
        assert_eq!(api.delete(&path).await.err(404)["code"], "resource_missing");
    }
    let e = api.get(&format!("/v1/invoices/{draft}"), &[]).await;
    assert_eq!(e.err(404)["code"], "resource_missing");
    let items = api.get("/v1/invoiceitems", &[]).await.ok();
    assert_eq!(items["data"].as_array().unwrap().len(), 0, "{items}");
    let list = api
        .get("/v1/invoices", &[("customer", cus.as_str())])
        .await
        .ok();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [kept.as_str()]);
    // The customer, deleted while an invoice refers to it, then that invoice deleted.
    api.delete(&format!("/v1/customers/{cus}")).await.ok();
    api.delete(&format!("/v1/invoices/{kept}")).await.ok();
    assert_eq!(
        api.get(&format!("/v1/customers/{cus}"), &[]).await.ok(),
        serde_json::json!({"id": cus, "object": "customer", "deleted": true})
    );
    let l = api
        .get("/v1/invoices", &[("customer", cus.as_str())])
        .await
        .ok();
    assert_eq!(l["data"].as_array().unwrap().len(), 0);
    assert_eq!(
        api.get("/v1/invoices", &[]).await.ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
