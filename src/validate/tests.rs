//! Unit tests of the rule engine on hand-made values.

use super::*;
use crate::config::rules::{resolve_rules, Missing, RawRule};
use std::path::Path;

fn cfg() -> Config {
    Config::load(Path::new("pipelines")).unwrap()
}

/// Add catalogue rules written as TOML.
fn with_rules(mut cfg: Config, toml_text: &str) -> Config {
    #[derive(serde::Deserialize)]
    struct R {
        rule: Vec<RawRule>,
    }
    let raw: R = toml::from_str(toml_text).unwrap();
    let rules = resolve_rules(raw.rule, "catalogue", Path::new("test.toml"), toml_text, &cfg.catalogue).unwrap();
    cfg.rules.rules.extend(rules);
    cfg
}

fn ob(de: &str, area: &str, sex: &str, age: &str, value: Option<f64>, cell: &str) -> Observation {
    Observation {
        data_element: de.into(),
        area: area.into(),
        year: 2024,
        sex: sex.into(),
        age: age.into(),
        residence: "_T".into(),
        value,
        obs_status: "A",
        derived: false,
        form: None,
        source_file: Some("t.xlsx".into()),
        source_sheet: Some("S".into()),
        source_cell: Some(cell.into()),
        source_sha256: None,
        submission: None,
        flags: None,
        note: None,
    }
}

/// Validate files (one Vec per file); returns kept values, issues and the summary.
/// One batch per file (no form, no controls), named `names[i]`.
fn batches<'a>(files: &'a mut [Vec<Observation>], issues: &'a mut [Vec<Issue>], names: &'a [String]) -> Vec<Batch<'a>> {
    files
        .iter_mut()
        .zip(issues.iter_mut())
        .zip(names)
        .map(|((o, i), n)| Batch { form: None, file: n, observations: o, controls: &[], issues: i, withheld: 0 })
        .collect()
}

fn run(cfg: &Config, files: Vec<Vec<Observation>>, history: &History) -> (Vec<Vec<Observation>>, Vec<Issue>, Vec<RuleStat>) {
    let mut files = files;
    let mut issues: Vec<Vec<Issue>> = files.iter().map(|_| Vec::new()).collect();
    let names: Vec<String> = (0..files.len()).map(|i| format!("f{i}.xlsx")).collect();
    let stats = validate(&mut batches(&mut files, &mut issues, &names), cfg, history);
    (files, issues.into_iter().flatten().collect(), stats)
}

fn stat<'a>(stats: &'a [RuleStat], rule: &str) -> &'a RuleStat {
    stats.iter().find(|s| s.rule == rule).unwrap()
}

const A: &str = "421321100";
const B: &str = "421321101";

#[test]
fn compare_withholds_both_sides_and_skips_missing() {
    let cfg = cfg();
    let files = vec![vec![
        ob("infant_deaths", A, "_T", "_T", Some(3.0), "B2"),
        ob("neonatal_deaths", A, "_T", "_T", Some(5.0), "C2"),
        ob("infant_deaths", B, "_T", "_T", Some(2.0), "B3"),
    ]];
    let (kept, issues, stats) = run(&cfg, files.clone(), &History::new());
    let s = stat(&stats, "infant_ge_neonatal_deaths");
    assert_eq!((s.items, s.passes, s.fails, s.missing), (2, 0, 1, 1));
    let cells: Vec<(&str, &str)> = issues.iter().map(|i| (i.rule, i.source_cell.as_deref().unwrap())).collect();
    assert_eq!(cells, vec![("infant_ge_neonatal_deaths", "B2"), ("infant_ge_neonatal_deaths", "C2")]);
    assert_eq!(issues[0].observed.as_deref(), Some("3"));
    assert_eq!(issues[0].expected.as_deref(), Some(">= 5"));
    assert_eq!(kept[0].len(), 1, "the error withheld both sides");
    assert_eq!(kept[0][0].source_cell.as_deref(), Some("B3"));

    // never_skip counts the missing neonatal deaths as 0: 2 >= 0 passes.
    let mut cfg2 = cfg.clone();
    cfg2.rules.rules.iter_mut().find(|r| r.id == "infant_ge_neonatal_deaths").unwrap().missing = Missing::NeverSkip;
    let (_, _, stats) = run(&cfg2, files, &History::new());
    let s = stat(&stats, "infant_ge_neonatal_deaths");
    assert_eq!((s.passes, s.fails, s.missing), (1, 1, 0));
}

