//! An SDK interceptor that counts requests per operation (benchmarks and tests report the
//! DynamoDB requests per webhook and per sent message with it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Counts each operation once (serialization happens once; retry attempts are not counted). Clone it into a client config with
/// `.interceptor(counter.clone())` and read it with [`RequestCounter::take`].
#[derive(Debug, Default, Clone)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    pub fn new() -> RequestCounter {
        RequestCounter::default()
    }

    /// The counts since the last take, by operation name, and resets them.
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The counts so far, by operation name, without resetting them.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Requests counted between two snapshots, by operation name.
    pub fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
        after
            .iter()
            .map(|(op, n)| (op.clone(), n.saturating_sub(before.get(op).copied().unwrap_or(0))))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn total(counts: &BTreeMap<String, u64>) -> u64 {
        counts.values().sum()
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_else(|| "unknown".into());
        *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(operation).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client whose requests `counter` counts.
pub fn counted_dynamodb_client(
    sdk_config: &aws_config::SdkConfig,
    counter: &RequestCounter,
) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config).interceptor(counter.clone()).build();
    aws_sdk_dynamodb::Client::from_conf(config)
}
