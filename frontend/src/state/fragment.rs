//! The page's parameters in its URL fragment, and where they say the agent
//! is.

use super::location::Location;
use mailport_shared::api::DEFAULT_PORT;
use mailport_shared::validate;

/// The page's parameters from the URL fragment (`#agent=7600&token=…`).
/// Kept in the fragment so they never reach a web server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fragment {
    /// `agent=PORT`: the agent listens on another port.
    pub agent_port: Option<u16>,
    /// `token=HEX`: the pairing token the agent put in the URL it opened.
    pub token: Option<String>,
    /// `r=…`: a shared result.
    pub report: Option<String>,
    /// `targets=…`: extra targets, one per comma (`host role`).
    pub targets: Option<String>,
    /// `ports=25,587`.
    pub ports: Option<String>,
    /// `families=4`, `6` or `46`.
    pub families: Option<String>,
}

impl Fragment {
    /// Parses a fragment, with or without its `#`; unknown keys are ignored.
    ///
    /// Each value reads `+` as a space (as forms and hand-written links
    /// spell it), then goes through `decode`, which undoes its
    /// percent-encoding: in the page, the browser's own
    /// `decodeURIComponent` (`app.rs` passes it). A value `decode` refuses
    /// (a stray `%`, or escapes that are not UTF-8) is kept as written, so a
    /// damaged link still says what is wrong with it.
    ///
    /// The decoder is a parameter, not called from here, so that this
    /// parsing stays a pure function tested natively: there is no
    /// JavaScript engine to call `decodeURIComponent` in outside the
    /// browser, and a second, hand-written decoder would be one more parser
    /// of untrusted text that could disagree with the browser's.
    pub fn parse(fragment: &str, decode: impl Fn(&str) -> Option<String>) -> Fragment {
        let mut f = Fragment::default();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        for kv in fragment.split('&') {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let v = v.replace('+', " ");
            let v = decode(&v).unwrap_or(v);
            match k {
                "agent" => f.agent_port = validate::port(&v).ok(),
                "token" if !v.is_empty() => f.token = Some(v),
                "r" => f.report = Some(v),
                "targets" => f.targets = Some(v),
                "ports" => f.ports = Some(v),
                "families" => f.families = Some(v),
                _ => {}
            }
        }
        f
    }

