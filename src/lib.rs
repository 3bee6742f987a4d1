//! wcmon: statistical monitoring of a county's Women's and Children's
//! Development Plans (2021–2030).
//!
//! Member bodies' Excel returns in (any layout described by a pipeline file),
//! a Parquet monitoring database out: every cell traced to its file, sheet and
//! address, every indicator recomputed from summed counts for every area, sex
//! and age group.
//!
//! Stages: [`ingest`] → [`normalise`] → [`validate`] → [`compute`] → [`publish`],
//! driven by [`pipeline::run`].

pub mod commands;
pub mod compute;
pub mod config;
pub mod generate;
pub mod i18n;
pub mod incremental;
pub mod ingest;
pub mod labels;
pub mod lock;
pub mod model;
pub mod normalise;
pub mod parts;
pub mod pipeline;
pub mod progress;
pub mod publish;
pub mod reporting;
pub mod state;
pub mod validate;
