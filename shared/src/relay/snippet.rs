//! Ready-to-paste relay configuration, one generator per MTA.
//!
//! A [`Snippet`] is data (parts: files to append to or create, commands,
//! UI steps) so a test can apply it mechanically (netsim pastes the Postfix
//! snippet into a real Postfix), and [`Snippet::render`] is the one text the
//! terminal and the page show. The password is a placeholder unless the
//! caller fills it in ([`Password::Filled`]); the agent does that only when
//! the user asks for it.

use super::mta::Mta;
use super::{check_password, RelayInputError, RelaySpec, Security, DEFAULT_PORT};
use serde::Serialize;

/// What goes where the password belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Password<'a> {
    /// [`PLACEHOLDER`]: the user types the password in after pasting.
    Placeholder,
    /// The real password, asked for explicitly by the user.
    Filled(&'a str),
}

/// The text standing for the password in a snippet.
pub const PLACEHOLDER: &str = "YOUR_RELAY_PASSWORD";

impl Password<'_> {
    /// The raw password or the placeholder.
    pub(crate) fn raw(&self) -> &str {
        match self {
            Password::Placeholder => PLACEHOLDER,
            Password::Filled(p) => p,
        }
    }
}

/// What a part is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartKind {
    /// Lines to add to this file (replacing any existing setting of the same name).
    Append {
        /// The file.
        path: String,
    },
    /// A file to create with exactly this content.
    Create {
        /// The file.
        path: String,
    },
    /// Shell commands to run, in order, as root.
    Commands,
    /// Steps to follow by hand (a web interface, an edit in place).
    Steps,
}

/// One piece of a configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    /// What to do with `text`.
    pub kind: PartKind,
    /// A short explanation shown above it.
    pub title: String,
    /// The text, ending with a newline.
    pub text: String,
}

/// A ready-to-paste configuration for one MTA and one relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// For which MTA.
    pub mta: Mta,
    /// The port the configuration uses (587 when the MTA cannot do 465).
    pub port: u16,
    /// The parts, in the order to apply them.
    pub parts: Vec<Part>,
    /// Warnings and pitfalls, one sentence each.
    pub notes: Vec<String>,
    /// Whether the password is in the text (then the output is secret).
    pub has_password: bool,
}

impl Snippet {
    /// The snippet as text: header (MTA, version, sources), parts, notes.
    pub fn render(&self) -> String {
        let mut out = format!(
            "# {} → relay on port {}\n# Written for: {}\n",
            self.mta.name(),
            self.port,
            self.mta.written_for()
        );
        for s in self.mta.sources() {
            out.push_str(&format!("# Source: {s}\n"));
        }
        if self.has_password {
            out.push_str("# This text contains your password: do not share it.\n");
        } else {
            out.push_str(&format!(
                "# Replace {PLACEHOLDER} with the relay password.\n"
            ));
        }
        for part in &self.parts {
            let head = match &part.kind {
                PartKind::Append { path } => format!("Add to {path}"),
                PartKind::Create { path } => format!("Create {path}"),
                PartKind::Commands => "Run".to_string(),
                PartKind::Steps => "Steps".to_string(),
            };
            out.push_str(&format!("\n## {head}: {}\n", part.title));
            out.push_str(&part.text);
        }
        if !self.notes.is_empty() {
            out.push_str("\n## Notes\n");
            for n in &self.notes {
                out.push_str(&format!("- {n}\n"));
            }
        }
        out
    }
}

/// The configuration that makes `mta` relay through `spec`.
pub fn snippet(mta: Mta, spec: &RelaySpec, password: Password) -> Result<Snippet, RelayInputError> {
    if let Password::Filled(p) = password {
        check_password(p)?;
    }
    let mut notes = Vec::new();
    let mut spec = spec.clone();
    if spec.security() == Security::ImplicitTls && !mta.supports_implicit_tls() {
        notes.push(format!(
            "{} cannot reach a relay with implicit TLS (port {}): this configuration uses port {DEFAULT_PORT} with STARTTLS instead. Test that port first: mailport relay {}:{DEFAULT_PORT} --user {}.",
            mta.name(),
            spec.port,
            spec.host_for_url(),
            spec.user
        ));
        spec.port = DEFAULT_PORT;
    }
    let c = Ctx {
        spec: &spec,
        pw: password,
    };
    let (parts, more) = match mta {
        Mta::Postfix => postfix(&c),
        Mta::Exim => exim(&c),
        Mta::DockerMailserver => docker_mailserver(&c),
        Mta::Mailu => mailu(&c),
        Mta::Mailcow => mailcow(&c),
        Mta::Yunohost => yunohost(&c),
        Mta::Stalwart => super::snippet_more::stalwart(&c),
        Mta::Mox => super::snippet_more::mox(&c),
        Mta::Maddy => super::snippet_more::maddy(&c),
        Mta::Haraka => super::snippet_more::haraka(&c),
    };
    notes.extend(more);
    Ok(Snippet {
        mta,
        port: spec.port,
        parts,
        notes,
        has_password: matches!(password, Password::Filled(_)),
    })
}

