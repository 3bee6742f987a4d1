//! The rows that flow between stages and end up in the Parquet tables.

use serde::{Deserialize, Serialize};

/// Where a value or a finding comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    pub file: String,
    pub sheet: Option<String>,
    pub cell: Option<String>,
}

/// A `&'static str` read back from the state cache: interned, so each distinct
/// rule name or status is allocated once per process.
pub fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static POOL: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut pool = POOL.get_or_init(|| Mutex::new(HashSet::new())).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&x) = pool.get(s) {
        return x;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    pool.insert(leaked);
    leaked
}

/// (An alias, so serde's derive does not try to borrow it from the input.)
pub type StaticStr = &'static str;

fn de_static<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    Ok(intern(&s))
}

/// Shared, immutable text: the codes and the per-file provenance of a value are
/// the same for thousands of values, so each is allocated once per file and
/// the values hold a reference-counted pointer to it.
pub type Text = std::sync::Arc<str>;

/// One data element value (a row of `data_values`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub data_element: Text,
    pub area: Text,
    pub year: i32,
    pub sex: Text,
    pub age: Text,
    pub residence: Text,
    pub value: Option<f64>,
    /// SDMX observation status: A normal, E estimated, P provisional, M missing, … (a form's flags may set any code).
    #[serde(deserialize_with = "de_static")]
    pub obs_status: StaticStr,
    /// Computed by wcmon (male = total − female, an aggregate of lower areas).
    pub derived: bool,
    pub form: Option<Text>,
    pub source_file: Option<Text>,
    pub source_sheet: Option<Text>,
    /// Its cell (`B7`, or `B7-C7` for a value derived from two); shared text, so a
    /// value read back from the cache is not a fresh allocation.
    pub source_cell: Option<Text>,
    pub source_sha256: Option<Text>,
    pub submission: Option<Text>,
    /// Warning flags raised on the value (it still lands).
    pub flags: Option<String>,
    /// What the return's flag marks say about the value (a form's `[table.flags]` notes).
    #[serde(default)]
    pub note: Option<Text>,
}

/// Hands out one shared [`Text`] per distinct string (per file or per run).
#[derive(Debug, Default)]
pub struct Interner {
    pool: rustc_hash::FxHashSet<Text>,
    /// The last text handed out for each of a value's fields ([`Interner::get_for`]).
    last: [Option<Text>; 5],
}

impl Interner {
    pub fn get(&mut self, s: &str) -> Text {
        if let Some(t) = self.pool.get(s) {
            return t.clone();
        }
        let t: Text = Text::from(s);
        self.pool.insert(t.clone());
        t
    }

    /// [`Interner::get`] for field `slot` (0–4) of a run of values: most values of
    /// a sheet repeat the area, sex, age and residence of the value before, so the
    /// text is compared with the last one handed out for that field before it is hashed.
    pub fn get_for(&mut self, slot: usize, s: &str) -> Text {
        if let Some(Some(t)) = self.last.get(slot) {
            if **t == *s {
                return t.clone();
            }
        }
        let t = self.get(s);
        if let Some(last) = self.last.get_mut(slot) {
            *last = Some(t.clone());
        }
        t
    }
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

/// Declares a `Copy` enum named by its serde strings (`as_str`, `Display`, and
/// comparison with text, so `status == "loaded"` reads as before).
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

named_enum! {
    /// What became of a return (`submissions.status`).
    SubmissionStatus {
        Loaded = "loaded",
        /// Read, but no table of its form was found in it (or it could not be read).
        Failed = "failed",
        /// No form recognises it.
        Unrecognised = "unrecognised",
        /// A newer return of the same form and year replaced it.
        Superseded = "superseded",
    }
}

named_enum! {
    /// How a run ended (`RunSummary.outcome`).
    RunOutcome {
        /// A new version is current.
        Published = "published",
        /// Nothing new: the current version stands.
        Unchanged = "unchanged",
    }
}

// Not derived: `named_enum!` makes the enum, and its derives are fixed.
#[allow(clippy::derivable_impls)]
impl Default for RunOutcome {
    fn default() -> Self {
        RunOutcome::Published
    }
}

named_enum! {
    /// `wcmon run` (only new or changed files are read) or `wcmon rebuild` (every file, the state ignored).
    RunMode {
        Run = "run",
        Rebuild = "rebuild",
    }
}

/// What kind of rule a [`RuleStat`] counts (`rule_summary.kind`; serde: its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatKind {
    /// A check built into wcmon (`negative_count`, `female_exceeds_total`, …).
    BuiltIn,
    /// A finding made while reading (`unparseable_value`, `unknown_area`, …).
    Ingest,
    /// The year-over-year outlier check.
    Outlier,
    /// Declared rules (`rules.toml`, a form's `[[rule]]`), by kind: the kind's tag (`compare`, `balance` …).
    Declared(&'static str),
}

impl Serialize for StatKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StatKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StatKind, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "built_in" => StatKind::BuiltIn,
            "ingest" => StatKind::Ingest,
            "outlier" => StatKind::Outlier,
            _ => {
                // A declared rule's kind: its text kept once per process.
                static KINDS: std::sync::Mutex<std::collections::BTreeSet<&'static str>> = std::sync::Mutex::new(std::collections::BTreeSet::new());
                let mut kinds = KINDS.lock().unwrap_or_else(|e| e.into_inner());
                match kinds.get(text.as_str()) {
                    Some(k) => StatKind::Declared(k),
                    None => {
                        let k: &'static str = Box::leak(text.into_boxed_str());
                        kinds.insert(k);
                        StatKind::Declared(k)
                    }
                }
            }
        })
    }
}

