//! Custom CSV configurations (SPEC 4): a hotel's spreadsheet export, one reservation per row,
//! read through a column mapping saved per property. Pure: no clock, no I/O beyond the reader.
//!
//! The mapping names, for each canonical field path, the CSV column that holds it:
//!
//! ```json
//! {"columns": {"id": "Booking ref", "check_in": "Arrival", "check_out": "Departure",
//!              "guest.full_name": "Guest", "guest.phone": "Mobile", "status": "State",
//!              "source": "Channel", "total_amount": "Total", "custom_fields.vip": "VIP"},
//!  "date_format": "%d/%m/%Y",
//!  "status_values": {"Booked": "confirmed", "In house": "checked_in", "Left": "checked_out", "Cancelled": "canceled"},
//!  "source_values": {"BDC": "booking_com", "*": "other"}}
//! ```
//!
//! Field paths: `id`, `unit_id`, `source`, `status`, `check_in`, `check_out`, `eta`, `etd`,
//! `guest.first_name`, `guest.last_name`, `guest.full_name` (split at the last space),
//! `guest.email`, `guest.phone` (E.164, `+` or `00` prefix), `guest.language`, `guest.hometown`,
//! `adults`, `children`, `total_amount`, `host_payout`, `balance_due`, `currency`,
//! `check_in_form_submitted`, `contract_signed`, `auto_review_enabled`, `updated_at`,
//! `custom_fields.<key>`, `guest_app_forms.<app id>`.
//!
//! Values: `status_values` / `source_values` translate the file's words (exact, then
//! case-insensitive, then the canonical spelling itself, then the `"*"` entry if any); an
//! unmapped word rejects the row naming the field. Empty `source` is `default_source` (else
//! `other`); empty `status` is `default_status` (else the row is rejected). Dates use
//! `date_format` (chrono strftime; ISO `YYYY-MM-DD` always works too). `updated_at` is RFC 3339,
//! or property-local `YYYY-MM-DD HH:MM[:SS]` / `datetime_format`; without an `updated_at`
//! column the import time given to [`parse_csv_at`] is used. Booleans: yes/no, true/false, 1/0,
//! y/n, x; empty is "no". Amounts: `1234.50`, `1,234.50`, or with `decimal_comma` `1.234,50`.
//!
//! Line numbers are the file's (header = line 1; a quoted cell spanning lines counts its lines).
//! Rows with every cell empty are skipped. A reservation id seen twice: the later row is rejected.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::str::FromStr;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use relais_domain::time::local_to_utc;
use relais_domain::{Amount, Guest, Property, Reservation, ReservationStatus, Source};
use serde::{Deserialize, Serialize};

use crate::common::{
    lenient_local_time, normalize_currency, normalize_email, normalize_language, normalize_phone,
    parse_vendor_datetime, split_name,
};

/// Canonical field paths a column may be mapped to (plus `custom_fields.*`, `guest_app_forms.*`).
pub const FIELDS: [&str; 24] = [
    "id",
    "unit_id",
    "source",
    "status",
    "check_in",
    "check_out",
    "eta",
    "etd",
    "guest.first_name",
    "guest.last_name",
    "guest.full_name",
    "guest.email",
    "guest.phone",
    "guest.language",
    "guest.hometown",
    "adults",
    "children",
    "total_amount",
    "host_payout",
    "balance_due",
    "currency",
    "check_in_form_submitted",
    "contract_signed",
    "auto_review_enabled",
];
const UPDATED_AT: &str = "updated_at";
const PREFIXES: [&str; 2] = ["custom_fields.", "guest_app_forms."];

fn default_date_format() -> String {
    "%Y-%m-%d".to_string()
}
fn default_delimiter() -> char {
    ','
}

/// A property's saved column mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// Canonical field path -> CSV column name (as in the header row).
    pub columns: BTreeMap<String, String>,
    /// chrono strftime format of `check_in` / `check_out`.
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// chrono strftime format of `updated_at` (property-local), if not RFC 3339 / ISO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime_format: Option<String>,
    /// Field separator (an ASCII character: `,`, `;`, tab...).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Amounts written `1.234,50`.
    #[serde(default)]
    pub decimal_comma: bool,
    /// The file's source words -> canonical source (`"*"`: any other word).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub source_values: BTreeMap<String, Source>,
    /// The file's status words -> canonical status (`"*"`: any other word).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub status_values: BTreeMap<String, ReservationStatus>,
    /// Source of rows whose source cell is empty or absent (default `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_source: Option<Source>,
    /// Status of rows whose status cell is empty or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_status: Option<ReservationStatus>,
}

/// Why a mapping cannot be saved or used: the field of the mapping and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct MappingError {
    pub field: String,
    pub message: String,
}

