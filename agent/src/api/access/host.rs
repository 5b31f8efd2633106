//! The `Host` check: the agent answers only to its own names on its own
//! port, which is what defeats DNS rebinding (a page on `evil.example` that
//! re-points its name to 127.0.0.1 still sends `Host: evil.example:PORT`).

use super::authority::Authority;

/// The names the agent answers to. `localhost` is kept because people type it;
/// it is only ever the agent's own Host, never trusted as an Origin of others.
pub(super) const OWN_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// Whether a `Host` header names the agent itself on `port`: `127.0.0.1`,
/// `localhost` or `[::1]`, always with the port spelled out, in decimal
/// without leading zeros (`:017525` is not the agent's port as any browser
/// writes it, so only a hand-made request would send it).
pub fn host_is_own(value: &str, port: u16) -> bool {
    own_host_name(value, port).is_some()
}

/// The agent's name a `Host` header uses, if it is one of them.
pub(super) fn own_host_name(value: &str, port: u16) -> Option<&'static str> {
    own_name(&Authority::parse(value).ok()?, port)
}

/// The agent's name an authority uses, if it is one of them with `port`.
pub(super) fn own_name(authority: &Authority, port: u16) -> Option<&'static str> {
    if authority.port() != Some(port) {
        return None;
    }
    OWN_HOSTS.into_iter().find(|own| *own == authority.host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_must_be_own_name_and_port() {
        for ok in [
            "127.0.0.1:7525",
            "localhost:7525",
            "LOCALHOST:7525",
            "[::1]:7525",
        ] {
            assert!(host_is_own(ok, 7525), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "127.0.0.1:80",
            "evil.example:7525",
            "127.0.0.1.evil.example:7525",
            "localhost.:7525",
            "127.1:7525",
            "0x7f000001:7525",
            "127.0.0.1:07525",
            "127.0.0.1:007525",
            "[::1]:07525",
            "localhost:+7525",
            "[::ffff:127.0.0.1]:7525",
            "user@127.0.0.1:7525",
            "",
        ] {
            assert!(!host_is_own(bad, 7525), "{bad}");
        }
    }
}
