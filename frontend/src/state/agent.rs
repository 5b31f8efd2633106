//! What the page knows about the agent, and how to reach it again.

use mailport_shared::api::{Health, DEFAULT_PORT};

/// What the page knows about the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agent {
    /// Not looked for yet: a cross-origin page must wait for a click
    /// (Chrome asks for Local Network Access permission on a user gesture).
    NeedsClick {
        /// Where it will look.
        candidates: Vec<String>,
    },
    /// Looking.
    Detecting,
    /// Found and answering.
    Found {
        /// Its base URL, e.g. `http://127.0.0.1:7525`.
        base: String,
        /// Its health answer.
        health: Health,
        /// The page is served by the agent itself.
        same_origin: bool,
    },
    /// Something answered where the agent should be, but not with a health
    /// answer this page can read: most likely an agent too old for it.
    Unreadable {
        /// Where it answered.
        base: String,
        /// What was wrong with the answer, for the curious.
        detail: String,
    },
    /// It answered, then stopped answering (closed during a check).
    Stopped {
        /// Where it was.
        base: String,
    },
    /// Nothing answered.
    Missing {
        /// Where the page looked.
        tried: Vec<String>,
        /// The browser refused the request outright (a `TypeError`): the
        /// agent may be running but blocked by the browser.
        blocked: bool,
    },
}

impl Agent {
    /// The agent's own page on this machine (what Safari users must open):
    /// at the port the page looks at, `#agent=PORT` included.
    pub fn own_page(&self) -> String {
        let first = match self {
            Agent::NeedsClick { candidates } => candidates.first(),
            Agent::Missing { tried, .. } => tried.first(),
            Agent::Found { base, .. }
            | Agent::Unreadable { base, .. }
            | Agent::Stopped { base } => Some(base),
            Agent::Detecting => None,
        };
        match first {
            Some(base) => format!("{base}/"),
            None => format!("http://127.0.0.1:{DEFAULT_PORT}/"),
        }
    }
}

/// The command that starts the agent again on the port it was on.
pub fn restart_command(base: &str) -> String {
    let port = base
        .rsplit_once(':')
        .and_then(|(_, p)| p.trim_end_matches('/').parse::<u16>().ok());
    match port {
        Some(p) if p != DEFAULT_PORT => format!("mailport serve --port {p}"),
        _ => "mailport".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fragment::Fragment;
    use crate::state::test_support::{decode, loc};
    use crate::state::State;

    #[test]
    fn restart_commands_name_the_port() {
        for (base, want) in [
            ("http://127.0.0.1:7525", "mailport"),
            ("http://127.0.0.1:8125", "mailport serve --port 8125"),
            ("http://127.0.0.1:8125/", "mailport serve --port 8125"),
            ("http://[::1]:9000", "mailport serve --port 9000"),
            ("nonsense", "mailport"),
        ] {
            assert_eq!(restart_command(base), want, "{base}");
        }
    }

    #[test]
    fn the_agents_own_page_follows_the_port() {
        let public = loc("https://mailport.github.io", "mailport.github.io");
        let with_port = State::new(public.clone(), &Fragment::parse("agent=7600", decode), None);
        assert_eq!(with_port.agent.own_page(), "http://127.0.0.1:7600/");
        let default = State::new(public, &Fragment::default(), None);
        assert_eq!(default.agent.own_page(), "http://127.0.0.1:7525/");
        let missing = Agent::Missing {
            tried: vec!["http://127.0.0.1:9000".into()],
            blocked: true,
        };
        assert_eq!(missing.own_page(), "http://127.0.0.1:9000/");
        assert_eq!(Agent::Detecting.own_page(), "http://127.0.0.1:7525/");
    }
}
