//! `relais`: the local host of every Relais function.
//! `validate` checks campaigns and scenarios, `simulate` replays a scenario on a virtual clock.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod account_cmd;
mod serve_cmd;
mod simulate_cmd;
mod validate_cmd;
mod webhook_cmd;

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
    ///
    /// A file is a scenario (Appendix A.1) when it is an object with `start`, `events` or
    /// `campaigns`: it is checked in full, each campaign for its creator against the scenario's
    /// properties and chatbots. Anything else is one campaign body, checked without an account:
    /// every rule except those that need one (property and chatbot offered to the user, PMS in the
    /// catalogue, status_change support, channels owned by the chatbot, languages it speaks, units
    /// of the property). Put the campaign in a scenario to check those too.
    ///
    /// Output: one JSON line `{"field", "code", "message"}` per error on stdout and exit 1, or one
    /// `{"valid": true, ...}` line and exit 0. A file that cannot be read or is not JSON: a JSON
    /// error on stderr and exit 2.
    Validate { file: PathBuf },
    /// Replay a scenario (Appendix A.1) on a virtual clock; print every send and every final
    /// message state as JSON lines. Without FILE, runs the shipped example scenario.
    ///
    /// `--backend aws` replays it through the Lambda handlers on the AWS adapters instead (DynamoDB,
    /// EventBridge -> SQS, SQS consumers), against the emulator or account of the standard AWS
    /// settings (`AWS_ENDPOINT_URL`, e.g. a moto server from `infra/moto.sh start`); same output.
    Simulate {
        file: Option<PathBuf>,
        /// `embedded` (default) or `aws`.
        #[arg(long, default_value = "embedded", value_parser = ["embedded", "aws"])]
        backend: String,
        /// Print a last line `{"kind": "stats", ...}`: every campaign's messages by state and
        /// property-local due date over the scenario's period, as `GET /stats` counts them.
        #[arg(long)]
        stats: bool,
    },
    /// Run the whole product in one process (SPEC 6.1): the HTTP API, PMS webhooks, provider
    /// callbacks, a sweep every minute on the real clock, dispatch to the outbox (or WhatsApp /
    /// Twilio when RELAIS_WHATSAPP_* / RELAIS_TWILIO_* are set). State persists in --data.
    Serve {
        /// Address to listen on (port 0: any free port, printed on stdout).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Data directory: store, outbox.jsonl, mail/, jwt-secret.
        #[arg(long, default_value = "./relais-data")]
        data: PathBuf,
        /// Load a scenario's account, users, properties, chatbots and campaigns (events are
        /// ignored) into an empty data directory, validated as `relais simulate` does.
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Seed a demo set-up (into an empty data directory) and print a token and curl lines.
        #[arg(long)]
        demo: bool,
    },
    /// Print an HS256 JWT for a stored user (claims sub, account_id, role), signed with
    /// RELAIS_JWT_SECRET or DIR/jwt-secret (created on first use).
    Token {
        #[arg(long, default_value = "./relais-data")]
        data: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Sign and send a canonical PMS webhook to a running server, or print its signature
    /// headers (what an integrator uses to try a setup).
    #[command(subcommand)]
    Webhook(webhook_cmd::WebhookCommand),
    /// Create the first account and its admin in a deployed Relais (DynamoDB table
    /// `RELAIS_TABLE`, AWS settings from the environment); the admin sets up the rest via the API.
    InitAccount(account_cmd::InitAccount),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { file } => validate_cmd::run(&file),
        Command::Simulate { file, backend, stats } => {
            simulate_cmd::run(file.as_deref(), backend == "aws", relais_app::simulate::SimulateOptions { stats })
        }
        Command::Serve { addr, data, seed, demo } => serve_cmd::run(serve_cmd::ServeArgs { addr, data, seed, demo }),
        Command::Token { data, user } => serve_cmd::token(&data, &user),
        Command::Webhook(command) => webhook_cmd::run(command),
        Command::InitAccount(args) => account_cmd::run(args),
    }
}