    /// The fragment to leave in the address bar once the token is stored:
    /// everything but the token.
    pub fn without_token(fragment: &str) -> String {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        fragment
            .split('&')
            .filter(|kv| !kv.starts_with("token=") && !kv.is_empty())
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The agent base URLs to try, in order.
    ///
    /// An explicit `agent=PORT` wins; a page served from loopback tries its
    /// own origin first (it is most likely the agent's own page), then the
    /// default port. The IP literal, not `localhost`: Chrome's Local Network
    /// Access treats the literal as loopback without a DNS lookup.
    pub fn agent_candidates(&self, loc: &Location) -> Vec<String> {
        if let Some(port) = self.agent_port {
            return vec![format!("http://127.0.0.1:{port}")];
        }
        let mut v = Vec::new();
        if loc.is_loopback() {
            v.push(loc.origin.clone());
        }
        let default = format!("http://127.0.0.1:{DEFAULT_PORT}");
        if !v.contains(&default) {
            v.push(default);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::agent::Agent;
    use crate::state::form::Form;
    use crate::state::test_support::{decode, loc};
    use crate::state::State;

    /// `web/main.js` starts the viewer when the address carries a shared
    /// result, by a regular expression; the viewer reads it with
    /// [`Fragment::parse`]. They must agree, or a link would start a viewer
    /// with nothing to show (or a checker that ignores it).
    #[test]
    fn main_js_starts_the_viewer_exactly_when_there_is_a_result() {
        let main_js = include_str!("../../../web/main.js");
        assert!(
            main_js.contains("/(?:^#|&)r=/.test(location.hash)"),
            "main.js's test changed: change `starts_viewer` below with it"
        );
        // What that regular expression matches, in Rust.
        let starts_viewer = |hash: &str| hash.starts_with("#r=") || hash.contains("&r=");
        for hash in [
            "",
            "#",
            "#r=3.abc",
            "#r=",
            "#r",
            "##r=3.abc",
            "#agent=7600&r=3.abc",
            "#agent=7600&&r=3.abc",
            "#agent=7600&r",
            "#xr=1",
            "#x=1%26r=2",
            "#https://mailport.github.io/#r=3.abc",
            "#token=abc&targets=a%20mx",
        ] {
            assert_eq!(
                starts_viewer(hash),
                Fragment::parse(hash, decode).report.is_some(),
                "{hash:?}"
            );
        }
    }

    #[test]
    fn fragment_parsing() {
        let f = Fragment::parse(
            "#agent=7600&token=abc123&targets=127.77.0.1%20mx,127.77.0.2+submission&ports=25,587&families=4",
            decode,
        );
        assert_eq!(f.agent_port, Some(7600));
        assert_eq!(f.token.as_deref(), Some("abc123"));
        assert_eq!(
            f.targets.as_deref(),
            Some("127.77.0.1 mx,127.77.0.2 submission")
        );
        assert_eq!(Fragment::parse("agent=0&token=", decode).agent_port, None);
        assert_eq!(Fragment::parse("agent=0&token=", decode).token, None);
        assert_eq!(
            Fragment::parse("%&=&r=%zz%4", decode).report.as_deref(),
            Some("%zz%4")
        );
        assert_eq!(
            Fragment::without_token("#agent=7600&token=abc&ports=25"),
            "agent=7600&ports=25"
        );
        let form = Form::from_fragment(&f);
        assert_eq!(form.ports, vec![25, 587]);
        assert!(form.ipv4 && !form.ipv6);
        assert_eq!(form.targets, "127.77.0.1 mx\n127.77.0.2 submission");
    }

    #[test]
    fn agent_candidates() {
        let public = loc("https://mailport.github.io", "mailport.github.io");
        let local = loc("http://127.0.0.1:7600", "127.0.0.1");
        assert_eq!(
            Fragment::default().agent_candidates(&public),
            vec!["http://127.0.0.1:7525"]
        );
        assert_eq!(
            Fragment::default().agent_candidates(&local),
            vec!["http://127.0.0.1:7600", "http://127.0.0.1:7525"]
        );
        let f = Fragment::parse("agent=9000", decode);
        assert_eq!(f.agent_candidates(&local), vec!["http://127.0.0.1:9000"]);
        // A public page waits for a click; a loopback page looks at once.
        assert!(matches!(
            State::new(public, &Fragment::default(), None).agent,
            Agent::NeedsClick { .. }
        ));
        assert_eq!(
            State::new(local, &Fragment::default(), None).agent,
            Agent::Detecting
        );
    }

    /// Only values are decoded, each once, after `+` became a space (a `+`
    /// that decoding makes stays one); what the decoder refuses is kept as
    /// written; a value is read only once decoded.
    #[test]
    fn values_go_through_the_decoder() {
        let f = Fragment::parse("#targets=a+b&tok%65n=x&r=keep", |v| {
            (v != "keep").then(|| format!("<{v}>"))
        });
        assert_eq!(f.targets.as_deref(), Some("<a b>"));
        assert_eq!(f.token, None, "keys are not decoded");
        assert_eq!(f.report.as_deref(), Some("keep"));
        let plus = Fragment::parse("targets=a%2Bb", |v| Some(v.replace("%2B", "+")));
        assert_eq!(plus.targets.as_deref(), Some("a+b"));
        let agent = Fragment::parse("agent=7%36%30%30", |v| {
            (v == "7%36%30%30").then(|| "7600".to_string())
        });
        assert_eq!(agent.agent_port, Some(7600));
    }
}
