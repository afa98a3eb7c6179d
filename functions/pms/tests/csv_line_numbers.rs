//! Regression found by `fuzz/` (target csv_import): rows separated by a lone CR (classic Mac
//! line endings, e.g. Excel's "CSV (Macintosh)" export) are read as separate rows by the csv
//! crate, but its line counter counts only `\n`, so every row of such a file reports the same
//! line and a rejected row cannot be found in the file. The importer now never numbers a row
//! before the one after the previous row.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use relais_pms::csv_import::CsvMapping;
use relais_pms::parse_csv;
use support::*;

#[test]
fn rows_separated_by_a_lone_cr_get_distinct_lines() {
    let mapping: CsvMapping = serde_json::from_slice(&fixture("csv/mapping.json")).unwrap();
    let csv = String::from_utf8(fixture("csv/reservations.csv")).unwrap().replace("\r\n", "\n").replace('\n', "\r");
    let report = parse_csv(&property("custom", None, &[]), &mapping, csv.as_bytes());
    let mut lines: Vec<u64> = report.accepted.iter().map(|(l, _)| *l).collect();
    lines.extend(report.rejected.iter().map(|r| r.line));
    let count = lines.len();
    lines.sort_unstable();
    lines.dedup();
    assert!(count > 2, "{report:?}");
    assert_eq!(lines.len(), count, "rows share line numbers: {report:?}");
}
