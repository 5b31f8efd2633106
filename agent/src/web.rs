//! The page, embedded at build time from `web/` (see `build.rs`), served by
//! the agent from its own origin.

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// The contents.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// The file for a URL path: `/` is `/index.html`. Paths are matched exactly
/// against the table, so `..` and friends find nothing.
pub fn asset(path: &str) -> Option<Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    let i = ASSETS.binary_search_by(|(p, _)| (*p).cmp(path)).ok()?;
    let (name, bytes) = ASSETS[i];
    Some(Asset {
        bytes,
        content_type: content_type(name),
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
    ASSETS.iter().map(|(p, _)| *p)
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

    #[test]
    fn table_is_sorted_and_has_the_index() {
        let paths: Vec<_> = paths().collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        let index = asset("/").expect("web/index.html is embedded");
        assert!(index.content_type.starts_with("text/html"));
        assert!(asset("/../Cargo.toml").is_none());
        assert!(asset("/index.html/").is_none());
    }
}
