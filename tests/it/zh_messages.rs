//! Errors in Chinese (issue 23.7): a broken pipelines folder gives its file, line and
//! offending value in Chinese under `--lang zh` (or a Chinese locale) and the same in
//! English under `--lang en`; a missing pipelines folder and the panic line likewise;
//! every issue code has a Chinese message (a test of the catalogue that `i18n` cannot
//! hold itself: it names config's codes, and config uses i18n).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The binary with a locale of its own; its exit code and stderr.
fn wcmon_env(env: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wcmon"));
    cmd.current_dir(root()).args(args).env("WCMON_LOG", "warn").env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("LANG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("spawn wcmon");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!("$ {env:?} wcmon {}\n--- stderr\n{stderr}", args.join(" "));
    (out.status.code().unwrap_or(-1), stderr)
}

/// The bundled pipelines copied to `tmp/<name>`, with `file` (relative) rewritten by `edit`.
fn broken(tmp: &Path, name: &str, file: &str, edit: impl Fn(&str) -> String) -> (PathBuf, PathBuf, String) {
    let dir = tmp.join(name);
    copy_dir(&root().join("pipelines"), &dir);
    let path = dir.join(file);
    let before = std::fs::read_to_string(&path).unwrap();
    let text = edit(&before);
    assert_ne!(text, before, "{name}: the edit changed nothing");
    std::fs::write(&path, &text).unwrap();
    (dir, path, text)
}

/// The 1-based line of `text` where `needle` first appears.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} is not in the text")) + 1
}

