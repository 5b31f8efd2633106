//! Where the page is: its own address, and where share links point.

use mailport_shared::api::PUBLIC_PAGE_ORIGIN;

/// Where the page looks for the agent, from its own address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `location.origin`, e.g. `https://mailport.github.io` or
    /// `http://127.0.0.1:7525`.
    pub origin: String,
    /// `location.hostname`.
    pub hostname: String,
    /// The page's URL without its fragment: the "link to this page" base.
    pub page_url: String,
    /// `<meta name="mailport-share-base">` of the page, if it has one: the
    /// public copy that a self-hosted page's agent-served twin links to.
    pub configured_share_base: Option<String>,
}

impl Location {
    /// Whether the page is served from this machine, most likely by the agent.
    pub fn is_loopback(&self) -> bool {
        matches!(
            self.hostname.as_str(),
            "127.0.0.1" | "localhost" | "[::1]" | "::1"
        )
    }

    /// Where share links point. A link to `http://127.0.0.1:7525/` opens
    /// nowhere but on the sharer's own machine, so the page the agent serves
    /// links to a public copy: the one its `mailport-share-base` meta tag
    /// names (for a team that hosts its own), else the project's. A page
    /// already on the web links to itself.
    pub fn share_base(&self) -> String {
        if !self.is_loopback() {
            return self.page_url.clone();
        }
        self.configured_share_base
            .as_deref()
            .map(str::trim)
            .filter(|b| is_public_http_url(b))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{PUBLIC_PAGE_ORIGIN}/"))
    }
}

/// An `http(s)://` URL whose host is not this machine: a base a link can be
/// opened from elsewhere.
fn is_public_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next(),
        None => authority.split(':').next(),
    }
    .unwrap_or_default();
    !host.is_empty()
        && !authority.contains('@')
        && host != "localhost"
        && host != "::1"
        && !host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::test_support::loc;

    #[test]
    fn share_links_never_point_at_this_machine() {
        let with = |origin: &str, host: &str, meta: Option<&str>| Location {
            configured_share_base: meta.map(str::to_string),
            ..loc(origin, host)
        };
        let public = format!("{PUBLIC_PAGE_ORIGIN}/");
        let table: &[(Location, &str)] = &[
            // Served by the agent: the public copy, or the configured one.
            (with("http://127.0.0.1:7525", "127.0.0.1", None), &public),
            (with("http://[::1]:7525", "[::1]", None), &public),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some(" https://mail.example.org/check/ "),
                ),
                "https://mail.example.org/check/",
            ),
            // A meta tag that would point back at this machine, or is not a
            // web address, is ignored.
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://localhost:7525/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://127.0.0.2/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("http://[::1]:80/"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("javascript:alert(1)"),
                ),
                &public,
            ),
            (
                with(
                    "http://127.0.0.1:7525",
                    "127.0.0.1",
                    Some("https://user@evil.example/"),
                ),
                &public,
            ),
            (
                with("http://127.0.0.1:7525", "127.0.0.1", Some("")),
                &public,
            ),
            // A page on the web links to itself, whatever its meta says.
            (
                with(
                    "https://mail.example.org",
                    "mail.example.org",
                    Some("https://other.example/"),
                ),
                "https://mail.example.org/",
            ),
        ];
        for (location, want) in table {
            assert_eq!(location.share_base(), *want, "{location:?}");
        }
    }
}
