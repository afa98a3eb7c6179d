//! `relais serve` (SPEC 6.1): the whole product in one process on the embedded adapters — the
//! HTTP router of every Lambda (API, PMS webhooks, CSV imports, provider callbacks), the
//! evaluator and dispatcher draining after each request, a sweep every minute on the real
//! clock, dispatch to the outbox or to WhatsApp / Twilio when their settings are present.
//!
//! State lives in `--data` (store, outbox JSON lines, mails, JWT secret): a restart loses nothing.
//! `relais token` mints HS256 tokens for a stored user with the same secret.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use relais_app::AppConfig;
use relais_app::clock::SystemClock;
use relais_app::embedded::{MailOutbox, MemoryStore, OutboxChannel};
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{ChannelSender, Clock, PmsVendors, Store};
use relais_app::simulate::{SimulationOutput, setup};
use relais_domain::Channel;
use relais_domain::validate::{FieldError, parse_scenario};
use relais_http::auth::{Claims, Hs256, mint_hs256, random_secret};
use relais_http::{ApiState, CallbackHost, CallbackSettings, OutboxFile};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::simulate_cmd::DEFAULT_SCENARIO;

/// The sweep's period on the real clock.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Lifetime of tokens `relais token` and `--demo` print: the longest the runner accepts.
pub const TOKEN_SECONDS: i64 = relais_http::auth::MAX_TOKEN_LIFETIME_SECONDS;
const OUTBOX_FILE: &str = "outbox.jsonl";
const SECRET_FILE: &str = "jwt-secret";
/// Held (advisory lock) by the one `relais serve` of a data directory; holds its pid.
const LOCK_FILE: &str = "serve.lock";
const DEMO_ADMIN: &str = "u-admin";

pub struct ServeArgs {
    pub addr: String,
    pub data: PathBuf,
    pub seed: Option<PathBuf>,
    pub demo: bool,
}

/// A failure before or while serving: a JSON error on stderr and this exit code.
struct Fail {
    code: u8,
    body: Value,
}

fn fail(code: u8, error: &str, message: impl Into<String>) -> Fail {
    Fail { code, body: json!({"error": {"code": error, "message": message.into()}}) }
}

fn invalid_scenario(errors: Vec<FieldError>) -> Fail {
    let first = errors.first();
    Fail {
        code: 2,
        body: json!({
            "error": {
                "code": first.map_or("invalid_scenario", |e| e.code.as_str()),
                "message": first.map_or_else(|| "invalid scenario".to_string(), |e| e.message.clone()),
                "field": first.map(|e| e.field.clone()),
            },
            "errors": errors,
        }),
    }
}

