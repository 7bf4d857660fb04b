//! The address a request really comes from. Behind a load balancer every TCP peer is the balancer, so per-client
//! limits would lump all viewers together; each trusted proxy appends the address it saw to X-Forwarded-For, so
//! with `hops` proxies in front the client is the `hops`-th entry from the right. Entries further left were
//! written by the client itself and prove nothing.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// The client address: `peer`'s when no proxy is trusted or the header is missing or short, else the entry the
/// outermost trusted proxy appended.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer.ip();
    }
    // Several X-Forwarded-For headers count as one comma-separated list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    entries.len().checked_sub(hops).and_then(|i| entries[i].parse::<IpAddr>().ok()).unwrap_or_else(|| peer.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    const PEER: &str = "10.0.0.5:4000";

    fn addr(hops: usize, values: &[&str]) -> String {
        client_address(PEER.parse().unwrap(), &headers(values), hops).to_string()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(addr(0, &["203.0.113.9"]), "10.0.0.5");
    }

    #[test]
    fn one_hop_takes_the_last_entry_and_ignores_what_the_client_forged() {
        assert_eq!(addr(1, &["1.2.3.4, 203.0.113.9"]), "203.0.113.9");
        assert_eq!(addr(1, &["1.2.3.4", "203.0.113.9"]), "203.0.113.9", "split over two headers");
    }

    #[test]
    fn two_hops_take_the_entry_the_outer_proxy_wrote() {
        assert_eq!(addr(2, &["6.6.6.6, 203.0.113.9, 130.176.0.1"]), "203.0.113.9");
        assert_eq!(addr(2, &["2001:db8::1, 130.176.0.1"]), "2001:db8::1");
    }

    #[test]
    fn a_missing_short_or_garbled_header_falls_back_to_the_peer() {
        assert_eq!(addr(1, &[]), "10.0.0.5");
        assert_eq!(addr(2, &["203.0.113.9"]), "10.0.0.5");
        assert_eq!(addr(1, &["not-an-address"]), "10.0.0.5");
    }
}
