//! report.html in a real browser: headless Chromium loads a report with a failing step, its
//! script runs without errors (it marks the page `data-ready`), the failing step's pointer is on
//! the page, and hostile text from a target stays text. The content is all in the HTML as
//! written, so the page does not need its script.
//!
//! Needs `/usr/bin/chromium` (`apt-get install -y chromium`; APIPARITY_CHROMIUM names another
//! binary). Without it the test prints one skip line and passes, unless
//! APIPARITY_REQUIRE_CHROMIUM=1 (set by `.ci/run`) makes it fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::reports::{invoice, judge, mock_flows, Step};
use crate::support::tools::{self, Tool};
use apiparity::report;
use apiparity::verdict::baseline;

/// Where the first failing row is laid out, and the viewport, as attributes `--dump-dom` shows.
const PROBE: &str = "(function () { var d = document.documentElement; \
  var r = document.querySelector('#failures tr.failure'); \
  d.setAttribute('data-viewport', window.innerWidth + 'x' + window.innerHeight); \
  if (r) { var b = r.getBoundingClientRect(); \
    d.setAttribute('data-failure-bottom', String(Math.round(b.bottom))); \
    d.setAttribute('data-failure-text', r.textContent.replace(/\"/g, \"'\")); } })();";

const HOSTILE: &str = "</pre></td><script>alert(1)</script><img src=x onerror=alert(2)>";

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("APIPARITY_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    path.exists().then_some(path)
}

struct Loaded {
    dom: String,
    stderr: String,
}

/// Runs headless Chromium on `page` and returns the DOM after load and the browser's log.
fn load(browser: &Path, page: &Path, profile: &Path) -> Loaded {
    let url = format!("file://{}", page.display());
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--enable-logging=stderr",
        "--v=0",
        // The fold the report is designed for.
        "--window-size=1400,900",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd.arg("--dump-dom").arg(&url);
    let out_path = profile.with_extension("dom");
    let err_path = profile.with_extension("log");
    let out = std::fs::File::create(&out_path).expect("temp file");
    let err = std::fs::File::create(&err_path).expect("temp file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within 120 s");
            }
            Err(e) => panic!("waiting for chromium: {e}"),
        }
    };
    let dom = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(status.success(), "chromium exited with {status}\n{stderr}");
    Loaded { dom, stderr }
}

/// Console lines Chromium logged for the page (`INFO:CONSOLE`), for failure messages.
fn console(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn report_html_loads_in_chromium_without_script_errors() {
    let Some(browser) = chromium() else {
        tools::missing(
            Tool::Chromium,
            "report::chromium",
            "no executable at /usr/bin/chromium or $APIPARITY_CHROMIUM",
        );
        return;
    };

    // A failing step (finalize misses /number, and the target sends hostile text), a baselined
    // step and a stale baseline entry: every part of the page is exercised.
    let mut flows = mock_flows();
    if let Step::Compared { body, .. } = &mut flows[0].steps[1] {
        body["description"] = json!(HOSTILE);
    }
    if let Step::Compared { expected, .. } = &mut flows[0].steps[1] {
        *expected = invoice();
        expected["description"] = json!("Thanks for your business");
    }
    let b = baseline::parse(
        "target: localstripe\ndeviations:\n  - {scenario: search/by-status, step: search, kind: unsupported, reason: \"no <search> route\"}\n  - {scenario: void/open, step: void, pointer: /status, reason: fixed long ago}\n",
        Path::new("mocks/localstripe.yaml"),
    )
    .expect("baseline");
    let r = judge(&flows, true, Some(&b)).report;
    assert_eq!(r.summary.exit_code, 1);

    let dir = tempfile::tempdir().expect("temp dir");
    let reports = dir.path().join("reports");
    report::write_all(&r, &reports).expect("reports written");
    let page = reports.join("report.html");
    let html = std::fs::read_to_string(&page).expect("report.html");
    // Self-contained: nothing to fetch (the CSP would refuse it anyway, and the log is checked).
    for needle in ["<link", "<img", "src=\"", "href=\"http", "url("] {
        assert!(
            !html.contains(needle),
            "report.html references an asset: {needle}"
        );
    }

    let with_js = load(&browser, &page, &dir.path().join("profile"));
    let dom = &with_js.dom;
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not run to the end\nconsole:\n{}\nDOM head: {}",
        console(&with_js.stderr),
        dom.chars().take(600).collect::<String>()
    );
    assert!(
        !with_js.stderr.contains("Uncaught"),
        "script errors:\n{}",
        console(&with_js.stderr)
    );
    assert!(
        !with_js.stderr.contains("Refused to"),
        "the page tried to load something its policy forbids:\n{}",
        console(&with_js.stderr)
    );
    // The failing step's pointers, in the differences table.
    for p in ["/number", "/status", "/description"] {
        assert!(
            dom.contains(&format!("<code class=\"pointer\">{p}</code>")),
            "pointer {p} not shown"
        );
    }
    // The script un-hid the controls.
    assert!(
        dom.contains("<nav id=\"controls\">"),
        "controls still hidden"
    );
    // Hostile text is text: no element was injected.
    assert!(!dom.contains("<script>alert"), "script injected");
    assert!(!dom.contains("<img"), "element injected");
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The baseline section: accepted step and the stale entry.
    assert!(dom.contains("no &lt;search&gt; route"));
    assert!(
        dom.contains("mocks/localstripe.yaml:4"),
        "stale entry not shown"
    );
    // Provenance of the compared snapshot.
    assert!(dom.contains("recorded from Stripe test mode on 2025-04-01"));

    // The failure is above the fold at 1400×900: a probe script (added to a copy, the report
    // itself is untouched) records where the first failing row is laid out.
    let probe = dir.path().join("probe.html");
    std::fs::write(
        &probe,
        html.replace("</body>", &format!("<script>{PROBE}</script>\n</body>")),
    )
    .unwrap();
    let laid_out = load(&browser, &probe, &dir.path().join("profile-probe"));
    let attr = |name: &str| -> String {
        let at = laid_out
            .dom
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("probe did not run ({name})\n{}", console(&laid_out.stderr)));
        let rest = &laid_out.dom[at + name.len() + 2..];
        rest[..rest.find('"').unwrap()].to_string()
    };
    // A 1400×900 window: its viewport is what is left under the browser's own bars.
    let viewport = attr("data-viewport");
    let (w, h) = viewport.split_once('x').expect("WxH");
    assert_eq!(w, "1400", "{viewport}");
    let fold: i64 = h.parse().unwrap();
    assert!(fold <= 900, "{viewport}");
    let bottom: i64 = attr("data-failure-bottom").parse().expect("a failing row");
    assert!(
        bottom <= fold,
        "the first failure ends at {bottom}px: below the fold ({fold}px) of a 1400×900 window"
    );
    assert!(
        attr("data-failure-text").contains("/number"),
        "{}",
        attr("data-failure-text")
    );

    // Without scripts the content is all there: it is in the HTML as written (the script only
    // toggles classes), and the failing scenario is open. (Chromium's --dump-dom itself needs
    // scripts, so this half is checked on the file.)
    assert!(html.contains("<code class=\"pointer\">/number</code>"));
    assert!(
        html.contains("id=\"sc-0\" data-status=\"differ\" data-failing=\"true\" open>"),
        "the failing scenario is not open without scripts"
    );
    assert!(
        html.contains("<nav id=\"controls\" hidden>"),
        "controls that need the script must start hidden"
    );
}
