//! The published database read by independent clients (DuckDB and pyarrow in
//! Python), as statisticians will read it. Needs `pip install duckdb pyarrow`
//! (done by .ci/run).

use crate::common;

use common::*;

/// tests/python/check_contract.py on a database: every table of the contract, the truth values.
fn check_contract(db: &std::path::Path) {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/python/check_contract.py"))
        .arg(db)
        .arg(root().join("sample_data/_truth"))
        .output()
        .expect("python3 must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python check failed (pip install duckdb pyarrow?)\n{stdout}\n{stderr}");
    assert!(stdout.contains("0 failures"), "{stdout}");
}

#[test]
fn duckdb_and_pyarrow_read_every_table_of_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    check_contract(&db);
}

/// The same checks on the sample county's database written in parts (a file per
/// part in each year folder), as a province's is.
#[test]
fn duckdb_and_pyarrow_read_a_database_written_in_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let r = wcmon(&["run", "--inbox", root().join("sample_data").to_str().unwrap(), "--db", db.to_str().unwrap(), "--part-values", "2000"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("computed in 2 parts"), "{}", r.stdout);
    check_contract(&db);
}
