//! gaps.parquet on the sample: the county's gaps between women and men,
//! recomputed from data_values by tests/python/check_gaps.py with statsmodels
//! and scipy (tools/test installs them), never from wcmon's own numbers.

use crate::common;

use std::collections::HashMap;

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

/// Rural against urban (dimension `residence`, group R, reference U): each gap's counts are
/// the sums of the towns' values reported at that residence, recomputed here from
/// `data_values` (the county's from its towns), its value, difference and ratio from them;
/// the intervals are checked against statsmodels and scipy by check_gaps.py above.
#[test]
fn residence_gaps_are_recomputed_from_the_rural_and_urban_values_of_data_values() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let cat = wcmon::config::catalogue::Catalogue::load(&root().join("pipelines/indicators.toml")).unwrap();
    let areas = read(&db.join("areas.parquet"));
    let (acode, parent) = (strs(&areas, "area"), strs(&areas, "parent"));
    let county = "421321";
    let towns: Vec<String> = (0..areas.height()).filter(|&i| parent[i].as_deref() == Some(county)).map(|i| acode[i].clone().unwrap()).collect();
    assert_eq!(towns.len(), 21);
    // Reported values by (data element, area, year, residence), totals of sex and age.
    let dv = read_partitioned(&db.join("data_values"));
    let (de, area, sex, age, res, val) =
        (strs(&dv, "data_element"), strs(&dv, "area"), strs(&dv, "sex"), strs(&dv, "age"), strs(&dv, "residence"), f64s(&dv, "value"));
    let year = i32s(&dv, "year");
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let mut at: HashMap<(String, String, i32, String), f64> = HashMap::new();
    for i in 0..dv.height() {
        if derived.get(i) == Some(false) && sex[i].as_deref() == Some("_T") && age[i].as_deref() == Some("_T") {
            if let Some(v) = val[i] {
                at.insert((de[i].clone().unwrap(), area[i].clone().unwrap(), year[i].unwrap(), res[i].clone().unwrap()), v);
            }
        }
    }
    let side = |terms: &[wcmon::config::catalogue::Term], a: &str, y: i32, r: &str| -> Option<f64> {
        let one = |t: &wcmon::config::catalogue::Term, a: &str| at.get(&(t.data_element.clone(), a.to_string(), y, r.to_string())).copied();
        terms.iter().map(|t| if a == county { towns.iter().map(|town| one(t, town)).sum::<Option<f64>>() } else { one(t, a) }).sum()
    };
    let g = read(&db.join("gaps.parquet"));
    let (code, garea, dim, grp, refg) = (strs(&g, "indicator"), strs(&g, "area"), strs(&g, "dimension"), strs(&g, "group"), strs(&g, "reference_group"));
    let gyear = i32s(&g, "year");
    let (value, refv, num, den, rnum, rden, diff, ratio) = (
        f64s(&g, "value"),
        f64s(&g, "reference_value"),
        f64s(&g, "numerator"),
        f64s(&g, "denominator"),
        f64s(&g, "reference_numerator"),
        f64s(&g, "reference_denominator"),
        f64s(&g, "difference"),
        f64s(&g, "ratio"),
    );
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    let mut seen = std::collections::BTreeSet::new();
    for i in (0..g.height()).filter(|&i| dim[i].as_deref() == Some("residence")) {
        assert_eq!((grp[i].as_deref(), refg[i].as_deref()), (Some("R"), Some("U")));
        let (c, a, y) = (code[i].clone().unwrap(), garea[i].clone().unwrap(), gyear[i].unwrap());
        let ind = cat.indicator(&c).unwrap();
        let (x1, n1) = (side(&ind.numerator, &a, y, "R").unwrap(), side(&ind.denominator, &a, y, "R").unwrap());
        let (x2, n2) = (side(&ind.numerator, &a, y, "U").unwrap(), side(&ind.denominator, &a, y, "U").unwrap());
        assert_eq!((num[i], den[i], rnum[i], rden[i]), (Some(x1), Some(n1), Some(x2), Some(n2)), "{c} {a} {y}");
        let (v1, v2) = (x1 / n1 * ind.factor, x2 / n2 * ind.factor);
        assert!(close(value[i].unwrap(), v1) && close(refv[i].unwrap(), v2) && close(diff[i].unwrap(), v1 - v2), "{c} {a} {y}");
        match ratio[i] {
            Some(q) => assert!(close(q, v1 / v2), "{c} {a} {y}: ratio {q}"),
            None => assert_eq!(v2, 0.0, "{c} {a} {y}: a ratio is missing only where the urban value is 0"),
        }
        seen.insert((c, a, y));
    }
    // Every indicator × area × year with both groups: 5 indicators (W03, C01–C03, C30) × 22 areas × 5 years.
    assert_eq!(seen.len(), 5 * 22 * 5);
    assert_eq!(
        seen.iter().map(|k| k.0.as_str()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>(),
        ["C01", "C02", "C03", "C30", "W03"]
    );
}
