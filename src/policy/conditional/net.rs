//! IP addresses and networks with Python `ipaddress` semantics (policies §5.4–§5.5):
//! strict IPv4 dotted quads (no leading zeros), IPv6 with `::`, embedded IPv4 and `%scope`,
//! networks given with a prefix length, an IPv4 netmask or hostmask, host bits allowed
//! (`strict=False`), and the `is_private` / `is_global` tables of Python 3.13 (IANA special
//! registries, including IPv4-mapped IPv6 addresses judged as IPv4).

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    V4(u32),
    V6(V6),
}

/// A 128-bit IPv6 address stored as two words, so values stay 8-byte aligned (a `u128` would
/// double the size of every typed value that can hold an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V6([u64; 2]);

impl V6 {
    pub const fn new(v: u128) -> V6 {
        V6([(v >> 64) as u64, v as u64])
    }

    pub const fn get(self) -> u128 {
        (self.0[0] as u128) << 64 | self.0[1] as u128
    }
}

/// An address; the IPv6 scope id takes part in equality, as in Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ip<'a> {
    pub addr: Addr,
    pub scope: Option<Cow<'a, str>>,
}

impl Ip<'_> {
    pub fn into_owned(self) -> Ip<'static> {
        Ip {
            addr: self.addr,
            scope: self.scope.map(|s| Cow::Owned(s.into_owned())),
        }
    }
}

impl std::fmt::Display for Ip<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            Addr::V4(a) => write!(f, "{}", std::net::Ipv4Addr::from(a)),
            Addr::V6(a) => {
                write!(f, "{}", std::net::Ipv6Addr::from(a.get()))?;
                match &self.scope {
                    Some(s) => write!(f, "%{s}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A network: the masked network address and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: Addr,
    pub prefix: u8,
}

impl Net {
    /// `address in network`: always false across IP versions.
    pub fn contains(&self, a: Addr) -> bool {
        match (self.addr, a) {
            (Addr::V4(n), Addr::V4(x)) => x & mask4(self.prefix) == n,
            (Addr::V6(n), Addr::V6(x)) => x.get() & mask6(self.prefix) == n.get(),
            _ => false,
        }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            Addr::V4(a) => write!(f, "{}/{}", std::net::Ipv4Addr::from(a), self.prefix),
            Addr::V6(a) => write!(f, "{}/{}", std::net::Ipv6Addr::from(a.get()), self.prefix),
        }
    }
}

fn mask4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32) as u32)
    }
}

fn mask6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix.min(128) as u32)
    }
}

/// `IPv4Address(s)`: exactly four decimal octets, no leading zeros (so no `/` either).
pub fn parse_v4(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let mut out = 0u32;
    let mut i = 0;
    for octet in 0..4 {
        if octet > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut value = 0u32;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            value = value * 10 + (d - b'0') as u32;
            i += 1;
        }
        let len = i - start;
        if len == 0 || len > 3 || value > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        out = out << 8 | value;
    }
    (i == b.len()).then_some(out)
}

#[derive(Clone, Copy)]
enum Part<'a> {
    Text(&'a str),
    Hextet(u16),
}

impl Part<'_> {
    fn is_empty(&self) -> bool {
        matches!(self, Part::Text(""))
    }

    fn value(&self) -> Option<u128> {
        match *self {
            Part::Hextet(h) => Some(h as u128),
            Part::Text(h) => {
                if h.is_empty() || h.len() > 4 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                u128::from_str_radix(h, 16).ok()
            }
        }
    }
}

