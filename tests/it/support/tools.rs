//! The one policy for tests that need something outside the repository (Chromium, Stripe's
//! Python SDK, localstripe, junitparser, the shared sources in ../shared): when it is missing the test prints ONE line saying what is
//! missing and how to install it, and passes — unless `APIPARITY_REQUIRE_<TOOL>=1` (set by
//! `.ci/run`) says the program must be there, and then the test fails.

use std::io::Write;

/// A program some test needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Headless Chromium, for report.html in a real browser.
    Chromium,
    /// python3 with Stripe's official `stripe` package.
    PythonSdk,
    /// localstripe, a third-party Stripe mock.
    Localstripe,
    /// python3 with `junitparser`, a JUnit XML consumer.
    Junitparser,
    /// The shared sources beside the repository (../shared: real Stripe recordings, seeds).
    Shared,
}

impl Tool {
    /// What it is, in the skip line.
    pub fn what(self) -> &'static str {
        match self {
            Tool::Chromium => "headless Chromium (/usr/bin/chromium or $APIPARITY_CHROMIUM)",
            Tool::PythonSdk => "python3 with Stripe's `stripe` package",
            Tool::Localstripe => "localstripe",
            Tool::Junitparser => "python3 with the `junitparser` package",
            Tool::Shared => {
                "../shared (the real Stripe recordings and seeds beside the repository)"
            }
        }
    }
    /// How to install it.
    pub fn how(self) -> &'static str {
        match self {
            Tool::Chromium => "`apt-get install -y chromium`",
            Tool::PythonSdk => "`python3 -m pip install stripe`",
            Tool::Localstripe => "`python3 -m pip install localstripe==1.15.10`",
            Tool::Junitparser => "`python3 -m pip install junitparser`",
            Tool::Shared => "a copy of the shared sources at ../shared (CI has one)",
        }
    }
    /// The variable that makes its absence a failure.
    pub fn require_var(self) -> &'static str {
        match self {
            Tool::Chromium => "APIPARITY_REQUIRE_CHROMIUM",
            Tool::PythonSdk => "APIPARITY_REQUIRE_PYTHON_SDK",
            Tool::Localstripe => "APIPARITY_REQUIRE_LOCALSTRIPE",
            Tool::Junitparser => "APIPARITY_REQUIRE_JUNITPARSER",
            Tool::Shared => "APIPARITY_REQUIRE_SHARED",
        }
    }
    /// Whether the environment says it must be there.
    pub fn required(self) -> bool {
        std::env::var(self.require_var()).is_ok_and(|v| v == "1")
    }
}

/// The skip line (without the test name).
pub fn skip_line(tool: Tool) -> String {
    format!(
        "skipped: {} not found; install with {}; set {}=1 to make this fail",
        tool.what(),
        tool.how(),
        tool.require_var()
    )
}

/// Called by a test whose `tool` is missing (`detail`: what was tried). Panics when the tool is
/// required; otherwise prints the skip line and the test should return. The line goes straight
/// to the process's stderr, past libtest's capture, so `cargo test` shows it for a passing test.
pub fn missing(tool: Tool, test: &str, detail: &str) {
    assert!(
        !tool.required(),
        "{}=1 but {} is missing ({detail}); install with {}",
        tool.require_var(),
        tool.what(),
        tool.how()
    );
    let _ = writeln!(std::io::stderr().lock(), "{test}: {}", skip_line(tool));
}

#[test]
fn skip_line_names_the_tool_how_to_install_and_the_variable() {
    let l = skip_line(Tool::Chromium);
    assert!(l.starts_with("skipped: headless Chromium"), "{l}");
    assert!(
        l.contains("install with `apt-get install -y chromium`"),
        "{l}"
    );
    assert!(
        l.contains("set APIPARITY_REQUIRE_CHROMIUM=1 to make this fail"),
        "{l}"
    );
    assert_eq!(l.lines().count(), 1);
    for t in [
        Tool::PythonSdk,
        Tool::Localstripe,
        Tool::Junitparser,
        Tool::Shared,
    ] {
        assert!(skip_line(t).contains(t.require_var()));
    }
}
