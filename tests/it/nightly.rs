//! Nightly runs: nothing re-read when nothing changed, corrections supersede and
//! are audited, removed files are recorded, rebuild == incremental, one writer
//! at a time, and a run killed at any step of the publish leaves a complete
//! database behind.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const CORRECTED: &str = "生态环境局/全县主要指标_5_更正.xlsx";
const ORIGINAL: &str = "生态环境局/全县主要指标_5.xlsx";

fn sample_inbox(tmp: &Path) -> PathBuf {
    let inbox = tmp.join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    std::fs::remove_dir_all(inbox.join("_truth")).unwrap();
    inbox
}

/// The correction file of the faulty sample (the 2024 county indicators, air quality +10, illiteracy 120%).
fn correction(tmp: &Path) -> PathBuf {
    let faulty = tmp.join("faulty");
    if !faulty.exists() {
        assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    }
    faulty.join(CORRECTED)
}

fn run_db(inbox: &Path, db: &Path, mode: &str) -> Run {
    wcmon(&[mode, "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()])
}

fn current(db: &Path) -> String {
    std::fs::read_link(db.join("current")).unwrap().to_string_lossy().to_string()
}

/// Every data file of the current version, by relative path (aside the manifest, the audit log and
/// reporting.parquet, which say what *this* database saw when: another one has its own dates).
fn tables(db: &Path) -> Vec<(String, Vec<u8>)> {
    let cur = db.join("current");
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&cur)
        .follow_links(true)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(&cur).unwrap().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap()))
        .filter(|(p, _)| p != "manifest.json" && p != "changes.parquet" && p != "reporting.parquet")
        .collect();
    v.sort();
    v
}

fn truth_value(de: &str, sex: &str) -> f64 {
    truth_csv("data_values.csv")
        .into_iter()
        .find(|r| r["data_element"] == de && r["area"] == "421321" && r["year"] == "2024" && r["sex"] == sex)
        .map(|r| r["value"].parse().unwrap())
        .unwrap()
}

#[test]
fn unchanged_inbox_reads_nothing_and_keeps_the_version() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = sample_inbox(tmp.path());
    let db = tmp.path().join("db");
    let first = run_db(&inbox, &db, "run");
    assert_eq!(first.code, 0);
    assert!(first.stdout.contains("45 read, 0 unchanged"), "{}", first.stdout);
    let before = tables(&db);
    let v1 = current(&db);
    let again = run_db(&inbox, &db, "run");
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("none new or changed: 0 read"), "{}", again.stdout);
    assert_eq!(current(&db), v1, "no new version");
    assert_eq!(tables(&db), before);
    let log = std::fs::read_to_string(db.join("state/runs.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!((last["outcome"].as_str(), last["files_read"].as_u64()), (Some("unchanged"), Some(0)));
    // A touched but identical file is not parsed again; the tables are the same bytes.
    let f = std::fs::File::options().write(true).open(inbox.join("卫健局/2024年妇幼卫生年报.xlsx")).unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
    let touched = run_db(&inbox, &db, "run");
    assert!(touched.stdout.contains("0 read, 45 unchanged"), "{}", touched.stdout);
    assert_eq!(tables(&db), before);
}

#[test]
fn corrections_supersede_removals_are_recorded_and_rebuild_equals_incremental() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = sample_inbox(tmp.path());
    let db = tmp.path().join("db");
    assert_eq!(run_db(&inbox, &db, "run").code, 0);

    // A corrected return arrives (newer than the original): it supersedes the original.
    std::fs::copy(correction(tmp.path()), inbox.join(CORRECTED)).unwrap();
    let r = run_db(&inbox, &db, "run");
    assert_eq!(r.code, 1, "the correction carries a rate above 100%");
    assert!(r.stdout.contains("1 superseded") && r.stdout.contains("1 read, 45 unchanged"), "{}", r.stdout);
    let subs = read(&db.join("submissions.parquet"));
    let (sf, st, sb, sid) = (strs(&subs, "source_file"), strs(&subs, "status"), strs(&subs, "superseded_by"), strs(&subs, "submission"));
    let at = |f: &str| (0..subs.height()).find(|&i| sf[i].as_deref() == Some(f)).unwrap();
    assert_eq!(st[at(ORIGINAL)].as_deref(), Some("superseded"));
    assert_eq!(sb[at(ORIGINAL)], sid[at(CORRECTED)]);

    // The changes table holds exactly the two values the correction changed.
    let ch = read(&db.join("changes.parquet"));
    let (kind, de, old, new) = (strs(&ch, "kind"), strs(&ch, "data_element"), f64s(&ch, "old_value"), f64s(&ch, "new_value"));
    let rows: Vec<(String, String, Option<f64>, Option<f64>)> =
        (0..ch.height()).map(|i| (kind[i].clone().unwrap(), de[i].clone().unwrap(), old[i], new[i])).collect();
    let air = truth_value("air_quality_good_days", "_T");
    let illiteracy = truth_value("illiteracy_rate", "F");
    assert_eq!(
        rows,
        vec![
            ("changed".to_string(), "air_quality_good_days".to_string(), Some(air), Some(air + 10.0)),
            // 120% is withheld by rate_out_of_range: the value leaves the database.
            ("removed".to_string(), "illiteracy_rate".to_string(), Some((illiteracy * 10.0).round() / 10.0), None),
        ]
    );
    let reasons = strs(&ch, "reason");
    assert!(reasons[0].as_deref().unwrap().starts_with("correction: 生态环境局/全县主要指标_5_更正.xlsx supersedes"), "{reasons:?}");

    // A file removed from the inbox: its values disappear, and each is recorded.
    let gone = "组织部/2024年基层党组织和妇女儿童工作.xlsx";
    let dv = read_partitioned(&db.join("data_values"));
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let had = strs(&dv, "source_file").iter().enumerate().filter(|(i, f)| f.as_deref() == Some(gone) && derived.get(*i) == Some(false)).count();
    assert!(had > 100);
    std::fs::remove_file(inbox.join(gone)).unwrap();
    run_db(&inbox, &db, "run");
    let dv = read_partitioned(&db.join("data_values"));
    assert!(!strs(&dv, "source_file").iter().any(|f| f.as_deref() == Some(gone)));
    let ch = read(&db.join("changes.parquet"));
    let removed = (0..ch.height())
        .filter(|&i| strs(&ch, "kind")[i].as_deref() == Some("removed") && strs(&ch, "reason")[i].as_deref() == Some(&format!("file removed: {gone}")))
        .count();
    assert_eq!(removed, had);
    assert_eq!(ch.height(), 2 + had, "the audit trail keeps the earlier rows");

    // The same inbox from scratch gives the same bytes.
    let fresh = tmp.path().join("fresh");
    run_db(&inbox, &fresh, "rebuild");
    let (a, b) = (tables(&db), tables(&fresh));
    assert_eq!(a.iter().map(|x| &x.0).collect::<Vec<_>>(), b.iter().map(|x| &x.0).collect::<Vec<_>>());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between the incremental run and the rebuild");
    }
    // An identical file sent again under another name supersedes the first and changes nothing.
    std::fs::copy(inbox.join("民政局/民政2024年报.xlsx"), inbox.join("民政局/民政2024年报(再次报送).xlsx")).unwrap();
    let r = run_db(&inbox, &db, "run");
    assert!(r.stdout.contains("changes to reported values since the last version: 0"), "{}", r.stdout);
}

