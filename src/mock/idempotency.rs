//! Idempotency keys (reference §1.6): a key is claimed before validation so a concurrent
//! duplicate sees it in flight (409); an executed request's status and body are stored and
//! replayed; a key reused with other parameters is refused. Nothing is stored for requests that
//! fail before execution: dropping the [`Claim`] releases the key.
//!
//! The table is bounded two ways, both settings of the mock: results expire after a time to
//! live on the mock's clock (the Unix seconds every response's `created` uses; Stripe prunes
//! after 24 hours), and at most `max_keys` results are kept, the oldest going first. Without
//! the bound a long-lived mock would keep every POST's response: apiparity sends a key with
//! every POST.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;

use super::error::ApiError;

/// Stripe caps idempotency keys at 255 characters (§1.4).
const MAX_KEY: usize = 255;
/// Stored idempotent results may be pruned after 24 hours (§1.6).
pub const DEFAULT_TTL_SECS: u64 = 24 * 3600;
/// Enough for any suite run many times over; about 1.5 KB each (a rendered response).
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// A request's identity (method, path, canonical parameters), kept as a 128-bit hash rather
/// than the text: a table entry then costs its key and its stored response only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fingerprint(u64, u64);

impl Fingerprint {
    pub fn of(text: &str) -> Fingerprint {
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            salt.hash(&mut h);
            text.hash(&mut h);
            h.finish()
        };
        Fingerprint(half(0), half(1))
    }
}

enum Entry {
    InFlight {
        fingerprint: Fingerprint,
    },
    Done {
        fingerprint: Fingerprint,
        stored: Stored,
        /// The mock's clock when the result was stored.
        at: i64,
    },
}

/// A stored response: what a replay answers.
#[derive(Clone)]
pub struct Stored {
    pub status: u16,
    pub body: Bytes,
    pub version: String,
}

/// How long results are kept and how many.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub ttl_secs: u64,
    pub max_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ttl_secs: DEFAULT_TTL_SECS,
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

struct Table {
    keys: HashMap<Arc<str>, Entry>,
    /// Stored results, oldest first: `(key, at)`. A key released and stored again appears
    /// twice; the older line no longer matches its entry's `at` and is skipped.
    order: VecDeque<(Arc<str>, i64)>,
    limits: Limits,
}

impl Table {
    /// Drops expired results and, beyond the cap, the oldest ones: amortised O(1) per request.
    fn prune(&mut self, now: i64) {
        let ttl = i64::try_from(self.limits.ttl_secs).unwrap_or(i64::MAX);
        while let Some((key, at)) = self.order.front() {
            let expired = now.saturating_sub(*at) >= ttl;
            if !expired && self.order.len() <= self.limits.max_keys {
                break;
            }
            let (key, at) = (Arc::clone(key), *at);
            self.order.pop_front();
            if matches!(self.keys.get(&key), Some(Entry::Done { at: a, .. }) if *a == at) {
                self.keys.remove(&key);
            }
        }
    }
}

/// The key table of the one mock account (keys are global, not per endpoint).
pub struct Keys {
    table: Mutex<Table>,
}

/// What [`Keys::begin`] decided.
pub enum Begin {
    /// Same key, same parameters, already executed: answer the stored response.
    Replay(Stored),
    /// First use: execute, then [`Claim::complete`].
    Claimed(Claim),
    /// 400 (too long, reused with other parameters) or 409 (in flight).
    Refused(ApiError),
}

/// A poisoned lock only means another request panicked mid-way; the table is still consistent.
fn lock(m: &Mutex<Table>) -> MutexGuard<'_, Table> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Keys {
    pub fn new(limits: Limits) -> Arc<Keys> {
        Arc::new(Keys {
            table: Mutex::new(Table {
                keys: HashMap::new(),
                order: VecDeque::new(),
                limits,
            }),
        })
    }

    /// `fingerprint` identifies the request (method, path, canonical parameters); `now` is the
    /// mock's clock.
    pub fn begin(self: &Arc<Self>, key: &str, fingerprint: &str, now: i64) -> Begin {
        if key.chars().count() > MAX_KEY {
            return Begin::Refused(
                ApiError::invalid(format!(
                    "Keys for idempotent requests can be at most {MAX_KEY} characters long."
                ))
                .param("Idempotency-Key"),
            );
        }
        let fingerprint = Fingerprint::of(fingerprint);
        let mut table = lock(&self.table);
        table.prune(now);
        match table.keys.get(key) {
            Some(Entry::Done {
                fingerprint: f,
                stored,
                ..
            }) if *f == fingerprint => Begin::Replay(stored.clone()),
            Some(Entry::InFlight { fingerprint: f }) if *f == fingerprint => Begin::Refused(
                ApiError::invalid(
                    "There is currently another in-progress request using this Idempotent Key \
                     (that probably means you submitted twice, and the other request is still \
                     going through)",
                )
                .status(409)
                .code("idempotency_key_in_use"),
            ),
            Some(_) => Begin::Refused(ApiError {
                kind: "idempotency_error",
                ..ApiError::invalid(format!(
                    "Keys for idempotent requests can only be used with the same parameters \
                     they were first used with. Try using a key other than '{key}' if you meant \
                     to execute a different request."
                ))
            }),
            None => {
                let key: Arc<str> = key.into();
                table
                    .keys
                    .insert(Arc::clone(&key), Entry::InFlight { fingerprint });
                Begin::Claimed(Claim {
                    keys: Arc::clone(self),
                    key,
                    fingerprint,
                    done: false,
                })
            }
        }
    }

    /// Results stored now (for tests).
    #[cfg(test)]
    fn stored(&self) -> usize {
        lock(&self.table)
            .keys
            .values()
            .filter(|e| matches!(e, Entry::Done { .. }))
            .count()
    }
}

