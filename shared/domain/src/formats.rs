//! The formats every validator shares, one rule each (docs/validation.md): language tags,
//! phone numbers, links. The campaign and scenario validators, the webhook intake and the set-up
//! routes all call these.

/// A BCP 47 language tag, loosely: a 2 to 8 letter primary subtag, then subtags of 1 to 8
/// letters or digits (`en`, `pt-BR`, `zh-Hant-TW`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|primary| (2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok && subtags.all(|sub| (1..=8).contains(&sub.len()) && sub.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A guest's language as a PMS sends it: a [language tag](is_language_tag), `_` also accepted
/// as a separator (`pt_BR`), since PMS data is not always proper BCP 47.
pub fn is_guest_language(tag: &str) -> bool {
    is_language_tag(&tag.replace('_', "-"))
}

/// `+` then 8 to 15 digits, the first not zero.
pub fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else { return false };
    (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0')
}

/// `https://host[:port][/path][?query][#fragment]`, no credentials, no white space.
pub fn is_https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else { return false };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    // Credentials in a guest-facing link are a phishing pattern (https://bank.com@evil.example).
    if authority.contains('@') {
        return false;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        assert!(is_e164("+351210000000"));
        assert!(is_e164("+12345678"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("351210000000"));
        assert!(!is_e164("+0351210000"));
        assert!(!is_e164("+35121 000000"));
    }
    #[test]
    fn https_urls() {
        assert!(is_https_url("https://example.com/map"));
        assert!(is_https_url("https://example.com"));
        assert!(is_https_url("https://sub.example.com:8443/a?b=c#d"));
        assert!(!is_https_url("http://example.com"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("https:///path"));
        assert!(!is_https_url("https://user@example.com"));
        assert!(!is_https_url("https://exa mple.com"));
        assert!(!is_https_url("https://example..com"));
        assert!(!is_https_url("ftp://example.com"));
    }
    #[test]
    fn language_tags() {
        assert!(is_language_tag("en"));
        assert!(is_language_tag("pt-BR"));
        assert!(is_language_tag("zh-Hant-TW"));
        assert!(!is_language_tag("e"));
        assert!(!is_language_tag("pt_BR"));
        assert!(!is_language_tag("en-"));
        assert!(!is_language_tag(""));
    }

    #[test]
    fn guest_languages_also_take_an_underscore() {
        assert!(is_guest_language("pt_BR") && is_guest_language("pt-BR") && is_guest_language("en"));
        assert!(!is_guest_language("pt__BR") && !is_guest_language("_"));
    }
}
