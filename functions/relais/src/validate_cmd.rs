//! `relais validate FILE`: a scenario (Appendix A.1) or a single campaign body.
//!
//! Errors go to stdout, one JSON line each (`{"field", "code", "message"}`), exit 1; a valid file
//! prints one `{"valid": true, ...}` line, exit 0; an unreadable file or one that is not JSON
//! prints a JSON error on stderr, exit 2.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use relais_domain::validate::{FieldError, parse_scenario, validate_campaign_structure};
use serde_json::{Value, json};

const EXIT_INVALID: u8 = 1;
const EXIT_UNREADABLE: u8 = 2;

pub fn run(file: &Path) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return unreadable("unreadable", format!("{}: {error}", file.display())),
    };
    let doc: Value = match relais_domain::document::parse_value(text.as_bytes()) {
        Ok(doc) => doc,
        Err(error) => return unreadable("not_json", format!("{} is not JSON: {error}", file.display())),
    };
    match summarize(&doc) {
        Ok(summary) => {
            print_lines([summary]);
            ExitCode::SUCCESS
        }
        Err(errors) => {
            print_lines(errors.iter().map(|error| json!(error)));
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// A scenario is an object with any of the keys only a scenario has; anything else is taken for
/// a campaign body, so that a campaign with a typo still gets its errors rather than "not a scenario".
fn is_scenario(doc: &Value) -> bool {
    doc.as_object().is_some_and(|map| ["start", "events", "campaigns"].iter().any(|key| map.contains_key(*key)))
}

fn summarize(doc: &Value) -> Result<Value, Vec<FieldError>> {
    if is_scenario(doc) {
        let (scenario, _) = parse_scenario(doc)?;
        Ok(json!({
            "valid": true,
            "kind": "scenario",
            "version": scenario.version,
            "users": scenario.users.len(),
            "properties": scenario.properties.len(),
            "chatbots": scenario.chatbots.len(),
            "campaigns": scenario.campaigns.len(),
            "events": scenario.events.len(),
        }))
    } else {
        let spec = validate_campaign_structure(doc)?;
        Ok(json!({
            "valid": true,
            "kind": "campaign",
            "name": spec.name,
            // A campaign alone has no account: the offer checks (property, chatbot, channels,
            // languages, units) run when it is posted or placed in a scenario.
            "account_checks": false,
        }))
    }
}

/// Writes JSON lines to stdout; a closed pipe (`relais validate f | head -1`) is not an error.
fn print_lines(lines: impl IntoIterator<Item = Value>) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

fn unreadable(code: &str, message: String) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{}", json!({"error": {"code": code, "message": message}}));
    ExitCode::from(EXIT_UNREADABLE)
}
