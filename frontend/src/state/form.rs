//! The check form: what was typed, and the options it validates to.

use super::fragment::Fragment;
use mailport_shared::options::Families;
use mailport_shared::quoted::Quoted;
use mailport_shared::reflector::ReflectorSpec;
use mailport_shared::validate::InputError;
use mailport_shared::{validate, CheckOptions, Role, Target, MAIL_PORTS};

/// The check form, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// The user's mail domain, optional.
    pub domain: String,
    /// Which of [`MAIL_PORTS`] are ticked.
    pub ports: Vec<u16>,
    /// IPv4 ticked.
    pub ipv4: bool,
    /// IPv6 ticked.
    pub ipv6: bool,
    /// Extra targets, one per line: `host [role]`.
    pub targets: String,
    /// The reflector's host (advanced; blank for none).
    pub reflector_host: String,
    /// The reflector's public key, hex or base64 (blank for none).
    pub reflector_key: String,
    /// Also ask the reflector to call back on port 25 (inbound).
    pub inbound: bool,
    /// The last validation error, shown under the form and tied to its
    /// field.
    pub error: Option<FormError>,
}

/// The form's fields that a validation error can point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The mail domain box.
    Domain,
    /// The ports fieldset.
    Ports,
    /// The IPv4/IPv6 fieldset.
    Families,
    /// The other-servers box.
    Targets,
    /// The reflector's host box.
    ReflectorHost,
    /// The reflector's key box.
    ReflectorKey,
}

impl Field {
    /// The id of the element that takes the focus: the input, or the first
    /// box of a fieldset.
    pub fn focus_id(self) -> &'static str {
        match self {
            Field::Domain => "domain",
            Field::Ports => "port-25",
            Field::Families => "ipv4",
            Field::Targets => "targets",
            Field::ReflectorHost => "reflector-host",
            Field::ReflectorKey => "reflector-key",
        }
    }
}

/// A validation error: which field, and what is wrong in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// The field to fix.
    pub field: Field,
    /// The shared validation message, as a sentence.
    pub message: String,
}

impl FormError {
    fn new(field: Field, e: &impl std::fmt::Display) -> FormError {
        FormError {
            field,
            message: capitalise(&e.to_string()),
        }
    }
}

impl Default for Form {
    fn default() -> Self {
        Form {
            domain: String::new(),
            ports: MAIL_PORTS.to_vec(),
            ipv4: true,
            ipv6: true,
            targets: String::new(),
            reflector_host: String::new(),
            reflector_key: String::new(),
            inbound: false,
            error: None,
        }
    }
}

/// The roles a user can name after a target host, and their words.
pub const ROLE_WORDS: &[(&str, Role)] = &[
    ("mx", Role::RecipientMx),
    ("submission", Role::Submission),
    ("own", Role::OwnHost),
    ("echo", Role::PortEcho),
    ("reflector", Role::Reflector),
    ("host", Role::Custom),
];

impl Form {
    /// The form prefilled from the fragment (`targets=`, `ports=`, `families=`).
    pub fn from_fragment(f: &Fragment) -> Form {
        let mut form = Form::default();
        if let Some(t) = &f.targets {
            form.targets = t
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
        }
        if let Some(p) = f.ports.as_deref().and_then(|p| validate::port_list(p).ok()) {
            form.ports = p;
        }
        if let Some(fam) = &f.families {
            form.ipv4 = fam.contains('4');
            form.ipv6 = fam.contains('6');
        }
        form
    }

