//! Planning: which input files can be taken from the state as they were (same
//! size and modification time as last time), whether nothing changed at all,
//! and which files are gone. Which files are computed together is
//! `pipeline::split::plan_parts`.

use std::collections::BTreeSet;

use crate::ingest::InputFile;
use crate::store::state::{FileState, State};

/// The state's entry for `f` when the file looks unchanged: the same size and
/// modification time as when the state was written.
pub fn fresh<'s>(prev: Option<&'s State>, f: &InputFile) -> Option<&'s FileState> {
    let s = prev?.files.get(&f.rel)?;
    (s.size == f.size && s.mtime_ns == f.mtime_ns).then_some(s)
}

/// Whether the inbox is as the state saw it: a version is current, no file is
/// new or gone, and every file is [`fresh`].
pub fn inputs_unchanged(prev: Option<&State>, files: &[InputFile], has_current: bool) -> bool {
    has_current && prev.is_some_and(|s| s.files.len() == files.len()) && files.iter().all(|f| fresh(prev, f).is_some())
}

/// The files the previous state had and the new one has not (gone from the inbox, or unreadable now).
pub fn removed(prev: Option<&State>, now: &State) -> BTreeSet<String> {
    prev.map(|s| s.files.keys().filter(|k| !now.files.contains_key(*k)).cloned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str, size: u64, mtime_ns: u64) -> InputFile {
        InputFile { path: rel.into(), rel: rel.into(), size, mtime_ns, problem: None }
    }

    fn state(files: &[(&str, u64, u64)]) -> State {
        let mut s = State::default();
        for &(rel, size, mtime_ns) in files {
            s.files.insert(rel.into(), FileState { size, mtime_ns, sha256: format!("sha-{rel}"), cache: None, summary: None });
        }
        s
    }

    #[test]
    fn a_file_is_fresh_only_with_the_same_size_and_time() {
        let prev = state(&[("a.xlsx", 10, 100), ("b.xlsx", 20, 200)]);
        assert_eq!(fresh(Some(&prev), &file("a.xlsx", 10, 100)).map(|s| s.sha256.as_str()), Some("sha-a.xlsx"));
        assert!(fresh(Some(&prev), &file("a.xlsx", 11, 100)).is_none(), "another size");
        assert!(fresh(Some(&prev), &file("a.xlsx", 10, 101)).is_none(), "touched");
        assert!(fresh(Some(&prev), &file("c.xlsx", 10, 100)).is_none(), "new");
        assert!(fresh(None, &file("a.xlsx", 10, 100)).is_none(), "no state (a rebuild)");
    }

    #[test]
    fn unchanged_needs_a_current_version_and_the_same_files() {
        let prev = state(&[("a.xlsx", 10, 100), ("b.xlsx", 20, 200)]);
        let same = [file("a.xlsx", 10, 100), file("b.xlsx", 20, 200)];
        assert!(inputs_unchanged(Some(&prev), &same, true));
        assert!(!inputs_unchanged(Some(&prev), &same, false), "no version is current");
        assert!(!inputs_unchanged(Some(&prev), &same[..1], true), "a file is gone");
        assert!(!inputs_unchanged(Some(&prev), &[file("a.xlsx", 10, 100), file("b.xlsx", 20, 201)], true), "a file touched");
        assert!(!inputs_unchanged(None, &same, true));
        let now = state(&[("b.xlsx", 20, 200), ("c.xlsx", 5, 5)]);
        assert_eq!(removed(Some(&prev), &now).into_iter().collect::<Vec<_>>(), ["a.xlsx"]);
        assert!(removed(None, &now).is_empty());
    }
}
