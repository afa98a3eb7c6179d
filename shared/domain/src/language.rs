//! Language choice (SPEC 3, "Language"): the guest's language if the campaign has content in it,
//! matched by primary subtag (`pt-BR` -> `pt`), else English.
//!
//! Tags are compared case-insensitively and `_` is accepted as a separator (`pt_BR`), since PMS
//! data is not always proper BCP 47.

/// The language every campaign has content in and the fallback of every choice.
pub const DEFAULT_LANGUAGE: &str = "en";

/// The primary language subtag of a tag, lowercased and trimmed: `PT-br` -> `pt`, ` en ` -> `en`.
pub fn primary_subtag(tag: &str) -> String {
    tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

/// Whether two tags name the same language (same primary subtag, case-insensitive).
pub fn same_language(a: &str, b: &str) -> bool {
    let (a, b) = (primary_subtag(a), primary_subtag(b));
    !a.is_empty() && a == b
}

fn same_tag(a: &str, b: &str) -> bool {
    let norm = |t: &str| t.trim().replace('_', "-").to_ascii_lowercase();
    norm(a) == norm(b)
}

/// The language to send in: one of `available` (spelled as given there, so it can be used to
/// look the content up) or `"en"`.
///
/// Preference, for a guest language such as `pt-BR`:
/// 1. an available tag equal to the guest's whole tag (`pt-BR`, case-insensitive);
/// 2. an available bare primary tag (`pt`);
/// 3. the first available tag with the same primary subtag (`pt-PT`);
/// 4. otherwise English (also when the guest has no language or an empty one).
pub fn choose_language<'a>(guest: Option<&str>, available: impl IntoIterator<Item = &'a str>) -> String {
    let Some(guest) = guest.map(str::trim).filter(|g| !g.is_empty()) else {
        return DEFAULT_LANGUAGE.to_string();
    };
    let primary = primary_subtag(guest);
    if primary.is_empty() {
        return DEFAULT_LANGUAGE.to_string();
    }
    let mut bare: Option<&str> = None;
    let mut same_primary: Option<&str> = None;
    for tag in available {
        if same_tag(tag, guest) {
            return tag.to_string();
        }
        if primary_subtag(tag) == primary {
            if same_tag(tag, &primary) {
                bare.get_or_insert(tag);
            } else {
                same_primary.get_or_insert(tag);
            }
        }
    }
    bare.or(same_primary).map_or_else(|| DEFAULT_LANGUAGE.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_variant_falls_back_to_primary_subtag() {
        assert_eq!(choose_language(Some("pt-BR"), ["en", "pt", "fr"]), "pt");
        assert_eq!(choose_language(Some("pt-PT"), ["en", "pt"]), "pt");
        assert_eq!(choose_language(Some("pt_BR"), ["en", "pt"]), "pt");
    }

    #[test]
    fn case_insensitive() {
        assert_eq!(choose_language(Some("PT"), ["en", "pt"]), "pt");
        assert_eq!(choose_language(Some("Fr-ca"), ["en", "FR"]), "FR");
        assert_eq!(choose_language(Some("pt-br"), ["en", "pt", "pt-BR"]), "pt-BR");
    }

    #[test]
    fn exact_tag_wins_over_primary_whatever_the_order() {
        assert_eq!(choose_language(Some("pt-BR"), ["en", "pt", "pt-BR"]), "pt-BR");
        assert_eq!(choose_language(Some("pt-BR"), ["pt-BR", "pt", "en"]), "pt-BR");
        // A bare primary tag wins over another region.
        assert_eq!(choose_language(Some("pt-BR"), ["pt-PT", "pt", "en"]), "pt");
        // Another region of the same language beats English.
        assert_eq!(choose_language(Some("pt-BR"), ["en", "pt-PT"]), "pt-PT");
        // The bare guest tag takes a regional content when that is all there is.
        assert_eq!(choose_language(Some("pt"), ["en", "pt-BR"]), "pt-BR");
    }

    #[test]
    fn unknown_or_absent_is_english() {
        assert_eq!(choose_language(Some("de-DE"), ["en", "pt"]), "en");
        assert_eq!(choose_language(None, ["en", "pt"]), "en");
        assert_eq!(choose_language(Some(""), ["en", "pt"]), "en");
        assert_eq!(choose_language(Some("  "), ["pt"]), "en");
        assert_eq!(choose_language(Some("-BR"), ["pt", "en"]), "en");
        // English even when the campaign spells it differently or omits it (validation ensures it).
        assert_eq!(choose_language(Some("EN-gb"), ["pt", "en"]), "en");
        assert_eq!(choose_language(Some("ja"), Vec::<&str>::new()), "en");
    }

    #[test]
    fn primary_subtags() {
        assert_eq!(primary_subtag(" PT-br "), "pt");
        assert_eq!(primary_subtag("zh_Hant_TW"), "zh");
        assert_eq!(primary_subtag(""), "");
        assert!(same_language("pt-BR", "PT"));
        assert!(!same_language("", ""));
        assert!(!same_language("pt", "es"));
    }
}
