//! End to end: the real binary on the bundled sample, compared with the
//! generator's own truth (sample_data/_truth), never with wcmon's output.

use crate::common;

use std::collections::{BTreeMap, HashMap};

use common::*;

const COUNTY: &str = "421321";

fn sample_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0, "wcmon run on the sample must succeed");
    assert!(r.stdout.contains("45 files (45 loaded"), "{}", r.stdout);
    (tmp, db)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn sample_run_matches_generator_truth() {
    let (_tmp, db) = sample_db();
    let ind = read_partitioned(&db.join("indicator_values"));
    let (code, area, sex, age, res, val) =
        (strs(&ind, "indicator"), strs(&ind, "area"), strs(&ind, "sex"), strs(&ind, "age"), strs(&ind, "residence"), f64s(&ind, "value"));
    let year = i32s(&ind, "year");
    let mut got: HashMap<(String, String, i32, String, String), Option<f64>> = HashMap::new();
    for i in 0..ind.height() {
        if res[i].as_deref() == Some("_T") {
            got.insert((code[i].clone().unwrap(), area[i].clone().unwrap(), year[i].unwrap(), sex[i].clone().unwrap(), age[i].clone().unwrap()), val[i]);
        }
    }
    let truth = truth_csv("indicators.csv");
    assert!(truth.len() > 5000, "truth has {} rows", truth.len());
    let mut checked = 0;
    for t in &truth {
        let k = (t["indicator"].clone(), t["area"].clone(), t["year"].parse().unwrap(), t["sex"].clone(), t["age"].clone());
        let want: f64 = t["value"].parse().unwrap();
        let have = got.get(&k).copied().flatten().unwrap_or_else(|| panic!("wcmon has no value for {k:?} (truth {want})"));
        assert!(close(have, want), "{k:?}: wcmon {have}, truth {want}");
        checked += 1;
    }
    // The catalogue is fed to at least 60% by the samples.
    let cat = read(&db.join("indicators.parquet"));
    let with_data: std::collections::BTreeSet<_> = code.iter().flatten().collect();
    assert!(with_data.len() * 10 >= cat.height() * 6, "{} of {} indicators have data", with_data.len(), cat.height());
    eprintln!("checked {checked} indicator values against the truth");
}

#[test]
fn county_infant_mortality_by_sex_is_the_ratio_of_summed_town_counts() {
    let (_tmp, db) = sample_db();
    // Truth, summed here from the generator's town counts.
    let mut deaths: BTreeMap<(i32, String), f64> = BTreeMap::new();
    let mut births: BTreeMap<(i32, String), f64> = BTreeMap::new();
    for t in truth_csv("data_values.csv") {
        let key = (t["year"].parse::<i32>().unwrap(), t["sex"].clone());
        if t["area"] == COUNTY || t["age"] != "_T" {
            continue;
        }
        match t["data_element"].as_str() {
            "infant_deaths" => *deaths.entry(key).or_default() += t["value"].parse::<f64>().unwrap(),
            "live_births" => *births.entry(key).or_default() += t["value"].parse::<f64>().unwrap(),
            _ => {}
        }
    }
    let ind = read_partitioned(&db.join("indicator_values"));
    let (code, area, sex, val, num, den) =
        (strs(&ind, "indicator"), strs(&ind, "area"), strs(&ind, "sex"), f64s(&ind, "value"), f64s(&ind, "numerator"), f64s(&ind, "denominator"));
    let year = i32s(&ind, "year");
    let mut seen = 0;
    for i in 0..ind.height() {
        if code[i].as_deref() == Some("C02") && area[i].as_deref() == Some(COUNTY) && strs(&ind, "residence")[i].as_deref() == Some("_T") {
            let key = (year[i].unwrap(), sex[i].clone().unwrap());
            let (d, b) = (deaths[&key], births[&key]);
            assert_eq!(num[i], Some(d), "{key:?} numerator");
            assert_eq!(den[i], Some(b), "{key:?} denominator");
            assert!(close(val[i].unwrap(), d / b * 1000.0), "{key:?}: {} vs {}", val[i].unwrap(), d / b * 1000.0);
            let (lo, hi) = (f64s(&ind, "ci_low")[i].unwrap(), f64s(&ind, "ci_high")[i].unwrap());
            assert!(lo <= val[i].unwrap() && val[i].unwrap() <= hi, "CI must contain the value");
            seen += 1;
        }
    }
    assert_eq!(seen, 15, "C02 for 5 years × 3 sexes at county level");
}

