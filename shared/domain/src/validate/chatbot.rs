//! A chatbot's catalogue: the FAQs and flows its quick-reply buttons may name. One walk, used by
//! the set-up API (`POST/PUT /chatbots`) and the scenario file, so both refuse the same things
//! with the same field paths.

use serde_json::{Map, Value};

use super::json::{Checker, index_path, key_path};
use super::{FieldError, codes};
use crate::formats::is_language_tag;
use crate::model::{ButtonLink, Campaign, CampaignStatus, Chatbot, Faq, Flow, WhatsAppContent};

/// Ids are short: a button payload Relais sets with Meta carries them back.
pub const CATALOGUE_ID_MAX_CHARS: usize = 64;
/// A question is offered to operators in a picker; the answer is a WhatsApp text message.
pub const FAQ_QUESTION_MAX_CHARS: usize = 200;
pub const FAQ_ANSWER_MAX_CHARS: usize = 1600;
pub const FLOW_NAME_MAX_CHARS: usize = 100;
/// Bounds the stored item (a chatbot is one item of the store).
pub const CATALOGUE_MAX_ENTRIES: usize = 100;

/// Parses `faqs` (`path` is its field path, e.g. `faqs` or `chatbots[0].faqs`).
pub fn parse_faqs(path: &str, value: &Value) -> Result<Vec<Faq>, Vec<FieldError>> {
    let mut c = Checker::default();
    let faqs = walk_entries(&mut c, path, value, |c, entry_path, map| {
        c.only_fields(entry_path, map, &["id", "question", "answer"]);
        let id = entry_id(c, entry_path, map);
        let question = texts(c, entry_path, map, "question", FAQ_QUESTION_MAX_CHARS);
        let answer = texts(c, entry_path, map, "answer", FAQ_ANSWER_MAX_CHARS);
        Some(Faq { id: id?, question: question?, answer: answer? })
    });
    if c.is_clean() { Ok(faqs) } else { Err(c.errors) }
}

/// Parses `flows` (`path` is its field path).
pub fn parse_flows(path: &str, value: &Value) -> Result<Vec<Flow>, Vec<FieldError>> {
    let mut c = Checker::default();
    let flows = walk_entries(&mut c, path, value, |c, entry_path, map| {
        c.only_fields(entry_path, map, &["id", "name"]);
        let id = entry_id(c, entry_path, map);
        let name = c.required(entry_path, map, "name").and_then(|v| {
            let name_path = key_path(entry_path, "name");
            bounded_text(c, &name_path, v, FLOW_NAME_MAX_CHARS)
        });
        Some(Flow { id: id?, name: name? })
    });
    if c.is_clean() { Ok(flows) } else { Err(c.errors) }
}

fn walk_entries<T>(
    c: &mut Checker,
    path: &str,
    value: &Value,
    entry: impl Fn(&mut Checker, &str, &Map<String, Value>) -> Option<T>,
) -> Vec<T> {
    let Some(items) = c.array(path, value) else { return Vec::new() };
    if items.len() > CATALOGUE_MAX_ENTRIES {
        c.error(
            path,
            codes::TOO_MANY,
            format!("{path} has {} entries; the limit is {CATALOGUE_MAX_ENTRIES}", items.len()),
        );
        return Vec::new();
    }
    let mut parsed = Vec::with_capacity(items.len());
    let mut ids = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let entry_path = index_path(path, index);
        let Some(map) = c.object(&entry_path, item) else { continue };
        if let Some(id) = map.get("id").and_then(Value::as_str) {
            ids.push((index, id.to_string()));
        }
        if let Some(typed) = entry(c, &entry_path, map) {
            parsed.push(typed);
        }
    }
    c.unique(path, &ids);
    parsed
}

fn entry_id(c: &mut Checker, path: &str, map: &Map<String, Value>) -> Option<String> {
    let value = c.required(path, map, "id")?;
    let id_path = key_path(path, "id");
    let id = c.non_empty_string(&id_path, value)?;
    if let Some(problem) = crate::ids::plain_id_problem(id, CATALOGUE_ID_MAX_CHARS) {
        c.error(&id_path, codes::INVALID_FORMAT, format!("{id_path} {problem}"));
        return None;
    }
    Some(id.to_string())
}

fn bounded_text(c: &mut Checker, path: &str, value: &Value, limit: usize) -> Option<String> {
    let text = c.non_empty_string(path, value)?;
    if text.trim().is_empty() {
        c.error(path, codes::EMPTY, format!("{path} must not be blank"));
        return None;
    }
    let length = text.chars().count();
    if length > limit {
        c.error(path, codes::TOO_LONG, format!("{path} is {length} characters long; the limit is {limit}"));
        return None;
    }
    Some(text.to_string())
}

/// `{"en": "...", "fr": "..."}`: English required, keys are language tags.
fn texts(
    c: &mut Checker,
    path: &str,
    map: &Map<String, Value>,
    key: &str,
    limit: usize,
) -> Option<std::collections::BTreeMap<String, String>> {
    let value = c.required(path, map, key)?;
    let texts_path = key_path(path, key);
    let texts = c.object(&texts_path, value)?;
    let mut out = std::collections::BTreeMap::new();
    let mut clean = true;
    for (language, text) in texts {
        let text_path = key_path(&texts_path, language);
        if !is_language_tag(language) {
            c.error(
                &text_path,
                codes::INVALID_VALUE,
                format!("'{language}' is not a language tag such as 'en' or 'pt'"),
            );
            clean = false;
            continue;
        }
        match bounded_text(c, &text_path, text, limit) {
            Some(text) => {
                out.insert(language.clone(), text);
            }
            None => clean = false,
        }
    }
    if !texts.contains_key("en") {
        c.error(&key_path(&texts_path, "en"), codes::REQUIRED, format!("{texts_path} needs English ('en')"));
        clean = false;
    }
    clean.then_some(out)
}

/// The quick-reply buttons of `campaign` that `chatbot` no longer resolves, as field paths
/// (`messages.pt.whatsapp.buttons[1].faq_id`). Archived campaigns never send again, so they
/// hold nothing.
pub fn orphaned_buttons(chatbot: &Chatbot, campaign: &Campaign) -> Vec<String> {
    if campaign.status == CampaignStatus::Archived || campaign.spec.chatbot_id != chatbot.id {
        return Vec::new();
    }
    let mut orphans = Vec::new();
    for (language, content) in &campaign.spec.messages {
        let Some(WhatsAppContent::QuickReply { buttons, .. }) = &content.whatsapp else { continue };
        for (index, button) in buttons.iter().enumerate() {
            let Some(link) = button.link() else { continue };
            if !chatbot.resolves(link) {
                let field = match link {
                    ButtonLink::Faq(_) => "faq_id",
                    ButtonLink::Flow(_) => "flow_id",
                };
                orphans.push(format!("messages.{language}.whatsapp.buttons[{index}].{field}"));
            }
        }
    }
    orphans
}
