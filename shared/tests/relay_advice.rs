//! When the advice recommends a relay it names `mailport relay`, with the
//! provider's own relay host and port when the notes know them.

use mailport_shared::advice::{advise, AdviceId, Context};
use mailport_shared::classify::{PortVerdict, Verdict};
use mailport_shared::netinfo::{AsnInfo, Fact, NetworkFacts};
use mailport_shared::Family;

fn v(port: u16, verdict: Verdict) -> PortVerdict {
    PortVerdict {
        port,
        family: Family::Ipv4,
        verdict,
        why: String::new(),
        reached: Vec::new(),
        relays: Vec::new(),
        evidence: Vec::new(),
    }
}

fn on_asn(asn: u32) -> Context {
    Context::from_network(Some(NetworkFacts {
        origin_v4: Fact::Found {
            value: AsnInfo {
                asn,
                other_asns: vec![],
                prefix: "203.0.113.0/24".into(),
                country: "US".into(),
                registry: "arin".into(),
                allocated: String::new(),
                as_name: None,
            },
        },
        ..Default::default()
    }))
}

#[test]
fn relay_advice_names_the_command_and_the_providers_relay() {
    let verdicts = [v(25, Verdict::BlockedSilently), v(587, Verdict::Open)];
    let a = advise(&verdicts, &on_asn(7922));
    let isp = a
        .iter()
        .find(|x| x.id == AdviceId::IspRelay)
        .expect("ISP relay advice");
    assert!(
        isp.why
            .contains("mailport relay smtp.comcast.net:587 --user"),
        "{}",
        isp.why
    );
    let generic = a
        .iter()
        .find(|x| x.id == AdviceId::RelayService)
        .expect("relay service advice");
    assert!(
        generic.why.contains("mailport relay HOST:587"),
        "{}",
        generic.why
    );
    // Port 25 open: no relay advice, so no relay command.
    let open = advise(&[v(25, Verdict::Open)], &on_asn(7922));
    assert!(
        open.iter().all(|x| !x.why.contains("mailport relay")),
        "{open:#?}"
    );
}
