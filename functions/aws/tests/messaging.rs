//! SQS work queue, EventBridge bus (rule -> SQS target) and SES v2 mailer against moto.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::{TimeZone, Utc};
use relais_app::ports::{DispatchJob, DispatchReason, EventBus, GuestChoseFlow, Mailer, ReservationChanged, WorkQueue};
use relais_aws::{EventBridgeBus, SesMailer, SqsQueue, provision};

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    for _ in 0..20 {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if !messages.is_empty() {
            return messages;
        }
    }
    Vec::new()
}

#[tokio::test]
async fn queue_bus_and_mailer_work_on_moto() {
    let url = moto_or_skip!();
    let config = support::sdk_config(&url).await;
    let p = provision(&config, &support::unique("msg"), "relais@example.com").await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&config);

    // Work queue: the job arrives as JSON; a delay beyond SQS's 15 minutes is capped, not refused.
    let queue = SqsQueue::new(sqs.clone(), &p.settings.dispatch_queue_url);
    let job = DispatchJob { message_id: "m-1".into(), reason: DispatchReason::Due, keys: None };
    queue.enqueue(&job, 0).await.unwrap();
    queue.enqueue(&job, 3600).await.unwrap();
    let got = receive(&sqs, &p.settings.dispatch_queue_url).await;
    let jobs: Vec<DispatchJob> = got.iter().map(|m| serde_json::from_str(m.body().unwrap()).unwrap()).collect();
    assert!(jobs.contains(&job));
    let bad = SqsQueue::new(sqs.clone(), format!("{url}/123456789012/no-such-queue"));
    assert!(bad.enqueue(&job, 0).await.is_err(), "a missing queue is an error");

    // Event bus: the rule delivers the event (whole EventBridge envelope) to the evaluator queue.
    let bus = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&config), &p.settings.event_bus);
    let event = ReservationChanged {
        property_id: "p-lis".into(),
        reservation_id: "r-1".into(),
        at: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().unwrap(),
        transition: None,
    };
    bus.publish(&event).await.unwrap();
    let got = receive(&sqs, &p.evaluator_queue_url).await;
    assert_eq!(got.len(), 1);
    let envelope: serde_json::Value = serde_json::from_str(got[0].body().unwrap()).unwrap();
    assert_eq!(envelope["source"], "relais.pms");
    assert_eq!(envelope["detail-type"], "ReservationChanged");
    let detail: ReservationChanged = serde_json::from_value(envelope["detail"].clone()).unwrap();
    assert_eq!(detail, event);
    let nowhere = EventBridgeBus::new(aws_sdk_eventbridge::Client::new(&config), "no-such-bus");
    assert!(nowhere.publish(&event).await.is_err(), "a failed entry is an error");

    // A flow choice goes on the same bus for the chatbot platform; the evaluator's rule does not
    // take it.
    let choice = GuestChoseFlow {
        account_id: "acc-1".into(),
        property_id: "p-lis".into(),
        reservation_id: "r-1".into(),
        campaign_id: "pre-3d".into(),
        flow_id: "flow-checkin".into(),
        at: event.at,
    };
    bus.publish_flow_choice(&choice).await.unwrap();
    assert!(receive(&sqs, &p.evaluator_queue_url).await.is_empty(), "GuestChoseFlow is not a reservation change");
    assert!(nowhere.publish_flow_choice(&choice).await.is_err(), "a failed entry is an error");

    // Mail: SES needs a verified sender.
    let ses = aws_sdk_sesv2::Client::new(&config);
    let unverified = SesMailer::new(ses.clone(), "nobody@unverified.example");
    assert!(unverified.send_email("ed@example.com", "s", "b").await.is_err(), "unverified sender refused");
    ses.create_email_identity().email_identity("relais@example.com").send().await.unwrap();
    let mailer = SesMailer::new(ses, "relais@example.com");
    mailer.send_email("ed@example.com", "Campaign submitted", "Welcome, 3 days out awaits approval").await.unwrap();
}
