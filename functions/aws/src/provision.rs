//! Create the whole Relais resource set on an emulator (moto, LocalStack) or a sandbox
//! account: table, dispatch queue, evaluator queue, event bus and the rule that sends
//! `ReservationChanged` events to the evaluator queue. In AWS, `template.yaml` creates these.
//! Also a queue standing in for the chatbot platform's subscription to `GuestChoseFlow`
//! (in AWS the chatbot platform creates its own rule on the bus), so that a run can show
//! which flows guests were handed to.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::Target;
use aws_sdk_sqs::types::QueueAttributeName;

use crate::AwsSettings;

/// What [`provision`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    pub settings: AwsSettings,
    pub evaluator_queue_url: String,
    pub rule: String,
    /// Receives every `GuestChoseFlow` event of the bus.
    pub flow_queue_url: String,
}

/// The event pattern of the evaluator rule (same as in `template.yaml`).
pub fn evaluator_event_pattern() -> String {
    serde_json::json!({
        "source": [crate::eventbridge::SOURCE],
        "detail-type": [crate::eventbridge::DETAIL_TYPE],
    })
    .to_string()
}

/// The event pattern a chatbot platform subscribes with to receive the guests' flow choices.
pub fn flow_choice_event_pattern() -> String {
    serde_json::json!({
        "source": [crate::eventbridge::FLOW_SOURCE],
        "detail-type": [crate::eventbridge::FLOW_DETAIL_TYPE],
    })
    .to_string()
}

fn err(e: impl std::error::Error) -> String {
    DisplayErrorContext(e).to_string()
}

/// Create every resource, named `<prefix>-…`. Idempotent on moto and AWS (existing resources
/// are reused).
pub async fn provision(
    sdk_config: &aws_config::SdkConfig,
    prefix: &str,
    mail_from: &str,
) -> Result<Provisioned, String> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk_config);
    let sqs = aws_sdk_sqs::Client::new(sdk_config);
    let events = aws_sdk_eventbridge::Client::new(sdk_config);

    let table = format!("{prefix}-table");
    crate::create_table(&dynamo, &table).await?;

    let dispatch_queue_url = create_queue(&sqs, &format!("{prefix}-dispatch")).await?;
    let evaluator_queue_url = create_queue(&sqs, &format!("{prefix}-evaluator")).await?;
    let evaluator_arn = queue_arn(&sqs, &evaluator_queue_url).await?;
    let flow_queue_url = create_queue(&sqs, &format!("{prefix}-flows")).await?;
    let flow_arn = queue_arn(&sqs, &flow_queue_url).await?;

    let bus = format!("{prefix}-bus");
    if events.describe_event_bus().name(&bus).send().await.is_err() {
        events.create_event_bus().name(&bus).send().await.map_err(err)?;
    }
    let rule = format!("{prefix}-reservation-changed");
    route_to_queue(&events, &bus, &rule, evaluator_event_pattern(), "evaluator-queue", evaluator_arn).await?;
    let flow_rule = format!("{prefix}-guest-chose-flow");
    route_to_queue(&events, &bus, &flow_rule, flow_choice_event_pattern(), "flow-queue", flow_arn).await?;

    Ok(Provisioned {
        settings: AwsSettings { table, dispatch_queue_url, event_bus: bus, mail_from: mail_from.to_string() },
        evaluator_queue_url,
        rule,
        flow_queue_url,
    })
}

/// A rule on `bus` that delivers the events matching `pattern` to the queue `queue_arn`.
async fn route_to_queue(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    rule: &str,
    pattern: String,
    target_id: &str,
    queue_arn: String,
) -> Result<(), String> {
    events.put_rule().name(rule).event_bus_name(bus).event_pattern(pattern).send().await.map_err(err)?;
    let target = Target::builder().id(target_id).arn(queue_arn).build().map_err(err)?;
    events.put_targets().rule(rule).event_bus_name(bus).targets(target).send().await.map_err(err)?;
    Ok(())
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<String, String> {
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(err)?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| format!("queue {queue_url} has no ARN"))
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, String> {
    let out = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .map_err(err)?;
    out.queue_url().map(str::to_string).ok_or_else(|| format!("queue {name} has no URL"))
}
