//! The registry of published tables: one entry ([`TableDef`]) per table of the
//! database and of the public export, saying its name, grain, partitioning,
//! sort order, whether a run split in parts writes it per part or once, and
//! whether it leaves the office.
//!
//! What takes it from here:
//! - `store::publish`: a table is written as its entry says (`Table::of`: the
//!   file name, the hive partitioning, the rows' declared order as every row
//!   group's `sorting_columns`); `Staging::write` refuses a table that is not
//!   here or is not as its entry says; the database's top-level links are the
//!   entries' ([`top_level`]);
//! - `pipeline::tables::sorted_table`: the rows of a table gathered in its entry's order;
//! - `store::parts` and `pipeline::split`: the per-part tables ([`per_part`]);
//! - tests/it/tables.rs: every entry against the published sample (the files,
//!   their order, a unique grain; the public export holds exactly the public
//!   tables) and against the README's two table lists (the grain text and every
//!   column; the key, order, partitioning, writer and audience).
//!
//! ARCHITECTURE.md "A published table" lists the steps to add one.

use serde::Serialize;

/// Who writes a table, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Written {
    /// Every run; a run split in parts writes a file per part into each partition
    /// (`part-<k>.parquet`, the last one the top of the area tree) and keeps the
    /// parts' files in `state/parts/` for the next run.
    PerPart,
    /// Every run, one file.
    WholeRun,
    /// `wcmon export --public`, not a run (`OUT/<audience>/`).
    Export,
}

/// Whether a table leaves the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// In the public export (`wcmon export --public`: `OUT/public/`, small sensitive counts withheld).
    Public,
    /// Never in the public export.
    Internal,
}

/// One published table.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct TableDef {
    /// Its name: `<name>.parquet`, or the folder `<name>/` of a partitioned table;
    /// also its key in the manifest's `row_counts`.
    pub name: &'static str,
    /// What one row is (the README's "grain" column says exactly this).
    pub about: &'static str,
    /// The columns whose values make a row unique (a partition key among them);
    /// empty where the rows have no such key.
    pub grain: &'static [&'static str],
    /// Hive-partitioned by this integer column: `<name>/<column>=<value>/part-<k>.parquet`.
    pub partition_by: Option<&'static str>,
    /// The order of the rows, ascending, declared as every row group's
    /// `sorting_columns` (the partition key, constant in a file and not in it, left
    /// out there); empty: no order declared.
    pub sort: &'static [&'static str],
    /// In `sort`, whether nulls come first (`compute::frames::sort_order`, with which a
    /// table's rows are gathered at publishing, puts them last).
    pub nulls_first: bool,
    pub written: Written,
    pub audience: Audience,
}

impl TableDef {
    /// A table a run writes once: public, no order declared (other fields set with `..`).
    const fn once_per_run(name: &'static str, about: &'static str, grain: &'static [&'static str]) -> TableDef {
        TableDef { name, about, grain, partition_by: None, sort: &[], nulls_first: false, written: Written::WholeRun, audience: Audience::Public }
    }

    /// A public table a run writes per part, partitioned by year, its rows in `sort` (the year first).
    const fn per_part_by_year(name: &'static str, about: &'static str, grain: &'static [&'static str], sort: &'static [&'static str]) -> TableDef {
        TableDef { partition_by: Some("year"), sort, written: Written::PerPart, ..TableDef::once_per_run(name, about, grain) }
    }

    /// Its entry in a version folder (and at the database's top level): `data_values`, `issues.parquet`.
    pub fn entry(&self) -> String {
        match self.partition_by {
            Some(_) => self.name.to_string(),
            None => format!("{}.parquet", self.name),
        }
    }

    /// `sort` with each column's nulls-first flag, as the Parquet writer takes it.
    pub fn sorted_by(&self) -> Vec<(&'static str, bool)> {
        self.sort.iter().map(|c| (*c, self.nulls_first)).collect()
    }
}

/// The run's record beside its tables (not a table).
pub const MANIFEST: &str = "manifest.json";

pub static DATA_VALUES: TableDef = TableDef::per_part_by_year(
    "data_values",
    "one reported, derived or aggregated data element value",
    &["year", "data_element", "area", "sex", "age", "residence"],
    &["year", "data_element", "area", "sex", "age", "residence", "derived", "source_file", "source_cell"],
);

pub static INDICATOR_VALUES: TableDef = TableDef::per_part_by_year(
    "indicator_values",
    "one indicator value",
    &["year", "indicator", "area", "sex", "age", "residence"],
    &["year", "indicator", "area", "sex", "age", "residence"],
);

/// The catalogue, the data elements and the areas are sorted by their code (Polars' sort:
/// nulls first, though a code is never null).
pub static INDICATORS: TableDef =
    TableDef { sort: &["indicator"], nulls_first: true, ..TableDef::once_per_run("indicators", "the catalogue (132 indicators)", &["indicator"]) };

pub static DATA_ELEMENTS: TableDef =
    TableDef { sort: &["data_element"], nulls_first: true, ..TableDef::once_per_run("data_elements", "data elements", &["data_element"]) };

