//! Progress on the sample: rows for every target indicator at county level, and
//! the statuses the generator's built-in trends were designed to produce.

use crate::common;

use std::collections::BTreeSet;

use common::*;

#[test]
fn sample_progress_matches_the_designed_trends() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("progress to 2030 (county"), "{}", r.stdout);
    assert!(r.stdout.contains("early warnings (county, 2030):") && r.stdout.contains("indicators with warnings, by status:"));
    let p = read(&db.join("progress.parquet"));
    let (ind, area, year, status, warnings, series) =
        (strs(&p, "indicator"), strs(&p, "area"), i32s(&p, "target_year"), strs(&p, "status"), strs(&p, "warnings"), strs(&p, "series"));
    let allowed = ["achieved", "on_track", "needs_acceleration", "limited_progress", "deterioration", "not_assessable", "insufficient_data"];
    assert!(status.iter().all(|s| allowed.contains(&s.as_deref().unwrap())));

    // Every indicator with a target has a county row for each year it has a target for.
    let cat = read(&db.join("indicators.parquet"));
    let (code, kind, t25, t30) = (strs(&cat, "indicator"), strs(&cat, "target_kind"), f64s(&cat, "target_2025"), f64s(&cat, "target_2030"));
    let county: BTreeSet<(String, i32)> =
        (0..p.height()).filter(|&i| area[i].as_deref() == Some("421321")).map(|i| (ind[i].clone().unwrap(), year[i].unwrap())).collect();
    let mut n = 0;
    for i in 0..cat.height() {
        let k = kind[i].as_deref().unwrap();
        if k == "trend" {
            continue;
        }
        // A range or relative target is stated once, for 2030 (C26, W80): no 2025 row.
        let once = matches!(k, "range" | "relative");
        for (y, t) in [(2025, t25[i]), (2030, t30[i])] {
            if once && y == 2025 {
                assert!(!county.contains(&(code[i].clone().unwrap(), y)), "{:?} has a 2025 row the plan does not state", code[i]);
                continue;
            }
            if (once && y == 2030) || t.is_some() {
                assert!(county.contains(&(code[i].clone().unwrap(), y)), "{:?} {y}", code[i]);
                n += 1;
            }
        }
    }
    assert!(n >= 77, "{n} county target rows");

    let row = |c: &str, y: i32| {
        (0..p.height()).filter(|&i| ind[i].as_deref() == Some(c) && area[i].as_deref() == Some("421321") && year[i] == Some(y)).collect::<Vec<_>>()
    };
    let has = |i: usize, w: &str| warnings[i].as_deref().unwrap_or_default().split(',').any(|x| x == w);
    // The generator makes child anaemia (C07) worse every year.
    let c07 = row("C07", 2030);
    assert_eq!(status[c07[0]].as_deref(), Some("deterioration"));
    assert!(has(c07[0], "deteriorating") && has(c07[0], "projected_miss"));
    // It makes the female share of village committee members (W58) swing between 36% and 24%.
    assert!(row("W58", 2030).iter().any(|&i| has(i, "fluctuating")));
    // Maternal deaths are a handful a year: the progress compares pooled windows of equal length
    // (5 years: 2020–2021 against 2023–2024), and 4 deaths in 3 years get no firm status.
    assert!(row("W03", 2030).iter().all(|&i| series[i].as_deref() == Some("pooled_2y")));
    // The generator's truth: the county's maternal deaths in the latest window, fewer than 10.
    let deaths: f64 = truth_csv("data_values.csv")
        .iter()
        .filter(|t| t["data_element"] == "maternal_deaths" && t["area"] != "421321" && (t["year"] == "2023" || t["year"] == "2024"))
        .map(|t| t["value"].parse::<f64>().unwrap())
        .sum();
    assert!(deaths < 10.0, "{deaths} maternal deaths in 2023–2024");
    for y in [2025, 2030] {
        let w03 = row("W03", y);
        assert_eq!(w03.len(), 1);
        assert_eq!(status[w03[0]].as_deref(), Some("not_assessable"), "W03 {y}: {deaths} deaths cannot carry a firm status");
        assert!(!has(w03[0], "deteriorating"));
    }
    // Some indicators are on track or achieved, some are not.
    let county_2030: Vec<usize> = (0..p.height()).filter(|&i| area[i].as_deref() == Some("421321") && year[i] == Some(2030)).collect();
    let count = |s: &str| county_2030.iter().filter(|&&i| status[i].as_deref() == Some(s)).count();
    assert!(count("on_track") > 0 && count("achieved") > 0 && count("deterioration") > 0);

    // The pooled rate beside a small count: Σ events / Σ births over 2022–2024, recomputed here.
    let iv = read_partitioned(&db.join("indicator_values"));
    let (ic, ia, is, iy) = (strs(&iv, "indicator"), strs(&iv, "area"), strs(&iv, "sex"), i32s(&iv, "year"));
    let (num, den, pooled) = (f64s(&iv, "numerator"), f64s(&iv, "denominator"), f64s(&iv, "pooled_value"));
    let small = iv.column("small_count").unwrap().bool().unwrap().clone();
    let at = |y: i32| {
        (0..iv.height())
            .find(|&i| ic[i].as_deref() == Some("W03") && ia[i].as_deref() == Some("421321") && is[i].as_deref() == Some("F") && iy[i] == Some(y))
            .unwrap()
    };
    let (events, births): (f64, f64) = (2022..=2024).map(|y| (num[at(y)].unwrap(), den[at(y)].unwrap())).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let i24 = at(2024);
    assert_eq!(small.get(i24), Some(true));
    let want = events / births * 100000.0;
    assert!((pooled[i24].unwrap() - want).abs() < 1e-9, "{:?} vs {want}", pooled[i24]);
}

