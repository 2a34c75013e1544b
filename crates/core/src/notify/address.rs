//! Which network addresses a webhook may reach (issue 9, SSRF): only public unicast
//! addresses, unless the operator's allow-list (`SERVICEDESK_WEBHOOK_ALLOW`) names the
//! host or a network holding the address. Pure: no lookups here; the sender resolves the
//! name through its resolver port and asks [`WebhookAllowList::permits`] about each
//! address, and the API refuses URLs whose host is literally a refused address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address: not loopback, private, link-local,
/// unique-local, CGNAT, unspecified (`0.0.0.0/8`, `::`), broadcast, documentation,
/// benchmarking, multicast or reserved, and not an IPv6 form embedding such an IPv4
/// address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`). IPv6 is public only inside the
/// global unicast range `2000::/3`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", 0.0.0.0/8
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata
        || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
        || ip.is_documentation()
        || ip.is_multicast()
        || a >= 240) // reserved 240/4 and broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // IPv4-mapped ::ffff:a.b.c.d: what the socket really reaches is the IPv4 address.
    if s[..6] == [0, 0, 0, 0, 0, 0xffff] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // ::/96: `::`, `::1` and the deprecated IPv4-compatible ::a.b.c.d (no real target
    // uses them).
    if s[..6] == [0; 6] {
        return false;
    }
    // NAT64 well-known prefix 64:ff9b::/96: a gateway connects to the embedded IPv4.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // Only global unicast 2000::/3 is public; this leaves out unique-local fc00::/7,
    // link-local fe80::/10, site-local fec0::/10, multicast ff00::/8, discard 100::/64,
    // the local-use NAT64 prefix 64:ff9b:1::/48 and everything unassigned.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // Documentation 2001:db8::/32 and 3fff::/20.
    if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] & 0xfff0) == 0x3ff0 {
        return false;
    }
    // 6to4 2002:AABB:CCDD::/48 embeds the IPv4 address AA.BB.CC.DD.
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    // Teredo 2001:0::/32: the client's IPv4 address is the last 32 bits, inverted.
    if s[0] == 0x2001 && s[1] == 0 {
        return is_public_v4(embedded(!s[6], !s[7]));
    }
    true
}

/// An IPv4-mapped IPv6 address as the IPv4 address it reaches; others unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// A network in an allow-list: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn contains(self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Why an allow-list entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook allow-list entry {entry:?} is neither a host name, an address nor a CIDR network")]
pub struct AllowListError {
    /// The entry as written.
    pub entry: String,
}

/// The operator's exceptions to "public addresses only" (`SERVICEDESK_WEBHOOK_ALLOW`):
/// host names (exact, case-insensitive, or `*.example.org` for every name under it) whose
/// every address is permitted, and addresses or CIDR networks (`10.1.0.0/16`,
/// `127.0.0.1`, `fd00::/8`) that are permitted whatever name leads to them. The default
/// (empty) list permits public addresses only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookAllowList {
    hosts: Vec<String>,
    nets: Vec<Net>,
}

impl WebhookAllowList {
    /// Parses a comma-separated list; blanks are skipped.
    ///
    /// # Errors
    /// [`AllowListError`] for an entry that is not a host name, address or CIDR.
    pub fn parse(list: &str) -> Result<Self, AllowListError> {
        let mut allow = Self::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || AllowListError {
                entry: entry.to_owned(),
            };
            if let Some((addr, prefix)) = entry.split_once('/') {
                let addr: IpAddr = addr.trim_matches(['[', ']']).parse().map_err(|_| bad())?;
                let prefix: u8 = prefix.parse().map_err(|_| bad())?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                if prefix > max {
                    return Err(bad());
                }
                let (addr, prefix) = canonical_net(addr, prefix);
                allow.nets.push(Net { addr, prefix });
            } else if let Ok(addr) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
                let addr = canonical(addr);
                let prefix = if addr.is_ipv4() { 32 } else { 128 };
                allow.nets.push(Net { addr, prefix });
            } else {
                let host = entry.to_ascii_lowercase();
                let name = host.strip_prefix("*.").unwrap_or(&host);
                let ok = !name.is_empty()
                    && name.split('.').all(|label| {
                        !label.is_empty()
                            && label
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    });
                if !ok {
                    return Err(bad());
                }
                allow.hosts.push(host);
            }
        }
        Ok(allow)
    }

    /// Whether the list is empty (public addresses only).
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.nets.is_empty()
    }

    /// Whether the host name itself is listed (then every address it resolves to is
    /// permitted).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.iter().any(|h| match h.strip_prefix("*.") {
            Some(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
            None => *h == host,
        })
    }

    /// Whether a listed network holds `ip` (IPv4-mapped IPv6 counts as its IPv4 address).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// Whether a webhook for `host` may connect to `ip`: a public address, a listed host
    /// or a listed network.
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        is_public(ip) || self.allows_ip(ip) || self.allows_host(host)
    }

    /// Whether a URL's host part (as written: a name, an IPv4 address or a bracketed IPv6
    /// address) is refused without any lookup: a literal non-public address, or
    /// `localhost` / `*.localhost`, neither of them allowed.
    pub fn refuses_literal(&self, host: &str) -> bool {
        if self.allows_host(host) {
            return false;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return !(is_public(ip) || self.allows_ip(ip));
        }
        // `localhost` is the loopback address by definition (RFC 6761).
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        (name == "localhost" || name.ends_with(".localhost"))
            && !self.allows_ip(IpAddr::from([127, 0, 0, 1]))
            && !self.allows_ip(IpAddr::from(Ipv6Addr::LOCALHOST))
    }
}

