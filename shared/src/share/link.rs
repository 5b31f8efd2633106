//! The link formats and their codec: a report to `<format>.<base64url>` and
//! back, with the caps and checksums that make a damaged or hostile link a
//! clear [`ShareError`] instead of an altered report (see the module
//! documentation of [`crate::share`] for the formats).

use super::compact;
use super::crc32::crc32;
use crate::report::Report;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use miniz_oxide::inflate::TINFLStatus;
use thiserror::Error;

/// The newest link format this code reads: 4 is the full report as zlib'd
/// JSON with a CRC-32 ([`encode`]), 3 the short link ([`encode_short`]), 2
/// the full report with zlib's Adler-32 alone, 1 raw deflate.
///
/// Formats 3 and 4 end with a CRC-32 (big-endian) of what was compressed:
/// Adler-32 lets some one-character changes of a link through (a changed
/// back-reference that moves letters around keeps its sum), CRC-32 catches
/// every change of up to 32 bits.
pub const LINK_VERSION: u32 = 4;

/// The format of the full link written by [`encode`].
pub const FULL_LINK_VERSION: u32 = 4;

/// The full link before the CRC-32 (read, no longer written).
const FULL_LINK_V2: u32 = 2;

/// The format of the short link written by [`encode_short`].
pub const SHORT_LINK_VERSION: u32 = 3;

/// The fragment parameter that carries a report.
pub const PARAM: &str = "r";

/// Longest encoded report accepted: far above any real report (a full
/// default check is a few KiB), far below what hurts a browser.
pub const MAX_ENCODED_LEN: usize = 48 * 1024;

/// Largest inflated JSON accepted: a deflate bomb stops here.
pub const MAX_INFLATED_LEN: usize = 1024 * 1024;

/// Why a share link cannot be shown. The `Display` text is for the user.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShareError {
    /// No `r=` parameter or nothing after it.
    #[error("this link does not contain a mailport result")]
    Missing,
    /// The link was cut short (copied partly, or shortened by a mail client).
    #[error("this link is incomplete: it was probably cut off when it was copied. Ask for the whole link")]
    Truncated,
    /// The data is damaged.
    #[error("this link is damaged ({0}): ask for it to be copied again")]
    Corrupted(&'static str),
    /// Larger than any real report.
    #[error("this link is too large to be a mailport result ({what}: {len} bytes, {max} at most)")]
    Oversized {
        /// Which part was too large.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Written by a newer mailport.
    #[error("this result was made by a newer version of mailport (format {found}, this page reads up to {supported}): open the link on the current mailport page")]
    FutureVersion {
        /// The version in the link.
        found: u32,
        /// The newest this code reads.
        supported: u32,
    },
}

/// Encodes a whole report as `2.<data>`, the value of the `r` fragment
/// parameter: every transcript included.
pub fn encode(report: &Report) -> String {
    // Serialising plain data to a Vec cannot fail (no maps with non-string
    // keys, no I/O); an empty payload would decode as Corrupted, not lie.
    let json = serde_json::to_string(report)
        .unwrap_or_default()
        .into_bytes();
    format!(
        "{FULL_LINK_VERSION}.{}",
        URL_SAFE_NO_PAD.encode(pack(&json, 9))
    )
}

/// Encodes a report as `3.<data>`: the short link, without transcripts and
/// probed addresses (see the module documentation).
pub fn encode_short(report: &Report) -> String {
    let packed = pack(&compact::to_bytes(report), 10);
    format!("{SHORT_LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// zlib of `data`, then the CRC-32 of `data`.
fn pack(data: &[u8], level: u8) -> Vec<u8> {
    let mut packed = miniz_oxide::deflate::compress_to_vec_zlib(data, level);
    packed.extend_from_slice(&crc32(data).to_be_bytes());
    packed
}

/// A full share link: `base` (its own fragment dropped) + `#r=4.<data>`.
pub fn link(base: &str, report: &Report) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{PARAM}={}", encode(report))
}

/// A short share link: `base` (its own fragment dropped) + `#r=3.<data>`.
pub fn link_short(base: &str, report: &Report) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{PARAM}={}", encode_short(report))
}

/// Whether the fragment carries a short link (format 3): the page then says
/// that transcripts are not included.
pub fn fragment_is_short(fragment: &str) -> bool {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment
        .split('&')
        .filter_map(|kv| kv.strip_prefix("r="))
        .any(|v| v.trim().starts_with("3."))
}

/// Finds the `r` parameter in a URL fragment (with or without the leading
/// `#`, parameters separated by `&`) and decodes it.
///
/// `None` when the fragment has no `r` parameter at all: the page is not
/// showing a shared result.
pub fn from_fragment(fragment: &str) -> Option<Result<Report, ShareError>> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("r="))
        .map(decode)
}

