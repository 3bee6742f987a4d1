//! `wcmon report` end to end: the real binary on the sample's database, the HTML
//! opened in headless Chromium and checked against the database read with DuckDB
//! (tests/python/check_report.py; run through `tools/test`, which installs
//! Chromium, the CJK font, DuckDB and Pillow).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{root, wcmon};

/// The sample's database, built once for all the tests of this file.
fn sample_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("wcmon-report-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let db = dir.join("db");
        let r = wcmon(&["run", "--inbox", "sample_data", "--db", db.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        db
    })
}

fn county_and_first_town(db: &Path) -> (String, String) {
    let df = common::read(&db.join("current/areas.parquet"));
    let area = common::strs(&df, "area");
    let parent = common::strs(&df, "parent");
    let root = area.iter().zip(&parent).find(|(_, p)| p.is_none()).and_then(|(a, _)| a.clone()).unwrap();
    let mut towns: Vec<String> = area.iter().zip(&parent).filter(|(_, p)| p.as_deref() == Some(root.as_str())).filter_map(|(a, _)| a.clone()).collect();
    towns.sort();
    (root, towns[0].clone())
}

fn report(args: &[&str]) -> (common::Run, PathBuf) {
    let out = tempfile::Builder::new().prefix("wcmon-report-out-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let mut a = vec!["report", "--out", out.to_str().unwrap()];
    a.extend_from_slice(args);
    (wcmon(&a), out)
}

fn python(args: &[&str]) {
    let script = root().join("tests/python/check_report.py");
    let out = Command::new("python3").arg(&script).args(args).output().expect("python3 (run the tests through tools/test)");
    let (so, se) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("$ python3 check_report.py {}\n{so}{se}", args.join(" "));
    assert!(out.status.success(), "check_report.py failed:\n{so}{se}");
}

/// Runs the report and the browser checks for one kind and area; returns the HTML's path.
fn report_and_check(kind: &str, area: Option<&str>, shot: Option<&Path>) -> PathBuf {
    let db = sample_db();
    let (county, _) = county_and_first_town(db);
    let area = area.map(str::to_string).unwrap_or(county);
    let mut args = vec!["--db", db.to_str().unwrap(), "--kind", kind];
    if area_is_given(&area, db) {
        args.extend(["--area", area.as_str()]);
    }
    let (r, out) = report(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The sample's latest year is 2024 (the generator writes 2020–2024).
    let html = out.join(format!("监测报告_{area}_2024_{kind}.html"));
    assert!(html.is_file(), "{} missing; stdout: {}", html.display(), r.stdout);
    assert!(r.stdout.contains(html.to_str().unwrap()), "the file written is named: {}", r.stdout);
    let shot_path = shot.map(Path::to_path_buf).unwrap_or_else(|| out.join("shot.png"));
    let pdf = out.join("report.pdf");
    let mut py = vec![
        "--html",
        html.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--area",
        &area,
        "--year",
        "2024",
        "--kind",
        kind,
        "--shot",
        shot_path.to_str().unwrap(),
    ];
    // The county's annual report is also printed (A4, a page break per domain).
    if kind == "annual" && !area_is_given(&area, db) {
        py.extend(["--pdf", pdf.to_str().unwrap()]);
    }
    python(&py);
    html
}

/// The county is the default area: pass --area only for another one.
fn area_is_given(area: &str, db: &Path) -> bool {
    county_and_first_town(db).0 != area
}

#[test]
fn annual_report_of_the_county_renders_names_every_indicator_and_charts_each_with_data() {
    let html = report_and_check("annual", None, None);
    let text = std::fs::read_to_string(&html).unwrap();
    // Women and men side by side for indicators with data by sex, and the towns ranked.
    assert!(text.contains("女:分性别") && text.contains("男:分性别"), "no by-sex panels");
    assert!(text.contains("年各乡镇"), "no towns chart");
}

#[test]
fn midterm_report_assesses_against_2025() {
    let html = report_and_check("midterm", None, None);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("中期评估报告"));
    assert!(text.contains("2030年预测"), "the midterm report gives the 2030 projection");
}

#[test]
fn final_report_assesses_against_2030() {
    let html = report_and_check("final", None, None);
    assert!(std::fs::read_to_string(&html).unwrap().contains("终期评估报告"));
}

#[test]
fn report_for_a_town() {
    let (_, town) = county_and_first_town(sample_db());
    report_and_check("annual", Some(&town), None);
}

#[test]
fn the_same_database_gives_the_same_bytes() {
    let db = sample_db();
    let (a, out_a) = report(&["--db", db.to_str().unwrap()]);
    let (b, out_b) = report(&["--db", db.to_str().unwrap()]);
    assert_eq!((a.code, b.code), (0, 0));
    let name = |o: &Path| std::fs::read_dir(o).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|x| x == "html")).unwrap();
    let (x, y) = (std::fs::read(name(&out_a)).unwrap(), std::fs::read(name(&out_b)).unwrap());
    assert!(x.len() > 10_000);
    assert!(x == y, "two reports of the same database differ");
}

