//! When wcmon first saw each return: `DB/state/first_seen.json`.
//!
//! A return is known two ways, and each gets the first run that saw it:
//!
//! * by **content** (its SHA-256): the same bytes copied to another folder, sent
//!   again under another name, or restored from a backup with new modification
//!   times keep the sighting of the first copy. This is what orders corrections
//!   (see `crate::incremental::order`);
//! * by **path** (relative to the inbox): a return overwritten in place by a
//!   correction keeps the date the path first arrived, so the original's receipt
//!   is not lost with its bytes (what `reporting.parquet` calls `first_received`).
//!
//! Unlike the rest of `state/`, this file is not tied to the build or the
//! pipeline files: a rebuild, an upgrade or a changed form keeps it (it is read
//! in every mode). Deleting `state/` (or this file) loses it: the next run sees
//! every return for the first time. Sightings are saved only by a run that
//! publishes (with the state), so a failed run records nothing.
//!
//! The returns already in the inbox at the database's first run are marked
//! `initial`: wcmon cannot know when they arrived, so they are never counted late.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::error::StoreError;

/// The first run that saw a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The run's number among the runs that recorded sightings (1, 2, …): the order of arrival.
    pub run: u64,
    /// The run's id (as in `runs.jsonl` and `manifest.json`).
    pub run_id: String,
    /// The run's time (RFC 3339, UTC), or its as-of date in tests.
    pub at: String,
    /// Seen by the database's first run (the time it arrived is unknown).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initial: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FirstSeen {
    /// The number of the last run that recorded sightings.
    pub runs: u64,
    /// The date (YYYY-MM-DD) the last published `reporting.parquet` was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// By content (SHA-256, lower-case hex).
    #[serde(default)]
    pub contents: BTreeMap<String, Sighting>,
    /// By path relative to the inbox.
    #[serde(default)]
    pub paths: BTreeMap<String, Sighting>,
    /// This run's sighting, once [`FirstSeen::begin`] was called.
    #[serde(skip)]
    this_run: Option<Sighting>,
}

fn file(db: &Path) -> PathBuf {
    crate::store::Layout::of(db).first_seen()
}

impl FirstSeen {
    /// The record of `db` (empty when there is none). A damaged file is kept aside as
    /// `first_seen.json.damaged` and the record starts afresh, with a warning.
    pub fn load(db: &Path) -> FirstSeen {
        let path = file(db);
        let Ok(text) = std::fs::read_to_string(&path) else { return FirstSeen::default() };
        match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(file = %path.display(), "the record of when returns were first seen is damaged ({e}); kept aside, starting afresh");
                let _ = std::fs::rename(&path, path.with_extension("json.damaged"));
                FirstSeen::default()
            }
        }
    }

    /// Start this run's sightings: run `run_id` at `at` (RFC 3339).
    pub fn begin(&mut self, run_id: &str, at: &str) {
        let initial = self.contents.is_empty() && self.paths.is_empty();
        self.this_run = Some(Sighting { run: self.runs + 1, run_id: run_id.to_string(), at: at.to_string(), initial });
    }

    /// Record that this run saw `rel` with content `sha256` (kept only where nothing earlier was).
    pub fn see(&mut self, rel: &str, sha256: &str) {
        let Some(now) = &self.this_run else { return };
        if sha256.is_empty() {
            return;
        }
        let mut new = false;
        if !self.contents.contains_key(sha256) {
            self.contents.insert(sha256.to_string(), now.clone());
            new = true;
        }
        if !self.paths.contains_key(rel) {
            self.paths.insert(rel.to_string(), now.clone());
            new = true;
        }
        if new {
            self.runs = now.run;
        }
    }

    /// The first sighting of a content.
    pub fn content(&self, sha256: &str) -> Option<&Sighting> {
        self.contents.get(sha256)
    }

    /// When a file was first received: the earlier of its path's and its content's sightings.
    pub fn received(&self, rel: &str, sha256: &str) -> Option<&Sighting> {
        match (self.paths.get(rel), self.contents.get(sha256)) {
            (Some(p), Some(c)) => Some(if p.run <= c.run { p } else { c }),
            (p, c) => p.or(c),
        }
    }

    /// Write atomically (temp file + rename).
    pub fn save(&self, db: &Path) -> Result<(), StoreError> {
        let path = file(db);
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(StoreError::io(d))?;
        }
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).map_err(StoreError::json(&tmp))?).map_err(StoreError::io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(StoreError::io(&path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sighting_is_kept_by_content_and_by_path() {
        let db = tempfile::tempdir().unwrap();
        let mut f = FirstSeen::load(db.path());
        f.begin("r1", "2025-03-01T00:00:00Z");
        f.see("a.xlsx", "aa");
        f.see("b.xlsx", "bb");
        f.save(db.path()).unwrap();

        let mut f = FirstSeen::load(db.path());
        assert_eq!(f.runs, 1);
        assert!(f.content("aa").unwrap().initial, "the first run's sightings are initial");
        f.begin("r2", "2025-04-02T00:00:00Z");
        // a.xlsx copied elsewhere (same bytes), b.xlsx overwritten in place, c.xlsx new.
        f.see("copy/a.xlsx", "aa");
        f.see("b.xlsx", "b2");
        f.see("c.xlsx", "cc");
        assert_eq!(f.content("aa").unwrap().run_id, "r1");
        assert_eq!(f.received("copy/a.xlsx", "aa").unwrap().run_id, "r1");
        assert_eq!(f.content("b2").unwrap().run_id, "r2");
        assert_eq!(f.received("b.xlsx", "b2").unwrap().run_id, "r1", "the path arrived first");
        let c = f.received("c.xlsx", "cc").unwrap();
        assert_eq!((c.run, c.at.as_str(), c.initial), (2, "2025-04-02T00:00:00Z", false));
        f.save(db.path()).unwrap();
        assert_eq!(FirstSeen::load(db.path()).runs, 2);

        // A run that sees nothing new does not count.
        let mut f = FirstSeen::load(db.path());
        f.begin("r3", "2025-05-01T00:00:00Z");
        f.see("c.xlsx", "cc");
        assert_eq!(f.runs, 2);
    }

    #[test]
    fn a_damaged_record_is_kept_aside() {
        let db = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(db.path().join("state")).unwrap();
        std::fs::write(file(db.path()), b"{not json").unwrap();
        let f = FirstSeen::load(db.path());
        assert_eq!(f.runs, 0);
        assert!(db.path().join("state/first_seen.json.damaged").exists());
    }
}
