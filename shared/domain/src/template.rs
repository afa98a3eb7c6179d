//! Message templates (SPEC 2.3 step 5, SPEC 3 "Missing data").
//!
//! Syntax: `{{name}}` or `{{name|default text}}`.
//! - Whitespace around the name is trimmed; the default is kept verbatim (it may be empty:
//!   `{{unit_name|}}` is the operator's explicit choice to render nothing when the value is missing).
//! - Names must be one of [`VARIABLES`]; anything else is [`TemplateError::UnknownVariable`].
//! - A `{{` without a closing `}}`, a `{{` inside a placeholder, an empty or non-identifier name,
//!   and `{`/`}` inside a default are [`TemplateError::Malformed`] (offsets count characters,
//!   i.e. Unicode scalar values, from the start of the body). A stray `}}` in text is plain text.
//! - Rendering never writes blank text for a missing value: a variable with no value (absent,
//!   empty or only whitespace) and no default is an error naming the first such variable.
//! - Values are inserted verbatim, never re-parsed.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Locale, NaiveDate};

use crate::language::primary_subtag;
use crate::model::{Property, Reservation};

/// Every variable a template may use: those of SPEC 2.3 plus `eta`, `etd`, `host_payout`,
/// `guest_language`, `hometown`.
pub const VARIABLES: &[&str] = &[
    "guest_first_name",
    "guest_last_name",
    "guest_full_name",
    "property_name",
    "reservation_id",
    "check_in_date",
    "check_out_date",
    "check_in_time",
    "check_out_time",
    "nights",
    "adults",
    "children",
    "guests_count",
    "unit_name",
    "total_amount",
    "balance_due",
    "currency",
    "eta",
    "etd",
    "host_payout",
    "guest_language",
    "hometown",
];

/// Whether `name` is a known template variable.
pub fn is_variable(name: &str) -> bool {
    VARIABLES.contains(&name)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `offset` counts characters (Unicode scalar values) from the start of the body.
    #[error("malformed template at character {offset}: {message}")]
    Malformed { offset: usize, message: String },
    #[error("unknown variable {0}")]
    UnknownVariable(String),
}

/// A variable that has neither a value nor a default; the message waits with reason
/// `missing_variable:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing variable {0}")]
pub struct MissingVariable(pub String);

impl MissingVariable {
    /// The reason recorded on a held message: `missing_variable:<name>`.
    pub fn reason(&self) -> String {
        format!("missing_variable:{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Var { name: String, default: Option<String> },
}

/// A parsed message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

fn malformed(body: &str, byte_offset: usize, message: &str) -> TemplateError {
    let offset = body.get(..byte_offset).map_or(byte_offset, |s| s.chars().count());
    TemplateError::Malformed { offset, message: message.to_string() }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    /// Parses a body; unknown variable names are an error.
    pub fn parse(body: &str) -> Result<Template, TemplateError> {
        let mut segments = Vec::new();
        let mut rest_start = 0;
        while let Some(found) = body[rest_start..].find("{{") {
            let open = rest_start + found;
            if open > rest_start {
                segments.push(Segment::Text(body[rest_start..open].to_string()));
            }
            let inner_start = open + 2;
            let Some(close_rel) = body[inner_start..].find("}}") else {
                return Err(malformed(body, open, "`{{` without a closing `}}`"));
            };
            let inner_end = inner_start + close_rel;
            let inner = &body[inner_start..inner_end];
            if let Some(nested) = inner.find("{{") {
                return Err(malformed(body, inner_start + nested, "`{{` inside a placeholder"));
            }
            let (raw_name, default) = match inner.find('|') {
                Some(bar) => (&inner[..bar], Some(&inner[bar + 1..])),
                None => (inner, None),
            };
            let name = raw_name.trim();
            if name.is_empty() {
                return Err(malformed(body, open, "empty variable name"));
            }
            if !is_identifier(name) {
                return Err(malformed(body, open, "a variable name is made of letters, digits and `_`"));
            }
            if !is_variable(name) {
                return Err(TemplateError::UnknownVariable(name.to_string()));
            }
            if let Some(d) = default
                && let Some(brace) = d.find(['{', '}'])
            {
                let at = inner_start + raw_name.len() + 1 + brace;
                return Err(malformed(body, at, "`{` and `}` are not allowed in a default"));
            }
            segments.push(Segment::Var { name: name.to_string(), default: default.map(str::to_string) });
            rest_start = inner_end + 2;
        }
        if rest_start < body.len() {
            segments.push(Segment::Text(body[rest_start..].to_string()));
        }
        Ok(Template { segments })
    }

    /// The variable names used, in order of appearance (repeated names appear each time).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var { name, .. } => Some(name.as_str()),
            Segment::Text(_) => None,
        })
    }

    /// The variables whose default is empty or only whitespace (`{{hometown|}}`), in order.
    pub fn blank_defaults(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var { name, default: Some(d) } if d.trim().is_empty() => Some(name.as_str()),
            _ => None,
        })
    }

    fn values<'a>(&'a self, vars: &'a Variables) -> impl Iterator<Item = Result<&'a str, MissingVariable>> + 'a {
        self.segments.iter().filter_map(move |s| match s {
            Segment::Var { name, default } => {
                Some(vars.get(name).or(default.as_deref()).ok_or_else(|| MissingVariable(name.clone())))
            }
            Segment::Text(_) => None,
        })
    }

    /// The body with every placeholder replaced by its value, or else its default. The first
    /// placeholder with neither is the error.
    pub fn render(&self, vars: &Variables) -> Result<String, MissingVariable> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var { name, default } => {
                    let value = vars.get(name).or(default.as_deref()).ok_or_else(|| MissingVariable(name.clone()))?;
                    out.push_str(value);
                }
            }
        }
        Ok(out)
    }

    /// The value of each placeholder in order of appearance (value, or else default), for
    /// WhatsApp's numbered template parameters; matches [`Template::numbered`]. A placeholder
    /// whose missing value falls back to an empty default gives an empty string.
    pub fn render_parameters(&self, vars: &Variables) -> Result<Vec<String>, MissingVariable> {
        self.values(vars).map(|v| v.map(str::to_string)).collect()
    }

    /// The body with the placeholders replaced by `{{1}}`, `{{2}}`, ... in order of appearance
    /// (each occurrence gets its own number), as registered with WhatsApp.
    pub fn numbered(&self) -> String {
        let mut out = String::new();
        let mut n = 0usize;
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var { .. } => {
                    n += 1;
                    out.push_str(&format!("{{{{{n}}}}}"));
                }
            }
        }
        out
    }
}