fn mapping_error(field: impl Into<String>, message: impl Into<String>) -> MappingError {
    MappingError { field: field.into(), message: message.into() }
}

fn format_is_valid(fmt: &str) -> bool {
    !fmt.is_empty() && !StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error))
}

impl CsvMapping {
    /// Check the mapping (run when it is saved; [`parse_csv`] runs it too).
    pub fn validate(&self) -> Result<(), MappingError> {
        for (path, column) in &self.columns {
            let known = FIELDS.contains(&path.as_str())
                || path == UPDATED_AT
                || PREFIXES.iter().any(|p| path.strip_prefix(p).is_some_and(|k| !k.trim().is_empty()));
            if !known {
                return Err(mapping_error(format!("columns.{path}"), "not a canonical reservation field"));
            }
            if column.trim().is_empty() {
                return Err(mapping_error(format!("columns.{path}"), "empty column name"));
            }
        }
        for required in ["id", "check_in", "check_out"] {
            if !self.columns.contains_key(required) {
                return Err(mapping_error(format!("columns.{required}"), "required"));
            }
        }
        if !["guest.first_name", "guest.last_name", "guest.full_name"].iter().any(|f| self.columns.contains_key(*f)) {
            return Err(mapping_error(
                "columns.guest.last_name",
                "map guest.last_name, guest.first_name or guest.full_name",
            ));
        }
        if !self.columns.contains_key("status") && self.default_status.is_none() {
            return Err(mapping_error("columns.status", "map a status column or set default_status"));
        }
        if !self.delimiter.is_ascii() || self.delimiter == '"' || self.delimiter == '\n' || self.delimiter == '\r' {
            return Err(mapping_error("delimiter", "must be one ASCII character other than a quote or newline"));
        }
        if !format_is_valid(&self.date_format) {
            return Err(mapping_error("date_format", "not a valid strftime format"));
        }
        if let Some(f) = &self.datetime_format
            && !format_is_valid(f)
        {
            return Err(mapping_error("datetime_format", "not a valid strftime format"));
        }
        Ok(())
    }
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// Line of the file (header = 1); 0 for a problem with the mapping itself.
    pub line: u64,
    /// The canonical field at fault (`row` for the row as a whole, `mapping.*` for the mapping).
    pub field: String,
    pub reason: String,
}

/// What an import found: rows to upsert (with their line) and rows refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CsvReport {
    pub accepted: Vec<(u64, Reservation)>,
    pub rejected: Vec<RejectedRow>,
}

/// Parse a CSV file with a mapping. Rows need an `updated_at` column (see [`parse_csv_at`]).
pub fn parse_csv(property: &Property, mapping: &CsvMapping, bytes: &[u8]) -> CsvReport {
    parse_csv_at(property, mapping, bytes, None)
}

/// Parse a CSV file; rows without an `updated_at` value take `imported_at`.
pub fn parse_csv_at(
    property: &Property,
    mapping: &CsvMapping,
    bytes: &[u8],
    imported_at: Option<DateTime<Utc>>,
) -> CsvReport {
    parse_csv_reader(property, mapping, bytes, imported_at)
}

/// Parse from any reader, streaming row by row.
pub fn parse_csv_reader<R: Read>(
    property: &Property,
    mapping: &CsvMapping,
    reader: R,
    imported_at: Option<DateTime<Utc>>,
) -> CsvReport {
    let mut report = CsvReport::default();
    if let Err(e) = mapping.validate() {
        report.rejected.push(RejectedRow { line: 0, field: format!("mapping.{}", e.field), reason: e.message });
        return report;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter as u8)
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            report.rejected.push(RejectedRow {
                line: 1,
                field: "row".into(),
                reason: format!("unreadable header: {e}"),
            });
            return report;
        }
    };
    let names: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 { h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h) } else { h };
            String::from_utf8_lossy(h).trim().to_string()
        })
        .collect();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (path, column) in &mapping.columns {
        let column = column.trim();
        let found = names
            .iter()
            .position(|n| n == column)
            .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(column)));
        match found {
            Some(i) => {
                index.insert(path.as_str(), i);
            }
            None => {
                report.rejected.push(RejectedRow {
                    line: 1,
                    field: path.clone(),
                    reason: format!("column {column:?} is not in the header"),
                });
            }
        }
    }
    if !report.rejected.is_empty() {
        return report;
    }

    let ctx = RowContext { property, mapping, index, imported_at };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let mut last_line = 1u64;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The csv crate counts only `\n`: with lone-CR line endings (Excel's "CSV
                // (Macintosh)") every row would report the same line, so a row is never
                // numbered before the one after the previous row.
                let line = record.position().map_or(last_line + 1, csv::Position::line).max(last_line + 1);
                last_line = line;
                if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                match ctx.row(&record) {
                    Ok(r) => {
                        if let Some(first) = seen.get(&r.id) {
                            report.rejected.push(RejectedRow {
                                line,
                                field: "id".into(),
                                reason: format!("reservation {:?} already on line {first}", r.id),
                            });
                        } else {
                            seen.insert(r.id.clone(), line);
                            report.accepted.push((line, r));
                        }
                    }
                    Err((field, reason)) => report.rejected.push(RejectedRow { line, field, reason }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(last_line + 1, csv::Position::line).max(last_line + 1);
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                report.rejected.push(RejectedRow { line, field: "row".into(), reason: format!("unreadable row: {e}") });
                if fatal {
                    break;
                }
                last_line = line;
            }
        }
    }
    report
}

