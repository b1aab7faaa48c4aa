//! On a fresh clone, importing ../shared/recordings with the committed command reproduces
//! scenarios/recorded/ and snapshots/recorded/ byte for byte. Skips with one line when
//! ../shared is absent (one visible line; a failure with APIPARITY_REQUIRE_SHARED=1, which .ci/run sets).

use std::path::Path;

use apiparity::import::{import_paths, ImportOptions, Scope};

use super::tree;

/// The command that wrote the committed tree (README "Turn your cassettes into drift checks"):
/// `apiparity import ../shared/recordings --scope invoice-api` plus these versions.
pub const VERSIONS: &[(&str, &str)] = &[
    ("onetimesecret__onetimesecret", "2025-11-17.clover"),
    ("thephpleague__omnipay-stripe", "2015-10-16"),
    ("confact__stripe.cr", "2019-12-03"),
    ("zulip__zulip", "2023-10-16"),
];

#[test]
fn importing_the_shared_recordings_reproduces_the_committed_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/recordings");
    if !shared.is_dir() {
        crate::support::tools::missing(
            crate::support::tools::Tool::Shared,
            "import::committed",
            &shared.display().to_string(),
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let mut opts = ImportOptions::into_root(out.path());
    opts.scope = Scope::InvoiceApi;
    opts.source_versions = VERSIONS
        .iter()
        .map(|(s, v)| (s.to_string(), v.to_string()))
        .collect();
    let report = import_paths(&[shared], None, &opts);
    assert_eq!(
        report.refused.len(),
        1,
        "only the live-mode cassette: {:?}",
        report.refused
    );
    for part in ["scenarios/recorded", "snapshots/recorded"] {
        let fresh = tree(&out.path().join(part));
        let mut committed = tree(&root.join(part));
        // READMEs, and pending `.json.new` files a local run left for review (never committed).
        committed.retain(|k, _| !k.starts_with("README") && !k.ends_with(".json.new"));
        assert!(!committed.is_empty(), "{part} is not committed");
        let only_fresh: Vec<&String> = fresh
            .keys()
            .filter(|k| !committed.contains_key(*k))
            .collect();
        let only_committed: Vec<&String> = committed
            .keys()
            .filter(|k| !fresh.contains_key(*k))
            .collect();
        assert!(
            only_fresh.is_empty() && only_committed.is_empty(),
            "{part}: new {only_fresh:?}, stale {only_committed:?}"
        );
        for (k, v) in &fresh {
            assert!(
                committed[k] == *v,
                "{part}/{k} differs from a fresh import (re-run the import, see README)"
            );
        }
    }
}
