//! Campaign and scenario validation: one test per rule (a valid campaign broken in exactly one
//! way, asserting the field path and code), several errors at once, unknown fields, round trips
//! of every Appendix A shape, and no panic on any input.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use relais_domain::model::{
    CallToActionButton, CampaignSpec, ChannelChoice, Chatbot, MessageCondition, Period, Property, ReservationCondition,
    Target, Trigger, User, WhatsAppContent,
};
use relais_domain::validate::{
    FieldError, ValidationContext, codes, offered_chatbots, offered_properties, parse_scenario, validate_campaign,
    validate_campaign_structure,
};
use serde_json::{Value, json};

const SPEC_EXAMPLE: &str = include_str!("../../../tests/scenarios/spec-example.json");

fn example() -> Value {
    serde_json::from_str(SPEC_EXAMPLE).expect("the spec example is JSON")
}

/// The Appendix A.1 campaign `pre-3d`, as a `POST /campaigns` body.
fn base_campaign() -> Value {
    let mut campaign = example()["campaigns"][0].clone();
    let map = campaign.as_object_mut().expect("campaign object");
    for scenario_only in ["id", "created_by", "approve"] {
        map.shift_remove(scenario_only);
    }
    campaign
}

/// The example's account: its editor `u-ed`, property `p-lis` (Mews) and chatbot `bot-1`.
struct Account {
    user: User,
    properties: Vec<Property>,
    chatbots: Vec<Chatbot>,
}

impl Account {
    fn example() -> Account {
        let (scenario, _) = parse_scenario(&example()).expect("the spec example is valid");
        let user = scenario.users.iter().find(|u| u.id == "u-ed").expect("u-ed").clone();
        Account { user, properties: scenario.properties, chatbots: scenario.chatbots }
    }
    fn ctx(&self) -> ValidationContext<'_> {
        ValidationContext { user: &self.user, properties: &self.properties, chatbots: &self.chatbots }
    }
    fn validate(&self, body: &Value) -> Result<CampaignSpec, Vec<FieldError>> {
        validate_campaign(body, &self.ctx())
    }
    fn errors(&self, body: &Value) -> Vec<(String, String)> {
        match self.validate(body) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

/// The base campaign with `mutate` applied must fail with exactly `expected` (field, code) pairs.
#[track_caller]
fn assert_refused(account: &Account, mutate: impl FnOnce(&mut Value), expected: &[(&str, &str)]) {
    let mut body = base_campaign();
    mutate(&mut body);
    assert_eq!(account.errors(&body), pairs(expected), "body: {body:#}");
}

#[track_caller]
fn assert_accepted(account: &Account, mutate: impl FnOnce(&mut Value)) -> CampaignSpec {
    let mut body = base_campaign();
    mutate(&mut body);
    match account.validate(&body) {
        Ok(spec) => spec,
        Err(errors) => panic!("expected valid, got {errors:#?}\nbody: {body:#}"),
    }
}

#[track_caller]
fn refused(mutate: impl FnOnce(&mut Value), expected: &[(&str, &str)]) {
    assert_refused(&Account::example(), mutate, expected);
}

#[track_caller]
fn accepted(mutate: impl FnOnce(&mut Value)) -> CampaignSpec {
    assert_accepted(&Account::example(), mutate)
}

fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().expect("object").shift_remove(key);
}

fn call_to_action() -> Value {
    json!({"type": "call_to_action", "body": "Welcome!", "buttons": [
        {"type": "phone", "title": "Call us", "phone": "+351210000000"},
        {"type": "url", "title": "Directions", "url": "https://example.com/map"}]})
}

// ------------------------------------------------------------------ the base is valid

#[test]
fn the_appendix_campaign_is_valid_for_its_editor() {
    let spec = accepted(|_| {});
    assert_eq!(spec.name, "Welcome, 3 days out");
    assert_eq!(spec.property_id, "p-lis");
}

#[test]
fn a_lone_campaign_is_checked_without_an_account() {
    assert!(validate_campaign_structure(&base_campaign()).is_ok());
    // Offer checks are skipped, everything else still applies.
    let mut body = base_campaign();
    body["property_id"] = json!("anything");
    body["name"] = json!("");
    let errors = validate_campaign_structure(&body).unwrap_err();
    assert_eq!(errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect::<Vec<_>>(), [("name", "empty")]);
}

// ------------------------------------------------------------------ step 1: basics

#[test]
fn name_is_1_to_40_characters_after_trimming() {
    refused(|c| c["name"] = json!("   "), &[("name", codes::EMPTY)]);
    refused(|c| c["name"] = json!("x".repeat(41)), &[("name", codes::TOO_LONG)]);
    // Characters, not bytes: 40 accented letters or emoji are fine.
    accepted(|c| c["name"] = json!("é".repeat(40)));
    accepted(|c| c["name"] = json!("🏨".repeat(40)));
    refused(|c| c["name"] = json!("🏨".repeat(41)), &[("name", codes::TOO_LONG)]);
    // Surrounding white space does not count, and is trimmed away.
    let spec = accepted(|c| c["name"] = json!(format!("  {}  ", "n".repeat(40))));
    assert_eq!(spec.name, "n".repeat(40));
}

#[test]
fn category_is_one_of_the_five() {
    refused(|c| c["category"] = json!("pre-stay"), &[("category", codes::INVALID_VALUE)]);
    accepted(|c| c["category"] = json!("departure"));
}

#[test]
fn required_fields_are_named() {
    refused(|c| remove(c, "trigger"), &[("trigger", codes::REQUIRED)]);
    refused(|c| c["chatbot_id"] = Value::Null, &[("chatbot_id", codes::REQUIRED)]);
}

#[test]
fn property_must_be_one_the_user_may_see() {
    refused(|c| c["property_id"] = json!("p-unknown"), &[("property_id", codes::NOT_OFFERED)]);
    let mut account = Account::example();
    account.user.property_ids = Some(vec!["p-other".into()]);
    assert_refused(&account, |_| {}, &[("property_id", codes::NOT_OFFERED)]);
    account.user.property_ids = Some(vec!["p-lis".into()]);
    assert_accepted(&account, |_| {});
}

#[test]
fn property_outside_the_catalogue_is_for_the_support_team() {
    let mut account = Account::example();
    account.properties[0].pms = "opera5".into();
    assert_refused(&account, |_| {}, &[("property_id", codes::SUPPORT_ONLY)]);
    let errors = account.validate(&base_campaign()).unwrap_err();
    assert!(errors[0].message.contains("configured by the support team"), "{}", errors[0].message);
    assert!(errors[0].message.contains("opera5"));
}

#[test]
fn status_change_only_for_pms_with_events() {
    let to_status_change = |c: &mut Value| {
        c["trigger"] = json!({"type": "status_change"});
        c["target"] = json!({"status": "checked_in"});
    };
    accepted(to_status_change); // Mews delivers events
    let mut account = Account::example();
    account.properties[0].pms = "sihot".into();
    assert_refused(&account, to_status_change, &[("trigger.type", codes::TRIGGER_NOT_SUPPORTED)]);
    // Schedule and relative triggers work with every catalogue PMS.
    assert_accepted(&account, |_| {});
}

#[test]
fn chatbot_must_be_offered() {
    refused(|c| c["chatbot_id"] = json!("bot-x"), &[("chatbot_id", codes::NOT_OFFERED)]);

    let mut hidden = Account::example();
    hidden.user.chatbot_ids = Some(Vec::new());
    assert_refused(&hidden, |_| {}, &[("chatbot_id", codes::NOT_OFFERED)]);

    let mut elsewhere = Account::example();
    elsewhere.chatbots[0].property_ids = vec!["p-porto".into()];
    assert_refused(&elsewhere, |_| {}, &[("chatbot_id", codes::NOT_OFFERED)]);

    let mut every_property = Account::example();
    every_property.chatbots[0].property_ids = Vec::new();
    assert_accepted(&every_property, |_| {});

    let mut silent = Account::example();
    silent.chatbots[0].whatsapp = None;
    silent.chatbots[0].sms = None;
    let errors = silent.errors(&base_campaign());
    assert_eq!(errors[0], ("chatbot_id".to_string(), codes::NOT_OFFERED.to_string()));
}

