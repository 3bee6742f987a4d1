//! Validation: planted faults from the generator give exactly the findings the
//! generator says they must; `wcmon check` reports cells and exits 0/1/2; a bad
//! rule stops the run before any workbook is read; random returns never lose a cell.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use proptest::prelude::*;

type Finding = (String, String, String, String, String);

fn expected_findings(inbox: &Path) -> Vec<Finding> {
    let text = std::fs::read_to_string(inbox.join("_truth/expected_findings.csv")).unwrap();
    let mut v: Vec<Finding> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into(), f[4].into())
        })
        .collect();
    v.sort();
    v
}

fn findings(db: &Path) -> Vec<Finding> {
    let issues = read(&db.join("issues.parquet"));
    let sev = strs(&issues, "severity");
    let cols: Vec<Vec<Option<String>>> = ["source_file", "source_sheet", "source_cell", "rule", "indicator"].iter().map(|c| strs(&issues, c)).collect();
    let mut v: Vec<Finding> = (0..issues.height())
        .filter(|&i| sev[i].as_deref() != Some("info"))
        .map(|i| {
            let g = |c: usize| cols[c][i].clone().unwrap_or_default();
            (g(0), g(1), g(2), g(3), g(4))
        })
        .collect();
    v.sort();
    v
}

/// Submissions add up, and every rejected value has an issue row at its cell.
fn assert_nothing_lost(db: &Path) {
    let subs = read(&db.join("submissions.parquet"));
    let (files, read_, landed, rejected) =
        (strs(&subs, "source_file"), u64s(&subs, "cells_read"), u64s(&subs, "values_landed"), u64s(&subs, "values_rejected"));
    let superseded = u64s(&subs, "values_superseded");
    let issues = read(&db.join("issues.parquet"));
    let (f, sh, cell, sev, rule) =
        (strs(&issues, "source_file"), strs(&issues, "source_sheet"), strs(&issues, "source_cell"), strs(&issues, "severity"), strs(&issues, "rule"));
    let mut cells: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for i in 0..issues.height() {
        let rejecting = sev[i].as_deref() == Some("error") || matches!(rule[i].as_deref(), Some("skipped_total" | "duplicate"));
        if let (true, Some(file), Some(c)) = (rejecting, &f[i], &cell[i]) {
            cells.entry(file.clone()).or_default().insert((sh[i].clone().unwrap_or_default(), c.clone()));
        }
    }
    for i in 0..subs.height() {
        let file = files[i].clone().unwrap();
        assert_eq!(read_[i], landed[i] + rejected[i] + superseded[i], "{file}: read = landed + rejected + superseded");
        let n = cells.get(&file).map(BTreeSet::len).unwrap_or(0) as u64;
        assert_eq!(rejected[i], n, "{file}: every rejected value has an issue row at its cell");
    }
}