#[test]
fn balance_over_age_with_parts_and_tolerance() {
    let cfg = with_rules(
        cfg(),
        "[[rule]]\nid = \"ages\"\nkind = \"balance\"\nover = \"age\"\nparts = [\"Y0T4\", \"Y5T9\"]\ndata_elements = [\"population\"]\ntolerance = 0.5\n",
    );
    let files = vec![vec![
        ob("population", A, "_T", "_T", Some(100.0), "B2"),
        ob("population", A, "_T", "Y0T4", Some(60.0), "C2"),
        ob("population", A, "_T", "Y5T9", Some(41.0), "D2"),
        // within the tolerance: 50 vs 30 + 20.4
        ob("population", B, "_T", "_T", Some(50.0), "B3"),
        ob("population", B, "_T", "Y0T4", Some(30.0), "C3"),
        ob("population", B, "_T", "Y5T9", Some(20.4), "D3"),
        // a part missing: not judged
        ob("population", B, "F", "_T", Some(25.0), "B4"),
        ob("population", B, "F", "Y0T4", Some(25.0), "C4"),
    ]];
    let (kept, issues, stats) = run(&cfg, files, &History::new());
    let s = stat(&stats, "ages");
    assert_eq!((s.items, s.passes, s.fails, s.missing), (3, 1, 1, 1));
    let f: Vec<&Issue> = issues.iter().filter(|i| i.rule == "ages").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].source_cell.as_deref(), Some("B2"));
    assert_eq!(f[0].expected.as_deref(), Some("= 101 (±0.5)"));
    // A warning: every value stays, the three read are flagged.
    assert_eq!(kept[0].len(), 8);
    assert_eq!(kept[0].iter().filter(|o| o.flags.as_deref() == Some("ages")).count(), 3);
}

#[test]
fn parent_area_balance_and_pair_in_catalogue_scope() {
    let cfg = with_rules(
        cfg(),
        "[[rule]]\nid = \"towns\"\nkind = \"balance\"\nover = \"area\"\ndata_elements = [\"live_births\"]\n\n[[rule]]\nid = \"needs_births\"\nkind = \"pair\"\nleft = [\"newborns_visited\"]\nright = [\"live_births\"]\n",
    );
    let root = cfg.areas.roots().next().unwrap().code.clone();
    let towns: Vec<String> = cfg.areas.list.iter().filter(|a| a.parent.as_deref() == Some(root.as_str())).map(|a| a.code.clone()).collect();
    let mut file: Vec<Observation> = towns.iter().enumerate().map(|(i, t)| ob("live_births", t, "_T", "_T", Some(10.0), &format!("B{}", i + 2))).collect();
    file.push(ob("live_births", &root, "_T", "_T", Some(10.0 * towns.len() as f64 + 3.0), "B99"));
    file.push(ob("newborns_visited", A, "_T", "_T", Some(9.0), "C2"));
    file.push(ob("newborns_visited", "421321400", "_T", "_T", Some(9.0), "C30"));
    // the farm's births are not reported: the pair fails there, and the county is not judged
    file.retain(|o| !(&*o.data_element == "live_births" && &*o.area == "421321400"));
    let (_, issues, stats) = run(&cfg, vec![file], &History::new());
    assert_eq!(stat(&stats, "towns").missing, 1);
    let p = stat(&stats, "needs_births");
    assert_eq!((p.passes, p.fails), (1, 1));
    let pair: Vec<&str> = issues.iter().filter(|i| i.rule == "needs_births").map(|i| i.source_cell.as_deref().unwrap()).collect();
    assert_eq!(pair, vec!["C30"]);

    // all towns reported: 21 × 10 = 210 against the county's 213
    let mut file: Vec<Observation> = towns.iter().enumerate().map(|(i, t)| ob("live_births", t, "_T", "_T", Some(10.0), &format!("B{}", i + 2))).collect();
    file.push(ob("live_births", &root, "_T", "_T", Some(10.0 * towns.len() as f64 + 3.0), "B99"));
    let (_, issues, _) = run(&cfg, vec![file], &History::new());
    let t: Vec<&Issue> = issues.iter().filter(|i| i.rule == "towns").collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].source_cell.as_deref(), Some("B99"));
    assert_eq!(t[0].expected, Some(format!("= {} (±0.5)", 10 * towns.len())));
}

#[test]
fn duplicates_drop_the_copy_conflicts_withhold_all() {
    let cfg = cfg();
    let files = vec![
        vec![ob("live_births", A, "_T", "_T", Some(100.0), "B2"), ob("deliveries", A, "_T", "_T", Some(99.0), "C2")],
        vec![ob("live_births", A, "_T", "_T", Some(100.0), "B5"), ob("deliveries", A, "_T", "_T", Some(98.0), "C5")],
    ];
    let (kept, issues, _) = run(&cfg, files, &History::new());
    assert_eq!(kept[0].iter().map(|o| &*o.data_element).collect::<Vec<_>>(), vec!["live_births"]);
    assert!(kept[1].is_empty());
    let got: Vec<(&str, &str)> = issues.iter().map(|i| (i.rule, i.source_cell.as_deref().unwrap())).collect();
    assert!(got.contains(&("duplicate", "B5")) && got.contains(&("conflict", "C2")) && got.contains(&("conflict", "C5")), "{got:?}");
    assert_eq!(got.len(), 3);
}

