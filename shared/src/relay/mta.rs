//! The mail servers mailport writes relay configuration for, with where
//! each snippet's syntax comes from and the version it was written for.

use serde::{Deserialize, Serialize};

/// A mail server (MTA, or a suite around one) the user relays from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mta {
    /// Postfix, configured directly (also iRedMail and most distributions).
    Postfix,
    /// Exim as Debian and Ubuntu package it (`exim4-config`).
    Exim,
    /// docker-mailserver (Postfix inside, configured by environment).
    DockerMailserver,
    /// Mailu (Postfix inside, configured by `mailu.env`).
    Mailu,
    /// mailcow-dockerized (configured in its web UI).
    Mailcow,
    /// YunoHost (configured by its settings).
    Yunohost,
    /// Stalwart.
    Stalwart,
    /// mox.
    Mox,
    /// Maddy.
    Maddy,
    /// Haraka.
    Haraka,
}

impl Mta {
    /// Every MTA, in the order they are listed to the user.
    pub const ALL: [Mta; 10] = [
        Mta::Postfix,
        Mta::Exim,
        Mta::DockerMailserver,
        Mta::Mailu,
        Mta::Mailcow,
        Mta::Yunohost,
        Mta::Stalwart,
        Mta::Mox,
        Mta::Maddy,
        Mta::Haraka,
    ];

    /// The name `--mta` takes.
    pub fn id(self) -> &'static str {
        match self {
            Mta::Postfix => "postfix",
            Mta::Exim => "exim",
            Mta::DockerMailserver => "docker-mailserver",
            Mta::Mailu => "mailu",
            Mta::Mailcow => "mailcow",
            Mta::Yunohost => "yunohost",
            Mta::Stalwart => "stalwart",
            Mta::Mox => "mox",
            Mta::Maddy => "maddy",
            Mta::Haraka => "haraka",
        }
    }

    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Mta::Postfix => "Postfix",
            Mta::Exim => "Exim (Debian's exim4)",
            Mta::DockerMailserver => "docker-mailserver",
            Mta::Mailu => "Mailu",
            Mta::Mailcow => "mailcow",
            Mta::Yunohost => "YunoHost",
            Mta::Stalwart => "Stalwart",
            Mta::Mox => "mox",
            Mta::Maddy => "Maddy",
            Mta::Haraka => "Haraka",
        }
    }

    /// Parses `--mta`: the id, or a common alias, any case.
    pub fn parse(s: &str) -> Option<Mta> {
        let s = s.trim().to_ascii_lowercase();
        let alias = match s.as_str() {
            "exim4" => Some(Mta::Exim),
            "dms" | "docker-mail-server" | "dockermailserver" => Some(Mta::DockerMailserver),
            "stalwart-mail" => Some(Mta::Stalwart),
            _ => None,
        };
        alias.or_else(|| Mta::ALL.into_iter().find(|m| m.id() == s))
    }

    /// The version the snippet was written and checked for.
    pub fn written_for(self) -> &'static str {
        match self {
            Mta::Postfix => "Postfix 3.x (checked with Postfix 3.7, Debian 12)",
            Mta::Exim => "Debian/Ubuntu exim4-config (read from 4.96-15, Debian 12)",
            Mta::DockerMailserver => "docker-mailserver 13 and later (DEFAULT_RELAY_HOST)",
            Mta::Mailu => "Mailu 2.0 and later (RELAYHOST/RELAYUSER/RELAYPASSWORD)",
            Mta::Mailcow => "mailcow-dockerized, 2024-2025 UI (Configuration > Routing)",
            Mta::Yunohost => "YunoHost 11.1 and later (email.smtp.smtp_relay_* settings)",
            Mta::Stalwart => "Stalwart 0.16 (MtaRoute objects); 0.13 to 0.15 (TOML) below",
            Mta::Mox => "mox v0.0.14 and later (Transports and Routes)",
            Mta::Maddy => "Maddy 0.7 and 0.8 (target.smtp)",
            Mta::Haraka => "Haraka 3.x (queue/smtp_forward)",
        }
    }

    /// The project's documentation the snippet follows.
    pub fn sources(self) -> &'static [&'static str] {
        match self {
            Mta::Postfix => &[
                "https://www.postfix.org/SASL_README.html#client_sasl_enable",
                "https://www.postfix.org/postconf.5.html#smtp_tls_wrappermode",
            ],
            Mta::Exim => &[
                "https://manpages.debian.org/bookworm/exim4-config/exim4_passwd_client.5.en.html",
                "/usr/share/doc/exim4-config/README.Debian.gz (section 2.2.1, REMOTE_SMTP_SMARTHOST_PROTOCOL)",
            ],
            Mta::DockerMailserver => &[
                "https://docker-mailserver.github.io/docker-mailserver/latest/config/advanced/mail-forwarding/relay-hosts/",
                "https://github.com/docker-mailserver/docker-mailserver/blob/master/mailserver.env",
            ],
            Mta::Mailu => &[
                "https://mailu.io/master/configuration.html (Mail settings: RELAYHOST)",
                "https://github.com/Mailu/Mailu/blob/master/core/postfix/conf/main.cf",
            ],
            Mta::Mailcow => &[
                "https://docs.mailcow.email/manual-guides/Postfix/u_e-postfix-relayhost/",
            ],
            Mta::Yunohost => &[
                "https://doc.yunohost.org/en/admin/email/relay",
                "https://github.com/YunoHost/yunohost/blob/dev/share/config_global.toml",
            ],
            Mta::Stalwart => &[
                "https://stalw.art/docs/ref/object/mta-route",
                "https://stalw.art/docs/mta/outbound/routing",
                "https://stalw.art/docs/0.15/mta/outbound/routing",
            ],
            Mta::Mox => &[
                "https://www.xmox.nl/config/#cfg-mox-conf-Transports",
                "https://www.xmox.nl/config/#cfg-domains-conf-Routes",
            ],
            Mta::Maddy => &["https://maddy.email/reference/targets/smtp/"],
            Mta::Haraka => &["https://haraka.github.io/plugins/queue/smtp_forward"],
        }
    }

    /// Whether the MTA can reach a relay with implicit TLS (port 465).
    /// mailcow says so in its UI; Haraka's smtp_forward only does STARTTLS.
    pub fn supports_implicit_tls(self) -> bool {
        !matches!(self, Mta::Mailcow | Mta::Haraka)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mta::ALL {
            assert_eq!(Mta::parse(m.id()), Some(m));
            assert_eq!(Mta::parse(&m.id().to_uppercase()), Some(m));
            assert!(!m.sources().is_empty());
        }
        assert_eq!(Mta::parse("exim4"), Some(Mta::Exim));
        assert_eq!(Mta::parse("dms"), Some(Mta::DockerMailserver));
        assert_eq!(Mta::parse("sendmail"), None);
    }
}