/// An in-flight key. Released on drop unless completed (also when the request future is
/// dropped, e.g. the client went away).
pub struct Claim {
    keys: Arc<Keys>,
    key: Arc<str>,
    fingerprint: Fingerprint,
    done: bool,
}

impl Claim {
    /// Stores the executed request's response for replays; `now` is the mock's clock.
    pub fn complete(mut self, stored: Stored, now: i64) {
        let mut table = lock(&self.keys.table);
        table.keys.insert(
            Arc::clone(&self.key),
            Entry::Done {
                fingerprint: self.fingerprint,
                stored,
                at: now,
            },
        );
        table.order.push_back((Arc::clone(&self.key), now));
        table.prune(now);
        self.done = true;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.done {
            let mut t = lock(&self.keys.table);
            if matches!(t.keys.get(&self.key), Some(Entry::InFlight { .. })) {
                t.keys.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &str) -> Stored {
        Stored {
            status: 200,
            body: Bytes::from(body.to_string()),
            version: "v".into(),
        }
    }

    fn claim(keys: &Arc<Keys>, key: &str, fp: &str, now: i64) -> Claim {
        match keys.begin(key, fp, now) {
            Begin::Claimed(c) => c,
            _ => panic!("{key} should be free at {now}"),
        }
    }

    fn replayed(keys: &Arc<Keys>, key: &str, fp: &str, now: i64) -> Option<Bytes> {
        match keys.begin(key, fp, now) {
            Begin::Replay(s) => Some(s.body),
            _ => None,
        }
    }

    #[test]
    fn results_expire_on_the_mocks_clock() {
        let keys = Keys::new(Limits {
            ttl_secs: 60,
            max_keys: 10,
        });
        claim(&keys, "k", "POST /a", 1000).complete(stored("first"), 1000);
        assert_eq!(
            replayed(&keys, "k", "POST /a", 1059).as_deref(),
            Some(&b"first"[..])
        );
        // Reused with other parameters while stored: refused.
        assert!(matches!(
            keys.begin("k", "POST /b", 1059),
            Begin::Refused(_)
        ));
        // A minute later the result is gone and the key is free again.
        assert!(replayed(&keys, "k", "POST /a", 1060).is_none());
        assert_eq!(keys.stored(), 0);
    }

    #[test]
    fn the_oldest_results_go_beyond_the_cap() {
        let keys = Keys::new(Limits {
            ttl_secs: 3600,
            max_keys: 3,
        });
        for i in 0..5 {
            claim(&keys, &format!("k{i}"), "POST /a", 100 + i).complete(stored("x"), 100 + i);
        }
        assert_eq!(keys.stored(), 3);
        assert!(replayed(&keys, "k4", "POST /a", 200).is_some());
        assert!(replayed(&keys, "k2", "POST /a", 200).is_some());
        // k0 and k1 were evicted: claimed afresh.
        let c = claim(&keys, "k0", "POST /a", 200);
        drop(c);
        // A released claim leaves nothing behind.
        assert_eq!(keys.stored(), 3);
    }

    #[test]
    fn a_key_stored_again_is_not_evicted_by_its_old_line() {
        let keys = Keys::new(Limits {
            ttl_secs: 10,
            max_keys: 10,
        });
        claim(&keys, "k", "POST /a", 0).complete(stored("old"), 0);
        // Expired at 10, stored again at 15; the line for t=0 must not remove the new result.
        claim(&keys, "k", "POST /a", 15).complete(stored("new"), 15);
        assert_eq!(
            replayed(&keys, "k", "POST /a", 20).as_deref(),
            Some(&b"new"[..])
        );
    }

    #[test]
    fn in_flight_keys_conflict_and_release() {
        let keys = Keys::new(Limits::default());
        let c = claim(&keys, "k", "POST /a", 0);
        assert!(matches!(keys.begin("k", "POST /a", 0), Begin::Refused(e) if e.status == 409));
        drop(c);
        claim(&keys, "k", "POST /a", 0);
    }
}
