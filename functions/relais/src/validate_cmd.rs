//! `relais validate FILE` (placeholder until campaign validation lands).

use std::path::Path;
use std::process::ExitCode;

pub fn run(_file: &Path) -> ExitCode {
    eprintln!("{{\"error\":{{\"code\":\"not_implemented\",\"message\":\"validation is being built\"}}}}");
    ExitCode::from(2)
}
