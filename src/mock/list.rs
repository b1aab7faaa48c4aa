//! Cursor pagination (reference §6): items are ordered by a sort key, largest first (newest
//! first for objects, `(created, creation sequence)`); `starting_after=X` gives the items after X
//! in that order, `ending_before=X` the ones before it (closest to X, still in list order).

use std::ops::RangeInclusive;

use serde_json::Value;

use super::error::ApiError;
use super::store::SortKey;

/// One page and whether another exists in the direction of travel.
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// `sorted` must be ordered by key, descending. `after` / `before` are cursor keys (the keys of
/// the cursor objects, which need not be in `sorted` themselves, e.g. when a filter excludes them).
pub fn paginate<K: Ord + Copy, T>(
    sorted: Vec<(K, T)>,
    limit: usize,
    after: Option<K>,
    before: Option<K>,
) -> Page<T> {
    let limit = limit.max(1);
    if let Some(b) = before {
        let mut newer: Vec<T> = sorted
            .into_iter()
            .filter(|(k, _)| *k > b)
            .map(|(_, t)| t)
            .collect();
        let has_more = newer.len() > limit;
        let skip = newer.len().saturating_sub(limit);
        let items = newer.split_off(skip);
        return Page { items, has_more };
    }
    let mut rest: Vec<T> = sorted
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| *k < a))
        .map(|(_, t)| t)
        .collect();
    let has_more = rest.len() > limit;
    rest.truncate(limit);
    Page {
        items: rest,
        has_more,
    }
}

