//! `is_url` (policies §5.5): authentik's `DomainlessURLValidator(schemes=("http", "https"))`,
//! Django's `URLValidator` with hosts that need no top-level domain. Its scheme list also holds
//! `blank`; any other scheme fails. The lookarounds of Django's domain-label pattern are
//! rewritten as an equivalent pattern without them.

use regex::Regex;
use std::sync::OnceLock;

const MAX_LENGTH: usize = 2048;

fn pattern() -> String {
    let ul = r"\x{a1}-\x{ffff}";
    let ipv4 = r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}";
    let ipv6 = r"\[[0-9a-f:.]+\]";
    let label = format!("[a-z{ul}0-9](?:[a-z{ul}0-9-]{{0,61}}[a-z{ul}0-9])?");
    let host = format!("(?:{label}(?:\\.{label})*|localhost)");
    format!(
        r"(?i)^(?:[a-z0-9.+-]*)://(?:[^\s:@/]+(?::[^\s:@/]*)?@)?(?:{ipv4}|{ipv6}|{host})(?::\d{{1,5}})?(?:[/?#][^\s]*)?\z"
    )
}

fn regex() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&pattern()).ok()).as_ref()
}

/// `urlsplit(value).hostname` for a value the pattern accepted.
fn hostname(value: &str) -> Option<String> {
    let after = value.split_once("://")?.1;
    let netloc = after.split(['/', '?', '#']).next().unwrap_or_default();
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let host = if let Some(rest) = hostinfo.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        hostinfo.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then(|| host.to_lowercase())
}

pub fn is_url(value: &str) -> bool {
    if value.chars().count() > MAX_LENGTH || value.contains(['\t', '\r', '\n']) {
        return false;
    }
    let scheme = value.split("://").next().unwrap_or_default().to_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "blank") {
        return false;
    }
    if !regex().is_some_and(|r| r.is_match(value)) {
        return false;
    }
    let after = value.split_once("://").map_or("", |(_, a)| a);
    let netloc = after.split(['/', '?', '#']).next().unwrap_or_default();
    // urlsplit rejects unbalanced brackets; a bracketed host must be an IPv6 address.
    if netloc.contains('[') != netloc.contains(']') {
        return false;
    }
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    if let Some(rest) = hostinfo.strip_prefix('[') {
        let inner = rest.split(']').next().unwrap_or_default();
        if super::net::parse_v6(inner.split('%').next().unwrap_or_default()).is_none() {
            return false;
        }
    }
    hostname(value).is_some_and(|h| h.chars().count() <= 253)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn django_domainless_urls() {
        for ok in [
            "https://intranet.example.com/start",
            "https://authentik.company",
            "http://localhost:9000/if/flow/",
            "http://intranet/",
            "https://10.1.2.3:8443/x?y#z",
            "https://[2001:db8::1]:443/",
            "HTTPS://EXAMPLE.COM",
            "https://user:pass@host.example/",
            "https://bücher.example/",
        ] {
            assert!(is_url(ok), "{ok}");
        }
        for bad in [
            "not a url",
            "ftp://example.com/",
            "https://",
            "https://-bad.example/",
            "https://exa mple.com/",
            "https://[1.2.3.4]/",
            "https://example.com/\nx",
            "//example.com",
            "example.com",
        ] {
            assert!(!is_url(bad), "{bad}");
        }
    }
}
