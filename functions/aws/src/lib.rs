//! AWS adapters of Relais, behind the ports of `relais_app::ports`:
//!
//! - [`DynamoStore`]: the single-table DynamoDB [`Store`](relais_app::ports::Store)
//!   (key design in [`keys`] and `infra/dynamodb.md`), [`create_table`] for tests and emulators;
//! - [`SqsQueue`]: the dispatch [`WorkQueue`](relais_app::ports::WorkQueue);
//! - [`EventBridgeBus`]: the `ReservationChanged` [`EventBus`](relais_app::ports::EventBus);
//! - [`SesMailer`]: the SES v2 [`Mailer`](relais_app::ports::Mailer);
//! - [`dynamo_store`], [`sqs_queue`], [`event_bus`], [`ses_mailer`]: one adapter each, for the
//!   per-function composition roots (a function links only the clients it builds);
//! - [`AwsAdapters::from_env`]: all of them at once (tests, the AWS replay of the simulator).
//!
//! The endpoint comes from the standard AWS settings (`AWS_ENDPOINT_URL`, region, credentials),
//! so the same build talks to AWS, to moto or to LocalStack.

pub mod dynamo;
pub mod eventbridge;
pub mod keys;
pub mod metrics;
pub mod provision;
pub mod ses;
pub mod sqs;
pub mod table;
pub mod transport;

use std::sync::Arc;

pub use dynamo::DynamoStore;
pub use eventbridge::EventBridgeBus;
pub use provision::{Provisioned, provision};
use relais_app::ports::{Clock, EventBus, Mailer, Store, WorkQueue};
pub use ses::SesMailer;
pub use sqs::SqsQueue;
pub use table::create_table;

/// Environment variables the adapters read.
pub const ENV_TABLE: &str = "RELAIS_TABLE";
pub const ENV_DISPATCH_QUEUE_URL: &str = "RELAIS_DISPATCH_QUEUE_URL";
pub const ENV_EVENT_BUS: &str = "RELAIS_EVENT_BUS";
pub const ENV_MAIL_FROM: &str = "RELAIS_MAIL_FROM";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
}

/// Names of the AWS resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub table: String,
    pub dispatch_queue_url: String,
    pub event_bus: String,
    pub mail_from: String,
}

impl AwsSettings {
    /// From `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL`, `RELAIS_EVENT_BUS`, `RELAIS_MAIL_FROM`.
    /// A function that does not use a resource may leave its variable unset: only the table is
    /// required; the others default to empty and fail at first use with a clear error.
    pub fn from_env() -> Result<AwsSettings, ConfigError> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(AwsSettings {
            table: var(ENV_TABLE).ok_or(ConfigError::Missing(ENV_TABLE))?,
            dispatch_queue_url: var(ENV_DISPATCH_QUEUE_URL).unwrap_or_default(),
            event_bus: var(ENV_EVENT_BUS).unwrap_or_else(|| "default".into()),
            mail_from: var(ENV_MAIL_FROM).unwrap_or_default(),
        })
    }
}

/// The DynamoDB store on `table`.
pub fn dynamo_store(
    sdk_config: &aws_config::SdkConfig,
    table: impl Into<String>,
    clock: Arc<dyn Clock>,
) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk_config), table, clock)
}

