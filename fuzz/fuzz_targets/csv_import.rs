//! The Custom CSV importer: the bytes before the first NUL are the column mapping (JSON; the
//! fixture mapping when they do not parse), the rest the CSV file.
//! Invariants: never panics; rows land in the URL's property; when the mapping and the header
//! are usable, every non-blank record of the file is reported exactly once (accepted or
//! rejected with its line).
//!
//! Not asserted: distinct line numbers. The csv crate counts only `\n`, so rows separated by a
//! lone CR share a line number (found by this target; see functions/pms/tests/csv_line_numbers.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_fuzz::{now, property, split_nul};
use relais_pms::csv_import::{CsvMapping, parse_csv_at};

const FIXTURE_MAPPING: &[u8] = include_bytes!("../../tests/fixtures/pms/csv/mapping.json");

/// Non-blank records (and unreadable ones) after a header that names every mapped column;
/// `None` when the importer must refuse the file as a whole.
fn records(mapping: &CsvMapping, csv: &[u8]) -> Option<usize> {
    mapping.validate().ok()?;
    let mut rdr =
        csv::ReaderBuilder::new().delimiter(mapping.delimiter as u8).has_headers(true).flexible(true).from_reader(csv);
    let headers = rdr.byte_headers().ok()?.clone();
    let names: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 { h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h) } else { h };
            String::from_utf8_lossy(h).trim().to_string()
        })
        .collect();
    let all_found =
        mapping.columns.values().all(|c| names.iter().any(|n| n == c.trim() || n.eq_ignore_ascii_case(c.trim())));
    if !all_found {
        return None;
    }
    let mut count = 0;
    let mut record = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => return Some(count),
            Ok(true) => {
                if !record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                    count += 1;
                }
            }
            Err(e) => {
                count += 1;
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Some(count);
                }
            }
        }
    }
}

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
    if let Some(records) = records(&mapping, csv) {
        assert_eq!(
            report.accepted.len() + report.rejected.len(),
            records,
            "every non-blank row is reported exactly once: {report:?}"
        );
    }
});