/// What every generator needs.
pub(crate) struct Ctx<'a> {
    pub spec: &'a RelaySpec,
    pub pw: Password<'a>,
}

impl Ctx<'_> {
    pub fn implicit(&self) -> bool {
        self.spec.security() == Security::ImplicitTls
    }
    pub fn host(&self) -> &str {
        &self.spec.host
    }
    pub fn port(&self) -> u16 {
        self.spec.port
    }
    pub fn user(&self) -> &str {
        &self.spec.user
    }
    /// `[host]:port`: Postfix's form that skips the MX lookup.
    pub fn bracketed(&self) -> String {
        format!("[{}]:{}", self.spec.host, self.spec.port)
    }
}

pub(crate) fn part(kind: PartKind, title: &str, text: String) -> Part {
    Part {
        kind,
        title: title.to_string(),
        text,
    }
}

pub(crate) fn append(path: &str) -> PartKind {
    PartKind::Append {
        path: path.to_string(),
    }
}

/// `text` in single quotes for a POSIX shell.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The Postfix settings every Postfix-based snippet shares, as `name = value` lines.
fn postfix_settings(c: &Ctx, map: &str) -> Vec<(&'static str, String)> {
    let mut lines = vec![
        ("relayhost", c.bracketed()),
        ("smtp_sasl_auth_enable", "yes".into()),
        ("smtp_sasl_password_maps", map.to_string()),
        ("smtp_sasl_security_options", "noanonymous".into()),
        ("smtp_sasl_tls_security_options", "noanonymous".into()),
        ("smtp_tls_security_level", "encrypt".into()),
    ];
    if c.implicit() {
        lines.push(("smtp_tls_wrappermode", "yes".into()));
    }
    lines
}

fn postfix(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let main: String = postfix_settings(c, "hash:/etc/postfix/sasl_passwd")
        .into_iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    let passwd = format!("{} {}:{}\n", c.bracketed(), c.user(), c.pw.raw());
    let commands = "\
apt-get install libsasl2-modules   # Debian/Ubuntu: PLAIN and LOGIN for Postfix's SMTP client
chmod 600 /etc/postfix/sasl_passwd
postmap /etc/postfix/sasl_passwd
postfix check && postfix reload
"
    .to_string();
    let mut notes = vec![
        "relayhost in brackets, [host]:port, makes Postfix connect to that host itself instead of looking up its MX records.".to_string(),
        "smtp_tls_security_level = encrypt refuses to send the password or any mail without TLS.".to_string(),
    ];
    if c.implicit() {
        notes.push("Port 465 speaks TLS from the first byte: smtp_tls_wrappermode = yes (Postfix 3.0 or later) makes the SMTP client do that.".into());
    }
    (
        vec![
            part(
                append("/etc/postfix/main.cf"),
                "the relay (replace any existing relayhost line)",
                main,
            ),
            part(
                PartKind::Create {
                    path: "/etc/postfix/sasl_passwd".into(),
                },
                "the login for that relay",
                passwd,
            ),
            part(
                PartKind::Commands,
                "protect and index the password file, then reload",
                commands,
            ),
        ],
        notes,
    )
}

fn exim(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let conf = format!(
        "dc_eximconfig_configtype='smarthost'\ndc_smarthost='{}::{}'\n",
        c.host(),
        c.port()
    );
    let passwd = format!("{}:{}:{}\n", c.host(), c.user(), c.pw.raw());
    let mut macros = "REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *\n".to_string();
    if c.implicit() {
        macros.push_str("REMOTE_SMTP_SMARTHOST_PROTOCOL = smtps\n");
    }
    let commands = "\
chown root:Debian-exim /etc/exim4/passwd.client
chmod 640 /etc/exim4/passwd.client
update-exim4.conf
systemctl restart exim4
"
    .to_string();
    let notes = vec![
        "In dc_smarthost the port follows two colons (host::port): one colon separates list items.".to_string(),
        "passwd.client is matched against the smarthost's name; if that name is an alias (CNAME), also add a line for the name it points to.".to_string(),
        "With the split configuration (dc_use_split_config='true') put the macros in /etc/exim4/conf.d/main/000_localmacros instead.".to_string(),
    ];
    (
        vec![
            part(
                append("/etc/exim4/update-exim4.conf.conf"),
                "send everything through the smarthost (replace the existing dc_eximconfig_configtype and dc_smarthost lines)",
                conf,
            ),
            part(append("/etc/exim4/passwd.client"), "the login for that smarthost", passwd),
            part(
                append("/etc/exim4/exim4.conf.localmacros"),
                if c.implicit() {
                    "require TLS, from the first byte on port 465"
                } else {
                    "require TLS before the password is sent"
                },
                macros,
            ),
            part(PartKind::Commands, "protect the password file, rebuild the configuration, restart", commands),
        ],
        notes,
    )
}

