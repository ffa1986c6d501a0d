//! The client's address: the peer, or `X-Forwarded-For` when the peer is a trusted proxy.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Walk `X-Forwarded-For` from the right, skipping trusted proxies; the first other address is
/// the client. Entries a client wrote itself sit further left and are never reached.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else {
            return Some(client);
        };
        for part in value.rsplit(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => client = ip,
                Ok(ip) => return Some(ip),
                Err(_) => return Some(client),
            }
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn table() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let cases: &[(&str, Option<&str>, &[IpAddr], &str)] = &[
            ("1.2.3.4", Some("9.9.9.9"), &[], "1.2.3.4"),
            ("10.0.0.1", Some("9.9.9.9"), &[proxy], "9.9.9.9"),
            ("10.0.0.1", Some("6.6.6.6, 9.9.9.9"), &[proxy], "9.9.9.9"),
            ("10.0.0.1", Some("9.9.9.9, 10.0.0.1"), &[proxy], "9.9.9.9"),
            ("10.0.0.1", Some("junk"), &[proxy], "10.0.0.1"),
            ("10.0.0.1", None, &[proxy], "10.0.0.1"),
        ];
        for (peer, xff, trusted, want) in cases {
            let mut h = HeaderMap::new();
            if let Some(x) = xff {
                h.insert("x-forwarded-for", HeaderValue::from_str(x).unwrap());
            }
            let got = client_ip(Some(peer.parse().unwrap()), &h, trusted).unwrap();
            assert_eq!(got.to_string(), *want, "{peer} {xff:?}");
        }
    }

    proptest::proptest! {
        /// Whatever a client writes, an untrusted peer is the answer, and a trusted proxy's
        /// answer is either an address from the header or the proxy itself.
        #[test]
        fn never_panics_and_never_trusts_a_direct_client(xff in "[0-9a-f.:, ]{0,60}") {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&xff) {
                h.insert("x-forwarded-for", v);
            }
            let direct: IpAddr = "203.0.113.9".parse().unwrap();
            proptest::prop_assert_eq!(client_ip(Some(direct), &h, &[]), Some(direct));
            let proxy: IpAddr = "10.0.0.1".parse().unwrap();
            let got = client_ip(Some(proxy), &h, &[proxy]).unwrap();
            proptest::prop_assert!(got == proxy || xff.contains(&got.to_string()) || xff.contains(':'));
        }
    }
}