#[test]
fn planted_faults_give_exactly_the_expected_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("faulty");
    let g = wcmon(&["generate", "--faults", "--out", inbox.to_str().unwrap()]);
    assert_eq!(g.code, 0);
    let (r, db) = run_into(&inbox, tmp.path());
    assert_eq!(r.code, 1, "errors in returns exit 1");
    assert!(r.stdout.contains("errors in returns"), "{}", r.stdout);
    let want = expected_findings(&inbox);
    assert!(want.len() > 50, "the generator plants a rich set of faults");
    let got = findings(&db);
    let missing: Vec<&Finding> = want.iter().filter(|w| !got.contains(w)).collect();
    let extra: Vec<&Finding> = got.iter().filter(|g| !want.contains(g)).collect();
    assert!(missing.is_empty() && extra.is_empty() && got.len() == want.len(), "missing {missing:#?}\nextra {extra:#?}");
    // The run counts the numerators its rates left out for want of a denominator.
    let left_out = want.iter().filter(|w| w.3 == "rate_denominator_missing").count();
    assert!(left_out >= 10, "{left_out}");
    assert!(r.stdout.contains(&format!("numerators left out of rates for want of a denominator: {left_out} ")), "{}", r.stdout);
    assert_nothing_lost(&db);

    // Errors keep values out of the data: the ×10 live births still land (a warning, flagged),
    // the withheld neonatal deaths do not.
    let dv = read_partitioned(&db.join("data_values"));
    let (cell, file, flags) = (strs(&dv, "source_cell"), strs(&dv, "source_file"), strs(&dv, "flags"));
    let at = |f: &str, c: &str| (0..dv.height()).find(|&i| file[i].as_deref() == Some(f) && cell[i].as_deref() == Some(c));
    let outlier = want.iter().find(|w| w.3 == "yoy_outlier").unwrap();
    let i = at(&outlier.0, &outlier.2).expect("the outlier lands");
    let f = flags[i].clone().unwrap_or_default();
    assert!(f.split(',').any(|x| x == "yoy_outlier"), "flags {f}");
    let withheld = want.iter().find(|w| w.3 == "infant_ge_neonatal_deaths").unwrap();
    assert!(at(&withheld.0, &withheld.2).is_none(), "an error withholds the value");

    // The per-rule summary: items = passes + fails + missing, and the counts match the issues.
    let sum = read(&db.join("rule_summary.parquet"));
    let (rules, items, passes, fails, missing) = (strs(&sum, "rule"), u64s(&sum, "items"), u64s(&sum, "passes"), u64s(&sum, "fails"), u64s(&sum, "missing"));
    for i in 0..sum.height() {
        assert_eq!(items[i], passes[i] + fails[i] + missing[i], "{:?}", rules[i]);
    }
    let fails_of = |r: &str| rules.iter().position(|x| x.as_deref() == Some(r)).map(|i| fails[i]);
    assert_eq!(fails_of("population_sexes_sum_to_total"), Some(1));
    assert_eq!(fails_of("rate_out_of_range"), Some(1));
    assert_eq!(fails_of("conflict"), Some(2), "one conflict row per copy");

    // g) + h): the county's internet access rate (C36) in 2024 leaves out 殷店镇 (written as
    // 火星镇, unread) and 万和镇 (its schools withheld as -5) on both sides of the ratio.
    let truth = std::fs::read_to_string(inbox.join("_truth/data_values.csv")).unwrap();
    let sum_of = |de: &str| -> f64 {
        truth
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[0] == de && f[2] == "2024" && f[1].starts_with("4213211") && f[1] != "421321102" && f[1] != "421321106")
            .map(|f| f[5].parse::<f64>().unwrap())
            .sum()
    };
    let c36 = 100.0 * sum_of("schools_with_internet") / sum_of("schools");
    let iv = read_partitioned(&db.join("indicator_values"));
    let (ic, ia, iy) = (strs(&iv, "indicator"), strs(&iv, "area"), i32s(&iv, "year"));
    let i = (0..iv.height()).find(|&i| ic[i].as_deref() == Some("C36") && ia[i].as_deref() == Some("421321") && iy[i] == Some(2024)).unwrap();
    assert!((f64s(&iv, "value")[i].unwrap() - c36).abs() < 1e-9, "{:?} vs {c36}", f64s(&iv, "value")[i]);
    let areas = |c: &str| iv.column(c).unwrap().i64().unwrap().get(i);
    assert_eq!((areas("numerator_areas"), areas("denominator_areas")), (Some(19), Some(19)));

    // k) The correction supersedes the original: its values are not used, and say why.
    let subs = read(&db.join("submissions.parquet"));
    let (sf, st, sb, sid) = (strs(&subs, "source_file"), strs(&subs, "status"), strs(&subs, "superseded_by"), strs(&subs, "submission"));
    let at = |f: &str| (0..subs.height()).find(|&i| sf[i].as_deref() == Some(f)).unwrap();
    let (old, new) = (at("生态环境局/全县主要指标_5.xlsx"), at("生态环境局/全县主要指标_5_更正.xlsx"));
    assert_eq!((st[old].as_deref(), st[new].as_deref()), (Some("superseded"), Some("loaded")));
    assert_eq!(sb[old], sid[new]);
    assert_eq!(u64s(&subs, "values_landed")[old], 0);
    let dups = want.iter().filter(|w| w.3 == "duplicate").count() as u64;
    assert_eq!(fails_of("duplicate"), Some(dups));
}

