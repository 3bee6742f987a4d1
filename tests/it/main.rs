//! The integration tests: one test binary (linking wcmon and Polars once instead of once per file).
//! One module per concern; add a file here and a `mod` line below. Run a part with
//! `bash tools/test --test it report::` (a module path is a test-name filter).

mod common;

mod catalogue;
mod disclosure;
mod e2e;
mod errors;
mod forms;
mod gap_targets;
mod gaps;
mod interop;
mod lang;
mod layout;
mod nightly;
mod planted;
mod progress;
mod python_clients;
mod report;
mod report_xlsx;
mod report_year;
mod reporting;
mod robust;
mod rule_kinds;
mod split;
mod tables;
mod template;
mod validation;
mod zh_messages;