// ------------------------------------------------------------------ step 2: period and trigger

#[test]
fn period_start_is_not_after_end() {
    refused(
        |c| c["period"] = json!({"start": "2026-09-30", "end": "2026-06-01"}),
        &[("period.end", codes::INVALID_ORDER)],
    );
    accepted(|c| c["period"] = json!({"start": "2026-06-01", "end": "2026-06-01"}));
    accepted(|c| c["period"] = json!({"start": "2026-06-01", "end": null}));
    accepted(|c| c["period"] = json!({"end": "2026-06-01"}));
    accepted(|c| remove(c, "period"));
    refused(|c| c["period"]["start"] = json!("2026-02-30"), &[("period.start", codes::INVALID_FORMAT)]);
    refused(|c| c["period"] = Value::Null, &[("period", codes::INVALID_TYPE)]);
}

#[test]
fn schedule_hours_are_0_to_23_and_unique() {
    refused(|c| c["trigger"]["hours"] = json!([24]), &[("trigger.hours[0]", codes::OUT_OF_RANGE)]);
    refused(|c| c["trigger"]["hours"] = json!([0, 23, -1]), &[("trigger.hours[2]", codes::OUT_OF_RANGE)]);
    refused(|c| c["trigger"]["hours"] = json!([10, 12, 10]), &[("trigger.hours[2]", codes::DUPLICATE)]);
    refused(|c| c["trigger"]["hours"] = json!([]), &[("trigger.hours", codes::EMPTY)]);
    refused(|c| c["trigger"]["hours"] = json!(["10"]), &[("trigger.hours[0]", codes::INVALID_TYPE)]);
    refused(|c| c["trigger"]["hours"] = json!([10.5]), &[("trigger.hours[0]", codes::INVALID_TYPE)]);
    accepted(|c| c["trigger"]["hours"] = json!([0, 23]));
}

#[test]
fn schedule_days_are_non_empty_and_unique() {
    refused(|c| c["trigger"]["days"] = json!([]), &[("trigger.days", codes::EMPTY)]);
    refused(|c| c["trigger"]["days"] = json!(["mon", "mon"]), &[("trigger.days[1]", codes::DUPLICATE)]);
    refused(|c| c["trigger"]["days"] = json!(["monday"]), &[("trigger.days[0]", codes::INVALID_VALUE)]);
    refused(|c| remove(&mut c["trigger"], "days"), &[("trigger.days", codes::REQUIRED)]);
}

#[test]
fn trigger_type_is_known_and_fields_fit_it() {
    refused(|c| c["trigger"]["type"] = json!("cron"), &[("trigger.type", codes::INVALID_VALUE)]);
    refused(|c| c["trigger"]["anchor"] = json!("check_in"), &[("trigger.anchor", codes::UNKNOWN_FIELD)]);
}

#[test]
fn relative_trigger_shape() {
    let relative = |c: &mut Value| {
        c["trigger"] = json!({"type": "relative", "anchor": "check_in", "offset_days": -2, "at": "10:00"});
        c["target"] = json!({"statuses": ["confirmed"]});
    };
    accepted(relative);
    accepted(|c| {
        relative(c);
        remove(&mut c["target"], "statuses"); // default statuses
    });
    refused(
        |c| {
            relative(c);
            c["trigger"]["at"] = json!("10h");
        },
        &[("trigger.at", codes::INVALID_FORMAT)],
    );
    refused(
        |c| {
            relative(c);
            c["trigger"]["anchor"] = json!("arrival");
        },
        &[("trigger.anchor", codes::INVALID_VALUE)],
    );
    refused(
        |c| {
            relative(c);
            c["trigger"]["offset_days"] = json!(100_000);
        },
        &[("trigger.offset_days", codes::OUT_OF_RANGE)],
    );
}

// ------------------------------------------------------------------ step 3: target

#[test]
fn schedule_target_needs_status_anchor_and_offset_only() {
    refused(|c| remove(&mut c["target"], "anchor"), &[("target.anchor", codes::REQUIRED)]);
    refused(|c| remove(&mut c["target"], "send_offset_days"), &[("target.send_offset_days", codes::REQUIRED)]);
    refused(|c| c["target"]["status"] = json!("arrived"), &[("target.status", codes::INVALID_VALUE)]);
    refused(|c| c["target"]["anchor"] = json!("confirmation"), &[("target.anchor", codes::INVALID_VALUE)]);
    refused(|c| c["target"]["statuses"] = json!(["confirmed"]), &[("target.statuses", codes::NOT_APPLICABLE)]);
    refused(|c| c["target"]["send_offset_days"] = json!("-3"), &[("target.send_offset_days", codes::INVALID_TYPE)]);
    accepted(|c| c["target"]["send_offset_days"] = json!(0));
}

#[test]
fn status_change_target_needs_status_only() {
    let status_change = |c: &mut Value| c["trigger"] = json!({"type": "status_change"});
    refused(
        status_change, // the base target has anchor and send_offset_days
        &[("target.anchor", codes::NOT_APPLICABLE), ("target.send_offset_days", codes::NOT_APPLICABLE)],
    );
    refused(
        |c| {
            status_change(c);
            c["target"] = json!({});
        },
        &[("target.status", codes::REQUIRED)],
    );
}

#[test]
fn relative_target_statuses_are_optional_but_not_empty() {
    let relative = |c: &mut Value| {
        c["trigger"] = json!({"type": "relative", "anchor": "confirmation", "offset_days": 1});
        c["target"] = json!({});
    };
    accepted(relative);
    refused(
        |c| {
            relative(c);
            c["target"]["statuses"] = json!([]);
        },
        &[("target.statuses", codes::EMPTY)],
    );
    refused(
        |c| {
            relative(c);
            c["target"]["statuses"] = json!(["confirmed", "confirmed"]);
        },
        &[("target.statuses[1]", codes::DUPLICATE)],
    );
    refused(
        |c| {
            relative(c);
            c["target"]["status"] = json!("confirmed");
        },
        &[("target.status", codes::NOT_APPLICABLE)],
    );
}

// ------------------------------------------------------------------ step 4: channel

#[test]
fn fallback_only_after_whatsapp() {
    refused(
        |c| {
            c["channel"] = json!({"primary": "sms", "fallback": "sms"});
            remove(&mut c["messages"]["en"], "whatsapp");
            remove(&mut c["messages"]["pt"], "whatsapp");
        },
        &[("channel.fallback", codes::INVALID_FALLBACK)],
    );
    accepted(|c| {
        c["channel"] = json!({"primary": "sms", "fallback": null});
        remove(&mut c["messages"]["en"], "whatsapp");
        remove(&mut c["messages"]["pt"], "whatsapp");
    });
}

#[test]
fn fallback_is_sms() {
    refused(
        |c| {
            c["channel"] = json!({"primary": "whatsapp", "fallback": "whatsapp"});
            remove(&mut c["messages"]["en"], "sms");
            remove(&mut c["messages"]["pt"], "sms");
        },
        &[("channel.fallback", codes::INVALID_FALLBACK)],
    );
    refused(|c| c["channel"]["fallback"] = json!("email"), &[("channel.fallback", codes::INVALID_VALUE)]);
}

#[test]
fn channels_are_owned_by_the_chatbot() {
    let mut no_sms = Account::example();
    no_sms.chatbots[0].sms = None;
    assert_refused(&no_sms, |_| {}, &[("channel.fallback", codes::CHANNEL_NOT_OWNED)]);
    let mut no_whatsapp = Account::example();
    no_whatsapp.chatbots[0].whatsapp = None;
    assert_refused(&no_whatsapp, |_| {}, &[("channel.primary", codes::CHANNEL_NOT_OWNED)]);
}

// ------------------------------------------------------------------ step 5: messages

