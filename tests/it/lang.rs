//! Chinese output and the findings that say what they know: `--lang zh` for the
//! run summary and the check report (with the cells), `message_zh` on every issue
//! row and `warning_text_zh` on every progress row with a warning (the same bytes
//! whatever the locale), English under LANG=C, derivations counted by kind, and a
//! form's balance rule that checked nothing.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;

/// The binary with a locale of its own (none of LC_ALL, LC_MESSAGES set).
fn wcmon_in(lang_env: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(args)
        .env("WCMON_LOG", "warn")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang_env)
        .output()
        .expect("spawn wcmon");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into())
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// (file, sheet, cell, rule) of the generator's planted faults.
fn planted(inbox: &Path) -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(inbox.join("_truth/expected_findings.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

/// Every issue row has a Chinese message with no unfilled argument; a row at a cell names it.
fn assert_every_issue_in_chinese(db: &Path) -> usize {
    let issues = read(&db.join("issues.parquet"));
    let (zh, en, rule, sheet, cell) =
        (strs(&issues, "message_zh"), strs(&issues, "message"), strs(&issues, "rule"), strs(&issues, "source_sheet"), strs(&issues, "source_cell"));
    for i in 0..issues.height() {
        let m = zh[i].as_deref().unwrap_or_else(|| panic!("row {i} ({:?}): message_zh is null", rule[i]));
        assert!(has_cjk(m), "{:?}: {m:?} (message {:?})", rule[i], en[i]);
        assert!(!m.contains("{$") && !m.contains("{ $") && !m.contains("issue-"), "{:?}: an argument left unfilled: {m}", rule[i]);
        if let (Some(s), Some(c)) = (&sheet[i], &cell[i]) {
            assert!(m.contains(&format!("{s}!{c}")), "{:?}: the cell {s}!{c} is not named in {m:?}", rule[i]);
        }
    }
    issues.height()
}

#[test]
fn message_zh_on_every_issue_of_the_sample_and_of_the_faulty_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    assert!(assert_every_issue_in_chinese(&db) > 0);

    let faulty = tmp.path().join("faulty");
    assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    let db2 = tmp.path().join("db2");
    let r = wcmon(&["run", "--inbox", faulty.to_str().unwrap(), "--db", db2.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let n = assert_every_issue_in_chinese(&db2);
    // Every planted fault's row, by the generator's truth, is there with its Chinese message.
    let issues = read(&db2.join("issues.parquet"));
    let (file, sheet, cell, rule, zh) =
        (strs(&issues, "source_file"), strs(&issues, "source_sheet"), strs(&issues, "source_cell"), strs(&issues, "rule"), strs(&issues, "message_zh"));
    let want = planted(&faulty);
    assert!(want.len() > 50 && n > want.len(), "{} planted, {n} rows", want.len());
    for (f, s, c, ru) in &want {
        // (A finding for the whole file has neither sheet nor cell.)
        let (s_, c_) = ((!s.is_empty()).then_some(s.as_str()), (!c.is_empty()).then_some(c.as_str()));
        let i = (0..issues.height())
            .find(|&i| file[i].as_deref() == Some(f) && sheet[i].as_deref() == s_ && cell[i].as_deref() == c_ && rule[i].as_deref() == Some(ru))
            .unwrap_or_else(|| panic!("no row for {f} {s}!{c} {ru}"));
        let m = zh[i].as_deref().unwrap_or_default();
        assert!(has_cjk(m) && (c.is_empty() || m.contains(&format!("{s}!{c}"))), "{ru}: {m:?}");
    }
    // A declared rule says its description (rules.toml, in Chinese); the values its error withholds
    // name the finding's cell.
    let of_rule: Vec<&str> =
        (0..issues.height()).filter(|&i| rule[i].as_deref() == Some("infant_ge_neonatal_deaths")).filter_map(|i| zh[i].as_deref()).collect();
    assert!(of_rule.iter().any(|m| m.contains("未通过校验规则 infant_ge_neonatal_deaths：婴儿死亡数 ≥ 新生儿死亡数")), "{of_rule:?}");
    assert!(of_rule.iter().any(|m| m.contains("一并暂不入库")), "{of_rule:?}");
}

#[test]
fn the_check_report_in_chinese_names_the_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let faulty = tmp.path().join("faulty");
    assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    let rel = "卫健局/2024年妇幼卫生年报.xlsx";
    let file = faulty.join(rel);
    let none = tmp.path().join("none");
    let r = wcmon(&["--lang", "zh", "check", file.to_str().unwrap(), "--db", none.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // Every planted cell of the file (the rates' left-out numerators need a run), at the start of its line.
    // (Without a database there is no history: no yoy_outlier.)
    let want: Vec<_> = planted(&faulty).into_iter().filter(|w| w.0 == rel && w.3 != "rate_denominator_missing" && w.3 != "yoy_outlier").collect();
    assert!(want.len() >= 5, "{want:?}");
    for (_, s, c, rule) in &want {
        let at = format!("    {s}!{c}：");
        assert!(r.stdout.lines().any(|l| l.starts_with(&at)), "{rule}: no line starting {at:?}\n{}", r.stdout);
    }
    assert!(r.stdout.contains("【错误】unparseable_value（1 条）") && r.stdout.contains("不是数字") && r.stdout.contains("未通过校验规则"), "{}", r.stdout);
    assert!(!r.stdout.contains(" is not a number") && !r.stdout.contains("withheld:"), "English messages in the Chinese report\n{}", r.stdout);
    // The same under a Chinese locale without --lang; English under LANG=C.
    let (code, zh) = wcmon_in("zh_CN.UTF-8", &["check", file.to_str().unwrap(), "--db", none.to_str().unwrap()]);
    assert_eq!((code, zh.as_str()), (1, r.stdout.as_str()));
    let (code, en) = wcmon_in("C", &["check", file.to_str().unwrap(), "--db", none.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        en.contains("[error] unparseable_value (1)")
            && en.contains(" is not a number")
            && en.trim_end().lines().last().unwrap().starts_with("checked 1 files: "),
        "{en}"
    );
    // JSON has both messages.
    let j = wcmon(&["check", file.to_str().unwrap(), "--db", none.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let issues = v["files"][0]["issues"].as_array().unwrap();
    assert!(issues.iter().all(|i| i["message"].is_string() && i["message_zh"].as_str().is_some_and(has_cjk)), "{issues:?}");
}

#[test]
fn the_run_summary_follows_the_locale_and_the_tables_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = root().join("sample_data");
    let (en_db, zh_db) = (tmp.path().join("en"), tmp.path().join("zh"));
    let (c1, en) = wcmon_in("C", &["run", "--inbox", inbox.to_str().unwrap(), "--db", en_db.to_str().unwrap()]);
    let (c2, zh) = wcmon_in("zh_CN.UTF-8", &["run", "--inbox", inbox.to_str().unwrap(), "--db", zh_db.to_str().unwrap()]);
    assert_eq!((c1, c2), (0, 0));
    assert!(en.contains("cells read ") && en.contains("database: ") && !en.contains("读取单元格"), "{en}");
    assert!(zh.contains("读取单元格 ") && zh.contains("数据库：") && !zh.contains("cells read"), "{zh}");
    // The published tables are the same bytes whatever the locale (message_zh, warning_text_zh included).
    for t in ["issues.parquet", "progress.parquet", "submissions.parquet", "rule_summary.parquet"] {
        assert!(std::fs::read(en_db.join(t)).unwrap() == std::fs::read(zh_db.join(t)).unwrap(), "{t} differs with the locale");
    }
    // Derivations by kind, counted from data_values' derived rows: a return's derivation names its
    // two cells ("C8-D8": 男 = 合计 − 女, "C8+D8": 合计 = 女 + 男); aggregates have no cell.
    let dv = read_partitioned(&en_db.join("data_values"));
    let derived: Vec<bool> = dv.column("derived").unwrap().bool().unwrap().iter().map(|b| b == Some(true)).collect();
    let (sex, cell) = (strs(&dv, "sex"), strs(&dv, "source_cell"));
    let of = |op: char, s: &str| {
        (0..dv.height()).filter(|&i| derived[i] && cell[i].as_deref().is_some_and(|c| c.contains(op)) && sex[i].as_deref() == Some(s)).count()
    };
    let (male, total) = (of('-', "M"), of('+', "_T"));
    assert_eq!(male + total, (0..dv.height()).filter(|&i| derived[i] && cell[i].is_some()).count(), "every derivation is one of the two kinds");
    assert!(male > 0, "the sample derives males");
    assert!(en.contains(&format!("derived {} (M = total − F {male}, total = F + M {total})", male + total)), "{en}");
    assert!(zh.contains(&format!("推算 {}（男 = 合计 − 女 {male} 个，合计 = 女 + 男 {total} 个）", male + total)), "{zh}");

    // Progress: a Chinese text wherever there is an English one.
    let p = read(&en_db.join("progress.parquet"));
    let (text, text_zh, warnings) = (strs(&p, "warning_text"), strs(&p, "warning_text_zh"), strs(&p, "warnings"));
    let mut with_text = 0;
    for i in 0..p.height() {
        assert_eq!(text[i].is_some(), text_zh[i].is_some(), "row {i}: {:?} / {:?}", text[i], text_zh[i]);
        if let Some(z) = &text_zh[i] {
            with_text += 1;
            assert!(has_cjk(z) && !z.contains("{$"), "{z}");
        }
        if warnings[i].as_deref().is_some_and(|w| w.split(',').any(|w| w == "projected_miss")) {
            assert!(text_zh[i].as_deref().unwrap().contains("达不到目标"), "{:?}", text_zh[i]);
        }
        if warnings[i].as_deref() == Some("no_data") {
            assert_eq!(text_zh[i].as_deref(), Some("尚无报表填报此指标"));
        }
    }
    assert!(with_text > 50, "{with_text}");
}

#[test]
fn a_form_balance_rule_that_checked_nothing_is_a_warning_only_for_forms_in_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    // The clean sample: every form's balance rule checks something, so no such warning.
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let rules = strs(&read(&db.join("issues.parquet")), "rule");
    assert!(!rules.iter().any(|r| r.as_deref() == Some("balance_checked_nothing")));

    // One return of the annual MCH form without a 合计 row (the layout of planted.rs, clean
    // values): the towns have no total to be compared with, so mch_towns_sum_to_total checks
    // nothing (rule_summary: 0 items).
    let inbox = tmp.path().join("one");
    std::fs::create_dir_all(&inbox).unwrap();
    mch_return_without_total(&inbox.join("2023年妇幼卫生年报.xlsx"));
    let db = tmp.path().join("db1");
    let r = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stdout);
    let sum = read(&db.join("rule_summary.parquet"));
    let (srule, items) = (strs(&sum, "rule"), u64s(&sum, "items"));
    let items_of = |r: &str| srule.iter().position(|x| x.as_deref() == Some(r)).map(|i| items[i]);
    assert_eq!(items_of("mch_towns_sum_to_total"), Some(0));
    let issues = read(&db.join("issues.parquet"));
    let (rule, sev, form, zh) = (strs(&issues, "rule"), strs(&issues, "severity"), strs(&issues, "form"), strs(&issues, "message_zh"));
    let idle: Vec<usize> = (0..issues.height()).filter(|&i| rule[i].as_deref() == Some("balance_checked_nothing")).collect();
    // Only the form that had a file: not the education, party or town forms' balance rules. This
    // layout has no 城镇/乡村 columns either, so the form's residence balance checks nothing too.
    let idle_rules: Vec<&str> = idle.iter().filter_map(|&i| zh[i].as_deref()).collect();
    assert_eq!(idle.len(), 2, "{:?}", idle.iter().map(|&i| (&form[i], &zh[i])).collect::<Vec<_>>());
    for &i in &idle {
        assert_eq!((sev[i].as_deref(), form[i].as_deref()), (Some("warning"), Some("wjj_mch_annual")));
    }
    assert!(idle_rules.iter().any(|z| z.contains("mch_towns_sum_to_total")), "{idle_rules:?}");
    assert!(idle_rules.iter().any(|z| z.contains("mch_residence_sums_to_total")), "{idle_rules:?}");
    // The run's summary counts it with the other warnings (LC_ALL=C: English).
    let warnings = sev.iter().filter(|s| s.as_deref() == Some("warning")).count();
    assert!(
        r.stdout.contains(&format!("issues: {} errors, {warnings} warnings", sev.iter().filter(|s| s.as_deref() == Some("error")).count())),
        "{}",
        r.stdout
    );
}

/// An annual MCH return (卫健局's form) of two towns and no 合计 row.
fn mch_return_without_total(path: &Path) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    mch_header(ws, &f);
    for (r, (town, births, girls, mothers)) in [("厉山镇", 1200.0, 580.0, 1190.0), ("高城镇", 800.0, 390.0, 795.0)].into_iter().enumerate() {
        let r = 5 + r as u32;
        ws.write_string(r, 0, town).unwrap();
        ws.write_number(r, 1, births).unwrap();
        ws.write_number(r, 2, girls).unwrap();
        ws.write_number(r, 3, mothers).unwrap();
    }
    wb.save(path).unwrap();
}
