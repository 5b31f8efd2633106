//! Which probes a check's options give, and why a target gives none: the
//! part of a check that can be told before any network traffic (plus the
//! user's own domain, whose hosts are known only after DNS).

use crate::dns::{Dns, MxAnswer};
use mailport_shared::probe::plan;
use mailport_shared::validate::{self, Host};
use mailport_shared::{CheckOptions, Family, ProbeSpec, Role, Target};

/// Options that plan no probe at all: an empty table and "port 25 was not
/// tested" would read like a result, so the check refuses to run and says
/// why, target by target.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("nothing to probe: {}", join_reasons(.reasons))]
pub struct NothingToProbe {
    /// Why each target adds no probe, without repeats.
    pub reasons: Vec<Unplanned>,
}

pub(super) fn join_reasons(reasons: &[Unplanned]) -> String {
    reasons
        .iter()
        .map(Unplanned::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why one target adds no probe to a check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unplanned {
    /// Recipient MX hosts are probed on 25 only ("587 to an MX" is never
    /// measured), and 25 is not among the ports.
    #[error("MX hosts are probed on port 25 only, and port 25 is not among the ports asked for")]
    MxWithout25,
    /// The target carries its own ports, none of them among the check's.
    #[error(
        "{host} is probed on its own ports only, and none of them is among the ports asked for"
    )]
    OwnPorts {
        /// The target.
        host: String,
    },
    /// An IP literal of a family the check leaves out.
    #[error("{host} is an {family} address, and only {} is probed", other_family(*.family))]
    OtherFamily {
        /// The address as given.
        host: String,
        /// Its family.
        family: Family,
    },
    /// The domain publishes a null MX (it takes no mail) and has no
    /// submission host of the usual names.
    #[error("{domain} has a null MX: it publishes no mail host to probe")]
    NoDomainHost {
        /// The domain.
        domain: String,
    },
}

pub(super) fn other_family(family: Family) -> Family {
    match family {
        Family::Ipv4 => Family::Ipv6,
        Family::Ipv6 => Family::Ipv4,
    }
}

/// The probes some targets give on `ports` and `families`, and why the
/// targets that give none were left out.
pub(super) fn plan_targets(
    targets: &[Target],
    ports: &[u16],
    families: &[Family],
) -> (Vec<ProbeSpec>, Vec<Unplanned>) {
    let mut specs = Vec::new();
    let mut unplanned = Vec::new();
    for t in targets {
        let all = plan(std::slice::from_ref(t), ports, families);
        let fitting: Vec<ProbeSpec> = all.iter().filter(|s| family_fits(s)).cloned().collect();
        if fitting.is_empty() {
            let why = match (&t.ports, validate::host(&t.host)) {
                (Some(_), _) if all.is_empty() => Unplanned::OwnPorts {
                    host: t.host.clone(),
                },
                (None, _) if all.is_empty() => Unplanned::MxWithout25,
                (_, Ok(Host::Ip(ip))) => Unplanned::OtherFamily {
                    host: t.host.clone(),
                    family: Family::of(&ip),
                },
                // Unreachable: a name fits every family, and validated
                // options have ports; said plainly all the same.
                _ => Unplanned::OwnPorts {
                    host: t.host.clone(),
                },
            };
            push_new(&mut unplanned, [why]);
        }
        push_new(&mut specs, fitting);
    }
    (specs, unplanned)
}

/// Appends the items not already in `v`, in order.
pub(super) fn push_new<T: PartialEq>(v: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !v.contains(&item) {
            v.push(item);
        }
    }
}

/// An IP literal has one family: probing it over the other one would only
/// fill the grid with "no address" rows.
pub(super) fn family_fits(spec: &ProbeSpec) -> bool {
    match validate::host(&spec.host) {
        Ok(Host::Ip(ip)) => Family::of(&ip) == spec.family,
        _ => true,
    }
}

/// The reflector to prove, as a target with the reflector role (every
/// port, expected to answer); none when the check has no reflector.
pub(super) fn reflector_target(options: &CheckOptions) -> Vec<Target> {
    options
        .reflector
        .iter()
        .map(|r| Target::new(&r.host, Role::Reflector))
        .collect()
}

/// Whether validated `options` plan at least one probe, as far as can be
/// told before DNS: a `domain` always adds its own hosts, so only options
/// without one can be refused here. The HTTP API calls this to answer 422
/// before starting a check; [`run`] calls it too.
pub fn check_plan(options: &CheckOptions) -> Result<(), NothingToProbe> {
    if options.domain.is_some() {
        return Ok(());
    }
    let families = options.families.list();
    let (specs, mut reasons) =
        plan_targets(&options.effective_targets(), &options.ports, &families);
    let (proofs, why_not) = plan_targets(&reflector_target(options), &options.ports, &families);
    if !specs.is_empty() || !proofs.is_empty() {
        return Ok(());
    }
    push_new(&mut reasons, why_not);
    Err(NothingToProbe { reasons })
}

