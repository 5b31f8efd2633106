//! Embeds the static site (`web/` at the workspace root) into the binary, so
//! `mailport` serves its own page with nothing to install next to it.
//!
//! Generates `$OUT_DIR/web_assets.rs`: a table of (URL path, stored
//! contents, ETag). Cargo reruns this when anything under `web/` changes.
//!
//! Text and wasm are gzipped here, once, at the best level, and only the
//! gzip is embedded. Where `scripts/build-web.sh` wrote a `FILE.gz` beside
//! a file (zopfli: ordinary gzip about 4 % smaller than miniz's best), that
//! is embedded instead, if it inflates to the file exactly. The page is
//! about 1.1 MB as files and 0.43 MB gzipped, and every browser takes
//! gzip, so the raw copy would only make the download larger (by 1.1 MB in
//! the binary, 0.4 MB in the archive).
//! The rare client without gzip (`curl` without `--compressed`) gets the
//! file inflated per request. The ETag (a hash of the contents) lets a
//! browser revalidate instead of downloading again.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web = manifest.join("..").join("web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files = Vec::new();
    if web.is_dir() {
        collect(&web, &web, &mut files);
    }
    files.sort();
    let pkg = web.join("pkg");
    if !["mailport_frontend_bg.wasm", "mailport_viewer_bg.wasm"]
        .iter()
        .all(|f| pkg.join(f).is_file())
    {
        // Still a working agent (terminal mode, API), but its page cannot start.
        println!(
            "cargo:warning=web/pkg is not built: `mailport serve` will send the browser to the public page instead of its own. Run scripts/build-web.sh first to embed it."
        );
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("web_assets.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let mut code = String::from(
        "/// The embedded files of `web/`: (URL path, contents as stored, ETag), sorted by path.\n",
    );
    code.push_str("pub(crate) static ASSETS: &[Embedded] = &[\n");
    for (i, (url, path)) in files.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(path).unwrap_or_default();
        let etag = format!("\"{:016x}-{:x}\"", fnv1a(&bytes), bytes.len());
        let stored = compressible(url)
            .then(|| precompressed(path, &bytes).unwrap_or_else(|| gzip(&bytes)))
            .filter(|gz| gz.len() + 64 < bytes.len())
            .map(|gz| {
                let gz_path = out_dir.join(format!("asset-{i}.gz"));
                if let Err(e) = fs::write(&gz_path, gz) {
                    panic!("cannot write {}: {e}", gz_path.display());
                }
                format!(
                    "Stored::Gzip {{ gz: include_bytes!({:?}), len: {} }}",
                    gz_path.display().to_string(),
                    bytes.len()
                )
            })
            .unwrap_or_else(|| {
                format!(
                    "Stored::Plain(include_bytes!({:?}))",
                    path.display().to_string()
                )
            });
        code.push_str(&format!(
            "    Embedded {{ path: {url:?}, stored: {stored}, etag: {etag:?} }},\n"
        ));
    }
    code.push_str("];\n");
    let written = fs::File::create(&out).and_then(|mut f| f.write_all(code.as_bytes()));
    if let Err(e) = written {
        panic!("cannot write {}: {e}", out.display());
    }
}

/// Whether a file is worth compressing (text and wasm; images are already).
fn compressible(url: &str) -> bool {
    let ext = url.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("html" | "js" | "mjs" | "css" | "wasm" | "svg" | "json" | "txt" | "map")
    )
}

/// A gzip member (RFC 1952) around raw deflate at the best level.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 10));
    out.extend(crc32fast::hash(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

/// The gzip written beside `path` (`FILE.gz`), if it holds exactly
/// `bytes` in the form the agent reads back: a bare 10-byte header (no
/// name or extra fields), raw deflate, CRC-32 and size. A stale or
/// foreign `.gz` is ignored, and the file gzipped here instead.
fn precompressed(path: &Path, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut gz_path = path.as_os_str().to_owned();
    gz_path.push(".gz");
    let gz_path = PathBuf::from(gz_path);
    // (No rerun-if-changed of its own: the whole of web/ is watched, and a
    // path that does not exist would rerun this script on every build.)
    let gz = fs::read(&gz_path).ok()?;
    let header_ok = gz.get(..4) == Some(&[0x1f, 0x8b, 8, 0][..]);
    let deflate = gz.get(10..gz.len().checked_sub(8)?)?;
    let trailer = gz.get(gz.len() - 8..)?;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(deflate, bytes.len()).ok()?;
    let trailer_ok = trailer[..4] == crc32fast::hash(bytes).to_le_bytes()
        && trailer[4..] == (bytes.len() as u32).to_le_bytes();
    (header_ok && trailer_ok && inflated == bytes).then_some(gz)
}

/// FNV-1a: a cheap content hash for the ETag.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every regular file under `dir`, skipping hidden names (`.gitkeep`, editor files).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "gz") && path.with_extension("").is_file() {
            // `FILE.gz` is FILE precompressed (see `precompressed`), not a page of its own.
            continue;
        } else if path.is_file() {
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let url = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let abs = fs::canonicalize(&path).unwrap_or(path.clone());
            files.push((format!("/{url}"), abs));
        }
    }
}