fn report(result: Result<(), Fail>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let _ = writeln!(std::io::stderr(), "{}", f.body);
            ExitCode::from(f.code)
        }
    }
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELAIS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The local HS256 secret: `RELAIS_JWT_SECRET`, else `DIR/jwt-secret` (created on first use,
/// readable by the owner only).
pub fn jwt_secret(data: &Path) -> Result<Vec<u8>, String> {
    if let Ok(secret) = std::env::var("RELAIS_JWT_SECRET")
        && !secret.trim().is_empty()
    {
        return Ok(secret.trim().as_bytes().to_vec());
    }
    let file = data.join(SECRET_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => return Err(format!("{} is empty", file.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{}: {e}", file.display())),
    }
    std::fs::create_dir_all(data).map_err(|e| format!("{}: {e}", data.display()))?;
    let secret = random_secret()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&file) {
        Ok(mut f) => {
            f.write_all(secret.as_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
            Ok(secret.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(&file)
            .map(|t| t.trim().as_bytes().to_vec())
            .map_err(|e| format!("{}: {e}", file.display())),
        Err(e) => Err(format!("{}: {e}", file.display())),
    }
}

fn mint_for(data: &Path, user: &relais_domain::User) -> Result<String, Fail> {
    let account_id = user.account_id.clone().ok_or_else(|| fail(2, "no_account", "this user belongs to no account"))?;
    let secret = jwt_secret(data).map_err(|e| fail(2, "secret", e))?;
    let now = Utc::now().timestamp();
    let claims =
        Claims { sub: user.id.clone(), account_id, role: user.role, iat: Some(now), exp: Some(now + TOKEN_SECONDS) };
    mint_hs256(&secret, &claims).map_err(|e| fail(2, "token", e.0))
}

// ---------------------------------------------------------------- relais token

pub fn token(data: &Path, user_id: &str) -> ExitCode {
    report(token_inner(data, user_id))
}

fn token_inner(data: &Path, user_id: &str) -> Result<(), Fail> {
    // The embedded store's file (redb), or the JSON snapshot of earlier versions.
    if !data.join("store.redb").exists() && !data.join("store.json").exists() {
        return Err(fail(
            2,
            "no_data",
            format!(
                "{} holds no Relais data: start `relais serve --data {} --seed SCENARIO.json` (or --demo) first",
                data.display(),
                data.display()
            ),
        ));
    }
    let store = MemoryStore::open(data).map_err(|e| fail(2, "store", e.to_string()))?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().build().map_err(|e| fail(1, "runtime", e.to_string()))?;
    let user = runtime
        .block_on(store.get_user(user_id))
        .map_err(|e| fail(2, "store", e.to_string()))?
        .ok_or_else(|| fail(2, "unknown_user", format!("no user {user_id:?} in {}", data.display())))?;
    let token = mint_for(data, &user)?;
    let _ = writeln!(std::io::stdout(), "{token}");
    Ok(())
}

// ---------------------------------------------------------------- relais serve

pub fn run(args: ServeArgs) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(fail(1, "runtime", e.to_string()))),
    };
    report(runtime.block_on(serve(args)))
}

fn read_scenario(path: &Path) -> Result<Value, Fail> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(2, "unreadable", format!("{}: {e}", path.display())))?;
    relais_domain::document::parse_value(text.as_bytes())
        .map_err(|e| fail(2, "not_json", format!("the scenario is not JSON: {e}")))
}

/// The demo set-up: the shipped example scenario plus an admin.
fn demo_scenario() -> Result<Value, Fail> {
    let mut doc: Value = serde_json::from_str(DEFAULT_SCENARIO).map_err(|e| fail(1, "demo", e.to_string()))?;
    if let Some(users) = doc.get_mut("users").and_then(Value::as_array_mut) {
        users.push(json!({"id": DEMO_ADMIN, "role": "admin", "name": "Demo admin", "email_notifications": false}));
    }
    Ok(doc)
}

/// The lock of a data directory: one `relais serve` per directory, so that a second one never
/// answers from a stale snapshot (docs/hardening.md, "One process per data directory"). The
/// lock is the OS's advisory lock on `DIR/serve.lock`, released when the process ends however
/// it ends (even `kill -9`); the file keeps the pid of the holder for the refusal message.
pub struct DataDirLock {
    _file: std::fs::File,
}

pub fn lock_data_dir(data: &Path) -> Result<DataDirLock, String> {
    create_private_dir(data)?;
    let path = data.join(LOCK_FILE);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<u32>().ok());
            let who =
                holder.map_or_else(|| "another process".to_string(), |pid| format!("another relais serve (pid {pid})"));
            return Err(format!(
                "{} is in use by {who}: one relais serve per data directory. Stop it first, or give this one another --data",
                data.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(format!("{}: cannot lock: {e}", path.display())),
    }
    use std::io::Seek;
    file.set_len(0)
        .and_then(|()| file.seek(std::io::SeekFrom::Start(0)).map(|_| ()))
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .and_then(|()| file.flush())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(DataDirLock { _file: file })
}

/// `data` with its parents, the directory itself 0700 (as the store creates it).
fn create_private_dir(data: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(data).map_err(|e| format!("{}: {e}", data.display()))
}

