//! Bounded load test of `relais serve` on loopback. Each request is a signed canonical PMS
//! webhook for a new confirmed reservation (intake, then the evaluator plans the property's
//! campaigns before the answer, as `relais serve` drains after each request).
//!
//! Phase 1, fixed rate (open loop): request i is due at start + i/rate; its latency is measured
//! from that moment, so a server that falls behind is charged for the queueing (no coordinated
//! omission). Phase 2, saturation (closed loop): C connections send back to back for a fixed
//! time. Each phase runs on a fresh data directory; both stop by themselves.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::http::Conn;
use crate::{Args, percentile};

struct Target {
    property: String,
    secret: String,
    run: String,
}

impl Target {
    fn body(&self, i: usize) -> Vec<u8> {
        let mut booking = crate::workload::booking(&self.run, i);
        booking["reservation"]["property_id"] = json!(self.property);
        booking.to_string().into_bytes()
    }

    fn headers(&self, body: &[u8]) -> Vec<(&'static str, String)> {
        let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        // HMAC takes keys of any length: this never fails (an empty MAC would be refused, 401).
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(self.secret.as_bytes()) else {
            return Vec::new();
        };
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        vec![
            ("X-Relais-Timestamp", ts.to_string()),
            ("X-Relais-Signature", format!("sha256={}", hex::encode(mac.finalize().into_bytes()))),
        ]
    }

    fn path(&self) -> String {
        format!("/webhooks/pms/canonical/{}", self.property)
    }
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn peak_rss_kib(&self) -> u64 {
        crate::init::peak_rss_kib(self.child.id()).unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL is enough: the data directory is thrown away.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(relais: &Path, seed: &Path, data: &Path, log: &Path) -> Result<Server, String> {
    let _ = std::fs::remove_dir_all(data);
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = Command::new(relais)
        .arg("serve")
        .arg("--addr")
        .arg("127.0.0.1:0")
        .arg("--data")
        .arg(data)
        .arg("--seed")
        .arg(seed)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("{}: {e}", relais.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    // "relais serve: listening on http://127.0.0.1:PORT (data: ...)"
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse::<SocketAddr>().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        let log_text = std::fs::read_to_string(log).unwrap_or_default();
        return Err(format!("relais serve did not start: {first:?} {log_text}"));
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Server { child, addr })
}

struct Samples {
    latencies_ms: Vec<f64>,
    errors: usize,
    statuses: std::collections::BTreeMap<u16, usize>,
}

fn summary(name: &str, samples: Samples, elapsed: Duration, extra: Value) -> Value {
    let Samples { mut latencies_ms, errors, statuses } = samples;
    latencies_ms.sort_by(f64::total_cmp);
    let ok = statuses.get(&200).copied().unwrap_or(0);
    let r = |x: f64| (x * 100.0).round() / 100.0;
    let mut out = json!({
        "phase": name,
        "requests": latencies_ms.len() + errors,
        "ok": ok,
        "statuses": statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "io_errors": errors,
        "seconds": r(elapsed.as_secs_f64()),
        "per_second": r(latencies_ms.len() as f64 / elapsed.as_secs_f64()),
        "p50_ms": r(percentile(&latencies_ms, 50.0)),
        "p90_ms": r(percentile(&latencies_ms, 90.0)),
        "p99_ms": r(percentile(&latencies_ms, 99.0)),
        "max_ms": r(latencies_ms.last().copied().unwrap_or(f64::NAN)),
    });
    if let (Some(out), Some(extra)) = (out.as_object_mut(), extra.as_object()) {
        out.extend(extra.clone());
    }
    out
}

fn record(samples: &Mutex<Samples>, result: std::io::Result<u16>, latency_ms: f64) {
    let mut s = samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match result {
        Ok(status) => {
            s.latencies_ms.push(latency_ms);
            *s.statuses.entry(status).or_default() += 1;
        }
        Err(_) => s.errors += 1,
    }
}

fn fixed_rate(addr: SocketAddr, target: &Arc<Target>, rate: f64, seconds: f64, concurrency: usize) -> Value {
    let total = (rate * seconds).round() as usize;
    let next = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Samples { latencies_ms: Vec::new(), errors: 0, statuses: Default::default() }));
    let start = Instant::now() + Duration::from_millis(50);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, samples, target) = (next.clone(), samples.clone(), target.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        return;
                    }
                    let due = start + Duration::from_secs_f64(i as f64 / rate);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let body = target.body(i);
                    let result = conn.post(&target.path(), &target.headers(&body), &body);
                    record(&samples, result, due.elapsed().as_secs_f64() * 1000.0);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let elapsed = start.elapsed();
    let samples = Arc::try_unwrap(samples)
        .map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
        .unwrap_or_else(|_| Samples { latencies_ms: vec![], errors: 0, statuses: Default::default() });
    summary("fixed_rate", samples, elapsed, json!({"target_rate": rate, "connections": concurrency}))
}

