//! Where the registrable part of a host name starts: `example.co.uk` in
//! `mail.customer.example.co.uk`, `example.com` in `mx.client.example.com`.
//!
//! Two heuristics read meaning into host names and must not mistake a
//! customer's or an ISP's own domain for a word in the host part: the
//! generic reverse-DNS test (`mail.customer.co.uk` is the mail server of
//! `customer.co.uk`, not a customer line) and the interception test that
//! compares the "site" of a greeting with the target's
//! (`mx1.example.co.uk` and `smtp.example.co.uk` are related,
//! `mx.alpha.co.uk` and `mx.beta.co.uk` are not).
//!
//! The full Public Suffix List (about 10,000 rules, updated weekly) is not
//! worth embedding in a crate that also runs in the page. This module knows
//! the two-label suffixes under which ISPs and companies commonly register
//! ([`TWO_LABEL_SUFFIXES`]) and treats every other name as `<label>.<tld>`.
//! A miss makes the registrable domain one label too short, which can only
//! make unrelated names look related (interception finds less, never more)
//! and lets the generic reverse-DNS test read the domain's first label as a
//! host word.

/// Two-label public suffixes (ICANN section of the Public Suffix List)
/// common enough to matter, lowercase and sorted. Not the whole list: see
/// the module documentation for why that is safe.
#[rustfmt::skip]
pub const TWO_LABEL_SUFFIXES: &[&str] = &[
    "ac.id", "ac.il", "ac.in", "ac.jp", "ac.kr", "ac.nz", "ac.th", "ac.uk", "ac.za", "ad.jp",
    "asn.au", "co.at", "co.id", "co.il", "co.in", "co.jp", "co.ke", "co.kr", "co.nz", "co.th",
    "co.uk", "co.za", "com.ar", "com.au", "com.br", "com.cn", "com.co", "com.eg", "com.hk",
    "com.mx", "com.my", "com.ng", "com.pe", "com.ph", "com.pk", "com.pl", "com.sa", "com.sg",
    "com.tr", "com.tw", "com.ua", "com.vn", "edu.au", "edu.br", "edu.cn", "edu.hk", "edu.sg",
    "edu.tw", "go.jp", "gov.au", "gov.br", "gov.cn", "gov.in", "gov.uk", "gov.za", "govt.nz",
    "gr.jp", "id.au", "in.th", "ltd.uk", "me.uk", "ne.jp", "ne.kr", "net.ar", "net.au", "net.br",
    "net.cn", "net.hk", "net.id", "net.il", "net.in", "net.mx", "net.my", "net.nz", "net.pl",
    "net.sg", "net.tr", "net.tw", "net.ua", "net.uk", "net.za", "or.at", "or.id", "or.jp", "or.kr",
    "org.ar", "org.au", "org.br", "org.cn", "org.hk", "org.il", "org.in", "org.mx", "org.nz",
    "org.pl", "org.sg", "org.tr", "org.tw", "org.uk", "org.za", "plc.uk", "sch.uk",
];

/// How many labels the public suffix of `name` has: 2 for `example.co.uk`,
/// 1 for `example.com` (and for any suffix this module does not know).
/// `name` is compared case-insensitively; a trailing dot is ignored.
fn suffix_labels(name: &str) -> usize {
    let name = name.trim_end_matches('.');
    let mut labels = name.rsplit('.');
    let tld = labels.next().unwrap_or_default();
    match labels.next() {
        Some(sld) => {
            let two = format!("{sld}.{tld}").to_ascii_lowercase();
            if TWO_LABEL_SUFFIXES.binary_search(&two.as_str()).is_ok() {
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
/// whole name when it is no longer than that. Case is kept; a trailing dot
/// is dropped.
pub fn registrable_domain(name: &str) -> &str {
    let name = name.trim_end_matches('.');
    let skip = name.split('.').count() - registrable_labels(name);
    name.splitn(skip + 1, '.').last().unwrap_or(name)
}

/// The "site" of a host name, to tell related hosts from unrelated ones: its
/// registrable domain in lowercase (`mx.google.com` → `google.com`,
/// `MAIL.Example.co.uk.` → `example.co.uk`). An IP literal is its own site.
pub fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    registrable_domain(&host).to_string()
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
    fn sites() {
        for (host, want) in [
            ("mx.google.com", "google.com"),
            ("gmail-smtp-in.l.google.com", "google.com"),
            ("MX1.Example.NET.", "example.net"),
            ("example.net", "example.net"),
            ("localhost", "localhost"),
            ("mail.example.co.uk", "example.co.uk"),
            ("a.b.example.co.uk", "example.co.uk"),
            ("mx.isp.com.au", "isp.com.au"),
            ("smtp.provider.co.jp", "provider.co.jp"),
            // The suffix alone, or a name under it, stays whole.
            ("co.uk", "co.uk"),
            ("example.co.uk", "example.co.uk"),
            // An unlisted multi-label suffix is cut at two labels.
            ("mx.alpha.co.xx", "co.xx"),
            ("192.0.2.1", "192.0.2.1"),
            ("2001:db8::25", "2001:db8::25"),
        ] {
            assert_eq!(site(host), want, "{host}");
        }
    }

    #[test]
    fn the_table_is_sorted_lowercase_two_label_and_unique() {
        assert!(TWO_LABEL_SUFFIXES.windows(2).all(|w| w[0] < w[1]));
        for s in TWO_LABEL_SUFFIXES {
            assert_eq!(s.split('.').count(), 2, "{s}");
            assert_eq!(*s, s.to_ascii_lowercase(), "{s}");
        }
    }
}
