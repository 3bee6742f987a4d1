//! What is fresh, corrections and the audit trail.
//!
//! * [`planning`]: which input files are unchanged since the state (and whether
//!   nothing changed at all), which are gone;
//! * [`supersession`]: of several returns of the same form and year (and area,
//!   for forms with one file per area), the latest ([`order`]: a correction mark,
//!   then when wcmon first saw it, then the file time) is in force; the others get
//!   status `superseded` and their values are kept out.
//! * [`audit`]: every reported value that differs from the previous
//!   published version (changed, removed, or added by a correction), with the
//!   old and new value, submission, file and cell, and why (`changes.parquet`).

pub mod audit;
pub mod order;
pub mod planning;
pub mod supersession;

pub use audit::{changes, changes_since, changes_staged, previous_changes, previous_partitions, previous_values, year_dirs, AuditError, Context};
pub use supersession::{per_area, reporting_unit, supersede};