#[test]
fn town_female_share_of_junior_pupils_matches_truth() {
    let (_tmp, db) = sample_db();
    let dv = read_partitioned(&db.join("data_values"));
    let (de, area, sex, age, val) = (strs(&dv, "data_element"), strs(&dv, "area"), strs(&dv, "sex"), strs(&dv, "age"), f64s(&dv, "value"));
    let year = i32s(&dv, "year");
    let mut got: HashMap<(String, i32, String), f64> = HashMap::new();
    for i in 0..dv.height() {
        if de[i].as_deref() == Some("pupils_junior") && age[i].as_deref() == Some("_T") {
            got.insert((area[i].clone().unwrap(), year[i].unwrap(), sex[i].clone().unwrap()), val[i].unwrap());
        }
    }
    let mut truth: HashMap<(String, i32, String), f64> = HashMap::new();
    for t in truth_csv("data_values.csv") {
        if t["data_element"] == "pupils_junior" {
            truth.insert((t["area"].clone(), t["year"].parse().unwrap(), t["sex"].clone()), t["value"].parse().unwrap());
        }
    }
    let mut n = 0;
    for ((a, y, s), v) in &truth {
        if s != "F" {
            continue;
        }
        let share_truth = v / truth[&(a.clone(), *y, "_T".to_string())];
        let share = got[&(a.clone(), *y, "F".into())] / got[&(a.clone(), *y, "_T".into())];
        assert!(close(share, share_truth), "{a} {y}: {share} vs {share_truth}");
        // Male is derived as total − female and equals the truth's male count.
        assert_eq!(got[&(a.clone(), *y, "M".into())], truth[&(a.clone(), *y, "M".to_string())]);
        n += 1;
    }
    assert_eq!(n, 21 * 5);
}

#[test]
fn every_cell_read_is_landed_or_reported() {
    let (_tmp, db) = sample_db();
    let subs = read(&db.join("submissions.parquet"));
    let issues = read(&db.join("issues.parquet"));
    let (read_, landed, rejected) = (u64s(&subs, "cells_read"), u64s(&subs, "values_landed"), u64s(&subs, "values_rejected"));
    let files = strs(&subs, "source_file");
    let issue_files = strs(&issues, "source_file");
    let issue_cells = strs(&issues, "source_cell");
    let dv = read_partitioned(&db.join("data_values"));
    let dv_files = strs(&dv, "source_file");
    let dv_derived: Vec<bool> = {
        let c = dv.column("derived").unwrap().bool().unwrap().clone();
        (0..c.len()).map(|i| c.get(i).unwrap()).collect()
    };
    for i in 0..subs.height() {
        assert_eq!(read_[i], landed[i] + rejected[i], "{:?}", files[i]);
        let f = files[i].clone();
        let cell_issues = (0..issues.height()).filter(|&j| issue_files[j] == f && issue_cells[j].is_some()).count() as u64;
        assert_eq!(cell_issues, rejected[i], "every rejected cell of {f:?} has an issue row");
        let rows = (0..dv.height()).filter(|&j| dv_files[j] == f && !dv_derived[j]).count() as u64;
        assert_eq!(rows, landed[i], "every landed cell of {f:?} is a row of data_values");
        assert!(read_[i] > 0, "{f:?} read nothing");
    }
}

