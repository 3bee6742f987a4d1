//! The public export (`wcmon export --public`) and the public report on the
//! sample: small sensitive counts withheld, secondary cells so that none can be
//! derived (attacked by linear programming in tests/python/check_disclosure.py,
//! scipy), and the database itself untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// Every file under `dir` (following the `current` link) with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.insert(e.path().strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn export(db: &Path, out: &Path) -> Run {
    wcmon(&["export", "--public", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()])
}

#[test]
fn the_public_export_withstands_the_attack_and_leaves_the_database_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let before = files(&db.join("current"));
    let out = tmp.path().join("export");
    let e = export(&db, &out);
    assert_eq!(e.code, 0, "{}", e.stderr);
    assert!(e.stdout.contains("primary cells (C)"), "{}", e.stdout);
    // The database is only read.
    assert_eq!(files(&db.join("current")), before, "the export changed the database");
    // The internal table is kept out of the public folder.
    assert!(out.join("internal/suppression.parquet").is_file());
    assert!(!files(&out.join("public")).keys().any(|p| p.to_string_lossy().contains("suppression")));

    let o = Command::new("python3")
        .arg(root().join("tests/python/check_disclosure.py"))
        .args([&db, &out, &root().join("pipelines")])
        .output()
        .expect("python3 with duckdb and scipy (tools/test)");
    let stdout = String::from_utf8_lossy(&o.stdout);
    eprintln!("{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && stdout.contains("\n0 failures"), "{stdout}");

    // suppression.parquet: every withheld data value, with its rule; the primary ones are
    // exactly the town values of sensitive counts in [1, 3) (counted here from the database).
    let sup = read(&out.join("internal/suppression.parquet"));
    let (table, conf, rule) = (strs(&sup, "table"), strs(&sup, "conf_status"), strs(&sup, "rule"));
    let primary = (0..sup.height()).filter(|&i| table[i].as_deref() == Some("data_values") && conf[i].as_deref() == Some("C")).count();
    assert!((0..sup.height()).all(|i| rule[i].is_some()));
    let dv = read_partitioned(&db.join("current/data_values"));
    let (de, area, value) = (strs(&dv, "data_element"), strs(&dv, "area"), f64s(&dv, "value"));
    let sensitive = ["maternal_deaths", "hiv_positive_mothers", "child_injury_deaths", "orphans_unattended_children", "under5_deaths"];
    let small_in_db = (0..dv.height())
        .filter(|&i| {
            de[i].as_deref().is_some_and(|d| sensitive.contains(&d)) && area[i].as_deref() != Some("421321") && value[i].is_some_and(|v| v > 0.0 && v < 3.0)
        })
        .count();
    let small_in_sup = (0..sup.height())
        .filter(|&i| {
            table[i].as_deref() == Some("data_values")
                && conf[i].as_deref() == Some("C")
                && strs(&sup, "data_element")[i].as_deref().is_some_and(|d| sensitive.contains(&d))
        })
        .count();
    assert!(small_in_db > 20, "the sample has small sensitive counts: {small_in_db}");
    assert_eq!(small_in_sup, small_in_db);
    assert!(primary >= small_in_db);

    // Run again: the same bytes.
    let first = files(&out.join("public"));
    assert_eq!(export(&db, &out).code, 0);
    assert_eq!(files(&out.join("public")), first, "the export is not deterministic");
}

/// The pipeline files without `sensitive = true` and `[disclosure]`: a run without the feature.
fn pipelines_without_the_feature(dir: &Path) -> PathBuf {
    let to = dir.join("pipelines");
    for e in walkdir::WalkDir::new(root().join("pipelines")) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(root().join("pipelines")).unwrap();
        let target = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            continue;
        }
        let mut text = std::fs::read(e.path()).unwrap();
        if rel == Path::new("indicators.toml") {
            let s = String::from_utf8(text).unwrap();
            text = s.lines().filter(|l| l.trim() != "sensitive = true").map(|l| format!("{l}\n")).collect::<String>().into_bytes();
        }
        if rel == Path::new("rules.toml") {
            let s = String::from_utf8(text).unwrap();
            let start = s.find("[disclosure]").unwrap();
            let end = start + s[start..].find("[severity]").unwrap();
            text = format!("{}{}", &s[..start], &s[end..]).into_bytes();
        }
        std::fs::write(&target, text).unwrap();
    }
    to
}

