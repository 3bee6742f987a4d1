//! One writer per database: an exclusive advisory lock on `DB/.lock`.
//!
//! The operating system releases the lock when the process ends, however it
//! ends (a `kill -9` included), so a lock left by a dead run never blocks the
//! next one: the file may still name the dead process, and the next run says
//! so and takes the lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Held for the whole run; dropping it releases the lock.
#[derive(Debug)]
pub struct DbLock {
    file: File,
    pub path: PathBuf,
    /// The content of a lock file left by a run that died holding it.
    pub recovered_from: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}", crate::t!(crate::i18n::lang(), "err-lock-busy", db = &db.display().to_string(), holder = holder.as_str()))]
    Busy { db: PathBuf, holder: String },
    #[error("{}", crate::t!(crate::i18n::lang(), "err-lock-io", path = &path.display().to_string(), error = &source.to_string()))]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}", crate::t!(crate::i18n::lang(), "err-lock-not-a-folder", db = &db.display().to_string()))]
    NotAFolder { db: PathBuf },
}

impl DbLock {
    /// Take the lock on `db` (created if needed) or fail at once with [`LockError::Busy`].
    pub fn acquire(db: &Path) -> Result<DbLock, LockError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LockError::Io { path, source }
        };
        if std::fs::metadata(db).is_ok_and(|m| !m.is_dir()) {
            return Err(LockError::NotAFolder { db: db.to_path_buf() });
        }
        std::fs::create_dir_all(db).map_err(io(db))?;
        let path = super::Layout::of(db).lock();
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = if previous.trim().is_empty() { "holder unknown".to_string() } else { previous.trim().to_string() };
                return Err(LockError::Busy { db: db.to_path_buf(), holder });
            }
            Err(TryLockError::Error(e)) => return Err(LockError::Io { path, source: e }),
        }
        // The lock is ours. A non-empty file means the last holder did not end cleanly.
        let recovered_from = (!previous.trim().is_empty()).then(|| previous.trim().to_string());
        file.set_len(0).map_err(io(&path))?;
        file.seek(SeekFrom::Start(0)).map_err(io(&path))?;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        write!(file, "pid {} on {} since {}", std::process::id(), host.trim(), crate::util::now_rfc3339()).map_err(io(&path))?;
        file.flush().map_err(io(&path))?;
        Ok(DbLock { file, path, recovered_from })
    }
}

impl Drop for DbLock {
    fn drop(&mut self) {
        // Empty the file: a clean end leaves nothing to recover from.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let a = DbLock::acquire(tmp.path()).unwrap();
        assert!(a.recovered_from.is_none());
        match DbLock::acquire(tmp.path()) {
            Err(e @ LockError::Busy { .. }) => {
                let LockError::Busy { holder, .. } = &e else { unreachable!() };
                assert!(holder.contains(&format!("pid {}", std::process::id())), "{holder}");
                // The message names the database (English until main sets the language).
                let said = e.to_string();
                assert!(said.starts_with("another wcmon run is writing ") && said.contains(&tmp.path().display().to_string()), "{said}");
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(a);
        let b = DbLock::acquire(tmp.path()).unwrap();
        assert!(b.recovered_from.is_none(), "a clean end leaves nothing to recover");
        drop(b);
        // A file given as the database: named in the error.
        let file = tmp.path().join("db.txt");
        std::fs::write(&file, b"not a database").unwrap();
        let e = DbLock::acquire(&file).unwrap_err();
        assert!(matches!(e, LockError::NotAFolder { .. }) && e.to_string().contains(&file.display().to_string()), "{e}");
    }
}
