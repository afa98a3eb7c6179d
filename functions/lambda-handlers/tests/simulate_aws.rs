//! `relais simulate --backend aws` gives the embedded output: scenario files replayed through the
//! real handlers on moto (DynamoDB, EventBridge -> SQS, SQS consumers) and compared line by line
//! with the embedded simulator and the scenario's expected file.
//!
//! By default a short scenario made for this test runs (every trigger type, a WhatsApp refusal
//! with SMS fallback, a provider failure, a duplicate webhook, an opt-out, quick-reply taps answering
//! a FAQ and handing a flow over EventBridge: 2.5 days, 121 sweeps),
//! since each sweep step costs some 15 requests to the emulator. `RELAIS_SIM_AWS=a,b` adds
//! scenario files of `tests/scenarios` by name; `RELAIS_SIM_AWS=all` runs every one of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Instant;

use serde_json::Value;

fn expected(name: &str) -> Option<Vec<Value>> {
    let text =
        std::fs::read_to_string(support::repo_root().join(format!("tests/scenarios/{name}.expected.jsonl"))).ok()?;
    Some(text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_backend_equals_the_embedded_simulator() {
    let Some(url) = support::moto_url() else { return };
    let config = support::sdk_config(&url).await;
    let wanted = std::env::var("RELAIS_SIM_AWS").unwrap_or_default();
    let names: Vec<String> = if wanted == "all" {
        let mut names: Vec<String> = std::fs::read_dir(support::repo_root().join("tests/scenarios"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .filter(|n| !n.starts_with("invalid-"))
            .collect();
        names.sort();
        names
    } else {
        wanted.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
    };
    let names: Vec<String> =
        names.into_iter().filter(|n| support::repo_root().join(format!("tests/scenarios/{n}.json")).exists()).collect();
    let mut docs: Vec<(String, Value)> =
        vec![("scenario-aws-short (fixture)".to_string(), support::fixture("scenario-aws-short.json"))];
    docs.extend(names.iter().map(|n| (n.clone(), support::scenario(&format!("{n}.json")))));
    let mut mismatches = Vec::new();
    for (name, doc) in &docs {
        let started = Instant::now();
        let embedded = relais_app::simulate::simulate(doc, &Default::default()).await.unwrap();
        let aws = relais_lambda::simulate_aws::simulate_aws(doc, &config, &Default::default()).await.unwrap();
        println!("{name}: {} lines, aws backend {:.1}s", aws.lines.len(), started.elapsed().as_secs_f64());
        assert!(embedded.lines.iter().any(|l| l["kind"] == "sent"), "{name}: the scenario sends something");
        if aws.lines != embedded.lines {
            mismatches.push(format!(
                "{name}:\n  embedded: {}\n  aws:      {}",
                serde_json::to_string(&embedded.lines).unwrap(),
                serde_json::to_string(&aws.lines).unwrap()
            ));
        }
        if let Some(expected) = expected(name) {
            assert_eq!(embedded.lines, expected, "{name}: the embedded simulator matches its expected file");
        }
    }
    assert!(
        mismatches.is_empty(),
        "aws backend differs on {} scenario(s):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
