//! `relais webhook send|sign` against `relais serve` (child processes): the sample payloads in
//! tests/fixtures/canonical/ (new reservation, date change, cancellation) are accepted, a
//! redelivery is a duplicate, an old version arriving late changes nothing, a wrong secret is
//! refused (exit 1), an unreachable server exits 2, and `sign` prints headers the server's own
//! verification accepts.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use relais_domain::intake::verify_signature;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_relais");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../tests/fixtures/canonical").join(name)
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("relais-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The property of the sample payloads: p-lis, webhook secret s3cret (as `relais serve --demo`).
fn scenario() -> Value {
    json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z",
        "account": {"id": "acc-1", "name": "Casa Azul Hotels"},
        "users": [{"id": "u-admin", "role": "admin"}],
        "properties": [{"id": "p-lis", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
            "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s3cret", "units": [{"id": "101"}]}],
        "chatbots": [], "campaigns": [], "events": []
    })
}

fn start(data: &Path, seed: &Path) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--seed")
        .arg(seed)
        .env_remove("RELAIS_WHATSAPP_TOKEN")
        .env_remove("RELAIS_TWILIO_ACCOUNT_SID")
        .env_remove("RELAIS_TWILIO_AUTH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relais serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, base }
}

fn relais(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env_remove("RELAIS_WEBHOOK_SECRET").output().expect("relais runs")
}

/// `(exit code, status line, JSON answer)` of `relais webhook send`.
fn send(url: &str, secret: &str, file: &str) -> (i32, String, Value) {
    let out = relais(&["webhook", "send", "--url", url, "--secret", secret, &fixture(file).to_string_lossy()]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (status, body) = stdout.split_once('\n').unwrap_or((stdout.as_str(), ""));
    let body = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{e}: {stdout:?} / {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), status.to_string(), body)
}

#[test]
fn webhook_send_drives_a_running_server() {
    let dir = temp_dir("webhook-cli");
    let seed = dir.join("scenario.json");
    std::fs::write(&seed, serde_json::to_vec(&scenario()).unwrap()).unwrap();
    let server = start(&dir.join("data"), &seed);
    let url = format!("{}/webhooks/pms/canonical/p-lis", server.base);

    let (code, status, body) = send(&url, "s3cret", "new_reservation.json");
    assert_eq!((code, status.as_str()), (0, "HTTP 200 OK"), "{body}");
    assert_eq!(body, json!({"reservation_id": "r-1001", "result": "stored"}));

    // Redelivery: 200, no effect.
    let (code, _, body) = send(&url, "s3cret", "new_reservation.json");
    assert_eq!((code, body["result"].as_str()), (0, Some("duplicate")));

    let (code, _, body) = send(&url, "s3cret", "date_change.json");
    assert_eq!((code, body["result"].as_str()), (0, Some("stored")), "{body}");
    let (code, _, body) = send(&url, "s3cret", "cancellation.json");
    assert_eq!((code, body["result"].as_str()), (0, Some("stored")), "{body}");
    // The date change delivered again after the cancellation: nothing changes.
    let (code, _, body) = send(&url, "s3cret", "date_change.json");
    assert_eq!(code, 0);
    assert!(body["result"] == "duplicate" || body["result"] == "stale", "{body}");

    // Wrong secret: 401, exit 1.
    let (code, status, body) = send(&url, "not-the-secret", "cancellation.json");
    assert_eq!((code, status.as_str()), (1, "HTTP 401 Unauthorized"));
    assert_eq!(body["error"]["code"], "unauthorized");

    // Unknown property: 404, exit 1.
    let (code, status, _) =
        send(&format!("{}/webhooks/pms/canonical/p-nope", server.base), "s3cret", "new_reservation.json");
    assert_eq!((code, status.as_str()), (1, "HTTP 404 Not Found"));

    // A timestamp outside the 5-minute window: 401.
    let stale = (chrono::Utc::now().timestamp() - 600).to_string();
    let out = relais(&[
        "webhook",
        "send",
        "--url",
        &url,
        "--secret",
        "s3cret",
        "--timestamp",
        &stale,
        &fixture("new_reservation.json").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP 401"));

    // The secret from the environment, the body from stdin.
    let mut child = Command::new(BIN)
        .args(["webhook", "send", "--url", &url, "-"])
        .env("RELAIS_WEBHOOK_SECRET", "s3cret")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &std::fs::read(fixture("cancellation.json")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"duplicate\""));
    drop(server);

    // Nothing listens there any more: exit 2 with a JSON error on stderr.
    let out = relais(&[
        "webhook",
        "send",
        "--url",
        &url,
        "--secret",
        "s3cret",
        &fixture("new_reservation.json").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["error"]["code"], "webhook_failed");
}

#[test]
fn webhook_sign_prints_headers_the_server_accepts() {
    let file = fixture("date_change.json");
    let out = relais(&["webhook", "sign", "--secret", "s3cret", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let ts = lines[0].strip_prefix("X-Relais-Timestamp: ").expect("timestamp header");
    let sig = lines[1].strip_prefix("X-Relais-Signature: ").expect("signature header");
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
    let body = std::fs::read(&file).unwrap();
    assert_eq!(verify_signature(&["s3cret"], Some(ts), Some(sig), &body, chrono::Utc::now()), Ok(()));
    assert!(verify_signature(&["other"], Some(ts), Some(sig), &body, chrono::Utc::now()).is_err());

    // A fixed timestamp gives a reproducible signature.
    let out = relais(&["webhook", "sign", "--secret", "s3cret", "--timestamp", "1780304400", &file.to_string_lossy()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("X-Relais-Timestamp: 1780304400\n"), "{text}");
    assert!(text.contains(&relais_domain::intake::sign("s3cret", 1_780_304_400, &body)));

    // No secret: exit 2. A body that is not canonical: a warning, still signed.
    assert_eq!(relais(&["webhook", "sign", &file.to_string_lossy()]).status.code(), Some(2));
    let dir = temp_dir("webhook-sign");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, b"{\"event_id\": 1}").unwrap();
    let out = relais(&["webhook", "sign", "--secret", "s", &bad.to_string_lossy()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