/// Direction-only targets: a county row for each of them, its Theil–Sen slope, Mann–Kendall
/// p-value, class and status recomputed with scipy by tests/python/check_trends.py.
#[test]
fn direction_only_targets_are_assessed_by_a_robust_trend() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/python/check_trends.py"))
        .arg(&db)
        .arg(root().join("pipelines"))
        .output()
        .expect("python3 must be installed");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python check failed (tools/test installs scipy)\n{stdout}\n{stderr}");
    assert!(stdout.contains("\n0 failures"), "{stdout}");
}

/// W55 (职工代表大会中女代表比例与女职工比例相适应) is a relational target against W81, the
/// women's share of workers (a reference indicator: no target, no progress row of its own).
/// The gap the row assesses is recomputed here from the generator's truth (the towns' sums).
#[test]
fn women_delegates_are_compared_with_women_among_workers() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let cat = read(&db.join("indicators.parquet"));
    let (code, kind) = (strs(&cat, "indicator"), strs(&cat, "target_kind"));
    let kind_of = |c: &str| (0..cat.height()).find(|&i| code[i].as_deref() == Some(c)).and_then(|i| kind[i].clone());
    assert_eq!(kind_of("W55").as_deref(), Some("relational"));
    assert_eq!(kind_of("W81").as_deref(), Some("reference"));
    let p = read(&db.join("progress.parquet"));
    let (ind, area, status, text) = (strs(&p, "indicator"), strs(&p, "area"), strs(&p, "status"), strs(&p, "warning_text"));
    assert!(!ind.iter().any(|i| i.as_deref() == Some("W81")), "a reference indicator has no progress row");
    let w55: Vec<usize> = (0..p.height()).filter(|&i| ind[i].as_deref() == Some("W55") && area[i].as_deref() == Some("421321")).collect();
    assert_eq!(w55.len(), 1);
    // The truth: Σ towns' women delegates / delegates − Σ women workers / workers, in points, 2024.
    let mut sum: std::collections::HashMap<(String, String), f64> = Default::default();
    for t in truth_csv("data_values.csv") {
        if t["year"] == "2024" && t["area"] != "421321" && (t["data_element"] == "workers" || t["data_element"] == "workers_congress_delegates") {
            *sum.entry((t["data_element"].clone(), t["sex"].clone())).or_default() += t["value"].parse::<f64>().unwrap();
        }
    }
    let share = |de: &str| sum[&(de.to_string(), "F".to_string())] / sum[&(de.to_string(), "_T".to_string())] * 100.0;
    let gap = share("workers_congress_delegates") - share("workers");
    let t = text[w55[0]].clone().unwrap_or_default();
    let published: f64 = t
        .split("W55 − W81 = ")
        .nth(1)
        .and_then(|x| x.split(" in 2024").next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no W55 − W81 gap in 2024 in {t:?}"));
    assert!((published - gap).abs() < 0.006, "published {published}, truth {gap}");
    // Within the catalogue's tolerance of 5 points every year (the generator's women delegates
    // are about 3 points below their share of workers): 相适应.
    assert!(gap.abs() < 5.0);
    assert_eq!(status[w55[0]].as_deref(), Some("achieved"), "{t}");
}
