//! Pending answers from another Stripe-Version go to that version's tree, and `accept` lists
//! what it overwrites (old and new provenance) and refuses to replace a reference with an
//! answer from another version unless `--allow-version-change`.

use crate::support::bin::apiparity;

const INVOICE: &str = "\
steps:
  - id: customer
    request:
      method: POST
      path: /v1/customers
      form: {name: Jenny Rosen}
    expect: {status: 200, snapshot: false}
    capture: {customer_id: /id}
  - id: invoice
    request:
      method: POST
      path: /v1/invoices
      form: {customer: \"{{customer_id}}\", auto_advance: false}
    expect: {status: 200}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_versions_answers_stay_in_its_tree_and_accept_refuses_to_mix_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scenarios/drift")).unwrap();
    std::fs::write(root.join("scenarios/drift/invoice.yaml"), INVOICE).unwrap();
    let reference = root.join("snapshots/drift/invoice/02-invoice.json");

    // References at the pinned version.
    let out = apiparity(root, &["run", "--update"], &[]).await;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let basil = std::fs::read_to_string(&reference).unwrap();

    // A drift check at an older version: differences, and the pending answer lands under
    // snapshots/@2024-06-20/, never beside the basil reference.
    let out = apiparity(root, &["run", "--stripe-version", "2024-06-20"], &[]).await;
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let old_pending = root.join("snapshots/@2024-06-20/drift/invoice/02-invoice.json.new");
    assert!(old_pending.is_file(), "{}", out.stdout);
    assert!(!root
        .join("snapshots/drift/invoice/02-invoice.json.new")
        .exists());

    // Were it beside the basil reference, accept would refuse to mix versions.
    let stray = root.join("snapshots/drift/invoice/02-invoice.json.new");
    std::fs::copy(&old_pending, &stray).unwrap();
    let out = apiparity(root, &["accept", "drift/invoice/02"], &[]).await;
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "overwrite {}",
            "snapshots/drift/invoice/02-invoice.json"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("old: ") && out.stdout.contains("Stripe-Version 2025-03-31.basil"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("new: ") && out.stdout.contains("Stripe-Version 2024-06-20"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("refusing to accept"), "{}", out.stderr);
    assert!(
        out.stderr.contains("--allow-version-change"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&reference).unwrap(),
        basil,
        "nothing may change"
    );
    assert!(stray.exists());

    // Told to, it does.
    let out = apiparity(
        root,
        &["accept", "drift/invoice/02", "--allow-version-change"],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(std::fs::read_to_string(&reference)
        .unwrap()
        .contains("\"stripe_version\": \"2024-06-20\""));
}
