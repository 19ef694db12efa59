//! Where the service may send requests it is told to send: webhook and
//! link callback URLs must be http(s) and, unless private networks are
//! allowed, must not point into the service's own network.

use std::net::IpAddr;

/// Whether `ip` is loopback, private, link-local or otherwise not public.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a webhook URL: http(s), a host, and (for IP literals and
/// `localhost`) not private unless allowed.
pub(crate) fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err("use an http:// or https:// URL".into());
    }
    let host = u.host_str().ok_or("the URL has no host")?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in the URL are not allowed".into());
    }
    if !allow_private {
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if literal.is_some_and(is_private) || host.eq_ignore_ascii_case("localhost") {
            return Err(
                "the URL points at a loopback or private address; webhooks go to public hosts"
                    .into(),
            );
        }
    }
    Ok(u)
}

/// Checks where a link sends its holder back: `https`, or `http` to this
/// machine for development (`localhost`, `127.0.0.1`, `[::1]`); no other
/// scheme (`javascript:`, `data:`, …), no credentials, at most 2,048 bytes.
pub(crate) fn check_return_url(url: &str) -> Result<reqwest::Url, String> {
    if url.len() > MAX_RETURN_URL {
        return Err(format!("at most {MAX_RETURN_URL} bytes"));
    }
    let u = reqwest::Url::parse(url).map_err(|e| format!("not an absolute URL: {e}"))?;
    let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match u.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => return Err("use https:// (http:// only to localhost, for development)".into()),
        other => {
            return Err(format!(
                "the {other}: scheme is not allowed; use https:// (http:// only to localhost, for development)"
            ))
        }
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in the URL are not allowed".into());
    }
    Ok(u)
}

/// Longest return URL.
const MAX_RETURN_URL: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_are_https_or_local_http_only() {
        for ok in [
            "https://app.example.com/done?x=1",
            "http://localhost:3000/done",
            "http://127.0.0.1/done",
        ] {
            assert!(check_return_url(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("javascript:alert(3)", "javascript: scheme"),
            ("data:text/html,hi", "data: scheme"),
            ("http://example.com/done", "use https://"),
            ("https://user:pw@example.com/", "credentials"),
            ("/relative", "not an absolute URL"),
        ] {
            let e = check_return_url(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(check_return_url(&format!("https://a.example/{}", "x".repeat(3000))).is_err());
    }

    #[test]
    fn private_addresses_are_recognized() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "172.32.0.1"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
        assert!(check_url("http://127.0.0.1:9/x", false).is_err());
        assert!(check_url("http://[::1]/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
        assert!(check_url("https://hooks.example.com/passforge", false).is_ok());
    }
}