#[test]
fn bad_files_are_reported_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(inbox.join("卫健局")).unwrap();
    let good = "卫健局/2022年妇幼卫生年报.xlsx";
    std::fs::copy(root().join("sample_data").join(good), inbox.join(good)).unwrap();
    std::fs::write(inbox.join("broken.xlsx"), b"PK\x03\x04 this is not a zip").unwrap();
    std::fs::write(inbox.join("说明.txt"), "请查收附件".as_bytes()).unwrap();
    std::fs::write(inbox.join("empty.xls"), b"").unwrap();
    let (r, db) = run_into(&inbox, tmp.path());
    assert_eq!(r.code, 1, "errors in returns give exit code 1");
    assert!(r.stdout.contains("4 files (1 loaded, 0 superseded, 3 failed"), "{}", r.stdout);
    let issues = read(&db.join("issues.parquet"));
    let (files, rules, msgs) = (strs(&issues, "source_file"), strs(&issues, "rule"), strs(&issues, "message"));
    let details = strs(&issues, "detail");
    let find = |f: &str| (0..issues.height()).find(|&i| files[i].as_deref() == Some(f)).map(|i| (rules[i].clone().unwrap(), msgs[i].clone().unwrap()));
    let (rule, msg) = find("broken.xlsx").expect("broken.xlsx reported");
    assert_eq!(rule, "unreadable_file");
    // A plain sentence; the reader's words are the detail.
    assert!(msg.starts_with("文件损坏或不完整") && msg.contains("damaged or incomplete"), "{msg}");
    let detail = (0..issues.height()).find(|&i| files[i].as_deref() == Some("broken.xlsx")).and_then(|i| details[i].clone()).unwrap_or_default();
    assert!(detail.contains("broken xlsx"), "{detail}");
    let (_, msg) = find("说明.txt").expect("text file reported");
    assert!(msg.contains("plain text"), "{msg}");
    let (_, msg) = find("empty.xls").expect("empty file reported");
    assert!(msg.contains("empty"), "{msg}");
    // The good file still landed.
    let subs = read(&db.join("submissions.parquet"));
    let status = strs(&subs, "status");
    assert_eq!(status.iter().filter(|s| s.as_deref() == Some("loaded")).count(), 1);
}

#[test]
fn inspect_shows_header_paths_as_pipeline_files_write_them() {
    let r = wcmon(&["inspect", "sample_data/教育局/教育事业统计2022.xlsx"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("form    jyj_education_by_town"), "{}", r.stdout);
    assert!(r.stdout.contains("merged  A1:AI1 A4:A5 B4:C4"), "{}", r.stdout);
    // As the bundled form writes it (education_by_town.toml), full-width colon and all.
    assert!(r.stdout.contains(r#"header = "学前教育在园幼儿/其中：女""#), "{}", r.stdout);
    assert!(r.stdout.contains("likely header starts at row 4"), "{}", r.stdout);
}

#[test]
fn a_bad_pipeline_file_stops_the_run_with_exit_code_2_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let pipes = tmp.path().join("pipelines");
    copy_dir(&root().join("pipelines"), &pipes);
    let form = pipes.join("forms/民政局/committees_welfare.toml");
    let text = std::fs::read_to_string(&form).unwrap();
    std::fs::write(&form, text.replace("label_column = \"单位名称\"", "label_column = \"单位名称\"\nlabel_colum = \"typo\"")).unwrap();
    let db = tmp.path().join("db");
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "run", "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("committees_welfare.toml") && r.stderr.contains("label_colum"), "{}", r.stderr);
    assert!(!db.exists(), "nothing is published");

    std::fs::write(&form, text.replace("data_element = \"towns\"", "data_element = \"no_such_element\"")).unwrap();
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "run", "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown data element \"no_such_element\""), "{}", r.stderr);
}

#[test]
fn a_workbook_that_would_inflate_enormously_is_refused_unread() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // 600 MB of spaces in the sheet part compress to well under a megabyte.
    let bomb = inbox.join("2023年妇幼卫生年报.xlsx");
    let script = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("xl/workbook.xml", "<workbook/>")
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
        chunk = b" " * (1 << 20)
        for _ in range(600):
            f.write(chunk)
"#;
    let ok = std::process::Command::new("python3").args(["-c", script, bomb.to_str().unwrap()]).status().unwrap();
    assert!(ok.success());
    assert!(std::fs::metadata(&bomb).unwrap().len() < 5_000_000);
    let (r, db) = run_into(&inbox, tmp.path());
    assert_eq!(r.code, 1);
    let issues = read(&db.join("issues.parquet"));
    let msgs = strs(&issues, "message");
    assert!(msgs.iter().any(|m| m.as_deref().is_some_and(|m| m.contains("would inflate to") && m.contains("xl/worksheets/sheet1.xml"))), "{msgs:?}");
}