async fn build_runtime(data: &Path) -> Result<(Arc<LocalRuntime>, CallbackSettings), Fail> {
    let store = Arc::new(MemoryStore::open_writable(data).map_err(|e| fail(2, "store", e.to_string()))?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let outbox = OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone())
        .with_file(data.join(OUTBOX_FILE))
        .resume_from_file()
        .map_err(|e| fail(2, "outbox", e))?;
    let channels = relais_channels::ChannelsConfig::from_env().map_err(|e| fail(2, "configuration", e.to_string()))?;
    let mut whatsapp: Option<Arc<dyn ChannelSender>> = None;
    let mut sms: Option<Arc<dyn ChannelSender>> = None;
    if channels.whatsapp.is_some() || channels.twilio.is_some() {
        let http = relais_channels::default_http_client().map_err(|e| fail(2, "configuration", e.to_string()))?;
        if let Some(client) = channels.whatsapp_client(http.clone()) {
            whatsapp = Some(Arc::new(client));
        }
        if let Some(client) = channels.twilio_client(http) {
            sms = Some(Arc::new(client));
        }
    }
    tracing::info!(
        whatsapp = if whatsapp.is_some() { "cloud_api" } else { "outbox" },
        sms = if sms.is_some() { "twilio" } else { "outbox" },
        "channels"
    );
    let vendors: Option<Arc<dyn PmsVendors>> = match relais_pms::PmsAdapters::new(clock.clone()) {
        Ok(adapters) => Some(Arc::new(adapters)),
        Err(e) => {
            tracing::warn!(error = %e, "PMS vendor adapters unavailable; canonical webhooks only");
            None
        }
    };
    let runtime = LocalRuntime::new(LocalParts {
        store,
        clock,
        outbox,
        whatsapp,
        sms,
        mail: MailOutbox::new(Some(data.join("mail"))),
        vendors,
        config: AppConfig { public_url: channels.public_url.clone(), ..AppConfig::default() },
        whatsapp_rejects: Vec::new(),
        sms_rejects: Vec::new(),
    });
    // Read from the same variables as the channels, each on its own: the app secret and verify
    // token apply even without RELAIS_WHATSAPP_TOKEN (outbox sending), and only a provider with
    // no setting at all has its callbacks taken unsigned.
    let callbacks = CallbackSettings::from_settings(|name| std::env::var(name).ok(), CallbackHost::LocalRunner);
    Ok((Arc::new(runtime), callbacks))
}

/// Load a scenario's set-up into the (empty) store, with the same validation as `simulate`.
async fn seed(runtime: &LocalRuntime, doc: &Value) -> Result<(), Fail> {
    let (scenario, _) = parse_scenario(doc).map_err(invalid_scenario)?;
    let mut output = SimulationOutput::default();
    setup(&runtime.app, &scenario, &mut output).await.map_err(|e| match e {
        relais_app::simulate::SimulationError::Invalid(errors) => invalid_scenario(errors),
        other => fail(1, "engine", other.to_string()),
    })?;
    runtime.drain().await.map_err(|e| fail(1, "engine", e.to_string()))?;
    Ok(())
}

/// A demo reservation arriving in four days, so that the preview and the timeline show something.
async fn demo_reservation(runtime: &LocalRuntime) -> Result<(), Fail> {
    let now = runtime.app.clock.now();
    let today = relais_domain::time::local_date(chrono_tz::Europe::Lisbon, now);
    let check_in = today + chrono::Duration::days(4);
    let check_out = today + chrono::Duration::days(7);
    let reservation: relais_domain::Reservation = serde_json::from_value(json!({
        "id": "r-demo-1", "property_id": "p-lis", "unit_id": "101", "source": "airbnb", "status": "confirmed",
        "check_in": check_in, "check_out": check_out, "eta": "16:30",
        "guest": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com", "phone": "+351912345678",
                  "language": "pt-PT", "hometown": "Porto"},
        "adults": 2, "children": 0, "total_amount": "450.00", "host_payout": "400.00", "balance_due": "0.00",
        "currency": "EUR", "check_in_form_submitted": false, "updated_at": now,
    }))
    .map_err(|e| fail(1, "demo", e.to_string()))?;
    relais_app::intake::ingest(&runtime.app, "demo-1", reservation, now)
        .await
        .map_err(|e| fail(1, "demo", e.to_string()))?;
    runtime.drain().await.map_err(|e| fail(1, "engine", e.to_string()))?;
    Ok(())
}

