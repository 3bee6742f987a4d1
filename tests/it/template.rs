//! `wcmon template`: blank returns from the pipeline files, and their round trip.
//!
//! The round trip: the templates of every bundled form are filled by openpyxl
//! (tests/python/fill_templates.py, which writes its own truth: cell -> number),
//! `wcmon run` reads the filled folder, and every reported (non-derived) row of
//! `data_values` must be exactly one cell Python typed, with its number.
//! Needs `python3` with openpyxl (tools/test) and, for the LibreOffice test,
//! `soffice` (libreoffice-calc-nogui).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn templates(tmp: &Path, extra: &[&str]) -> (Run, PathBuf) {
    let out = tmp.join("templates");
    let mut args = vec!["template", "--year", "2025", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    (wcmon(&args), out)
}

fn xlsx_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        walkdir::WalkDir::new(dir).into_iter().filter_map(|e| e.ok()).map(|e| e.into_path()).filter(|p| p.extension().is_some_and(|x| x == "xlsx")).collect();
    v.sort();
    v
}

/// The bundled forms' ids, read from the pipeline files (not from wcmon).
fn bundled_form_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for e in walkdir::WalkDir::new(root().join("pipelines/forms")).into_iter().filter_map(|e| e.ok()) {
        if e.path().extension().is_some_and(|x| x == "toml") {
            let v: toml::Value = toml::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
            ids.insert(v["form"]["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn template_writes_one_workbook_per_form_named_as_its_form_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, out) = templates(tmp.path(), &[]);
    assert_eq!(r.code, 0);
    let files = xlsx_files(&out);
    assert_eq!(files.len(), bundled_form_ids().len(), "one workbook per bundled form (none is per area): {files:?}");
    let names: BTreeSet<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    // The file names the forms' [match] file_name regexes expect, with the year.
    for expected in
        ["卫健局/2025年妇幼卫生工作年报（分乡镇）.xlsx", "医保局/2025年社会保险参保情况统计表.xlsx", "民政局/民政局2025年基层群众自治组织和儿童福利情况.xlsx"]
    {
        assert!(out.join(expected).is_file(), "{expected} in {names:?}");
    }
    // A legacy .xls form gets an .xlsx template.
    assert!(files.iter().all(|p| p.extension().unwrap() == "xlsx"));
    // Same pipeline files, same bytes.
    let tmp2 = tempfile::tempdir().unwrap();
    let (_, out2) = templates(tmp2.path(), &[]);
    for f in &files {
        let other = out2.join(f.strip_prefix(&out).unwrap());
        assert_eq!(std::fs::read(f).unwrap(), std::fs::read(&other).unwrap(), "{} differs between two runs", f.display());
    }
    // --body keeps one body's forms.
    let tmp3 = tempfile::tempdir().unwrap();
    let (r, out3) = templates(tmp3.path(), &["--body", "统计局"]);
    assert_eq!(r.code, 0);
    assert_eq!(xlsx_files(&out3).len(), 2);
    let (r, _) = templates(tmp3.path(), &["--body", "不存在局"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("统计局"), "the message lists the bodies");
}

/// Inspect the templates with openpyxl: header labels and merges, title, unit line,
/// validation, protection, the 填表说明 sheet.
#[test]
fn template_layout_read_by_openpyxl() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, out) = templates(tmp.path(), &[]);
    assert_eq!(r.code, 0);
    let script = r#"
import sys, json, openpyxl
out = {}
for path in sys.argv[1:]:
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
        sheets[ws.title] = {
            "cells": cells,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "protected": ws.protection.sheet is True,
            "validations": [[dv.type, dv.operator, dv.formula1, dv.formula2, str(dv.sqref)] for dv in ws.data_validations.dataValidation],
            "freeze": ws.freeze_panes,
        }
    out[path] = {"sheets": sheets, "order": wb.sheetnames}
print(json.dumps(out, ensure_ascii=False))
"#;
    let files = xlsx_files(&out);
    let o = Command::new("python3").arg("-c").arg(script).args(&files).output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let book = |rel: &str| v[out.join(rel).to_str().unwrap()].clone();

    // Rows-as-towns, two merged header rows, 合计 / 其中:女 (卫健局).
    let mch = book("卫健局/2025年妇幼卫生工作年报（分乡镇）.xlsx");
    assert_eq!(mch["order"].as_array().unwrap().last().unwrap(), "填表说明");
    let s = &mch["sheets"][mch["order"][0].as_str().unwrap()];
    assert_eq!(s["cells"]["A1"], "随县2025年妇幼卫生工作年报（分乡镇）");
    assert!(s["cells"]["A2"].as_str().unwrap().contains("卫健局"));
    // Header at rows 4–5: 乡镇 merged down, 活产数 across its two sub-columns.
    assert_eq!(s["cells"]["A4"], "乡镇");
    assert_eq!(s["cells"]["B4"], "活产数");
    assert_eq!(s["cells"]["B5"], "合计");
    assert_eq!(s["cells"]["C5"], "其中:女");
    assert_eq!(s["cells"]["D4"], "产妇数");
    let merged: Vec<&str> = s["merged"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for m in ["A4:A5", "B4:C4", "D4:D5"] {
        assert!(merged.contains(&m), "{m} merged: {merged:?}");
    }
    // The towns of areas.toml as rows (22 towns: 厉山镇 first), no 合计 row.
    let areas: toml::Value = toml::from_str(&std::fs::read_to_string(root().join("pipelines/areas.toml")).unwrap()).unwrap();
    let towns: Vec<&str> = areas["area"].as_array().unwrap().iter().filter(|a| a.get("parent").is_some()).map(|a| a["name_zh"].as_str().unwrap()).collect();
    for (i, t) in towns.iter().enumerate() {
        assert_eq!(s["cells"][format!("A{}", 6 + i)], *t);
    }
    let labels_a: Vec<&str> = s["cells"].as_object().unwrap().iter().filter(|(k, _)| k.starts_with('A')).filter_map(|(_, v)| v.as_str()).collect();
    assert!(!labels_a.contains(&"合计"), "no 合计 row to fill");
    assert!(s["protected"].as_bool().unwrap());
    assert_eq!(s["freeze"], "B6");
    // Counts: whole numbers ≥ 0 over the 22 town rows.
    let vals = s["validations"].as_array().unwrap();
    assert!(vals.iter().any(|d| d[0] == "whole" && d[1] == "greaterThanOrEqual" && d[2] == "0" && {
        let sq = d[4].as_str().unwrap();
        sq.starts_with("B6:") && sq.ends_with(&format!("{}", 5 + towns.len()))
    }));

    // Towns as columns (统计局): 指标, 单位, then the towns; 乡村人口 in 万人 (decimal).
    let ti = book("统计局/2025年分乡镇主要社会经济指标.xlsx");
    let s = &ti["sheets"][ti["order"][0].as_str().unwrap()];
    assert_eq!(s["cells"]["A4"], "指标");
    assert_eq!(s["cells"]["B4"], "单位");
    assert_eq!(s["cells"]["C4"], towns[0]);
    assert_eq!(s["cells"]["A5"], "乡村人口");
    assert_eq!(s["cells"]["B5"], "万人");
    let all_texts: Vec<&str> = s["cells"].as_object().unwrap().values().filter_map(|v| v.as_str()).collect();
    assert!(!all_texts.contains(&"全县合计"), "the form's 全县合计 column is not written");
    assert!(s["validations"].as_array().unwrap().iter().any(|d| d[0] == "decimal" && d[4].as_str().unwrap().starts_with("C5:")));

    // Age × sex cross-tab: one sheet per town, named by the town.
    let pop = book("统计局/2025年分乡镇人口年龄构成.xlsx");
    let order: Vec<&str> = pop["order"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert_eq!(&order[..towns.len()], &towns[..]);
    let s = &pop["sheets"][towns[0]];
    assert_eq!([&s["cells"]["A4"], &s["cells"]["B4"], &s["cells"]["C4"], &s["cells"]["D4"]], ["年龄组", "合计", "男", "女"]);
    assert_eq!(s["cells"]["A5"], "合计");
    // The catalogue reads population for women aged 35–64 (cervical screening coverage).
    assert!(s["cells"].as_object().unwrap().values().any(|v| v == "35-64岁"));

    // County-only table, year in the title (生态环境局), recognised by its header labels.
    let ci = book("生态环境局/2025年全县环境和社会发展主要指标.xlsx");
    let s = &ci["sheets"][ci["order"][0].as_str().unwrap()];
    assert_eq!(s["cells"]["A1"], "随县2025年全县环境和社会发展主要指标");
    assert_eq!([&s["cells"]["A4"], &s["cells"]["B4"], &s["cells"]["C4"]], ["指标", "计量单位", "数值"]);
    // The illiteracy rate is a %: 0–100.
    let row = s["cells"].as_object().unwrap().iter().find(|(_, v)| *v == "女性青壮年文盲率").map(|(k, _)| k[1..].to_string()).unwrap();
    assert!(s["validations"].as_array().unwrap().iter().any(|d| d[0] == "decimal" && d[2] == "0" && d[3] == "100" && d[4] == format!("C{row}")));

    // Long list: one row per town × item × the catalogue's breakdown, 性别 and 年龄组 filled in.
    let hl = book("卫健局/2025年儿童和妇女保健服务情况（明细）.xlsx");
    let s = &hl["sheets"][hl["order"][0].as_str().unwrap()];
    assert_eq!([&s["cells"]["A4"], &s["cells"]["B4"], &s["cells"]["C4"], &s["cells"]["D4"], &s["cells"]["E4"]], ["乡镇", "指标名称", "性别", "年龄组", "数值"]);
    let cervical: Vec<&str> = s["cells"].as_object().unwrap().iter().filter(|(_, v)| *v == "宫颈癌筛查人数").map(|(k, _)| k.as_str()).collect();
    assert_eq!(cervical.len(), towns.len(), "one row per town");
    let r = &cervical[0][1..];
    assert_eq!(s["cells"][format!("C{r}")], "女");
    assert_eq!(s["cells"][format!("D{r}")], "35-64岁");

    // 填表说明: every data element with its unit and body.
    let notes = &mch["sheets"]["填表说明"];
    let texts: Vec<&str> = notes["cells"].as_object().unwrap().values().filter_map(|v| v.as_str()).collect();
    for want in ["live_births", "活产数", "maternal_deaths", "induced_abortions", "定义", "计量单位", "报送单位"] {
        assert!(texts.contains(&want), "{want} in 填表说明");
    }
    assert!(texts.iter().any(|t| t.contains("W03") && t.contains("分子")), "the definition says which indicator reads it");
}

/// A copy of the pipeline files whose error rules are warnings: random numbers
/// break the plausibility rules (deaths ≤ births, 女 ≤ 合计, 男 + 女 = 合计), and
/// an error withholds the values; here only the reading is under test.
fn relaxed_pipelines(tmp: &Path) -> PathBuf {
    let dir = tmp.join("pipelines");
    copy_dir(&root().join("pipelines"), &dir);
    for e in walkdir::WalkDir::new(&dir).into_iter().filter_map(|e| e.ok()) {
        if e.path().extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(e.path()).unwrap().replace("severity = \"error\"", "severity = \"warning\"");
            let text = text.replacen("[severity]\n", "[severity]\nfemale_exceeds_total = \"warning\"\n", 1);
            std::fs::write(e.path(), text).unwrap();
        }
    }
    dir
}

#[test]
fn template_round_trip_every_form() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, out) = templates(tmp.path(), &[]);
    assert_eq!(r.code, 0);
    let filled = tmp.path().join("filled");
    let truth_path = tmp.path().join("truth.json");
    let o = Command::new("python3")
        .arg(root().join("tests/python/fill_templates.py"))
        .args([&out, &filled, &truth_path])
        .output()
        .expect("python3 with openpyxl (tools/test installs it)");
    eprintln!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success());
    let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    assert_eq!(truth["problems"].as_array().unwrap().len(), 0, "{}", truth["problems"]);
    let cells = truth["cells"].as_array().unwrap();
    assert!(cells.len() > 1000, "{} cells", cells.len());
    let mut expected: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for c in cells {
        let key = (c["file"].as_str().unwrap().to_string(), c["sheet"].as_str().unwrap().to_string(), c["cell"].as_str().unwrap().to_string());
        expected.insert(key, c["expected"].as_f64().unwrap());
    }
    let files: BTreeSet<&str> = cells.iter().map(|c| c["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), bundled_form_ids().len(), "every form's template has cells to fill");

    let pipelines = relaxed_pipelines(tmp.path());
    let db = tmp.path().join("db");
    let r = wcmon(&["--pipelines", pipelines.to_str().unwrap(), "run", "--inbox", filled.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 0, "no errors");

    let subs = read(&db.join("submissions.parquet"));
    let forms: BTreeSet<String> = strs(&subs, "form").into_iter().flatten().collect();
    assert_eq!(forms, bundled_form_ids(), "every template recognised by its form");
    assert!(strs(&subs, "status").iter().all(|s| s.as_deref() == Some("loaded")));

    let issues = read(&db.join("issues.parquet"));
    let rules = strs(&issues, "rule");
    let sev = strs(&issues, "severity");
    assert_eq!(rules.iter().filter(|r| r.as_deref() == Some("unmapped_cell")).count(), 0, "0 unmapped cells");
    assert_eq!(sev.iter().filter(|s| s.as_deref() == Some("error")).count(), 0, "no error: {:?}", rules);

    let dv = read_partitioned(&db.join("data_values"));
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let (file, sheet, cell, value) = (strs(&dv, "source_file"), strs(&dv, "source_sheet"), strs(&dv, "source_cell"), f64s(&dv, "value"));
    let years = i32s(&dv, "year");
    let mut got: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for i in 0..dv.height() {
        if derived.get(i) == Some(true) {
            continue;
        }
        assert_eq!(years[i], Some(2025));
        let key = (file[i].clone().unwrap(), sheet[i].clone().unwrap(), cell[i].clone().unwrap());
        let v = value[i].unwrap_or(f64::NAN);
        assert!(got.insert(key.clone(), v).is_none(), "{key:?} landed twice");
    }
    assert_eq!(got.len(), expected.len(), "one reported value per typed cell");
    for (k, want) in &expected {
        let v = got.get(k).unwrap_or_else(|| panic!("{k:?} typed but not in data_values"));
        assert!((v - want).abs() <= 1e-9 * want.abs().max(1.0), "{k:?}: typed {want}, landed {v}");
    }
}

#[test]
fn templates_open_in_libreoffice() {
    if Command::new("soffice").arg("--version").output().is_err() {
        panic!("soffice not found: install libreoffice-calc-nogui (tests/apt-packages.txt; tools/test installs it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let (r, out) = templates(tmp.path(), &[]);
    assert_eq!(r.code, 0);
    let files = xlsx_files(&out);
    let csv = tmp.path().join("csv");
    let profile = format!("-env:UserInstallation=file://{}", tmp.path().join("lo-profile").display());
    let o = Command::new("soffice")
        .args([&profile, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", csv.to_str().unwrap()])
        .args(&files)
        .output()
        .unwrap();
    eprintln!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success());
    for f in &files {
        let c = csv.join(f.with_extension("csv").file_name().unwrap());
        let text = std::fs::read_to_string(&c).unwrap_or_else(|e| panic!("{}: {e}", c.display()));
        // The first sheet's title: the form's name with the year.
        assert!(text.lines().next().unwrap_or_default().contains("2025年"), "{}: {}", c.display(), text.lines().next().unwrap_or_default());
    }
}

/// Nothing in the templates' packages that Excel or WPS would repair on opening (sheet
/// and defined names, merged ranges, cell references, relationships, content types;
/// tests/python/check_xlsx_opens.py without its LibreOffice step, which the test above is).
#[test]
fn templates_hold_nothing_excel_would_repair() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, out) = templates(tmp.path(), &[]);
    assert_eq!(r.code, 0);
    for f in xlsx_files(&out) {
        let o = Command::new("python3")
            .arg(root().join("tests/python/check_xlsx_opens.py"))
            .args([f.as_os_str(), tmp.path().join("work").as_os_str(), "--package-only".as_ref()])
            .output()
            .expect("python3 (tools/test)");
        eprintln!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "{}", f.display());
    }
}
