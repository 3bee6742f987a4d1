//! The published database read by every client a statistician may use: recent
//! pyarrow (dataset filters on strings), pandas `filters=`, Polars and DuckDB, and
//! pyarrow 14 in its own virtualenv (`WCMON_OLD_PYTHON`, made by tools/test), on a
//! database of one file per year and on one written in parts, every table of the
//! registry (`wcmon::tables`). The column types are in tests/python/check_clients.py;
//! each file's `sorting_columns` (checked against its rows) and grain in tests/it/tables.rs.

use crate::common;

use common::*;

fn clients(python: &str, db: &std::path::Path, old: bool) {
    let registry = db.with_file_name("registry.json");
    std::fs::write(&registry, serde_json::to_string(&wcmon::tables::TABLES).unwrap()).unwrap();
    let mut cmd = std::process::Command::new(python);
    cmd.arg(root().join("tests/python/check_clients.py")).arg(&registry).arg(db);
    if old {
        cmd.arg("--old");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{python}: {e} (run the tests through tools/test)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check_clients.py failed (tools/test installs its clients)\n{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 failures"), "{stdout}");
    // Every table a run publishes was read, each a line.
    let tables = wcmon::tables::of_a_run().count();
    assert!(old || stdout.lines().filter(|l| l.contains(" in pyarrow, pandas, polars, duckdb")).count() == tables, "{stdout}");
}

fn old_python() -> String {
    std::env::var("WCMON_OLD_PYTHON").unwrap_or_else(|_| panic!("WCMON_OLD_PYTHON is not set: tools/test makes the pyarrow 14 virtualenv and sets it"))
}

#[test]
fn every_table_read_by_pyarrow_pandas_polars_duckdb_and_pyarrow_14() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    clients("python3", &db, false);
    clients(&old_python(), &db, true);
}

#[test]
fn a_database_written_in_parts_read_by_every_client() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let r = wcmon(&["run", "--inbox", root().join("sample_data").to_str().unwrap(), "--db", db.to_str().unwrap(), "--part-values", "2000"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("computed in 2 parts"), "{}", r.stdout);
    clients("python3", &db, false);
    clients(&old_python(), &db, true);
}

/// The binary with stderr going to a file (as under cron or systemd), no WCMON_LOG.
fn run_logged(args: &[&str], tmp: &std::path::Path) -> (i32, String, String) {
    let log = tmp.join("stderr.log");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(args)
        .env_remove("WCMON_LOG")
        .stderr(std::fs::File::create(&log).unwrap())
        .output()
        .unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap();
    eprintln!("$ wcmon {}\n--- stdout\n{}--- stderr\n{stderr}", args.join(" "), String::from_utf8_lossy(&out.stdout));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), stderr)
}

