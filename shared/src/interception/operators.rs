//! Which probes reached the same operator: findings (and failures, see
//! [`crate::classify`]) from related hosts do not corroborate each other.

use crate::probe::ProbeResult;
use crate::suffix::site;

/// Whether two probes reached the same operator: the same site (see
/// [`site`]) or the same address. Findings from related hosts do not
/// corroborate each other.
fn related(a: &ProbeResult, b: &ProbeResult) -> bool {
    site(&a.spec.host) == site(&b.spec.host) || (a.address.is_some() && a.address == b.address)
}

/// How many independent operators these probes reached: probes grouped by
/// [`related`], transitively.
pub(crate) fn independent_hosts(probes: &[&ProbeResult]) -> usize {
    let mut clusters: Vec<Vec<&ProbeResult>> = Vec::new();
    for &p in probes {
        let (joined, mut rest): (Vec<_>, Vec<_>) = clusters
            .into_iter()
            .partition(|c| c.iter().any(|o| related(o, p)));
        let mut merged: Vec<&ProbeResult> = joined.into_iter().flatten().collect();
        merged.push(p);
        rest.push(merged);
        clusters = rest;
    }
    clusters.len()
}
