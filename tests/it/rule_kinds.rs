//! Rule kinds and their messages: `issues.message_zh` has no English words on the
//! sample and on the generator's planted faults (codes, file names and formula
//! pins aside), and a mistake in a rules file is told with its file and line, in
//! English by default and in Chinese under `--lang zh`, whatever the kind.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// The English words of a Chinese message: runs of three or more ASCII letters,
/// once the codes (the catalogue's data elements and indicators, the row's rule,
/// area and form), the row's file and sheet, file names (`areas.toml`), formula pins (`[sex=M]`) and the
/// program's name are taken out; identifiers with `_` or digits are codes.
fn english_words(m: &str, codes: &BTreeSet<String>) -> Vec<String> {
    let mut text = m.to_string();
    let mut longest_first: Vec<&String> = codes.iter().filter(|c| !c.is_empty()).collect();
    longest_first.sort_by_key(|c| std::cmp::Reverse(c.len()));
    for c in longest_first {
        text = text.replace(c.as_str(), " ");
    }
    // Formula pins: `population[sex=M]`.
    while let (Some(a), Some(b)) = (text.find('['), text.find(']')) {
        if b < a {
            break;
        }
        text.replace_range(a..=b, " ");
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !(w.ends_with(".toml") || w.ends_with(".xlsx") || w.ends_with(".xls")))
        .flat_map(|w| w.split('.'))
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()) && *w != "wcmon")
        .map(str::to_string)
        .collect()
}

/// Every issue's `message_zh`, with the English words found in it.
fn english_in_message_zh(db: &Path) -> (usize, Vec<(String, String, Vec<String>)>) {
    let catalogue: BTreeSet<String> = strs(&read(&db.join("data_elements.parquet")), "data_element")
        .into_iter()
        .chain(strs(&read(&db.join("indicators.parquet")), "indicator"))
        .flatten()
        .collect();
    assert!(catalogue.len() > 100, "{catalogue:?}");
    let issues = read(&db.join("issues.parquet"));
    let cols: Vec<Vec<Option<String>>> =
        ["rule", "data_element", "indicator", "area", "source_file", "source_sheet", "form", "message_zh"].iter().map(|c| strs(&issues, c)).collect();
    let mut bad = Vec::new();
    for i in 0..issues.height() {
        let codes: BTreeSet<String> = cols[..7].iter().filter_map(|c| c[i].clone()).chain(catalogue.iter().cloned()).collect();
        let m = cols[7][i].clone().unwrap_or_default();
        let words = english_words(&m, &codes);
        if !words.is_empty() {
            bad.push((cols[0][i].clone().unwrap_or_default(), m, words));
        }
    }
    (issues.height(), bad)
}

#[test]
fn the_word_finder_finds_english_and_leaves_codes() {
    let codes: BTreeSet<String> = ["c36_numerator_needs_denominator", "live_births", "population"].map(String::from).into();
    assert_eq!(english_words("表1!B2：未通过校验规则 c36_numerator_needs_denominator：a needs b（应为 a value of 产妇数）", &codes), vec!["needs", "value"]);
    assert!(english_words("表1!B2：live_births 为计数（population[sex=M]，Y0T4，地区名称不在 areas.toml 中，wcmon 自行汇总，|z| ≤ 5）", &codes).is_empty());
}

#[test]
fn message_zh_has_no_english_words_on_the_sample_and_the_planted_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let (r, db) = run_into(&root().join("sample_data"), tmp.path());
    assert_eq!(r.code, 0);
    let (n, bad) = english_in_message_zh(&db);
    assert!(n > 0 && bad.is_empty(), "{n} rows; English in message_zh: {bad:#?}");

    let faulty = tmp.path().join("faulty");
    assert_eq!(wcmon(&["generate", "--faults", "--out", faulty.to_str().unwrap()]).code, 0);
    let db2 = tmp.path().join("db2");
    assert_eq!(wcmon(&["run", "--inbox", faulty.to_str().unwrap(), "--db", db2.to_str().unwrap()]).code, 1);
    let (n, bad) = english_in_message_zh(&db2);
    assert!(n > 100 && bad.is_empty(), "{n} rows; English in message_zh: {bad:#?}");
    // The rules whose English `expected` is words are among the rows checked.
    let rules: BTreeSet<String> = strs(&read(&db2.join("issues.parquet")), "rule").into_iter().flatten().collect();
    for r in ["duplicate", "conflict", "yoy_outlier", "repeated_last_year", "w02_numerator_needs_denominator"] {
        assert!(rules.contains(r), "{r} not in the planted faults' findings: {rules:?}");
    }
}