#[test]
fn english_is_always_present() {
    refused(|c| remove(&mut c["messages"], "en"), &[("messages.en", codes::REQUIRED)]);
}

#[test]
fn languages_are_english_or_the_chatbots() {
    let mut account = Account::example();
    account.chatbots[0].languages = vec!["en".into(), "fr".into()];
    assert_refused(&account, |_| {}, &[("messages.pt", codes::LANGUAGE_NOT_OFFERED)]);
    // English needs no listing.
    account.chatbots[0].languages = vec!["pt".into()];
    assert_accepted(&account, |_| {});
}

#[test]
fn every_language_has_content_for_every_channel_in_use() {
    refused(|c| remove(&mut c["messages"]["pt"], "sms"), &[("messages.pt.sms", codes::CONTENT_MISSING)]);
    refused(|c| remove(&mut c["messages"]["en"], "whatsapp"), &[("messages.en.whatsapp", codes::CONTENT_MISSING)]);
    refused(|c| c["messages"]["pt"]["sms"] = Value::Null, &[("messages.pt.sms", codes::CONTENT_MISSING)]);
}

#[test]
fn no_content_for_a_channel_not_in_use() {
    refused(
        |c| c["channel"]["fallback"] = Value::Null,
        &[("messages.en.sms", codes::CONTENT_UNUSED), ("messages.pt.sms", codes::CONTENT_UNUSED)],
    );
}

#[test]
fn whatsapp_text_body_up_to_1600_characters() {
    accepted(|c| c["messages"]["en"]["whatsapp"]["body"] = json!("ã".repeat(1600)));
    refused(
        |c| c["messages"]["en"]["whatsapp"]["body"] = json!("ã".repeat(1601)),
        &[("messages.en.whatsapp.body", codes::TOO_LONG)],
    );
}

#[test]
fn quick_reply_body_up_to_1024_characters() {
    accepted(|c| c["messages"]["pt"]["whatsapp"]["body"] = json!("ç".repeat(1024)));
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["body"] = json!("ç".repeat(1025)),
        &[("messages.pt.whatsapp.body", codes::TOO_LONG)],
    );
}

#[test]
fn call_to_action_body_up_to_640_characters() {
    let with_body = |body: String| {
        move |c: &mut Value| {
            let mut content = call_to_action();
            content["body"] = json!(body);
            c["messages"]["en"]["whatsapp"] = content;
        }
    };
    accepted(with_body("é".repeat(640)));
    refused(with_body("é".repeat(641)), &[("messages.en.whatsapp.body", codes::TOO_LONG)]);
}

#[test]
fn sms_body_up_to_160_characters() {
    accepted(|c| c["messages"]["en"]["sms"]["body"] = json!("😀".repeat(160)));
    refused(
        |c| c["messages"]["en"]["sms"]["body"] = json!("😀".repeat(161)),
        &[("messages.en.sms.body", codes::TOO_LONG)],
    );
}

#[test]
fn bodies_are_not_empty() {
    refused(|c| c["messages"]["en"]["sms"]["body"] = json!(""), &[("messages.en.sms.body", codes::EMPTY)]);
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["body"] = json!(" \n "),
        &[("messages.pt.whatsapp.body", codes::EMPTY)],
    );
    refused(|c| remove(&mut c["messages"]["en"]["sms"], "body"), &[("messages.en.sms.body", codes::REQUIRED)]);
}

#[test]
fn content_types() {
    refused(
        |c| c["messages"]["en"]["sms"]["type"] = json!("quick_reply"),
        &[("messages.en.sms.type", codes::INVALID_VALUE)],
    );
    refused(
        |c| c["messages"]["en"]["whatsapp"]["type"] = json!("image"),
        &[("messages.en.whatsapp.type", codes::INVALID_VALUE)],
    );
    refused(
        |c| c["messages"]["en"]["whatsapp"]["buttons"] = json!([]),
        &[("messages.en.whatsapp.buttons", codes::UNKNOWN_FIELD)],
    );
}

#[test]
fn quick_reply_has_1_to_3_buttons() {
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"] = json!([]),
        &[("messages.pt.whatsapp.buttons", codes::TOO_FEW)],
    );
    refused(
        |c| {
            let button = json!({"title": "More", "faq_id": "faq-1"});
            c["messages"]["pt"]["whatsapp"]["buttons"] =
                json!([button.clone(), button.clone(), button.clone(), button]);
        },
        &[("messages.pt.whatsapp.buttons", codes::TOO_MANY)],
    );
    refused(
        |c| remove(&mut c["messages"]["pt"]["whatsapp"], "buttons"),
        &[("messages.pt.whatsapp.buttons", codes::REQUIRED)],
    );
}

#[test]
fn button_titles_are_1_to_20_characters() {
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][1]["title"] = json!("Perguntas frequentes!"),
        &[("messages.pt.whatsapp.buttons[1].title", codes::TOO_LONG)],
    );
    accepted(|c| c["messages"]["pt"]["whatsapp"]["buttons"][1]["title"] = json!("Perguntas frequentes"));
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][0]["title"] = json!(""),
        &[("messages.pt.whatsapp.buttons[0].title", codes::EMPTY)],
    );
}

#[test]
fn quick_reply_button_links_exactly_one_flow_or_faq() {
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][0]["faq_id"] = json!("faq-1"),
        &[("messages.pt.whatsapp.buttons[0]", codes::EXACTLY_ONE)],
    );
    refused(
        |c| remove(&mut c["messages"]["pt"]["whatsapp"]["buttons"][1], "faq_id"),
        &[("messages.pt.whatsapp.buttons[1]", codes::EXACTLY_ONE)],
    );
}

#[test]
fn quick_reply_buttons_name_a_faq_or_flow_of_the_chatbot() {
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][1]["faq_id"] = json!("faq-unknown"),
        &[("messages.pt.whatsapp.buttons[1].faq_id", codes::UNKNOWN_REFERENCE)],
    );
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][0]["flow_id"] = json!("flow-none"),
        &[("messages.pt.whatsapp.buttons[0].flow_id", codes::UNKNOWN_REFERENCE)],
    );
    // An FAQ id is not a flow id, whatever the spelling.
    refused(
        |c| {
            remove(&mut c["messages"]["pt"]["whatsapp"]["buttons"][1], "faq_id");
            c["messages"]["pt"]["whatsapp"]["buttons"][1]["flow_id"] = json!("faq-1");
        },
        &[("messages.pt.whatsapp.buttons[1].flow_id", codes::UNKNOWN_REFERENCE)],
    );
    // Without an account (a lone campaign), the reference cannot be judged.
    let mut body = base_campaign();
    body["messages"]["pt"]["whatsapp"]["buttons"][1]["faq_id"] = json!("faq-unknown");
    assert!(validate_campaign_structure(&body).is_ok());
}

#[test]
fn chatbot_catalogue_needs_english_and_unique_ids() {
    scenario_refused(
        |d| d["chatbots"][0]["faqs"][0]["answer"] = json!({"pt": "Sim"}),
        &[("chatbots[0].faqs[0].answer.en", codes::REQUIRED)],
    );
    scenario_refused(
        |d| d["chatbots"][0]["faqs"][0]["question"] = json!({"en": " "}),
        &[("chatbots[0].faqs[0].question.en", codes::EMPTY)],
    );
    scenario_refused(
        |d| d["chatbots"][0]["faqs"][0]["answer"]["zz zz"] = json!("?"),
        &[("chatbots[0].faqs[0].answer[\"zz zz\"]", codes::INVALID_VALUE)],
    );
    scenario_refused(
        |d| d["chatbots"][0]["flows"] = json!([{"id": "f", "name": "A"}, {"id": "f", "name": "B"}]),
        &[("chatbots[0].flows[1]", codes::DUPLICATE)],
    );
    scenario_refused(
        |d| d["chatbots"][0]["flows"][0]["id"] = json!("has space"),
        &[("chatbots[0].flows[0].id", codes::INVALID_FORMAT)],
    );
    scenario_refused(
        |d| d["chatbots"][0]["flows"][0]["label"] = json!("x"),
        &[("chatbots[0].flows[0].label", codes::UNKNOWN_FIELD)],
    );
}