struct RowContext<'a> {
    property: &'a Property,
    mapping: &'a CsvMapping,
    index: BTreeMap<&'a str, usize>,
    imported_at: Option<DateTime<Utc>>,
}

type RowError = (String, String);

fn err(field: &str, reason: impl Into<String>) -> RowError {
    (field.to_string(), reason.into())
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "x" | "oui" | "sim" | "si" | "sí" | "ja" => Some(true),
        "no" | "n" | "false" | "f" | "0" | "non" | "não" | "nao" | "nein" => Some(false),
        _ => None,
    }
}

impl RowContext<'_> {
    /// The trimmed cell of a mapped field; `None` when unmapped, absent or empty.
    fn cell(&self, record: &csv::ByteRecord, path: &str) -> Result<Option<String>, RowError> {
        let Some(&i) = self.index.get(path) else { return Ok(None) };
        let Some(bytes) = record.get(i) else { return Ok(None) };
        let s = std::str::from_utf8(bytes).map_err(|_| err(path, "not valid UTF-8 text"))?;
        let s = s.trim();
        Ok((!s.is_empty()).then(|| s.to_string()))
    }

    fn date(&self, record: &csv::ByteRecord, path: &str) -> Result<NaiveDate, RowError> {
        let raw = self.cell(record, path)?.ok_or_else(|| err(path, "missing date"))?;
        NaiveDate::parse_from_str(&raw, &self.mapping.date_format)
            .or_else(|_| NaiveDate::parse_from_str(&raw, "%Y-%m-%d"))
            .map_err(|_| err(path, format!("{raw:?} is not a date in the format {}", self.mapping.date_format)))
    }

    fn amount(&self, record: &csv::ByteRecord, path: &str) -> Result<Option<Amount>, RowError> {
        let Some(raw) = self.cell(record, path)? else { return Ok(None) };
        let mut s: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
        if self.mapping.decimal_comma {
            s = s.replace('.', "").replace(',', ".");
        } else {
            s = s.replace(',', "");
        }
        Amount::from_str(&s).map(Some).map_err(|_| err(path, format!("{raw:?} is not an amount")))
    }

    fn count(&self, record: &csv::ByteRecord, path: &str) -> Result<u32, RowError> {
        match self.cell(record, path)? {
            None => Ok(0),
            Some(raw) => raw.parse::<u32>().map_err(|_| err(path, format!("{raw:?} is not a whole number"))),
        }
    }

    fn flag(&self, record: &csv::ByteRecord, path: &str) -> Result<Option<bool>, RowError> {
        match self.cell(record, path)? {
            None => Ok(None),
            Some(raw) => parse_bool(&raw).map(Some).ok_or_else(|| err(path, format!("{raw:?} is not yes or no"))),
        }
    }

    fn lookup<T: Copy + for<'de> Deserialize<'de>>(table: &BTreeMap<String, T>, raw: &str) -> Option<T> {
        table
            .get(raw)
            .or_else(|| table.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(raw)).map(|(_, v)| v))
            .copied()
            .or_else(|| serde_json::from_value(serde_json::Value::String(raw.to_ascii_lowercase())).ok())
            .or_else(|| table.get("*").copied())
    }

    fn updated_at(&self, record: &csv::ByteRecord) -> Result<DateTime<Utc>, RowError> {
        let Some(raw) = self.cell(record, UPDATED_AT)? else {
            return self.imported_at.ok_or_else(|| err(UPDATED_AT, "missing (map an updated_at column)"));
        };
        let tz = self.property.time_zone;
        if let Some(fmt) = &self.mapping.datetime_format {
            if let Ok(dt) = DateTime::parse_from_str(&raw, fmt) {
                return Ok(dt.with_timezone(&Utc));
            }
            if let Ok(naive) = NaiveDateTime::parse_from_str(&raw, fmt) {
                return Ok(local_to_utc(tz, naive.date(), naive.time()));
            }
        }
        parse_vendor_datetime(&raw, tz).ok_or_else(|| err(UPDATED_AT, format!("{raw:?} is not a date-time")))
    }

    fn row(&self, record: &csv::ByteRecord) -> Result<Reservation, RowError> {
        let id = self.cell(record, "id")?.ok_or_else(|| err("id", "missing reservation id"))?;
        if id.chars().count() > 128 {
            return Err(err("id", "longer than 128 characters"));
        }
        let status = match self.cell(record, "status")? {
            Some(raw) => Self::lookup(&self.mapping.status_values, &raw)
                .ok_or_else(|| err("status", format!("unknown status {raw:?} (add it to status_values)")))?,
            None => self.mapping.default_status.ok_or_else(|| err("status", "missing status"))?,
        };
        let source = match self.cell(record, "source")? {
            Some(raw) => Self::lookup(&self.mapping.source_values, &raw)
                .ok_or_else(|| err("source", format!("unknown source {raw:?} (add it to source_values)")))?,
            None => self.mapping.default_source.unwrap_or(Source::Other),
        };
        let check_in = self.date(record, "check_in")?;
        let check_out = self.date(record, "check_out")?;
        if check_out <= check_in {
            return Err(err("check_out", "must be after check_in"));
        }
        let time = |path: &str| -> Result<_, RowError> {
            match self.cell(record, path)? {
                None => Ok(None),
                Some(raw) => {
                    lenient_local_time(&raw).map(Some).ok_or_else(|| err(path, format!("{raw:?} is not a time HH:MM")))
                }
            }
        };
        let eta = time("eta")?;
        let etd = time("etd")?;

        let (mut first_name, mut last_name) = match self.cell(record, "guest.full_name")? {
            Some(full) => split_name(&full),
            None => (String::new(), String::new()),
        };
        if let Some(f) = self.cell(record, "guest.first_name")? {
            first_name = f;
        }
        if let Some(l) = self.cell(record, "guest.last_name")? {
            last_name = l;
        }
        if first_name.is_empty() && last_name.is_empty() {
            return Err(err("guest.last_name", "missing guest name"));
        }
        let email = match self.cell(record, "guest.email")? {
            None => None,
            Some(raw) => Some(normalize_email(&raw).ok_or_else(|| err("guest.email", "not an e-mail address"))?),
        };
        let phone = match self.cell(record, "guest.phone")? {
            None => None,
            Some(raw) => Some(
                normalize_phone(&raw)
                    .ok_or_else(|| err("guest.phone", "not an international number (+country code...)"))?,
            ),
        };
        let language = match self.cell(record, "guest.language")? {
            None => None,
            Some(raw) => Some(
                normalize_language(&raw)
                    .ok_or_else(|| err("guest.language", format!("{raw:?} is not a language tag")))?,
            ),
        };
        let currency = match self.cell(record, "currency")? {
            None => None,
            Some(raw) => Some(
                normalize_currency(&raw).ok_or_else(|| err("currency", format!("{raw:?} is not a currency code")))?,
            ),
        };

        let mut custom_fields = BTreeMap::new();
        let mut guest_app_forms = BTreeMap::new();
        for path in self.index.keys() {
            if let Some(key) = path.strip_prefix("custom_fields.") {
                if let Some(b) = self.flag(record, path)? {
                    custom_fields.insert(key.to_string(), b);
                }
            } else if let Some(app) = path.strip_prefix("guest_app_forms.")
                && let Some(b) = self.flag(record, path)?
            {
                guest_app_forms.insert(app.to_string(), b);
            }
        }

        Ok(Reservation {
            id,
            property_id: self.property.id.clone(),
            unit_id: self.cell(record, "unit_id")?,
            source,
            status,
            check_in,
            check_out,
            eta,
            etd,
            guest: Guest {
                first_name,
                last_name,
                email,
                phone,
                language,
                hometown: self.cell(record, "guest.hometown")?,
            },
            adults: self.count(record, "adults")?,
            children: self.count(record, "children")?,
            total_amount: self.amount(record, "total_amount")?,
            host_payout: self.amount(record, "host_payout")?,
            balance_due: self.amount(record, "balance_due")?,
            currency,
            check_in_form_submitted: self.flag(record, "check_in_form_submitted")?.unwrap_or(false),
            guest_app_forms,
            contract_signed: self.flag(record, "contract_signed")?.unwrap_or(false),
            auto_review_enabled: self.flag(record, "auto_review_enabled")?,
            review: None,
            payments: Vec::new(),
            custom_fields,
            updated_at: self.updated_at(record)?,
        })
    }
}