#[test]
fn json_log_lines_when_stderr_is_a_file_a_line_per_stage_and_the_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let inbox = root().join("sample_data");
    let (code, stdout, stderr) = run_logged(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()], tmp.path());
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    let event = |msg: &str| lines.iter().find(|l| l["fields"]["message"] == msg).unwrap_or_else(|| panic!("no {msg:?} line in\n{stderr}"));
    for stage in
        ["discovered returns", "stage read", "stage validated", "stage frames", "stage aggregated", "stage indicators", "stage changes", "stage published"]
    {
        let e = event(stage);
        assert_eq!(e["level"], "INFO");
        assert!(e["timestamp"].is_string(), "{e}");
        assert!(stage == "discovered returns" || e["fields"]["ms"].is_u64(), "{e}");
    }
    // The counts agree with the summary on stdout.
    let read = event("stage read");
    let files = stdout.split("wcmon run: ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse::<u64>().ok()).unwrap();
    assert_eq!(read["fields"]["files"], files);
    assert_eq!(read["fields"]["read"], files);
    let landed: u64 = stdout.split("values landed ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert_eq!(event("stage validated")["fields"]["landed"], landed);
    let done = event("run finished");
    assert_eq!(done["fields"]["outcome"], "ok");
    assert_eq!(done["fields"]["version"], "v000001");
    assert_eq!(done["fields"]["errors"], 0);
    // Run again: nothing changed, and the log says so in one line.
    let (code, _, stderr) = run_logged(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()], tmp.path());
    assert_eq!(code, 0);
    let last: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!((last["fields"]["message"].as_str(), last["fields"]["outcome"].as_str()), (Some("run finished"), Some("unchanged")));
    // Text when asked for.
    let (code, _, stderr) = run_logged(&["--log-format", "text", "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()], tmp.path());
    assert_eq!(code, 0);
    assert!(stderr.lines().any(|l| l.contains("run finished") && serde_json::from_str::<serde_json::Value>(l).is_err()), "{stderr}");
}

#[test]
fn a_log_format_that_is_not_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_logged(&["--log-format", "jsn", "run", "--db", tmp.path().join("db").to_str().unwrap()], tmp.path());
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'jsn'") && stderr.contains("auto") && stderr.contains("json"), "{stderr}");
    assert!(!tmp.path().join("db").exists());
}

#[test]
fn a_missing_pipelines_folder_is_named_and_every_argument_has_help() {
    let tmp = tempfile::tempdir().unwrap();
    let r = wcmon(&["--pipelines", tmp.path().join("nope").to_str().unwrap(), "run", "--db", tmp.path().join("db").to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("the pipelines folder {} (--pipelines) does not exist", tmp.path().join("nope").display())), "{}", r.stderr);
    // Run from another folder without --pipelines: the binary's source tree has them (a cargo build).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(tmp.path())
        .args(["check", root().join("sample_data/卫健局").read_dir().unwrap().next().unwrap().unwrap().path().to_str().unwrap(), "--db", "none"])
        .env("WCMON_LOG", "warn")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pipeline"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("form "), "{}", String::from_utf8_lossy(&out.stdout));
    // Every argument of every command has a help line.
    for cmd in ["run", "rebuild", "check", "inspect", "generate"] {
        let r = wcmon(&[cmd, "--help"]);
        assert_eq!(r.code, 0);
        let lines: Vec<&str> = r.stdout.lines().collect();
        let mut in_args = false;
        let indent = |l: &str| l.len() - l.trim_start().len();
        for (k, line) in lines.iter().enumerate() {
            if line.ends_with("Arguments:") || line.ends_with("Options:") {
                in_args = true;
                continue;
            }
            // An argument's line: its name, then its help on the same line (or the next, indented further).
            if in_args && indent(line) <= 6 && (line.trim_start().starts_with('-') || line.trim_start().starts_with('<')) {
                let inline = line.trim_start().split_once("  ").map(|(_, h)| h.trim()).unwrap_or("");
                let next = lines.get(k + 1).filter(|n| indent(n) > indent(line)).map(|n| n.trim()).unwrap_or("");
                assert!(!inline.is_empty() || !next.is_empty(), "wcmon {cmd}: no help for {line:?}\n{}", r.stdout);
            }
        }
    }
}

#[test]
fn the_run_summary_and_the_check_report_in_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = root().join("sample_data");
    let en = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", tmp.path().join("en").to_str().unwrap()]);
    let zh = wcmon(&["--lang", "zh", "run", "--inbox", inbox.to_str().unwrap(), "--db", tmp.path().join("zh").to_str().unwrap()]);
    assert_eq!((en.code, zh.code), (0, 0));
    // The English numbers, in the Chinese lines.
    let after = |s: &str, key: &str| s.split(key).nth(1).and_then(|t| t.split(|c: char| !c.is_ascii_digit()).find(|x| !x.is_empty())).map(str::to_string);
    for (en_key, zh_key) in [("cells read ", "读取单元格 "), ("values landed ", "入库数值 "), ("rejected ", "拒收 "), ("aggregated ", "汇总 ")] {
        let n = after(&en.stdout, en_key).unwrap();
        assert_eq!(after(&zh.stdout, zh_key).as_deref(), Some(n.as_str()), "{zh_key}\n{}", zh.stdout);
    }
    let files = after(&en.stdout, "wcmon run: ").unwrap();
    assert!(zh.stdout.starts_with(&format!("wcmon run：共 {files} 个文件（载入 ")), "{}", zh.stdout);
    assert!(zh.stdout.contains("问题：错误 0 个") && zh.stdout.contains("数据库：") && !zh.stdout.contains("values landed"), "{}", zh.stdout);
    // The locale decides without --lang.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(["run", "--inbox", inbox.to_str().unwrap(), "--db", tmp.path().join("zh").to_str().unwrap()])
        .env("WCMON_LOG", "warn")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("没有新增或更改的") && stdout.contains("该版本中的问题"), "{stdout}");
    // The check report: its headings, severities and totals in Chinese; rule codes stay codes.
    let file = inbox.join("卫健局/2024年妇幼卫生年报.xlsx");
    let r = wcmon(&["--lang", "zh", "check", file.to_str().unwrap(), "--db", tmp.path().join("none").to_str().unwrap(), "--all"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("报表格式 ") && r.stdout.contains(" · 已载入 · 读取单元格 "), "{}", r.stdout);
    assert!(r.stdout.contains("【提示】skipped_total（"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("条提示") && r.stdout.contains("共检查 1 个文件：0 个错误"), "{}", r.stdout);
    let en = wcmon(&["--lang", "en", "check", file.to_str().unwrap(), "--db", tmp.path().join("none").to_str().unwrap(), "--all"]);
    assert!(en.stdout.contains("[info] skipped_total (") && en.stdout.contains("checked 1 files: 0 errors"), "{}", en.stdout);
    // A value that is not a language is refused.
    assert_eq!(wcmon(&["--lang", "fr", "check", file.to_str().unwrap()]).code, 2);
}
