//! The one table of Chinese labels for the codes readers see: progress statuses
//! (with their colour), early warnings, plans, domains, sexes, report kinds.
//!
//! Used by the report (HTML and workbook) and by `wcmon run`'s summary lines, so a
//! status reads the same everywhere. An unknown code is shown as it is (a newer
//! database may carry a status this build does not know).
//!
//! Status colours are from the Okabe–Ito palette (distinguishable with the common
//! colour-vision deficiencies); `ink` is the text colour that reads on `colour`.

/// A code, its Chinese label and (for statuses) its colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub code: &'static str,
    pub zh: &'static str,
    /// Fill colour (`#rrggbb`), for statuses; "" otherwise.
    pub colour: &'static str,
    /// Text colour on `colour`.
    pub ink: &'static str,
}

const fn l(code: &'static str, zh: &'static str) -> Label {
    Label { code, zh, colour: "", ink: "" }
}

const fn c(code: &'static str, zh: &'static str, colour: &'static str, ink: &'static str) -> Label {
    Label { code, zh, colour, ink }
}

/// Progress statuses (`progress.status`), in the order a summary lists them.
pub const STATUSES: &[Label] = &[
    c("achieved", "达标", "#009E73", "#ffffff"),
    c("on_track", "进展顺利", "#0072B2", "#ffffff"),
    c("needs_acceleration", "需加快进度", "#E69F00", "#000000"),
    c("limited_progress", "进展有限", "#CC79A7", "#000000"),
    c("deterioration", "倒退", "#D55E00", "#ffffff"),
    c("not_assessable", "无法判断", "#999999", "#000000"),
    c("insufficient_data", "数据不足", "#DDDDDD", "#000000"),
];

/// Early warnings (`progress.warnings`, comma-separated codes), the most urgent first.
pub const WARNINGS: &[Label] = &[
    l("projected_miss", "预计难以完成"),
    l("fluctuating", "波动较大"),
    l("deteriorating", "倒退"),
    l("regressed_after_meeting", "达标后回落"),
    l("latest_missing", "最新年份缺数"),
    l("not_distinguishable", "与目标差异不显著"),
    l("no_data", "无数据"),
];

/// The two plans (`indicators.plan`).
pub const PLANS: &[Label] = &[l("women", "妇女发展规划"), l("children", "儿童发展规划")];

/// Domains (`indicators.domain`), in the plans' order.
pub const DOMAINS: &[Label] = &[
    l("health", "健康"),
    l("education", "教育"),
    l("economy", "经济"),
    l("decision", "参与决策和管理"),
    l("social_security", "社会保障"),
    l("family", "家庭建设"),
    l("welfare", "福利"),
    l("environment", "环境"),
    l("safety", "安全"),
    l("law", "法治"),
];

/// Sexes (`sex`).
pub const SEXES: &[Label] = &[l("_T", "合计"), l("F", "女"), l("M", "男")];

/// Report kinds (`wcmon report --kind`).
pub const KINDS: &[Label] = &[l("annual", "年度监测报告"), l("midterm", "中期评估报告"), l("final", "终期评估报告")];

/// Finding severities (`issues.severity`).
pub const SEVERITIES: &[Label] = &[l("error", "错误"), l("warning", "警告"), l("info", "提示")];

/// Target kinds (`indicators.target_kind`).
pub const TARGET_KINDS: &[Label] = &[
    l("at_least", "不低于"),
    l("at_most", "不高于"),
    l("about", "约为"),
    l("range", "区间"),
    l("relative", "相对基期"),
    l("trend", "方向性目标"),
    l("relational", "关系型目标"),
    l("reference", "参照指标"),
];

/// Submission statuses (`submissions.status`).
pub const SUBMISSION_STATUSES: &[Label] = &[l("loaded", "已载入"), l("superseded", "已被更正"), l("failed", "读取失败"), l("unrecognised", "无法识别")];

/// Change kinds (`changes.kind`).
pub const CHANGE_KINDS: &[Label] = &[l("changed", "修改"), l("removed", "删除"), l("added", "新增")];

/// The entry for `code` in `table`.
pub fn find(table: &'static [Label], code: &str) -> Option<&'static Label> {
    table.iter().find(|x| x.code == code)
}

/// The Chinese label of `code` in `table`, or the code itself when unknown.
pub fn zh<'a>(table: &'static [Label], code: &'a str) -> &'a str {
    find(table, code).map(|x| x.zh).unwrap_or(code)
}

/// A status's label (达标, 进展顺利, …).
pub fn status_zh(code: &str) -> &str {
    zh(STATUSES, code)
}

/// A warning's label (预计难以完成, 波动较大, …).
pub fn warning_zh(code: &str) -> &str {
    zh(WARNINGS, code)
}

/// A status's position in [`STATUSES`] (unknown codes last), to sort by.
pub fn status_rank(code: &str) -> usize {
    STATUSES.iter().position(|x| x.code == code).unwrap_or(STATUSES.len())
}

/// A warning's position in [`WARNINGS`] (unknown codes last).
pub fn warning_rank(code: &str) -> usize {
    WARNINGS.iter().position(|x| x.code == code).unwrap_or(WARNINGS.len())
}

/// A domain's position in [`DOMAINS`] (unknown codes last).
pub fn domain_rank(code: &str) -> usize {
    DOMAINS.iter().position(|x| x.code == code).unwrap_or(DOMAINS.len())
}

/// "36 达标(achieved)" style text for a summary line: the label with the code beside it.
pub fn with_code(table: &'static [Label], code: &str) -> String {
    match find(table, code) {
        Some(x) => format!("{}({})", x.zh, x.code),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_warning_the_progress_stage_writes_has_a_label() {
        use crate::progress::method::Status;
        for s in [Status::Achieved, Status::OnTrack, Status::NeedsAcceleration, Status::LimitedProgress, Status::Deterioration, Status::InsufficientData] {
            assert!(find(STATUSES, s.as_str()).is_some(), "{}", s.as_str());
        }
        for w in ["projected_miss", "deteriorating", "fluctuating", "regressed_after_meeting", "latest_missing", "not_distinguishable", "no_data"] {
            assert!(find(WARNINGS, w).is_some(), "{w}");
        }
        assert_eq!(status_zh("achieved"), "达标");
        assert_eq!(status_zh("not_assessable"), "无法判断");
        assert_eq!(warning_zh("fluctuating"), "波动较大");
        assert_eq!(status_zh("something_new"), "something_new");
    }

    #[test]
    fn codes_are_unique_and_status_colours_differ() {
        for t in [STATUSES, WARNINGS, PLANS, DOMAINS, SEXES, KINDS, SEVERITIES, TARGET_KINDS, SUBMISSION_STATUSES, CHANGE_KINDS] {
            let mut codes: Vec<_> = t.iter().map(|x| x.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), t.len());
        }
        let mut colours: Vec<_> = STATUSES.iter().map(|x| x.colour).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), STATUSES.len());
    }
}
