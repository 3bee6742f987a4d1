//! The layout of `src/`: dependencies between its top-level modules run one way.
//!
//! Every `crate::<module>` path in the sources (a `use`, a grouped
//! `use crate::{a, b::c}`, or a path written inline) is an edge from the
//! top-level module of the file it is in to `<module>`; comments are left out
//! (a doc link is not a dependency). The test fails on any circle and names
//! its modules. `cargo test --test it layout:: -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source with its comments (line, doc and block comments) blanked out;
/// string and char literals are kept as they are (they are skipped over, so a
/// `//` inside one does not start a comment).
fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(b' ');
            }
            b'"' => {
                // A string literal (raw strings `r"…"`/`r#"…"#` end at their first quote
                // followed by the same number of hashes; only plain ones hold escapes).
                let raw_hashes = raw_prefix(b, i);
                out.push(b'"');
                i += 1;
                while i < b.len() {
                    if raw_hashes.is_none() && b[i] == b'\\' {
                        out.extend_from_slice(&b[i..(i + 2).min(b.len())]);
                        i += 2;
                        continue;
                    }
                    if b[i] == b'"' {
                        let n = raw_hashes.unwrap_or(0);
                        if b[i + 1..].iter().take(n).filter(|&&c| c == b'#').count() == n {
                            out.push(b'"');
                            i += 1;
                            break;
                        }
                    }
                    out.push(b[i]);
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal (`'"'`, `'\''`, `'—'`) is copied whole; a lifetime is one quote.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b.get(i + 3..).and_then(|t| t.iter().position(|&c| c == b'\'')).map(|p| i + 3 + p + 1)
                } else {
                    let len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
                };
                let end = end.unwrap_or(i + 1).min(b.len());
                out.extend_from_slice(&b[i..end]);
                i = end;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Some(hashes)` when the quote at `i` opens a raw string (`r"`, `r#"`, `br##"` …).
fn raw_prefix(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    let mut hashes = 0;
    while j > 0 && b[j - 1] == b'#' {
        hashes += 1;
        j -= 1;
    }
    let is_raw = j > 0 && b[j - 1] == b'r' && (j < 2 || !(b[j - 2].is_ascii_alphanumeric() || b[j - 2] == b'_') || b[j - 2] == b'b');
    is_raw.then_some(hashes)
}

fn ident_at(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The top-level modules a source file names through `crate::`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `crate::` as a path start, not the tail of another word (`mycrate::`).
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let after = rest.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // `crate::{a, b::{c, d}, e}`: the first identifier of each item at depth 0.
            let mut depth = 0;
            let mut item_start = true;
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        if let Some(id) = ident_at(&group[k..]) {
                            out.insert(id.to_string());
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else if let Some(id) = ident_at(after) {
            out.insert(id.to_string());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module → the other top-level modules it uses (lib.rs and main.rs, the roots, are left out).
fn import_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let code = strip_comments(&std::fs::read_to_string(f).unwrap());
        let uses = graph.entry(top.clone()).or_default();
        uses.extend(crate_paths(&code).into_iter().filter(|m| *m != top));
    }
    // Only edges to modules of the crate (not `crate::SOME_CONST` at the root).
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|m| modules.contains(m));
    }
    graph
}

/// The graph's strongly connected components of more than one module (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'g> {
        g: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(t: &mut T<'g>, v: &'g str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T { g: graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

#[test]
fn the_top_level_modules_of_src_have_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = import_graph(&src);
    for (m, uses) in &graph {
        println!("{m} -> {}", uses.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    let found = circles(&graph);
    for c in &found {
        println!("circle: {}", c.join(" ↔ "));
    }
    assert!(found.is_empty(), "import circles among the top-level modules of src/: {found:?} (run with --nocapture for the graph)");
    // The parser sees what it must: the root modules are there, with edges.
    assert!(graph.contains_key("pipeline") && graph["pipeline"].contains("config"), "{graph:?}");
}

#[test]
fn the_parser_finds_grouped_and_inline_paths_and_skips_comments() {
    let code = strip_comments(
        "use crate::{a::X, b, c::{d, e}};\nfn f() { crate::g::h(); mycrate::z(); }\n/// see [`crate::doc`]\n/* crate::block */\nlet s = \"// not a comment\"; crate::after_string::x();\nlet r = r#\"crate::in_raw\"#;\nlet q = '\"'; let l: &'static str = \"\"; crate::after_char::y();\n// crate::in_comment",
    );
    let got: Vec<String> = crate_paths(&code).into_iter().collect();
    // A path inside a string literal is text, yet it is kept: rare, and a false edge errs on the safe side.
    assert_eq!(got, ["a", "after_char", "after_string", "b", "c", "g", "in_raw"]);
}

#[test]
fn a_circle_is_found() {
    let g: BTreeMap<String, BTreeSet<String>> = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
    assert_eq!(circles(&g), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}
