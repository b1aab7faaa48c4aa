//! The reports a run writes.

/// report.html in headless Chromium (skips with one line without it, unless APIPARITY_REQUIRE_CHROMIUM=1).
mod chromium;
/// Failed expectations shown against the scenario line that states them.
mod failures;
/// report.html's content and escaping, without a browser.
mod html;
/// junit.xml over hostile bodies, parsed by a real JUnit consumer when it is installed.
mod junit;
/// A newcomer's failures: URL, status and error everywhere, failures first, teardown warnings,
/// parity wording, `--update` semantics.
mod newcomer;