/// The dispatch queue at `queue_url`.
pub fn sqs_queue(sdk_config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> SqsQueue {
    SqsQueue::new(aws_sdk_sqs::Client::new(sdk_config), queue_url)
}

/// The event bus named `bus_name`.
pub fn event_bus(sdk_config: &aws_config::SdkConfig, bus_name: impl Into<String>) -> EventBridgeBus {
    EventBridgeBus::new(aws_sdk_eventbridge::Client::new(sdk_config), bus_name)
}

/// SES v2 e-mail from `from`.
pub fn ses_mailer(sdk_config: &aws_config::SdkConfig, from: impl Into<String>) -> SesMailer {
    SesMailer::new(aws_sdk_sesv2::Client::new(sdk_config), from)
}

/// The AWS configuration of a Lambda function, from the variables the Lambda service sets for
/// every function: `AWS_REGION`, the execution role's credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, off AWS, `AWS_ENDPOINT_URL`.
///
/// Why not [`sdk_loader`]: its default chains probe profile files, then build STS, SSO, web
/// identity, container and instance-metadata providers that a Lambda function never reaches,
/// all at cold start (docs/performance.md, "Lambda start-up"). Retries, timeouts and the
/// identity cache are the SDK clients' defaults for [`aws_config::BehaviorVersion::latest`], as
/// with the loader. A missing variable is named: init fails with it.
pub fn lambda_sdk_config(lookup: impl Fn(&str) -> Option<String>) -> Result<aws_config::SdkConfig, ConfigError> {
    let var = |name: &'static str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let required = |name: &'static str| var(name).ok_or(ConfigError::Missing(name));
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    let mut builder = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(required("AWS_REGION")?))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(credentials))
        .http_client(transport::sdk_http_client());
    builder.set_endpoint_url(var("AWS_ENDPOINT_URL"));
    Ok(builder.build())
}

/// The AWS configuration loader every Relais binary and test starts from: the environment's
/// settings (region, credentials, `AWS_ENDPOINT_URL`) with [`transport`]'s HTTP client, the
/// reqwest client the providers use too (one HTTP and TLS stack per binary, trust roots compiled
/// in, nothing read from disk at start-up).
pub fn sdk_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(transport::sdk_http_client())
}

/// The AWS-backed ports, built once per process (clients are reused across invocations).
#[derive(Clone)]
pub struct AwsAdapters {
    pub settings: AwsSettings,
    pub sdk_config: aws_config::SdkConfig,
    pub dynamo: DynamoStore,
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn WorkQueue>,
    pub bus: Arc<dyn EventBus>,
    pub mailer: Arc<dyn Mailer>,
}

impl AwsAdapters {
    /// Load the AWS configuration from the environment (honours `AWS_ENDPOINT_URL`) and build
    /// every adapter.
    pub async fn from_env(clock: Arc<dyn Clock>) -> Result<AwsAdapters, ConfigError> {
        let settings = AwsSettings::from_env()?;
        let sdk_config = sdk_loader().load().await;
        Ok(AwsAdapters::new(&sdk_config, settings, clock))
    }

    pub fn new(sdk_config: &aws_config::SdkConfig, settings: AwsSettings, clock: Arc<dyn Clock>) -> AwsAdapters {
        let dynamo = dynamo_store(sdk_config, settings.table.clone(), clock);
        let queue = sqs_queue(sdk_config, settings.dispatch_queue_url.clone());
        let bus = event_bus(sdk_config, settings.event_bus.clone());
        let mailer = ses_mailer(sdk_config, settings.mail_from.clone());
        AwsAdapters {
            settings,
            sdk_config: sdk_config.clone(),
            store: Arc::new(dynamo.clone()),
            dynamo,
            queue: Arc::new(queue),
            bus: Arc::new(bus),
            mailer: Arc::new(mailer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[test]
    fn lambda_config_takes_region_credentials_and_endpoint_from_the_environment() {
        let config = lambda_sdk_config(lambda_env(LAMBDA)).unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-3"));
        assert!(config.credentials_provider().is_some());
        assert_eq!(config.endpoint_url(), None, "on AWS the SDK resolves the regional endpoint");
        assert!(config.http_client().is_some(), "the reqwest transport, not the SDK's default client");

        const EMULATED: &[(&str, &str)] = &[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "b"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        ];
        let config = lambda_sdk_config(lambda_env(EMULATED)).unwrap();
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
    }

    #[test]
    fn lambda_config_names_the_missing_variable() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let env = lambda_env(LAMBDA);
            let without = |name: &str| if name == missing { Some("  ".to_string()) } else { env(name) };
            match lambda_sdk_config(without) {
                Err(ConfigError::Missing(name)) => assert_eq!(name, missing),
                Ok(_) => panic!("a config was built without {missing}"),
            }
        }
    }
}