/// Urban and rural (城镇 U / 乡村 R): the values the two returns give by residence land as
/// such, and every indicator whose terms all have them is computed by residence — compared
/// with the generator's own truth (`_truth/*_residence.csv`), never with wcmon's output.
#[test]
fn values_and_indicators_by_residence_match_the_generator_truth() {
    let (_tmp, db) = sample_db();
    let dv = read_partitioned(&db.join("data_values"));
    let (de, area, sex, age, res, val) =
        (strs(&dv, "data_element"), strs(&dv, "area"), strs(&dv, "sex"), strs(&dv, "age"), strs(&dv, "residence"), f64s(&dv, "value"));
    let year = i32s(&dv, "year");
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let mut got: HashMap<(String, String, i32, String), f64> = HashMap::new();
    for i in 0..dv.height() {
        let r = res[i].clone().unwrap();
        if r != "_T" && derived.get(i) == Some(false) {
            assert_eq!((sex[i].as_deref(), age[i].as_deref()), (Some("_T"), Some("_T")), "only totals are split by residence");
            got.insert((de[i].clone().unwrap(), area[i].clone().unwrap(), year[i].unwrap(), r), val[i].unwrap());
        }
    }
    let truth = truth_csv("data_values_residence.csv");
    // 7 data elements × 21 towns × 5 years × (U, R).
    assert_eq!(truth.len(), 7 * 21 * 5 * 2);
    assert_eq!(got.len(), truth.len(), "every urban/rural value the returns give lands, and no other");
    for t in &truth {
        let k = (t["data_element"].clone(), t["area"].clone(), t["year"].parse().unwrap(), t["residence"].clone());
        assert_eq!(got.get(&k).copied(), Some(t["value"].parse::<f64>().unwrap()), "{k:?}");
    }

    let ind = read_partitioned(&db.join("indicator_values"));
    let (code, area, sex, age, res, val, num, den) = (
        strs(&ind, "indicator"),
        strs(&ind, "area"),
        strs(&ind, "sex"),
        strs(&ind, "age"),
        strs(&ind, "residence"),
        f64s(&ind, "value"),
        f64s(&ind, "numerator"),
        f64s(&ind, "denominator"),
    );
    let year = i32s(&ind, "year");
    type Key = (String, String, i32, String, String, String);
    let mut got: HashMap<Key, (f64, f64, f64)> = HashMap::new();
    for i in 0..ind.height() {
        if res[i].as_deref() != Some("_T") {
            let k = (
                code[i].clone().unwrap(),
                area[i].clone().unwrap(),
                year[i].unwrap(),
                sex[i].clone().unwrap(),
                age[i].clone().unwrap(),
                res[i].clone().unwrap(),
            );
            got.insert(k, (val[i].unwrap(), num[i].unwrap(), den[i].unwrap()));
        }
    }
    let truth = truth_csv("indicators_residence.csv");
    let codes: std::collections::BTreeSet<&str> = truth.iter().map(|t| t["indicator"].as_str()).collect();
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), ["C01", "C02", "C03", "C30", "W03"]);
    assert_eq!(got.len(), truth.len(), "indicators by residence: wcmon {} rows, truth {}", got.len(), truth.len());
    for t in &truth {
        let k = (t["indicator"].clone(), t["area"].clone(), t["year"].parse().unwrap(), t["sex"].clone(), t["age"].clone(), t["residence"].clone());
        let (v, n, d) = got.get(&k).copied().unwrap_or_else(|| panic!("wcmon has no value for {k:?}"));
        let want: (f64, f64, f64) = (t["value"].parse().unwrap(), t["numerator"].parse().unwrap(), t["denominator"].parse().unwrap());
        assert!(close(v, want.0) && n == want.1 && d == want.2, "{k:?}: wcmon {v} = {n}/{d}, truth {want:?}");
    }
}
