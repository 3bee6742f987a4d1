//! The catalogue is complete: every target sentence of the two plans — in the
//! 主要目标 of each domain, every sentence with a number (a %, ‰, 1/10万, hours,
//! 达到/不少于/控制在 … a number) or a direction (逐步提高, 明显缩小, 持续下降,
//! 保持 … of a rate, share, number, gap or level); in the 策略措施, every sentence
//! with a number — is the `source` of a catalogued indicator or a `not_monitored`
//! entry with its reason. The plan text is read from tests/fixtures (a copy of the
//! published plans, 随县政发〔2022〕19号), so the test runs in a clone of the repo alone.

use regex::Regex;
use wcmon::config::catalogue::{Catalogue, NotMonitoredReason};

use crate::common::root;

/// The text compared: no whitespace (the PDF's line wraps) and no private-use
/// characters (the PDF's list bullets).
fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !('\u{e000}'..='\u{f8ff}').contains(c)).collect()
}

fn plan_text() -> String {
    let fixture = root().join("tests/fixtures/plans_2021_2030.txt");
    let text = std::fs::read_to_string(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    // The same text as the project's seed, where it is beside the project (../shared/seed/).
    let seed = root().join("../shared/seed/000_5c44063740f6f6cf.txt");
    if let Ok(seed) = std::fs::read_to_string(seed) {
        let s = norm(&seed);
        assert!(s.contains(&norm(&text)), "tests/fixtures/plans_2021_2030.txt is not the seed's plan text");
    }
    norm(&text)
}

/// One target sentence: (plan, where, sentence without its item number).
#[derive(Debug)]
struct Target {
    plan: &'static str,
    part: &'static str,
    sentence: String,
}

fn targets(text: &str) -> Vec<Target> {
    let children_from = text.find("本规划所称儿童").expect("the children's plan");
    let section = Regex::new(r"主要目标:(.*?)策略措施:(.*?)(?:\([一二三四五六七八九十]+\)|三、组织实施)").unwrap();
    let number = Regex::new(r"\d+(?:\.\d+)?(?:%|‰|‱|小时)|/10万|(?:达到|达|不少于|至少|提高到|降至|下降|控制在|控制到|保持在|稳定在)[^,。;]{0,15}?\d").unwrap();
    let direction = Regex::new(r"提高|提升|降低|下降|减少|缩小|增加|延长|保持|稳定|减缓|增长|扩大|增强|消除|普及").unwrap();
    let measure = Regex::new(r"率|比例|比重|数量|差距|年限|寿命|性别比|水平|人数").unwrap();
    let item = Regex::new(r"^\d{1,2}\.").unwrap();
    let mut out = Vec::new();
    for c in section.captures_iter(text) {
        let plan = if c.get(0).unwrap().start() < children_from { "women" } else { "children" };
        for (part, body) in [("主要目标", &c[1]), ("策略措施", &c[2])] {
            for s in body.split_inclusive('。') {
                let s = item.replace(s, "").to_string();
                let quantified = number.is_match(&s);
                let directional = part == "主要目标" && direction.is_match(&s) && measure.is_match(&s);
                if quantified || directional {
                    out.push(Target { plan, part, sentence: s });
                }
            }
        }
    }
    out
}

fn catalogue() -> Catalogue {
    Catalogue::load(&root().join("pipelines/indicators.toml")).unwrap()
}

#[test]
fn every_target_sentence_of_the_plans_is_catalogued_or_listed_as_not_monitored() {
    let text = plan_text();
    let cat = catalogue();
    let found = targets(&text);
    // Both plans, all 15 domains: about 90 target sentences in all.
    assert!(found.iter().filter(|t| t.plan == "women").count() >= 50, "{found:#?}");
    assert!(found.iter().filter(|t| t.plan == "children").count() >= 30, "{found:#?}");
    assert!(found.iter().any(|t| t.part == "策略措施" && t.sentence.contains("睡眠时间达到10小时")));
    let sources: Vec<(String, &str)> = cat.indicators.iter().map(|i| (norm(&i.source), i.plan.as_str())).collect();
    let listed: Vec<(String, &str)> = cat.not_monitored.iter().map(|n| (norm(&n.sentence), n.plan.as_str())).collect();
    let mut missing = Vec::new();
    for t in &found {
        let s = t.sentence.trim_end_matches('。');
        let covered = |v: &[(String, &str)]| v.iter().any(|(x, p)| *p == t.plan && x.contains(s));
        if !covered(&sources) && !covered(&listed) {
            missing.push(format!("{} {}: {}", t.plan, t.part, t.sentence));
        }
    }
    assert!(missing.is_empty(), "target sentences neither catalogued nor in not_monitored:\n{}", missing.join("\n"));
}

#[test]
fn the_sentences_named_in_the_catalogue_are_the_plans_own() {
    let text = plan_text();
    let cat = catalogue();
    let children_from = text.find("本规划所称儿童").unwrap();
    let in_plan = |s: &str, plan: &str| {
        let s = norm(s);
        let (a, b) = text.split_at(children_from);
        s.split_inclusive('。').all(|part| if plan == "women" { a.contains(part) } else { b.contains(part) })
    };
    for i in &cat.indicators {
        assert!(in_plan(&i.source, &i.plan), "{}: source is not a sentence of the {} plan: {}", i.code, i.plan, i.source);
    }
    assert!(cat.not_monitored.len() >= 20);
    for n in &cat.not_monitored {
        assert!(in_plan(&n.sentence, &n.plan), "not_monitored: not a sentence of the {} plan: {}", n.plan, n.sentence);
        assert!(n.note.chars().count() >= 10, "not_monitored {}: the note says what would be needed", n.sentence);
        // A sentence listed as not monitored is not also an indicator's source.
        assert!(!cat.indicators.iter().any(|i| norm(&i.source).contains(norm(&n.sentence).trim_end_matches('。'))), "{} is catalogued", n.sentence);
    }
    // The targets the issue found missing are each accounted for, with the reason.
    for (needle, reason) in [
        ("户外自然光不少于1小时", NotMonitoredReason::NoStatisticalSource),
        ("1小时中等及以上强度的运动", NotMonitoredReason::NoStatisticalSource),
        ("睡眠时间达到10小时", NotMonitoredReason::NoStatisticalSource),
        ("男女收入差距明显缩小", NotMonitoredReason::NoStatisticalSource),
        ("缩小两性家务劳动时间差距", NotMonitoredReason::NoStatisticalSource),
        ("早诊早治率", NotMonitoredReason::NoStatisticalSource),
        ("焦虑障碍、抑郁症患病率上升趋势减缓", NotMonitoredReason::NoStatisticalSource),
        ("高校在校生中男女比例保持均衡", NotMonitoredReason::NoStatisticalSource),
    ] {
        let n = cat.not_monitored.iter().find(|n| norm(&n.sentence).contains(needle)).unwrap_or_else(|| panic!("{needle} is not listed"));
        assert_eq!(n.reason, reason, "{needle}");
    }
}

/// The 2025/2030 rule: a target for 2025 only where the plan's sentence names 2025;
/// a numeric target stated once is for 2030.
#[test]
fn targets_for_2025_only_where_the_plan_names_2025() {
    let cat = catalogue();
    for i in &cat.indicators {
        let names_2025 = norm(&i.source).contains("2025年");
        let (target_2025, target_2030) = (i.target.stated(2025), i.target.stated(2030));
        if target_2025.is_some() {
            assert!(names_2025, "{}: a 2025 target the plan does not state", i.code);
        }
        // The numeric kinds (at_least, at_most, about) are the ones with a level by year.
        let numeric = i.target.level().is_some();
        if numeric && !names_2025 {
            assert!(target_2030.is_some() && target_2025.is_none(), "{}: a target stated once is for 2030", i.code);
        }
        if numeric && names_2025 && target_2030.is_none() {
            // Only 2025 is stated (C38: 4.5 places by 2025, "以后保持稳定增长").
            assert!(target_2025.is_some(), "{}: no numeric target", i.code);
        }
    }
}