#[test]
fn a_chatbot_change_orphaning_a_button_is_found() {
    use relais_domain::model::{Campaign, CampaignStatus};
    use relais_domain::validate::orphaned_buttons;
    let account = Account::example();
    let spec = account.validate(&base_campaign()).expect("valid");
    let mut campaign: Campaign = serde_json::from_value(json!({
        "id": "pre-3d", "account_id": "acc-1", "created_by": "u-ed", "status": "active", "version": 1,
        "created_at": "2026-06-01T09:00:00Z", "updated_at": "2026-06-01T09:00:00Z",
        "category": "pre_stay", "name": "x", "property_id": "p-lis", "chatbot_id": "bot-1",
        "trigger": {"type": "status_change"}, "target": {"status": "checked_in"},
        "channel": {"primary": "whatsapp", "fallback": null}, "messages": {}
    }))
    .expect("campaign");
    campaign.spec = spec;
    let mut chatbot = account.chatbots[0].clone();
    assert!(orphaned_buttons(&chatbot, &campaign).is_empty());
    chatbot.faqs.clear();
    assert_eq!(orphaned_buttons(&chatbot, &campaign), vec!["messages.pt.whatsapp.buttons[1].faq_id".to_string()]);
    chatbot.flows.clear();
    assert_eq!(orphaned_buttons(&chatbot, &campaign).len(), 2);
    campaign.status = CampaignStatus::Archived;
    assert!(orphaned_buttons(&chatbot, &campaign).is_empty(), "an archived campaign never sends again");
}

#[test]
fn call_to_action_buttons() {
    let set = |buttons: Value| {
        move |c: &mut Value| {
            let mut content = call_to_action();
            content["buttons"] = buttons;
            c["messages"]["en"]["whatsapp"] = content;
        }
    };
    accepted(set(call_to_action()["buttons"].clone()));
    let phone = json!({"type": "phone", "title": "Call us", "phone": "+351210000000"});
    let url = json!({"type": "url", "title": "Map", "url": "https://example.com/map"});
    refused(set(json!([])), &[("messages.en.whatsapp.buttons", codes::TOO_FEW)]);
    refused(
        set(json!([phone.clone(), url.clone(), url.clone()])),
        &[
            ("messages.en.whatsapp.buttons", codes::TOO_MANY),
            ("messages.en.whatsapp.buttons[2].type", codes::DUPLICATE),
        ],
    );
    refused(set(json!([phone.clone(), phone.clone()])), &[("messages.en.whatsapp.buttons[1].type", codes::DUPLICATE)]);
    refused(set(json!([url.clone(), url.clone()])), &[("messages.en.whatsapp.buttons[1].type", codes::DUPLICATE)]);
    accepted(set(json!([url.clone()])));
    let mut bad_phone = phone.clone();
    bad_phone["phone"] = json!("00351210000000");
    refused(set(json!([bad_phone])), &[("messages.en.whatsapp.buttons[0].phone", codes::INVALID_PHONE)]);
    let mut short_phone = phone.clone();
    short_phone["phone"] = json!("+1234567");
    refused(set(json!([short_phone])), &[("messages.en.whatsapp.buttons[0].phone", codes::INVALID_PHONE)]);
    let mut http = url.clone();
    http["url"] = json!("http://example.com/map");
    refused(set(json!([phone.clone(), http])), &[("messages.en.whatsapp.buttons[1].url", codes::INVALID_URL)]);
    let mut no_host = url.clone();
    no_host["url"] = json!("https:///map");
    refused(set(json!([no_host])), &[("messages.en.whatsapp.buttons[0].url", codes::INVALID_URL)]);
    let mut mixed = url;
    mixed["phone"] = json!("+351210000000");
    refused(set(json!([mixed])), &[("messages.en.whatsapp.buttons[0].phone", codes::UNKNOWN_FIELD)]);
}

#[test]
fn unknown_variables_are_refused_at_save_time() {
    let mut body = base_campaign();
    body["messages"]["en"]["sms"]["body"] = json!("Hi {{guest_nickname}}!");
    let errors = Account::example().validate(&body).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("messages.en.sms.body", codes::UNKNOWN_VARIABLE));
    assert!(errors[0].message.contains("guest_nickname"), "{}", errors[0].message);
    accepted(|c| c["messages"]["en"]["sms"]["body"] = json!("Hi {{guest_first_name|there}}, room {{unit_name|}}"));
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["body"] = json!("Olá {{eta}} {{ nope }}"),
        &[("messages.pt.whatsapp.body", codes::UNKNOWN_VARIABLE)],
    );
}

#[test]
fn whatsapp_bodies_refuse_blank_defaults_that_meta_would_refuse() {
    // SMS may render an empty default; a WhatsApp template parameter may not be empty.
    accepted(|c| c["messages"]["en"]["sms"]["body"] = json!("Hi {{guest_first_name}}, room {{unit_name|}}"));
    accepted(|c| c["messages"]["en"]["whatsapp"]["body"] = json!("Hi {{guest_first_name|there}}, room {{unit_name}}"));
    refused(
        |c| c["messages"]["en"]["whatsapp"]["body"] = json!("Hi {{guest_first_name}}, room {{unit_name| }}"),
        &[("messages.en.whatsapp.body", codes::EMPTY)],
    );
    let errors = Account::example()
        .validate(&{
            let mut body = base_campaign();
            body["messages"]["pt"]["whatsapp"]["body"] = json!("Olá {{guest_first_name|}}!");
            body
        })
        .unwrap_err();
    assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("messages.pt.whatsapp.body", codes::EMPTY));
    assert!(errors[0].message.contains("guest_first_name"), "{}", errors[0].message);
}

#[test]
fn malformed_placeholders_are_refused() {
    refused(
        |c| c["messages"]["en"]["sms"]["body"] = json!("Hi {{guest_first_name"),
        &[("messages.en.sms.body", codes::MALFORMED_TEMPLATE)],
    );
    refused(
        |c| c["messages"]["en"]["whatsapp"]["body"] = json!("Hi {{}}"),
        &[("messages.en.whatsapp.body", codes::MALFORMED_TEMPLATE)],
    );
}

// ------------------------------------------------------------------ conditions

#[test]
fn reservation_conditions() {
    refused(
        |c| c["reservation_conditions"][0]["value"] = json!(["airbnb", "booking.com"]),
        &[("reservation_conditions[0].value[1]", codes::INVALID_VALUE)],
    );
    refused(
        |c| c["reservation_conditions"][0]["op"] = json!("is"),
        &[("reservation_conditions[0].op", codes::INVALID_VALUE)],
    );
    refused(
        |c| c["reservation_conditions"][0]["value"] = json!([]),
        &[("reservation_conditions[0].value", codes::EMPTY)],
    );
    refused(
        |c| c["reservation_conditions"][0]["type"] = json!("guests_count"),
        &[("reservation_conditions[0].type", codes::INVALID_VALUE)],
    );
    accepted(|c| c["reservation_conditions"] = json!([{"type": "unit", "op": "not_in", "value": ["101", "102"]}]));
    refused(
        |c| c["reservation_conditions"] = json!([{"type": "unit", "op": "in", "value": ["101", "999"]}]),
        &[("reservation_conditions[0].value[1]", codes::UNKNOWN_REFERENCE)],
    );
}