/// Decodes the value of the `r` parameter (`3.<data>` short, `2.<data>`
/// full, or `1.<data>` from an older mailport).
pub fn decode(value: &str) -> Result<Report, ShareError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ShareError::Missing);
    }
    if value.len() > MAX_ENCODED_LEN {
        return Err(ShareError::Oversized {
            what: "link",
            len: value.len(),
            max: MAX_ENCODED_LEN,
        });
    }
    let (version, data) = value
        .split_once('.')
        .ok_or(ShareError::Corrupted("no format version"))?;
    let version: u32 = version
        .parse()
        .map_err(|_| ShareError::Corrupted("bad format version"))?;
    if version > LINK_VERSION {
        return Err(ShareError::FutureVersion {
            found: version,
            supported: LINK_VERSION,
        });
    }
    if version == 0 {
        return Err(ShareError::Corrupted("bad format version"));
    }
    if data.is_empty() {
        return Err(ShareError::Truncated);
    }
    let packed = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|e| match e {
            // A length that no base64 text can have: the end is missing.
            base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(..) => {
                ShareError::Truncated
            }
            _ => ShareError::Corrupted("not base64url"),
        })?;
    let json = inflate(version, &packed)?;
    if version == SHORT_LINK_VERSION {
        return compact::from_bytes(&json).map_err(|compact::Bad(why)| match why {
            "cut short" => ShareError::Truncated,
            "future schema" => ShareError::FutureVersion {
                found: crate::SCHEMA_VERSION + 1,
                supported: crate::SCHEMA_VERSION,
            },
            why => ShareError::Corrupted(why),
        });
    }
    let value: serde_json::Value = crate::json::from_slice(&json).map_err(|e| {
        if e.is_eof() {
            ShareError::Truncated
        } else {
            ShareError::Corrupted("not JSON")
        }
    })?;
    let schema = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or(ShareError::Corrupted("not a mailport result"))?;
    if schema > u64::from(crate::SCHEMA_VERSION) {
        return Err(ShareError::FutureVersion {
            found: u32::try_from(schema).unwrap_or(u32::MAX),
            supported: crate::SCHEMA_VERSION,
        });
    }
    super::json::from_value(&value).map_err(|_| ShareError::Corrupted("not a mailport result"))
}

/// Inflates a link's data: zlib with its checksum for formats 2 and 3, raw deflate
/// for format 1. Capped at [`MAX_INFLATED_LEN`].
pub(super) fn inflate(version: u32, packed: &[u8]) -> Result<Vec<u8>, ShareError> {
    if version >= SHORT_LINK_VERSION {
        let split = packed.len().checked_sub(4).ok_or(ShareError::Truncated)?;
        let (stream, crc) = packed.split_at(split);
        let data = inflate(FULL_LINK_V2, stream)?;
        let want = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32(&data) != want {
            return Err(ShareError::Corrupted("checksum mismatch"));
        }
        return Ok(data);
    }
    let inflated = if version == 1 {
        miniz_oxide::inflate::decompress_to_vec_with_limit(packed, MAX_INFLATED_LEN)
    } else {
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(packed, MAX_INFLATED_LEN)
    };
    inflated.map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => ShareError::Oversized {
            what: "inflated result",
            len: MAX_INFLATED_LEN + 1,
            max: MAX_INFLATED_LEN,
        },
        TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
            ShareError::Truncated
        }
        TINFLStatus::Adler32Mismatch => ShareError::Corrupted("checksum mismatch"),
        _ => ShareError::Corrupted("bad compressed data"),
    })
}