pub static AREAS: TableDef = TableDef { sort: &["area"], ..TableDef::once_per_run("areas", "area", &["area"]) };

pub static PROGRESS: TableDef = TableDef {
    sort: &["indicator", "area", "sex", "age", "target_year"],
    ..TableDef::once_per_run("progress", "indicator × area × sex × age × target year (2025, 2030)", &["indicator", "area", "sex", "age", "target_year"])
};

pub static GAPS: TableDef = TableDef {
    sort: &["indicator", "area", "year", "dimension", "age", "sex", "residence"],
    ..TableDef::once_per_run(
        "gaps",
        "indicator × area × year × age × dimension (sex: F against M; residence: R against U)",
        &["indicator", "area", "year", "dimension", "age", "sex", "residence"],
    )
};

pub static SUBMISSIONS: TableDef = TableDef::once_per_run("submissions", "one input file", &["submission"]);

/// In the order of `pipeline::sort_issues`, whose key is the grain but for the cell's row
/// and column before its address: only the file and sheet are declared (None first).
pub static ISSUES: TableDef = TableDef {
    sort: &["source_file", "source_sheet"],
    nulls_first: true,
    ..TableDef::once_per_run("issues", "one finding", &["source_file", "source_sheet", "source_cell", "rule", "message", "data_element"])
};

/// No key: not unique by `rule` (yet), `unpaired_aggregate` has two rows (two checks) and
/// `rate_denominator_missing` two equal ones.
pub static RULE_SUMMARY: TableDef = TableDef { audience: Audience::Internal, ..TableDef::once_per_run("rule_summary", "one validation rule", &[]) };

pub static CHANGES: TableDef = TableDef::once_per_run(
    "changes",
    "one changed reported value (audit trail across versions)",
    &["version", "data_element", "area", "year", "sex", "age", "residence"],
);

pub static REPORTING: TableDef = TableDef {
    audience: Audience::Internal,
    ..TableDef::once_per_run("reporting", "one return expected or received: form × year × area", &["form", "year", "area"])
};

pub static SUPPRESSION: TableDef = TableDef {
    written: Written::Export,
    audience: Audience::Internal,
    ..TableDef::once_per_run(
        "suppression",
        "one value withheld from the public export",
        &["table", "data_element", "indicator", "area", "year", "sex", "age", "residence", "target_year", "dimension", "group"],
    )
};

/// Every published table, in the order of the README's list.
pub static TABLES: [&TableDef; 13] = [
    &DATA_VALUES,
    &INDICATOR_VALUES,
    &INDICATORS,
    &DATA_ELEMENTS,
    &AREAS,
    &SUBMISSIONS,
    &CHANGES,
    &RULE_SUMMARY,
    &PROGRESS,
    &GAPS,
    &ISSUES,
    &REPORTING,
    &SUPPRESSION,
];

/// The table named `name`.
pub fn by_name(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// The tables a run writes (every one but the export's).
pub fn of_a_run() -> impl Iterator<Item = &'static TableDef> {
    TABLES.iter().copied().filter(|t| t.written != Written::Export)
}

/// The names of the tables written per part.
pub fn per_part() -> impl Iterator<Item = &'static str> {
    TABLES.iter().filter(|t| t.written == Written::PerPart).map(|t| t.name)
}

/// A database's top-level names (links into `current/`): every run table's entry, and the manifest.
pub fn top_level() -> Vec<String> {
    of_a_run().map(TableDef::entry).chain([MANIFEST.to_string()]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_each_entry_is_consistent() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(TABLES[..i].iter().all(|u| u.name != t.name), "{} twice", t.name);
            assert_eq!(by_name(t.name), Some(*t));
            // A partitioned table is the per-part kind (by year: `store::parts` keeps and links
            // back `year=YYYY` files), and its key is in its grain.
            assert_eq!(t.partition_by.is_some(), t.written == Written::PerPart, "{}", t.name);
            assert!(t.partition_by.is_none_or(|key| key == "year"), "{}", t.name);
            if let Some(key) = t.partition_by {
                assert!(t.grain.contains(&key) && t.sort.first() == Some(&key), "{}", t.name);
            }
            // No column twice in a grain or an order.
            for list in [t.grain, t.sort] {
                assert!(list.iter().enumerate().all(|(j, c)| !list[..j].contains(c)), "{}: {list:?}", t.name);
            }
        }
        assert_eq!(by_name("nope"), None);
    }

    #[test]
    fn the_top_level_names_and_the_per_part_tables() {
        assert_eq!(per_part().collect::<Vec<_>>(), ["data_values", "indicator_values"]);
        let top = top_level();
        assert_eq!(top.len(), 13, "twelve run tables and the manifest: {top:?}");
        assert_eq!(&top[..3], ["data_values", "indicator_values", "indicators.parquet"]);
        assert_eq!(top.last().map(String::as_str), Some("manifest.json"));
        assert!(!top.iter().any(|e| e.starts_with("suppression")));
        assert_eq!(DATA_VALUES.sorted_by()[..2], [("year", false), ("data_element", false)]);
    }
}