#[derive(Clone)]
struct Drain {
    runtime: Arc<LocalRuntime>,
    lock: Arc<Mutex<()>>,
}

/// After each request: deliver the events it emitted and the jobs they queued (evaluator and
/// dispatcher, as EventBridge -> SQS -> Lambda would), before answering.
async fn drain_after(State(drain): State<Drain>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let _guard = drain.lock.lock().await;
    if let Err(e) = drain.runtime.drain().await {
        tracing::error!(error = %e, "drain after request failed; the next sweep retries");
    }
    response
}

async fn sweep_forever(drain: Drain) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let _guard = drain.lock.lock().await;
        if let Err(e) = drain.runtime.sweep().await {
            tracing::error!(error = %e, "sweep failed; the next one catches up");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn serve(args: ServeArgs) -> Result<(), Fail> {
    if args.seed.is_some() && args.demo {
        return Err(fail(2, "usage", "use --seed or --demo, not both"));
    }
    let addr: SocketAddr = args
        .addr
        .parse()
        .map_err(|_| fail(2, "usage", format!("--addr {:?} is not HOST:PORT, e.g. 127.0.0.1:8080", args.addr)))?;
    let seed_doc = match &args.seed {
        Some(path) => Some(read_scenario(path)?),
        None => None,
    };
    let _lock = lock_data_dir(&args.data).map_err(|e| fail(2, "data_in_use", e))?;
    let (runtime, callbacks) = build_runtime(&args.data).await?;
    let was_empty = runtime.store.is_empty();
    if let Some(doc) = &seed_doc {
        if !was_empty {
            return Err(fail(
                2,
                "data_not_empty",
                format!(
                    "{} already holds data: --seed loads a set-up into an empty data directory only",
                    args.data.display()
                ),
            ));
        }
        seed(&runtime, doc).await?;
    }
    if args.demo && was_empty {
        seed(&runtime, &demo_scenario()?).await?;
        demo_reservation(&runtime).await?;
    }
    let secret = jwt_secret(&args.data).map_err(|e| fail(2, "secret", e))?;

    let mut state = ApiState::new(runtime.app.clone(), Arc::new(Hs256::new(&secret)));
    state.callbacks = callbacks;
    state.outbox = Some(Arc::new(OutboxFile(args.data.join(OUTBOX_FILE))));
    let drain = Drain { runtime: runtime.clone(), lock: Arc::new(Mutex::new(())) };
    let app = relais_http::router(state).layer(axum::middleware::from_fn_with_state(drain.clone(), drain_after));

    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| fail(2, "bind", format!("{addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| fail(2, "bind", e.to_string()))?;
    let base = format!("http://{local}");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "relais serve: listening on {base} (data: {})", args.data.display());
    if args.demo {
        let _ = print_demo(&mut out, &runtime, &args.data, &base).await;
    }
    let _ = out.flush();
    drop(out);
    tracing::info!(addr = %local, data = %args.data.display(), "listening");

    let sweeper = tokio::spawn(sweep_forever(drain));
    let served = serve_connections(listener, app, ConnectionLimits::default(), shutdown_signal()).await;
    sweeper.abort();
    served.map_err(|e| fail(1, "serve", e.to_string()))
}

/// What one slow or idle client may hold (docs/hardening.md, "Slow clients"). In AWS, API
/// Gateway terminates client connections and applies its own limits; these are the local
/// runner's.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at most; one more is closed at once (not queued).
    pub max_connections: usize,
    /// To send a request's headers, from the moment the connection waits for them (a new
    /// connection, or an idle keep-alive one): this is also the idle keep-alive timeout.
    pub header_read: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits { max_connections: 512, header_read: Duration::from_secs(10) }
    }
}

