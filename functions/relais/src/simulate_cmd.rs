//! `relais simulate SCENARIO.json`: JSON lines on stdout (Appendix A.4), exit 0; an invalid
//! scenario exits 2 with a JSON error on stderr naming the field.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use relais_app::simulate::{SimulateOptions, SimulationError, simulate};
use serde_json::json;

/// The scenario shipped with the binary (`relais simulate` with no file).
pub const DEFAULT_SCENARIO: &str = include_str!("../../../tests/scenarios/spec-example.json");

pub fn run(file: Option<&Path>, aws: bool, options: SimulateOptions) -> ExitCode {
    let text = match file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => return fail("unreadable", &format!("{}: {e}", path.display()), None),
        },
        None => DEFAULT_SCENARIO.to_string(),
    };
    let doc: serde_json::Value = match relais_domain::document::parse_value(text.as_bytes()) {
        Ok(doc) => doc,
        Err(e) => return fail("not_json", &format!("the scenario is not JSON: {e}"), None),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail("runtime", &e.to_string(), None),
    };
    let result = runtime.block_on(async {
        if aws {
            let config = relais_aws::sdk_loader().load().await;
            relais_lambda::simulate_aws::simulate_aws(&doc, &config, &options).await
        } else {
            simulate(&doc, &options).await
        }
    });
    match result {
        Ok(output) => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for line in &output.lines {
                if writeln!(out, "{line}").is_err() {
                    return ExitCode::from(1);
                }
            }
            let mut err = std::io::stderr().lock();
            for diagnostic in &output.diagnostics {
                let _ = writeln!(err, "{}", json!({"warning": diagnostic}));
            }
            ExitCode::SUCCESS
        }
        Err(SimulationError::Invalid(errors)) => {
            let first = errors.first();
            let body = json!({
                "error": {
                    "code": first.map_or("invalid_scenario", |e| e.code.as_str()),
                    "message": first.map_or_else(|| "invalid scenario".to_string(), |e| e.message.clone()),
                    "field": first.map(|e| e.field.clone()),
                },
                "errors": errors,
            });
            let _ = writeln!(std::io::stderr(), "{body}");
            ExitCode::from(2)
        }
        Err(e) => fail("engine", &e.to_string(), None),
    }
}

fn fail(code: &str, message: &str, field: Option<&str>) -> ExitCode {
    let body = json!({"error": {"code": code, "message": message, "field": field}});
    let _ = writeln!(std::io::stderr(), "{body}");
    ExitCode::from(2)
}
