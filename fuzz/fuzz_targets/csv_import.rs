//! The Custom CSV importer: the bytes before the first NUL are the column mapping (JSON; the
//! fixture mapping when they do not parse), the rest the CSV file. Never panics; every row is
//! accounted for once, with its line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_fuzz::{now, property, split_nul};
use relais_pms::csv_import::{CsvMapping, parse_csv_at};

const FIXTURE_MAPPING: &[u8] = include_bytes!("../../tests/fixtures/pms/csv/mapping.json");

fuzz_target!(|data: &[u8]| {
    let (mapping, csv) = split_nul(data);
    let mapping: CsvMapping = match serde_json::from_slice(mapping) {
        Ok(m) => m,
        Err(_) => serde_json::from_slice(FIXTURE_MAPPING).expect("the fixture mapping parses"),
    };
    let p = property("custom");
    let report = parse_csv_at(&p, &mapping, csv, Some(now()));
    for (_, reservation) in &report.accepted {
        assert_eq!(reservation.property_id, p.id, "a CSV row landed in another property");
    }
    let mut lines: Vec<u64> = report.accepted.iter().map(|(l, _)| *l).collect();
    lines.extend(report.rejected.iter().filter(|r| r.line > 1).map(|r| r.line));
    lines.sort_unstable();
    let before = lines.len();
    lines.dedup();
    assert_eq!(before, lines.len(), "a line reported twice: {report:?}");
});