/// Each condition of Appendix A.3 is valid on its own.
fn appendix_message_conditions() -> Vec<Value> {
    vec![
        json!({"type": "guests_count", "op": "more_than", "value": 2}),
        json!({"type": "fully_paid", "value": true}),
        json!({"type": "planned_arrival", "op": "after", "value": "18:00"}),
        json!({"type": "eta_provided", "value": false}),
        json!({"type": "preferred_language", "op": "is", "value": ["fr", "pt"]}),
        json!({"type": "hometown", "op": "contains", "value": "lis"}),
        json!({"type": "guest_app_form_submitted", "app_id": "upsell", "value": true}),
        json!({"type": "review_submitted", "value": true, "min_ratings": {"cleanliness": 4}}),
        json!({"type": "authorization_hold", "value": "succeeded"}),
        json!({"type": "payment", "value": "pending_authentication"}),
        json!({"type": "available_nights", "side": "after", "days": "weekends", "max_gap_nights": 2, "value": true}),
        json!({"type": "total_payout", "op": "more_than", "value": "500.00"}),
        json!({"type": "custom_field", "key": "vip", "value": true}),
    ]
}

fn every_other_message_condition() -> Vec<Value> {
    vec![
        json!({"type": "check_in_form_submitted", "value": true}),
        json!({"type": "contract_signed", "value": false}),
        json!({"type": "planned_departure", "op": "before", "value": "09:30"}),
        json!({"type": "etd_provided", "value": true}),
        json!({"type": "returning_guest", "value": true}),
        json!({"type": "auto_review_enabled", "value": true}),
        json!({"type": "security_deposit", "value": "failed"}),
        json!({"type": "guests_count", "op": "is", "value": 0}),
    ]
}

#[test]
fn every_condition_shape_is_accepted() {
    let mut all = appendix_message_conditions();
    all.extend(every_other_message_condition());
    let spec = accepted(|c| c["message_conditions"] = json!(all));
    assert_eq!(spec.message_conditions.len(), 21);
}

#[test]
fn review_conditions_are_accepted_for_any_source() {
    // They evaluate false where the source has no reviews; saving them is always allowed.
    accepted(|c| {
        c["reservation_conditions"] = json!([{"type": "source", "op": "in", "value": ["direct"]}]);
        c["message_conditions"] =
            json!([{"type": "auto_review_enabled", "value": true}, {"type": "review_submitted", "value": false}]);
    });
}

#[track_caller]
fn condition_refused(condition: Value, field: &str, code: &str) {
    let path = format!("message_conditions[0]{field}");
    refused(|c| c["message_conditions"] = json!([condition]), &[(path.as_str(), code)]);
}

#[test]
fn message_conditions_are_typed() {
    condition_refused(json!({"type": "vip", "value": true}), ".type", codes::INVALID_VALUE);
    condition_refused(json!({"value": true}), ".type", codes::REQUIRED);
    condition_refused(json!("fully_paid"), "", codes::INVALID_TYPE);
    condition_refused(json!({"type": "guests_count", "op": "at_least", "value": 2}), ".op", codes::INVALID_VALUE);
    condition_refused(json!({"type": "guests_count", "op": "is", "value": -1}), ".value", codes::OUT_OF_RANGE);
    condition_refused(json!({"type": "guests_count", "op": "is", "value": "2"}), ".value", codes::INVALID_TYPE);
    condition_refused(json!({"type": "guests_count", "value": 2}), ".op", codes::REQUIRED);
    condition_refused(json!({"type": "fully_paid", "value": "yes"}), ".value", codes::INVALID_TYPE);
    condition_refused(json!({"type": "fully_paid", "op": "is", "value": true}), ".op", codes::UNKNOWN_FIELD);
    condition_refused(
        json!({"type": "planned_arrival", "op": "after", "value": "24:00"}),
        ".value",
        codes::INVALID_FORMAT,
    );
    condition_refused(json!({"type": "planned_departure", "op": "is", "value": "10:00"}), ".op", codes::INVALID_VALUE);
    condition_refused(json!({"type": "preferred_language", "op": "is", "value": []}), ".value", codes::EMPTY);
    condition_refused(
        json!({"type": "preferred_language", "op": "contains", "value": ["fr"]}),
        ".op",
        codes::INVALID_VALUE,
    );
    condition_refused(
        json!({"type": "preferred_language", "op": "is", "value": ["fr", "français"]}),
        ".value[1]",
        codes::INVALID_VALUE,
    );
    condition_refused(json!({"type": "hometown", "op": "contains", "value": ""}), ".value", codes::EMPTY);
    condition_refused(json!({"type": "total_payout", "op": "more_than", "value": 500}), ".value", codes::INVALID_TYPE);
    condition_refused(
        json!({"type": "total_payout", "op": "more_than", "value": "500,00"}),
        ".value",
        codes::INVALID_FORMAT,
    );
    condition_refused(json!({"type": "total_payout", "op": "is_not", "value": "5"}), ".op", codes::INVALID_VALUE);
    condition_refused(json!({"type": "guest_app_form_submitted", "value": true}), ".app_id", codes::REQUIRED);
    condition_refused(json!({"type": "custom_field", "key": " ", "value": true}), ".key", codes::EMPTY);
    condition_refused(
        json!({"type": "review_submitted", "value": true, "min_ratings": {"cleanliness": 6}}),
        ".min_ratings.cleanliness",
        codes::OUT_OF_RANGE,
    );
    condition_refused(
        json!({"type": "review_submitted", "value": true, "min_ratings": {"cleanliness": 0}}),
        ".min_ratings.cleanliness",
        codes::OUT_OF_RANGE,
    );
    condition_refused(
        json!({"type": "review_submitted", "value": false, "min_ratings": {"cleanliness": 4}}),
        ".min_ratings",
        codes::NOT_APPLICABLE,
    );
    condition_refused(
        json!({"type": "authorization_hold", "value": "pending_authentication"}),
        ".value",
        codes::INVALID_VALUE,
    );
    condition_refused(json!({"type": "payment", "value": true}), ".value", codes::INVALID_TYPE);
    condition_refused(
        json!({"type": "available_nights", "side": "after", "days": "weekends", "max_gap_nights": 0}),
        ".max_gap_nights",
        codes::OUT_OF_RANGE,
    );
    condition_refused(
        json!({"type": "available_nights", "side": "around", "days": "any", "max_gap_nights": 1}),
        ".side",
        codes::INVALID_VALUE,
    );
    condition_refused(
        json!({"type": "available_nights", "side": "after", "days": "sundays", "max_gap_nights": 1}),
        ".days",
        codes::INVALID_VALUE,
    );
    condition_refused(
        json!({"type": "available_nights", "side": "after", "days": "any", "max_gap_nights": 1, "value": null}),
        ".value",
        codes::INVALID_TYPE,
    );
}

// ------------------------------------------------------------------ unknown fields, types, all at once

#[test]
fn unknown_fields_are_refused_with_their_path() {
    refused(|c| c["nmae"] = json!("typo"), &[("nmae", codes::UNKNOWN_FIELD)]);
    refused(|c| c["trigger"]["hour"] = json!([10]), &[("trigger.hour", codes::UNKNOWN_FIELD)]);
    refused(|c| c["period"]["from"] = json!("2026-06-01"), &[("period.from", codes::UNKNOWN_FIELD)]);
    refused(|c| c["channel"]["backup"] = json!("sms"), &[("channel.backup", codes::UNKNOWN_FIELD)]);
    refused(|c| c["target"]["offset"] = json!(1), &[("target.offset", codes::UNKNOWN_FIELD)]);
    refused(|c| c["messages"]["pt"]["email"] = json!({}), &[("messages.pt.email", codes::UNKNOWN_FIELD)]);
    refused(
        |c| c["messages"]["pt"]["whatsapp"]["buttons"][1]["colour"] = json!("red"),
        &[("messages.pt.whatsapp.buttons[1].colour", codes::UNKNOWN_FIELD)],
    );
    refused(
        |c| c["message_conditions"][0]["negate"] = json!(true),
        &[("message_conditions[0].negate", codes::UNKNOWN_FIELD)],
    );
    refused(|c| c["id"] = json!("pre-3d"), &[("id", codes::UNKNOWN_FIELD)]);
}

