//! The commands besides `run`/`rebuild` (which are [`crate::pipeline::run`]): each
//! reads what it needs (returns, pipeline files or the published database) and
//! returns its result as data for `main.rs` to print.
//!
//! - [`check`]: a dry run over given returns (what would land, what would not)
//! - [`inspect`]: a workbook's sheets, header rows and merged regions, to write a form
//! - [`status`]: who has sent what, per body, from the published `reporting.parquet`
//! - [`template`]: blank returns generated from the pipeline files
//! - [`report`]: the monitoring report (HTML, and the workbook) from the published database

pub mod check;
pub mod inspect;
pub mod paths;
pub mod report;
pub mod status;
pub mod template;