/// Accept and serve HTTP/1.1 and HTTP/2 connections until `shutdown`, within `limits`; the body
/// read timeout is [`relais_http::BODY_READ_TIMEOUT`] (in the one body reader). On shutdown,
/// connections finish their request in flight (10 s at most) and close.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors or a connection reset before accept: keep serving.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(limit = limits.max_connections, "connection limit reached; connection closed");
            drop(stream);
            continue;
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            // hyper's header timer starts with the first byte of a request (and again on an
            // idle keep-alive connection): a connection that never sends one is closed here.
            let mut first = [0u8; 1];
            if !matches!(tokio::time::timeout(limits.header_read, stream.peek(&mut first)).await, Ok(Ok(1..))) {
                drop(permit);
                return;
            }
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read);
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(Some(limits.header_read))
                .keep_alive_timeout(limits.header_read);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.as_mut().await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    let _ = stop.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(10), permits.acquire_many(all)).await;
    Ok(())
}

async fn print_demo(out: &mut impl Write, runtime: &LocalRuntime, data: &Path, base: &str) -> std::io::Result<()> {
    let admin = runtime.store.get_user(DEMO_ADMIN).await.ok().flatten();
    let Some(admin) = admin else {
        return writeln!(
            out,
            "{} was not made by --demo: mint a token with `relais token --data {} --user ID`",
            data.display(),
            data.display()
        );
    };
    let token = match mint_for(data, &admin) {
        Ok(token) => token,
        Err(f) => return writeln!(out, "cannot mint a token: {}", f.body),
    };
    let d = data.display();
    let body = r#"{"event_id":"evt-demo-2","occurred_at":"2026-06-01T09:00:00Z","reservation":{"id":"r-demo-2","property_id":"p-lis","source":"direct","status":"confirmed","check_in":"2030-01-10","check_out":"2030-01-12","guest":{"first_name":"Joe","last_name":"Bloggs","phone":"+447700900123","language":"en"},"adults":1,"children":0,"updated_at":"2026-06-01T09:00:00Z"}}"#;
    writeln!(
        out,
        "\nDemo: account acc-1 (Casa Azul Hotels), property p-lis (Mews, Europe/Lisbon, webhook secret s3cret),"
    )?;
    writeln!(
        out,
        "chatbot bot-1, campaign pre-3d (active), reservation r-demo-1. Users: {} (admin), u-ed (editor), u-ap (approver).",
        admin.id
    )?;
    writeln!(out, "\nexport TOKEN={token}")?;
    writeln!(out, "\ncurl -s -H \"Authorization: Bearer $TOKEN\" {base}/campaigns")?;
    writeln!(out, "curl -s -H \"Authorization: Bearer $TOKEN\" {base}/campaign-options")?;
    writeln!(
        out,
        "curl -s -X POST -H \"Authorization: Bearer $TOKEN\" -d '{{\"days\": 7}}' {base}/campaigns/pre-3d/preview"
    )?;
    writeln!(out, "curl -s -H \"Authorization: Bearer $TOKEN\" {base}/reservations/r-demo-1/messages")?;
    writeln!(out, "curl -s -H \"Authorization: Bearer $TOKEN\" {base}/notifications")?;
    writeln!(out, "curl -s -H \"Authorization: Bearer $TOKEN\" {base}/outbox")?;
    writeln!(out, "\n# a signed PMS webhook:")?;
    writeln!(out, "body='{body}'")?;
    writeln!(
        out,
        "ts=$(date +%s); sig=$(printf '%s.%s' \"$ts\" \"$body\" | openssl dgst -sha256 -hmac s3cret -hex | sed 's/^.* //')"
    )?;
    writeln!(
        out,
        "curl -s -X POST -H \"X-Relais-Timestamp: $ts\" -H \"X-Relais-Signature: sha256=$sig\" -d \"$body\" {base}/webhooks/pms/canonical/p-lis"
    )?;
    writeln!(out, "\n# another user's token: relais token --data {d} --user u-ed")?;
    writeln!(out, "# the API: {base}/openapi.json")?;
    Ok(())
}
