//! The one table `infra/bench.sh` prints: criterion's estimates (median of the samples) and the
//! JSON lines the other steps wrote into the results directory.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::Args;

/// The six Lambdas, in the order of the README.
pub const FUNCTIONS: [&str; 6] =
    ["pms-webhook", "campaigns-api", "sweep", "evaluator", "dispatcher", "delivery-status"];

/// The baseline: a `lambda_runtime` hello built with the same profile (functions/lambda-hello).
pub const HELLO: &str = "lambda-hello";

pub fn sizes_main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    let [dir] = args.positional.as_slice() else {
        return Err("usage: sizes DIR [--arch NAME]".into());
    };
    let mut sizes = serde_json::Map::new();
    for f in FUNCTIONS.iter().copied().chain([HELLO]) {
        let path = Path::new(dir).join(f).join("bootstrap");
        let len = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.len();
        sizes.insert(f.to_string(), json!(len));
    }
    println!("{}", json!({"kind": "sizes", "arch": args.get("arch").unwrap_or("arm64"), "bytes": sizes}));
    Ok(())
}

/// A criterion benchmark: median time per iteration (ns) and elements per iteration if set.
struct Estimate {
    ns: f64,
    elements: Option<f64>,
}

fn criterion(dir: &Path, id: &str) -> Option<Estimate> {
    let base = dir.join(id).join("new");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(base.join("estimates.json")).ok()?).ok()?;
    let benchmark: Value =
        std::fs::read_to_string(base.join("benchmark.json")).ok().and_then(|t| serde_json::from_str(&t).ok())?;
    let ns = estimates["median"]["point_estimate"].as_f64()?;
    let elements = benchmark["throughput"]["Elements"].as_f64();
    Some(Estimate { ns, elements })
}

/// Every benchmark id under a criterion group directory (`group/function[/value]`).
fn criterion_ids(dir: &Path, group: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut stack = vec![dir.join(group)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join("new/estimates.json").exists() {
                if let Ok(rel) = path.strip_prefix(dir) {
                    ids.push(rel.to_string_lossy().to_string());
                }
            } else if path.is_dir() && path.file_name().is_some_and(|n| n != "report" && n != "base" && n != "change") {
                stack.push(path);
            }
        }
    }
    ids.sort();
    ids
}

fn rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.1} k/s", per_second / 1e3)
    } else {
        format!("{per_second:.0}/s")
    }
}

fn duration_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.0} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.2} MiB", bytes / (1024.0 * 1024.0))
}

/// JSON lines of every `*.json` / `*.jsonl` file in the results directory.
fn results(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|entries| entries.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect::<Vec<_>>())
        .collect()
}

