//! The database on disk: its layout ([`Layout`], every folder and file name),
//! one writer at a time ([`lock`]), new versions staged and made current
//! ([`publish`]), and what the next incremental run needs beside them: the
//! state and its cache ([`state`]) and the parts kept for reuse ([`parts`]).
//! Their errors name the file they concern ([`StoreError`], [`error`]).

pub mod error;
pub mod lock;
pub mod parts;
pub mod publish;
pub mod state;

use std::path::{Path, PathBuf};

pub use error::StoreError;

/// Every folder and file name of a database, in one place:
///
/// ```text
/// DB/
///   .lock                        one writer at a time (lock)
///   current -> versions/v000007  the version in force (switched by one rename of .current-<pid>)
///   versions/v000007/            each version complete; .staging-v000008-<pid>/ while one is written
///   data_values -> current/data_values, issues.parquet -> current/issues.parquet, …
///   state/state.json             the inputs' fingerprints (state)
///   state/cache/pack-<run>.bin   the files' normalised results
///   state/parts/<key>/           the parts kept for the next run (parts)
///   state/first_seen.json        when each return was first seen
///   state/runs.jsonl             one line per run
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    pub db: &'a Path,
}

/// The name of the link to the version in force.
pub const CURRENT: &str = "current";
/// The folder of versions.
pub const VERSIONS: &str = "versions";
/// The lock file.
pub const LOCK: &str = ".lock";
/// The state folder.
pub const STATE: &str = "state";
/// A staging folder's name starts with this.
const STAGING: &str = ".staging";

impl<'a> Layout<'a> {
    pub fn of(db: &'a Path) -> Layout<'a> {
        Layout { db }
    }

    /// `DB/.lock`.
    pub fn lock(self) -> PathBuf {
        self.db.join(LOCK)
    }

    /// `DB/current` (a link).
    pub fn current(self) -> PathBuf {
        self.db.join(CURRENT)
    }

    /// The new `current` link, made beside it and renamed over it: `DB/.current-<pid>`.
    pub fn current_next(self) -> PathBuf {
        self.db.join(format!(".{CURRENT}-{}", std::process::id()))
    }

    /// What `current` points at for version `name` (relative, so a moved database still works).
    pub fn current_target(name: &str) -> PathBuf {
        Path::new(VERSIONS).join(name)
    }

    /// What a top-level name (`data_values`, `issues.parquet`) links to: `current/<entry>`.
    pub fn top_level_target(entry: &str) -> PathBuf {
        Path::new(CURRENT).join(entry)
    }

    /// `DB/versions`.
    pub fn versions(self) -> PathBuf {
        self.db.join(VERSIONS)
    }

    /// `DB/versions/<name>`.
    pub fn version(self, name: &str) -> PathBuf {
        self.versions().join(name)
    }

    /// A version's name: `v000007`.
    pub fn version_name(number: u64) -> String {
        format!("v{number:06}")
    }

    /// A version's number from its name (`v000007` → 7).
    pub fn version_number(name: &str) -> Option<u64> {
        name.strip_prefix('v').and_then(|n| n.parse().ok())
    }

    /// The staging folder of version `name` written by this process.
    pub fn staging(self, name: &str) -> PathBuf {
        self.versions().join(format!("{STAGING}-{name}-{}", std::process::id()))
    }

    /// Whether a folder under `versions/` is a staging folder (a crashed run's, when no run holds the lock).
    pub fn is_staging(file_name: &str) -> bool {
        file_name.starts_with(STAGING)
    }

    /// `DB/state`.
    pub fn state(self) -> PathBuf {
        self.db.join(STATE)
    }

    /// `DB/state/state.json`.
    pub fn state_file(self) -> PathBuf {
        self.state().join("state.json")
    }

    /// The state's temporary file, renamed over [`Layout::state_file`].
    pub fn state_file_next(self) -> PathBuf {
        self.state().join(format!("state.json.tmp-{}", std::process::id()))
    }

    /// `DB/state/cache`.
    pub fn cache(self) -> PathBuf {
        self.state().join("cache")
    }

    /// `DB/state/parts`.
    pub fn parts(self) -> PathBuf {
        self.state().join("parts")
    }

    /// `DB/state/parts/<key>`.
    pub fn part(self, key: &str) -> PathBuf {
        self.parts().join(key)
    }

    /// `DB/state/first_seen.json`.
    pub fn first_seen(self) -> PathBuf {
        self.state().join("first_seen.json")
    }

    /// `DB/state/runs.jsonl`.
    pub fn runs_log(self) -> PathBuf {
        self.state().join("runs.jsonl")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_spells_the_documented_names() {
        let l = Layout::of(Path::new("/db"));
        let pid = std::process::id();
        assert_eq!(l.lock(), Path::new("/db/.lock"));
        assert_eq!(l.current(), Path::new("/db/current"));
        assert_eq!(l.current_next(), PathBuf::from(format!("/db/.current-{pid}")));
        assert_eq!(Layout::current_target("v000007"), Path::new("versions/v000007"));
        assert_eq!(Layout::top_level_target("issues.parquet"), Path::new("current/issues.parquet"));
        assert_eq!(l.version(&Layout::version_name(7)), Path::new("/db/versions/v000007"));
        assert_eq!(Layout::version_number("v000123"), Some(123));
        assert_eq!(Layout::version_number(".staging-v000001-1"), None);
        assert_eq!(l.staging("v000002"), PathBuf::from(format!("/db/versions/.staging-v000002-{pid}")));
        assert!(Layout::is_staging(&format!(".staging-v000002-{pid}")) && !Layout::is_staging("v000002"));
        assert_eq!(l.state_file(), Path::new("/db/state/state.json"));
        assert_eq!(l.cache(), Path::new("/db/state/cache"));
        assert_eq!(l.part("abc"), Path::new("/db/state/parts/abc"));
        assert_eq!(l.first_seen(), Path::new("/db/state/first_seen.json"));
        assert_eq!(l.runs_log(), Path::new("/db/state/runs.jsonl"));
    }
}
