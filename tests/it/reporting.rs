//! Who has sent what (`reporting.parquet`, the run's summary, `wcmon status`) and
//! supersession that survives copies of the inbox (first sightings kept in the state).
//!
//! The expected statuses come from each test's own setup: which files it removes or
//! adds, the as-of dates it runs at, and the due dates the bundled forms declare
//! (read here from the TOML files).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;

const MCH_2024: &str = "卫健局/2024年妇幼卫生年报.xlsx";
const CIVIL_2024: &str = "民政局/民政2024年报.xlsx";

fn sample_inbox(tmp: &Path) -> PathBuf {
    let inbox = tmp.join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    std::fs::remove_dir_all(inbox.join("_truth")).unwrap();
    inbox
}

/// `wcmon ARGS` with `WCMON_AS_OF` set.
fn wcmon_at(as_of: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(args)
        .env("WCMON_LOG", "warn")
        .env("WCMON_AS_OF", as_of)
        .output()
        .expect("spawn wcmon");
    let run =
        Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() };
    eprintln!("$ WCMON_AS_OF={as_of} wcmon {}\n--- stdout\n{}--- stderr\n{}", args.join(" "), run.stdout, run.stderr);
    run
}

fn run_at(as_of: &str, mode: &str, inbox: &Path, db: &Path) -> Run {
    wcmon_at(as_of, &[mode, "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()])
}

/// Each bundled form: (id, body, name, due month-day), from the pipeline files themselves.
fn forms() -> BTreeMap<String, (String, String, String)> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root().join("pipelines/forms")) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let v: toml::Value = toml::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
        let s = |t: &str, k: &str| v[t][k].as_str().unwrap().to_string();
        out.insert(s("form", "id"), (s("form", "body"), s("form", "name"), s("schedule", "due")));
    }
    out
}

/// The reporting table as (form, year, area) -> (status, on_time, first_received, last_corrected, submissions).
type Report = BTreeMap<(String, i32, String), (String, Option<bool>, Option<String>, Option<String>, i32)>;

fn report(db: &Path) -> Report {
    let df = read(&db.join("reporting.parquet"));
    let (form, area, status, first, corr) =
        (strs(&df, "form"), strs(&df, "area"), strs(&df, "status"), strs(&df, "first_received"), strs(&df, "last_corrected"));
    let years = i32s(&df, "year");
    let subs = i32s(&df, "submissions");
    let on_time: Vec<Option<bool>> = df.column("on_time").unwrap().bool().unwrap().iter().collect();
    let expected: Vec<Option<bool>> = df.column("expected").unwrap().bool().unwrap().iter().collect();
    assert!(expected.iter().all(|e| *e == Some(true)), "every row of the sample is expected");
    (0..df.height())
        .map(|i| {
            (
                (form[i].clone().unwrap(), years[i].unwrap(), area[i].clone().unwrap()),
                (status[i].clone().unwrap(), on_time[i], first[i].clone(), corr[i].clone(), subs[i].unwrap()),
            )
        })
        .collect()
}

/// The form a sample file is a return of, by the bundled forms' file-name patterns.
fn form_of(file: &str) -> &'static str {
    [("妇幼卫生", "wjj_mch_annual"), ("民政", "mzj_committees_welfare"), ("教育事业统计", "jyj_education_by_town")]
        .iter()
        .find(|(k, _)| file.contains(k))
        .map(|(_, id)| *id)
        .unwrap()
}

