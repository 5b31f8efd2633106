//! The access rules under random requests (the property suite's runner:
//! `MAILPORT_FUZZ_SECONDS` for a long run, see shared/tests/fuzz).

use super::authority::Authority;
use super::host::host_is_own;
use super::origin::Origin;
use super::policy::Guard;
use super::token::Token;
use crate::fuzz_runner::check;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;

const PORT: u16 = 7525;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Authority-like text around the agent's names, ports with leading zeros,
/// signs and junk.
fn authorityish() -> impl Strategy<Value = String> {
    prop_oneof![
        "(127\\.0\\.0\\.1|localhost|LOCALHOST|\\[::1\\]|evil\\.example|127\\.1)(:[0+]?[0-9]{0,6})?",
        "[a-z0-9.:\\[\\]@%+ ]{0,40}",
        any::<String>(),
    ]
}

#[test]
fn authorities_read_back_the_same() {
    check("authority", authorityish(), |text| {
        if let Ok(a) = Authority::parse(&text) {
            prop_assert_eq!(a.host(), a.host().to_ascii_lowercase());
            if let Some(port) = a.port() {
                let again = Authority::parse(&format!("{}:{port}", a.host()));
                prop_assert_eq!(again, Ok(a));
            }
        }
        Ok(())
    });
}

#[test]
fn origin_and_host_read_a_port_the_same_way() {
    check("origin vs host", "[0+]{0,2}[0-9]{0,6}", |port_text| {
        let host = format!("127.0.0.1:{port_text}");
        let origin = Origin::parse_header(&format!("http://{host}"));
        let origin_is_own = origin.as_ref().ok() == Some(&Origin::own("127.0.0.1", PORT));
        prop_assert_eq!(origin_is_own, host_is_own(&host, PORT), "{}", host);
        if let Ok(o) = origin {
            prop_assert_eq!(Origin::parse_header(&o.to_string()), Ok(o));
        }
        Ok(())
    });
}

#[test]
fn origins_have_one_normal_form() {
    check(
        "origin",
        prop_oneof![
            "(https?|HTTP|ftp)://[a-zA-Z0-9.:\\[\\]@/ ]{0,30}",
            any::<String>()
        ],
        |text| {
            if let Ok(o) = Origin::parse_header(&text) {
                prop_assert_eq!(Origin::parse_header(&o.to_string()), Ok(o));
            }
            Ok(())
        },
    );
}

/// A header value from a small alphabet of what matters, or any bytes a
/// header may hold.
fn value(choices: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        prop::sample::select(choices).prop_map(|s| Some(s.to_string())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

#[test]
fn admission_never_lets_a_foreign_host_or_a_missing_token_through() {
    let guard = Guard::new(PORT, [], false, Token::from_user(TOKEN).expect("token"));
    let request = (
        prop::sample::select(vec![Method::GET, Method::POST, Method::OPTIONS]),
        prop::sample::select(vec![
            "/",
            "/v1/health",
            "/v1/pair",
            "/v1/checks",
            "/v1/checks/x?y",
        ]),
        prop::collection::vec(
            value(&[
                "127.0.0.1:7525",
                "localhost:7525",
                "[::1]:7525",
                "127.0.0.1:07525",
                "evil.example:7525",
            ]),
            0..3,
        ),
        value(&[
            "http://127.0.0.1:7525",
            "https://mailport.github.io",
            "null",
            "https://evil.example",
        ]),
        value(&[
            "Bearer 0123456789abcdef0123456789abcdef",
            "bearer x",
            "Basic y",
        ]),
        value(&["same-origin", "cross-site", "none"]),
    );
    check(
        "admission",
        request,
        |(method, path, hosts, origin, authorization, site)| {
            let mut headers = HeaderMap::new();
            let mut add = |name: &'static str, v: &Option<String>| {
                if let Some(v) = v {
                    if let Ok(v) = HeaderValue::from_str(v) {
                        headers.append(HeaderName::from_static(name), v);
                    }
                }
            };
            for h in &hosts {
                add("host", h);
            }
            add("origin", &origin);
            add("authorization", &authorization);
            add("sec-fetch-site", &site);
            let admitted = guard.admit(&method, path, &headers, None).is_ok();
            if admitted {
                let mut sent = headers.get_all("host").iter();
                let host = sent.next().and_then(|h| h.to_str().ok());
                prop_assert!(sent.next().is_none(), "two Host headers admitted");
                prop_assert!(host.is_some_and(|h| host_is_own(h, PORT)), "{:?}", host);
                let acts = path.starts_with("/v1/checks") && method != Method::OPTIONS;
                if acts {
                    let bearer = format!("Bearer {TOKEN}");
                    prop_assert_eq!(authorization.as_deref(), Some(bearer.as_str()));
                }
            }
            Ok(())
        },
    );
}