/// `IPv6Address._ip_int_from_string` (without the scope id), step by step as in Python.
pub fn parse_v6(s: &str) -> Option<u128> {
    if s.is_empty() || s.len() > 45 {
        return None;
    }
    let mut buf = [Part::Text(""); 11];
    let mut n = 0;
    for p in s.split(':') {
        if n == 10 {
            return None;
        }
        buf[n] = Part::Text(p);
        n += 1;
    }
    if n < 3 {
        return None;
    }
    // An IPv4 suffix becomes two hextets.
    if let Part::Text(last) = buf[n - 1]
        && last.contains('.')
    {
        let v4 = parse_v4(last)?;
        buf[n - 1] = Part::Hextet((v4 >> 16) as u16);
        buf[n] = Part::Hextet(v4 as u16);
        n += 1;
    }
    if n > 9 {
        return None;
    }
    let parts = &buf[..n];
    // An empty part between the ends marks `::`.
    let mut skip = None;
    for (i, p) in parts.iter().enumerate().take(n - 1).skip(1) {
        if p.is_empty() {
            if skip.is_some() {
                return None;
            }
            skip = Some(i);
        }
    }
    let (hi, lo) = match skip {
        Some(i) => {
            let mut hi = i;
            let mut lo = n - i - 1;
            if parts[0].is_empty() {
                hi -= 1;
                if hi != 0 {
                    return None;
                }
            }
            if parts[n - 1].is_empty() {
                lo -= 1;
                if lo != 0 {
                    return None;
                }
            }
            if hi + lo > 7 {
                return None;
            }
            (hi, lo)
        }
        None => {
            if n != 8 || parts[0].is_empty() || parts[n - 1].is_empty() {
                return None;
            }
            (n, 0)
        }
    };
    let mut v = 0u128;
    for p in &parts[..hi] {
        v = v << 16 | p.value()?;
    }
    // `::` alone skips all 128 bits.
    v = v.checked_shl(16 * (8 - hi - lo) as u32).unwrap_or(0);
    for p in &parts[n - lo..] {
        v = v << 16 | p.value()?;
    }
    Some(v)
}

/// Python repr of a string, for `ipaddress` error messages.
fn repr(s: &str) -> String {
    super::types::py_repr_str(s)
}

/// `ip_address(s)`.
pub fn parse_ip(s: &str) -> Result<Ip<'_>, String> {
    let err = || format!("{} does not appear to be an IPv4 or IPv6 address", repr(s));
    if let Some(v4) = parse_v4(s) {
        return Ok(Ip {
            addr: Addr::V4(v4),
            scope: None,
        });
    }
    if s.contains('/') {
        return Err(err());
    }
    let (addr, scope) = split_scope(s).ok_or_else(err)?;
    let v6 = parse_v6(addr).ok_or_else(err)?;
    Ok(Ip {
        addr: Addr::V6(V6::new(v6)),
        scope: scope.map(Cow::Borrowed),
    })
}

fn split_scope(s: &str) -> Option<(&str, Option<&str>)> {
    match s.split_once('%') {
        None => Some((s, None)),
        Some((_, "")) => None,
        Some((_, scope)) if scope.contains('%') => None,
        Some((a, scope)) => Some((a, Some(scope))),
    }
}

fn prefix_string(s: &str, max: u8) -> Option<u8> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let p: u64 = s.parse().ok()?;
    (p <= max as u64).then_some(p as u8)
}