/// Start a run that stops at a publish step; returns the child once it is there.
fn paused_run(inbox: &Path, db: &Path, step: &str, marker: &Path) -> std::process::Child {
    let _ = std::fs::remove_file(marker);
    let child = Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .env("WCMON_PAUSE_AT", step)
        .env("WCMON_PAUSE_FILE", marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !marker.exists() {
        assert!(t.elapsed() < Duration::from_secs(120), "the run never reached {step}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
#[cfg_attr(not(feature = "test-hooks"), ignore = "needs the crash-point hook: cargo test --features test-hooks (tools/test passes it)")]
fn a_second_run_waits_its_turn_and_a_dead_runs_lock_is_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = sample_inbox(tmp.path());
    let db = tmp.path().join("db");
    let mut first = paused_run(&inbox, &db, "staged", &tmp.path().join("marker"));
    let second = run_db(&inbox, &db, "run");
    assert_eq!(second.code, 3, "the documented exit code for a busy database");
    assert!(second.stderr.contains("another wcmon run is writing") && second.stderr.contains(&format!("pid {}", first.id())), "{}", second.stderr);
    first.kill().unwrap();
    first.wait().unwrap();
    let third = run_db(&inbox, &db, "run");
    assert_eq!(third.code, 0);
    assert!(third.stderr.contains("ended without releasing the lock"), "{}", third.stderr);
}

#[test]
#[cfg_attr(not(feature = "test-hooks"), ignore = "needs the crash-point hook: cargo test --features test-hooks (tools/test passes it)")]
fn killed_at_any_publish_step_readers_see_a_complete_version_and_the_next_run_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = sample_inbox(tmp.path());
    let base = tmp.path().join("base");
    assert_eq!(run_db(&inbox, &base, "run").code, 0);
    let v1 = tables(&base);
    // The next version: the inbox with a correction, built from scratch for reference.
    std::fs::copy(correction(tmp.path()), inbox.join(CORRECTED)).unwrap();
    let reference = tmp.path().join("reference");
    run_db(&inbox, &reference, "rebuild");
    let v2 = tables(&reference);
    assert_ne!(v1, v2);
    for step in ["staging", "staged", "switched", "pruned"] {
        let db = tmp.path().join(format!("db-{step}"));
        let cp = Command::new("cp").args(["-a", base.to_str().unwrap(), db.to_str().unwrap()]).status().unwrap();
        assert!(cp.success());
        let mut child = paused_run(&inbox, &db, step, &tmp.path().join(format!("marker-{step}")));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let seen = tables(&db);
        let want = if matches!(step, "staging" | "staged") { &v1 } else { &v2 };
        assert!(&seen == want, "after a kill at {step} the database is neither whole version");
        // Every table a reader opens through the top-level names is whole.
        let _ = read(&db.join("issues.parquet"));
        let _ = read_partitioned(&db.join("data_values"));
        let r = run_db(&inbox, &db, "run");
        assert_eq!(r.code, 1, "after {step}: {}", r.stderr);
        assert!(tables(&db) == v2, "the run after a kill at {step} publishes the new version");
        let staging_left = std::fs::read_dir(db.join("versions")).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".staging"));
        assert!(!staging_left, "leftovers of the killed run are cleaned up");
    }
}