/// The keys an indexed list may return: inclusive, ascending; `None` when empty. Built from
/// the cursors and a `created` filter, so an index walk starts at the first candidate.
pub fn key_range(
    after: Option<SortKey>,
    before: Option<SortKey>,
    created: Option<&Value>,
) -> Option<RangeInclusive<SortKey>> {
    let mut lo: SortKey = (i64::MIN, 0);
    let mut hi: SortKey = (i64::MAX, u64::MAX);
    let pred = |(c, s): SortKey| -> Option<SortKey> {
        match s.checked_sub(1) {
            Some(s) => Some((c, s)),
            None => c.checked_sub(1).map(|c| (c, u64::MAX)),
        }
    };
    let succ = |(c, s): SortKey| -> Option<SortKey> {
        match s.checked_add(1) {
            Some(s) => Some((c, s)),
            None => c.checked_add(1).map(|c| (c, 0)),
        }
    };
    if let Some(a) = after {
        hi = hi.min(pred(a)?);
    }
    if let Some(b) = before {
        lo = lo.max(succ(b)?);
    }
    match created {
        Some(Value::Number(n)) => {
            if let Some(n) = n.as_i64() {
                lo = lo.max((n, 0));
                hi = hi.min((n, u64::MAX));
            }
        }
        Some(Value::Object(m)) => {
            for (op, bound) in m {
                let Some(b) = bound.as_i64() else { continue };
                match op.as_str() {
                    "gt" => lo = lo.max((b.checked_add(1)?, 0)),
                    "gte" => lo = lo.max((b, 0)),
                    "lt" => hi = hi.min((b.checked_sub(1)?, u64::MAX)),
                    "lte" => hi = hi.min((b, u64::MAX)),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    (lo <= hi).then_some(lo..=hi)
}

/// One page from an index walk. `keys` are the candidates in ascending key order (already
/// bounded by [`key_range`]); `keep` turns a key into an item or rejects it (the remaining
/// filters). Forward pages walk from the newest candidate; `backward` pages (`ending_before`)
/// walk up from the cursor and come out in list order. Reads `limit + 1` matches at most.
pub fn walk<T>(
    keys: impl DoubleEndedIterator<Item = SortKey>,
    backward: bool,
    limit: usize,
    keep: impl FnMut(SortKey) -> Option<T>,
) -> Page<T> {
    let limit = limit.max(1);
    let mut items: Vec<T> = if backward {
        keys.filter_map(keep).take(limit + 1).collect()
    } else {
        keys.rev().filter_map(keep).take(limit + 1).collect()
    };
    let has_more = items.len() > limit;
    items.truncate(limit);
    if backward {
        items.reverse();
    }
    Page { items, has_more }
}

/// `starting_after` and `ending_before` cannot be combined.
pub fn check_cursors(after: Option<&str>, before: Option<&str>) -> Result<(), ApiError> {
    if after.is_some() && before.is_some() {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
        )
        .code("parameters_exclusive")
        .param("ending_before"));
    }
    Ok(())
}

/// The error for a cursor naming an object that does not exist: 400, not 404 (§2.4).
pub fn bad_cursor(kind: &str, id: &str, param: &str) -> ApiError {
    ApiError::no_such(kind, id, param).status(400)
}

/// The list envelope. Built field by field: `json!` would serialize `data` into a copy, a deep
/// clone of every rendered object on the page.
pub fn list_body(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("object".into(), Value::from("list"));
    body.insert("data".into(), Value::Array(data));
    body.insert("has_more".into(), Value::Bool(has_more));
    body.insert("url".into(), Value::from(url));
    Value::Object(body)
}

/// Does `v` fall in a `created`-style filter (an exact integer or `{gt,gte,lt,lte}`)?
pub fn in_range(filter: Option<&Value>, v: Option<i64>) -> bool {
    let Some(f) = filter else { return true };
    let Some(v) = v else { return false };
    match f {
        Value::Number(n) => n.as_i64() == Some(v),
        Value::Object(m) => m.iter().all(|(op, bound)| {
            let Some(b) = bound.as_i64() else { return true };
            match op.as_str() {
                "gt" => v > b,
                "gte" => v >= b,
                "lt" => v < b,
                "lte" => v <= b,
                _ => true,
            }
        }),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> Vec<(u32, u32)> {
        (1..=7).rev().map(|k| (k, k)).collect()
    }

    #[test]
    fn forward_and_backward() {
        let p = paginate(keys(), 3, None, None);
        assert_eq!(p.items, vec![7, 6, 5]);
        assert!(p.has_more);
        let p = paginate(keys(), 3, Some(5), None);
        assert_eq!(p.items, vec![4, 3, 2]);
        assert!(p.has_more);
        let p = paginate(keys(), 3, Some(2), None);
        assert_eq!(p.items, vec![1]);
        assert!(!p.has_more);
        let p = paginate(keys(), 2, None, Some(4));
        assert_eq!(p.items, vec![6, 5]);
        assert!(p.has_more);
        let p = paginate(keys(), 5, None, Some(4));
        assert_eq!(p.items, vec![7, 6, 5]);
        assert!(!p.has_more);
    }

    /// An index walk pages exactly as sorting everything and paginating does.
    #[test]
    fn walk_equals_paginate() {
        let keys: Vec<SortKey> = (0..40).map(|i| (100 + i / 3, i as u64)).collect();
        let keep = |k: &SortKey| k.1 % 4 != 1;
        let filters = [
            None,
            Some(json!(105)),
            Some(json!({"gte": 103, "lt": 110})),
            Some(json!({"gt": 104})),
            Some(json!({"lte": 101})),
            Some(json!({"gt": 200})),
        ];
        for created in &filters {
            for limit in [1, 2, 3, 10, 100] {
                let cursors = [None, Some(keys[0]), Some(keys[17]), Some(keys[39])];
                for after in cursors {
                    for before in cursors {
                        if after.is_some() && before.is_some() {
                            continue;
                        }
                        let mut sorted: Vec<(SortKey, SortKey)> = keys
                            .iter()
                            .filter(|k| keep(k))
                            .filter(|k| in_range(created.as_ref(), Some(k.0)))
                            .map(|k| (*k, *k))
                            .collect();
                        sorted.sort_by_key(|r| std::cmp::Reverse(r.0));
                        let want = paginate(sorted, limit, after, before);
                        let got = match key_range(after, before, created.as_ref()) {
                            None => Page {
                                items: vec![],
                                has_more: false,
                            },
                            Some(r) => walk(
                                keys.iter().copied().filter(|k| r.contains(k)),
                                before.is_some(),
                                limit,
                                |k| keep(&k).then_some(k),
                            ),
                        };
                        let ctx = format!("{created:?} limit {limit} {after:?} {before:?}");
                        assert_eq!(got.items, want.items, "{ctx}");
                        assert_eq!(got.has_more, want.has_more, "{ctx}");
                    }
                }
            }
        }
    }

    #[test]
    fn ranges() {
        let f = json!({"gte": 5, "lt": 9});
        assert!(in_range(Some(&f), Some(5)));
        assert!(!in_range(Some(&f), Some(9)));
        assert!(in_range(Some(&json!(3)), Some(3)));
        assert!(!in_range(Some(&json!(3)), None));
        assert!(in_range(None, None));
    }
}
