//! gaps.parquet on the sample: the county's gaps between women and men,
//! recomputed from data_values by tests/python/check_gaps.py with statsmodels
//! and scipy (tools/test installs them), never from wcmon's own numbers.

use crate::common;

use common::*;

#[test]
fn county_sex_gaps_match_a_recomputation_from_data_values() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/python/check_gaps.py"))
        .arg(&db)
        .arg(root().join("pipelines"))
        .output()
        .expect("python3 must be installed");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python check failed (tools/test installs scipy and statsmodels)\n{stdout}\n{stderr}");
    assert!(stdout.contains("\n0 failures"), "{stdout}");
}

/// The same gaps from a run computed in parts (the county from the parts' sums).
#[test]
fn gaps_of_a_run_in_parts_are_those_of_one_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, whole) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let parts = tmp.path().join("parts_db");
    let r = wcmon(&["run", "--inbox", root().join("sample_data").to_str().unwrap(), "--db", parts.to_str().unwrap(), "--part-values", "2000"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("computed in 2 parts"), "{}", r.stdout);
    let (a, b) = (read(&whole.join("gaps.parquet")), read(&parts.join("gaps.parquet")));
    assert!(a.height() >= 135, "{} gap rows", a.height());
    assert!(a.equals_missing(&b), "gaps differ between one pass and parts:\n{a}\n{b}");
}
