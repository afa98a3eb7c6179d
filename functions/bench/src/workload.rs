//! The scaling workload (docs/performance.md): one property with three campaigns (a thank-you on
//! confirmation, sent at once; a message 3 days before check-in; one the day after check-out),
//! and N new confirmed bookings as signed canonical webhooks. `relais-bench load` seeds
//! `relais serve` with it; `relais-bench ingest` replays it with `relais simulate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Args;
use crate::init::peak_rss_kib;

pub const PROPERTY: &str = "p-lis";
pub const SECRET: &str = "s3cret";
/// The virtual time the ingest scenario spreads its webhooks over.
const INGEST_MINUTES: i64 = 30;
/// The scenario's start, 2026-06-01T00:00:00Z, since the epoch.
const START: Duration = Duration::from_secs(1_780_272_000);

/// The canonical webhook body of booking `i` of run `run`: check-ins spread over 2030.
pub fn booking(run: &str, i: usize) -> Value {
    let month = 1 + (i % 12);
    let day = 1 + (i / 12) % 25;
    json!({
        "event_id": format!("evt-{run}-{i}"),
        "occurred_at": "2026-06-01T09:00:00Z",
        "reservation": {
            "id": format!("r-{run}-{i}"),
            "property_id": PROPERTY,
            "unit_id": format!("{}", 100 + i % 40),
            "source": "direct",
            "status": "confirmed",
            "check_in": format!("2030-{month:02}-{day:02}"),
            "check_out": format!("2030-{month:02}-{:02}", day + 3),
            "guest": {"first_name": "Load", "last_name": "Test", "phone": format!("+3519{:08}", i % 100_000_000),
                      "email": format!("guest{i}@example.com"), "language": "en"},
            "adults": 2, "children": 0,
            "updated_at": "2026-06-01T09:00:00Z"
        }
    })
}

fn text(body: &str) -> Value {
    json!({"en": {"whatsapp": {"type": "text", "body": body}, "sms": {"type": "text", "body": body}}})
}

/// The scenario (Appendix A.1 format) with `bookings` webhooks spread over 30 minutes.
pub fn scenario(bookings: usize) -> Value {
    let campaign = |id: &str, name: &str, trigger: Value, target: Value, body: &str| {
        json!({"id": id, "created_by": "u-ed", "approve": true, "category": "pre_stay", "name": name,
               "property_id": PROPERTY, "chatbot_id": "bot-1", "trigger": trigger, "target": target,
               "channel": {"primary": "whatsapp", "fallback": "sms"}, "messages": text(body)})
    };
    let every_day =
        json!({"type": "schedule", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [10]});
    let start = START;
    let events: Vec<Value> = (0..bookings)
        .map(|i| {
            let at = start + Duration::from_millis((i as u64 * INGEST_MINUTES as u64 * 60_000) / bookings.max(1) as u64);
            json!({"at": rfc3339(at), "pms_webhook": {"pms": "canonical", "property_id": PROPERTY, "body": booking("ingest", i)}})
        })
        .collect();
    json!({
        "version": 1,
        "start": rfc3339(start),
        "end": rfc3339(start + Duration::from_secs(INGEST_MINUTES as u64 * 60)),
        "sweep_every_minutes": 5,
        "account": {"id": "acc-1", "name": "Casa Azul Hotels"},
        "users": [{"id": "u-ed", "role": "editor"}, {"id": "u-ap", "role": "approver"}, {"id": "u-admin", "role": "admin"}],
        "properties": [{"id": PROPERTY, "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
            "check_out_time": "11:00", "pms": "mews", "webhook_secret": SECRET,
            "units": (100..140).map(|u| json!({"id": u.to_string(), "name": format!("Room {u}")})).collect::<Vec<_>>()}],
        "chatbots": [{"id": "bot-1", "property_ids": [PROPERTY], "languages": ["en"],
            "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"}}],
        "campaigns": [
            campaign("booked", "Thanks for booking", json!({"type": "status_change"}), json!({"status": "confirmed"}),
                "Thanks {{guest_first_name}}!"),
            campaign("pre-3d", "Welcome, 3 days out", every_day.clone(),
                json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -3}),
                "Hi {{guest_first_name}}, see you on {{check_in_date}}!"),
            campaign("post-1d", "Thank you for staying", every_day,
                json!({"status": "confirmed", "anchor": "check_out", "send_offset_days": 1}),
                "Thank you {{guest_first_name}}, come back soon!"),
        ],
        "events": events
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a time since the epoch (no date library in this binary).
fn rfc3339(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
}

/// `relais-bench scenario [--bookings N]`: print the scenario.
pub fn scenario_main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    println!("{}", scenario(args.number("bookings", 0)?));
    Ok(())
}

/// `relais-bench ingest --relais BIN [--bookings 2000,16000,100000] [--work DIR]`: replay the
/// scenario with `relais simulate` for each size; time per booking and peak RSS. One JSON line.
pub fn ingest_main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    let relais = PathBuf::from(args.get("relais").ok_or("--relais BIN is required")?);
    let work = PathBuf::from(args.get("work").unwrap_or("target/bench/ingest"));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let sizes: Vec<usize> = args
        .get("bookings")
        .unwrap_or("2000,16000,100000")
        .split(',')
        .map(|n| n.trim().parse().map_err(|_| format!("--bookings: {n:?} is not a number")))
        .collect::<Result<_, _>>()?;
    let mut runs = Vec::new();
    for n in sizes {
        let file = work.join(format!("ingest-{n}.json"));
        std::fs::write(&file, scenario(n).to_string()).map_err(|e| format!("{}: {e}", file.display()))?;
        let (elapsed, rss_kib, lines) = simulate(&relais, &file)?;
        let us = elapsed.as_secs_f64() * 1e6 / n.max(1) as f64;
        runs.push(json!({"bookings": n, "seconds": round2(elapsed.as_secs_f64()), "us_per_booking": round2(us),
                         "max_rss_kib": rss_kib, "output_lines": lines}));
    }
    println!("{}", json!({"kind": "ingest", "campaigns": 3, "virtual_minutes": INGEST_MINUTES, "runs": runs}));
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Run `relais simulate FILE`: wall time, peak RSS (sampled every 10 ms) and output lines.
fn simulate(relais: &Path, file: &Path) -> Result<(Duration, u64, usize), String> {
    let out = std::env::temp_dir().join(format!("relais-bench-ingest-{}.jsonl", std::process::id()));
    let sink = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let started = Instant::now();
    let mut child = Command::new(relais)
        .arg("simulate")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(sink)
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e}", relais.display()))?;
    let mut rss = 0;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        rss = rss.max(peak_rss_kib(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(format!("relais simulate {} exited {status}", file.display()));
    }
    let lines = std::fs::read_to_string(&out).map(|t| t.lines().count()).unwrap_or(0);
    let _ = std::fs::remove_file(&out);
    Ok((elapsed, rss, lines))
}
