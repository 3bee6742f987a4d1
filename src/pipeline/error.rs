//! Why a run stopped, each error carrying the typed error of the stage it came
//! from (the pipeline files, the inbox, the database, the changes table) and so
//! the path, file or cell it concerns. Said in the process's language
//! ([`crate::i18n::lang`]); `main` prints them and picks the exit code by variant.

use std::path::PathBuf;

use polars::prelude::PolarsError;

use crate::config::ConfigError;
use crate::i18n::lang;
use crate::incremental::AuditError;
use crate::reporting::AsOfError;
use crate::store::lock::LockError;
use crate::store::publish::PublishError;
use crate::store::StoreError;
use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}", t!(lang(), "err-run-inbox", path = &path.display().to_string(), error = &source.to_string()))]
    Inbox { path: PathBuf, source: std::io::Error },
    /// A computation on the run's frames (no file involved: those are the other variants).
    #[error("{}", t!(lang(), "err-run-compute", error = &.0.to_string()))]
    Compute(#[from] PolarsError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The state, the cache or a kept part (`DB/state/`).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The changes table (reading the versions it compares, or the diff).
    #[error(transparent)]
    Changes(#[from] AuditError),
    /// `WCMON_AS_OF` is not a date.
    #[error(transparent)]
    AsOf(#[from] AsOfError),
    /// Computing the parts of a run split in parts.
    #[error(transparent)]
    Parts(#[from] PartsError),
    /// The guard before publishing: an empty inbox, or one that would drop too many returns.
    #[error(transparent)]
    Guard(#[from] GuardError),
}

/// What went wrong running the parts themselves (not one part's files).
#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error("{}", t!(lang(), "err-parts-missing", part = *part, of = *of))]
    Missing { part: usize, of: usize },
    /// A run of one part whose part came back without its indicator rows and changes (a bug).
    #[error("{}", t!(lang(), "err-parts-whole-incomplete"))]
    WholeIncomplete,
    #[error("{}", t!(lang(), "err-parts-thread", error = &.0.to_string()))]
    Thread(std::io::Error),
    #[error("{}", t!(lang(), "err-parts-panicked"))]
    Panicked,
}

/// Why the guard published nothing (the database stays as it was).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    #[error("{}", t!(lang(), "err-guard-no-inbox", inbox = &inbox.display().to_string()))]
    NoInbox { inbox: PathBuf },
    #[error("{}", t!(lang(), "err-guard-empty-inbox", inbox = &inbox.display().to_string()))]
    EmptyInbox { inbox: PathBuf },
    /// More of the current version's returns gone than allowed: `gone` of `of`, a few of them, the allowed share (0.5: half).
    #[error("{}", t!(lang(), "err-guard-removals", gone = *gone, of = *of, inbox = &inbox.display().to_string(),
        some = &some.join(", "), allowed = &format!("{:.0}", allowed * 100.0)))]
    Removals { gone: usize, of: usize, inbox: PathBuf, some: Vec<String>, allowed: f64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_errors_say_what_they_concern() {
        // English until main sets the language (the tests never set it).
        let inbox = PathBuf::from("/mnt/inbox");
        let e = RunError::from(GuardError::NoInbox { inbox: inbox.clone() });
        assert_eq!(e.to_string(), "the inbox /mnt/inbox does not exist (not mounted? a wrong path?): nothing was published, the database stays as it was");
        let e = RunError::from(GuardError::Removals { gone: 35, of: 45, inbox, some: vec!["a.xlsx".into(), "b.xlsx".into()], allowed: 0.5 });
        assert_eq!(
            e.to_string(),
            "35 of the 45 returns of the current version are gone from the inbox /mnt/inbox (e.g. a.xlsx, b.xlsx), more than the 50% allowed: \
             nothing was published; if they were removed on purpose, run again with --allow-removals (or a larger --max-removals)"
        );
        let store = StoreError::Corrupt { path: "/db/state/parts/k/issues.parquet".into(), damage: crate::store::error::Damage::Changed };
        assert!(RunError::from(store).to_string().starts_with("/db/state/parts/k/issues.parquet: "));
        let e = RunError::Inbox { path: "/mnt/inbox".into(), source: std::io::Error::from(std::io::ErrorKind::PermissionDenied) };
        assert!(e.to_string().contains("/mnt/inbox"), "{e}");
        assert_eq!(RunError::from(PartsError::Missing { part: 2, of: 3 }).to_string(), "part 2 of 3 was neither kept nor computed");
        assert_eq!(AsOfError { value: "tomorrow".into() }.to_string(), "WCMON_AS_OF=\"tomorrow\" is not a date (YYYY-MM-DD)");
        // Each has a Chinese message with the same facts.
        for id in ["err-guard-no-inbox", "err-guard-empty-inbox", "err-guard-removals", "err-run-inbox", "err-parts-missing", "err-as-of"] {
            let zh = t!(crate::i18n::Lang::Zh, id, inbox = "/mnt/inbox", path = "/mnt/inbox", gone = 35, of = 45, part = 2, var = "WCMON_AS_OF");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{id}: {zh}");
        }
    }
}
