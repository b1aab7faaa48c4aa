//! What stops a command before anything is sent: a bad flag or setting, or problems in the
//! user's files (scenarios, `apiparity.yaml`, a baseline). Always exit code 2.

use crate::input::diag::Diagnostics;

/// A problem with the command's input. Nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A flag, an environment variable or a setting (the message names it).
    #[error("{0}")]
    Usage(String),
    /// Every problem in every user file, each with file:line:col.
    #[error("{0}")]
    Files(Diagnostics),
}

impl From<Diagnostics> for InputError {
    fn from(d: Diagnostics) -> InputError {
        InputError::Files(d)
    }
}