fn saturate(addr: SocketAddr, target: &Arc<Target>, seconds: f64, concurrency: usize) -> Value {
    let next = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Samples { latencies_ms: Vec::new(), errors: 0, statuses: Default::default() }));
    let start = Instant::now();
    let stop_at = start + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, samples, target) = (next.clone(), samples.clone(), target.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                while Instant::now() < stop_at {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let body = target.body(i);
                    let sent = Instant::now();
                    let result = conn.post(&target.path(), &target.headers(&body), &body);
                    record(&samples, result, sent.elapsed().as_secs_f64() * 1000.0);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let elapsed = start.elapsed();
    let samples = Arc::try_unwrap(samples)
        .map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
        .unwrap_or_else(|_| Samples { latencies_ms: vec![], errors: 0, statuses: Default::default() });
    summary("saturation", samples, elapsed, json!({"connections": concurrency}))
}

/// Store `count` bookings before measuring, as fast as `concurrency` connections go; every one
/// must be answered 200.
fn prefill(addr: SocketAddr, target: &Target, count: usize, concurrency: usize) -> Result<Value, String> {
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| {
                let mut conn = Conn::new(addr);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        return;
                    }
                    let body = target.body(i);
                    if !matches!(conn.post(&target.path(), &target.headers(&body), &body), Ok(200)) {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let failed = failed.into_inner();
    if failed > 0 {
        return Err(format!("prefill: {failed} of {count} webhooks were not answered 200"));
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({"bookings": count, "seconds": (seconds * 100.0).round() / 100.0}))
}

fn store_bytes(data: &Path) -> u64 {
    std::fs::metadata(data.join("store.redb")).map(|m| m.len()).unwrap_or(0)
}

pub fn main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    let relais = PathBuf::from(args.get("relais").ok_or("--relais BIN is required")?);
    let rate: f64 = args.number("rate", 50.0)?;
    let seconds: f64 = args.number("seconds", 20.0)?;
    let saturate_seconds: f64 = args.number("saturate-seconds", 10.0)?;
    let concurrency: usize = args.number("concurrency", 16)?;
    let prefill_count: usize = args.number("prefill", 0)?;
    let work = PathBuf::from(args.get("work").unwrap_or("target/bench/load"));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    // Without --seed: the scaling workload's property and three campaigns.
    let seed = match args.get("seed") {
        Some(seed) => PathBuf::from(seed),
        None => {
            let seed = work.join("seed.json");
            std::fs::write(&seed, crate::workload::scenario(0).to_string())
                .map_err(|e| format!("{}: {e}", seed.display()))?;
            seed
        }
    };
    let property = args.get("property").unwrap_or(crate::workload::PROPERTY).to_string();
    let secret = args.get("secret").unwrap_or(crate::workload::SECRET).to_string();
    let run = format!("{}", SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
    let target = |tag: &str| Target { property: property.clone(), secret: secret.clone(), run: format!("{tag}{run}") };

    let mut phases = Vec::new();
    for phase in ["fixed", "saturate"] {
        if (phase == "fixed" && seconds <= 0.0) || (phase == "saturate" && saturate_seconds <= 0.0) {
            continue;
        }
        let data = work.join(format!("data-{phase}"));
        let server = start_server(&relais, &seed, &data, &work.join(format!("serve-{phase}.log")))?;
        let prefilled = prefill(server.addr, &target("p"), prefill_count, concurrency)?;
        let measured = Arc::new(target(&phase[..1]));
        let mut result = match phase {
            "fixed" => fixed_rate(server.addr, &measured, rate, seconds, concurrency),
            _ => saturate(server.addr, &measured, saturate_seconds, concurrency),
        };
        result["prefill"] = prefilled;
        result["store_bytes_after"] = json!(store_bytes(&data));
        result["serve_max_rss_kib"] = json!(server.peak_rss_kib());
        phases.push(result);
    }
    println!("{}", json!({"kind": "load", "phases": phases}));
    Ok(())
}
