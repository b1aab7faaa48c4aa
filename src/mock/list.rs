//! Cursor pagination (reference §6): items are ordered by a sort key, largest first (newest
//! first for objects, `(created, creation sequence)`); `starting_after=X` gives the items after X
//! in that order, `ending_before=X` the ones before it (closest to X, still in list order).

use serde_json::{json, Value};

use super::error::ApiError;

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

pub fn list_body(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
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
