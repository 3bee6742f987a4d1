//! The registry of published tables (`wcmon::tables`, src/tables.rs) against what
//! a run publishes and what the README says:
//! - every table of the registry is published where and as it says (one file or
//!   `KEY=VALUE/part-N.parquet`), its files declare its order as `sorting_columns`
//!   and its rows are in it, its grain is unique (DuckDB), the manifest counts its
//!   rows, and nothing else is in the version (tests/python/check_tables.py) — on
//!   the sample, and on the sample computed in parts after a return is removed
//!   (a `changes` table with rows, parts taken from the last run);
//! - the public export holds exactly the registry's public tables, its internal
//!   folder exactly the export's internal ones;
//! - the README's table list ("The monitoring database") has a row for every
//!   table, at its path, with the registry's grain text and every column the
//!   published table has (none it lacks), and no row for a table the registry
//!   does not have; its list of keys and orders is the registry's, row for row.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use wcmon::tables::{TableDef, Written, MANIFEST, TABLES};

/// The sample run once (into a folder of its own under the build's temp folder) and exported.
struct Sample {
    db: PathBuf,
    export: PathBuf,
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("wcmon-tables-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let (r, db) = run_into(&root().join("sample_data"), &dir);
        assert_eq!(r.code, 0);
        let export = dir.join("export");
        let e = wcmon(&["export", "--public", "--db", db.to_str().unwrap(), "--out", export.to_str().unwrap()]);
        assert_eq!(e.code, 0);
        Sample { db, export }
    })
}

/// The registry as JSON, for the Python checks.
fn registry_json(dir: &Path) -> PathBuf {
    let path = dir.join("registry.json");
    std::fs::write(&path, serde_json::to_string_pretty(&TABLES).unwrap()).unwrap();
    path
}

/// tests/python/check_tables.py on a database (and an export of it).
fn check_tables(db: &Path, export: Option<&Path>, tmp: &Path) -> String {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(root().join("tests/python/check_tables.py")).arg(registry_json(tmp)).arg(db);
    if let Some(out) = export {
        cmd.arg("--export").arg(out);
    }
    let out = cmd.output().expect("python3 (run the tests through tools/test)");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && stdout.contains(" 0 failures"), "check_tables.py\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn tables_checked(stdout: &str) -> usize {
    stdout.lines().last().and_then(|l| l.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn every_table_of_the_registry_is_published_as_registered() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let out = check_tables(&s.db, Some(&s.export), tmp.path());
    // Every table was checked: the run's and the export's.
    assert_eq!(tables_checked(&out), TABLES.len(), "{out}");
}

#[test]
fn every_table_as_registered_in_a_database_written_in_parts_after_a_return_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    let db = tmp.path().join("db");
    let run = |inbox: &Path| wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap(), "--part-values", "2000"]);
    let r = run(&inbox);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("computed in 2 parts"), "{}", r.stdout);
    // A town's return goes: its part is computed again, the county's own returns' part is kept,
    // and `changes` has a row per value removed.
    std::fs::remove_file(inbox.join("卫健局/2020年儿童和妇女保健服务情况.xlsx")).unwrap();
    let r = run(&inbox);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("(1 unchanged since the last run"), "{}", r.stdout);
    assert!(read(&db.join("changes.parquet")).height() > 0);
    // A year's values in a file per part (the county's own returns' part has no rows below the top).
    let year = db.join("current/data_values/year=2020");
    let mut files: Vec<String> = std::fs::read_dir(&year).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    files.sort();
    assert_eq!(files, ["part-0.parquet", "part-2.parquet"], "the towns' part and the top in {}", year.display());
    let out = check_tables(&db, None, tmp.path());
    assert_eq!(tables_checked(&out), TABLES.iter().filter(|t| t.written != Written::Export).count(), "{out}");
}

/// The rows (their cells) of the README's table in "The monitoring database" whose
/// header row is `header`.
fn readme_table(header: &str) -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme.split("\n## The monitoring database\n").nth(1).expect("README: no section \"The monitoring database\"");
    let section = section.split("\n## ").next().unwrap_or_default();
    let lines: Vec<&str> = section.lines().skip_while(|l| l.trim() != header).skip(2).take_while(|l| l.starts_with('|')).collect();
    assert!(!lines.is_empty(), "README \"The monitoring database\": no table headed {header}");
    lines.iter().map(|l| l.trim().trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect()).collect()
}

