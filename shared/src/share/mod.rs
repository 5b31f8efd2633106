//! Share links: a whole [`Report`](crate::report::Report) in the fragment of a URL, so a result can
//! be shown to an ISP, a hosting support desk or a forum without any server
//! storing it.
//!
//! Formats: `<base>#r=4.<base64url(zlib(json(Report)) + crc32)>` carries the whole
//! report with every transcript (the "full" link); `#r=3.<base64url(zlib(
//! postcard(compact report)))>` is the short link shared by default, which
//! keeps verdicts, advice, network facts and each probe's outcome kind but
//! not the transcripts (layout in `share/compact.rs`, about a quarter of the
//! length). The number before the dot is the link format; the report inside
//! carries its own [`crate::SCHEMA_VERSION`]. The fragment never reaches a web server, so the
//! public page can render the report without seeing it.
//!
//! Both end with a CRC-32 of what was compressed, after zlib's own
//! Adler-32: a link that a mail client or a hand copy damaged is refused,
//! never shown altered. (Raw deflate, format 1, had no checksum, and one
//! changed character in nine decoded to a report with garbage in it;
//! format 2 had Adler-32 alone, which let a changed back-reference through
//! that moved letters of the advice about.) Formats 1 and 2 are still read.
//!
//! Decoding is defensive: a link is input from anyone. The encoded text and
//! the inflated JSON are both capped, and every failure is a [`ShareError`]
//! whose message is shown to the user as is (never a blank page).
//!
//! [`redact`] removes addresses and host names before sharing.
//!
//! ## Layout
//!
//! - `link`: the link formats, their codec and the errors a reader sees
//!   (encoding, decoding, the caps, the checksum).
//! - `compact` and `value`: the short link's binary layout.
//! - `crc32`: the checksum both formats end with (its table built on
//!   first use).
//! - `json`: the full link's JSON, read with the crate's own reader
//!   (`crate::json`).
//! - `redact`: hiding addresses and names before a report is shared; it
//!   knows nothing of links, so either link format can carry its result.
//!
//! Every item a caller uses is re-exported here, so `crate::share::decode`
//! and friends keep their paths.

mod compact;
mod crc32;
mod json;
mod link;
mod redact;
mod value;

pub use compact::OMITTED;
pub use link::{
    decode, encode, encode_short, fragment_is_short, from_fragment, link, link_short, ShareError,
    FULL_LINK_VERSION, LINK_VERSION, MAX_ENCODED_LEN, MAX_INFLATED_LEN, PARAM, SHORT_LINK_VERSION,
};
pub use redact::{redact, RedactError, RedactOptions};

// Last in the file: tools that read a file's product code stop at the
// first `#[cfg(test)]` (tests/layout.rs).
#[cfg(test)]
mod tests;