impl fmt::Display for Template {
    /// The body back in template syntax (names trimmed).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => f.write_str(text)?,
                Segment::Var { name, default: None } => write!(f, "{{{{{name}}}}}")?,
                Segment::Var { name, default: Some(d) } => write!(f, "{{{{{name}|{d}}}}}")?,
            }
        }
        Ok(())
    }
}

/// Values of template variables, by name. A name that is absent, or whose value is empty or only
/// whitespace, is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Sets `name` (an empty value makes it missing).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Variables {
        self.values.insert(name.into(), value.into());
        self
    }

    /// Builder form of [`Variables::set`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Variables {
        self.set(name, value);
        self
    }

    /// Sets `name` when `value` is `Some`.
    pub fn set_opt(&mut self, name: impl Into<String>, value: Option<impl Into<String>>) -> &mut Variables {
        if let Some(value) = value {
            self.set(name, value);
        }
        self
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    /// The value of `name`, `None` when missing (absent, empty or whitespace only).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// The names with a (non-missing) value and their values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str())).filter(|(_, v)| !v.trim().is_empty())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Variables {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut vars = Variables::new();
        for (k, v) in iter {
            vars.set(k, v);
        }
        vars
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// The variables of a reservation at a property, for a message written in `language`.
///
/// - `guest_first_name`, `guest_last_name`: trimmed, missing when empty; `guest_full_name`: the
///   non-empty ones joined by a space, missing when both are empty.
/// - `check_in_date`, `check_out_date`: [`format_date`] in `language`.
/// - `check_in_time` / `check_out_time`: the guest's ETA / ETD if given, else the property's
///   default time (`HH:MM`); `eta` / `etd`: only the guest's (missing when not given).
/// - `nights` = check-out - check-in; `guests_count` = adults + children.
/// - `unit_name`: missing when there is no unit or the unit has no name.
/// - `total_amount`, `balance_due`, `host_payout`: the stored decimal strings (`"450.00"`).
/// - `guest_language`: the guest's language tag as given (missing when absent); `hometown`.
pub fn variables_for(reservation: &Reservation, property: &Property, language: &str) -> Variables {
    let r = reservation;
    let mut v = Variables::new();
    let first = non_empty(&r.guest.first_name);
    let last = non_empty(&r.guest.last_name);
    v.set_opt("guest_first_name", first);
    v.set_opt("guest_last_name", last);
    let full: Vec<&str> = [first, last].into_iter().flatten().collect();
    v.set("guest_full_name", full.join(" "));
    v.set("property_name", property.name.trim());
    v.set("reservation_id", r.id.as_str());
    v.set("check_in_date", format_date(r.check_in, language));
    v.set("check_out_date", format_date(r.check_out, language));
    v.set("check_in_time", r.eta.unwrap_or(property.check_in_time).to_string());
    v.set("check_out_time", r.etd.unwrap_or(property.check_out_time).to_string());
    v.set_opt("eta", r.eta.map(|t| t.to_string()));
    v.set_opt("etd", r.etd.map(|t| t.to_string()));
    v.set("nights", r.nights().to_string());
    v.set("adults", r.adults.to_string());
    v.set("children", r.children.to_string());
    v.set("guests_count", r.guests_count().to_string());
    v.set_opt("unit_name", r.unit_id.as_deref().and_then(|u| property.unit_name(u)));
    v.set_opt("total_amount", r.total_amount.map(|a| a.to_string()));
    v.set_opt("balance_due", r.balance_due.map(|a| a.to_string()));
    v.set_opt("host_payout", r.host_payout.map(|a| a.to_string()));
    v.set_opt("currency", r.currency.as_deref());
    v.set_opt("guest_language", r.guest.language.as_deref());
    v.set_opt("hometown", r.guest.hometown.as_deref());
    v
}

/// The chrono locale closest to a language tag: the tag's own region if chrono knows it
/// (`pt-BR` -> `pt_BR`), else the language's usual locale (`pt` -> `pt_PT`, `fr` -> `fr_FR`),
/// else `None`.
pub fn locale_for(language: &str) -> Option<Locale> {
    let primary = primary_subtag(language);
    if primary.is_empty() {
        return None;
    }
    let region = language
        .trim()
        .split(['-', '_'])
        .skip(1)
        .find(|s| {
            (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()))
                || (s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_ascii_uppercase);
    if let Some(region) = region
        && let Ok(locale) = Locale::try_from(format!("{primary}_{region}").as_str())
    {
        return Some(locale);
    }
    let usual = match primary.as_str() {
        "en" => "en_US",
        "pt" => "pt_PT",
        "da" => "da_DK",
        "sv" => "sv_SE",
        "nb" | "no" => "nb_NO",
        "nn" => "nn_NO",
        "cs" => "cs_CZ",
        "el" => "el_GR",
        "ja" => "ja_JP",
        "ko" => "ko_KR",
        "zh" => "zh_CN",
        "he" => "he_IL",
        "ar" => "ar_SA",
        "uk" => "uk_UA",
        "ca" => "ca_ES",
        "eu" => "eu_ES",
        "gl" => "gl_ES",
        "et" => "et_EE",
        "sl" => "sl_SI",
        "hi" => "hi_IN",
        "vi" => "vi_VN",
        "ga" => "ga_IE",
        "sq" => "sq_AL",
        "sr" => "sr_RS",
        "ms" => "ms_MY",
        "fa" => "fa_IR",
        _ => "",
    };
    if let Ok(locale) = Locale::try_from(usual) {
        return Some(locale);
    }
    // Most languages have a locale for the country of the same code: fr_FR, de_DE, it_IT, ...
    Locale::try_from(format!("{primary}_{}", primary.to_ascii_uppercase()).as_str()).ok()
}

/// The long-date pattern of a language (the order of day, month and year and the words between
/// them; month names come from the locale).
fn date_pattern(language: &str) -> &'static str {
    let region = language.trim().split(['-', '_']).nth(1).map(str::to_ascii_uppercase);
    match primary_subtag(language).as_str() {
        "en" => match region.as_deref() {
            None | Some("US") | Some("CA") | Some("PH") => "%B %-d, %Y",
            Some(_) => "%-d %B %Y",
        },
        "pt" | "es" | "gl" => "%-d de %B de %Y",
        "ca" => "%-d %B de %Y",
        "de" | "da" | "nb" | "no" | "nn" | "fi" | "cs" | "sk" | "sl" | "hr" | "sr" | "et" => "%-d. %B %Y",
        "ja" | "zh" => "%Y年%-m月%-d日",
        "ko" => "%Y년 %-m월 %-d일",
        "hu" => "%Y. %B %-d.",
        "lt" => "%Y m. %B %-d d.",
        "lv" => "%Y. gada %-d. %B",
        "eu" => "%Y(e)ko %Bren %-d(a)",
        "vi" => "%-d %B, %Y",
        _ => "%-d %B %Y",
    }
}

/// A date written in full in `language`: en "June 10, 2026", pt "10 de junho de 2026",
/// fr "10 juin 2026", es "10 de junio de 2026", de "10. Juni 2026", it "10 giugno 2026".
/// Month names come from chrono's locales; a language chrono does not know is written in English.
pub fn format_date(date: NaiveDate, language: &str) -> String {
    match locale_for(language) {
        Some(locale) => date.format_localized(date_pattern(language), locale).to_string(),
        None => date.format_localized(date_pattern("en"), Locale::en_US).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Guest, ReservationStatus, Source, Unit};
    use crate::time::LocalTime;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs.iter().copied().collect()
    }

    #[test]
    fn renders_values_and_defaults() {
        let t = Template::parse("Hi {{ guest_first_name }}, room {{unit_name|to be assigned}}.").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["guest_first_name", "unit_name"]);
        let v = vars(&[("guest_first_name", "Ana")]);
        assert_eq!(t.render(&v).unwrap(), "Hi Ana, room to be assigned.");
        let v = vars(&[("guest_first_name", "Ana"), ("unit_name", "Room 101")]);
        assert_eq!(t.render(&v).unwrap(), "Hi Ana, room Room 101.");
    }

    #[test]
    fn empty_default_is_an_explicit_choice() {
        let t = Template::parse("Hi{{unit_name|}}!").unwrap();
        assert_eq!(t.render(&Variables::new()).unwrap(), "Hi!");
        assert_eq!(t.render_parameters(&Variables::new()).unwrap(), [""]);
    }

    #[test]
    fn default_is_kept_verbatim_and_may_hold_bars() {
        let t = Template::parse("{{eta| around 15:00 | or later}}").unwrap();
        assert_eq!(t.render(&Variables::new()).unwrap(), " around 15:00 | or later");
    }

    #[test]
    fn missing_value_names_the_first_missing_variable() {
        let t = Template::parse("{{guest_first_name}} arrives at {{eta}} on {{check_in_date}}").unwrap();
        let v = vars(&[("guest_first_name", "Ana")]);
        assert_eq!(t.render(&v), Err(MissingVariable("eta".into())));
        assert_eq!(t.render(&v).unwrap_err().reason(), "missing_variable:eta");
        assert_eq!(t.render_parameters(&v), Err(MissingVariable("eta".into())));
        let v = Variables::new();
        assert_eq!(t.render(&v), Err(MissingVariable("guest_first_name".into())));
    }

    #[test]
    fn empty_or_blank_value_is_missing() {
        let t = Template::parse("Hi {{guest_first_name}}").unwrap();
        assert_eq!(t.render(&vars(&[("guest_first_name", "")])), Err(MissingVariable("guest_first_name".into())));
        assert_eq!(t.render(&vars(&[("guest_first_name", "  ")])), Err(MissingVariable("guest_first_name".into())));
        let t = Template::parse("Hi {{guest_first_name|there}}").unwrap();
        assert_eq!(t.render(&vars(&[("guest_first_name", "")])).unwrap(), "Hi there");
    }

    #[test]
    fn unknown_variables_are_refused() {
        assert_eq!(Template::parse("Hi {{first_name}}"), Err(TemplateError::UnknownVariable("first_name".into())));
        assert_eq!(
            Template::parse("{{guest_first_name}} {{ Guest_First_Name |x}}"),
            Err(TemplateError::UnknownVariable("Guest_First_Name".into()))
        );
    }

    #[test]
    fn malformed_bodies_are_refused_with_offsets() {
        let err = |b: &str| match Template::parse(b) {
            Err(TemplateError::Malformed { offset, .. }) => offset,
            other => panic!("{b:?}: {other:?}"),
        };
        assert_eq!(err("Hi {{guest_first_name"), 3);
        assert_eq!(err("Olá {{"), 4); // offsets count characters, not bytes
        assert_eq!(err("{{}}"), 0);
        assert_eq!(err("a {{ | x}}"), 2);
        assert_eq!(err("{{guest first name}}"), 0);
        assert_eq!(err("{{guest_first_name {{eta}}"), 19);
        assert_eq!(err("{{eta|{x}}"), 6);
        assert_eq!(err("x{{{eta}}"), 1);
        // A stray closing pair is text.
        assert_eq!(Template::parse("a }} b").unwrap().render(&Variables::new()).unwrap(), "a }} b");
        assert_eq!(Template::parse("").unwrap().render(&Variables::new()).unwrap(), "");
    }

    #[test]
    fn numbered_parameters_for_whatsapp() {
        let t = Template::parse(
            "Hi {{guest_first_name}}, {{nights}} nights from {{check_in_date}}; bye {{guest_first_name}}",
        )
        .unwrap();
        assert_eq!(t.numbered(), "Hi {{1}}, {{2}} nights from {{3}}; bye {{4}}");
        let v = vars(&[("guest_first_name", "Ana"), ("nights", "3"), ("check_in_date", "June 10, 2026")]);
        assert_eq!(t.render_parameters(&v).unwrap(), ["Ana", "3", "June 10, 2026", "Ana"]);
        assert_eq!(Template::parse("no vars").unwrap().numbered(), "no vars");
        assert!(Template::parse("no vars").unwrap().render_parameters(&v).unwrap().is_empty());
    }

    #[test]
    fn display_gives_back_the_template() {
        let body = "Hi {{guest_first_name|there}}, see you {{check_in_date}}";
        assert_eq!(Template::parse(body).unwrap().to_string(), body);
    }

    #[test]
    fn localized_dates() {
        let date = d(2026, 6, 10);
        assert_eq!(format_date(date, "en"), "June 10, 2026");
        assert_eq!(format_date(date, "pt"), "10 de junho de 2026");
        assert_eq!(format_date(date, "pt-BR"), "10 de junho de 2026");
        assert_eq!(format_date(date, "PT-pt"), "10 de junho de 2026");
        assert_eq!(format_date(date, "fr"), "10 juin 2026");
        assert_eq!(format_date(date, "es"), "10 de junio de 2026");
        assert_eq!(format_date(date, "de"), "10. Juni 2026");
        assert_eq!(format_date(date, "it"), "10 giugno 2026");
        assert_eq!(format_date(date, "en-GB"), "10 June 2026");
        assert_eq!(format_date(d(2026, 1, 1), "fr-CA"), "1 janvier 2026");
        assert_eq!(format_date(date, "nl"), "10 juni 2026");
        // Unknown languages are written in English.
        assert_eq!(format_date(date, "xx"), "June 10, 2026");
        assert_eq!(format_date(date, ""), "June 10, 2026");
    }

    fn property() -> Property {
        serde_json::from_value(serde_json::json!({
            "id": "p-lis", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
            "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews",
            "units": [{"id": "101", "name": "Room 101"}, {"id": "102"}]
        }))
        .unwrap()
    }

    fn reservation() -> Reservation {
        serde_json::from_value(serde_json::json!({
            "id": "r-1", "property_id": "p-lis", "unit_id": "101", "source": "airbnb",
            "status": "confirmed", "check_in": "2026-06-10", "check_out": "2026-06-13", "eta": "16:30",
            "guest": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com",
                      "phone": "+351912345678", "language": "pt-PT", "hometown": "Porto"},
            "adults": 2, "children": 1, "total_amount": "450.00", "host_payout": "400.00", "balance_due": "0.00",
            "currency": "EUR", "check_in_form_submitted": false, "updated_at": "2026-06-01T09:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn variables_of_a_reservation() {
        let v = variables_for(&reservation(), &property(), "pt");
        let get = |n: &str| v.get(n).map(str::to_string);
        assert_eq!(get("guest_first_name").as_deref(), Some("Ana"));
        assert_eq!(get("guest_last_name").as_deref(), Some("Silva"));
        assert_eq!(get("guest_full_name").as_deref(), Some("Ana Silva"));
        assert_eq!(get("property_name").as_deref(), Some("Casa Azul Lisboa"));
        assert_eq!(get("reservation_id").as_deref(), Some("r-1"));
        assert_eq!(get("check_in_date").as_deref(), Some("10 de junho de 2026"));
        assert_eq!(get("check_out_date").as_deref(), Some("13 de junho de 2026"));
        assert_eq!(get("check_in_time").as_deref(), Some("16:30"));
        assert_eq!(get("check_out_time").as_deref(), Some("11:00"));
        assert_eq!(get("eta").as_deref(), Some("16:30"));
        assert_eq!(get("etd"), None);
        assert_eq!(get("nights").as_deref(), Some("3"));
        assert_eq!(get("adults").as_deref(), Some("2"));
        assert_eq!(get("children").as_deref(), Some("1"));
        assert_eq!(get("guests_count").as_deref(), Some("3"));
        assert_eq!(get("unit_name").as_deref(), Some("Room 101"));
        assert_eq!(get("total_amount").as_deref(), Some("450.00"));
        assert_eq!(get("balance_due").as_deref(), Some("0.00"));
        assert_eq!(get("host_payout").as_deref(), Some("400.00"));
        assert_eq!(get("currency").as_deref(), Some("EUR"));
        assert_eq!(get("guest_language").as_deref(), Some("pt-PT"));
        assert_eq!(get("hometown").as_deref(), Some("Porto"));
        // Every advertised variable is known to the parser and each one renders.
        for name in VARIABLES {
            assert!(Template::parse(&format!("{{{{{name}|-}}}}")).is_ok(), "{name}");
        }
        let en = variables_for(&reservation(), &property(), "en");
        assert_eq!(en.get("check_in_date"), Some("June 10, 2026"));
    }

    #[test]
    fn spec_example_sms_body() {
        let t = Template::parse("Olá {{guest_first_name}}, até {{check_in_date}}!").unwrap();
        let v = variables_for(&reservation(), &property(), "pt");
        assert_eq!(t.render(&v).unwrap(), "Olá Ana, até 10 de junho de 2026!");
    }

    #[test]
    fn absent_data_is_missing() {
        let mut r = reservation();
        r.eta = None;
        r.unit_id = Some("102".into()); // unit without a name
        r.guest.first_name = "  ".into();
        r.guest.language = None;
        r.guest.hometown = None;
        r.total_amount = None;
        r.currency = None;
        let mut p = property();
        let v = variables_for(&r, &p, "en");
        for missing in
            ["eta", "etd", "unit_name", "guest_first_name", "guest_language", "hometown", "total_amount", "currency"]
        {
            assert_eq!(v.get(missing), None, "{missing}");
        }
        assert_eq!(v.get("check_in_time"), Some("15:00"));
        assert_eq!(v.get("guest_full_name"), Some("Silva"));
        let t = Template::parse("Hi {{guest_first_name}}").unwrap();
        assert_eq!(t.render(&v), Err(MissingVariable("guest_first_name".into())));
        r.unit_id = None;
        p.units = vec![Unit { id: "101".into(), name: Some("Room 101".into()) }];
        assert_eq!(variables_for(&r, &p, "en").get("unit_name"), None);
        r.guest = Guest::default();
        assert_eq!(variables_for(&r, &p, "en").get("guest_full_name"), None);
        let _ = (ReservationStatus::Confirmed, Source::Direct, LocalTime::new(1, 0));
    }

    fn body_strategy() -> impl Strategy<Value = String> {
        let fragment = prop_oneof![
            "[a-zA-Zé {}|]{0,6}",
            Just("{{".to_string()),
            Just("}}".to_string()),
            Just("|".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            proptest::sample::select(VARIABLES).prop_map(str::to_string),
            proptest::sample::select(VARIABLES).prop_map(|v| format!("{{{{{v}}}}}")),
            (proptest::sample::select(VARIABLES), "[a-z {}|]{0,5}").prop_map(|(v, d)| format!("{{{{ {v} |{d}}}}}")),
        ];
        proptest::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
    }

    fn vars_strategy() -> impl Strategy<Value = Variables> {
        proptest::collection::vec((proptest::sample::select(VARIABLES), "[a-zA-Z0-9 ]{0,6}"), 0..VARIABLES.len())
            .prop_map(|pairs| pairs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn render_never_leaves_placeholders(body in body_strategy(), vars in vars_strategy()) {
            if let Ok(t) = Template::parse(&body) {
                let params = t.render_parameters(&vars);
                match t.render(&vars) {
                    Ok(text) => {
                        prop_assert!(!text.contains("{{"), "{:?} -> {:?}", body, text);
                        prop_assert!(params.is_ok());
                    }
                    Err(MissingVariable(name)) => {
                        prop_assert!(is_variable(&name));
                        prop_assert_eq!(params, Err(MissingVariable(name)));
                    }
                }
                // Parsing is stable through Display.
                prop_assert_eq!(Template::parse(&t.to_string()), Ok(t.clone()));
            }
        }

        #[test]
        fn parse_and_render_never_panic(body in any::<String>(), value in any::<String>()) {
            if let Ok(t) = Template::parse(&body) {
                let vars: Variables = VARIABLES.iter().map(|n| (*n, value.clone())).collect();
                let _ = t.render(&vars);
                let _ = t.numbered();
            }
        }
    }
}
