//! The report's Excel workbook, read by independent tools: openpyxl (sheets, values,
//! formats, charts), DuckDB (the Parquet tables the sampled values must equal),
//! zipfile (the chart parts, no formula, nothing Excel would repair), LibreOffice (it
//! converts without error, to the same values).
//! tests/python/check_report_xlsx.py holds the checks; python3 with openpyxl and
//! duckdb comes from tools/test.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn sample_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let tmp = tempfile::Builder::new().prefix("wcmon-report-xlsx-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let (r, db) = run_into(&root().join("sample_data"), &tmp);
        assert_eq!(r.code, 0, "{}", r.stderr);
        db
    })
}

/// The county (the root) and its first town, from areas.toml.
fn county_and_town() -> (String, String) {
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(root().join("pipelines/areas.toml")).unwrap()).unwrap();
    let areas = v["area"].as_array().unwrap();
    let county = areas.iter().find(|a| a.get("parent").is_none()).unwrap()["code"].as_str().unwrap().to_string();
    let town = areas.iter().find(|a| a.get("parent").and_then(|p| p.as_str()) == Some(county.as_str())).unwrap()["code"].as_str().unwrap().to_string();
    (county, town)
}

/// `wcmon report` into a fresh folder; the workbook's path.
fn report(db: &Path, args: &[&str]) -> PathBuf {
    let out = tempfile::Builder::new().prefix("wcmon-report-xlsx-out-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let mut a = vec!["report", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()];
    a.extend_from_slice(args);
    let r = wcmon(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let xlsx: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "xlsx")).collect();
    assert_eq!(xlsx.len(), 1, "one workbook beside the HTML: {xlsx:?}");
    assert!(r.stdout.contains(xlsx[0].to_str().unwrap()), "the summary names the workbook");
    xlsx[0].clone()
}

fn check(xlsx: &Path, db: &Path, area: &str, kind: &str, formula_texts: &[&str]) {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/python/check_report_xlsx.py")).args([xlsx.to_str().unwrap(), db.to_str().unwrap(), area, kind]);
    for t in formula_texts {
        cmd.args(["--formula-text", t]);
    }
    let o = cmd.output().expect("python3 with openpyxl and duckdb (tools/test)");
    eprintln!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "check_report_xlsx.py failed on {}", xlsx.display());
}

/// tests/python/check_xlsx_opens.py: the package holds nothing Excel repairs on opening
/// (sheet names, defined names, cell and chart references, relationships, content types)
/// and, with `libreoffice`, LibreOffice converts it without error and the converted
/// workbook holds the same values.
fn opens(xlsx: &Path, libreoffice: bool) {
    let work = tempfile::Builder::new().prefix("wcmon-report-xlsx-lo-").tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("tests/python/check_xlsx_opens.py")).arg(xlsx).arg(work.path());
    if !libreoffice {
        cmd.arg("--package-only");
    }
    let o = cmd.output().expect("python3 with openpyxl (tools/test), soffice (libreoffice-calc-nogui)");
    eprintln!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "check_xlsx_opens.py failed on {}", xlsx.display());
}

/// The package check finds what Excel would repair: a workbook with two sheets of one
/// name and a chart series reaching past its data fails it.
#[test]
fn the_package_check_catches_a_duplicate_sheet_name_and_a_chart_reference_outside_its_sheet() {
    let xlsx = report(sample_db(), &[]);
    let broken = xlsx.with_file_name("broken.xlsx");
    let script = r#"
import sys, zipfile, re
src, dst = sys.argv[1:3]
z = zipfile.ZipFile(src)
o = zipfile.ZipFile(dst, "w")
done = False
for n in z.namelist():
    b = z.read(n)
    if n == "xl/workbook.xml":
        b = b.replace('name="预警"'.encode(), 'name="说明"'.encode())
    if n == "xl/charts/chart1.xml":
        b = re.sub(rb"(<c:val><c:numRef><c:f>[^<]*\$)(\d+)(</c:f>)", lambda m: m.group(1) + b"1000000" + m.group(3), b, count=1)
    o.writestr(n, b)
o.close()
"#;
    let o = Command::new("python3").args(["-c", script, xlsx.to_str().unwrap(), broken.to_str().unwrap()]).output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let work = tempfile::tempdir().unwrap();
    let o = Command::new("python3")
        .arg(root().join("tests/python/check_xlsx_opens.py"))
        .args([broken.to_str().unwrap(), work.path().to_str().unwrap(), "--package-only"])
        .output()
        .expect("python3");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the broken package passed");
    assert!(err.contains("sheet name '说明' twice"), "{err}");
    assert!(err.contains("outside 图表数据's used range"), "{err}");
}

#[test]
fn annual_workbook_of_the_county_matches_the_database_and_opens_in_libreoffice() {
    let db = sample_db();
    let (county, _) = county_and_town();
    let xlsx = report(db, &[]);
    assert!(xlsx.file_name().unwrap().to_string_lossy().ends_with("_annual.xlsx"));
    check(&xlsx, db, &county, "annual", &[]);

    // The same database gives the same bytes.
    let again = report(db, &[]);
    assert_eq!(std::fs::read(&xlsx).unwrap(), std::fs::read(&again).unwrap(), "two reports of one database differ");

    // Nothing Excel would repair, and LibreOffice opens it and saves the same values.
    opens(&xlsx, true);
}

#[test]
fn midterm_final_and_town_workbooks() {
    let db = sample_db();
    let (county, town) = county_and_town();
    for (args, area, kind) in
        [(vec!["--kind", "midterm"], &county, "midterm"), (vec!["--kind", "final"], &county, "final"), (vec!["--area", &town], &town, "annual")]
    {
        let xlsx = report(db, &args);
        check(&xlsx, db, area, kind, &[]);
        opens(&xlsx, false);
    }
}

/// A return whose number cells hold formula text: the findings list them in 数据质量
/// as strings (no cell of the workbook is a formula).
#[test]
fn formula_text_from_a_return_stays_a_string() {
    let tmp = tempfile::Builder::new().prefix("wcmon-report-xlsx-inject-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let inbox = tmp.join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    let formula = "=HYPERLINK(\"http://example.invalid\",\"点此\")";
    let plus = "+1+1";
    let original = inbox.join("卫健局/2024年妇幼卫生年报.xlsx");
    let injected = inbox.join("卫健局/2024年妇幼卫生年报(更正).xlsx");
    // Two number cells of the return get the texts, typed as text (openpyxl would
    // otherwise store "=…" as a formula).
    let script = r#"
import sys, openpyxl
src, dst, t1, t2 = sys.argv[1:5]
wb = openpyxl.load_workbook(src)
ws = wb.worksheets[0]
cells = [c for row in ws.iter_rows(min_row=6) for c in row[1:] if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
for c, t in zip(cells[:2], (t1, t2)):
    c.value = t
    c.data_type = "s"
wb.save(dst)
"#;
    let o = Command::new("python3").args(["-c", script, original.to_str().unwrap(), injected.to_str().unwrap(), formula, plus]).output().expect("python3");
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    std::fs::remove_file(&original).unwrap();
    let (r, db) = run_into(&inbox, &tmp);
    assert_eq!(r.code, 1, "text in number cells is an error: {}", r.stderr);
    let (county, _) = county_and_town();
    let xlsx = report(&db, &[]);
    check(&xlsx, &db, &county, "annual", &[formula, plus]);
    // LibreOffice keeps them text too.
    opens(&xlsx, true);
}
