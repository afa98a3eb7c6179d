// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use relais_domain::{ReservationStatus, Source};
use relais_pms::csv_import::{CsvMapping, parse_csv_reader};
use relais_pms::{parse_csv, parse_csv_at};
use rust_decimal::Decimal;
use support::*;

fn mapping() -> CsvMapping {
    serde_json::from_slice(&fixture("csv/mapping.json")).unwrap()
}

fn dec(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

#[test]
fn good_and_bad_rows_with_lines_and_fields() {
    let p = property("custom_csv", None, &[]);
    let report = parse_csv(&p, &mapping(), &fixture("csv/reservations.csv"));

    let accepted: Vec<(u64, &str)> = report.accepted.iter().map(|(l, r)| (*l, r.id.as_str())).collect();
    assert_eq!(accepted, vec![(2, "R-1"), (3, "R-2")]);
    let rejected: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
    assert_eq!(
        rejected,
        vec![
            (4, "check_out"),
            (5, "guest.phone"),
            (6, "status"), // the record starts on line 6 and spans line 7
            (8, "id"),     // R-1 again
            (10, "children"),
            (11, "updated_at"),
        ],
        "{:#?}",
        report.rejected
    );
    assert!(report.rejected[2].reason.contains("Weird"));
    assert!(report.rejected[3].reason.contains("line 2"));

    let r1 = &report.accepted[0].1;
    assert_eq!(r1.property_id, "p-lis");
    assert_eq!(r1.source, Source::Airbnb);
    assert_eq!(r1.status, ReservationStatus::Confirmed);
    assert_eq!(r1.check_in.to_string(), "2026-06-10");
    assert_eq!(r1.check_out.to_string(), "2026-06-13");
    assert_eq!((r1.guest.first_name.as_str(), r1.guest.last_name.as_str()), ("Ana", "Silva"));
    assert_eq!(r1.guest.phone.as_deref(), Some("+351912345678"));
    assert_eq!(r1.guest.email.as_deref(), Some("ana@example.com"));
    assert_eq!(r1.total_amount, dec("450.00"));
    assert_eq!(r1.unit_id.as_deref(), Some("101"));
    assert_eq!(r1.custom_fields.get("vip"), Some(&true));
    assert_eq!(r1.updated_at, at("2026-06-01T09:00:00Z"));

    let r2 = &report.accepted[1].1;
    assert_eq!(r2.source, Source::BookingCom);
    assert_eq!(r2.status, ReservationStatus::CheckedIn);
    assert_eq!(r2.total_amount, dec("1234.50"));
    assert_eq!(r2.guest.phone.as_deref(), Some("+33612345678"));
    assert_eq!((r2.adults, r2.children), (1, 1));
    assert!(r2.custom_fields.is_empty());
}

#[test]
fn import_time_fills_a_missing_updated_at() {
    let p = property("custom_csv", None, &[]);
    let report = parse_csv_at(&p, &mapping(), &fixture("csv/reservations.csv"), Some(at("2026-06-05T10:00:00Z")));
    let r7 = report.accepted.iter().find(|(_, r)| r.id == "R-7").expect("R-7 accepted");
    assert_eq!(r7.0, 11);
    assert_eq!(r7.1.updated_at, at("2026-06-05T10:00:00Z"));
    assert_eq!(r7.1.source, Source::Other, "Google -> the '*' entry");
    assert_eq!(r7.1.status, ReservationStatus::Canceled);
    assert_eq!(r7.1.custom_fields.get("vip"), Some(&false));
    assert_eq!(r7.1.total_amount, None);
}

#[test]
fn missing_column_and_bad_mapping_reject_everything_with_the_field() {
    let p = property("custom_csv", None, &[]);
    let mut m = mapping();
    m.columns.insert("guest.email".into(), "E-mail address".into());
    let report = parse_csv(&p, &m, &fixture("csv/reservations.csv"));
    assert!(report.accepted.is_empty());
    assert_eq!(report.rejected.len(), 1);
    assert_eq!((report.rejected[0].line, report.rejected[0].field.as_str()), (1, "guest.email"));

    for (edit, field) in [
        (
            Box::new(|m: &mut CsvMapping| {
                m.columns.insert("guest.shoe_size".into(), "Shoe".into());
            }) as Box<dyn Fn(&mut CsvMapping)>,
            "mapping.columns.guest.shoe_size",
        ),
        (
            Box::new(|m: &mut CsvMapping| {
                m.columns.remove("check_in");
            }),
            "mapping.columns.check_in",
        ),
        (Box::new(|m: &mut CsvMapping| m.date_format = "%Q-%".into()), "mapping.date_format"),
        (Box::new(|m: &mut CsvMapping| m.delimiter = 'é'), "mapping.delimiter"),
        (
            Box::new(|m: &mut CsvMapping| {
                m.columns.remove("status");
            }),
            "mapping.columns.status",
        ),
    ] {
        let mut m = mapping();
        edit(&mut m);
        let report = parse_csv(&p, &m, &fixture("csv/reservations.csv"));
        assert!(report.accepted.is_empty());
        assert_eq!(report.rejected.len(), 1, "{field}");
        assert_eq!((report.rejected[0].line, report.rejected[0].field.as_str()), (0, field));
    }
}

#[test]
fn defaults_bom_iso_dates_and_comma_files() {
    let p = property("custom_csv", None, &[]);
    let m: CsvMapping = serde_json::from_value(serde_json::json!({
        "columns": {"id": "id", "check_in": "in", "check_out": "out", "guest.last_name": "name", "total_amount": "total",
                    "check_in_form_submitted": "form", "guest_app_forms.upsell": "upsell", "eta": "eta"},
        "default_status": "confirmed",
        "default_source": "direct"
    }))
    .unwrap();
    m.validate().unwrap();
    let csv = "\u{feff}id,in,out,name,total,form,upsell,eta\nA,2026-06-10,2026-06-12,Silva,\"1,234.50\",Yes,no,18:30\nB,2026-06-10,2026-06-12,Lee,12x,,,\n";
    let report = parse_csv_at(&p, &m, csv.as_bytes(), Some(at("2026-06-05T10:00:00Z")));
    assert_eq!(report.accepted.len(), 1, "{:?}", report.rejected);
    let a = &report.accepted[0].1;
    assert_eq!((a.status, a.source), (ReservationStatus::Confirmed, Source::Direct));
    assert_eq!(a.total_amount, dec("1234.50"));
    assert!(a.check_in_form_submitted);
    assert_eq!(a.guest_app_forms.get("upsell"), Some(&false));
    assert_eq!(a.eta.map(|t| t.to_string()).as_deref(), Some("18:30"));
    assert_eq!((report.rejected[0].line, report.rejected[0].field.as_str()), (3, "total_amount"));
}

#[test]
fn mapping_round_trips_through_json() {
    let m = mapping();
    let v = serde_json::to_value(&m).unwrap();
    let back: CsvMapping = serde_json::from_value(v).unwrap();
    assert_eq!(m, back);
    assert!(serde_json::from_value::<CsvMapping>(serde_json::json!({"columns": {}, "surprise": 1})).is_err());
}

#[test]
fn ten_thousand_rows_stream_through() {
    let p = property("custom_csv", None, &[]);
    let m: CsvMapping = serde_json::from_value(serde_json::json!({
        "columns": {"id": "id", "check_in": "in", "check_out": "out", "guest.full_name": "name", "guest.phone": "phone",
                    "status": "status", "updated_at": "updated"}
    }))
    .unwrap();
    let mut csv = String::from("id,in,out,name,phone,status,updated\n");
    for i in 0..10_000 {
        csv.push_str(&format!("R{i},2026-06-10,2026-06-12,Guest {i},+35191{i:07},confirmed,2026-06-01T10:00:00Z\n"));
    }
    let report = parse_csv_reader(&p, &m, csv.as_bytes(), None);
    assert_eq!(report.accepted.len(), 10_000, "{:?}", report.rejected.first());
    assert_eq!(report.accepted.last().map(|(l, _)| *l), Some(10_001));
}
