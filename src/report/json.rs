//! `report.json`: every result and difference, for machines.

use super::{Report, Style};

pub fn render(report: &Report, _: &Style) -> Result<String, String> {
    serde_json::to_string_pretty(report)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| e.to_string())
}
