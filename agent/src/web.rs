//! The page, embedded at build time from `web/` (see `build.rs`), served by
//! the agent from its own origin.

/// One row of the table `build.rs` generates.
pub(crate) struct Embedded {
    path: &'static str,
    bytes: &'static [u8],
    gzip: Option<&'static [u8]>,
    etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// The contents.
    pub bytes: &'static [u8],
    /// The contents gzipped at build time, when that is smaller.
    pub gzip: Option<&'static [u8]>,
    /// A strong validator: a hash of the contents, quoted.
    pub etag: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// The file for a URL path: `/` is `/index.html`. Paths are matched exactly
/// against the table, so `..` and friends find nothing.
pub fn asset(path: &str) -> Option<Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    let i = ASSETS.binary_search_by(|e| e.path.cmp(path)).ok()?;
    let e = &ASSETS[i];
    Some(Asset {
        bytes: e.bytes,
        gzip: e.gzip,
        etag: e.etag,
        content_type: content_type(e.path),
    })
}

/// Whether this build carries the page itself (`web/pkg`, built by
/// `scripts/build-web.sh`), not just its static shell: `cargo install` from
/// a plain checkout builds the agent without it.
pub fn has_page() -> bool {
    asset("/pkg/mailport_frontend_bg.wasm").is_some()
}

/// Every embedded path, for the startup message and tests.
pub fn paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|e| e.path)
}

/// The `Content-Type` for a file name, by extension; unknown types are
/// served as opaque bytes (and `nosniff` keeps browsers from guessing).
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        for (name, want) in [
            ("/index.html", "text/html; charset=utf-8"),
            ("/pkg/app_bg.wasm", "application/wasm"),
            ("/pkg/app.js", "text/javascript; charset=utf-8"),
            ("/style.CSS", "text/css; charset=utf-8"),
            ("/favicon.ico", "image/x-icon"),
            ("/LICENSE", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), want, "{name}");
        }
    }

    /// Undoes the build script's gzip: a 10-byte header, raw deflate, then
    /// CRC and size (checked by length here).
    fn flate2_free_gunzip(gz: &[u8]) -> Vec<u8> {
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        let body = &gz[10..gz.len() - 8];
        let out = miniz_oxide::inflate::decompress_to_vec(body).expect("valid deflate");
        let size = u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap());
        assert_eq!(size as usize, out.len());
        out
    }

    #[test]
    fn table_is_sorted_and_has_the_index() {
        let paths: Vec<_> = paths().collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        let index = asset("/").expect("web/index.html is embedded");
        assert!(index.content_type.starts_with("text/html"));
        assert!(asset("/../Cargo.toml").is_none());
        // Text is gzipped at build time, and the gzip is the same bytes.
        let gz = index.gzip.expect("index.html is compressed");
        let mut d = flate2_free_gunzip(gz);
        assert_eq!(std::mem::take(&mut d), index.bytes);
        assert!(index.etag.starts_with('"') && index.etag.ends_with('"'));
        assert!(asset("/index.html/").is_none());
    }
}
