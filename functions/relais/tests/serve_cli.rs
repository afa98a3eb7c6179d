//! `relais serve` as a child process: seed, token, a signed webhook, the message in the outbox
//! and in the timeline, a restart that loses nothing, and the refusals of `--seed`; and the
//! black-box probe of docs/hardening.md. The debug binary by default; `RELAIS_PROBE_BIN` names
//! another (`infra/probe.sh` runs this suite on the release binary).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn bin() -> String {
    std::env::var("RELAIS_PROBE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_relais").to_string())
}

/// The SPEC 5.1 settings `relais serve` reads.
const PROVIDER_SETTINGS: [&str; 9] = [
    "RELAIS_PUBLIC_URL",
    "RELAIS_WHATSAPP_API_BASE",
    "RELAIS_WHATSAPP_TOKEN",
    "RELAIS_WHATSAPP_APP_SECRET",
    "RELAIS_WHATSAPP_VERIFY_TOKEN",
    "RELAIS_WHATSAPP_WABA_ID",
    "RELAIS_TWILIO_API_BASE",
    "RELAIS_TWILIO_ACCOUNT_SID",
    "RELAIS_TWILIO_AUTH_TOKEN",
];

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

impl Server {
    fn start(data: &Path, seed: Option<&Path>) -> Server {
        Server::start_with(data, seed, &[], Stdio::null())
    }

    /// With these provider settings (none inherited from the test's environment).
    fn start_with(data: &Path, seed: Option<&Path>, settings: &[(&str, &str)], stderr: Stdio) -> Server {
        let mut command = Command::new(bin());
        command.args(["serve", "--addr", "127.0.0.1:0", "--data"]).arg(data);
        if let Some(seed) = seed {
            command.arg("--seed").arg(seed);
        }
        command.env_remove("RELAIS_JWT_SECRET");
        for name in PROVIDER_SETTINGS {
            command.env_remove(name);
        }
        command.envs(settings.iter().copied());
        let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().expect("relais serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, base }
    }

    fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// SIGTERM, and wait for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "relais serve did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn request(&self, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
        http_request(self.addr(), method, path, headers, body).unwrap()
    }

    fn get(&self, path: &str, token: &str) -> (u16, String) {
        self.request("GET", path, &[("Authorization", format!("Bearer {token}"))], b"")
    }
}

/// One request on a fresh connection: the status and the (de-chunked) body.
fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let status = status.ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("relais-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn token(data: &Path, user: &str) -> String {
    let out = Command::new(bin())
        .args(["token", "--data"])
        .arg(data)
        .args(["--user", user])
        .env_remove("RELAIS_JWT_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A fresh directory with the seed scenario written in it: the directory, its data directory
/// (not created yet) and the seed file.
fn seeded_dir(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let seed = dir.join("scenario.json");
    std::fs::write(&seed, serde_json::to_vec(&scenario()).unwrap()).unwrap();
    (dir.clone(), dir.join("data"), seed)
}

fn scenario() -> Value {
    json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z", "sweep_every_minutes": 5,
        "account": {"id": "acc-1", "name": "Casa Azul Hotels"},
        "users": [{"id": "u-ed", "role": "editor"}, {"id": "u-ap", "role": "approver"}, {"id": "u-admin", "role": "admin"}],
        "properties": [{"id": "p-lis", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
            "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s3cret", "units": [{"id": "101", "name": "Room 101"}]}],
        "chatbots": [{"id": "bot-1", "property_ids": ["p-lis"], "languages": ["en", "pt"],
            "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"}}],
        "campaigns": [{"id": "booked", "created_by": "u-ed", "approve": true, "category": "pre_stay", "name": "Thanks for booking",
            "property_id": "p-lis", "chatbot_id": "bot-1", "trigger": {"type": "status_change"}, "target": {"status": "confirmed"},
            "channel": {"primary": "whatsapp", "fallback": "sms"},
            "messages": {"en": {"whatsapp": {"type": "text", "body": "Thanks {{guest_first_name}}!"},
                                "sms": {"type": "text", "body": "Thanks {{guest_first_name}}!"}}}}],
        "events": []
    })
}

