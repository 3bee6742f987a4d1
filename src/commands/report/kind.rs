//! Which report: the annual monitoring, or the mid-term (2025) / final (2030)
//! evaluation, and the target years each assesses.

use super::ReportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportKind {
    /// The latest year against both targets.
    Annual,
    /// The 2025 evaluation: status against the 2025 targets, and the projection to 2030.
    Midterm,
    /// The 2030 evaluation.
    Final,
}

impl ReportKind {
    pub fn parse(s: &str) -> Result<ReportKind, ReportError> {
        match s {
            "annual" => Ok(ReportKind::Annual),
            "midterm" => Ok(ReportKind::Midterm),
            "final" => Ok(ReportKind::Final),
            other => Err(ReportError::UnknownKind(other.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Annual => "annual",
            ReportKind::Midterm => "midterm",
            ReportKind::Final => "final",
        }
    }

    /// 年度监测报告 / 中期评估报告 / 终期评估报告.
    pub fn zh(self) -> &'static str {
        crate::labels::zh(crate::labels::KINDS, self.as_str())
    }

    /// The target years whose status the report assesses (the columns of 进展状态).
    pub fn assessed_target_years(self) -> &'static [i32] {
        match self {
            ReportKind::Annual => &[2025, 2030],
            ReportKind::Midterm => &[2025],
            ReportKind::Final => &[2030],
        }
    }

    /// The target year the summary counts statuses for.
    pub fn headline_target_year(self) -> i32 {
        match self {
            ReportKind::Midterm => 2025,
            ReportKind::Annual | ReportKind::Final => 2030,
        }
    }

    /// The target years whose projection the report shows.
    pub fn projected_target_years(self) -> &'static [i32] {
        match self {
            ReportKind::Annual | ReportKind::Midterm => &[2025, 2030],
            ReportKind::Final => &[2030],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_assess_their_target_years() {
        assert_eq!(ReportKind::parse("annual").ok(), Some(ReportKind::Annual));
        assert_eq!(ReportKind::Annual.assessed_target_years(), &[2025, 2030]);
        assert_eq!(ReportKind::Midterm.assessed_target_years(), &[2025]);
        assert_eq!(ReportKind::Final.assessed_target_years(), &[2030]);
        assert_eq!(ReportKind::Midterm.zh(), "中期评估报告");
        assert!(ReportKind::parse("weekly").is_err());
    }
}
