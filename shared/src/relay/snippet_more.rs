//! Relay snippets for the MTAs that are not Postfix underneath: Stalwart,
//! mox, Maddy, Haraka. Each writes its own syntax; see [`super::snippet`].

use super::snippet::{append, part, Ctx, PartKind};
use super::Part;

/// A JSON string literal (also a valid TOML basic string for the
/// printable text a login or password is).
fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(crate) fn stalwart(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let route = format!(
        "{{\n  \"@type\": \"Relay\",\n  \"name\": \"relay\",\n  \"description\": \"Smarthost (outgoing port 25 is blocked)\",\n  \"address\": {},\n  \"port\": {},\n  \"protocol\": \"smtp\",\n  \"implicitTls\": {},\n  \"allowInvalidCerts\": false,\n  \"authUsername\": {},\n  \"authSecret\": {{ \"@type\": \"Value\", \"secret\": {} }}\n}}\n",
        json_str(c.host()),
        c.port(),
        c.implicit(),
        json_str(c.user()),
        json_str(c.pw.raw())
    );
    let strategy = "{\n  \"match\": [ { \"if\": \"is_local_domain(rcpt_domain)\", \"then\": \"'local'\" } ],\n  \"else\": \"'relay'\"\n}\n".to_string();
    let legacy = format!(
        "[queue.strategy]\nroute = [ {{ if = \"is_local_domain('', rcpt_domain)\", then = \"'local'\" }},\n          {{ else = \"'relay'\" }} ]\n\n[queue.route.\"relay\"]\ntype = \"relay\"\naddress = {}\nport = {}\nprotocol = \"smtp\"\n\n[queue.route.\"relay\".tls]\nimplicit = {}\nallow-invalid-certs = false\n\n[queue.route.\"relay\".auth]\nusername = {}\nsecret = {}\n",
        json_str(c.host()),
        c.port(),
        c.implicit(),
        json_str(c.user()),
        json_str(c.pw.raw())
    );
    (
        vec![
            part(
                PartKind::Steps,
                "Stalwart 0.16 and later: Settings > MTA > Outbound > Routes, create a \"Relay Host\" route with these fields (the MtaRoute object, as x:MtaRoute/set or stalwart-cli apply take it)",
                route,
            ),
            part(
                PartKind::Steps,
                "then Settings > MTA > Outbound > Strategy: set the route expression to",
                strategy,
            ),
            part(
                append("config.toml"),
                "Stalwart 0.13 to 0.15 instead (the TOML configuration; 0.12 and earlier used queue.outbound.next-hop and [remote.*])",
                legacy,
            ),
        ],
        vec![
            "Which version do you run? The web admin shows it, and the server binary prints it with --version. 0.16 replaced the TOML settings with objects edited in the web admin or by API.".to_string(),
            "Keep allowInvalidCerts false: the relay's certificate protects your password.".to_string(),
        ],
    )
}

pub(crate) fn mox(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let kind = if c.implicit() {
        "Submissions"
    } else {
        "Submission"
    };
    let transport = format!(
        "Transports:\n\trelay:\n\t\t{kind}:\n\t\t\tHost: {}\n\t\t\tPort: {}\n\t\t\tAuth:\n\t\t\t\tUsername: {}\n\t\t\t\tPassword: {}\n",
        c.host(),
        c.port(),
        c.user(),
        c.pw.raw()
    );
    let routes = "Routes:\n\t-\n\t\tTransport: relay\n".to_string();
    (
        vec![
            part(
                append("config/mox.conf"),
                "a transport (top level; merge with an existing Transports section)",
                transport,
            ),
            part(
                append("config/domains.conf"),
                "send all outgoing mail through it (top level Routes)",
                routes,
            ),
            part(PartKind::Commands, "check the configuration, then restart mox", "mox config test\nsystemctl restart mox\n".into()),
        ],
        vec![
            "mox's configuration files are indented with tabs, not spaces: keep the tabs when pasting.".to_string(),
            format!(
                "{} is {}; `mox config example transport` prints mox's own example.",
                kind,
                if c.implicit() { "SMTP with TLS from the first byte (port 465)" } else { "SMTP with STARTTLS (port 587)" }
            ),
        ],
    )
}

pub(crate) fn maddy(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let scheme = if c.implicit() { "tls" } else { "tcp" };
    let target = format!(
        "target.smtp outbound_relay {{\n    attempt_starttls yes\n    require_tls yes\n    auth plain {} {}\n    targets {scheme}://{}:{}\n}}\n",
        json_str(c.user()),
        json_str(c.pw.raw()),
        c.spec.host_for_url(),
        c.port()
    );
    (
        vec![
            part(
                append("/etc/maddy/maddy.conf"),
                "the relay, as a target",
                target,
            ),
            part(
                PartKind::Steps,
                "in the same file, inside `target.queue remote_queue { ... }`, replace",
                "    target &outbound_delivery\nwith\n    target &outbound_relay\n".into(),
            ),
            part(
                PartKind::Commands,
                "restart",
                "systemctl restart maddy\n".into(),
            ),
        ],
        vec![
            "require_tls yes keeps the password and the mail off plain-text connections."
                .to_string(),
        ],
    )
}

pub(crate) fn haraka(c: &Ctx) -> (Vec<Part>, Vec<String>) {
    let ini = format!(
        "enable_outbound=true\nhost={}\nport={}\nenable_tls=true\nauth_type=plain\nauth_user={}\nauth_pass={}\n",
        c.host(),
        c.port(),
        c.user(),
        c.pw.raw()
    );
    (
        vec![
            part(
                append("config/smtp_forward.ini"),
                "forward all outgoing mail to the relay",
                ini,
            ),
            part(
                append("config/plugins"),
                "enable the plugin",
                "queue/smtp_forward\n".into(),
            ),
            part(
                PartKind::Commands,
                "restart",
                "systemctl restart haraka\n".into(),
            ),
        ],
        vec![
            "Haraka's smtp_forward upgrades with STARTTLS only; it cannot use a relay's port 465."
                .to_string(),
        ],
    )
}