/// `wcmon --lang <lang> --pipelines DIR run` on an inbox that does not exist: the
/// pipeline files are checked first (exit 2, nothing written).
fn run_in(lang: &str, dir: &Path, tmp: &Path) -> String {
    let (db, inbox) = (tmp.join("db"), tmp.join("no_inbox"));
    let args = ["--lang", lang, "--pipelines", dir.to_str().unwrap(), "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()];
    let (code, stderr) = wcmon_env(&[], &args);
    assert_eq!(code, 2, "{stderr}");
    assert!(!db.exists(), "nothing is written");
    stderr
}

#[test]
fn pipeline_file_mistakes_in_chinese_and_in_english() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // An unknown data element: the form's file, the line of the value, the value.
    let (dir, path, text) =
        broken(t, "de", "forms/民政局/committees_welfare.toml", |s| s.replacen("data_element = \"towns\"", "data_element = \"no_such_element\"", 1));
    let n = line_of(&text, "\"no_such_element\"");
    let zh = run_in("zh", &dir, t);
    assert!(zh.starts_with(&format!("wcmon：流程配置文件错误：{}：第 {n} 行：", path.display())), "{zh}");
    assert!(zh.contains("未知的数据元素 \"no_such_element\"（不在 pipelines/indicators.toml 中）") && !zh.contains("unknown data element"), "{zh}");
    let en = run_in("en", &dir, t);
    assert!(en.starts_with(&format!("wcmon: pipeline file error: {}: line {n}: ", path.display())), "{en}");
    assert!(en.contains("unknown data element \"no_such_element\" (not in pipelines/indicators.toml)") && !en.contains("未知"), "{en}");
    // The same Chinese under a Chinese locale without --lang; English under LANG=C.
    let (db, inbox) = (t.join("db"), t.join("no_inbox"));
    let args = ["--pipelines", dir.to_str().unwrap(), "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()];
    assert_eq!(wcmon_env(&[("LANG", "zh_CN.UTF-8")], &args), (2, zh));
    assert_eq!(wcmon_env(&[("LANG", "C")], &args), (2, en));

    // An unknown key: toml's own text, its place said in Chinese around it.
    let (dir, path, text) = broken(t, "key", "forms/民政局/committees_welfare.toml", |s| {
        s.replacen("label_column = \"单位名称\"", "label_column = \"单位名称\"\nlabel_colum = \"typo\"", 1)
    });
    let n = line_of(&text, "label_colum = ");
    let zh = run_in("zh", &dir, t);
    assert!(zh.starts_with(&format!("wcmon：流程配置文件错误：{}：第 {n} 行第 1 列有误（TOML）：\n", path.display())), "{zh}");
    assert!(zh.contains("unknown field `label_colum`") && !zh.contains("TOML parse error"), "{zh}");
    let en = run_in("en", &dir, t);
    assert!(en.contains(&format!("{}: TOML parse error at line {n}, column 1", path.display())) && en.contains("unknown field `label_colum`"), "{en}");

    // A bad value our own parser refuses inside toml's error: the reason in Chinese.
    let (dir, _, text) = broken(t, "due", "forms/教育局/education_by_town.toml", |s| s.replacen("due = \"03-31\"", "due = \"04-31\"", 1));
    let n = line_of(&text, "due = \"04-31\"");
    let zh = run_in("zh", &dir, t);
    assert!(zh.contains(&format!("第 {n} 行第 7 列有误（TOML）")), "{zh}");
    assert!(zh.contains("due \"04-31\" 不是一年中的日期（月份为 01-12，日期须是该月有的一天；不能用 02-29）"), "{zh}");
    assert!(run_in("en", &dir, t).contains("due \"04-31\" is not a day of the year"));

    // Two forms with one id: the second file (in path order) names the first.
    let dir = t.join("twice");
    copy_dir(&root().join("pipelines"), &dir);
    let first = dir.join("forms/教育局/education_by_town.toml");
    let second = dir.join("forms/教育局/zz_copy.toml");
    std::fs::copy(&first, &second).unwrap();
    let n = line_of(&std::fs::read_to_string(&second).unwrap(), "id = \"jyj_education_by_town\"");
    let zh = run_in("zh", &dir, t);
    assert!(zh.contains(&format!("{}：第 {n} 行：报表格式 id jyj_education_by_town 已被 {} 使用", second.display(), first.display())), "{zh}");
    let en = run_in("en", &dir, t);
    assert!(en.contains(&format!("{}: line {n}: form id jyj_education_by_town is also used by {}", second.display(), first.display())), "{en}");

    // A fixed area that areas.toml does not have.
    let (dir, path, text) = broken(t, "area", "forms/生态环境局/county_indicators.toml", |s| s.replacen("value = \"随县\"", "value = \"火星县\"", 1));
    let n = line_of(&text, "\"火星县\"");
    let zh = run_in("zh", &dir, t);
    assert!(zh.contains(&format!("{}：第 {n} 行：area.value \"火星县\" 不在 areas.toml 中", path.display())), "{zh}");
    assert!(run_in("en", &dir, t).contains(&format!("{}: line {n}: area.value \"火星县\" is not in areas.toml", path.display())));

    // areas.toml: a code given twice, at the line of the first.
    let (dir, path, text) = broken(t, "areas", "areas.toml", |s| format!("{s}\n[[area]]\ncode = \"421321\"\nname_zh = \"重复县\"\nlevel = \"county\"\n"));
    let n = line_of(&text, "code = \"421321\"");
    let zh = run_in("zh", &dir, t);
    assert!(zh.contains(&format!("{}：第 {n} 行：地区代码 421321 出现了两次", path.display())), "{zh}");
    assert!(run_in("en", &dir, t).contains(&format!("{}: line {n}: area code 421321 appears twice", path.display())));

    // A file that cannot be read: the reason in Chinese too.
    let dir = t.join("no_areas");
    copy_dir(&root().join("pipelines"), &dir);
    std::fs::remove_file(dir.join("areas.toml")).unwrap();
    let zh = run_in("zh", &dir, t);
    assert_eq!(zh.trim_end(), format!("wcmon：流程配置文件错误：无法读取 {}：文件不存在", dir.join("areas.toml").display()));
    assert!(run_in("en", &dir, t).starts_with(&format!("wcmon: pipeline file error: cannot read {}: ", dir.join("areas.toml").display())));
}

#[test]
fn a_missing_pipelines_folder_in_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let nope = tmp.path().join("nope");
    let nope_s = nope.to_str().unwrap();
    let (code, zh) = wcmon_env(&[], &["--lang", "zh", "--pipelines", nope_s, "run"]);
    assert_eq!((code, zh.trim_end()), (2, format!("wcmon：流程配置文件夹 {}（--pipelines）不存在", nope.display()).as_str()));
    let (code, en) = wcmon_env(&[], &["--lang", "en", "--pipelines", nope_s, "run"]);
    assert_eq!((code, en.trim_end()), (2, format!("wcmon: the pipelines folder {} (--pipelines) does not exist", nope.display()).as_str()));
    // `generate` with a helper script that is not there says so (not that the pipelines folder is missing).
    let out = tmp.path().join("out");
    let (code, zh) = wcmon_env(&[], &["--lang", "zh", "generate", "--write-xls", nope_s, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(zh.starts_with("wcmon generate：") && zh.contains("--write-xls") && !zh.contains("流程配置文件夹"), "{zh}");
}

#[test]
#[cfg_attr(not(feature = "test-hooks"), ignore = "needs the panic hook point: cargo test --features test-hooks (tools/test passes it)")]
fn the_panic_line_in_the_process_language_with_its_place() {
    let hook = [("WCMON_PANIC_AT", "main")];
    let (code, zh) = wcmon_env(&hook, &["--lang", "zh", "status", "--db", "none"]);
    assert_eq!(code, 101, "a panic's exit code");
    let zh = zh.trim_end();
    assert!(zh.starts_with("wcmon：内部错误：WCMON_PANIC_AT=main（src/main.rs:") && zh.ends_with("）。请把这一行报告给维护者"), "{zh}");
    assert_eq!(zh.lines().count(), 1, "one line, no backtrace: {zh}");
    let (_, en) = wcmon_env(&[hook[0], ("LANG", "en_US.UTF-8")], &["status", "--db", "none"]);
    let en = en.trim_end();
    assert!(en.starts_with("wcmon: internal error: WCMON_PANIC_AT=main (src/main.rs:") && en.ends_with(')'), "{en}");
    // The locale decides without --lang.
    let (_, zh2) = wcmon_env(&[hook[0], ("LANG", "zh_CN.UTF-8")], &["status", "--db", "none"]);
    assert_eq!(zh2.trim_end(), zh);
}

/// Moved from `i18n`'s unit tests (it names config's codes; config uses i18n, so
/// i18n must not use config): every issue code has its Chinese message.
#[test]
fn every_issue_code_has_a_chinese_message() {
    use wcmon::i18n::{tr, Lang};
    let has = |id: &str| tr(Lang::Zh, id, &[]) != id;
    let others = [
        "unreadable_file",
        "unrecognised_file",
        "ambiguous_form",
        "unreadable_sheet",
        "sheet_not_read",
        "inbox_entry",
        "part_recomputed",
        "rate_denominator_missing",
        "return_missing",
        "return_late",
        "superseded",
        "supersession_ambiguous",
        "balance_checked_nothing", // validate::IDLE_BALANCE
    ];
    let codes = wcmon::config::rules::BUILT_IN.iter().map(|b| b.0).chain(wcmon::config::forms::INGEST_FINDINGS.iter().copied()).chain(others);
    for code in codes {
        let id = format!("issue-{}", code.replace('_', "-"));
        assert!(has(&id), "zh.ftl has no {id}");
    }
    assert!(has(&format!("issue-{}", wcmon::validate::IDLE_BALANCE.replace('_', "-"))));
    // Every code of pipelines/README.md's table of issue codes is one of them.
    let readme = include_str!("../../pipelines/README.md");
    let table = readme.split("| `issues.rule` |").nth(1).expect("the table of issue codes").split("\n\n").next().unwrap_or_default();
    let mut seen = 0;
    for line in table.lines().skip(2) {
        let first = line.split('|').nth(1).unwrap_or_default();
        for code in first.split('`').skip(1).step_by(2).filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') && *c != "id") {
            assert!(has(&format!("issue-{}", code.replace('_', "-"))), "README code {code} has no zh message");
            seen += 1;
        }
    }
    assert!(seen > 20, "the README's table was read ({seen} codes)");
}
