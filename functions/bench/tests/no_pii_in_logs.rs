//! No personal data in logs: the JSON logs of full runs carry no guest phone number, e-mail
//! address or message text.
//!
//! 1. Every golden scenario under `tests/scenarios` through the simulator, with a JSON
//!    subscriber at TRACE level (spans included) capturing everything.
//! 2. The real `relais serve` binary (RELAIS_LOG=trace, JSON on stderr): a signed webhook, a
//!    check-in that sends a message through the outbox, a guest's STOP reply from their phone,
//!    and a timeline read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use serde_json::{Value, json};

/// Everything written to it, for a `tracing_subscriber` JSON layer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// The forms a phone number can take in a log line.
fn phone_forms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mut forms = vec![phone.to_string()];
    if digits.len() >= 7 {
        forms.push(digits.clone());
        forms.push(digits[digits.len() - 9.min(digits.len())..].to_string());
    }
    forms
}

/// Phones and e-mails of every guest in a scenario (any `phone`, `email` or `from` field).
fn personal_data(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("phone" | "from", Value::String(s)) if s.chars().filter(char::is_ascii_digit).count() >= 7 => {
                        out.extend(phone_forms(s));
                    }
                    ("email", Value::String(s)) if s.contains('@') => out.push(s.clone()),
                    _ => personal_data(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| personal_data(v, out)),
        _ => {}
    }
}

fn assert_clean(logs: &str, secrets: &[String], what: &str) {
    assert!(!logs.trim().is_empty(), "{what}: no logs were captured");
    for line in logs.lines() {
        for secret in secrets {
            assert!(!line.contains(secret.as_str()), "{what}: personal data {secret:?} in a log line:\n{line}");
        }
    }
}

#[test]
fn simulator_logs_of_every_scenario_carry_no_personal_data() {
    let dir = support::repo_root().join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut scenarios = 0;
    let mut total_lines = 0;
    let mut total_sent = 0;
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(capture.clone())
            .finish();
        let output = {
            let _guard = tracing::subscriber::set_default(subscriber);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(relais_app::simulate::simulate(&doc, &Default::default()))
        };
        let Ok(output) = output else { continue }; // invalid scenarios stop before any guest data
        scenarios += 1;
        let mut secrets = Vec::new();
        personal_data(&doc, &mut secrets);
        let sent = Value::Array(output.lines.clone());
        let mut bodies = Vec::new();
        collect_bodies(&sent, &mut bodies);
        total_sent += bodies.len();
        secrets.extend(bodies);
        secrets.retain(|s| s.len() >= 6);
        let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        total_lines += logs.lines().count();
        assert_clean(&logs, &secrets, &file.display().to_string());
    }
    assert!(scenarios >= 10, "only {scenarios} scenarios ran");
    assert!(total_sent > 0 && total_lines > 0, "{total_sent} bodies, {total_lines} log lines");
    eprintln!("{scenarios} scenarios, {total_lines} log lines, {total_sent} message bodies: no personal data");
}

/// Rendered message texts in the simulation output (`body` of `sent` lines).
fn collect_bodies(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("body", Value::String(s)) => out.push(s.clone()),
                    _ => collect_bodies(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_bodies(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------- relais serve

/// The `relais` binary next to this test's (built by the workspace test run); built here if
/// absent.
fn relais_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let bin = dir.join(format!("relais{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "relais", "--bin", "relais"])
            .current_dir(support::repo_root())
            .status()
            .unwrap();
        assert!(status.success(), "cargo build -p relais failed");
    }
    assert!(bin.exists(), "{} not found", bin.display());
    bin
}

fn http(addr: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn relais_serve_logs_carry_no_personal_data() {
    let relais = relais_binary();
    let data = std::env::temp_dir().join(support::unique("relais-pii"));
    let log_path = data.with_extension("log");
    let seed = support::repo_root().join("tests/scenarios/status-change-basic.json");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(&relais)
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--seed")
        .arg(&seed)
        .env("RELAIS_LOG", "trace")
        .env_remove("RELAIS_WHATSAPP_TOKEN")
        .env_remove("RELAIS_TWILIO_AUTH_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();

    let result = std::panic::catch_unwind(|| {
        let phone = "+351934567890";
        let email = "guest.private@example.org";
        let now = Utc::now();
        let today = now.date_naive();
        let reservation = |status: &str, updated: chrono::DateTime<Utc>| {
            json!({"id": "r-pii", "property_id": "p-lis", "unit_id": "101", "source": "direct", "status": status,
                   "check_in": today, "check_out": today + Duration::days(3),
                   "guest": {"first_name": "Zacharias", "last_name": "Privatus", "email": email, "phone": phone, "language": "en"},
                   "adults": 2, "children": 0, "updated_at": updated})
        };
        for (i, (status, updated)) in
            [("confirmed", now - Duration::minutes(2)), ("checked_in", now - Duration::minutes(1))]
                .into_iter()
                .enumerate()
        {
            let body = json!({"event_id": format!("evt-pii-{i}"), "occurred_at": updated, "reservation": reservation(status, updated)});
            let body = serde_json::to_vec(&body).unwrap();
            let ts = Utc::now().timestamp();
            let (status, reply) = http(
                &addr,
                "POST",
                "/webhooks/pms/canonical/p-lis",
                &[
                    ("Content-Type", "application/json".into()),
                    ("X-Relais-Timestamp", ts.to_string()),
                    ("X-Relais-Signature", relais_domain::intake::sign("s3cret", ts, &body)),
                ],
                &body,
            );
            assert_eq!(status, 200, "{reply}");
        }
        // The guest answers STOP by SMS (Twilio inbound; unsigned callbacks are accepted locally).
        let form = format!("From=%2B351934567890&To=%2B15550001111&Body=STOP+please&MessageSid=SM{}", now.timestamp());
        let (status, reply) = http(
            &addr,
            "POST",
            "/webhooks/twilio/inbound",
            &[("Content-Type", "application/x-www-form-urlencoded".into())],
            form.as_bytes(),
        );
        assert!(status < 500, "twilio inbound: {status} {reply}");
        // A timeline read by the editor.
        let token = Command::new(&relais).args(["token", "--user", "u-ed", "--data"]).arg(&data).output().unwrap();
        assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
        let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
        let (status, timeline) =
            http(&addr, "GET", "/reservations/r-pii/messages", &[("Authorization", format!("Bearer {token}"))], b"");
        assert_eq!(status, 200, "{timeline}");
        // The check-in message really went out, so its text is a secret the logs must not hold.
        let outbox = std::fs::read_to_string(data.join("outbox.jsonl")).unwrap_or_default();
        assert!(outbox.contains("Welcome, Zacharias!"), "the check-in message was not sent: {outbox}");
        vec![
            phone.to_string(),
            "351934567890".to_string(),
            "934567890".to_string(),
            email.to_string(),
            "Welcome, Zacharias! Wi-Fi: casa-azul".to_string(),
            "Welcome, Zacharias".to_string(),
            "STOP please".to_string(),
        ]
    });
    let _ = child.kill();
    let _ = child.wait();
    let secrets = match result {
        Ok(secrets) => secrets,
        Err(panic) => {
            eprintln!("relais serve log:\n{}", std::fs::read_to_string(&log_path).unwrap_or_default());
            std::panic::resume_unwind(panic);
        }
    };
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.lines().count() >= 5, "too few log lines: {logs}");
    assert_clean(&logs, &secrets, "relais serve");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_file(&log_path);
}