#[test]
fn rule_file_mistakes_with_file_and_line_in_english_and_in_chinese() {
    let tmp = tempfile::tempdir().unwrap();
    let rule = |body: &str| format!("[[rule]]\nid = \"x\"\n{body}");
    // (rules.toml, the line, English, Chinese)
    let cases = [
        (
            rule("kind = \"compare\"\nleft = [\"live_births\"]\nop = \"<=\"\nright = [\"live_birth\"]\n"),
            6,
            "unknown data element \"live_birth\"",
            "未知的数据元素 \"live_birth\"",
        ),
        (rule("kind = \"compare\"\nleft = [\"live_births\"]\nop = \"=<\"\nright = [\"deliveries\"]\n"), 5, "op \"=<\" is not one of", "op \"=<\" 不是"),
        (rule("kind = \"compare\"\nleft = [\"live_births\"]\nright = [\"deliveries\"]\n"), 2, "needs op", "需要 op"),
        (
            rule("kind = \"comparison\"\nleft = [\"live_births\"]\n"),
            3,
            "kind \"comparison\" is not a rule kind (compare, balance, pair, range)",
            "\"comparison\" 不是规则类型",
        ),
        // A field of another kind.
        (rule("kind = \"pair\"\nleft = [\"live_births\"]\nright = [\"deliveries\"]\nover = \"sex\"\n"), 6, "unknown field `over`", "字段有误"),
        // The line of this rule's mistake, not of the same code in the rule before.
        (
            format!(
                "{}\n{}",
                rule("kind = \"pair\"\ndescription = \"live_birth\"\nleft = [\"deliveries\"]\nright = [\"live_births\"]\n"),
                rule("kind = \"pair\"\nleft = [\"deliveries\"]\nright = [\"live_birth\"]\n").replace("\"x\"", "\"y\"")
            ),
            12,
            "rule \"y\": unknown data element \"live_birth\"",
            "规则 \"y\"：未知的数据元素 \"live_birth\"",
        ),
        (rule("kind = \"balance\"\nover = \"sex\"\ntolerance = -1\n"), 2, "tolerance must be a number >= 0", "tolerance 应为不小于 0 的数"),
        (rule("kind = \"range\"\ndata_elements = [\"live_births\"]\n"), 2, "needs data_elements and min, max or integer", "需要 data_elements"),
        (
            rule("kind = \"compare\"\nleft = [{ data_element = \"population\", sex = \"W\" }]\nop = \"<=\"\nright = [\"deliveries\"]\n"),
            4,
            "sex must be F, M or _T, not \"W\"",
            "性别 sex 应为 F、M 或 _T",
        ),
        ("[severity]\nno_such_rule = \"info\"\n".to_string(), 2, "[severity] \"no_such_rule\" is not a built-in rule", "不是内置规则"),
    ];
    for (n, (text, line, en, zh)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("p{n}"));
        copy_dir(&root().join("pipelines"), &p);
        std::fs::write(p.join("rules.toml"), text).unwrap();
        let db = tmp.path().join("db");
        let args = ["--pipelines", p.to_str().unwrap(), "run", "--inbox", "/nonexistent/inbox", "--db", db.to_str().unwrap()];
        let r = wcmon(&args);
        assert_eq!(r.code, 2, "case {n}");
        for w in ["rules.toml", &format!("line {line}: "), en] {
            assert!(r.stderr.contains(w), "case {n}: {w:?} in {}", r.stderr);
        }
        let mut zh_args = vec!["--lang", "zh"];
        zh_args.extend(args);
        let r = wcmon(&zh_args);
        assert_eq!(r.code, 2, "case {n}");
        for w in ["rules.toml", &format!("第 {line} 行："), zh] {
            assert!(r.stderr.contains(w), "case {n}: {w:?} in {}", r.stderr);
        }
        if text.starts_with("[[rule]]") && !text.contains("\"y\"") {
            assert!(r.stderr.contains("规则 \"x\"："), "case {n}: {}", r.stderr);
        }
    }
}
