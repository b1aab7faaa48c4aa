//! The snapshot file format and atomic writes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SnapshotError, Source};
use crate::run::ScenarioRun;
use crate::scenario::Step;

/// A snapshot file: provenance, the normalized request, the normalized response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Where the truth comes from.
    pub meta: Meta,
    /// The request as sent, normalized (never the Authorization header).
    pub request: Value,
    /// The normalized response.
    pub response: SnapResponse,
}

/// Provenance: where the truth of this snapshot comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The scenario key.
    pub scenario: String,
    /// The step id.
    pub step: String,
    /// Where the truth comes from, in words.
    pub source: String,
    /// The Stripe-Version it was recorded at.
    pub stripe_version: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// A recorded response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapResponse {
    /// The HTTP status.
    pub status: u16,
    /// The normalized body.
    pub body: Value,
}

pub fn pending_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".new");
    PathBuf::from(s)
}

pub(super) fn source_text(source: &Source, run: &ScenarioRun, step: Option<&Step>) -> String {
    let today = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let date = &today[..10];
    match source {
        Source::StripeTestMode => format!("recorded from Stripe test mode on {date}"),
        Source::Other(url) => format!("recorded from {url} on {date}"),
        Source::EmbeddedMock => match step
            .map(|s| {
                s.seed
                    .iter()
                    .filter(|seed| crate::scenario::seed_applies(seed, &run.stripe_version))
                    .map(|seed| format!("shared/seeds/responses/{seed}"))
                    .collect::<Vec<_>>()
            })
            .filter(|seeds| !seeds.is_empty())
        {
            Some(seeds) => format!(
                "Stripe published test-mode example (seed file {}), reproduced by the embedded mock",
                seeds.join(", ")
            ),
            None => format!(
                "reference behavior (shared reference {}) rendered by the embedded mock",
                run.scenario.reference.as_deref().unwrap_or("stripe-invoices.md")
            ),
        },
    }
}

/// Reads a snapshot; `None` when the file does not exist.
pub fn read(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SnapshotError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SnapshotError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
}

/// Written through [`crate::atomic`]: a reader never sees half a snapshot.
pub fn write_atomic(path: &Path, snap: &Snapshot) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = serde_json::to_string_pretty(snap).map_err(|e| io(e.into()))?;
    text.push('\n');
    crate::atomic::write(path, text).map_err(io)
}

pub(super) fn remove_if_exists(path: &Path) -> Result<(), SnapshotError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}
