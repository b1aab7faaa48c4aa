//! API keys and secrets, through the real binary against local servers.

/// A target that echoes the key back never gets it into a file or onto the terminal.
mod echoed_key;
/// Secrets from `{{env.*}}` and the base URL, in every encoding; live keys outside `auth:`.
mod env_secrets;
/// A live-mode key is refused before anything is sent.
mod live_keys;
