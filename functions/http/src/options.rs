//! `GET /campaign-options`: what the campaign wizard may offer this user (SPEC 2.1, 2.3).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use relais_domain::catalogue;
use relais_domain::template::VARIABLES;
use relais_domain::validate::{ValidationContext, offered_chatbots, offered_properties};
use relais_domain::{Channel, Chatbot};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::schema::{CampaignOptions, ErrorBody};
use crate::{ApiState, Caller};

/// Content limits of SPEC 2.3 step 5 (the domain's validation enforces the same figures).
fn limits() -> Value {
    json!({
        "name": {"max_characters": 40},
        "whatsapp": {
            "text": {"max_characters": 1600},
            "quick_reply": {"max_characters": 1024, "min_buttons": 1, "max_buttons": 3, "button_title_max_characters": 20},
            "call_to_action": {"max_characters": 640, "min_buttons": 1, "max_buttons": 2, "button_title_max_characters": 20,
                                "max_phone_buttons": 1, "max_url_buttons": 1}
        },
        "sms": {"text": {"max_characters": 160, "segment": {"gsm7": 160, "gsm7_concatenated": 153, "ucs2": 70, "ucs2_concatenated": 67}}},
        "offset_days": {"min": -366, "max": 366}
    })
}

use relais_domain::validate::MESSAGE_CONDITION_TYPES;

fn channels_of(chatbot: &Chatbot) -> Vec<Channel> {
    [Channel::Whatsapp, Channel::Sms].into_iter().filter(|c| chatbot.owns(*c)).collect()
}

fn languages_of(chatbot: &Chatbot) -> Vec<String> {
    let mut languages = vec!["en".to_string()];
    for language in &chatbot.languages {
        if !languages.contains(language) {
            languages.push(language.clone());
        }
    }
    languages
}

fn serves(chatbot: &Chatbot, property_id: &str) -> bool {
    chatbot.property_ids.is_empty() || chatbot.property_ids.iter().any(|p| p == property_id)
}

#[utoipa::path(get, path = "/campaign-options", tag = "campaigns",
    description = "Properties and chatbots the caller may use in a campaign, with the channels, languages and triggers each allows, the template variables and the content limits.",
    responses((status = 200, body = CampaignOptions), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn options(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    let actor = &caller.0;
    let properties = state.app.store.list_properties(&actor.account_id).await?;
    let chatbots = state.app.store.list_chatbots(&actor.account_id).await?;
    let ctx = ValidationContext { user: &actor.user, properties: &properties, chatbots: &chatbots };
    let offered_bots = offered_chatbots(&ctx, None);
    let mut property_views = Vec::new();
    for property in offered_properties(&ctx) {
        let Some(entry) = catalogue::lookup(&property.pms) else { continue };
        let mut triggers = vec!["schedule"];
        if entry.delivers_events {
            triggers.push("status_change");
        }
        triggers.push("relative");
        let chatbot_ids: Vec<&str> =
            offered_bots.iter().filter(|b| serves(b, &property.id)).map(|b| b.id.as_str()).collect();
        property_views.push(json!({
            "id": property.id,
            "name": property.name,
            "time_zone": property.time_zone.name(),
            "check_in_time": property.check_in_time,
            "check_out_time": property.check_out_time,
            "pms": property.pms,
            "pms_name": entry.name,
            "pms_delivers_events": entry.delivers_events,
            "triggers": triggers,
            "units": property.units,
            // So the wizard can say when a `respect` campaign holds its messages.
            "quiet_hours": property.quiet_hours,
            "chatbot_ids": chatbot_ids,
        }));
    }
    let chatbot_views: Vec<Value> = offered_bots
        .iter()
        .map(|bot| {
            let channels = channels_of(bot);
            let fallback: Vec<Channel> =
                if bot.owns(Channel::Whatsapp) && bot.owns(Channel::Sms) { vec![Channel::Sms] } else { Vec::new() };
            json!({
                "id": bot.id,
                "name": bot.name,
                "property_ids": bot.property_ids,
                "channels": channels,
                "primary_channels": channels,
                "fallback_channels": fallback,
                "languages": languages_of(bot),
                // What a quick-reply button may name, so the wizard offers pickers, not free text.
                "faqs": bot.faqs.iter().map(|f| json!({"id": f.id, "question": f.question})).collect::<Vec<_>>(),
                "flows": bot.flows.iter().map(|f| json!({"id": f.id, "name": f.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(crate::json_response(
        StatusCode::OK,
        json!({
            "properties": property_views,
            "chatbots": chatbot_views,
            "variables": VARIABLES,
            "categories": ["pre_stay", "arrival", "in_stay", "departure", "other"],
            "reservation_statuses": ["confirmed", "checked_in", "checked_out", "canceled"],
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "relative_anchors": ["confirmation", "check_in", "check_out"],
            "reservation_condition_types": ["source", "unit"],
            "message_condition_types": MESSAGE_CONDITION_TYPES,
            "limits": limits(),
        }),
    ))
}
