//! `wcmon report --year` earlier than the database's latest year: the report as it stood
//! for that year — values up to it, the towns, lineage and returns of that year — with the
//! database's one progress assessment (of its latest year) shown as that, not recomputed,
//! and said in the HTML and the workbook. Expected values come from the Parquet tables
//! read directly (Polars here, DuckDB in the Python checks).

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{root, wcmon};

fn sample_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let tmp = tempfile::Builder::new().prefix("wcmon-report-year-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let (r, db) = common::run_into(&root().join("sample_data"), &tmp);
        assert_eq!(r.code, 0, "{}", r.stderr);
        db
    })
}

/// The root area (no parent) of the sample.
fn county(db: &Path) -> String {
    let df = common::read(&db.join("current/areas.parquet"));
    let (area, parent) = (common::strs(&df, "area"), common::strs(&df, "parent"));
    area.iter().zip(&parent).find(|(_, p)| p.is_none()).and_then(|(a, _)| a.clone()).unwrap()
}

/// The latest year of the county's progress rows: the year the database's statuses are as of.
fn assessed_year(db: &Path, county: &str) -> i32 {
    let df = common::read(&db.join("current/progress.parquet"));
    let (area, latest) = (common::strs(&df, "area"), common::i32s(&df, "latest_year"));
    area.iter().zip(&latest).filter(|(a, _)| a.as_deref() == Some(county)).filter_map(|(_, y)| *y).max().unwrap()
}

/// The county's years with an indicator value.
fn value_years(db: &Path, county: &str) -> BTreeSet<i32> {
    let iv = common::read_partitioned(&db.join("current/indicator_values"));
    let (area, year, value) = (common::strs(&iv, "area"), common::i32s(&iv, "year"), common::f64s(&iv, "value"));
    (0..iv.height()).filter(|&i| area[i].as_deref() == Some(county) && value[i].is_some()).filter_map(|i| year[i]).collect()
}

fn report(db: &Path, args: &[&str]) -> (common::Run, PathBuf) {
    let out = tempfile::Builder::new().prefix("wcmon-report-year-out-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
    let mut a = vec!["report", "--db", db.to_str().unwrap(), "--out", out.to_str().unwrap()];
    a.extend_from_slice(args);
    (wcmon(&a), out)
}

fn python(script: &str, args: &[&str]) {
    let o = Command::new("python3").arg(root().join("tests/python").join(script)).args(args).output().expect("python3 (run the tests through tools/test)");
    let (so, se) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    eprintln!("$ python3 {script} {}\n{so}{se}", args.join(" "));
    assert!(o.status.success(), "{script} failed:\n{so}{se}");
}

#[test]
fn a_report_for_an_earlier_year_shows_that_years_values_and_says_the_statuses_are_of_the_latest() {
    let db = sample_db();
    let county = county(db);
    let years = value_years(db, &county);
    let latest = *years.last().unwrap();
    let assessed = assessed_year(db, &county);
    assert_eq!(assessed, latest, "the sample's statuses are assessed on its latest year");
    let year = latest - 2;
    assert!(years.contains(&year));
    let y = year.to_string();

    let (r, out) = report(db, &["--year", &y]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = out.join(format!("监测报告_{county}_{year}_annual.html"));
    let xlsx = out.join(format!("监测报告_{county}_{year}_annual.xlsx"));
    assert!(html.is_file() && xlsx.is_file(), "{}", r.stdout);
    let text = std::fs::read_to_string(&html).unwrap();

    // Said once at the top, and on the status columns.
    assert!(text.contains(&format!("本报告的指标数值截至{year}年")), "no notice of the values' year");
    assert!(text.contains(&format!("数据库按截至{assessed}年的数据评定")), "no notice of the statuses' year");
    assert!(text.contains(&format!("<th>进展状态<br><span class=\"small\">({assessed}年评定)</span></th>")), "status column without its year");
    assert!(text.contains(&format!("(按{assessed}年数据评定)</h3>")), "the early-warning list without its year");
    // The series tables under the charts: the years with values up to the report year, no later one.
    let headers: BTreeSet<i32> = text
        .match_indices("<th class=\"num\">")
        .filter_map(|(i, m)| text[i + m.len()..].split_once("</th>").and_then(|(y, _)| y.parse::<i32>().ok()))
        .filter(|y| (1900..3000).contains(y))
        .collect();
    let want: BTreeSet<i32> = years.iter().copied().filter(|y| *y <= year).collect();
    assert_eq!(headers, want, "the series tables' years");
    // No projection line in the charts (the database's projections are made from later data).
    let (_, out_latest) = report(db, &[]);
    let latest_text = std::fs::read_to_string(out_latest.join(format!("监测报告_{county}_{latest}_annual.html"))).unwrap();
    assert!(latest_text.contains(">\n趋势预测\n</text>"), "the latest report's charts have projection lines");
    assert!(!text.contains(">\n趋势预测\n</text>"), "a projection line in the report of an earlier year");
    assert!(!latest_text.contains("本报告的指标数值截至"), "a report of the latest year has no such notice");

    // The browser and DuckDB checks with --year: latest values are those up to the year.
    python("check_report.py", &["--html", html.to_str().unwrap(), "--db", db.to_str().unwrap(), "--area", &county, "--year", &y, "--kind", "annual"]);
    // The workbook: latest years up to the year, charts of the indicators with values by then,
    // the status columns headed with the year they are as of.
    python("check_report_xlsx.py", &[xlsx.to_str().unwrap(), db.to_str().unwrap(), &county, "annual", "--year", &y]);
}

/// The model of an earlier year against the tables read directly.
#[test]
fn the_model_of_an_earlier_year_holds_that_years_rows() {
    use wcmon::commands::report::{ModelOptions, ReportKind, ReportModel};
    let db = sample_db();
    let county = county(db);
    let latest = *value_years(db, &county).last().unwrap();
    let year = latest - 1;
    let m = ReportModel::load(&ModelOptions { db: db.to_path_buf(), year: Some(year), kind: ReportKind::Midterm, area: None, since: None }).unwrap();
    assert_eq!(m.year, year);
    assert_eq!(m.statuses_later(), Some(assessed_year(db, &county)));
    assert!(m.series.iter().all(|p| p.year <= year) && m.series.iter().any(|p| p.year == year));
    assert!(m.towns.iter().all(|p| p.year == year) && !m.towns.is_empty());
    assert!(m.lineage.iter().any(|l| l.year == year));
    // The progress rows are the database's, all of them (nothing recomputed or dropped).
    let progress = common::read(&db.join("current/progress.parquet"));
    let county_rows = common::strs(&progress, "area").iter().filter(|a| a.as_deref() == Some(county.as_str())).count();
    assert_eq!(m.progress.len(), county_rows);
    // The returns of that year.
    let subs = common::read(&db.join("current/submissions.parquet"));
    let of_year = common::i32s(&subs, "year").iter().filter(|y| **y == Some(year)).count();
    assert_eq!(m.quality.submissions.len(), of_year);
    assert!(of_year > 0);
    // The latest year's model: no later assessment.
    let m = ReportModel::load(&ModelOptions { db: db.to_path_buf(), year: Some(latest), kind: ReportKind::Annual, area: None, since: None }).unwrap();
    assert_eq!(m.statuses_later(), None);
}
