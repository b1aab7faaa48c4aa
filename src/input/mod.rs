//! User files: YAML with positions ([`yaml`]), rustc-style diagnostics ([`diag`]), and the one
//! typed reader every file kind goes through ([`reader`]): scenarios, `apiparity.yaml` and
//! baselines word the same mistake the same way.

pub mod diag;
pub mod reader;
pub mod source;
pub mod yaml;

/// `f` applied to every item on up to as many threads as there are cores, results in `items`'
/// order: loading and checking a suite's files is independent per file and was most of the
/// time before the first request. Each thread takes the next unclaimed item, so one large
/// file does not hold up a fixed share of the others.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            // A panic in `f` is a bug: surface it as one.
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn par_map_keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        let out = super::par_map(&items, |n| n * 2);
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(super::par_map(&[] as &[u32], |n| *n).is_empty());
    }
}
