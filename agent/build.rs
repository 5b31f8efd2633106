//! Embeds the static site (`web/` at the workspace root) into the binary, so
//! `mailport` serves its own page with nothing to install next to it.
//!
//! Generates `$OUT_DIR/web_assets.rs`: a table of (URL path, bytes). Cargo
//! reruns this when anything under `web/` changes.

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
    if !web.join("pkg").join("mailport_frontend_bg.wasm").is_file() {
        // Still a working agent (terminal mode, API), but its page cannot start.
        println!(
            "cargo:warning=web/pkg is not built: `mailport serve` will send the browser to the public page instead of its own. Run scripts/build-web.sh first to embed it."
        );
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("web_assets.rs");
    let mut code =
        String::from("/// The embedded files of `web/`: (URL path, contents), sorted by path.\n");
    code.push_str("pub(crate) static ASSETS: &[(&str, &[u8])] = &[\n");
    for (url, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        code.push_str(&format!(
            "    ({url:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let written = fs::File::create(&out).and_then(|mut f| f.write_all(code.as_bytes()));
    if let Err(e) = written {
        panic!("cannot write {}: {e}", out.display());
    }
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
