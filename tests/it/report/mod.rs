//! The reports a run writes.

/// report.html in headless Chromium (fails without it unless APIPARITY_SKIP_BROWSER=1).
mod chromium;
/// Failed expectations shown against the scenario line that states them.
mod failures;
/// report.html's content and escaping, without a browser.
mod html;
/// junit.xml over hostile bodies, parsed by a real JUnit consumer when it is installed.
mod junit;