/// A network's address with the host bits cleared, IPv4-mapped networks as IPv4.
fn canonical_net(addr: IpAddr, prefix: u8) -> (IpAddr, u8) {
    match addr {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() && prefix >= 96 => {
            (canonical(addr), prefix - 96)
        }
        other => (other, prefix),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.5",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "::127.0.0.1",
            "::10.0.0.5",
            "64:ff9b::a00:5",
            "64:ff9b:1::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378:8000:63bf:f5ff:fffa", // Teredo, client 10.0.0.5
            "4000::1",
        ];
        for ip in refused {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(!is_public(parsed), "{ip} counted as public");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2606:4700:4700::1111",
            "2a00:1450:4001:82b::200e",
            "2002:808:808::1",
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, client 8.8.8.8
        ];
        for ip in public {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(is_public(parsed), "{ip} counted as non-public");
        }
    }

    #[test]
    fn the_allow_list_names_hosts_addresses_and_networks() {
        let allow = WebhookAllowList::parse(
            " 127.0.0.1, 10.20.0.0/16 ,fd00::/8, hooks.corp.example, *.intra.example,",
        )
        .unwrap();
        assert!(!allow.is_empty());
        assert!(allow.allows_ip("127.0.0.1".parse().unwrap()));
        assert!(allow.allows_ip("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!allow.allows_ip("127.0.0.2".parse().unwrap()));
        assert!(allow.allows_ip("10.20.255.1".parse().unwrap()));
        assert!(!allow.allows_ip("10.21.0.1".parse().unwrap()));
        assert!(allow.allows_ip("fd12::1".parse().unwrap()));
        assert!(!allow.allows_ip("fe80::1".parse().unwrap()));
        assert!(allow.allows_host("HOOKS.corp.example"));
        assert!(allow.allows_host("hooks.corp.example."));
        assert!(!allow.allows_host("evil-hooks.corp.example"));
        assert!(allow.allows_host("a.intra.example"));
        assert!(!allow.allows_host("intra.example"));
        assert!(!allow.allows_host("aintra.example"));
        assert!(allow.permits("hooks.corp.example", "10.9.9.9".parse().unwrap()));
        assert!(allow.permits("anything", "8.8.8.8".parse().unwrap()));
        assert!(!allow.permits("anything", "10.9.9.9".parse().unwrap()));
        assert!(allow.permits("anything", "10.20.1.1".parse().unwrap()));

        let mapped = WebhookAllowList::parse("::ffff:192.168.0.0/112").unwrap();
        assert!(mapped.allows_ip("192.168.3.4".parse().unwrap()));
        assert!(!mapped.allows_ip("192.169.0.1".parse().unwrap()));

        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "a b",
            "http://x",
            "10.0.0.0/x",
            "*.",
        ] {
            assert!(WebhookAllowList::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(WebhookAllowList::parse("").unwrap().is_empty());
    }

    #[test]
    fn literal_refusals_need_no_lookup() {
        let strict = WebhookAllowList::default();
        for host in [
            "169.254.169.254",
            "[::ffff:127.0.0.1]",
            "[::1]",
            "127.0.0.1",
            "0.0.0.0",
            "[fd00::1]",
            "localhost",
            "LocalHost.",
            "db.localhost",
        ] {
            assert!(strict.refuses_literal(host), "{host}");
        }
        for host in ["hooks.slack.com", "8.8.8.8", "[2606:4700::1]", "10.example"] {
            assert!(!strict.refuses_literal(host), "{host}");
        }
        let local = WebhookAllowList::parse("127.0.0.1").unwrap();
        assert!(!local.refuses_literal("127.0.0.1"));
        assert!(!local.refuses_literal("[::ffff:127.0.0.1]"));
        assert!(!local.refuses_literal("localhost"));
        assert!(local.refuses_literal("[::1]"));
    }
}