/// The README's list of tables: (path, grain, columns), the columns the first code
/// span of the third cell names (notes in brackets left out).
fn readme_rows() -> Vec<(String, String, Vec<String>)> {
    let code = |cell: &str| cell.split('`').nth(1).map(str::to_string);
    let mut rows = Vec::new();
    for cells in readme_table("| table | grain | main columns |") {
        assert_eq!(cells.len(), 3, "README: a row of the table list with {} cells: {cells:?}", cells.len());
        let path = code(&cells[0]).unwrap_or_default();
        let mut columns = code(&cells[2]).unwrap_or_default();
        // `status (loaded, superseded, …)`: the bracket is the column's values.
        while let (Some(open), Some(close)) = (columns.find('('), columns.find(')')) {
            if close < open {
                break;
            }
            columns.replace_range(open..=close, "");
        }
        let columns = columns.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
        rows.push((path, cells[1].clone(), columns));
    }
    rows
}

/// Where the README names a table: `data_values/year=YYYY/part-N.parquet`, `issues.parquet`,
/// `OUT/internal/suppression.parquet`.
fn readme_path(t: &TableDef) -> String {
    match (t.written, t.partition_by) {
        (Written::Export, _) => format!("OUT/{}/{}.parquet", serde_json::to_value(t.audience).unwrap().as_str().unwrap(), t.name),
        (_, Some(key)) => format!("{}/{key}=YYYY/part-N.parquet", t.name),
        (_, None) => format!("{}.parquet", t.name),
    }
}

/// The columns of a published table (a partitioned one's key is its folders', not its files').
fn published_columns(t: &TableDef) -> Vec<String> {
    let s = sample();
    let file = match (t.written, t.partition_by) {
        (Written::Export, _) => s.export.join("internal").join(t.entry()),
        (_, Some(_)) => {
            let year = std::fs::read_dir(s.db.join(t.entry())).unwrap().next().unwrap().unwrap().path();
            std::fs::read_dir(year).unwrap().next().unwrap().unwrap().path()
        }
        (_, None) => s.db.join(t.entry()),
    };
    read(&file).get_column_names().iter().map(|c| c.to_string()).collect()
}

#[test]
fn the_readme_lists_every_table_with_its_grain_and_every_column() {
    let rows = readme_rows();
    for t in TABLES {
        let want = readme_path(t);
        let Some((_, grain, columns)) = rows.iter().find(|(p, _, _)| *p == want) else {
            panic!("README \"The monitoring database\": no row for `{want}` (the registry's {})", t.name)
        };
        assert_eq!(grain, t.about, "README: the grain of {} is not the registry's `about`", t.name);
        let mut listed = columns.clone();
        let mut published = published_columns(t);
        listed.sort();
        published.sort();
        let missing: Vec<&String> = published.iter().filter(|c| !listed.contains(c)).collect();
        let extra: Vec<&String> = listed.iter().filter(|c| !published.contains(c)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "README `{want}`: columns not listed {missing:?}, listed but not published {extra:?}");
    }
    // Nothing in the list that is not in the registry (but the manifest, which is no table).
    for (path, _, _) in &rows {
        assert!(path == MANIFEST || TABLES.iter().any(|t| readme_path(t) == *path), "README lists `{path}`, which the registry (src/tables.rs) does not have");
    }
}

/// A table's row of the README's list of keys and orders, as the registry says it.
fn key_row(t: &TableDef) -> String {
    let list = |cols: &[&str]| if cols.is_empty() { "—".to_string() } else { cols.join(", ") };
    let order = if t.nulls_first && !t.sort.is_empty() { format!("{} (nulls first)", list(t.sort)) } else { list(t.sort) };
    let written = match t.written {
        Written::PerPart => "per part",
        Written::WholeRun => "once per run",
        Written::Export => "by `wcmon export --public`",
    };
    let public = if t.audience == wcmon::tables::Audience::Public { "yes" } else { "no" };
    format!("| `{}` | {} | {order} | {} | {written} | {public} |", t.name, list(t.grain), t.partition_by.unwrap_or("—"))
}

#[test]
fn the_readme_lists_every_table_with_its_key_order_partitioning_and_audience() {
    let header = "| table | key | sorted by | partitioned by | written | public export |";
    let got: Vec<String> = readme_table(header).iter().map(|cells| format!("| {} |", cells.join(" | "))).collect();
    let want: Vec<String> = TABLES.iter().map(|t| key_row(t)).collect();
    assert!(got == want, "README \"The monitoring database\": the list of keys and orders is not the registry's (src/tables.rs); it should read\n{header}\n|---|---|---|---|---|---|\n{}", want.join("\n"));
}