pub fn main(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args)?;
    let criterion_dir = PathBuf::from(args.get("criterion").unwrap_or("target/criterion"));
    let results_dir = PathBuf::from(args.get("results").unwrap_or("target/bench/results"));
    let lines = results(&results_dir);
    fn of<'a>(lines: &'a [Value], kind: &'static str) -> impl Iterator<Item = &'a Value> + 'a {
        lines.iter().filter(move |l| l["kind"] == kind)
    }
    let of_kind = |kind: &'static str| of(&lines, kind);
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut row = |figure: &str, measured: String, target: &str| {
        rows.push([figure.to_string(), measured, target.to_string()]);
    };
    let missing = || "not measured".to_string();

    // Engine, one core (criterion).
    let per_second = |id: &str| criterion(&criterion_dir, id).and_then(|e| Some(e.elements? / (e.ns * 1e-9)));
    row(
        "planner: reservation x campaign evaluations, first attach (creates messages)",
        per_second("plan/first").map_or_else(missing, |r| format!("{} on one core", rate(r))),
        ">= 1 M/s",
    );
    row(
        "planner: re-evaluation after a change that moves nothing",
        per_second("plan/unchanged").map_or_else(missing, |r| format!("{} on one core", rate(r))),
        ">= 1 M/s",
    );
    row(
        "send-time decision (conditions, language, rendering)",
        per_second("decide_due/render_and_conditions").map_or_else(missing, |r| format!("{} on one core", rate(r))),
        "",
    );
    // Webhook handling: whatever the intake bench measures (group `intake` or `webhook`).
    let mut intake_ids = criterion_ids(&criterion_dir, "intake");
    intake_ids.extend(criterion_ids(&criterion_dir, "webhook"));
    if intake_ids.is_empty() {
        row("webhook handling (criterion, embedded store)", "not measured (no intake bench)".into(), "");
    }
    for id in intake_ids {
        if let Some(e) = criterion(&criterion_dir, &id) {
            let per = e.elements.unwrap_or(1.0) / (e.ns * 1e-9);
            let what = if e.elements.is_some() { "per iteration" } else { "per webhook" };
            row(
                &format!("webhook handling, `{id}` (intake on the embedded store, one core)"),
                format!("{} ({} {what})", rate(per), duration_ns(e.ns)),
                "",
            );
        }
    }
    let sweep10 = criterion(&criterion_dir, "sweep/due_200_of/10000");
    let sweep100 = criterion(&criterion_dir, "sweep/due_200_of/100000");
    row("sweep, 200 due among 10 000 reservations", sweep10.as_ref().map_or_else(missing, |e| duration_ns(e.ns)), "");
    row(
        "sweep, 200 due among 100 000 reservations",
        match (&sweep10, &sweep100) {
            (Some(a), Some(b)) => format!("{} ({:.2}x of 10k)", duration_ns(b.ns), b.ns / a.ns),
            _ => missing(),
        },
        "within 1.2x of 10k",
    );

    // relais serve under load.
    for load in of_kind("load") {
        for phase in load["phases"].as_array().into_iter().flatten() {
            let ok = phase["ok"].as_u64().unwrap_or(0);
            let requests = phase["requests"].as_u64().unwrap_or(0);
            let store = phase["store_bytes_after"].as_f64().unwrap_or(0.0);
            let stored = phase["prefill"]["bookings"].as_u64().unwrap_or(0);
            let rss = phase["serve_max_rss_kib"].as_f64().unwrap_or(0.0) * 1024.0;
            let after = format!("store {} after, serve max RSS {}", mib(store), mib(rss));
            match phase["phase"].as_str() {
                Some("fixed_rate") => row(
                    &format!(
                        "`relais serve`, {stored} bookings stored, signed webhooks at a fixed {} /s for {} s ({} connections)",
                        phase["target_rate"],
                        phase["seconds"].as_f64().unwrap_or(0.0).round(),
                        phase["connections"]
                    ),
                    format!(
                        "{:.0}/s served, p50 {} ms, p99 {} ms, max {} ms; {ok}/{requests} answered 200 ({after})",
                        phase["per_second"].as_f64().unwrap_or(0.0),
                        phase["p50_ms"],
                        phase["p99_ms"],
                        phase["max_ms"],
                    ),
                    "",
                ),
                Some("saturation") => row(
                    &format!(
                        "`relais serve`, {stored} bookings stored, signed webhooks as fast as {} connections go",
                        phase["connections"]
                    ),
                    format!(
                        "{:.0}/s over {:.0} s, p50 {} ms, p99 {} ms; {ok}/{requests} answered 200 ({after})",
                        phase["per_second"].as_f64().unwrap_or(0.0),
                        phase["seconds"].as_f64().unwrap_or(0.0),
                        phase["p50_ms"],
                        phase["p99_ms"],
                    ),
                    ">= 3,000/s, p99 <= 25 ms; 100k stored >= 0.8x of 1k",
                ),
                _ => {}
            }
        }
    }

    // relais simulate ingest at growing sizes.
    for ingest in of_kind("ingest") {
        let runs: Vec<&Value> = ingest["runs"].as_array().into_iter().flatten().collect();
        let first = runs.first().and_then(|r| r["us_per_booking"].as_f64());
        for run in &runs {
            let us = run["us_per_booking"].as_f64().unwrap_or(f64::NAN);
            let ratio = first.map(|f| format!(" ({:.2}x of {})", us / f, runs[0]["bookings"])).unwrap_or_default();
            row(
                &format!(
                    "`relais simulate` ingest, {} bookings, {} campaigns, {} min of virtual time",
                    run["bookings"], ingest["campaigns"], ingest["virtual_minutes"]
                ),
                format!(
                    "{us:.0} µs per booking{ratio}; {} s; max RSS {}",
                    run["seconds"],
                    mib(run["max_rss_kib"].as_f64().unwrap_or(0.0) * 1024.0)
                ),
                "100k within 1.5x of 2k",
            );
        }
    }

    // DynamoDB requests (interceptor on moto, Lambda handlers end to end).
    for d in of_kind("dynamo") {
        let f = |k: &str| d[k].as_f64().map_or_else(missing, |v| format!("{v:.1}"));
        row(
            "DynamoDB requests per webhook: pms-webhook function (intake)",
            format!("{} (over {} webhooks)", f("per_webhook_intake"), d["webhooks"]),
            "",
        );
        row("DynamoDB requests per webhook: + evaluator (plans every campaign)", f("per_webhook_with_evaluator"), "");
        row(
            "DynamoDB requests per sent message: dispatcher",
            format!("{} (over {} sends)", f("per_send_dispatcher"), d["sends"]),
            "",
        );
        let requests = |k: &str| d["requests"][k].as_f64().unwrap_or(0.0);
        let sends = d["sends"].as_f64().unwrap_or(0.0);
        let pipeline = requests("pms-webhook") + requests("evaluator") + requests("dispatcher");
        row(
            "DynamoDB requests per sent message: its share of webhooks + evaluator + dispatcher",
            if sends > 0.0 { format!("{:.1}", pipeline / sends) } else { missing() },
            "",
        );
        row(
            "DynamoDB requests per sweep run (hourly here; 2 hour buckets x 4 shards + 4 OPEN shards)",
            format!(
                "{} (over {} runs; with the sweeps: {} per sent message)",
                f("per_sweep"),
                d["sweeps"],
                f("per_send_total")
            ),
            "",
        );
    }

    // The six Lambdas.
    let sizes = of_kind("sizes").last();
    let inits: Vec<&Value> = of_kind("init").collect();
    let init_arch = of_kind("meta").last().and_then(|m| m["init_arch"].as_str()).unwrap_or("x86_64").to_string();
    // The lambda_runtime hello built the same way, measured in the same run: the baseline.
    let hello_init = inits.iter().rev().find(|i| i["function"] == HELLO).and_then(|i| i["median_ms"].as_f64());
    for f in FUNCTIONS.iter().copied().chain([HELLO]) {
        let size = sizes.and_then(|s| s["bytes"][f].as_f64());
        let arch = sizes.and_then(|s| s["arch"].as_str()).unwrap_or("arm64");
        let init = inits.iter().rev().find(|i| i["function"] == f);
        let init_ms = init.and_then(|i| i["median_ms"].as_f64());
        let ratio = match (init_ms, hello_init) {
            (Some(ms), Some(hello)) if f != HELLO && hello > 0.0 => format!(", {:.2}x the hello", ms / hello),
            _ => String::new(),
        };
        let measured = format!(
            "{} stripped ({arch}); init {}{ratio} (median of {}, {init_arch}); max RSS {}",
            size.map_or_else(missing, mib),
            init_ms.map_or_else(missing, |ms| format!("{ms:.1} ms")),
            init.map_or(json!(0), |i| i["runs"].clone()),
            init.and_then(|i| i["max_rss_kib"].as_f64()).map_or_else(missing, |k| mib(k * 1024.0)),
        );
        let target = if f == HELLO { "baseline" } else { "<= 10 MiB; init <= 1.3x the hello" };
        row(&format!("Lambda `{f}`: bootstrap size, init time, memory"), measured, target);
    }

    println!("| figure | measured | target |");
    println!("|---|---|---|");
    for [a, b, c] in rows {
        println!("| {a} | {b} | {c} |");
    }
    Ok(())
}
