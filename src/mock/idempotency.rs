//! Idempotency keys (reference §1.6): a key is claimed before validation so a concurrent
//! duplicate sees it in flight (409); an executed request's status and body are stored and
//! replayed; a key reused with other parameters is refused. Nothing is stored for requests that
//! fail before execution: dropping the [`Claim`] releases the key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use super::error::ApiError;

/// Stripe caps idempotency keys at 255 characters (§1.4).
const MAX_KEY: usize = 255;
/// Stored idempotent results may be pruned after 24 hours (§1.6).
const TTL: Duration = Duration::from_secs(24 * 3600);

enum Entry {
    InFlight {
        fingerprint: String,
    },
    Done {
        fingerprint: String,
        stored: Stored,
        at: Instant,
    },
}

/// A stored response: what a replay answers.
#[derive(Clone)]
pub struct Stored {
    pub status: u16,
    pub body: Bytes,
    pub version: String,
}

struct Table {
    keys: HashMap<String, Entry>,
    last_prune: Instant,
}

impl Table {
    /// Drops results older than the TTL, at most once a minute (not on every request).
    fn prune(&mut self) {
        if self.last_prune.elapsed() < Duration::from_secs(60) {
            return;
        }
        self.last_prune = Instant::now();
        self.keys
            .retain(|_, v| !matches!(v, Entry::Done { at, .. } if at.elapsed() > TTL));
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
    pub fn new() -> Arc<Keys> {
        Arc::new(Keys {
            table: Mutex::new(Table {
                keys: HashMap::new(),
                last_prune: Instant::now(),
            }),
        })
    }

    /// `fingerprint` identifies the request (method, path, canonical parameters).
    pub fn begin(self: &Arc<Self>, key: &str, fingerprint: String) -> Begin {
        if key.chars().count() > MAX_KEY {
            return Begin::Refused(
                ApiError::invalid(format!(
                    "Keys for idempotent requests can be at most {MAX_KEY} characters long."
                ))
                .param("Idempotency-Key"),
            );
        }
        let mut table = lock(&self.table);
        table.prune();
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
                table.keys.insert(
                    key.to_string(),
                    Entry::InFlight {
                        fingerprint: fingerprint.clone(),
                    },
                );
                Begin::Claimed(Claim {
                    keys: Arc::clone(self),
                    key: key.to_string(),
                    fingerprint,
                    done: false,
                })
            }
        }
    }
}

/// An in-flight key. Released on drop unless completed (also when the request future is
/// dropped, e.g. the client went away).
pub struct Claim {
    keys: Arc<Keys>,
    key: String,
    fingerprint: String,
    done: bool,
}

impl Claim {
    /// Stores the executed request's response for replays.
    pub fn complete(mut self, stored: Stored) {
        let fingerprint = std::mem::take(&mut self.fingerprint);
        lock(&self.keys.table).keys.insert(
            self.key.clone(),
            Entry::Done {
                fingerprint,
                stored,
                at: Instant::now(),
            },
        );
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
