//! Which callback URLs the platform may call: `http`/`https` only, no credentials in the URL,
//! and (unless the operator allows it) no private, loopback, link-local or otherwise internal
//! address, checked on the literal address and again on every address the host name resolves
//! to at delivery time (so DNS cannot point a public-looking name inside).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// Longest accepted callback URL.
pub const MAX_URL_LEN: usize = 2048;

/// Why a callback URL is refused; the message is for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("callback_url is not a valid absolute URL: {0}")]
    Invalid(String),
    #[error("callback_url must use http or https")]
    Scheme,
    #[error("callback_url must not carry a user name or password")]
    Credentials,
    #[error("callback_url is longer than {MAX_URL_LEN} bytes")]
    TooLong,
    #[error(
        "callback_url points to a private, loopback or internal address ({0}); the operator can allow such addresses with OCR_WEBHOOK_ALLOW_PRIVATE"
    )]
    Private(String),
}

/// Checks a callback URL's form, and its host when the host is a literal address or `localhost`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, UrlError> {
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let url = Url::parse(raw).map_err(|e| UrlError::Invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let Some(host) = url.host() else { return Err(UrlError::Invalid("no host".into())) };
    if !allow_private {
        let ip = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if d == "localhost" || d.ends_with(".localhost") {
                    return Err(UrlError::Private(d));
                }
                None
            }
        };
        if let Some(ip) = ip.filter(|ip| !is_public(*ip)) {
            return Err(UrlError::Private(ip.to_string()));
        }
    }
    Ok(url)
}

/// True for addresses on the public internet; false for loopback, private (RFC 1918, ULA),
/// link-local, carrier-grade NAT, unspecified, multicast, broadcast, documentation and
/// IPv4-mapped/translated forms of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            public_v6(v6)
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64: may reach IPv4 internals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8000/",
            "http://api.localhost/",
        ] {
            assert!(matches!(check_url(bad, false), Err(UrlError::Private(_))), "{bad} must be refused");
            assert!(check_url(bad, true).is_ok(), "{bad} is allowed when the operator says so");
        }
        for good in ["https://hooks.example.com/ocr", "http://93.184.216.34/x", "https://[2606:4700::1111]/"] {
            assert!(check_url(good, false).is_ok(), "{good} is public");
        }
    }

    #[test]
    fn only_plain_http_urls_are_accepted() {
        assert_eq!(check_url("ftp://example.com/", true), Err(UrlError::Scheme));
        assert_eq!(check_url("https://u:p@example.com/", true), Err(UrlError::Credentials));
        assert!(matches!(check_url("not a url", true), Err(UrlError::Invalid(_))));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_url(&long, true), Err(UrlError::TooLong));
    }
}
