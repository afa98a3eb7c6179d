//! `relais-bench`: the measuring tools `infra/bench.sh` runs, std only (so the release build is
//! quick).
//!
//! ```text
//! relais-bench init-time NAME BOOTSTRAP [--runs 20] [--env K=V]... [--log FILE]
//!     start BOOTSTRAP RUNS times against a tiny local Lambda runtime API; time from process
//!     start to its first `GET /2018-06-01/runtime/invocation/next`; peak RSS (VmHWM) then.
//!     One JSON line.
//! relais-bench load --relais BIN [--seed SCENARIO] [--prefill N] [--rate 50] [--seconds 20]
//!     [--saturate-seconds 10] [--concurrency 16] [--property p-lis] [--secret s3cret] [--work DIR]
//!     bounded load test of `relais serve` on loopback: signed canonical webhooks at a fixed
//!     rate (open loop, latency measured from each request's scheduled time), then as fast as
//!     C connections go; each phase on a fresh store holding N bookings first (without --seed,
//!     the scaling workload's property and three campaigns). One JSON line.
//! relais-bench scenario [--bookings N]
//!     the scaling workload as a scenario (one property, three campaigns, N webhooks).
//! relais-bench ingest --relais BIN [--bookings 2000,16000,100000] [--work DIR]
//!     `relais simulate` of that scenario for each N: time per booking, peak RSS. One JSON line.
//! relais-bench sizes DIR
//!     size of DIR/<function>/bootstrap for each function built by cargo lambda. One JSON line.
//! relais-bench table --criterion DIR --results DIR
//!     the Markdown table of every figure, from criterion's estimates and the JSON lines above.
//! ```

mod http;
mod init;
mod load;
mod table;
mod workload;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("usage: relais-bench init-time|load|scenario|ingest|sizes|table ... (see the crate docs)");
        return ExitCode::from(64);
    };
    let result = match command.as_str() {
        "init-time" => init::main(rest),
        "load" => load::main(rest),
        "sizes" => table::sizes_main(rest),
        "table" => table::main(rest),
        "scenario" => workload::scenario_main(rest),
        "ingest" => workload::ingest_main(rest),
        other => Err(format!("unknown command {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relais-bench {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` options and positional arguments.
pub struct Args {
    pub positional: Vec<String>,
    pub options: Vec<(String, String)>,
}

impl Args {
    pub fn parse(args: &[String]) -> Result<Args, String> {
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if let Some(name) = arg.strip_prefix("--") {
                let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                options.push((name.to_string(), value.clone()));
            } else {
                positional.push(arg.clone());
            }
        }
        Ok(Args { positional, options })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.options.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name} {v:?} is not a number")),
        }
    }
}

/// Percentile (0..=100) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of sorted values (mean of the two middle ones for an even count).
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
