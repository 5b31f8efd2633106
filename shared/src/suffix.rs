//! Where the registrable part of a host name starts: `example.co.uk` in
//! `mail.customer.example.co.uk`, `example.com` in `mx.client.example.com`.
//!
//! Heuristics that read meaning into host names (a generic reverse DNS name,
//! a greeting naming some other domain) must not mistake the customer's or
//! the ISP's own domain for a word in the host part: `mail.customer.co.uk` is
//! the mail server of `customer.co.uk`, not a customer line. The full Public
//! Suffix List (about 10,000 rules, updated weekly) is not worth embedding
//! for that; this module knows the two-label suffixes under which ISPs and
//! companies commonly register (`co.uk`, `com.au`, `ne.jp`...) and treats
//! every other name as `<label>.<tld>`. A miss makes the registrable domain
//! one label too short, which errs towards reading the domain as host words,
//! exactly as before this module existed.

/// Two-label public suffixes common enough to matter, lowercase, by region.
#[rustfmt::skip]
const TWO_LABEL_SUFFIXES: &[&str] = &[
    // United Kingdom
    "ac.uk", "co.uk", "gov.uk", "ltd.uk", "me.uk", "net.uk", "org.uk", "plc.uk", "sch.uk",
    // Australia, New Zealand
    "asn.au", "com.au", "edu.au", "gov.au", "id.au", "net.au", "org.au",
    "ac.nz", "co.nz", "govt.nz", "net.nz", "org.nz",
    // Japan, Korea, China, Taiwan, Hong Kong
    "ac.jp", "ad.jp", "co.jp", "go.jp", "gr.jp", "ne.jp", "or.jp",
    "ac.kr", "co.kr", "ne.kr", "or.kr",
    "com.cn", "edu.cn", "gov.cn", "net.cn", "org.cn",
    "com.tw", "edu.tw", "net.tw", "org.tw",
    "com.hk", "edu.hk", "net.hk", "org.hk",
    // South and South-East Asia
    "ac.in", "co.in", "gov.in", "net.in", "org.in",
    "com.sg", "edu.sg", "net.sg", "org.sg",
    "com.my", "net.my", "ac.id", "co.id", "net.id", "or.id", "ac.th", "co.th", "in.th",
    // Americas
    "com.ar", "net.ar", "org.ar", "com.br", "edu.br", "gov.br", "net.br", "org.br",
    "com.mx", "net.mx", "org.mx",
    // Africa, Middle East, Europe
    "ac.za", "co.za", "gov.za", "net.za", "org.za", "ac.il", "co.il", "net.il", "org.il",
    "com.tr", "net.tr", "org.tr", "com.pl", "net.pl", "org.pl", "com.ua", "net.ua",
];

/// How many labels the public suffix of `name` has: 2 for `example.co.uk`,
/// 1 for `example.com` (and for any suffix this module does not know).
/// `name` is compared case-insensitively; a trailing dot is ignored.
fn suffix_labels(name: &str) -> usize {
    let name = name.trim_end_matches('.');
    let mut labels = name.rsplit('.');
    let tld = labels.next().unwrap_or_default();
    let second = labels.next();
    match second {
        Some(sld) => {
            let two = format!("{sld}.{tld}").to_ascii_lowercase();
            if TWO_LABEL_SUFFIXES.contains(&two.as_str()) {
                2
            } else {
                1
            }
        }
        None => 1,
    }
}

/// The number of labels of `name` that make its registrable domain (the
/// public suffix and one label more), capped at the name's own length.
fn registrable_labels(name: &str) -> usize {
    let name = name.trim_end_matches('.');
    let total = name.split('.').count();
    (suffix_labels(name) + 1).min(total)
}

/// The registrable domain of `name`: `example.co.uk` for
/// `mail.example.co.uk`, `example.com` for `mx.client.example.com`; the
/// whole name when it is no longer than that. A trailing dot is dropped.
pub fn registrable_domain(name: &str) -> &str {
    let name = name.trim_end_matches('.');
    let keep = registrable_labels(name);
    let total = name.split('.').count();
    let skip = total - keep;
    name.splitn(skip + 1, '.').last().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains() {
        let table = [
            ("mail.customer.co.uk", "customer.co.uk", 3),
            ("mail.home.example.co.uk", "example.co.uk", 3),
            ("MX.Client.Example.COM", "Example.COM", 2),
            ("webmail.res.tu-berlin.de", "tu-berlin.de", 2),
            ("c-73-1-2-3.hsd1.ca.comcast.net.", "comcast.net", 2),
            ("a.b.example.com.au", "example.com.au", 3),
            // Names as short as a registrable domain, or shorter.
            ("example.com", "example.com", 2),
            ("co.uk", "co.uk", 2),
            ("localhost", "localhost", 1),
            // An unknown two-label suffix reads as <label>.<tld>.
            ("host.example.gv.at", "gv.at", 2),
        ];
        for (name, domain, labels) in table {
            assert_eq!(registrable_domain(name), domain, "{name}");
            assert_eq!(registrable_labels(name), labels, "{name}");
        }
        assert_eq!(suffix_labels("x.example.ne.jp"), 2);
        assert_eq!(suffix_labels("x.example.jp"), 1);
    }

    #[test]
    fn the_table_is_lowercase_two_label_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in TWO_LABEL_SUFFIXES {
            assert_eq!(s.split('.').count(), 2, "{s}");
            assert_eq!(*s, s.to_ascii_lowercase(), "{s}");
            assert!(seen.insert(s), "duplicate {s}");
        }
    }
}
