//! Typed errors through the run (issue 21): a run that stops says which file or
//! folder stopped it, in the language asked for — the state that cannot be
//! written, a kept part's folder that cannot be made, a bad `WCMON_AS_OF`, an
//! empty inbox — and never as a "compute:" error.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SAMPLE_RETURN: &str = "sample_data/卫健局/2024年妇幼卫生年报.xlsx";

/// An inbox of one sample return.
fn one_return(tmp: &Path) -> PathBuf {
    let inbox = tmp.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(root().join(SAMPLE_RETURN), inbox.join("2024年妇幼卫生年报.xlsx")).unwrap();
    inbox
}

/// The line of stderr that is the run's error (the logs are the other lines).
fn error_line(stderr: &str, prefix: &str) -> String {
    stderr.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{stderr}")).to_string()
}

#[test]
fn a_state_that_cannot_be_written_stops_the_run_naming_the_folder_in_english_or_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = one_return(tmp.path());
    for (lang, prefix, says) in [("en", "wcmon: run failed: ", ""), ("zh", "wcmon：运行失败：", "无法读写")] {
        let db = tmp.path().join(format!("db-{lang}"));
        std::fs::create_dir_all(&db).unwrap();
        // A file where the state folder goes.
        std::fs::write(db.join("state"), b"not a folder").unwrap();
        let r = wcmon(&["--lang", lang, "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
        assert_eq!(r.code, 4, "{}", r.stderr);
        let line = error_line(&r.stderr, prefix);
        assert!(line.contains(&db.join("state").join("cache").display().to_string()), "{line}");
        assert!(line.contains(says) && !line.contains("compute:") && !line.contains("state: "), "{line}");
    }
}

#[test]
fn a_kept_parts_folder_that_cannot_be_made_stops_a_split_run_before_it_publishes() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    std::fs::remove_dir_all(inbox.join("_truth")).unwrap();
    let db = tmp.path().join("db");
    std::fs::create_dir_all(db.join("state")).unwrap();
    std::fs::write(db.join("state/parts"), b"not a folder").unwrap();
    let r = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap(), "--part-values", "2000"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let line = error_line(&r.stderr, "wcmon: run failed: ");
    // The part's folder under state/parts, by its key.
    let parts = db.join("state/parts").display().to_string();
    assert!(line.starts_with(&format!("wcmon: run failed: {parts}/")), "{line}");
    assert!(!db.join("current").exists(), "a version was published");
}

#[test]
fn a_bad_as_of_date_and_an_empty_inbox_are_said_in_the_language_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = one_return(tmp.path());
    let db = tmp.path().join("db");
    let run_as_of = |lang: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_wcmon"))
            .current_dir(root())
            .args(["--lang", lang, "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()])
            .env("WCMON_LOG", "warn")
            .env("WCMON_AS_OF", "2025-13-45x")
            .output()
            .expect("spawn wcmon");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, stderr) = run_as_of("en");
    assert_eq!(code, Some(4), "{stderr}");
    assert_eq!(error_line(&stderr, "wcmon: run failed: "), "wcmon: run failed: WCMON_AS_OF=\"2025-13-45x\" is not a date (YYYY-MM-DD)");
    let (code, stderr) = run_as_of("zh");
    assert_eq!(code, Some(4), "{stderr}");
    assert_eq!(error_line(&stderr, "wcmon："), "wcmon：运行失败：WCMON_AS_OF=\"2025-13-45x\" 不是日期（应为 YYYY-MM-DD）");
    assert!(!db.join("current").exists(), "a version was published");

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = wcmon(&["--lang", "zh", "run", "--inbox", empty.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let line = error_line(&r.stderr, "wcmon：未发布任何内容：");
    assert!(line.contains(&format!("收件箱 {} 中没有任何报表", empty.display())) && line.contains("数据库保持原样"), "{line}");
    let missing = tmp.path().join("missing");
    let r = wcmon(&["run", "--inbox", missing.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(
        error_line(&r.stderr, "wcmon: nothing published: "),
        format!(
            "wcmon: nothing published: the inbox {} does not exist (not mounted? a wrong path?): nothing was published, the database stays as it was",
            missing.display()
        )
    );
}