#[test]
fn outliers_against_the_database_history() {
    let cfg = cfg();
    let mut h = History::new();
    let years: BTreeMap<i32, f64> = [(2020, 100.0), (2021, 105.0), (2022, 98.0), (2023, 102.0)].into_iter().collect();
    h.insert(("live_births".into(), A.into(), "_T".into(), "_T".into(), "_T".into()), years.clone());
    h.insert(("live_births".into(), B.into(), "_T".into(), "_T".into(), "_T".into()), years);
    let files = vec![vec![ob("live_births", A, "_T", "_T", Some(1000.0), "B2"), ob("live_births", B, "_T", "_T", Some(110.0), "B3")]];
    let (kept, issues, stats) = run(&cfg, files, &h);
    let s = stat(&stats, "yoy_outlier");
    assert_eq!((s.passes, s.fails), (1, 1));
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].source_cell.as_deref(), Some("B2"));
    // median 101, MAD = median(1, 4, 3, 1) = 2 -> s = max(2/0.6745, sqrt(101)) = 10.05; z = 899/10.05
    let z = 899.0 / 101f64.sqrt();
    assert!(issues[0].message.contains(&format!("{z:.1}")), "{}", issues[0].message);
    assert_eq!(kept[0][0].flags.as_deref(), Some("yoy_outlier"));
}

#[test]
fn modified_z_by_hand() {
    // history 10, 12, 11, 13: median 11.5, |dev| 1.5, .5, .5, 1.5 -> MAD 1.0
    let (z, med) = modified_z(20.0, &[10.0, 12.0, 11.0, 13.0], false).unwrap();
    assert_eq!(med, 11.5);
    assert!((z - 0.6745 * 8.5).abs() < 1e-12);
    // As a count the scale is at least sqrt(11.5) = 3.391 > 1/0.6745 = 1.483.
    let (z, _) = modified_z(20.0, &[10.0, 12.0, 11.0, 13.0], true).unwrap();
    assert!((z - 8.5 / 11.5f64.sqrt()).abs() < 1e-12);
    // MAD 0: history 5, 5, 5, 9 -> median 5, |dev| 0,0,0,4 -> MAD 0, mean AD 1
    let (z, _) = modified_z(10.0, &[5.0, 5.0, 5.0, 9.0], false).unwrap();
    assert!((z - 5.0 / 1.253314).abs() < 1e-12);
    // A constant history has no scale, unless it is a count.
    assert!(modified_z(10.0, &[5.0, 5.0, 5.0], false).is_none());
    let (z, _) = modified_z(10.0, &[5.0, 5.0, 5.0], true).unwrap();
    assert!((z - 5.0 / 5f64.sqrt()).abs() < 1e-12);
}

/// Validating subtree groups in parallel gives exactly what one pass over all
/// returns gives: the same kept values, findings, withheld counts and summary.
#[test]
fn groups_validated_apart_equal_one_pass() {
    let cfg = cfg();
    const C: &str = "421321102";
    const D: &str = "421321103";
    let files = vec![
        // f0: town A, a failing compare and a duplicate of f2's value.
        vec![
            ob("infant_deaths", A, "_T", "_T", Some(3.0), "B2"),
            ob("neonatal_deaths", A, "_T", "_T", Some(5.0), "C2"),
            ob("live_births", A, "_T", "_T", Some(100.0), "D2"),
        ],
        // f1: town B alone, female above the total.
        vec![ob("live_births", B, "_T", "_T", Some(50.0), "D3"), ob("live_births", B, "F", "_T", Some(60.0), "E3")],
        // f2: towns A and C (joins A's group): a conflicting copy of A's births.
        vec![ob("live_births", A, "_T", "_T", Some(101.0), "D4"), ob("live_births", C, "_T", "_T", Some(70.0), "D5")],
        // f3: town D, clean.
        vec![ob("live_births", D, "_T", "_T", Some(80.0), "D6")],
    ];
    let mut grouped_files = files.clone();
    let mut single_files = files;
    let mut grouped_issues: Vec<Vec<Issue>> = vec![Vec::new(); 4];
    let mut single_issues: Vec<Vec<Issue>> = vec![Vec::new(); 4];
    let names: Vec<String> = (0..4).map(|i| format!("f{i}.xlsx")).collect();
    let mk = |files: &mut [Vec<Observation>], issues: &mut [Vec<Issue>], f: &dyn Fn(&mut [Batch]) -> Vec<RuleStat>| -> (Vec<u64>, Vec<RuleStat>) {
        let mut b = batches(files, issues, &names);
        let stats = f(&mut b);
        (b.iter().map(|x| x.withheld).collect(), stats)
    };
    let (gw, gs) = mk(&mut grouped_files, &mut grouped_issues, &|b| {
        assert_eq!(independent_groups(b, &cfg), vec![0, 1, 0, 2], "f0 and f2 share town A");
        validate(b, &cfg, &History::new())
    });
    let (sw, ss) = mk(&mut single_files, &mut single_issues, &|b| validate_group(b, &cfg, &History::new()));
    assert_eq!(grouped_files, single_files);
    assert_eq!(grouped_issues, single_issues);
    assert_eq!(gw, sw);
    assert_eq!(gs, ss);
    // And the run found what was planted: the compare, the female excess, the conflict.
    let rules: std::collections::BTreeSet<&str> = single_issues.iter().flatten().map(|i| i.rule).collect();
    assert!(rules.contains("infant_ge_neonatal_deaths") && rules.contains("female_exceeds_total") && rules.contains("conflict"), "{rules:?}");
    assert!(gw.iter().sum::<u64>() > 0);
}