#[test]
fn missing_late_pending_and_received_returns_with_the_run_summary_and_status() {
    let forms = forms();
    assert_eq!(forms.len(), 9, "{forms:?}");
    let (mch, civil) = (form_of(MCH_2024), form_of(CIVIL_2024));
    let (mch_body, mch_name, mch_due) = forms[mch].clone();
    let (civil_body, _, civil_due) = forms[civil].clone();
    let day = |md: &str| format!("2025-{md}");
    // Before every 2024 due date, between 民政局's and a week after both, as the test's own clock.
    let first_due = forms.values().map(|f| f.2.clone()).min().unwrap();
    let before = format!("2025-{}-01", &first_due[..2]);
    assert!(before < day(&first_due));
    let after = format!("2025-{:02}-{}", civil_due[..2].parse::<u32>().unwrap() + 1, "10");
    assert!(after > day(&civil_due) && after > day(&mch_due));

    let tmp = tempfile::tempdir().unwrap();
    let inbox = sample_inbox(tmp.path());
    let db = tmp.path().join("db");
    std::fs::remove_file(inbox.join(MCH_2024)).unwrap();
    let held = tmp.path().join("held.xlsx");
    std::fs::rename(inbox.join(CIVIL_2024), &held).unwrap();

    // Before the due dates: both 2024 returns are pending; the 43 others received
    // (already in the inbox at the first run: on time for 2024, whose due dates are
    // still ahead; unknown, and never late, for the earlier years).
    let r = run_at(&before, "run", &inbox, &db);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rep = report(&db);
    assert_eq!(rep.len(), 9 * 5, "9 forms x 2020-2024, the county each");
    let county = "421321".to_string();
    let by_status = |rep: &Report| {
        let mut m: BTreeMap<String, Vec<(String, i32)>> = BTreeMap::new();
        for (k, v) in rep {
            m.entry(v.0.clone()).or_default().push((k.0.clone(), k.1));
        }
        m
    };
    let st = by_status(&rep);
    assert_eq!(st["pending"], vec![(civil.to_string(), 2024), (mch.to_string(), 2024)]);
    assert_eq!(st["received"].len(), 43);
    assert_eq!(st.len(), 2, "{st:?}");
    for (k, v) in &rep {
        assert_eq!(k.2, county);
        if v.0 == "received" {
            let on_time = (k.1 == 2024).then_some(true);
            assert_eq!((v.1, v.2.as_deref(), v.3.as_deref(), v.4), (on_time, Some(format!("{before}T00:00:00Z").as_str()), None, 1), "{k:?}");
        }
    }
    assert!(r.stdout.contains("returns for 2024 (as of ") && r.stdout.contains("9 expected, 7 received, 0 late, 0 missing, 2 pending"), "{}", r.stdout);

    // Nothing changed in the inbox, but 卫健局's due date has passed (民政局's has not):
    // the run publishes, and only the first is missing.
    assert!(day(&mch_due) < day(&civil_due), "the sample's schedules: {mch_due} {civil_due}");
    let between = format!("2025-{}-{:02}", &mch_due[..2], mch_due[3..].parse::<u32>().unwrap() + 1);
    assert!(between > day(&mch_due) && between < day(&civil_due), "{between}");
    let r = run_at(&between, "run", &inbox, &db);
    assert!(r.stdout.contains("0 read, 43 unchanged") && r.stdout.contains("1 missing, 1 pending"), "{}", r.stdout);
    let st = by_status(&report(&db));
    assert_eq!((st["missing"].clone(), st["pending"].clone()), (vec![(mch.to_string(), 2024)], vec![(civil.to_string(), 2024)]));

    // After the due dates: 民政局's return arrives late, 卫健局's never did.
    std::fs::rename(&held, inbox.join(CIVIL_2024)).unwrap();
    let r = run_at(&after, "run", &inbox, &db);
    assert_eq!(r.code, 0, "missing and late returns are warnings, not errors: {}", r.stderr);
    let rep = report(&db);
    let st = by_status(&rep);
    assert_eq!(st["missing"], vec![(mch.to_string(), 2024)]);
    assert_eq!(st["late"], vec![(civil.to_string(), 2024)]);
    assert_eq!(st["received"].len(), 43);
    assert_eq!(st.len(), 3, "{st:?}");
    let late = &rep[&(civil.to_string(), 2024, county.clone())];
    assert_eq!((late.1, late.2.as_deref(), late.4), (Some(false), Some(format!("{after}T00:00:00Z").as_str()), 1));
    let missing = &rep[&(mch.to_string(), 2024, county.clone())];
    assert_eq!((missing.1, missing.2.as_deref(), missing.4), (None, None, 0));
    // The summary names the missing return and its body, and the late one.
    assert!(r.stdout.contains("1 late, 1 missing, 0 pending"), "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("missing:")).unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(line.contains(&mch_body) && line.contains(&mch_name) && line.contains("2024"), "{line}");
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("late:")).unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(line.contains(&civil_body), "{line}");
    // An issue row each, with the due date as expected.
    let issues = read(&db.join("issues.parquet"));
    let (rule, form, sev, exp) = (strs(&issues, "rule"), strs(&issues, "form"), strs(&issues, "severity"), strs(&issues, "expected"));
    let mut rows: Vec<(String, String, String, String)> = (0..issues.height())
        .filter(|&i| rule[i].as_deref().is_some_and(|r| r.starts_with("return_")))
        .map(|i| (rule[i].clone().unwrap(), form[i].clone().unwrap(), sev[i].clone().unwrap(), exp[i].clone().unwrap()))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![("return_late".into(), civil.into(), "warning".into(), day(&civil_due)), ("return_missing".into(), mch.into(), "warning".into(), day(&mch_due)),]
    );

    // `wcmon status`, JSON and text.
    let s = wcmon(&["status", "--db", db.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s.code, 0);
    let j: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(j["year"], 2024);
    let body = |name: &str| j["bodies"].as_array().unwrap().iter().find(|b| b["reporter"] == name).unwrap().clone();
    let (h, c) = (body(&mch_body), body(&civil_body));
    // 卫健局 has two forms (the annual return and the services list): one missing, one received.
    assert_eq!((h["expected"].as_u64(), h["received"].as_u64(), h["missing"].as_u64(), h["late"].as_u64()), (Some(2), Some(1), Some(1), Some(0)));
    assert_eq!((c["expected"].as_u64(), c["received"].as_u64(), c["late"].as_u64(), c["missing"].as_u64()), (Some(1), Some(1), Some(1), Some(0)));
    assert_eq!(c["returns"][0]["files"], serde_json::json!([CIVIL_2024]));
    let total: u64 = j["bodies"].as_array().unwrap().iter().map(|b| b["expected"].as_u64().unwrap()).sum();
    assert_eq!(total, 9);
    let t = wcmon(&["status", "--db", db.to_str().unwrap()]);
    assert_eq!(t.code, 0);
    assert!(t.stdout.contains(&format!("[missing] {mch} ")) && t.stdout.contains(&format!("[late] {civil} ")), "{}", t.stdout);
    assert!(t.stdout.contains(CIVIL_2024));
    // An earlier year, and one the table does not have.
    let y = wcmon(&["status", "--db", db.to_str().unwrap(), "--year", "2021", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&y.stdout).unwrap();
    assert_eq!(j["bodies"].as_array().unwrap().iter().map(|b| b["received"].as_u64().unwrap()).sum::<u64>(), 9);
    assert_eq!(wcmon(&["status", "--db", db.to_str().unwrap(), "--year", "2031"]).code, 1);

    // Nothing changed, a month later: the version stands (no due date passed in between).
    let later = format!("2025-{:02}-{}", civil_due[..2].parse::<u32>().unwrap() + 1, "20");
    let again = run_at(&later, "run", &inbox, &db);
    assert!(again.stdout.contains("none new or changed"), "{}", again.stdout);
}

/// Set a file's modification time.
fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

fn in_force(db: &Path) -> BTreeMap<String, String> {
    let subs = read(&db.join("submissions.parquet"));
    let (f, s) = (strs(&subs, "source_file"), strs(&subs, "status"));
    (0..subs.height()).map(|i| (f[i].clone().unwrap(), s[i].clone().unwrap())).collect()
}

fn ambiguous(db: &Path) -> Vec<String> {
    let issues = read(&db.join("issues.parquet"));
    let (rule, msg) = (strs(&issues, "rule"), strs(&issues, "message"));
    (0..issues.height()).filter(|&i| rule[i].as_deref() == Some("supersession_ambiguous")).map(|i| msg[i].clone().unwrap()).collect()
}

#[test]
fn corrections_stay_in_force_when_the_inbox_is_copied_with_new_times_and_after_a_rebuild() {
    let forms = forms();
    let tmp = tempfile::tempdir().unwrap();
    let faulty = tmp.path().join("faulty");
    assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    let inbox = sample_inbox(tmp.path());
    let db = tmp.path().join("db");
    assert_eq!(run_at("2025-02-01", "run", &inbox, &db).code, 0);

    // Two corrections arrive: one marked 更正 in its name, one sent again under another
    // name with other content (the faulty sample's education return), unmarked.
    let (marked, original_a) = ("生态环境局/全县主要指标_5_更正.xlsx", "生态环境局/全县主要指标_5.xlsx");
    let (resent, original_b) = ("教育局/教育事业统计2024(再次报送).xlsx", "教育局/教育事业统计2024.xlsx");
    std::fs::copy(faulty.join(marked), inbox.join(marked)).unwrap();
    std::fs::copy(faulty.join(original_b), inbox.join(resent)).unwrap();
    assert_ne!(std::fs::read(inbox.join(resent)).unwrap(), std::fs::read(inbox.join(original_b)).unwrap());
    let arrived = "2025-03-20";
    run_at(arrived, "run", &inbox, &db);
    let want: BTreeMap<&str, &str> = [(marked, "loaded"), (original_a, "superseded"), (resent, "loaded"), (original_b, "superseded")].into();
    let check = |db: &Path, what: &str| {
        let got = in_force(db);
        for (f, s) in &want {
            assert_eq!(got.get(*f).map(String::as_str), Some(*s), "{what}: {f}");
        }
        assert_eq!(got.values().filter(|s| *s == "superseded").count(), 2, "{what}");
    };
    check(&db, "after the corrections arrived");
    assert!(ambiguous(&db).is_empty());
    // Both are corrections of returns received at the first run.
    let rep = report(&db);
    let edu = rep.iter().find(|(k, _)| k.0 == "jyj_education_by_town" && k.1 == 2024).unwrap().1.clone();
    let env_id = forms.iter().find(|(_, f)| f.0 == "生态环境局").unwrap().0.clone();
    let env = rep.iter().find(|(k, _)| k.0 == env_id && k.1 == 2024).unwrap().1.clone();
    for row in [&edu, &env] {
        assert_eq!(row.0, "corrected");
        assert_eq!(row.2.as_deref(), Some("2025-02-01T00:00:00Z"));
        assert_eq!(row.3.as_deref(), Some(format!("{arrived}T00:00:00Z").as_str()));
        assert_eq!(row.4, 2);
    }

    // The inbox copied without its times (every file new), the originals now the newest.
    let copy = tmp.path().join("copy");
    copy_dir(&inbox, &copy);
    let now = SystemTime::now();
    for f in walkdir::WalkDir::new(&copy).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()) {
        set_mtime(f.path(), now);
    }
    for f in [original_a, original_b] {
        set_mtime(&copy.join(f), now + Duration::from_secs(3600));
    }
    for f in [marked, resent] {
        set_mtime(&copy.join(f), now - Duration::from_secs(3600));
    }
    run_at("2025-03-21", "run", &copy, &db);
    check(&db, "the copy with swapped times");
    assert!(ambiguous(&db).is_empty());
    let before_rebuild = report(&db);
    // A rebuild re-reads everything and keeps the first sightings.
    run_at("2025-03-22", "rebuild", &copy, &db);
    check(&db, "the rebuild");
    assert_eq!(report(&db), before_rebuild, "first_received and last_corrected survive the rebuild");
    assert!(std::fs::read_to_string(db.join("state/first_seen.json")).unwrap().contains(resent));

    // A database that sees both at once cannot tell: the file times decide, and it says so.
    let fresh = tmp.path().join("fresh");
    run_at("2025-03-22", "run", &copy, &fresh);
    let got = in_force(&fresh);
    assert_eq!(got[marked], "loaded", "the mark decides without a history");
    assert_eq!((got[original_b].as_str(), got[resent].as_str()), ("loaded", "superseded"), "modified later");
    let warned = ambiguous(&fresh);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains(original_b) && warned[0].contains(resent), "{warned:?}");
}

#[test]
fn a_bad_schedule_stops_the_run_with_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, (from, to, says)) in [
        ("due = \"03-15\"", "due = \"02-30\"", "not a day of the year"),
        ("every = \"year\"", "every = \"week\"", "unknown variant"),
        ("from = 2020", "from = 2020\nareas = \"village\"", "no area of areas.toml has that level"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = tmp.path().join(format!("p{n}"));
        copy_dir(&root().join("pipelines"), &p);
        let file = p.join("forms/卫健局/mch_annual.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(&file, text.replace(from, to)).unwrap();
        let db = tmp.path().join("db");
        let r = wcmon(&["--pipelines", p.to_str().unwrap(), "run", "--inbox", root().join("sample_data").to_str().unwrap(), "--db", db.to_str().unwrap()]);
        assert_eq!(r.code, 2, "case {n}");
        assert!(r.stderr.contains("mch_annual.toml") && r.stderr.contains(says), "case {n}: {}", r.stderr);
        // The TOML errors say where; the level check names the key.
        assert!(r.stderr.contains("line") || r.stderr.contains("[schedule] areas"), "case {n}: {}", r.stderr);
        assert!(!db.exists(), "nothing written before the pipeline files are checked");
    }
}
