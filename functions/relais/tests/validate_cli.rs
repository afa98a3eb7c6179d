//! `relais validate FILE`, run as a user would: exit codes 0 / 1 / 2 and the JSON lines.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use serde_json::{Value, json};

fn spec_example_path() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../tests/scenarios/spec-example.json")
}

fn spec_example() -> Value {
    serde_json::from_str(&std::fs::read_to_string(spec_example_path()).expect("readable")).expect("JSON")
}

/// The example's campaign as a lone `POST /campaigns` body.
fn lone_campaign() -> Value {
    let mut campaign = spec_example()["campaigns"][0].clone();
    for key in ["id", "created_by", "approve"] {
        campaign.as_object_mut().expect("object").shift_remove(key);
    }
    campaign
}

/// A file in the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn with(contents: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("relais-validate-{}-{}.json", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }
    fn json(value: &Value) -> TempFile {
        TempFile::with(&value.to_string())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}")))
            .collect()
    }
    fn errors(&self) -> Vec<(String, String)> {
        self.lines()
            .iter()
            .map(|line| {
                let object = line.as_object().expect("an error line is an object");
                let keys: Vec<&str> = object.keys().map(String::as_str).collect();
                assert_eq!(keys, ["field", "code", "message"], "{line}");
                assert!(!line["message"].as_str().expect("message").is_empty());
                (line["field"].as_str().expect("field").to_string(), line["code"].as_str().expect("code").to_string())
            })
            .collect()
    }
}

fn validate(path: &Path) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_relais")).arg("validate").arg(path).output().expect("run relais");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

#[test]
fn the_spec_example_is_valid() {
    let outcome = validate(&spec_example_path());
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    assert_eq!(
        outcome.lines(),
        [json!({"valid": true, "kind": "scenario", "version": 1, "users": 2, "properties": 1, "chatbots": 1,
                "campaigns": 1, "events": 3})]
    );
    assert!(outcome.stderr.is_empty());
}

#[test]
fn a_lone_campaign_is_valid() {
    let file = TempFile::json(&lone_campaign());
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 0, "{}", outcome.stdout);
    assert_eq!(
        outcome.lines(),
        [json!({"valid": true, "kind": "campaign", "name": "Welcome, 3 days out", "account_checks": false})]
    );
}

#[test]
fn an_invalid_campaign_prints_every_error_and_exits_1() {
    let mut campaign = lone_campaign();
    campaign["name"] = json!("");
    campaign["messages"]["pt"]["whatsapp"]["buttons"][1]["title"] = json!("x".repeat(21));
    campaign["messages"]["en"]["sms"]["body"] = json!("Hi {{guest_nickname}}");
    campaign["trigger"]["hour"] = json!([10]);
    let file = TempFile::json(&campaign);
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 1);
    assert_eq!(
        outcome.errors(),
        pairs(&[
            ("name", "empty"),
            ("trigger.hour", "unknown_field"),
            ("messages.en.sms.body", "unknown_variable"),
            ("messages.pt.whatsapp.buttons[1].title", "too_long"),
        ])
    );
    assert!(outcome.lines()[2]["message"].as_str().expect("message").contains("guest_nickname"));
    assert!(outcome.stderr.is_empty());
}

#[test]
fn an_invalid_scenario_names_the_field_and_exits_1() {
    let mut scenario = spec_example();
    scenario["campaigns"][0]["messages"]["en"]["sms"]["body"] = json!("x".repeat(161));
    scenario["properties"][0]["time_zone"] = json!("Lisbon");
    scenario["events"][1]["provider_status"]["campaign"] = json!("nope");
    let file = TempFile::json(&scenario);
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 1);
    assert_eq!(
        outcome.errors(),
        pairs(&[
            ("properties[0].time_zone", "invalid_value"),
            ("campaigns[0].messages.en.sms.body", "too_long"),
            ("events[1].provider_status.campaign", "unknown_reference"),
        ])
    );
}

#[test]
fn a_scenario_checks_the_campaigns_against_its_account() {
    let mut scenario = spec_example();
    scenario["properties"][0]["pms"] = json!("opera5");
    let file = TempFile::json(&scenario);
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.errors(), pairs(&[("campaigns[0].property_id", "support_only")]));
    assert!(outcome.lines()[0]["message"].as_str().expect("message").contains("support team"));
}

#[test]
fn json_that_is_not_an_object_is_invalid_not_unreadable() {
    let file = TempFile::with("[1, 2, 3]");
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.errors(), pairs(&[("", "invalid_type")]));
}

#[test]
fn not_json_exits_2_with_a_json_error_on_stderr() {
    let file = TempFile::with("{\"start\": ");
    let outcome = validate(&file.0);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stdout.is_empty());
    let error: Value = serde_json::from_str(outcome.stderr.trim()).expect("stderr is JSON");
    assert_eq!(error["error"]["code"], "not_json");
    assert!(error["error"]["message"].as_str().expect("message").contains("not JSON"));
}

#[test]
fn an_unreadable_file_exits_2() {
    let outcome = validate(Path::new("/nonexistent/relais/scenario.json"));
    assert_eq!(outcome.code, 2);
    assert!(outcome.stdout.is_empty());
    let error: Value = serde_json::from_str(outcome.stderr.trim()).expect("stderr is JSON");
    assert_eq!(error["error"]["code"], "unreadable");
}

#[test]
fn help_says_what_a_lone_campaign_skips() {
    let output = Command::new(env!("CARGO_BIN_EXE_relais")).args(["validate", "--help"]).output().expect("run relais");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("without an account"), "{help}");
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![Just("start".to_string()), Just("events".to_string()), "[a-z_]{1,6}"], inner),
                0..4
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    // Each case starts a process; the domain's own property tests run thousands of documents.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_json_gets_exit_0_or_1_and_json_lines(doc in arbitrary_json()) {
        let file = TempFile::json(&doc);
        let outcome = validate(&file.0);
        prop_assert!(outcome.code == 0 || outcome.code == 1, "exit {}: {}", outcome.code, outcome.stderr);
        prop_assert!(!outcome.lines().is_empty());
        prop_assert!(outcome.stderr.is_empty(), "{}", outcome.stderr);
    }
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
