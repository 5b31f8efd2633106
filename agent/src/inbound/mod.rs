//! `mailport check --inbound`: can the internet reach this machine on port
//! 25? Asked of a reflector with call-back (see `reflect::callback`),
//! per family, with a witness that tells this machine's answer from
//! another's ([`witness`]); decided by `mailport_shared::inbound`.

pub mod ask;
pub mod render;
pub mod witness;

use crate::probe::dial::Dialer;
use ed25519_dalek::VerifyingKey;
use mailport_shared::inbound::verdict::{decide, InboundFacts};
use mailport_shared::inbound::{
    InboundFamily, InboundReport, InboundUntestable, InboundVerdict, Statement, Witness,
};
use mailport_shared::Family;
use std::net::IpAddr;
use std::time::Instant;

pub use ask::Deadlines;

/// What an inbound check needs.
pub struct InboundConfig<'a> {
    /// The reflector's name, for the report.
    pub reflector: &'a str,
    /// Its address per family (resolved and guarded by the caller); `None`
    /// where it has none.
    pub addresses: Vec<(Family, Option<IpAddr>)>,
    /// Its public key.
    pub key: VerifyingKey,
    /// This network's public address per family, from the network facts,
    /// when known: the address the reflector should call.
    pub public: Vec<(Family, IpAddr)>,
    /// The port to listen on for the witness (25; tests use another).
    pub listen_port: u16,
    /// The mail ports the reflector calls (25 first).
    pub ports: Vec<u16>,
    /// Deadlines.
    pub deadlines: Deadlines,
}

/// Runs the inbound check, both families at once: each family's temporary
/// listener binds that family's own local address and greets with its own
/// nonce, so neither can answer the other's call-back, and a dropped port
/// costs one call-back deadline, not one per family.
pub async fn run(cfg: &InboundConfig<'_>, dialer: &dyn Dialer) -> InboundReport {
    let families = futures::future::join_all(
        cfg.addresses
            .iter()
            .map(|(family, address)| one_family(cfg, *family, *address, dialer)),
    )
    .await;
    InboundReport {
        reflector: cfg.reflector.to_string(),
        families,
    }
}

async fn one_family(
    cfg: &InboundConfig<'_>,
    family: Family,
    address: Option<IpAddr>,
    dialer: &dyn Dialer,
) -> InboundFamily {
    let started = Instant::now();
    let elapsed = || u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let untestable = |reason, witness| InboundFamily {
        family,
        verdict: InboundVerdict::NotTestable { reason },
        witness,
        statement: None,
        elapsed_ms: elapsed(),
    };
    let Some(address) = address else {
        return untestable(
            InboundUntestable::ReflectorUnreachable {
                detail: format!("the reflector has no {family} address"),
            },
            Witness::NoListener,
        );
    };
    let conn = match ask::connect(address, dialer, cfg.deadlines).await {
        Ok(c) => c,
        Err(reason) => return untestable(reason, Witness::NoListener),
    };
    let local = conn.local;
    // Held until the statement is back: the listener answers the call-back.
    let held = witness::find(local, cfg.listen_port).await;
    let statement = ask::ask(conn, &cfg.key, &cfg.ports, cfg.deadlines).await;
    let witness = held.witness.clone();
    drop(held);
    let statement = match statement {
        Ok(s) => s,
        Err(reason) => return untestable(reason, witness),
    };
    let public = cfg
        .public
        .iter()
        .find(|(f, _)| *f == family)
        .map(|(_, ip)| *ip);
    let called = statement.called.to_canonical();
    let call = if called == local || public.is_none() || public == Some(called) {
        statement
            .ports
            .iter()
            .find(|p| p.port == cfg.ports.first().copied().unwrap_or(25))
            .map(|p| &p.result)
            .ok_or(InboundUntestable::BadSignature)
    } else {
        Err(InboundUntestable::CalledElsewhere { called })
    };
    let verdict = decide(&InboundFacts {
        call,
        witness: &witness,
        local_address: Some(local),
    });
    InboundFamily {
        family,
        verdict,
        witness,
        statement: Some(Statement { ..statement }),
        elapsed_ms: elapsed(),
    }
}
