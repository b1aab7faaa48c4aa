//! Secrets (the API key) never reach disk or terminal.
