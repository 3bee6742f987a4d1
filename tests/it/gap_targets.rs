//! The plans' urban–rural gap targets on the sample (W04 maternal mortality, C01G–C03G
//! neonatal, infant and under-5 mortality): each gap series recomputed here from
//! `data_values` (the county's counts summed over its towns, R − U of the rates), its
//! Theil–Sen slope, Mann–Kendall S and exact p by enumeration, and its class; and the
//! U + R = total balance rule on a planted imbalance.

use crate::common;

use std::collections::{BTreeMap, HashMap};

use common::*;

const COUNTY: &str = "421321";

/// (data element, area, year, residence) -> value, reported (not derived), sex and age totals.
fn reported(db: &std::path::Path) -> HashMap<(String, String, i32, String), f64> {
    let dv = read_partitioned(&db.join("data_values"));
    let (de, area, sex, age, res, val) =
        (strs(&dv, "data_element"), strs(&dv, "area"), strs(&dv, "sex"), strs(&dv, "age"), strs(&dv, "residence"), f64s(&dv, "value"));
    let year = i32s(&dv, "year");
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let mut at = HashMap::new();
    for i in 0..dv.height() {
        if derived.get(i) == Some(false) && sex[i].as_deref() == Some("_T") && age[i].as_deref() == Some("_T") {
            if let Some(v) = val[i] {
                at.insert((de[i].clone().unwrap(), area[i].clone().unwrap(), year[i].unwrap(), res[i].clone().unwrap()), v);
            }
        }
    }
    at
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Mann–Kendall S of a series.
fn mk_s(x: &[f64]) -> i64 {
    let mut s = 0;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            s += match x[j].partial_cmp(&x[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    s
}

/// The exact two-sided p of S: the share of the n! orders of the values whose |S| is at
/// least |s| (without ties the Mann–Kendall exact test; with ties its permutation form).
fn mk_exact_p(values: &[f64], s: i64) -> f64 {
    fn perms(v: &mut Vec<f64>, k: usize, out: &mut Vec<i64>) {
        if k == v.len() {
            out.push(mk_s(v));
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            perms(v, k + 1, out);
            v.swap(k, i);
        }
    }
    let mut all = Vec::new();
    perms(&mut values.to_vec(), 0, &mut all);
    all.iter().filter(|x| x.abs() >= s.abs()).count() as f64 / all.len() as f64
}

#[test]
fn gap_targets_are_rural_minus_urban_of_the_summed_counts_and_assessed_as_trends() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cat = wcmon::config::catalogue::Catalogue::load(&root().join("pipelines/indicators.toml")).unwrap();
    let areas = read(&db.join("areas.parquet"));
    let (acode, parent) = (strs(&areas, "area"), strs(&areas, "parent"));
    let towns: Vec<String> = (0..areas.height()).filter(|&i| parent[i].as_deref() == Some(COUNTY)).map(|i| acode[i].clone().unwrap()).collect();
    assert_eq!(towns.len(), 21);
    let at = reported(&db);
    let side = |terms: &[wcmon::config::catalogue::Term], a: &str, y: i32, r: &str| -> Option<f64> {
        let one = |t: &wcmon::config::catalogue::Term, a: &str| at.get(&(t.data_element.clone(), a.to_string(), y, r.to_string())).copied();
        terms.iter().map(|t| if a == COUNTY { towns.iter().map(|town| one(t, town)).sum::<Option<f64>>() } else { one(t, a) }).sum()
    };
    let iv = read_partitioned(&db.join("indicator_values"));
    let (code, area, res) = (strs(&iv, "indicator"), strs(&iv, "area"), strs(&iv, "residence"));
    let (year, value, lo, hi, num) = (i32s(&iv, "year"), f64s(&iv, "value"), f64s(&iv, "ci_low"), f64s(&iv, "ci_high"), f64s(&iv, "numerator"));
    let gaps = [("W04", "W03"), ("C01G", "C01"), ("C02G", "C02"), ("C03G", "C03")];
    // The county's recomputed gap series, and each group's events by year.
    let mut county: BTreeMap<&str, Vec<(i32, f64)>> = BTreeMap::new();
    let mut events: BTreeMap<(&str, &str), Vec<(i32, f64)>> = BTreeMap::new();
    for (gap, base) in gaps {
        let def = cat.indicator(gap).unwrap();
        assert_eq!(def.gap_of.as_deref(), Some(base));
        assert!(def.numerator.is_empty() && def.value.is_none());
        let b = cat.indicator(base).unwrap();
        let rows: Vec<usize> = (0..iv.height()).filter(|&i| code[i].as_deref() == Some(gap)).collect();
        assert_eq!(rows.len(), 22 * 5, "{gap}: 22 areas × 5 years");
        for i in rows {
            let (a, y) = (area[i].clone().unwrap(), year[i].unwrap());
            assert_eq!((res[i].as_deref(), num[i]), (Some("_T"), None), "{gap} {a} {y}");
            let (x1, n1) = (side(&b.numerator, &a, y, "R").unwrap(), side(&b.denominator, &a, y, "R").unwrap());
            let (x2, n2) = (side(&b.numerator, &a, y, "U").unwrap(), side(&b.denominator, &a, y, "U").unwrap());
            let want = (x1 / n1 - x2 / n2) * b.factor;
            let got = value[i].unwrap();
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{gap} {a} {y}: {got} vs {want}");
            let (l, h) = (lo[i].unwrap(), hi[i].unwrap());
            assert!(l < got && got < h, "{gap} {a} {y}: {got} outside its interval {l}..{h}");
            if a == COUNTY {
                county.entry(gap).or_default().push((y, want));
                events.entry((gap, "R")).or_default().push((y, x1));
                events.entry((gap, "U")).or_default().push((y, x2));
            }
        }
    }
    // Progress: one county row per gap target, target_kind trend, against the recomputed series.
    let p = read(&db.join("progress.parquet"));
    let (pc, pa, kind, status, class, text) =
        (strs(&p, "indicator"), strs(&p, "area"), strs(&p, "target_kind"), strs(&p, "status"), strs(&p, "trend_class"), strs(&p, "warning_text"));
    let slope = f64s(&p, "observed_rate");
    let min_events = 10.0;
    let mut statuses = Vec::new();
    for (gap, _) in gaps {
        let rows: Vec<usize> = (0..p.height()).filter(|&i| pc[i].as_deref() == Some(gap) && pa[i].as_deref() == Some(COUNTY)).collect();
        assert_eq!(rows.len(), 1, "{gap}");
        let i = rows[0];
        assert_eq!(kind[i].as_deref(), Some("trend"));
        let mut series = county[gap].clone();
        series.sort_by_key(|x| x.0);
        let x: Vec<f64> = series.iter().map(|s| s.1).collect();
        // Theil–Sen: the median of the pairwise slopes.
        let mut slopes = Vec::new();
        for a in 0..x.len() {
            for b in a + 1..x.len() {
                slopes.push((x[b] - x[a]) / f64::from(series[b].0 - series[a].0));
            }
        }
        let ts = median(slopes);
        assert!((slope[i].unwrap() - ts).abs() < 1e-9, "{gap}: slope {:?} vs {ts}", slope[i]);
        let s = mk_s(&x);
        let t = text[i].clone().unwrap();
        assert!(t.contains(&format!("S = {s},")), "{gap}: {t}");
        // The class: narrowing towards 0 (down while the median gap is above 0), at p < 0.1.
        let p_exact = mk_exact_p(&x, s);
        let toward_zero_is_up = median(x.clone()) < 0.0;
        let want_class = if p_exact >= 0.1 || s == 0 {
            "no_clear_change"
        } else if (s > 0) == toward_zero_is_up {
            "improving"
        } else {
            "deteriorating"
        };
        assert_eq!(class[i].as_deref(), Some(want_class), "{gap}: p = {p_exact}, {t}");
        // Either group's events in the latest 2-year window (5 years: windows of min(3, 5/2) = 2).
        let last2 = |g: &str| events[&(gap, g)].iter().filter(|e| e.0 >= 2023).map(|e| e.1).sum::<f64>();
        let few = last2("R") < min_events || last2("U") < min_events;
        let want_status = match (few, want_class) {
            (true, _) => "not_assessable",
            (false, "improving") => "on_track",
            (false, "deteriorating") => "deterioration",
            _ => "limited_progress",
        };
        assert_eq!(status[i].as_deref(), Some(want_status), "{gap}: R {} U {}, {t}", last2("R"), last2("U"));
        statuses.push((gap, want_status));
    }
    // Maternal deaths are a handful a year: the county's W04 gets no firm status.
    assert_eq!(statuses[0], ("W04", "not_assessable"));
    // The catalogue: the children's sentence is monitored now, not listed as unmonitored.
    assert!(!cat.not_monitored.iter().any(|n| n.sentence.contains("城乡和地区之间的差距逐步缩小")));
}

/// A town's 城镇 live births raised by 7 in the 2024 妇幼卫生年报: the residence balance
/// names the file, the sheet and the total's cell, and the parts' cells in its message.
#[test]
fn a_residence_imbalance_is_reported_at_its_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let file = "卫健局/2024年妇幼卫生年报.xlsx";
    std::fs::create_dir_all(inbox.join("卫健局")).unwrap();
    std::fs::copy(root().join("sample_data").join(file), inbox.join(file)).unwrap();
    // openpyxl finds 厉山镇's row and the 活产数/合计 and 城镇/活产数 columns, and plants the fault.
    let script = r#"
import sys, openpyxl
path = sys.argv[1]
wb = openpyxl.load_workbook(path)
ws = wb.worksheets[0]
rows = list(ws.iter_rows())
def find(text):
    for row in rows:
        for c in row:
            if isinstance(c.value, str) and c.value.strip() == text:
                return c
    raise SystemExit('no ' + text)
urban = find('城镇')
town = find('厉山镇')
births = find('活产数')
# 城镇's group: its 活产数 is the first column under it, one header row below.
u = ws.cell(row=town.row, column=urban.column)
assert ws.cell(row=urban.row + 1, column=urban.column).value == '活产数', ws.cell(row=urban.row + 1, column=urban.column).value
t = ws.cell(row=town.row, column=births.column)
old = u.value
u.value = float(old) + 7
wb.save(path)
print(ws.title, t.coordinate, u.coordinate, old, t.value)
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(inbox.join(file)).output().expect("python3 must be installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let f: Vec<&str> = stdout.split_whitespace().collect();
    let (sheet, total_cell, urban_cell, old): (&str, &str, &str, f64) = (f[0], f[1], f[2], f[3].parse().unwrap());
    let (_, db) = run_into(&inbox, tmp.path());
    let issues = read(&db.join("issues.parquet"));
    let (rule, sfile, ssheet, scell, msg) =
        (strs(&issues, "rule"), strs(&issues, "source_file"), strs(&issues, "source_sheet"), strs(&issues, "source_cell"), strs(&issues, "message"));
    let hits: Vec<usize> = (0..issues.height()).filter(|&i| rule[i].as_deref() == Some("mch_residence_sums_to_total")).collect();
    assert_eq!(hits.len(), 1, "exactly the planted imbalance: {:?}", hits.iter().map(|&i| msg[i].clone()).collect::<Vec<_>>());
    let i = hits[0];
    assert_eq!((sfile[i].as_deref(), ssheet[i].as_deref(), scell[i].as_deref()), (Some(file), Some(sheet), Some(total_cell)));
    let m = msg[i].clone().unwrap();
    let raised = format!("U {} ({sheet}!{urban_cell})", old + 7.0);
    assert!(m.contains("活产数") && m.contains(&raised), "{m} should name {raised}");
    let sum = read(&db.join("rule_summary.parquet"));
    let (rules, fails) = (strs(&sum, "rule"), u64s(&sum, "fails"));
    let at = rules.iter().position(|r| r.as_deref() == Some("mch_residence_sums_to_total")).unwrap();
    assert_eq!(fails[at], 1);
}
