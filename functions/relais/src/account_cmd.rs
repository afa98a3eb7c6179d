//! `relais init-account`: the first account and its first admin in a deployed Relais (the
//! DynamoDB table of `RELAIS_TABLE`, AWS settings from the environment). Everything else is then
//! set up through the API by that admin; in AWS nothing else creates an account.
//!
//! Exit 0 with the created ids as JSON on stdout; 1 when the account or user already exists or
//! the store fails; 2 for a bad argument (JSON error on stderr naming it).

use std::process::ExitCode;
use std::sync::Arc;

use relais_app::clock::SystemClock;
use relais_domain::{Account, User};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct InitAccount {
    /// Account id (letters, digits, `-`, `_`, `.`).
    #[arg(long)]
    account_id: String,
    /// Account name shown in the console.
    #[arg(long)]
    account_name: String,
    /// The admin's user id: the `sub` claim of their tokens (e.g. the Cognito user's sub).
    #[arg(long)]
    admin_id: String,
    /// The admin's e-mail (notifications).
    #[arg(long)]
    admin_email: Option<String>,
}

fn fail(code: u8, error: &str, field: Option<&str>, message: &str) -> ExitCode {
    eprintln!("{}", json!({"error": {"code": error, "message": message, "field": field}}));
    ExitCode::from(code)
}

pub fn run(args: InitAccount) -> ExitCode {
    for (field, value) in [("account_id", &args.account_id), ("admin_id", &args.admin_id)] {
        if let Some(problem) = relais_domain::ids::plain_id_problem(value, relais_domain::ids::ID_MAX_CHARS) {
            return fail(2, "invalid_argument", Some(field), &problem);
        }
    }
    if args.account_name.trim().is_empty() {
        return fail(2, "invalid_argument", Some("account_name"), "must not be empty");
    }
    let Ok(table) = std::env::var(relais_aws::ENV_TABLE) else {
        return fail(2, "missing_setting", Some(relais_aws::ENV_TABLE), "the deployed table's name is required");
    };
    let user: User = match serde_json::from_value(json!({
        "id": args.admin_id, "account_id": args.account_id, "role": "admin", "email": args.admin_email,
        "email_notifications": args.admin_email.is_some(),
    })) {
        Ok(user) => user,
        Err(e) => return fail(2, "invalid_argument", Some("admin_email"), &e.to_string()),
    };
    let account = Account { id: args.account_id.clone(), name: args.account_name.trim().to_string() };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, "runtime", None, &e.to_string()),
    };
    runtime.block_on(async {
        let sdk = relais_aws::sdk_loader().load().await;
        let store = relais_aws::dynamo_store(&sdk, table, Arc::new(SystemClock));
        use relais_app::ports::Store;
        match store.get_account(&account.id).await {
            Ok(Some(_)) => return fail(1, "exists", Some("account_id"), "this account already exists"),
            Ok(None) => {}
            Err(e) => return fail(1, "store", None, &e.to_string()),
        }
        match store.get_user(&user.id).await {
            Ok(Some(_)) => return fail(1, "exists", Some("admin_id"), "this user already exists"),
            Ok(None) => {}
            Err(e) => return fail(1, "store", None, &e.to_string()),
        }
        if let Err(e) = store.put_account(&account).await {
            return fail(1, "store", None, &e.to_string());
        }
        if let Err(e) = store.put_user(&user).await {
            return fail(1, "store", None, &e.to_string());
        }
        println!("{}", json!({"account_id": account.id, "admin_id": user.id}));
        ExitCode::SUCCESS
    })
}
