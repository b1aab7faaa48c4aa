//! `report.json`: every result and difference, for machines.

use super::{Report, Style};

pub fn render(report: &Report, _: &Style) -> Result<String, String> {
    let room = super::text_capacity(report);
    crate::pretty::to_string(report, room).map_err(|e| e.to_string())
}
