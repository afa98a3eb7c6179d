//! Golden scenarios: every `tests/scenarios/*.json` is run through `relais simulate` and its
//! output compared with the sibling `*.expected.jsonl` (stdout for valid scenarios; for
//! `invalid-*.json`, the stderr error line and exit code 2). `RELAIS_BLESS=1` rewrites the
//! expected files — read the diff before committing them.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn scenarios_dir() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../tests/scenarios")
}

fn run(path: &Path) -> (i32, String, String) {
    let output =
        Command::new(env!("CARGO_BIN_EXE_relais")).arg("simulate").arg(path).output().expect("run relais simulate");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual).unified_diff().header("expected", "actual").to_string()
}

#[test]
fn every_scenario_matches_its_expected_output() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "scenarios missing");
    let bless = std::env::var("RELAIS_BLESS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let expected_path = file.with_extension("expected.jsonl");
        let invalid = file.file_name().is_some_and(|n| n.to_string_lossy().starts_with("invalid-"));
        let (code, stdout, stderr) = run(file);
        let actual = if invalid {
            if code != 2 {
                failures.push(format!("{}: exit {code}, expected 2\n{stderr}", file.display()));
                continue;
            }
            stderr
        } else {
            if code != 0 {
                failures.push(format!("{}: exit {code}\n{stderr}", file.display()));
                continue;
            }
            stdout
        };
        if bless {
            std::fs::write(&expected_path, &actual).expect("write expected");
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{}: no {} (run with RELAIS_BLESS=1)", file.display(), expected_path.display()));
            continue;
        };
        checked += 1;
        if expected != actual {
            failures.push(format!("{}:\n{}", file.display(), diff(&expected, &actual)));
        }
    }
    assert!(failures.is_empty(), "{} of {} scenarios differ:\n\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(bless || checked == files.len());
}

#[test]
fn simulate_output_lines_follow_the_contract() {
    // Sent lines in time order, then final lines sorted by campaign and reservation.
    let (code, stdout, _) = run(&scenarios_dir().join("spec-example.json"));
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    let first_final = kinds.iter().position(|k| *k == "final").unwrap();
    assert!(kinds[..first_final].iter().all(|k| *k == "sent"));
    assert!(kinds[first_final..].iter().all(|k| *k == "final"));
    let times: Vec<&str> = lines[..first_final].iter().map(|l| l["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn not_json_and_missing_files_exit_2() {
    let dir = std::env::temp_dir().join(format!("relais-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    assert_eq!(run(&bad).0, 2);
    assert_eq!(run(&dir.join("missing.json")).0, 2);
}

/// `--stats` adds one last line with `GET /stats`'s numbers; its totals agree with the `final`
/// lines (one per message) and the `sent` lines (one per send), and every scenario's output
/// before it is unchanged.
#[test]
fn simulate_stats_adds_a_last_line_that_counts_the_final_states() {
    for name in ["quiet-hours.json", "spec-example.json"] {
        let path = scenarios_dir().join(name);
        let (_, plain, _) = run(&path);
        let output = Command::new(env!("CARGO_BIN_EXE_relais"))
            .arg("simulate")
            .arg(&path)
            .arg("--stats")
            .output()
            .expect("run relais simulate --stats");
        assert_eq!(output.status.code(), Some(0));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let (before, last) = stdout.trim_end().rsplit_once('\n').unwrap();
        assert_eq!(format!("{before}\n"), plain, "{name}: the other lines are unchanged");
        let stats: serde_json::Value = serde_json::from_str(last).unwrap();
        assert_eq!(stats["kind"], "stats", "{name}: {last}");
        let lines: Vec<serde_json::Value> = plain.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let finals: Vec<&serde_json::Value> = lines.iter().filter(|l| l["kind"] == "final").collect();
        assert_eq!(stats["totals"]["messages"].as_u64(), Some(finals.len() as u64), "{name}: {last}");
        for state in ["scheduled", "pending", "sent", "delivered", "read", "failed", "skipped", "expired", "canceled"] {
            let n = finals.iter().filter(|f| f["state"] == state).count() as u64;
            assert_eq!(stats["totals"][state].as_u64(), Some(n), "{name}: {state} in {last}");
        }
        let fallbacks =
            finals.iter().filter(|f| f["reason"].as_str().is_some_and(|r| r.starts_with("fallback_after:"))).count();
        assert_eq!(stats["totals"]["fallback_sent"].as_u64(), Some(fallbacks as u64), "{name}: {last}");
        let per_campaign: u64 =
            stats["campaigns"].as_array().unwrap().iter().map(|c| c["totals"]["messages"].as_u64().unwrap()).sum();
        assert_eq!(per_campaign, finals.len() as u64);
    }
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
