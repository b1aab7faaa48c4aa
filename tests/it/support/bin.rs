//! The real `apiparity` binary, run in a clean environment.

/// Output of one run of the `apiparity` binary.
#[derive(Debug)]
pub struct BinOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the built `apiparity` binary in `cwd` with a clean environment: nothing from the
/// developer's shell (a real STRIPE_API_KEY, CI, proxies, APIPARITY_*) can leak into the test,
/// and no `.env` outside `cwd` is read.
pub async fn apiparity(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> BinOutput {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_apiparity"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("NO_COLOR", "1")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join the child")
        .expect("run the apiparity binary");
    BinOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
