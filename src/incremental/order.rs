//! Which of several returns of the same form, year (and area) is the latest:
//! the order of submissions, independent of file modification times where it can be.
//!
//! 1. **A correction mark** in the file name (`更正`, `修订`, `修正`): a marked
//!    return comes after an unmarked one, whatever its times;
//! 2. **when wcmon first saw its content** (`state/first_seen.json`, kept across
//!    runs, copies and rebuilds): a return that arrived in a later run comes after;
//! 3. only then **the file's modification time**, then the path.
//!
//! When the return taken as in force and the one before it tie on 1 and 2 (first
//! seen in the same run, neither or both marked) and their contents differ, the
//! order rests on modification times alone: the run says so with a warning
//! (`supersession_ambiguous`) naming both files.

use std::cmp::Ordering;

/// The words that mark a return as a correction of an earlier one, in its file name.
pub const CORRECTION_MARKS: [&str; 3] = ["更正", "修订", "修正"];

/// What orders one submission among the others of its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rank {
    /// The file name says it is a correction.
    pub marked: bool,
    /// The run that first saw its content (see `crate::store::state::first_seen`); `u64::MAX` when unknown (this run).
    pub seen: u64,
    pub mtime_ns: u64,
    pub path: String,
    pub sha256: String,
}

impl Rank {
    pub fn new(path: &str, seen: Option<u64>, mtime_ns: u64, sha256: &str) -> Rank {
        Rank { marked: is_marked(path), seen: seen.unwrap_or(u64::MAX), mtime_ns, path: path.to_string(), sha256: sha256.to_string() }
    }

    /// Earlier (`Less`) to later (`Greater`): the last of a group is in force.
    pub fn cmp_order(&self, other: &Rank) -> Ordering {
        (self.marked, self.seen, self.mtime_ns, &self.path).cmp(&(other.marked, other.seen, other.mtime_ns, &other.path))
    }

    /// The two are ordered only by their files' times (or paths), and their contents differ.
    pub fn ambiguous_with(&self, other: &Rank) -> bool {
        self.marked == other.marked && self.seen == other.seen && self.sha256 != other.sha256
    }
}

/// Record this run's sightings of the inbox's files (`state` has each file's content
/// hash), then rank each file (in `files`' order) for [`crate::incremental::supersede`].
pub fn see_and_rank(
    files: &[crate::ingest::InputFile],
    state: &crate::store::state::State,
    seen: &mut crate::store::state::first_seen::FirstSeen,
) -> Vec<Rank> {
    for (rel, s) in &state.files {
        seen.see(rel, &s.sha256);
    }
    files
        .iter()
        .map(|f| {
            let sha = state.files.get(&f.rel).map_or("", |s| s.sha256.as_str());
            Rank::new(&f.rel, seen.content(sha).map(|s| s.run), f.mtime_ns, sha)
        })
        .collect()
}

/// Whether a path's file name (not its folders) carries a correction mark.
pub fn is_marked(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    CORRECTION_MARKS.iter().any(|m| name.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_beats_arrival_which_beats_the_file_time() {
        let original = Rank::new("生态环境局/全县主要指标_5.xlsx", Some(1), 900, "a");
        let correction = Rank::new("生态环境局/全县主要指标_5_更正.xlsx", Some(1), 100, "b");
        // Marked: later, though modified earlier and seen in the same run.
        assert_eq!(original.cmp_order(&correction), Ordering::Less);
        assert!(!original.ambiguous_with(&correction));
        // Unmarked, arrived in a later run: later, though modified earlier.
        let resent = Rank::new("民政局/民政2024年报(再次报送).xlsx", Some(2), 100, "c");
        let first = Rank::new("民政局/民政2024年报.xlsx", Some(1), 900, "d");
        assert_eq!(first.cmp_order(&resent), Ordering::Less);
        assert!(!first.ambiguous_with(&resent));
        // Same run, no mark: the file time decides, and that is ambiguous.
        let (a, b) = (Rank::new("x/a.xlsx", Some(3), 100, "e"), Rank::new("x/b.xlsx", Some(3), 200, "f"));
        assert_eq!(a.cmp_order(&b), Ordering::Less);
        assert!(a.ambiguous_with(&b));
        // The same bytes twice are not ambiguous: either is the same return.
        assert!(!a.ambiguous_with(&Rank::new("x/c.xlsx", Some(3), 300, "e")));
        // Only the file name counts, not a folder called 修订.
        assert!(!is_marked("修订/2024年妇幼卫生年报.xlsx"));
        assert!(is_marked("卫健局/2024年妇幼卫生年报（修订）.xlsx"));
    }
}