    /// Parses the targets box: one target per line, `host` or `host role`.
    pub fn parse_targets(text: &str) -> Result<Vec<Target>, String> {
        let mut targets = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let mut words = line.split_whitespace();
            let Some(host) = words.next() else { continue };
            let role = match words.next() {
                None => Role::Custom,
                Some(w) => ROLE_WORDS
                    .iter()
                    .find(|(word, _)| word.eq_ignore_ascii_case(w))
                    .map(|(_, r)| *r)
                    .ok_or_else(|| {
                        format!(
                            "line {}: unknown role {} (use one of: {})",
                            i + 1,
                            Quoted(w),
                            ROLE_WORDS
                                .iter()
                                .map(|(w, _)| *w)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
            };
            if words.next().is_some() {
                return Err(format!(
                    "line {}: give one host per line, optionally followed by its role",
                    i + 1
                ));
            }
            targets.push(Target::new(host, role));
        }
        Ok(targets)
    }

    /// The options to send, validated with the same code as the agent, or
    /// the first problem in words with the field it is about.
    pub fn options(&self) -> Result<CheckOptions, FormError> {
        let domain = self.domain.trim();
        if !domain.is_empty() {
            validate::domain(domain).map_err(|e| FormError::new(Field::Domain, &e))?;
        }
        let mut ports: Vec<u16> = MAIL_PORTS
            .iter()
            .copied()
            .filter(|p| self.ports.contains(p))
            .collect();
        // Ports given in the fragment beyond the usual five stay.
        ports.extend(self.ports.iter().filter(|p| !MAIL_PORTS.contains(p)));
        let mut targets = Form::parse_targets(&self.targets).map_err(|message| FormError {
            field: Field::Targets,
            message,
        })?;
        if !domain.is_empty() && targets.is_empty() {
            // A domain alone would probe only the user's own hosts: keep the
            // independent defaults beside it so a verdict is possible.
            targets = mailport_shared::target::default_targets();
        }
        let reflector = ReflectorSpec::from_parts(&self.reflector_host, &self.reflector_key)
            .map_err(|e| {
                let field = match e {
                    InputError::BadReflectorKey(_) => Field::ReflectorKey,
                    InputError::ReflectorIncomplete if !self.reflector_host.trim().is_empty() => {
                        Field::ReflectorKey
                    }
                    _ => Field::ReflectorHost,
                };
                FormError::new(field, &e)
            })?;
        CheckOptions {
            domain: (!domain.is_empty()).then(|| domain.to_string()),
            targets,
            ports,
            families: Families {
                ipv4: self.ipv4,
                ipv6: self.ipv6,
            },
            inbound: self.inbound,
            reflector,
            ..CheckOptions::default()
        }
        .validated()
        .map_err(|e| {
            // The domain and the reflector were checked above; what is left
            // is about ports, families, or the other servers.
            let field = match e {
                InputError::NoPorts
                | InputError::BadPort(_)
                | InputError::TooMany { what: "ports", .. } => Field::Ports,
                InputError::NoFamily => Field::Families,
                InputError::InboundNeedsReflector => Field::ReflectorHost,
                _ => Field::Targets,
            };
            FormError::new(field, &e)
        })
    }
}

/// A message as a sentence: capital first letter (ASCII: the messages are
/// mailport's own English), final full stop.
pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_ascii_uppercase(), c.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::test_support::loc;
    use crate::state::{Action, State};

    #[test]
    fn form_validation_uses_shared_rules() {
        let mut form = Form {
            domain: "exa mple.org".into(),
            ..Form::default()
        };
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Domain,
                message: "\"exa mple.org\" is not a valid host name: only letters, digits, hyphens and dots are allowed.".into()
            }
        );
        form.domain = "example.org".into();
        // Inbound needs a reflector to call back: the error points there.
        form.inbound = true;
        assert_eq!(
            form.options().unwrap_err().field,
            Field::ReflectorHost,
            "inbound without a reflector"
        );
        form.inbound = false;
        let o = form.options().unwrap();
        assert_eq!(o.domain.as_deref(), Some("example.org"));
        assert!(!o.targets.is_empty(), "defaults kept beside the domain");
        form.ports.clear();
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Ports,
                message: "Choose at least one port.".into()
            }
        );
        form.ports = vec![587, 25];
        form.ipv4 = false;
        form.ipv6 = false;
        assert_eq!(
            form.options().unwrap_err(),
            FormError {
                field: Field::Families,
                message: "Choose at least one of IPv4 and IPv6.".into()
            }
        );
        form.ipv4 = true;
        assert_eq!(form.options().unwrap().ports, vec![25, 587]);
        form.targets = "127.77.0.1 mx\n\n mail.example.org submission\n".into();
        let o = form.options().unwrap();
        assert_eq!(
            o.targets,
            vec![
                Target::new("127.77.0.1", Role::RecipientMx),
                Target::new("mail.example.org", Role::Submission)
            ]
        );
        for (targets, words) in [
            ("a.example bogus", "unknown role \"bogus\""),
            ("a.example mx extra", "one host per line"),
            ("a..example", "empty label"),
        ] {
            form.targets = targets.into();
            let e = form.options().unwrap_err();
            assert_eq!(e.field, Field::Targets, "{targets}");
            assert!(e.message.contains(words), "{targets}: {}", e.message);
        }
        // A fieldset's error focuses its first box.
        assert_eq!(Field::Ports.focus_id(), "port-25");
        assert_eq!(Field::Domain.focus_id(), "domain");
    }

    #[test]
    fn reflector_fields_use_the_shared_rules() {
        let mut s = State::new(
            loc("http://127.0.0.1:7525", "127.0.0.1"),
            &Fragment::default(),
            None,
        );
        assert_eq!(s.form.options().unwrap().reflector, None, "optional");
        s.apply(Action::ReflectorHost(" Reflector.Example.org ".into()));
        assert_eq!(
            s.form.options().unwrap_err(),
            FormError {
                field: Field::ReflectorKey,
                message: "Give both the reflector's host and its public key, or neither.".into()
            }
        );
        s.apply(Action::FormError(FormError {
            field: Field::Domain,
            message: "x".into(),
        }));
        s.apply(Action::ReflectorKey("not a key".into()));
        assert_eq!(s.form.error, None, "typing clears the error");
        assert_eq!(
            s.form.options().unwrap_err(),
            FormError {
                field: Field::ReflectorKey,
                message: "\"not a key\" is not a reflector public key: give the 64 hex digits or the base64 printed by `mailport reflect --gen-key`.".into()
            }
        );
        s.apply(Action::ReflectorKey("AB".repeat(32)));
        s.apply(Action::Inbound(true));
        assert!(
            s.form.options().unwrap().inbound,
            "inbound asked with a reflector"
        );
        let r = s.form.options().unwrap().reflector.expect("a reflector");
        assert_eq!(r.host, "reflector.example.org");
        assert_eq!(r.public_key, "ab".repeat(32));
        s.apply(Action::ReflectorHost("r..example".into()));
        let e = s.form.options().unwrap_err();
        assert_eq!(e.field, Field::ReflectorHost);
        assert!(e.message.contains("empty label"));
        // Only the key given: the host is what is missing.
        s.apply(Action::ReflectorHost(String::new()));
        assert_eq!(s.form.options().unwrap_err().field, Field::ReflectorHost);
    }
}