#[test]
fn wrong_types_are_named_with_their_path() {
    refused(|c| c["name"] = json!(5), &[("name", codes::INVALID_TYPE)]);
    refused(|c| c["messages"] = json!([]), &[("messages", codes::INVALID_TYPE)]);
    refused(|c| c["message_conditions"] = json!({}), &[("message_conditions", codes::INVALID_TYPE)]);
    let errors = Account::example().validate(&json!([1, 2])).unwrap_err();
    assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), ("", codes::INVALID_TYPE));
}

#[test]
fn every_error_is_reported_at_once() {
    let mut body = base_campaign();
    body["name"] = json!("");
    body["trigger"]["hours"] = json!([10, 99]);
    body["messages"]["pt"]["whatsapp"]["buttons"][1]["title"] = json!("x".repeat(21));
    body["messages"]["en"]["sms"]["body"] = json!("{{nope}}");
    body["message_conditions"][0]["value"] = json!("no");
    body["extra"] = json!(1);
    assert_eq!(
        Account::example().errors(&body),
        pairs(&[
            ("extra", codes::UNKNOWN_FIELD),
            ("name", codes::EMPTY),
            ("trigger.hours[1]", codes::OUT_OF_RANGE),
            ("messages.en.sms.body", codes::UNKNOWN_VARIABLE),
            ("messages.pt.whatsapp.buttons[1].title", codes::TOO_LONG),
            ("message_conditions[0].value", codes::INVALID_TYPE),
        ])
    );
}

#[test]
fn odd_map_keys_get_unambiguous_paths() {
    refused(
        |c| c["messages"]["p.t"] = c["messages"]["pt"].clone(),
        &[("messages[\"p.t\"]", codes::LANGUAGE_NOT_OFFERED)],
    );
}

// ------------------------------------------------------------------ creation lists

#[test]
fn creation_lists_show_what_the_user_may_use() {
    let mut account = Account::example();
    let mut outside = account.properties[0].clone();
    outside.id = "p-x".into();
    outside.pms = "opera5".into();
    let mut hidden = account.properties[0].clone();
    hidden.id = "p-hidden".into();
    account.properties.extend([outside, hidden]);
    account.user.property_ids = Some(vec!["p-lis".into(), "p-x".into()]);
    let ids: Vec<&str> = offered_properties(&account.ctx()).iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p-lis"]);

    let mut silent = account.chatbots[0].clone();
    silent.id = "bot-silent".into();
    silent.whatsapp = None;
    silent.sms = None;
    let mut porto = account.chatbots[0].clone();
    porto.id = "bot-porto".into();
    porto.property_ids = vec!["p-porto".into()];
    let mut everywhere = account.chatbots[0].clone();
    everywhere.id = "bot-all".into();
    everywhere.property_ids = Vec::new();
    everywhere.whatsapp = None;
    let mut secret = account.chatbots[0].clone();
    secret.id = "bot-secret".into();
    account.chatbots.extend([silent, porto, everywhere, secret]);
    account.user.chatbot_ids =
        Some(["bot-1", "bot-silent", "bot-porto", "bot-all"].iter().map(|s| s.to_string()).collect());
    let ctx = account.ctx();
    let ids = |property: Option<&str>| -> Vec<String> {
        offered_chatbots(&ctx, property).iter().map(|b| b.id.clone()).collect()
    };
    assert_eq!(ids(Some("p-lis")), ["bot-1", "bot-all"]);
    assert_eq!(ids(Some("p-porto")), ["bot-porto", "bot-all"]);
    assert_eq!(ids(None), ["bot-1", "bot-porto", "bot-all"]);
}

// ------------------------------------------------------------------ scenarios

#[test]
fn the_spec_example_parses() {
    let (scenario, specs) = parse_scenario(&example()).expect("valid");
    assert_eq!(scenario.version, 1);
    assert_eq!(scenario.sweep_every_minutes, 5);
    assert_eq!(scenario.users.len(), 2);
    assert_eq!(scenario.providers.whatsapp_rejects, ["+15550002222"]);
    assert!(scenario.providers.sms_rejects.is_empty());
    assert_eq!(scenario.campaigns.len(), 1);
    assert_eq!(scenario.campaigns[0].id, "pre-3d");
    assert!(scenario.campaigns[0].approve);
    assert_eq!(scenario.campaigns[0].body, base_campaign());
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].name, "Welcome, 3 days out");
    assert_eq!(scenario.events.len(), 3);
    // The webhook body stays raw JSON.
    let relais_domain::scenario::EventKind::PmsWebhook(webhook) = &scenario.events[0].kind else {
        panic!("first event is a webhook")
    };
    assert_eq!(webhook.body, example()["events"][0]["pms_webhook"]["body"]);
}