#[test]
fn serve_seeds_receives_a_webhook_sends_and_survives_a_restart() {
    let (dir, data, seed) = seeded_dir("serve");

    let server = Server::start(&data, Some(&seed));
    let admin = token(&data, "u-admin");
    let approver = token(&data, "u-ap");
    let (status, body) = server.get("/campaigns", &approver);
    assert_eq!(status, 200, "{body}");
    let campaigns: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(campaigns["campaigns"][0]["status"], "active");

    // A signed canonical webhook: a new confirmed booking.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let event = json!({"event_id": "evt-1", "occurred_at": "2026-11-01T09:00:00Z", "reservation": {
        "id": "r-1", "property_id": "p-lis", "unit_id": "101", "source": "direct", "status": "confirmed",
        "check_in": "2099-06-10", "check_out": "2099-06-13",
        "guest": {"first_name": "Ana", "last_name": "Silva", "phone": "+351912345678", "language": "en"},
        "adults": 2, "children": 0, "updated_at": "2026-11-01T09:00:00Z"}});
    let bytes = serde_json::to_vec(&event).unwrap();
    let headers = [
        ("Content-Type", "application/json".to_string()),
        ("X-Relais-Timestamp", now.to_string()),
        ("X-Relais-Signature", relais_domain::intake::sign("s3cret", now, &bytes)),
    ];
    let (status, body) = server.request("POST", "/webhooks/pms/canonical/p-lis", &headers, &bytes);
    assert_eq!(status, 200, "{body}");
    // Unsigned: 401.
    let (status, _) = server.request("POST", "/webhooks/pms/canonical/p-lis", &[], &bytes);
    assert_eq!(status, 401);

    // The message went out (drained after the request) and shows in the timeline and outbox.
    let (status, timeline) = server.get("/reservations/r-1/messages", &approver);
    assert_eq!(status, 200, "{timeline}");
    let parsed: Value = serde_json::from_str(&timeline).unwrap();
    assert_eq!(parsed["messages"][0]["state"], "sent", "{timeline}");
    let (status, outbox) = server.get("/outbox", &admin);
    assert_eq!(status, 200);
    let lines: Vec<Value> = outbox.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{outbox}");
    assert_eq!(lines[0]["kind"], "sent");
    assert_eq!(lines[0]["campaign"], "booked");
    assert_eq!(lines[0]["reservation"], "r-1");
    assert_eq!(lines[0]["channel"], "whatsapp");
    assert_eq!(lines[0]["body"], "Thanks Ana!");
    assert_eq!(server.get("/outbox", &approver).0, 403);
    server.stop();

    // --seed into a directory that holds data is refused.
    let out = Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--seed")
        .arg(&seed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("data_not_empty"));

    // Restart: same state, same outbox, the same tokens still work (the secret is in the data directory).
    let server = Server::start(&data, None);
    let (status, again) = server.get("/reservations/r-1/messages", &approver);
    assert_eq!(status, 200);
    assert_eq!(again, timeline);
    assert_eq!(server.get("/outbox", &admin).1, outbox);
    // The replayed webhook is a duplicate: nothing is sent twice.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let headers = [
        ("X-Relais-Timestamp", now.to_string()),
        ("X-Relais-Signature", relais_domain::intake::sign("s3cret", now, &bytes)),
    ];
    let (status, body) = server.request("POST", "/webhooks/pms/canonical/p-lis", &headers, &bytes);
    assert_eq!(status, 200);
    assert!(body.contains("duplicate"), "{body}");
    assert_eq!(server.get("/outbox", &admin).1.lines().count(), 1);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `relais serve --seed` with `doc` in a fresh data directory under `dir`, which must refuse to
/// start: its exit code and the error (the last of its JSON stderr lines).
fn serve_refusing_seed(dir: &Path, doc: &Value) -> (Option<i32>, Value) {
    let seed = dir.join("bad-seed.json");
    std::fs::write(&seed, serde_json::to_vec(doc).unwrap()).unwrap();
    let out = Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir.join("refused-data"))
        .arg("--seed")
        .arg(&seed)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let error = serde_json::from_str(stderr.lines().last().unwrap_or("")).unwrap_or_else(|_| json!({"stderr": stderr}));
    (out.status.code(), error)
}

