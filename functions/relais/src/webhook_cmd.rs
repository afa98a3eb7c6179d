//! `relais webhook send|sign`: what an integrator uses to try a PMS connection (SPEC 4).
//!
//! `send` signs a canonical webhook body with the current time, as Stripe signs its webhooks
//! (`X-Relais-Timestamp: <unix seconds>`, `X-Relais-Signature: sha256=<hex HMAC-SHA256 of
//! "<timestamp>.<raw body>">`), POSTs it, and prints the HTTP status and the response body.
//! Exit 0 on a 2xx answer, 1 on any other answer, 2 when the request could not be made.
//!
//! `sign` prints the two headers, one per line, for `curl -H @FILE` (they are valid for five
//! minutes).
//!
//! The secret comes from `--secret` or from `RELAIS_WEBHOOK_SECRET` (which keeps it out of the
//! shell history). The body is sent byte for byte as it is in the file: the signature covers
//! the raw bytes. A body that is not a valid canonical event is still sent (to see what the
//! server answers), with a warning on stderr.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use relais_domain::intake::{parse_canonical, sign};

const EXIT_REFUSED: u8 = 1;
const EXIT_FAILED: u8 = 2;
/// Environment variable read when `--secret` is not given.
pub const SECRET_ENV: &str = "RELAIS_WEBHOOK_SECRET";

#[derive(clap::Subcommand)]
pub enum WebhookCommand {
    /// Sign a canonical webhook body (FILE, or - for stdin) with the current time and POST it to
    /// URL (e.g. http://127.0.0.1:8080/webhooks/pms/canonical/p-lis); print the status and the
    /// response body. Exit 0 on 2xx, 1 on another status, 2 when nothing was answered.
    Send {
        /// The webhook URL: .../webhooks/pms/canonical/{property_id}.
        #[arg(long)]
        url: String,
        /// The property's webhook secret (default: $RELAIS_WEBHOOK_SECRET).
        #[arg(long)]
        secret: Option<String>,
        /// Sign with this Unix time instead of now (to see a stale request refused).
        #[arg(long, allow_hyphen_values = true)]
        timestamp: Option<i64>,
        /// Request timeout in seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        file: String,
    },
    /// Print the X-Relais-Timestamp and X-Relais-Signature headers for FILE (or - for stdin),
    /// one per line: `curl -H @<(relais webhook sign --secret S body.json) --data-binary @body.json URL`.
    Sign {
        /// The property's webhook secret (default: $RELAIS_WEBHOOK_SECRET).
        #[arg(long)]
        secret: Option<String>,
        /// Sign with this Unix time instead of now.
        #[arg(long, allow_hyphen_values = true)]
        timestamp: Option<i64>,
        file: String,
    },
}

pub fn run(command: WebhookCommand) -> ExitCode {
    match command {
        WebhookCommand::Send { url, secret, timestamp, timeout, file } => {
            match prepare(secret, &file).and_then(|(secret, body)| send(&url, &secret, timestamp, timeout, body)) {
                Ok(code) => code,
                Err(message) => fail(&message),
            }
        }
        WebhookCommand::Sign { secret, timestamp, file } => match prepare(secret, &file) {
            Ok((secret, body)) => {
                let (ts, signature) = headers(&secret, timestamp, &body);
                println!("X-Relais-Timestamp: {ts}");
                println!("X-Relais-Signature: {signature}");
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{}", serde_json::json!({"error": {"code": "webhook_failed", "message": message}}));
    ExitCode::from(EXIT_FAILED)
}

/// The secret and the raw body; warns when the body is not a valid canonical event.
fn prepare(secret: Option<String>, file: &str) -> Result<(String, Vec<u8>), String> {
    let secret = secret
        .or_else(|| std::env::var(SECRET_ENV).ok())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("no secret: pass --secret or set {SECRET_ENV}"))?;
    let body = read_body(file)?;
    if let Err(e) = parse_canonical(&body) {
        let field = if e.field.is_empty() { "body".to_string() } else { e.field.clone() };
        eprintln!("warning: not a valid canonical event ({field}: {}); sending it anyway", e.message);
    }
    Ok((secret, body))
}

fn read_body(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut body = Vec::new();
        std::io::stdin().read_to_end(&mut body).map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(body);
    }
    std::fs::read(Path::new(file)).map_err(|e| format!("cannot read {file}: {e}"))
}

/// `(timestamp, "sha256=<hex>")`.
pub fn headers(secret: &str, timestamp: Option<i64>, body: &[u8]) -> (i64, String) {
    let ts = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp());
    (ts, sign(secret, ts, body))
}

fn send(url: &str, secret: &str, timestamp: Option<i64>, timeout: u64, body: Vec<u8>) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(timeout.max(1)))
            .user_agent(concat!("relais-webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let (ts, signature) = headers(secret, timestamp, &body);
        let response = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Relais-Timestamp", ts.to_string())
            .header("X-Relais-Signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {}", error_chain(&e)))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("reading the answer of {url}: {e}"))?;
        let shown = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(text);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "HTTP {status}");
        if !shown.is_empty() {
            let _ = writeln!(out, "{shown}");
        }
        Ok(if status.is_success() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REFUSED) })
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