fn scenario_errors(mutate: impl FnOnce(&mut Value)) -> Vec<(String, String)> {
    let mut doc = example();
    mutate(&mut doc);
    match parse_scenario(&doc) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

#[track_caller]
fn scenario_refused(mutate: impl FnOnce(&mut Value), expected: &[(&str, &str)]) {
    assert_eq!(scenario_errors(mutate), pairs(expected));
}

#[track_caller]
fn scenario_accepted(mutate: impl FnOnce(&mut Value)) {
    assert_eq!(scenario_errors(mutate), Vec::<(String, String)>::new());
}

#[test]
fn scenario_campaign_errors_are_prefixed() {
    scenario_refused(
        |d| d["campaigns"][0]["messages"]["en"]["sms"]["body"] = json!("x".repeat(161)),
        &[("campaigns[0].messages.en.sms.body", codes::TOO_LONG)],
    );
    scenario_refused(|d| d["campaigns"][0]["colour"] = json!("red"), &[("campaigns[0].colour", codes::UNKNOWN_FIELD)]);
}

#[test]
fn scenario_times() {
    scenario_refused(|d| d["end"] = d["start"].clone(), &[("end", codes::INVALID_ORDER)]);
    scenario_refused(|d| d["start"] = json!("2026-06-01 00:00"), &[("start", codes::INVALID_FORMAT)]);
    scenario_refused(|d| remove(d, "end"), &[("end", codes::REQUIRED)]);
    scenario_refused(|d| d["sweep_every_minutes"] = json!(0), &[("sweep_every_minutes", codes::OUT_OF_RANGE)]);
    scenario_refused(|d| d["sweep_every_minutes"] = json!(1441), &[("sweep_every_minutes", codes::OUT_OF_RANGE)]);
    scenario_refused(|d| d["version"] = json!(2), &[("version", codes::INVALID_VALUE)]);
    let mut doc = example();
    remove(&mut doc, "sweep_every_minutes");
    remove(&mut doc, "version");
    let (scenario, _) = parse_scenario(&doc).expect("defaults apply");
    assert_eq!((scenario.sweep_every_minutes, scenario.version), (5, 1));
}

#[test]
fn scenario_unknown_top_level_field() {
    scenario_refused(|d| d["sweep_every_minute"] = json!(5), &[("sweep_every_minute", codes::UNKNOWN_FIELD)]);
    scenario_refused(|d| d["providers"]["email"] = json!({}), &[("providers.email", codes::UNKNOWN_FIELD)]);
    scenario_refused(
        |d| d["providers"]["sms"] = json!({"rejects": ["555"]}),
        &[("providers.sms.rejects[0]", codes::INVALID_PHONE)],
    );
}

#[test]
fn scenario_users() {
    scenario_refused(|d| d["users"][1]["id"] = json!("u-ed"), &[("users[1].id", codes::DUPLICATE)]);
    scenario_refused(|d| d["users"][1]["role"] = json!("owner"), &[("users[1].role", codes::INVALID_VALUE)]);
    scenario_refused(|d| remove(&mut d["users"][1], "role"), &[("users[1].role", codes::REQUIRED)]);
    scenario_refused(|d| d["users"][0]["nick"] = json!("ed"), &[("users[0].nick", codes::UNKNOWN_FIELD)]);
    scenario_refused(
        |d| d["users"][0]["property_ids"] = json!(["p-lis", "p-nowhere"]),
        &[("users[0].property_ids[1]", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(
        |d| d["users"][0]["account_id"] = json!("acc-2"),
        &[("users[0].account_id", codes::INVALID_VALUE)],
    );
}

#[test]
fn scenario_properties() {
    scenario_refused(
        |d| d["properties"][0]["time_zone"] = json!("Europe/Lisboa"),
        &[("properties[0].time_zone", codes::INVALID_VALUE)],
    );
    scenario_refused(
        |d| d["properties"][0]["check_in_time"] = json!("3pm"),
        &[("properties[0].check_in_time", codes::INVALID_FORMAT)],
    );
    scenario_refused(
        |d| remove(&mut d["properties"][0], "webhook_secret"),
        &[("properties[0].webhook_secret", codes::REQUIRED)],
    );
    scenario_refused(
        |d| d["properties"][0]["webhook_secret"] = json!(""),
        &[("properties[0].webhook_secret", codes::EMPTY)],
    );
    scenario_refused(
        |d| d["properties"][0]["units"][1]["id"] = json!("101"),
        &[("properties[0].units[1].id", codes::DUPLICATE)],
    );
    scenario_refused(
        |d| {
            let copy = d["properties"][0].clone();
            d["properties"].as_array_mut().expect("array").push(copy);
        },
        &[("properties[1].id", codes::DUPLICATE)],
    );
    // Any PMS may be stored; only campaigns need a catalogue PMS.
    scenario_refused(
        |d| d["properties"][0]["pms"] = json!("opera5"),
        &[("campaigns[0].property_id", codes::SUPPORT_ONLY)],
    );
    scenario_accepted(|d| {
        d["properties"][0]["pms"] = json!("opera5");
        d["campaigns"] = json!([]);
        d["events"].as_array_mut().expect("array").remove(1);
    });
}

#[test]
fn scenario_chatbots() {
    scenario_refused(
        |d| d["chatbots"][0]["property_ids"] = json!(["p-porto"]),
        &[("chatbots[0].property_ids[0]", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(|d| d["chatbots"][0]["sms"] = json!({}), &[("chatbots[0].sms.sender", codes::REQUIRED)]);
    scenario_refused(
        |d| d["chatbots"][0]["languages"] = json!(["en", "en"]),
        &[("chatbots[0].languages[1]", codes::DUPLICATE)],
    );
}

#[test]
fn scenario_campaign_identity_and_creator() {
    scenario_refused(
        |d| {
            let copy = d["campaigns"][0].clone();
            d["campaigns"].as_array_mut().expect("array").push(copy);
        },
        &[("campaigns[1].id", codes::DUPLICATE)],
    );
    // The event naming the campaign now names nothing, and says so too.
    scenario_refused(
        |d| remove(&mut d["campaigns"][0], "id"),
        &[("campaigns[0].id", codes::REQUIRED), ("events[1].provider_status.campaign", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(
        |d| d["campaigns"][0]["created_by"] = json!("u-x"),
        &[("campaigns[0].created_by", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(|d| d["users"][0]["role"] = json!("viewer"), &[("campaigns[0].created_by", codes::FORBIDDEN)]);
    scenario_refused(|d| d["campaigns"][0]["approve"] = json!("yes"), &[("campaigns[0].approve", codes::INVALID_TYPE)]);
    scenario_refused(|d| d["users"][1]["role"] = json!("editor"), &[("campaigns[0].approve", codes::NO_APPROVER)]);
    // The creator's permissions apply.
    scenario_refused(
        |d| d["users"][0]["property_ids"] = json!([]),
        &[("campaigns[0].property_id", codes::NOT_OFFERED)],
    );
    let mut doc = example();
    remove(&mut doc["campaigns"][0], "approve");
    let (scenario, _) = parse_scenario(&doc).expect("approve defaults to false");
    assert!(!scenario.campaigns[0].approve);
}

#[test]
fn scenario_events() {
    scenario_refused(
        |d| d["events"][0]["at"] = json!("2026-07-01T00:00:00Z"),
        &[("events[0].at", codes::OUT_OF_RANGE)],
    );
    // Events need not be listed in time order: they are processed at their instants (same
    // instant: file order).
    scenario_accepted(|d| d["events"][2]["at"] = json!("2026-06-07T09:00:00Z"));
    scenario_accepted(|d| d["events"][2]["at"] = d["events"][1]["at"].clone());
    scenario_refused(|d| remove(&mut d["events"][0], "at"), &[("events[0].at", codes::REQUIRED)]);
    scenario_refused(
        |d| d["events"][2]["provider_status"] = d["events"][1]["provider_status"].clone(),
        &[("events[2]", codes::EXACTLY_ONE)],
    );
    scenario_refused(|d| remove(&mut d["events"][2], "guest_reply"), &[("events[2]", codes::EXACTLY_ONE)]);
    scenario_refused(|d| d["events"][2]["sms_reply"] = json!({}), &[("events[2].sms_reply", codes::UNKNOWN_FIELD)]);
    scenario_refused(
        |d| d["events"][1]["provider_status"]["campaign"] = json!("pre-4d"),
        &[("events[1].provider_status.campaign", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(
        |d| d["events"][1]["provider_status"]["status"] = json!("bounced"),
        &[("events[1].provider_status.status", codes::INVALID_VALUE)],
    );
    scenario_refused(
        |d| d["events"][0]["pms_webhook"]["signature"] = json!("x"),
        &[("events[0].pms_webhook.signature", codes::UNKNOWN_FIELD)],
    );
    // The webhook body is the intake's business, at run time.
    scenario_accepted(|d| d["events"][0]["pms_webhook"]["body"] = json!({"not": "a reservation"}));
}

#[test]
fn scenario_campaign_actions() {
    let action = |value: Value| {
        move |d: &mut Value| {
            d["events"]
                .as_array_mut()
                .expect("array")
                .push(json!({"at": "2026-06-09T00:00:00Z", "campaign_action": value}));
        }
    };
    scenario_accepted(action(json!({"campaign": "pre-3d", "action": "pause"})));
    scenario_accepted(action(
        json!({"campaign": "pre-3d", "action": "edit", "changes": {"name": "New"}, "by": "u-ed"}),
    ));
    scenario_accepted(action(json!({"campaign": "pre-3d", "action": "reject", "reason": "tone"})));
    scenario_refused(
        action(json!({"campaign": "pre-3d", "action": "delete"})),
        &[("events[3].campaign_action.action", codes::INVALID_VALUE)],
    );
    scenario_refused(
        action(json!({"campaign": "nope", "action": "pause"})),
        &[("events[3].campaign_action.campaign", codes::UNKNOWN_REFERENCE)],
    );
    scenario_refused(
        action(json!({"campaign": "pre-3d", "action": "edit"})),
        &[("events[3].campaign_action.changes", codes::REQUIRED)],
    );
    scenario_refused(
        action(json!({"campaign": "pre-3d", "action": "pause", "by": "u-x"})),
        &[("events[3].campaign_action.by", codes::UNKNOWN_REFERENCE)],
    );
}

#[test]
fn scenario_sweep_outages() {
    scenario_accepted(|d| d["sweep_outages"] = json!([{"from": "2026-06-07T08:00:00Z", "to": "2026-06-07T12:00:00Z"}]));
    scenario_refused(
        |d| d["sweep_outages"] = json!([{"from": "2026-06-07T12:00:00Z", "to": "2026-06-07T08:00:00Z"}]),
        &[("sweep_outages[0].to", codes::INVALID_ORDER)],
    );
}

#[test]
fn a_broken_setup_does_not_blame_the_campaigns() {
    // A property with a bad time zone is not in the account, but the campaign is not accused of
    // choosing an unknown property because of it.
    scenario_refused(
        |d| d["properties"][0]["time_zone"] = json!("Mars/Olympus"),
        &[("properties[0].time_zone", codes::INVALID_VALUE)],
    );
}

// ------------------------------------------------------------------ round trips (Appendix A shapes)

#[track_caller]
fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(shape: Value) {
    let typed: T = serde_json::from_value(shape.clone()).unwrap_or_else(|e| panic!("{shape}: {e}"));
    assert_eq!(serde_json::to_value(&typed).expect("serializes"), shape);
}

#[test]
fn appendix_a1_campaign_round_trips() {
    round_trips::<CampaignSpec>(base_campaign());
}

#[test]
fn appendix_a2_shapes_round_trip() {
    round_trips::<Trigger>(json!({"type": "schedule", "days": ["mon", "sun"], "hours": [0, 23]}));
    round_trips::<Trigger>(json!({"type": "status_change"}));
    round_trips::<Trigger>(
        json!({"type": "relative", "anchor": "confirmation", "offset_days": -2, "offset_minutes": 0, "at": "10:00"}),
    );
    round_trips::<Trigger>(json!({"type": "relative", "anchor": "check_out", "offset_days": 1, "offset_minutes": 30}));
    round_trips::<Target>(json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -3}));
    round_trips::<Target>(json!({"status": "checked_in"}));
    round_trips::<Target>(json!({"statuses": ["confirmed", "checked_in"]}));
    round_trips::<Period>(json!({"start": "2026-06-01", "end": "2026-09-30"}));
    round_trips::<Period>(json!({"start": null, "end": null}));
    round_trips::<ChannelChoice>(json!({"primary": "whatsapp", "fallback": "sms"}));
    round_trips::<ChannelChoice>(json!({"primary": "sms", "fallback": null}));
    round_trips::<WhatsAppContent>(call_to_action());
    round_trips::<WhatsAppContent>(base_campaign()["messages"]["pt"]["whatsapp"].clone());
    round_trips::<CallToActionButton>(json!({"type": "url", "title": "Directions", "url": "https://example.com/map"}));
}

#[test]
fn appendix_a3_conditions_round_trip() {
    for condition in appendix_message_conditions().into_iter().chain(every_other_message_condition()) {
        round_trips::<MessageCondition>(condition);
    }
    round_trips::<ReservationCondition>(json!({"type": "source", "op": "in", "value": ["airbnb", "direct"]}));
    round_trips::<ReservationCondition>(json!({"type": "unit", "op": "not_in", "value": ["101"]}));
}

#[test]
fn a_valid_campaign_is_the_typed_model_of_its_body() {
    let mut body = base_campaign();
    body["trigger"] =
        json!({"type": "relative", "anchor": "check_in", "offset_days": -2, "offset_minutes": 0, "at": "10:00"});
    body["target"] = json!({"statuses": ["confirmed"]});
    body["messages"]["en"]["whatsapp"] = call_to_action();
    let mut conditions = appendix_message_conditions();
    conditions.extend(every_other_message_condition());
    body["message_conditions"] = json!(conditions);
    let spec = Account::example().validate(&body).expect("valid");
    assert_eq!(serde_json::to_value(&spec).expect("serializes"), body);
}

#[test]
fn what_the_walk_accepts_the_model_accepts_field_by_field() {
    // Every field the model has, in one scenario: the walk must know them all.
    let mut doc = example();
    doc["users"][0]["account_id"] = json!("acc-1");
    doc["users"][0]["name"] = json!("Ed");
    doc["users"][0]["property_ids"] = json!(["p-lis"]);
    doc["users"][0]["chatbot_ids"] = json!(["bot-1"]);
    doc["properties"][0]["account_id"] = json!("acc-1");
    doc["properties"][0]["previous_webhook_secret"] = json!({"secret": "old", "valid_until": "2026-06-02T00:00:00Z"});
    doc["properties"][0]["pms_credentials"] = json!({"api_base": "https://api.mews.test", "values": {"token": "t"}});
    doc["chatbots"][0]["account_id"] = json!("acc-1");
    doc["chatbots"][0]["name"] = json!("Casa Azul bot");
    doc["chatbots"][0]["whatsapp"]["waba_id"] = json!("waba-1");
    doc["providers"]["sms"] = json!({"rejects": ["+15550003333"]});
    doc["sweep_outages"] = json!([]);
    let (scenario, _) = parse_scenario(&doc).expect("valid");
    for (section, typed) in [
        ("users", serde_json::to_value(&scenario.users)),
        ("properties", serde_json::to_value(&scenario.properties)),
        ("chatbots", serde_json::to_value(&scenario.chatbots)),
    ] {
        // Nothing was dropped on the way (serialization may add defaults, never lose fields).
        let typed = typed.expect("serializes");
        for (index, original) in doc[section].as_array().expect("array").iter().enumerate() {
            for (key, value) in original.as_object().expect("object") {
                assert_eq!(&typed[index][key], value, "{section}[{index}].{key}");
            }
        }
    }
}

// ------------------------------------------------------------------ no panic on any input

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,8}".prop_map(Value::String),
        prop_oneof![
            Just("en"),
            Just("sms"),
            Just("whatsapp"),
            Just("schedule"),
            Just("status_change"),
            Just("relative"),
            Just("10:00"),
            Just("2026-06-01"),
            Just("2026-06-05T00:00:00Z"),
            Just("{{"),
            Just("{{eta}}"),
            Just("pre-3d"),
            Just("p-lis"),
            Just("bot-1"),
            Just("u-ed"),
            Just("+351912345678"),
            Just("https://x.io"),
            Just("quick_reply"),
            Just("call_to_action"),
            Just("phone"),
            Just("url"),
            Just("guests_count"),
            Just("review_submitted"),
            Just("available_nights"),
            Just("total_payout"),
            Just("1.5"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_string()),
                        Just("value".to_string()),
                        Just("op".to_string()),
                        Just("body".to_string()),
                        Just("buttons".to_string()),
                        Just("at".to_string()),
                        Just("en".to_string()),
                        Just("id".to_string()),
                        "[a-z_.]{0,6}".prop_map(|s| s),
                    ],
                    inner,
                ),
                0..6,
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Every path (as a list of keys / indexes) of a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn all_paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(Step::Index(index));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(value: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(value, |node, step| match step {
        Step::Key(key) => &mut node[key.as_str()],
        Step::Index(index) => &mut node[*index],
    })
}

/// Replaces the node at one path, or removes it when `replacement` is `None`.
fn mutate(doc: &mut Value, path: &[Step], replacement: Option<Value>) {
    match (replacement, path.split_last()) {
        (Some(value), _) => *at_path(doc, path) = value,
        (None, Some((Step::Key(key), parent))) => {
            if let Some(map) = at_path(doc, parent).as_object_mut() {
                map.shift_remove(key);
            }
        }
        (None, Some((Step::Index(index), parent))) => {
            if let Some(items) = at_path(doc, parent).as_array_mut() {
                items.remove(*index);
            }
        }
        (None, None) => *doc = Value::Null,
    }
}

fn assert_consistent(result: Result<impl Sized, Vec<FieldError>>) {
    if let Err(errors) = result {
        assert!(!errors.is_empty(), "an invalid document has at least one error");
        for error in errors {
            // The walk and the typed model agree: the model never refuses what the walk accepted.
            assert_ne!(error.code, codes::INVALID, "{error:?}");
            assert!(!error.message.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_arbitrary_json(doc in arbitrary_json()) {
        let account = Account::example();
        assert_consistent(parse_scenario(&doc));
        assert_consistent(account.validate(&doc));
        assert_consistent(validate_campaign_structure(&doc));
    }

    #[test]
    fn no_panic_on_mutations_of_the_example(
        choices in prop::collection::vec((any::<prop::sample::Index>(), prop::option::weighted(0.8, arbitrary_json())), 1..4)
    ) {
        let mut doc = example();
        for (index, replacement) in choices {
            let mut paths = Vec::new();
            all_paths(&doc, &mut Vec::new(), &mut paths);
            let path = index.get(&paths).clone();
            mutate(&mut doc, &path, replacement);
        }
        assert_consistent(parse_scenario(&doc));
        let account = Account::example();
        let campaign = doc.get("campaigns").and_then(|c| c.get(0)).cloned().unwrap_or(Value::Null);
        assert_consistent(account.validate(&campaign));
        assert_consistent(validate_campaign_structure(&campaign));
    }
}