impl StatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StatKind::BuiltIn => "built_in",
            StatKind::Ingest => "ingest",
            StatKind::Outlier => "outlier",
            StatKind::Declared(kind) => kind,
        }
    }
}

/// Where a rule applies (`rule_summary.scope`): every return (`catalogue`) or one form's (its id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Catalogue,
    Form(String),
}

impl Scope {
    /// `catalogue`, else a form id.
    pub fn of(s: &str) -> Scope {
        if s == "catalogue" {
            Scope::Catalogue
        } else {
            Scope::Form(s.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Scope::Catalogue => "catalogue",
            Scope::Form(id) => id,
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        Ok(Scope::of(&String::deserialize(d)?))
    }
}

/// One row of the per-rule summary (`rule_summary.parquet`), after R's `validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleStat {
    pub rule: String,
    pub kind: StatKind,
    pub severity: Severity,
    pub scope: Scope,
    pub expression: String,
    /// Checks made (passes + fails) plus checks skipped for missing values.
    pub items: u64,
    pub passes: u64,
    pub fails: u64,
    pub missing: u64,
}

impl RuleStat {
    /// A rule that has checked nothing yet.
    pub fn new(rule: &str, kind: StatKind, severity: Severity, scope: Scope, expression: &str) -> RuleStat {
        RuleStat { rule: rule.to_string(), kind, severity, scope, expression: expression.to_string(), items: 0, passes: 0, fails: 0, missing: 0 }
    }
}

/// A total the return states for the areas it lists (a 合计 row or a 全县 column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub data_element: String,
    pub year: i32,
    pub sex: String,
    pub age: String,
    pub residence: String,
    pub value: f64,
    pub sheet: String,
    pub cell: String,
}

/// One finding (a row of `issues`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    #[serde(deserialize_with = "de_static")]
    pub rule: StaticStr,
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
    /// The technical detail behind `message` (a reader's own error text), when there is one.
    #[serde(default)]
    pub detail: Option<String>,
    /// The message in Chinese when the place that made the issue says it (else
    /// `i18n::issue_message_zh` builds it from the catalogue and the fields above).
    #[serde(default)]
    pub message_zh: Option<String>,
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
            detail: None,
            message_zh: None,
        }
    }

    /// The message in Chinese (see `message_zh`).
    pub fn zh(mut self, message: impl Into<String>) -> Issue {
        self.message_zh = Some(message.into());
        self
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

impl Submission {
    /// A file not (yet) read: status `failed`, nothing counted.
    pub fn new(submission: String, source_file: &str) -> Submission {
        Submission {
            submission,
            form: None,
            reporter: None,
            year: None,
            source_file: source_file.to_string(),
            source_sha256: None,
            format: None,
            status: SubmissionStatus::Failed,
            cells_read: 0,
            values_landed: 0,
            values_rejected: 0,
            values_derived: 0,
            values_derived_total: 0,
            values_superseded: 0,
            superseded_by: None,
        }
    }
}

/// One input file (a row of `submissions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub submission: String,
    pub form: Option<String>,
    pub reporter: Option<String>,
    pub year: Option<i32>,
    pub source_file: String,
    pub source_sha256: Option<String>,
    pub format: Option<String>,
    pub status: SubmissionStatus,
    pub cells_read: u64,
    pub values_landed: u64,
    pub values_rejected: u64,
    pub values_derived: u64,
    /// Of `values_derived`, the totals derived as 女 + 男 (the rest are 男 = 合计 − 女).
    #[serde(default)]
    pub values_derived_total: u64,
    /// Values of a superseded return (a newer one of the same form and year replaced it).
    #[serde(default)]
    pub values_superseded: u64,
    pub superseded_by: Option<String>,
}

/// Everything one input file produced (before validation, which spans files):
/// what the state cache keeps per file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileResult {
    pub submission: Submission,
    pub observations: Vec<Observation>,
    pub issues: Vec<Issue>,
    /// The return's own totals, for the area balance rule.
    pub controls: Vec<Control>,
}

/// What the run keeps of a file while its values wait in the state cache: the
/// years and areas it reports (for supersession and for grouping files into
/// parts) and how many values it has.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub years: Vec<i32>,
    pub areas: Vec<String>,
    pub values: usize,
    /// The values and controls are in the cache, not in memory.
    pub stripped: bool,
    /// So are the file's ingest findings (the file was not decoded this run).
    pub issues_stripped: bool,
}

impl FileFacts {
    pub fn of(r: &FileResult) -> FileFacts {
        let years: std::collections::BTreeSet<i32> = r.observations.iter().map(|o| o.year).collect();
        let areas: std::collections::BTreeSet<&str> = r.observations.iter().map(|o| &*o.area).collect();
        FileFacts {
            years: years.into_iter().collect(),
            areas: areas.into_iter().map(str::to_string).collect(),
            values: r.observations.len(),
            stripped: false,
            issues_stripped: false,
        }
    }
}
