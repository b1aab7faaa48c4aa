//! `apiparity record`, the recording reverse proxy: grouping, secrets and live keys through the
//! library API; signals and kills through the real binary; the official Python SDK through it.

mod proxy;
mod python_sdk;
mod signals;

use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively, with its content.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
    out.sort();
    out
}

/// A cassette written by the recorder: the exchanges, in the shared-recordings shape.
pub fn cassette(out: &Path, scenario: &str) -> Vec<apiparity::record::Exchange> {
    let path = out
        .join("cassettes")
        .join(apiparity::record::DEFAULT_SOURCE)
        .join(format!("{scenario}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Sends `pairs` as a form body (reqwest is built without its `form` feature).
pub trait FormExt {
    fn form_pairs<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self;
}

impl FormExt for reqwest::RequestBuilder {
    fn form_pairs<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k.as_ref(), v.as_ref());
        }
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(s.finish())
    }
}

/// The body as JSON (reqwest is built without its `json` feature).
pub async fn json(resp: reqwest::Response) -> serde_json::Value {
    let bytes = resp.bytes().await.expect("a body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}