#[test]
fn clean_sample_has_no_findings_but_its_own_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let issues = read(&db.join("issues.parquet"));
    let rules: BTreeSet<Option<String>> = strs(&issues, "rule").into_iter().collect();
    assert_eq!(rules, BTreeSet::from([Some("skipped_total".to_string())]));
    assert_nothing_lost(&db);
}

#[test]
fn check_reports_cells_rules_observed_expected_and_exits_by_severity() {
    let tmp = tempfile::tempdir().unwrap();
    // History: a database of the clean sample.
    let (_, db) = run_into(&root().join("sample_data"), tmp.path());
    let faulty = tmp.path().join("faulty");
    assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    let file = faulty.join("卫健局/2024年妇幼卫生年报.xlsx");
    // `check` validates the return; the rates, and the numerators they leave out for want of a
    // denominator (rate_denominator_missing), are computed by a run (planted_faults_… checks them).
    let want: Vec<Finding> =
        expected_findings(&faulty).into_iter().filter(|w| w.0 == "卫健局/2024年妇幼卫生年报.xlsx" && w.3 != "rate_denominator_missing").collect();

    let r = wcmon(&["check", file.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 1, "errors found: exit 1");
    for w in &want {
        let place = format!("{}!{}: ", w.1, w.2);
        assert!(r.stdout.contains(&place), "report names {place}");
    }
    assert!(r.stdout.contains("[warning] yoy_outlier (1)"), "grouped by rule");
    assert!(r.stdout.contains("— observed") && r.stdout.contains(", expected"));
    assert!(r.stdout.contains("history:"), "the database gave the history");

    let j = wcmon(&["check", file.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(j.code, 1);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let issues = v["files"][0]["issues"].as_array().unwrap();
    let mut got: Vec<(String, String, String)> = issues
        .iter()
        .filter(|i| i["severity"] != "info")
        .map(|i| (i["source_sheet"].as_str().unwrap().into(), i["source_cell"].as_str().unwrap().into(), i["rule"].as_str().unwrap().into()))
        .collect();
    got.sort();
    let mut expect: Vec<(String, String, String)> = want.iter().map(|w| (w.1.clone(), w.2.clone(), w.3.clone())).collect();
    expect.sort();
    assert_eq!(got, expect);
    let outlier = issues.iter().find(|i| i["rule"] == "yoy_outlier").unwrap();
    assert!(outlier["observed"].is_string() && outlier["expected"].as_str().unwrap().starts_with("about "));

    // A clean return: exit 0. Writes nothing.
    let clean = root().join("sample_data/卫健局/2024年妇幼卫生年报.xlsx");
    let c = wcmon(&["check", clean.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(c.code, 0);
    assert!(c.stdout.contains("0 errors, 0 warnings"));
    // Nothing written: the database still has its one version, and its state is untouched.
    let versions = std::fs::read_dir(db.join("versions")).unwrap().count();
    assert_eq!(versions, 1);
    let runs = std::fs::read_to_string(db.join("state/runs.jsonl")).unwrap();
    assert_eq!(runs.lines().count(), 1, "check logs no run");
    // A pipeline-file error: exit 2.
    let bad = tmp.path().join("bad_pipelines");
    copy_dir(&root().join("pipelines"), &bad);
    std::fs::write(bad.join("rules.toml"), "[[rule]]\nid = \"x\"\nkind = \"compare\"\nleft = [\"live_births\"]\nop = \"<=\"\nright = [\"live_birth\"]\n")
        .unwrap();
    let e = wcmon(&["--pipelines", bad.to_str().unwrap(), "check", clean.to_str().unwrap()]);
    assert_eq!(e.code, 2);
    assert!(e.stderr.contains("rules.toml") && e.stderr.contains("line 6") && e.stderr.contains("live_birth"), "{}", e.stderr);
}

#[test]
fn bad_rules_and_regexes_are_rejected_with_file_and_line_before_any_workbook() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str, &[&str]); 3] = [
        ("rules.toml", "[outliers]\nthreshold = 4\nwindow = 3\n", "", &["rules.toml", "window"]),
        ("rules.toml", "[[rule]]\nid = \"b\"\nkind = \"balance\"\nover = \"age\"\nparts = [\"Y0T4\", \"0-4岁\"]\n", "", &["rules.toml", "line 5", "0-4岁"]),
        ("forms/卫健局/mch_annual.toml", "", "妇幼卫生.*年报", &["mch_annual.toml", "line 12", "invalid regex"]),
    ];
    for (n, (file, text, regex, want)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("p{n}"));
        copy_dir(&root().join("pipelines"), &p);
        if regex.is_empty() {
            std::fs::write(p.join(file), text).unwrap();
        } else {
            let t = std::fs::read_to_string(p.join(file)).unwrap().replace(regex, "妇幼卫生(.*年报");
            std::fs::write(p.join(file), t).unwrap();
        }
        // An inbox that does not exist: the pipeline files are checked first.
        let r = wcmon(&["--pipelines", p.to_str().unwrap(), "run", "--inbox", "/nonexistent/inbox", "--db", tmp.path().join("db").to_str().unwrap()]);
        assert_eq!(r.code, 2, "case {n}");
        for w in *want {
            assert!(r.stderr.contains(w), "case {n}: {w:?} in {}", r.stderr);
        }
    }
}

// --- property: random returns never lose a cell -------------------------

#[derive(Debug, Clone)]
enum Cell {
    Empty,
    Num(f64),
    Text(String),
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        2 => Just(Cell::Empty),
        4 => (0u32..5000).prop_map(|n| Cell::Num(n as f64)),
        1 => (-50i32..0).prop_map(|n| Cell::Num(n as f64)),
        1 => (0u32..500).prop_map(|n| Cell::Num(n as f64 + 0.5)),
        1 => (1000u32..9999).prop_map(|n| Cell::Text(format!("{},{:03}", n / 1000, n % 1000))),
        1 => Just(Cell::Text("—".into())),
        1 => "[a-z不详]{1,4}".prop_map(Cell::Text),
    ]
}