#[test]
fn the_published_tables_are_the_bytes_of_a_run_without_the_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let plain = pipelines_without_the_feature(tmp.path());
    let db2 = tmp.path().join("db-plain");
    let r2 = wcmon(&["--pipelines", plain.to_str().unwrap(), "run", "--inbox", root().join("sample_data").to_str().unwrap(), "--db", db2.to_str().unwrap()]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    // reporting.parquet holds when this database first saw each return (wall-clock time,
    // README "The monitoring database"): two databases differ there whatever the feature.
    let parquet = |m: BTreeMap<PathBuf, Vec<u8>>| {
        m.into_iter().filter(|(p, _)| p.extension().is_some_and(|x| x == "parquet") && !p.ends_with("reporting.parquet")).collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (parquet(files(&db.join("current"))), parquet(files(&db2.join("current"))));
    assert!(a.len() >= 12, "{} files", a.len());
    for (p, bytes) in &a {
        assert!(b.get(p) == Some(bytes), "{} differs from a run without the feature", p.display());
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn the_public_report_shows_withheld_values_and_no_source_of_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let out = tmp.path().join("report");
    let rep = wcmon(&["report", "--public", "--db", db.to_str().unwrap(), "--area", "421321100", "--out", out.to_str().unwrap()]);
    assert_eq!(rep.code, 0, "{}", rep.stderr);
    let html_path = out.join("监测报告_421321100_2024_annual_公开.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(out.join("监测报告_421321100_2024_annual_公开.xlsx").is_file());
    assert!(!out.join(".public-export").exists(), "the export made for the report is left behind");
    assert!(html.contains("公开版"), "no note that the report is the public one");
    // The town's withheld values are shown as withheld (the sample has small counts in 厉山镇).
    let export_dir = tmp.path().join("export");
    assert_eq!(export(&db, &export_dir).code, 0);
    let sup = read(&export_dir.join("internal/suppression.parquet"));
    let (table, area) = (strs(&sup, "table"), strs(&sup, "area"));
    let town_withheld = (0..sup.height()).filter(|&i| table[i].as_deref() == Some("data_values") && area[i].as_deref() == Some("421321100")).count();
    assert!(town_withheld > 0);
    assert!(html.contains("—(不公开)"), "no withheld value shown");
    // No return, sheet and cell of a withheld count (lineage shows file · sheet · cell).
    let dv = read_partitioned(&db.join("current/data_values"));
    let (de, a, y, sex) = (strs(&dv, "data_element"), strs(&dv, "area"), i32s(&dv, "year"), strs(&dv, "sex"));
    let (file, sheet, cell) = (strs(&dv, "source_file"), strs(&dv, "source_sheet"), strs(&dv, "source_cell"));
    let (sde, syear, ssex) = (strs(&sup, "data_element"), i32s(&sup, "year"), strs(&sup, "sex"));
    let withheld: std::collections::BTreeSet<(String, String, i32, String)> = (0..sup.height())
        .filter(|&i| table[i].as_deref() == Some("data_values"))
        .map(|i| (sde[i].clone().unwrap(), area[i].clone().unwrap(), syear[i].unwrap(), ssex[i].clone().unwrap()))
        .collect();
    let mut sources = Vec::new();
    for i in 0..dv.height() {
        let k = (de[i].clone().unwrap(), a[i].clone().unwrap(), y[i].unwrap(), sex[i].clone().unwrap());
        if let (true, Some(f), Some(s), Some(c)) = (withheld.contains(&k), &file[i], &sheet[i], &cell[i]) {
            sources.push(format!("{f} · {s} · {c}"));
        }
    }
    assert!(!sources.is_empty());
    for shown in &sources {
        assert!(!html.contains(shown.as_str()), "the source of a withheld count is in the public report: {shown}");
    }
    // The ordinary report of the same town does show them (so the check above can fail).
    let plain = wcmon(&["report", "--db", db.to_str().unwrap(), "--area", "421321100", "--out", out.to_str().unwrap()]);
    assert_eq!(plain.code, 0);
    let plain_html = std::fs::read_to_string(out.join("监测报告_421321100_2024_annual.html")).unwrap();
    assert!(sources.iter().any(|s| plain_html.contains(s.as_str())), "the ordinary report shows no source of these counts");
}
