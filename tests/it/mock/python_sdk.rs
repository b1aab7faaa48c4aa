//! Runs `tests/fixtures/python/sdk_smoke.py` (Stripe's official Python SDK) against a freshly
//! spawned mock, twice: at the version the SDK pins, and at 2025-03-31.basil. Without python3 or
//! the `stripe` package the test prints one skip line and passes, unless
//! `APIPARITY_REQUIRE_PYTHON_SDK=1` makes a missing SDK a failure (`.ci/run` sets it).

use std::process::Command;

use crate::support::tools::{self, Tool};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_the_mock() {
    let probe = Command::new("python3")
        .args(["-c", "import stripe"])
        .output();
    if !probe.as_ref().is_ok_and(|out| out.status.success()) {
        tools::missing(
            Tool::PythonSdk,
            "mock::python_sdk",
            "`python3 -c 'import stripe'` fails",
        );
        return;
    }
    for version in [None, Some("2025-03-31.basil")] {
        let server = apiparity::mock::spawn(Default::default())
            .await
            .expect("mock binds");
        let script = format!(
            "{}/tests/fixtures/python/sdk_smoke.py",
            env!("CARGO_MANIFEST_DIR")
        );
        let url = server.base_url();
        let out = tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new("python3");
            cmd.arg(script).arg(url);
            if let Some(v) = version {
                cmd.arg(v);
            }
            cmd.output().expect("python3 runs")
        })
        .await
        .expect("join");
        server.shutdown().await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let at = version.unwrap_or("the SDK's pinned version");
        assert!(
            out.status.success(),
            "sdk_smoke at {at} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(stdout.contains("all checks passed"), "{at}: {stdout}");
    }
}