/// The Chinese messages of findings whose English `expected` is words: said in
/// Chinese at the finding (the texts below written by hand from zh.ftl).
#[test]
fn findings_in_chinese_without_english_words() {
    let cfg = with_rules(
        cfg(),
        "[[rule]]\nid = \"rng\"\nkind = \"range\"\ndata_elements = [\"deliveries\"]\nmin = 0\nmax = 50\ninteger = true\n\n\
         [[rule]]\nid = \"needs_births\"\nkind = \"pair\"\ndescription = \"新生儿访视需要活产数\"\nleft = [\"newborns_visited\"]\nright = [\"live_births\"]\n\n\
         [[rule]]\nid = \"girls_le_boys\"\nkind = \"compare\"\ndescription = \"女 needs 男\"\nleft = [{ data_element = \"live_births\", sex = \"F\" }]\nop = \"<=\"\nright = [{ data_element = \"live_births\", sex = \"M\" }]\n",
    );
    let name = |de: &str| cfg.catalogue.data_element(de).unwrap().name_zh.clone();
    let files = vec![
        vec![
            ob("deliveries", A, "_T", "_T", Some(60.0), "C2"),
            ob("newborns_visited", B, "_T", "_T", Some(9.0), "D3"),
            ob("newborns_visited", A, "_T", "_T", Some(12.0), "D2"),
            ob("live_births", A, "_T", "_T", Some(10.0), "B2"),
            ob("live_births", B, "F", "_T", Some(6.0), "E2"),
            ob("live_births", B, "M", "_T", Some(4.0), "E3"),
        ],
        vec![ob("live_births", A, "_T", "_T", Some(10.0), "B5"), ob("deliveries", A, "_T", "_T", Some(61.0), "C5")],
    ];
    let (_, issues, _) = run(&cfg, files, &History::new());
    let zh = |rule: &str, cell: &str| -> String {
        let i = issues.iter().find(|i| i.rule == rule && i.source_cell.as_deref() == Some(cell)).unwrap_or_else(|| panic!("{rule} at {cell}: {issues:#?}"));
        crate::i18n::issue_message_zh(i)
    };
    assert_eq!(zh("rng", "C2"), "S!C2：未通过校验规则 rng（实际值 60，应为 0 至 50 之间的整数）");
    assert_eq!(
        zh("needs_births", "D3"),
        format!(
            "S!D3：未通过校验规则 needs_births：新生儿访视需要活产数；已填报 {} 9（S!D3），但 {} 未填报（或已被退回）",
            name("newborns_visited"),
            name("live_births")
        )
    );
    // A description with English words is not said; the formula's symbols are.
    assert_eq!(zh("girls_le_boys", "E2"), "S!E2：未通过校验规则 girls_le_boys（实际值 6，应为 <= 4）");
    assert_eq!(zh("duplicate", "B5"), "S!B5：同一数值已在别处填报，此处重复的一份不入库（保留 t.xlsx S!B2 的一份）");
    assert_eq!(zh("conflict", "C2"), "S!C2：同一项目填报了不同的数值（实际值 60；其他：61（t.xlsx S!C5）），全部暂不入库");
    // The English columns are as they were.
    let pair = issues.iter().find(|i| i.rule == "needs_births").unwrap();
    assert_eq!(pair.expected, Some(format!("a value of {}", name("live_births"))));
    let dup = issues.iter().find(|i| i.rule == "duplicate").unwrap();
    assert_eq!(dup.expected.as_deref(), Some("one value (kept: t.xlsx S!B2)"));
}
