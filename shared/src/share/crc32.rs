//! CRC-32 (ISO-HDLC: the one zlib, gzip and PNG use) over what a link
//! compressed.
//!
//! Bytewise through a 256-entry table built on first use. A table built at
//! compile time (the `crc` crate's) is 1 KB of data that gzip cannot
//! shrink, in the page's wasm and in the share module's; crc32fast's
//! slice-by-16 table was 16 KB. A link is a few kilobytes, so the speed of
//! either is beyond measuring here.

use std::sync::OnceLock;

/// The CRC-32 of `data`.
pub(super) fn crc32(data: &[u8]) -> u32 {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (n, entry) in (0u32..).zip(table.iter_mut()) {
            *entry = (0..8).fold(n, |c, _| (c >> 1) ^ (0xEDB8_8320 & (c & 1).wrapping_neg()));
        }
        table
    });
    !data.iter().fold(!0u32, |crc, &byte| {
        table[usize::from(crc.to_le_bytes()[0] ^ byte)] ^ (crc >> 8)
    })
}
