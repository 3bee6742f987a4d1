//! wcmon: statistical monitoring of a county's Women's and Children's
//! Development Plans (2021–2030).
//!
//! Member bodies' Excel returns in (any layout described by a pipeline file),
//! a Parquet monitoring database out: every cell traced to its file, sheet and
//! address, every indicator recomputed from summed counts for every area, sex
//! and age group.
//!
//! Stages: [`ingest`] → [`normalise`] → [`validate`] → [`compute`] →
//! [`progress`] → [`store::publish`], driven by [`pipeline::run`]; corrections
//! and the audit trail in [`incremental`], the database on disk in [`store`].
//! The rows passed between stages are in [`model`]; what config and normalise
//! both read (labels, values, units) in [`vocab`]; small helpers in [`util`].
//! The published tables, their names, grains and orders, are one registry: [`tables`].
//! ARCHITECTURE.md says where each concern lives and how to add to it.
//! [`disclosure`]: the public export, small sensitive counts withheld (with
//! the cells that would give them back).

pub mod commands;
pub mod compute;
pub mod config;
pub mod disclosure;
pub mod generate;
pub mod i18n;
pub mod incremental;
pub mod ingest;
pub mod labels;
pub mod model;
pub mod normalise;
pub mod pipeline;
pub mod progress;
pub mod reporting;
pub mod store;
pub mod tables;
pub mod util;
pub mod validate;
pub mod vocab;
