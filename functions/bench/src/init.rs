//! Init time of a Lambda bootstrap: a tiny runtime API (one loopback listener per start) that
//! notes when the function asks for its first invocation, which is when Lambda considers the
//! init phase over. Peak RSS (VmHWM) is read from /proc while the function waits for the answer.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Args, median, percentile};

const NEXT: &str = "GET /2018-06-01/runtime/invocation/next";
const INIT_ERROR: &str = "POST /2018-06-01/runtime/init/error";
const TIMEOUT: Duration = Duration::from_secs(30);

pub fn main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    let [name, bootstrap] = args.positional.as_slice() else {
        return Err("usage: init-time NAME BOOTSTRAP [--runs N] [--env K=V]... [--log FILE]".into());
    };
    let runs: usize = args.number("runs", 20)?;
    let mut env: Vec<(String, String)> = Vec::new();
    for pair in args.all("env") {
        let (k, v) = pair.split_once('=').ok_or_else(|| format!("--env {pair:?} is not K=V"))?;
        env.push((k.to_string(), v.to_string()));
    }
    let log = args.get("log").map(Path::new);
    let mut millis = Vec::new();
    let mut hwm_kib = Vec::new();
    for _ in 0..runs.max(1) {
        let (ms, kib) = one_start(name, Path::new(bootstrap), &env, log)?;
        millis.push(ms);
        hwm_kib.push(kib as f64);
    }
    millis.sort_by(f64::total_cmp);
    hwm_kib.sort_by(f64::total_cmp);
    let out = json!({
        "kind": "init",
        "function": name,
        "runs": millis.len(),
        "median_ms": round2(median(&millis)),
        "min_ms": round2(millis[0]),
        "p90_ms": round2(percentile(&millis, 90.0)),
        "max_rss_kib": hwm_kib.last().copied().unwrap_or(0.0) as u64,
        "median_rss_kib": median(&hwm_kib) as u64,
    });
    println!("{out}");
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the runtime API saw first: when the request head was complete, its first line, the body
/// (for init errors) and the open connection (so the function keeps waiting).
struct FirstCall {
    at: Instant,
    line: String,
    body: String,
    _stream: TcpStream,
}

fn serve_first_call(listener: TcpListener, tx: mpsc::Sender<Result<FirstCall, String>>) {
    let result = (|| {
        let (mut stream, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the function closed the connection before sending a request".to_string());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let at = Instant::now();
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let line = head.lines().next().unwrap_or("").to_string();
                let body = String::from_utf8_lossy(&buf[end + 4..]).to_string();
                return Ok(FirstCall { at, line, body, _stream: stream });
            }
        }
    })();
    let _ = tx.send(result);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Peak resident set size of a process, in KiB (`VmHWM` in /proc/PID/status).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn one_start(name: &str, bootstrap: &Path, env: &[(String, String)], log: Option<&Path>) -> Result<(f64, u64), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    let server = std::thread::spawn(move || serve_first_call(listener, tx));

    let mut command = Command::new(bootstrap);
    // Only what the Lambda service sets, plus the function's own settings (--env).
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("LAMBDA_TASK_ROOT", bootstrap.parent().unwrap_or(Path::new("/")))
        .env("_HANDLER", "bootstrap")
        .env("TZ", ":UTC")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    match log {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let err = file.try_clone().map_err(|e| e.to_string())?;
            command.stdout(file).stderr(err);
        }
        None => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("{}: {e}", bootstrap.display()))?;
    let pid = child.id();
    let first = loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(result) => break result,
            Err(mpsc::RecvTimeoutError::Disconnected) => break Err("runtime API thread ended".into()),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    // The server thread is still blocked in accept: wake it up.
                    let _ = TcpStream::connect(addr);
                    let _ = server.join();
                    return Err(format!("{name} exited ({status}) before asking for an invocation"));
                }
                if started.elapsed() > TIMEOUT {
                    stop(child);
                    let _ = TcpStream::connect(addr);
                    let _ = server.join();
                    return Err(format!("{name} did not ask for an invocation within {TIMEOUT:?}"));
                }
            }
        }
    };
    let _ = server.join();
    let first = match first {
        Ok(first) => first,
        Err(e) => {
            stop(child);
            return Err(e);
        }
    };
    let rss = peak_rss_kib(pid);
    stop(child);
    if first.line.starts_with(INIT_ERROR) {
        return Err(format!("{name} reported an init error: {}", first.body));
    }
    if !first.line.starts_with(NEXT) {
        return Err(format!("{name}'s first call was {:?}, not {NEXT}", first.line));
    }
    let ms = first.at.duration_since(started).as_secs_f64() * 1000.0;
    Ok((ms, rss.unwrap_or(0)))
}