/// The user's own hosts: the MX set (or, without MX, the domain itself, as
/// RFC 5321 §5.1 says) on every port, plus the usual submission names
/// (`smtp.`, `mail.`) on 465/587 when they resolve.
pub(super) async fn domain_targets(dns: &Dns, domain: &str, families: &[Family]) -> Vec<Target> {
    // Every lookup at once: on a slow or dead resolver the user waits for
    // one timeout, not one per name and family.
    let resolves = |name: String| async move {
        let found = futures::future::join_all(families.iter().map(|&f| dns.lookup(&name, f))).await;
        found.iter().any(Result::is_ok).then_some(name)
    };
    let candidates = [format!("smtp.{domain}"), format!("mail.{domain}")];
    let (mx, submission) = tokio::join!(
        dns.mx(domain),
        futures::future::join_all(candidates.into_iter().map(resolves))
    );
    let mut targets = Vec::new();
    match mx {
        Ok(MxAnswer::Hosts(hosts)) => {
            targets.extend(hosts.into_iter().map(|h| Target::new(h, Role::OwnHost)));
        }
        Ok(MxAnswer::NullMx) => {}
        // No MX, or the lookup failed: probing the domain itself shows the
        // fallback, or the DNS failure, in the grid.
        Ok(MxAnswer::NoMx) | Err(_) => targets.push(Target::new(domain, Role::OwnHost)),
    }
    for name in submission.into_iter().flatten() {
        if !targets.iter().any(|t| t.host == name) {
            targets.push(Target::with_ports(name, Role::OwnHost, &[465, 587]));
        }
    }
    targets.truncate(mailport_shared::options::limits::MAX_TARGETS);
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::RunError;

    #[test]
    fn options_that_plan_nothing_say_why() {
        use mailport_shared::options::Families;
        let v4 = Families {
            ipv4: true,
            ipv6: false,
        };
        let v6 = Families {
            ipv4: false,
            ipv6: true,
        };
        let mx = |h: &str| Target::new(h, Role::RecipientMx);
        let opts = |targets: Vec<Target>, ports: &[u16], families: Families| CheckOptions {
            targets,
            ports: ports.to_vec(),
            families,
            ..CheckOptions::default()
        };
        let cases: Vec<(CheckOptions, Option<&str>)> = vec![
            (
                opts(vec![mx("127.0.3.2"), mx("mx.example")], &[587], v4),
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for"),
            ),
            (
                opts(vec![mx("127.0.3.2")], &[25], v6),
                Some("nothing to probe: 127.0.3.2 is an IPv4 address, and only IPv6 is probed"),
            ),
            (
                opts(
                    vec![mx("mx.example"), Target::new("2001:db8::1", Role::Custom)],
                    &[587],
                    v4,
                ),
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for; 2001:db8::1 is an IPv6 address, and only IPv4 is probed"),
            ),
            (
                opts(
                    vec![Target::with_ports("relay.example", Role::Submission, &[465])],
                    &[25, 587],
                    v4,
                ),
                Some("nothing to probe: relay.example is probed on its own ports only, and none of them is among the ports asked for"),
            ),
            (
                CheckOptions {
                    reflector: Some(mailport_shared::reflector::ReflectorSpec {
                        host: "192.0.2.7".into(),
                        public_key: "cd".repeat(32),
                    }),
                    ..opts(vec![mx("mx.example")], &[587], v6)
                },
                Some("nothing to probe: MX hosts are probed on port 25 only, and port 25 is not among the ports asked for; 192.0.2.7 is an IPv4 address, and only IPv6 is probed"),
            ),
            // Something to probe.
            (opts(vec![mx("127.0.3.2"), mx("mx.example")], &[25, 587], v4), None),
            (opts(vec![mx("127.0.3.2"), mx("mx.example")], &[25], v6), None),
            (opts(vec![], &[587], v6), None),
            (
                CheckOptions {
                    reflector: Some(mailport_shared::reflector::ReflectorSpec {
                        host: "192.0.2.7".into(),
                        public_key: "cd".repeat(32),
                    }),
                    ..opts(vec![mx("mx.example")], &[587], v4)
                },
                None,
            ),
            // A domain adds its own hosts on every port: known after DNS.
            (
                CheckOptions {
                    domain: Some("example.org".into()),
                    ..opts(vec![mx("mx.example")], &[587], v4)
                },
                None,
            ),
        ];
        for (o, want) in cases {
            let got = check_plan(&o).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), want, "{:?}", o.targets);
            if want.is_some() {
                let err = RunError::from(check_plan(&o).expect_err("empty"));
                assert_eq!(err.code(), "nothing_to_probe");
            }
        }
    }
}
