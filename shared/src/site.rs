//! Which organisation a host name belongs to, roughly: its registrable
//! domain ("site"), so that `mx1.example.co.uk` and `smtp.example.co.uk` read
//! as related while `mx.alpha.co.uk` and `mx.beta.co.uk` do not.
//!
//! The full Public Suffix List has about ten thousand rules and changes every
//! week; a pure crate that also runs in the page should not carry it. This
//! module embeds only the multi-label suffixes under which mail domains are
//! commonly registered ([`MULTI_LABEL_SUFFIXES`]). A name under a suffix that
//! is not listed is cut at its last two labels, which can only make unrelated
//! names look related: the interception heuristics then find less, never
//! more. That is the safe direction for a tool that must not cry wolf.

/// Second-level public suffixes (ICANN section of the Public Suffix List)
/// under which many organisations register their domains, sorted. Not the
/// whole list: see the module documentation for why that is safe.
pub const MULTI_LABEL_SUFFIXES: &[&str] = &[
    "ac.in", "ac.jp", "ac.kr", "ac.nz", "ac.uk", "ac.za", "co.at", "co.id", "co.il", "co.in",
    "co.jp", "co.ke", "co.kr", "co.nz", "co.th", "co.uk", "co.za", "com.ar", "com.au", "com.br",
    "com.cn", "com.co", "com.eg", "com.hk", "com.mx", "com.my", "com.ng", "com.pe", "com.ph",
    "com.pk", "com.pl", "com.sa", "com.sg", "com.tr", "com.tw", "com.ua", "com.vn", "edu.au",
    "gov.uk", "ne.jp", "net.au", "net.br", "net.cn", "net.in", "net.nz", "net.uk", "or.at",
    "or.jp", "org.au", "org.br", "org.cn", "org.il", "org.in", "org.nz", "org.uk", "org.za",
];

/// The "site" of a host name: its registrable domain (`mx.google.com` →
/// `google.com`, `mail.example.co.uk` → `example.co.uk`). IP literals are
/// their own site. Case and a trailing dot are ignored.
pub fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let keep = match labels.len() {
        n if n >= 3 => {
            let suffix = labels[n - 2..].join(".");
            if MULTI_LABEL_SUFFIXES.binary_search(&suffix.as_str()).is_ok() {
                3
            } else {
                2
            }
        }
        n => n,
    };
    labels[labels.len() - keep..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn suffix_list_is_sorted_and_two_labels() {
        assert!(MULTI_LABEL_SUFFIXES.windows(2).all(|w| w[0] < w[1]));
        for s in MULTI_LABEL_SUFFIXES {
            assert_eq!(s.split('.').count(), 2, "{s}");
            assert_eq!(*s, s.to_ascii_lowercase(), "{s}");
        }
    }
}
