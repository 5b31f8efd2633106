//! The shape of the code, checked: the folder tree is the architecture, so
//! it must not rot silently.
//!
//! - no import cycle among the top-level modules of each crate (`crate::x`
//!   uses outside comments and test modules), so a newcomer can read the
//!   modules bottom-up;
//! - no product source file over 700 lines (a file that grows past that
//!   holds more than one idea), except the data tables listed here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files that are tables of data, not code, and may be long.
const DATA_TABLES: &[&str] = &[];

/// Most lines in a product source file.
const MAX_LINES: usize = 700;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without comments and without its `#[cfg(test)]`
/// part (tests may reach anywhere).
fn code_of(text: &str) -> String {
    let product = text.split("#[cfg(test)]").next().unwrap_or("");
    product
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level module a file belongs to (`runner/one.rs` → `runner`),
/// `None` for the crate root.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Edges `a → b` when module `a` names `crate::b`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let Some(from) = module_of(src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code = code_of(&text);
        let entry = edges.entry(from.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let to: String = code[i + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !to.is_empty() && to != from && to.chars().all(|c| !c.is_ascii_uppercase()) {
                entry.insert(to);
            }
        }
    }
    edges
}

/// One cycle of the graph, if there is any (depth-first search).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_cycle_among_each_crates_modules() {
    for krate in ["shared/src", "agent/src", "frontend/src"] {
        let src = workspace().join(krate);
        let graph = module_graph(&src);
        assert!(graph.len() > 3, "{krate}: modules found: {graph:?}");
        assert_eq!(find_cycle(&graph), None, "{krate}: an import cycle");
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(find_cycle(&graph(&[("a", "b"), ("b", "c")])), None);
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        code_of("use crate::a;\n// crate::b\n#[cfg(test)]\nuse crate::c;"),
        "use crate::a;"
    );
}

#[test]
fn no_product_source_file_over_700_lines() {
    let mut long = Vec::new();
    for krate in [
        "shared/src",
        "shared/derive/src",
        "agent/src",
        "frontend/src",
    ] {
        for file in rust_files(&workspace().join(krate)) {
            let rel = file
                .strip_prefix(workspace())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let lines = std::fs::read_to_string(&file)
                .unwrap_or_default()
                .lines()
                .count();
            if lines > MAX_LINES && !DATA_TABLES.contains(&rel.as_str()) {
                long.push(format!("{rel}: {lines} lines"));
            }
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:?}");
}
