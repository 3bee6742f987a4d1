//! The commands besides `run`/`rebuild` (which are [`crate::pipeline::run`]): each
//! reads what it needs (returns, pipeline files or the published database) and
//! returns its result as data for `main.rs` to print.
//!
//! - [`check`]: a dry run over given returns (what would land, what would not)
//! - [`inspect`]: a workbook's sheets, header rows and merged regions, to write a form

pub mod check;
pub mod inspect;
pub mod paths;
