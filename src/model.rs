//! The rows that flow between stages and end up in the Parquet tables.

use serde::{Deserialize, Serialize};

/// Where a value or a finding comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: String,
    pub sheet: Option<String>,
    pub cell: Option<String>,
}

/// One data element value (a row of `data_values`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    pub data_element: String,
    pub area: String,
    pub year: i32,
    pub sex: String,
    pub age: String,
    pub residence: String,
    pub value: Option<f64>,
    /// SDMX observation status: A normal, E estimated, M missing.
    pub obs_status: &'static str,
    /// Computed by wcmon (male = total − female, an aggregate of lower areas).
    pub derived: bool,
    pub form: Option<String>,
    pub source_file: Option<String>,
    pub source_sheet: Option<String>,
    pub source_cell: Option<String>,
    pub source_sha256: Option<String>,
    pub submission: Option<String>,
    /// Warning flags raised on the value (it still lands).
    pub flags: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding (a row of `issues`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub rule: &'static str,
    pub message: String,
    pub source_file: Option<String>,
    pub source_sheet: Option<String>,
    pub source_cell: Option<String>,
    pub submission: Option<String>,
    pub form: Option<String>,
    pub data_element: Option<String>,
    pub indicator: Option<String>,
    pub year: Option<i32>,
    pub area: Option<String>,
    pub sex: Option<String>,
    pub age: Option<String>,
    pub observed: Option<String>,
    pub expected: Option<String>,
}

impl Issue {
    pub fn new(severity: Severity, rule: &'static str, message: impl Into<String>) -> Issue {
        Issue {
            severity,
            rule,
            message: message.into(),
            source_file: None,
            source_sheet: None,
            source_cell: None,
            submission: None,
            form: None,
            data_element: None,
            indicator: None,
            year: None,
            area: None,
            sex: None,
            age: None,
            observed: None,
            expected: None,
        }
    }

    pub fn at(mut self, file: &str, sheet: Option<&str>, cell: Option<String>) -> Issue {
        self.source_file = Some(file.to_string());
        self.source_sheet = sheet.map(str::to_string);
        self.source_cell = cell;
        self
    }

    pub fn observed(mut self, v: impl Into<String>) -> Issue {
        self.observed = Some(v.into());
        self
    }

    pub fn expected(mut self, v: impl Into<String>) -> Issue {
        self.expected = Some(v.into());
        self
    }
}

/// One input file (a row of `submissions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub submission: String,
    pub form: Option<String>,
    pub reporter: Option<String>,
    pub year: Option<i32>,
    pub source_file: String,
    pub source_sha256: Option<String>,
    pub format: Option<String>,
    /// loaded | failed | unrecognised | superseded
    pub status: String,
    pub cells_read: u64,
    pub values_landed: u64,
    pub values_rejected: u64,
    pub values_derived: u64,
    pub superseded_by: Option<String>,
}
