//! What can go wrong with the database on disk, each error naming the file or
//! folder it concerns: an IO error with its path, a Parquet file that cannot be
//! read or written, a JSON file of the state that does not parse, a kept file
//! whose content is not what was written.
//!
//! Said in the process's language ([`crate::i18n::lang`]) when printed;
//! [`StoreError::message`] gives one language (an issue row's `message` is
//! English whatever the locale, so the tables' bytes do not depend on it).

use std::path::{Path, PathBuf};

use polars::prelude::PolarsError;

use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or folder of the database that cannot be read, written, listed or linked.
    #[error("{}", self.message(crate::i18n::lang()))]
    Io { path: PathBuf, source: std::io::Error },
    /// A Parquet file of the database that cannot be read or written (or a frame made for it).
    #[error("{}", self.message(crate::i18n::lang()))]
    Parquet { path: PathBuf, source: PolarsError },
    /// A JSON file of the state that cannot be written or does not parse (cut short, edited).
    #[error("{}", self.message(crate::i18n::lang()))]
    Json { path: PathBuf, source: serde_json::Error },
    /// A kept file that is not what was written.
    #[error("{}", self.message(crate::i18n::lang()))]
    Corrupt { path: PathBuf, damage: Damage },
}

/// How a kept file differs from what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// A file its folder did not have when it was written.
    Extra,
    /// Its content changed since it was written (its checksum differs).
    Changed,
}

impl StoreError {
    /// An IO error on `path`, for `map_err`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io { path: path.to_path_buf(), source }
    }

    /// A Polars error reading or writing the Parquet file `path`, for `map_err`.
    pub fn parquet(path: &Path) -> impl FnOnce(PolarsError) -> StoreError + '_ {
        move |source| StoreError::Parquet { path: path.to_path_buf(), source }
    }

    /// A JSON error on `path`, for `map_err`.
    pub fn json(path: &Path) -> impl FnOnce(serde_json::Error) -> StoreError + '_ {
        move |source| StoreError::Json { path: path.to_path_buf(), source }
    }

    /// The file or folder the error concerns.
    pub fn path(&self) -> &Path {
        match self {
            StoreError::Io { path, .. } | StoreError::Parquet { path, .. } | StoreError::Json { path, .. } | StoreError::Corrupt { path, .. } => path,
        }
    }

    /// Whether the error is a file that is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let path = self.path().display().to_string();
        match self {
            StoreError::Io { source, .. } => crate::t!(lang, "err-store-io", path = &path, error = &source.to_string()),
            StoreError::Parquet { source, .. } => crate::t!(lang, "err-store-parquet", path = &path, error = &source.to_string()),
            StoreError::Json { source, .. } => crate::t!(lang, "err-store-json", path = &path, error = &source.to_string()),
            StoreError::Corrupt { damage: Damage::Extra, .. } => crate::t!(lang, "err-store-extra", path = &path),
            StoreError::Corrupt { damage: Damage::Changed, .. } => crate::t!(lang, "err-store-changed", path = &path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_error_names_its_path_in_both_languages() {
        let p = Path::new("/db/state/parts/k/record.json");
        let json = serde_json::from_str::<serde_json::Value>("{\"cut").unwrap_err();
        let errors = [
            StoreError::io(p)(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
            StoreError::parquet(p)(PolarsError::NoData("empty".into())),
            StoreError::json(p)(json),
            StoreError::Corrupt { path: p.into(), damage: Damage::Extra },
            StoreError::Corrupt { path: p.into(), damage: Damage::Changed },
        ];
        for e in &errors {
            assert_eq!(e.path(), p);
            for lang in [Lang::En, Lang::Zh] {
                let m = e.message(lang);
                assert!(m.contains("/db/state/parts/k/record.json"), "{lang:?}: {m}");
                assert!(!m.starts_with("err-"), "{lang:?}: no message for {e:?}");
            }
        }
        // The English messages are those the issue rows have always had.
        assert_eq!(errors[1].message(Lang::En), "/db/state/parts/k/record.json: no data: empty");
        assert_eq!(
            errors[2].message(Lang::En),
            format!("/db/state/parts/k/record.json: unreadable ({})", serde_json::from_str::<serde_json::Value>("{\"cut").unwrap_err())
        );
        assert_eq!(errors[3].message(Lang::En), "/db/state/parts/k/record.json: a file the part did not have when it was written");
        assert_eq!(errors[4].message(Lang::En), "/db/state/parts/k/record.json: its content changed since it was written (checksum differs)");
        assert!(errors[0].message(Lang::Zh).contains("无法读写"), "{}", errors[0].message(Lang::Zh));
    }
}
