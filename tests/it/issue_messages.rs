//! Every issue code has a Chinese message (`issue-<code>` in src/i18n/zh.ftl). Moved
//! here from i18n's unit tests: the codes are config's, and i18n must not import
//! config (config's messages use i18n: no import circle).

use wcmon::i18n::{tr, Lang};

#[test]
fn every_issue_code_has_a_chinese_message() {
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
        "balance_checked_nothing", // validate::IDLE_BALANCE (a literal: i18n must not import validate)
    ];
    let has = |id: &str| tr(Lang::Zh, id, &[]) != id;
    let codes = wcmon::config::rules::BUILT_IN.iter().map(|b| b.0).chain(wcmon::config::forms::INGEST_FINDINGS.iter().copied()).chain(others);
    for code in codes {
        let id = format!("issue-{}", code.replace('_', "-"));
        assert!(has(&id), "zh.ftl has no {id}");
    }
    // Every code of pipelines/README.md's table of issue codes is one of them.
    let readme = include_str!("../../pipelines/README.md");
    let table = readme.split("| `issues.rule` |").nth(1).expect("the table of issue codes").split("\n\n").next().unwrap_or_default();
    for line in table.lines().skip(2) {
        let first = line.split('|').nth(1).unwrap_or_default();
        for code in first.split('`').skip(1).step_by(2).filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') && *c != "id") {
            assert!(has(&format!("issue-{}", code.replace('_', "-"))), "README code {code} has no zh message");
        }
    }
}