/// A netmask (`1*0*`) or, failing that, a hostmask (`0*1*`), as a prefix length.
fn prefix_from_mask4(m: u32) -> Option<u8> {
    let ones = m.leading_ones();
    if m.checked_shl(ones).unwrap_or(0) == 0 {
        return Some(ones as u8);
    }
    let inv = !m;
    let ones = inv.leading_ones();
    (inv.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// `ip_network(s, strict=False)`: host bits are cleared.
pub fn parse_net(s: &str) -> Result<Net, String> {
    let err = || format!("{} does not appear to be an IPv4 or IPv6 network", repr(s));
    let mut it = s.split('/');
    let addr = it.next().unwrap_or_default();
    let mask = it.next();
    if it.next().is_some() {
        return Err(err());
    }
    if let Some(a) = parse_v4(addr) {
        let prefix = match mask {
            None => Some(32),
            Some(m) => prefix_string(m, 32).or_else(|| parse_v4(m).and_then(prefix_from_mask4)),
        };
        if let Some(p) = prefix {
            return Ok(Net {
                addr: Addr::V4(a & mask4(p)),
                prefix: p,
            });
        }
    }
    let (a6, _) = split_scope(addr).ok_or_else(err)?;
    let a6 = parse_v6(a6).ok_or_else(err)?;
    let p = match mask {
        None => 128,
        Some(m) => prefix_string(m, 128).ok_or_else(err)?,
    };
    Ok(Net {
        addr: Addr::V6(V6::new(a6 & mask6(p))),
        prefix: p,
    })
}

const fn n4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> (u32, u8) {
    (
        (a as u32) << 24 | (b as u32) << 16 | (c as u32) << 8 | d as u32,
        prefix,
    )
}

const V4_PRIVATE: &[(u32, u8)] = &[
    n4(0, 0, 0, 0, 8),
    n4(10, 0, 0, 0, 8),
    n4(127, 0, 0, 0, 8),
    n4(169, 254, 0, 0, 16),
    n4(172, 16, 0, 0, 12),
    n4(192, 0, 0, 0, 24),
    n4(192, 0, 0, 170, 31),
    n4(192, 0, 2, 0, 24),
    n4(192, 168, 0, 0, 16),
    n4(198, 18, 0, 0, 15),
    n4(198, 51, 100, 0, 24),
    n4(203, 0, 113, 0, 24),
    n4(240, 0, 0, 0, 4),
    n4(255, 255, 255, 255, 32),
];
const V4_PRIVATE_EXCEPTIONS: &[(u32, u8)] = &[n4(192, 0, 0, 9, 32), n4(192, 0, 0, 10, 32)];
const V4_SHARED: (u32, u8) = n4(100, 64, 0, 0, 10);

const V6_PRIVATE: &[(u128, u8)] = &[
    (1, 128),                     // ::1/128
    (0, 128),                     // ::/128
    (0xffff_0000_0000, 96),       // ::ffff:0:0/96
    (0x0064_ff9b_0001 << 80, 48), // 64:ff9b:1::/48
    (0x0100 << 112, 64),          // 100::/64
    (0x2001 << 112, 23),          // 2001::/23
    (0x2001_0db8 << 96, 32),      // 2001:db8::/32
    (0x2002 << 112, 16),          // 2002::/16
    (0x3fff << 112, 20),          // 3fff::/20
    (0xfc00 << 112, 7),           // fc00::/7
    (0xfe80 << 112, 10),          // fe80::/10
];
const V6_PRIVATE_EXCEPTIONS: &[(u128, u8)] = &[
    ((0x2001_0001 << 96) | 1, 128), // 2001:1::1/128
    ((0x2001_0001 << 96) | 2, 128), // 2001:1::2/128
    (0x2001_0003 << 96, 32),        // 2001:3::/32
    (0x2001_0004_0112 << 80, 48),   // 2001:4:112::/48
    (0x2001_0020 << 96, 28),        // 2001:20::/28
    (0x2001_0030 << 96, 28),        // 2001:30::/28
];

fn in4(a: u32, nets: &[(u32, u8)]) -> bool {
    nets.iter().any(|&(n, p)| a & mask4(p) == n)
}

fn in6(a: u128, nets: &[(u128, u8)]) -> bool {
    nets.iter().any(|&(n, p)| a & mask6(p) == n)
}

/// `::ffff:a.b.c.d` → the IPv4 address.
fn v4_mapped(a: u128) -> Option<u32> {
    (a >> 32 == 0xffff).then_some(a as u32)
}

pub fn is_private(a: Addr) -> bool {
    match a {
        Addr::V4(x) => in4(x, V4_PRIVATE) && !in4(x, V4_PRIVATE_EXCEPTIONS),
        Addr::V6(x) => match v4_mapped(x.get()) {
            Some(v4) => is_private(Addr::V4(v4)),
            None => in6(x.get(), V6_PRIVATE) && !in6(x.get(), V6_PRIVATE_EXCEPTIONS),
        },
    }
}

pub fn is_global(a: Addr) -> bool {
    match a {
        Addr::V4(x) => !in4(x, &[V4_SHARED]) && !is_private(a),
        Addr::V6(x) => match v4_mapped(x.get()) {
            Some(v4) => is_global(Addr::V4(v4)),
            None => !is_private(a),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Addr {
        parse_ip(s).map(|i| i.addr).unwrap_or(Addr::V4(0xdead))
    }

    #[test]
    fn parses_like_python() {
        assert_eq!(ip("10.1.2.3"), Addr::V4(0x0a01_0203));
        assert!(parse_ip("010.1.2.3").is_err());
        assert!(parse_ip("1.2.3").is_err());
        assert!(parse_ip("1.2.3.256").is_err());
        assert!(parse_ip("foo").is_err());
        assert!(parse_ip("10.1.2.3/32").is_err());
        assert_eq!(ip("::1"), Addr::V6(V6::new(1)));
        assert_eq!(ip("::"), Addr::V6(V6::new(0)));
        assert_eq!(ip("2001:db8::"), Addr::V6(V6::new(0x2001_0db8 << 96)));
        assert_eq!(ip("::ffff:1.2.3.4"), Addr::V6(V6::new(0xffff_0102_0304)));
        assert_eq!(
            ip("1:2:3:4:5:6:7:8"),
            Addr::V6(V6::new(0x0001_0002_0003_0004_0005_0006_0007_0008))
        );
        assert_eq!(ip("1::8"), Addr::V6(V6::new(1 << 112 | 8)));
        assert!(parse_ip("1:2:3:4:5:6:7:8:9").is_err());
        assert!(parse_ip("1::2::3").is_err());
        assert!(parse_ip(":1:2:3:4:5:6:7").is_err());
        assert!(parse_ip("1:2:3:4:5:6:7::").is_ok());
        assert!(parse_ip("1:2:3:4:5:6:7:8::").is_err());
        assert!(parse_ip("fe80::1%eth0").is_ok());
        assert!(parse_ip("fe80::1%").is_err());
        assert_eq!(
            parse_ip("'x").err().as_deref(),
            Some("\"'x\" does not appear to be an IPv4 or IPv6 address")
        );
    }

    #[test]
    fn networks_allow_host_bits_and_masks() {
        let n = parse_net("10.1.2.3/8").ok();
        assert_eq!(
            n,
            Some(Net {
                addr: Addr::V4(0x0a00_0000),
                prefix: 8
            })
        );
        assert_eq!(parse_net("10.0.0.0/255.0.0.0").ok(), n);
        assert_eq!(parse_net("10.0.0.0/0.255.255.255").ok(), n);
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("10.0.0.0/255.0.255.0").is_err());
        assert_eq!(parse_net("1.2.3.4").ok().map(|n| n.prefix), Some(32));
        assert!(parse_net("2001:db8::/32").is_ok());
        assert!(parse_net("::/0").is_ok());
        assert!(parse_net("foo").is_err());
        let any6 = parse_net("::/0").ok().unwrap_or(Net {
            addr: Addr::V4(1),
            prefix: 32,
        });
        assert!(
            !any6.contains(ip("10.1.2.3")),
            "IPv4 address is never in an IPv6 network"
        );
        assert!(any6.contains(ip("2001:db8::1")));
    }

    #[test]
    fn private_and_global_tables() {
        for (a, private, global) in [
            ("10.0.0.5", true, false),
            ("8.8.8.8", false, true),
            ("100.64.1.1", false, false),
            ("192.0.0.9", false, true),
            ("192.0.0.8", true, false),
            ("192.168.10.5", true, false),
            ("255.255.255.255", true, false),
            ("::1", true, false),
            ("2001:db8::1", true, false),
            ("2606:4700::1111", false, true),
            ("::ffff:10.0.0.1", true, false),
            ("::ffff:8.8.8.8", false, true),
            ("2001:4:112::1", false, true),
            ("fd00::1", true, false),
        ] {
            assert_eq!(is_private(ip(a)), private, "{a} private");
            assert_eq!(is_global(ip(a)), global, "{a} global");
        }
    }
}
