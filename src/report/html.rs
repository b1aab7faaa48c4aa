//! `report.html`: one self-contained page (no external assets).
// TODO(issue 6): full page with scorecard and side-by-side diffs.

use super::Report;

pub fn render(r: &Report) -> Result<String, String> {
    let _ = r;
    Ok(String::new())
}
