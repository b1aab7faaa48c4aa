//! Reading a user file (a scenario, apiparity.yaml, a baseline) safely: only regular files
//! (a FIFO named `*.yaml` would block, `/dev/zero` would never end; both are refused from their
//! metadata, before they are opened), never more than the size limit, UTF-8, and a leading
//! byte-order mark accepted (editors on Windows write one; it is invisible in an error message).

use std::io::Read;
use std::path::Path;

use super::diag::Diagnostic;
use super::yaml::Span;

/// The size limit for scenario and settings files when `APIPARITY_MAX_FILE_SIZE` is not set.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The environment variable that sets the limit (`1048576`, `512KiB`, `16MiB`).
pub const MAX_FILE_SIZE_ENV: &str = "APIPARITY_MAX_FILE_SIZE";

const START: Span = Span { line: 1, col: 1 };

/// The limit in force: `APIPARITY_MAX_FILE_SIZE`, else [`DEFAULT_MAX_FILE_SIZE`].
pub fn max_file_size() -> Result<u64, String> {
    match std::env::var(MAX_FILE_SIZE_ENV) {
        Err(_) => Ok(DEFAULT_MAX_FILE_SIZE),
        Ok(v) => crate::config::parse_size(&v)
            .map(|n| n as u64)
            .map_err(|e| format!("{MAX_FILE_SIZE_ENV}: {e}")),
    }
}

/// The file's text, or a diagnostic at 1:1 saying why it cannot be read.
pub fn read(file: &Path) -> Result<String, Diagnostic> {
    let fail = |m: String| Diagnostic::new(file, START, m);
    let limit = max_file_size().map_err(fail)?;
    let meta = std::fs::metadata(file).map_err(|e| fail(format!("cannot read file: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "not a regular file ({}): refusing to read it",
            kind(&meta)
        ))
        .help("scenario and settings files must be plain files (a symlink to one is fine)"));
    }
    if meta.len() > limit {
        return Err(too_big(file, meta.len(), limit));
    }
    let f = std::fs::File::open(file).map_err(|e| fail(format!("cannot read file: {e}")))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between stat and read: never read past the limit.
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read file: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(file, bytes.len() as u64, limit));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(body.to_vec()).map_err(|e| {
        fail(format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn too_big(file: &Path, len: u64, limit: u64) -> Diagnostic {
    Diagnostic::new(
        file,
        START,
        format!("file is {len} bytes, over the {limit}-byte limit for apiparity files"),
    )
    .help(format!(
        "a scenario is a few kilobytes; if this one really is that large, raise the limit with {MAX_FILE_SIZE_ENV} (e.g. 16MiB)"
    ))
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a plain file"
}
