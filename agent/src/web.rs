//! The page, embedded at build time from `web/` (see `build.rs`), served by
//! the agent from its own origin.

use std::borrow::Cow;

/// One row of the table `build.rs` generates.
pub(crate) struct Embedded {
    path: &'static str,
    stored: Stored,
    etag: &'static str,
}

/// How a file is kept in the binary.
#[derive(Clone, Copy, Debug)]
pub enum Stored {
    /// As it is (images, and files gzip would not shrink).
    Plain(&'static [u8]),
    /// Only gzipped (RFC 1952: written by `build.rs`, or zopfli's
    /// `FILE.gz` which `build.rs` checked): `len` is the size of the
    /// contents.
    Gzip {
        /// The gzip member.
        gz: &'static [u8],
        /// The contents' size.
        len: usize,
    },
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// One embedded file.
#[derive(Clone, Copy, Debug)]
pub struct Asset {
    /// The contents, as stored.
    pub stored: Stored,
    /// A strong validator: a hash of the contents, quoted.
    pub etag: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

impl Asset {
    /// The gzipped contents, when the file is kept gzipped.
    pub fn gzip(&self) -> Option<&'static [u8]> {
        match self.stored {
            Stored::Gzip { gz, .. } => Some(gz),
            Stored::Plain(_) => None,
        }
    }

    /// The contents: borrowed, or inflated from the gzip for a client
    /// that does not take gzip. `None` only if the build wrote a broken
    /// gzip, which the tests rule out.
    pub fn contents(&self) -> Option<Cow<'static, [u8]>> {
        match self.stored {
            Stored::Plain(bytes) => Some(Cow::Borrowed(bytes)),
            Stored::Gzip { gz, len } => {
                // build.rs embeds only a bare 10-byte header (no name, no
                // extra fields) and an 8-byte trailer (CRC-32, size).
                let deflate = gz.get(10..gz.len().checked_sub(8)?)?;
                let out = miniz_oxide::inflate::decompress_to_vec_with_limit(deflate, len).ok()?;
                (out.len() == len).then_some(Cow::Owned(out))
            }
        }
    }
}

/// The file for a URL path: `/` is `/index.html`. Paths are matched exactly
/// against the table, so `..` and friends find nothing.
pub fn asset(path: &str) -> Option<Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    let i = ASSETS.binary_search_by(|e| e.path.cmp(path)).ok()?;
    let e = &ASSETS[i];
    Some(Asset {
        stored: e.stored,
        etag: e.etag,
        content_type: content_type(e.path),
    })
}

/// Whether this build carries the page itself (`web/pkg`, built by
/// `scripts/build-web.sh`), not just its static shell: `cargo install` from
/// a plain checkout builds the agent without it.
pub fn has_page() -> bool {
    // The checker and the viewer (a share link's page): one without the
    // other would be a page that cannot start for some addresses.
    asset("/pkg/mailport_frontend_bg.wasm").is_some()
        && asset("/pkg/mailport_viewer_bg.wasm").is_some()
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
        assert!(index.etag.starts_with('"') && index.etag.ends_with('"'));
        // Text is kept gzipped only, and inflates to the file in web/.
        assert!(index.gzip().is_some(), "index.html is kept gzipped");
        let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/index.html"))
            .expect("web/index.html");
        assert_eq!(
            index.contents().expect("inflates").as_ref(),
            file.as_slice()
        );
    }

    #[test]
    fn every_stored_file_reads_back() {
        for path in paths() {
            let a = asset(path).expect("listed");
            let contents = a
                .contents()
                .unwrap_or_else(|| panic!("{path} does not inflate"));
            if let Stored::Gzip { gz, len } = a.stored {
                assert_eq!(contents.len(), len, "{path}");
                assert!(gz.len() < len, "{path}: the gzip is smaller");
                // The trailer browsers check: CRC-32 of the contents.
                let crc = gz.get(gz.len() - 8..gz.len() - 4).expect("trailer");
                assert_eq!(crc, crc32fast::hash(&contents).to_le_bytes(), "{path}");
            }
        }
    }

    #[test]
    fn precompressed_files_are_embedded_as_they_are_and_not_served_apart() {
        // build-web.sh writes FILE.gz with zopfli; build.rs must take it
        // (a silent fallback to its own gzip would only show as a larger
        // page on the wire) and must not serve it as a page of its own.
        let pkg = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/pkg");
        let Ok(entries) = std::fs::read_dir(pkg) else {
            return; // the page is not built: nothing precompressed
        };
        let mut seen = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".gz") else {
                continue;
            };
            let gz = std::fs::read(entry.path()).expect("readable");
            let a = asset(&format!("/pkg/{stem}")).expect("the file itself is embedded");
            assert_eq!(a.gzip(), Some(gz.as_slice()), "{stem}: embedded as written");
            assert!(
                asset(&format!("/pkg/{name}")).is_none(),
                "{name} is not an asset"
            );
            seen += 1;
        }
        // Every module (the page, the viewer, the relay panel, the share
        // links) and its glue, when zopfli was there to write them.
        assert!(seen == 0 || seen == 8, "{seen} precompressed files");
    }

    #[test]
    fn a_damaged_gzip_is_none_not_a_panic() {
        let damaged = Asset {
            stored: Stored::Gzip {
                gz: &[
                    0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff, 0xde, 0xad, 1, 2, 3, 4, 5, 6, 7, 8,
                ],
                len: 100,
            },
            etag: "\"x\"",
            content_type: "text/plain",
        };
        assert!(damaged.contents().is_none());
        let short = Asset {
            stored: Stored::Gzip {
                gz: &[0x1f],
                len: 1,
            },
            ..damaged
        };
        assert!(short.contents().is_none());
    }
}