#[test]
fn missing_database_area_or_table_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let nodb = tmp.path().join("no_db");
    let (r, _) = report(&["--db", nodb.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no published database") && r.stderr.contains("no_db"), "{}", r.stderr);

    let (r, _) = report(&["--db", sample_db().to_str().unwrap(), "--area", "999999"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("area `999999`"), "{}", r.stderr);

    let (r, _) = report(&["--db", sample_db().to_str().unwrap(), "--year", "2031"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("year 2031 has no indicator values"), "{}", r.stderr);

    let broken = tmp.path().join("broken");
    std::fs::create_dir_all(broken.join("current")).unwrap();
    std::fs::write(broken.join("current/manifest.json"), "{}").unwrap();
    let (r, _) = report(&["--db", broken.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("areas.parquet") && r.stderr.contains("missing"), "{}", r.stderr);
}

/// A return whose file name and cells hold markup, loaded as a correction of the
/// sample: the browser shows the text (no element is made of it, nothing runs), and
/// `--since` lists what the correction changed.
#[test]
fn markup_from_returns_stays_text_and_since_lists_the_corrections() {
    let tmp = tempfile::Builder::new().prefix("wcmon-report-inject-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let inbox = tmp.join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    let db = tmp.join("db");
    let r = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let script = "<script>document.title=\"HACKED\"</script>";
    let img = "\"><img src=x onerror=\"document.title='PWNED'\">";
    let original = inbox.join("卫健局/2024年妇幼卫生年报.xlsx");
    // (A file name cannot hold the `/` of `</script>`: it carries the other one.)
    let injected = inbox.join(format!("卫健局/2024年妇幼卫生年报{img}.xlsx"));
    let out = Command::new("python3")
        .arg(root().join("tests/python/inject_return.py"))
        .args([original.to_str().unwrap(), injected.to_str().unwrap(), script, img])
        .output()
        .expect("python3");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&original).unwrap();
    // Errors in the return (text in number cells): exit 1, the database is still published.
    let r = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);

    let (r, outdir) = report(&["--db", db.to_str().unwrap(), "--since", "v000001"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (county, _) = county_and_first_town(&db);
    let html = outdir.join(format!("监测报告_{county}_2024_annual.html"));
    let raw = std::fs::read_to_string(&html).unwrap();
    assert!(!raw.contains(script) && !raw.contains("<img"), "markup from a return is in the HTML unescaped");
    python(&[
        "--html",
        html.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--area",
        &county,
        "--year",
        "2024",
        "--kind",
        "annual",
        "--inject",
        script,
        "--inject",
        img,
        "--since",
        "v000001",
    ]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The model the writers (HTML, workbook) share, against the tables read directly.
#[test]
fn the_model_holds_the_areas_rows_of_each_table() {
    use wcmon::commands::report::{ModelOptions, ReportKind, ReportModel};
    let db = sample_db();
    let (county, town) = county_and_first_town(db);
    let m = ReportModel::load(&ModelOptions { db: db.to_path_buf(), year: None, kind: ReportKind::Annual, area: None, since: None }).unwrap();
    assert_eq!(m.area.code, county);
    assert_eq!(m.year, 2024);
    let cat = common::read(&db.join("current/indicators.parquet"));
    assert_eq!(m.catalogue.len(), cat.height());
    let progress = common::read(&db.join("current/progress.parquet"));
    let county_rows = common::strs(&progress, "area").iter().filter(|a| a.as_deref() == Some(county.as_str())).count();
    assert_eq!(m.progress.len(), county_rows);
    let areas = common::read(&db.join("current/areas.parquet"));
    let towns = common::strs(&areas, "parent").iter().filter(|p| p.as_deref() == Some(county.as_str())).count();
    assert_eq!(m.children.len(), towns);
    // Every indicator value of the county up to 2024, and the towns' for 2024 (residence _T).
    let iv = common::read_partitioned(&db.join("current/indicator_values"));
    let (ia, iy, ires) = (common::strs(&iv, "area"), common::i32s(&iv, "year"), common::strs(&iv, "residence"));
    let n_county = ia.iter().filter(|a| a.as_deref() == Some(county.as_str())).count();
    assert_eq!(m.series.len(), n_county);
    let kids: std::collections::BTreeSet<String> = m.children.iter().map(|c| c.code.clone()).collect();
    let n_towns =
        (0..iv.height()).filter(|&i| ia[i].as_ref().is_some_and(|a| kids.contains(a)) && iy[i] == Some(2024) && ires[i].as_deref() == Some("_T")).count();
    assert_eq!(m.towns.len(), n_towns);
    // Lineage rows carry their cells: a town's reported value has file, sheet and cell.
    assert!(m.lineage.iter().any(|l| l.area == town && l.source_file.is_some() && l.source_sheet.is_some() && l.source_cell.is_some()));
    // The county's own rows are sums of its towns (no source cell, n_sources = towns reporting).
    assert!(m.lineage.iter().any(|l| l.area == county && l.derived && l.n_sources.is_some()));
    // 45 returns of 2020–2024, 9 of them for 2024.
    assert!(!m.quality.submissions.is_empty() && m.quality.submissions.iter().all(|s| s.year == Some(2024)));
    assert_eq!(m.quality.no_data.len(), m.catalogue.iter().filter(|c| !m.has_data(&c.indicator)).count());
}

/// One county of a province database (the scale corpus: province → counties → towns).
#[test]
fn report_for_one_county_of_a_province_database() {
    let tmp = tempfile::Builder::new().prefix("wcmon-report-province-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let corpus = tmp.join("corpus");
    let r = wcmon(&["generate", "--scale", "--counties", "2", "--years", "3", "--out", corpus.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let db = tmp.join("db");
    let pipelines = corpus.join("pipelines");
    let inbox = corpus.join("inbox");
    let r = wcmon(&["--pipelines", pipelines.to_str().unwrap(), "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let df = common::read(&db.join("current/areas.parquet"));
    let (area, level) = (common::strs(&df, "area"), common::strs(&df, "level"));
    let mut counties: Vec<String> = area.iter().zip(&level).filter(|(_, l)| l.as_deref() == Some("county")).filter_map(|(a, _)| a.clone()).collect();
    counties.sort();
    let county = counties.last().unwrap().clone();
    let (r, out) = report(&["--db", db.to_str().unwrap(), "--area", &county]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = out.join(format!("监测报告_{county}_2024_annual.html"));
    let text = std::fs::read_to_string(&html).unwrap();
    // The other county's towns are not in this county's report.
    let other = &counties[0];
    let parent = common::strs(&df, "parent");
    let names = common::strs(&df, "name_zh");
    for i in 0..df.height() {
        if parent[i].as_deref() == Some(other.as_str()) {
            let n = names[i].as_deref().unwrap();
            assert!(!text.contains(&format!("<td>{n}</td>")), "{n} of {other} in the report of {county}");
        }
    }
    python(&["--html", html.to_str().unwrap(), "--db", db.to_str().unwrap(), "--area", &county, "--year", "2024", "--kind", "annual"]);
}
