//! The few URL facts the capture needs, without a URL parser.

/// `scheme://host[:port]` of an http(s) URL; `None` for anything else
/// (`chrome://`, `about:blank`, `data:`), which the extension ignores.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // Userinfo never belongs in an origin.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host_port.to_ascii_lowercase()
    ))
}

/// The host of an origin or URL, without port (cookies ignore ports).
pub fn host_of(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    let hp = origin.split_once("://")?.1;
    let host = if hp.starts_with('[') {
        hp.split_inclusive(']').next().unwrap_or(hp)
    } else {
        hp.split(':').next().unwrap_or(hp)
    };
    Some(host.to_owned())
}

/// Does a cookie `domain` (with or without the leading dot) cover `host`?
pub fn domain_matches(cookie_domain: &str, host: &str) -> bool {
    let d = cookie_domain.trim_start_matches('.').to_ascii_lowercase();
    let h = host.to_ascii_lowercase();
    !d.is_empty() && (h == d || h.ends_with(&format!(".{d}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let cases = [
            (
                "https://App.Example.test/a?b#c",
                Some("https://app.example.test"),
            ),
            ("http://127.0.0.1:8080/x", Some("http://127.0.0.1:8080")),
            ("http://user:pw@h.test/", Some("http://h.test")),
            ("https://h.test?x=1", Some("https://h.test")),
            ("chrome://extensions", None),
            ("about:blank", None),
            ("https:///nohost", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(origin_of(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn hosts_and_domains() {
        assert_eq!(
            host_of("http://127.0.0.1:9/x").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host_of("http://[::1]:9/x").as_deref(), Some("[::1]"));
        let cases = [
            (".example.test", "app.example.test", true),
            ("example.test", "example.test", true),
            ("example.test", "badexample.test", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("", "x", false),
        ];
        for (d, h, want) in cases {
            assert_eq!(domain_matches(d, h), want, "{d} {h}");
        }
    }
}