#[test]
fn an_invalid_seed_is_refused_like_simulate() {
    let dir = temp_dir("seed");
    let mut doc = scenario();
    doc["campaigns"][0]["messages"]["en"]["sms"]["body"] = json!("x".repeat(200));
    let (code, error) = serve_refusing_seed(&dir, &doc);
    assert_eq!(code, Some(2));
    assert_eq!(error["error"]["field"], "campaigns[0].messages.en.sms.body");
    // And a token for an unknown user or directory: exit 2.
    let out =
        Command::new(bin()).args(["token", "--data"]).arg(dir.join("nothing")).args(["--user", "u"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A WhatsApp `template APPROVED` notification: forged, it would activate a campaign.
fn template_approved() -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA",
        "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED",
            "message_template_id": 1, "message_template_name": "relais_unknown", "message_template_language": "en"}}]}]}))
    .unwrap()
}

const VERIFY: &str = "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vt123&hub.challenge=98765";

#[test]
fn whatsapp_app_secret_and_verify_token_apply_without_the_api_token() {
    let dir = temp_dir("wa-secret");
    let settings = [("RELAIS_WHATSAPP_APP_SECRET", "app-secret"), ("RELAIS_WHATSAPP_VERIFY_TOKEN", "vt123")];
    let server = Server::start_with(&dir.join("data"), None, &settings, Stdio::null());
    let (status, body) = server.request("GET", VERIFY, &[], b"");
    assert_eq!((status, body.as_str()), (200, "98765"));
    let body = template_approved();
    assert_eq!(server.request("POST", "/webhooks/whatsapp", &[], &body).0, 401, "unsigned");
    let wrong = relais_channels::whatsapp_webhook::sign("not-the-secret", &body);
    assert_eq!(server.request("POST", "/webhooks/whatsapp", &[("X-Hub-Signature-256", wrong)], &body).0, 401);
    let right = relais_channels::whatsapp_webhook::sign("app-secret", &body);
    let (status, answer) = server.request("POST", "/webhooks/whatsapp", &[("X-Hub-Signature-256", right)], &body);
    assert_eq!(status, 200, "{answer}");
    // No Twilio setting: its callbacks are still the local outbox mode's.
    let form = b"MessageSid=SM1&MessageStatus=delivered";
    let content_type = [("Content-Type", "application/x-www-form-urlencoded".to_string())];
    assert_eq!(server.request("POST", "/webhooks/twilio/status", &content_type, form).0, 200);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn whatsapp_token_without_app_secret_refuses_callbacks_and_warns() {
    let dir = temp_dir("wa-token");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let log = dir.join("stderr.log");
    // Nothing is sent in this test; the API base points nowhere, to be sure.
    let settings = [("RELAIS_WHATSAPP_TOKEN", "EAAG-token"), ("RELAIS_WHATSAPP_API_BASE", "http://127.0.0.1:9")];
    let server =
        Server::start_with(&dir.join("data"), None, &settings, Stdio::from(std::fs::File::create(&log).unwrap()));
    let (status, body) = server.request("POST", "/webhooks/whatsapp", &[], &template_approved());
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("RELAIS_WHATSAPP_APP_SECRET"), "{body}");
    assert_eq!(server.request("GET", VERIFY, &[], b"").0, 403, "no verify token");
    server.stop();
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.lines().any(|l| l.contains("\"WARN\"") && l.contains("RELAIS_WHATSAPP_APP_SECRET is not set")),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn twilio_auth_token_checks_signatures_on_the_local_runner() {
    let dir = temp_dir("twilio");
    let settings = [
        ("RELAIS_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
        ("RELAIS_TWILIO_AUTH_TOKEN", "twilio-token"),
        ("RELAIS_TWILIO_API_BASE", "http://127.0.0.1:9"),
    ];
    let server = Server::start_with(&dir.join("data"), None, &settings, Stdio::null());
    let form = b"MessageSid=SM1&MessageStatus=failed";
    let content_type = ("Content-Type", "application/x-www-form-urlencoded".to_string());
    assert_eq!(server.request("POST", "/webhooks/twilio/status", std::slice::from_ref(&content_type), form).0, 401);
    let fields: std::collections::BTreeMap<String, String> =
        [("MessageSid".to_string(), "SM1".to_string()), ("MessageStatus".to_string(), "failed".to_string())].into();
    let url = format!("{}/webhooks/twilio/status", server.base);
    let signature = relais_channels::twilio_signature("twilio-token", &url, &fields);
    let headers = [content_type, ("X-Twilio-Signature", signature)];
    assert_eq!(server.request("POST", "/webhooks/twilio/status", &headers, form).0, 200);
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_serve_on_the_same_data_directory_refuses_to_start() {
    let data = temp_dir("locked");
    let first = Server::start(&data, None);
    let mut child = Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env_remove("RELAIS_JWT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relais serve runs");
    // Without the lock it would serve: give it 20 s to refuse, then fail (never hang).
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a second relais serve started on {}", data.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = child.wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(2), "refused: {second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    let error: Value = serde_json::from_str(stderr.lines().last().unwrap_or("")).unwrap_or(Value::Null);
    assert_eq!(error["error"]["code"], "data_in_use", "{stderr}");
    let message = error["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains(&format!("pid {}", first.child.id())), "names the other process: {message}");
    assert!(String::from_utf8_lossy(&second.stdout).is_empty(), "never listened");
    // The first one still serves, and once it is gone the directory can be served again.
    assert_eq!(first.request("GET", "/openapi.json", &[], b"").0, 200);
    first.stop();
    let again = Server::start(&data, None);
    assert_eq!(again.request("GET", "/openapi.json", &[], b"").0, 200);
}

/// Whether the server closed `stream` (EOF, reset, or a response then EOF) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Slow headers, slow bodies, idle and idle keep-alive connections are closed by the server
/// (docs/hardening.md, "Slow clients") while a normal client is served at once.
#[test]
fn slow_and_idle_clients_are_closed_while_others_are_served() {
    let data = temp_dir("slow");
    let server = Server::start(&data, None);
    let connect = || TcpStream::connect(server.addr()).unwrap();
    let idle: Vec<TcpStream> = (0..200).map(|_| connect()).collect();
    let slow_headers: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = connect();
            s.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    let slow_bodies: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = connect();
            let head = "POST /webhooks/pms/canonical/p HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{";
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    let mut keep_alive = connect();
    keep_alive.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 12];
    keep_alive.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    // 351 slow or idle clients: a normal one is served at once.
    let started = Instant::now();
    assert_eq!(server.request("GET", "/openapi.json", &[], b"").0, 200);
    assert!(started.elapsed() < Duration::from_secs(3), "served in {:?}", started.elapsed());

    // Every slow one is closed once its timeout (10 s) has passed.
    let deadline = started + Duration::from_secs(16);
    let left = || deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
    for (kind, streams) in [("idle", idle), ("slow headers", slow_headers), ("slow body", slow_bodies)] {
        let count = streams.len();
        let closed = streams.into_iter().filter_map(|mut s| closed_within(&mut s, left()).then_some(())).count();
        assert_eq!(closed, count, "{kind} connections closed");
    }
    assert!(closed_within(&mut keep_alive, Duration::from_secs(2)), "idle keep-alive connection closed");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(server.request("GET", "/openapi.json", &[], b"").0, 200, "still serving");
}

fn signed(secret: &str, timestamp: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let signature = match timestamp.parse::<i64>() {
        Ok(t) => relais_domain::intake::sign(secret, t, body),
        Err(_) => format!("sha256={}", "0".repeat(64)),
    };
    vec![
        ("Content-Type", "application/json".to_string()),
        ("X-Relais-Timestamp", timestamp.to_string()),
        ("X-Relais-Signature", signature),
    ]
}

/// The black-box probe (docs/hardening.md): hostile headers, bodies, ids and seeds against the
/// running binary. Each refusal names its field, stores nothing, and the server keeps serving.
#[test]
fn the_probe_finds_no_panic_no_stored_garbage_and_private_files() {
    let (dir, data, seed) = seeded_dir("probe");
    let server = Server::start(&data, Some(&seed));
    let editor = token(&data, "u-ed");
    let path = "/webhooks/pms/canonical/p-lis";
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let event = |id: &str, first_name: &str| {
        serde_json::to_vec(&json!({"event_id": format!("evt-{}", id.len()), "occurred_at": "2026-11-01T09:00:00Z",
            "reservation": {"id": id, "property_id": "p-lis", "source": "direct", "status": "confirmed",
            "check_in": "2099-06-10", "check_out": "2099-06-13",
            "guest": {"first_name": first_name, "last_name": "Silva", "phone": "+351912345678", "language": "en"},
            "adults": 2, "children": 0, "updated_at": "2026-11-01T09:00:00Z"}}))
        .unwrap()
    };
    let mut cases = 0;

    // Extreme and malformed timestamps: 401, never an overflow.
    for timestamp in ["-9223372036854775808", "9223372036854775807", "0", "1e9", ""] {
        let (status, body) = server.request("POST", path, &signed("s3cret", timestamp, b"{}"), b"{}");
        assert_eq!(status, 401, "timestamp {timestamp:?}: {body}");
        cases += 1;
    }

    // Trailing bytes after the document, ids and texts out of bounds: 400 naming the field.
    let mut trailing = event("r-trailing", "Ana");
    trailing.extend_from_slice(b"GARBAGE");
    let long_id = "r".repeat(100_000);
    for (name, body, field) in [
        ("trailing bytes", trailing, "body"),
        ("a 100,000-character id", event(&long_id, "Ana"), "reservation.id"),
        ("a NUL in the id", event("r-\u{0}", "Ana"), "reservation.id"),
        ("a bidi override in the id", event("r-\u{202e}x", "Ana"), "reservation.id"),
        ("a 5,000-character name", event("r-long-name", &"A".repeat(5_000)), "reservation.guest.first_name"),
    ] {
        let (status, answer) = server.request("POST", path, &signed("s3cret", &now, &body), &body);
        assert_eq!(status, 400, "{name}: {answer}");
        let error: Value = serde_json::from_str(&answer).unwrap_or_else(|_| panic!("{name}: {answer}"));
        assert_eq!(error["error"]["field"], field, "{name}: {answer}");
        cases += 1;
    }
    for id in ["r-trailing", "r-long-name"] {
        assert_eq!(
            server.get(&format!("/reservations/{id}/messages?property_id=p-lis"), &editor).0,
            404,
            "{id} stored"
        );
    }

    // The server is still up and answers a good webhook.
    let good = event("r-good", "Ana");
    assert_eq!(server.request("POST", path, &signed("s3cret", &now, &good), &good).0, 200);
    assert_eq!(server.get("/reservations/r-good/messages?property_id=p-lis", &editor).0, 200, "stored");

    // Private files: the directory 0700, every file in it 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                cases += 1;
            }
        }
    }
    drop(server);

    // A seed whose ids could collide with another's keys is refused, naming the field.
    for bad in ["p/x", "p#x", "p|x", "p x", "p\u{e9}"] {
        let mut doc = scenario();
        doc["properties"][0]["id"] = json!(bad);
        let (code, error) = serve_refusing_seed(&dir, &doc);
        assert_eq!(code, Some(2), "property id {bad:?}");
        assert_eq!(error["error"]["field"], "properties[0].id", "{bad:?}: {error}");
        cases += 1;
    }
    assert!(cases > 15, "every case ran, and at least one data file was checked: {cases} cases");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Group commit keeps the promise of one commit per write: a webhook answered 200 is on disk.
/// Eight clients send webhooks back to back; the server is killed (SIGKILL, no shutdown) in the
/// middle; after a restart every reservation that was answered 200 is there.
#[test]
fn every_webhook_answered_200_survives_a_kill_mid_load() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let (dir, data, seed) = seeded_dir("kill");
    let mut server = Server::start(&data, Some(&seed));
    let addr = server.addr().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (addr, stop, answered) = (addr.clone(), stop.clone(), answered.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let id = format!("r-k{client}-{i}");
                    i += 1;
                    let body = serde_json::to_vec(&json!({"event_id": format!("evt-{id}"),
                        "occurred_at": "2026-11-01T09:00:00Z", "reservation": {
                        "id": id, "property_id": "p-lis", "source": "direct", "status": "confirmed",
                        "check_in": "2099-06-10", "check_out": "2099-06-13",
                        "guest": {"first_name": "Ana", "last_name": "Silva", "phone": "+351912345678"},
                        "adults": 2, "children": 0, "updated_at": "2026-11-01T09:00:00Z"}}))
                    .unwrap();
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
                    let headers = signed("s3cret", &now.to_string(), &body);
                    let Ok((status, _)) = http_request(&addr, "POST", "/webhooks/pms/canonical/p-lis", &headers, &body)
                    else {
                        return; // the server is gone
                    };
                    if status == 200 {
                        answered.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while answered.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 40, "the load ran: {} answered", answered.len());

    let server = Server::start(&data, None);
    let editor = token(&data, "u-ed");
    let lost: Vec<&String> = answered
        .iter()
        .filter(|id| server.get(&format!("/reservations/{id}/messages?property_id=p-lis"), &editor).0 != 200)
        .collect();
    assert!(lost.is_empty(), "{} of {} answered webhooks lost: {lost:?}", lost.len(), answered.len());
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