fn town() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["厉山镇", "厉山", "高城镇", "殷店镇", "草店镇", "小林镇", "淮河镇", "万和镇"]).prop_map(String::from),
        1 => Just("火星镇".to_string()),
        1 => Just("合计".to_string()),
        1 => Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_returns_land_or_reject_every_cell(rows in prop::collection::vec((town(), prop::collection::vec(cell(), 4)), 1..12)) {
        use rust_xlsxwriter::{Format, Workbook};
        let tmp = tempfile::tempdir().unwrap();
        let inbox = tmp.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.merge_range(0, 0, 0, 4, "随县2023年妇幼卫生工作年报（分乡镇）", &f).unwrap();
        ws.merge_range(3, 0, 4, 0, "乡镇", &f).unwrap();
        ws.merge_range(3, 1, 3, 2, "活产数", &f).unwrap();
        ws.write_string(4, 1, "合计").unwrap();
        ws.write_string(4, 2, "其中：女").unwrap();
        ws.merge_range(3, 3, 4, 3, "产妇数", &f).unwrap();
        ws.merge_range(3, 4, 4, 4, "孕产妇死亡数", &f).unwrap();
        let mut non_empty = 0u64;
        for (i, (label, cells)) in rows.iter().enumerate() {
            let r = 5 + i as u32;
            if !label.is_empty() {
                ws.write_string(r, 0, label).unwrap();
            }
            for (c, v) in cells.iter().enumerate() {
                match v {
                    Cell::Empty => continue,
                    Cell::Num(x) => { ws.write_number(r, 1 + c as u16, *x).unwrap(); }
                    Cell::Text(t) => { ws.write_string(r, 1 + c as u16, t).unwrap(); }
                }
                non_empty += 1;
            }
        }
        wb.save(inbox.join("2023年妇幼卫生年报.xlsx")).unwrap();
        let (r, db) = run_into(&inbox, tmp.path());
        prop_assert!(r.code == 0 || r.code == 1, "exit {}", r.code);
        let subs = read(&db.join("submissions.parquet"));
        prop_assert_eq!(u64s(&subs, "cells_read"), vec![non_empty]);
        assert_nothing_lost(&db);
    }
}