fn docker_mailserver(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let env = format!(
        "DEFAULT_RELAY_HOST={}\nRELAY_USER={}\nRELAY_PASSWORD={}\n",
        c.bracketed(),
        c.user(),
        c.pw.raw()
    );
    let mut parts = vec![part(
        append("mailserver.env"),
        "relay all outgoing mail",
        env,
    )];
    if c.implicit() {
        parts.push(part(
            append("docker-data/dms/config/postfix-main.cf"),
            "implicit TLS on port 465",
            "smtp_tls_wrappermode = yes\nsmtp_tls_security_level = encrypt\n".into(),
        ));
    }
    parts.push(part(
        PartKind::Commands,
        "recreate the container",
        "docker compose up -d --force-recreate\n".into(),
    ));
    (
        parts,
        vec![
            "Use DEFAULT_RELAY_HOST with the port in it. If you use RELAY_HOST instead, set RELAY_PORT too: it defaults to 25, the port your network blocks.".to_string(),
        ],
    )
}

fn mailu(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let env = format!(
        "RELAYHOST={}\nRELAYUSER={}\nRELAYPASSWORD={}\nOUTBOUND_TLS_LEVEL=encrypt\n",
        c.bracketed(),
        c.user(),
        c.pw.raw()
    );
    let mut parts = vec![part(append("mailu.env"), "relay all outgoing mail", env)];
    if c.implicit() {
        parts.push(part(
            append("overrides/postfix/postfix.cf"),
            "implicit TLS on port 465 (Mailu has no setting for it)",
            "smtp_tls_wrappermode = yes\n".into(),
        ));
    }
    parts.push(part(
        PartKind::Commands,
        "apply",
        "docker compose up -d\n".into(),
    ));
    (
        parts,
        vec!["OUTBOUND_TLS_LEVEL=encrypt makes Postfix refuse to send the password without TLS, as Mailu's documentation recommends when relaying.".to_string()],
    )
}

fn mailcow(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let steps = format!(
        "1. Log in as admin, open System > Configuration > Routing.\n\
2. Under \"Sender-dependent transports\", add: Host {}, Username {}, Password {}.\n\
3. Press \"Test\" next to the new transport (mailcow's own relay test).\n\
4. Open E-Mail > Configuration > Domains, edit your domain, and pick the new transport under \"Sender-dependent transports\".\n",
        c.bracketed(),
        c.user(),
        c.pw.raw()
    );
    (
        vec![part(
            PartKind::Steps,
            "add the relay and use it for your domain",
            steps,
        )],
        vec!["mailcow stores relay passwords in plain text in its database.".to_string()],
    )
}

fn yunohost(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let set = |k: &str, v: &str| {
        format!(
            "yunohost settings set email.smtp.{k} -v {}\n",
            shell_quote(v)
        )
    };
    let mut cmds = String::new();
    cmds.push_str(&set("smtp_relay_host", c.host()));
    cmds.push_str(&set("smtp_relay_port", &c.port().to_string()));
    cmds.push_str(&set("smtp_relay_user", c.user()));
    cmds.push_str(&set("smtp_relay_password", c.pw.raw()));
    cmds.push_str(&set("smtp_relay_enabled", "yes"));
    (
        vec![part(PartKind::Commands, "set the relay (YunoHost rewrites Postfix's configuration)", cmds)],
        vec![
            "The same settings are in the web admin: Tools > YunoHost settings > Email > SMTP relay.".to_string(),
            "YunoHost turns on wrapper mode by itself when the port is 465.".to_string(),
            "A password given with -v is visible to other users in the process list while the command runs; on a shared machine, set it in the web admin instead.".to_string(),
        ],
    )
}

/// Postfix's `main.cf` lines of the Postfix snippet, for the syntax check
/// that runs the real `postconf` on them.
pub fn postfix_main_cf(spec: &RelaySpec) -> String {
    let c = Ctx {
        spec,
        pw: Password::Placeholder,
    };
    postfix_settings(&c, "hash:/etc/postfix/sasl_passwd")
        .into_iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect()
}
