//! Disclosure control: the public export of the monitoring database
//! (`wcmon export --public`), in which small counts of sensitive data elements
//! are withheld together with the cells that would give them back.
//!
//! - [`cells`]: the additive tables of `data_values` (one per sensitive data
//!   element and year) and the relations that hold in them (towns → county,
//!   F + M = _T, age groups → all ages, U + R = _T);
//! - [`solver`]: primary cells protected by a minimal-cost secondary pattern
//!   found by linear programming (good_lp over microlp), and the attacker's
//!   linear programme that checks the pattern;
//! - [`export`]: the public tables (`data_values` without its source columns,
//!   `indicator_values`, `progress`, `gaps`, each with a `conf_status` column),
//!   and `suppression.parquet` (internal: every withheld cell and why).
//!
//! The database itself is only read: its bytes are those of a run without
//! this feature.

pub mod cells;
pub mod export;
pub mod read;
pub mod solver;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::Catalogue;

pub use export::{export_public, ExportOptions, ExportSummary};

/// What can go wrong reading the database or writing the export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: no published database here (DB/current/manifest.json is missing; run `wcmon run` first)")]
    NoDatabase { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parquet { path: PathBuf, source: polars::prelude::PolarsError },
    #[error("{path}: column {column}: {detail}")]
    Column { path: PathBuf, column: String, detail: String },
    #[error("{path}: the table has no files")]
    Empty { path: PathBuf },
    #[error("{path}: {source}")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error(transparent)]
    Publish(#[from] crate::store::publish::PublishError),
}

/// The data elements whose small counts are withheld: those marked `sensitive`,
/// and every data element in the numerator of an indicator marked `sensitive`.
pub fn sensitive_elements(catalogue: &Catalogue) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = catalogue.data_elements.iter().filter(|d| d.sensitive).map(|d| d.code.clone()).collect();
    for ind in catalogue.indicators.iter().filter(|i| i.sensitive) {
        out.extend(ind.numerator.iter().chain(ind.value.iter()).map(|t| t.data_element.clone()));
    }
    out
}

/// The indicators over a sensitive count: marked `sensitive`, or with a sensitive
/// data element in their numerator (or value).
pub fn sensitive_indicators(catalogue: &Catalogue) -> BTreeSet<String> {
    let elements = sensitive_elements(catalogue);
    catalogue
        .indicators
        .iter()
        .filter(|i| i.sensitive || i.numerator.iter().chain(i.value.iter()).any(|t| elements.contains(&t.data_element)))
        .map(|i| i.code.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_marks_deaths_hiv_and_orphans() {
        let cat = Catalogue::load(std::path::Path::new("pipelines/indicators.toml")).unwrap();
        let de = sensitive_elements(&cat);
        for code in ["maternal_deaths", "hiv_positive_mothers", "child_injury_deaths", "child_drowning_deaths", "orphans_unattended_children", "infant_deaths"]
        {
            assert!(de.contains(code), "{code} is not sensitive");
        }
        assert!(!de.contains("live_births") && !de.contains("population"));
        // Every indicator over a sensitive numerator is marked so in the file too.
        for ind in &cat.indicators {
            let over = ind.numerator.iter().chain(ind.value.iter()).any(|t| de.contains(&t.data_element));
            assert_eq!(over, ind.sensitive, "indicator {}: sensitive = {} in indicators.toml", ind.code, ind.sensitive);
        }
        let mmr = cat.indicators.iter().find(|i| i.name_zh == "孕产妇死亡率").unwrap();
        assert!(sensitive_indicators(&cat).contains(&mmr.code));
    }
}
