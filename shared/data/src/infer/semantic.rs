//! Meanings recognised in text columns: e-mail addresses, http(s) URLs, UUIDs and IP addresses.
//!
//! The checks are shape checks on every value, not network look-ups; they label a column and
//! never change its values.

use std::net::IpAddr;

use crate::schema::SemanticType;

/// The text meanings tried on string columns, in the order they are preferred.
pub(crate) const TEXT_MEANINGS: [SemanticType; 4] = [
    SemanticType::Uuid,
    SemanticType::Email,
    SemanticType::Url,
    SemanticType::IpAddress,
];

/// Whether the trimmed `text` has the shape of `meaning`.
#[inline]
pub(crate) fn fits(meaning: SemanticType, text: &str) -> bool {
    match meaning {
        SemanticType::Email => is_email(text),
        SemanticType::Url => is_url(text),
        SemanticType::Uuid => is_uuid(text),
        SemanticType::IpAddress => text.parse::<IpAddr>().is_ok(),
        SemanticType::Currency | SemanticType::Percent | SemanticType::FormattedNumber => false,
    }
}

/// `local@domain.tld`: one `@`, no spaces, a dotted domain of letters, digits and hyphens.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.');
    local_ok && is_domain(domain) && domain.contains('.')
}

/// Dot-separated labels of letters, digits and inner hyphens.
fn is_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `http://` or `https://`, a host, and no whitespace.
fn is_url(text: &str) -> bool {
    let scheme = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    let rest = if scheme("https://") {
        text.get(8..)
    } else if scheme("http://") {
        text.get(7..)
    } else {
        None
    };
    let Some(rest) = rest else {
        return false;
    };
    if rest
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    is_domain(host) || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok()
}

/// 8-4-4-4-12 hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, b)| match index {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("ada.lovelace+notes@example.co.uk"));
        for text in [
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "ada@ex..com",
        ] {
            assert!(!is_email(text), "{text:?}");
        }
    }

    #[test]
    fn urls() {
        assert!(is_url("https://example.com/a?b=c#d"));
        assert!(is_url("HTTP://localhost:8080"));
        assert!(is_url("http://user@192.168.0.1/x"));
        for text in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://exa mple.com",
        ] {
            assert!(!is_url(text), "{text:?}");
        }
    }

    #[test]
    fn uuids_and_ips() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(fits(SemanticType::IpAddress, "10.0.0.1"));
        assert!(fits(SemanticType::IpAddress, "::1"));
        assert!(!fits(SemanticType::IpAddress, "10.0.0.256"));
    }
}
