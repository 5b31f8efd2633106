//! Fixtures the crate's unit tests share.

use crate::outcome::Outcome;
use crate::probe::{ProbeResult, ProbeSpec, Timings};
use crate::{Family, Role};

/// A finished probe of `host` with `outcome`, expected to answer, with no
/// address and no timings.
pub(crate) fn probe(
    host: &str,
    role: Role,
    port: u16,
    family: Family,
    outcome: Outcome,
) -> ProbeResult {
    ProbeResult {
        spec: ProbeSpec {
            host: host.into(),
            role,
            port,
            family,
            expected: true,
        },
        address: None,
        outcome,
        timings: Timings::default(),
    }
}
