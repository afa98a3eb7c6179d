//! `relais`: the local host of every Relais function.
//! `validate` checks campaigns and scenarios, `simulate` replays a scenario on a virtual clock.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod simulate_cmd;
mod validate_cmd;

#[derive(Parser)]
#[command(name = "relais", version, about = "Guest-messaging automation for hotels and short-term rentals")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a campaign (a POST /campaigns body) or a whole scenario file: errors as JSON lines.
    /// Exit 0 valid, 1 invalid, 2 not JSON.
    Validate { file: PathBuf },
    /// Replay a scenario (Appendix A.1) on a virtual clock; print every send and every final
    /// message state as JSON lines. Without FILE, runs the shipped example scenario.
    Simulate { file: Option<PathBuf> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { file } => validate_cmd::run(&file),
        Command::Simulate { file } => simulate_cmd::run(file.as_deref()),
    }
}
