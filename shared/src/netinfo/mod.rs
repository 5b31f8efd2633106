//! What mailport learns about the network a check ran from: the public
//! addresses, who originates them (ASN), blocklist listings and reverse DNS.
//!
//! The agent gathers these facts with DNS only; this module holds the types
//! and every pure piece of the job (query names, answer decoding, heuristics,
//! the lines the terminal and the page print), so the page can re-judge a
//! report and every rule is tested as a table.
//!
//! Each fact carries its own state: a failed or timed-out lookup is recorded
//! as such and never hides the other facts, nor the probe results.
//!
//! One module per idea: [`facts`] (the report's data), [`asn`] (Team Cymru),
//! [`dnsbl`] (blocklists), [`ptr`] (reverse DNS and generic-name
//! heuristics), [`reverse`] (reversed address forms for query names) and
//! [`lines`] (the words printed).

pub mod asn;
pub mod dnsbl;
pub mod facts;
pub mod lines;
pub mod ptr;
pub mod reverse;

pub use asn::{
    best_origin, cymru_asn_name, cymru_origin_name, parse_cymru_asname, parse_cymru_origin,
    AsnInfo, CymruError, MAX_TXT_FIELD,
};
pub use dnsbl::{
    decode_dnsbl, dnsbl_query_name, BlocklistResult, BlocklistStatus, DnsblKind, Listing,
    UnknownWhy,
};
pub use facts::{AddressSources, Fact, NetworkFacts, ProviderMatch, Witness, HIDDEN};
pub use lines::{address_line, blocklist_line, kind_label, provider_line};
pub(crate) use ptr::{embeds_ip, has_dotted_quad};
pub use ptr::{generic_ptr, ptr_query_name, Forward, GenericSign, Ptr};
pub use reverse::{reverse_ip, reverse_ipv4, reverse_ipv6_nibbles};

#[cfg(test)]
mod tests;
