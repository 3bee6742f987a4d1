//! The rows of `progress.parquet` as the evaluators make them, and the table.

use polars::prelude::*;

use super::method::Status;
use crate::config::catalogue::TargetKind;

/// One row of `progress.parquet` (but `area_name`, joined when published).
#[derive(Debug, Clone)]
pub(super) struct ProgressRow {
    pub(super) indicator: String,
    pub(super) area: String,
    pub(super) sex: String,
    pub(super) age: String,
    pub(super) target_year: i32,
    pub(super) target_kind: &'static str,
    pub(super) target_value: Option<f64>,
    pub(super) target_low: Option<f64>,
    pub(super) target_high: Option<f64>,
    pub(super) baseline_year: Option<i32>,
    pub(super) baseline_value: Option<f64>,
    pub(super) latest_year: Option<i32>,
    pub(super) latest_value: Option<f64>,
    pub(super) latest_ci_low: Option<f64>,
    pub(super) latest_ci_high: Option<f64>,
    pub(super) projected_value: Option<f64>,
    pub(super) progress_ratio: Option<f64>,
    pub(super) observed_rate: Option<f64>,
    pub(super) required_rate: Option<f64>,
    pub(super) aarr: Option<f64>,
    pub(super) required_aarr: Option<f64>,
    pub(super) method: String,
    pub(super) series: String,
    pub(super) status: Status,
    /// Warning codes (`warnings`, joined by commas; null when none).
    pub(super) warnings: Vec<&'static str>,
    pub(super) warning_text: Option<String>,
    pub(super) warning_text_zh: Option<String>,
    pub(super) trend_class: Option<&'static str>,
    pub(super) trend_p_value: Option<f64>,
}

impl ProgressRow {
    /// A row of (indicator, area, sex, age) for a target year, with nothing assessed:
    /// every value empty, method and series `none`, `insufficient_data`, no warnings.
    pub(super) fn new(key: (&str, &str, &str, &str), target_year: i32, kind: TargetKind) -> Self {
        let (indicator, area, sex, age) = key;
        ProgressRow {
            indicator: indicator.to_string(),
            area: area.to_string(),
            sex: sex.to_string(),
            age: age.to_string(),
            target_year,
            target_kind: kind.as_str(),
            target_value: None,
            target_low: None,
            target_high: None,
            baseline_year: None,
            baseline_value: None,
            latest_year: None,
            latest_value: None,
            latest_ci_low: None,
            latest_ci_high: None,
            projected_value: None,
            progress_ratio: None,
            observed_rate: None,
            required_rate: None,
            aarr: None,
            required_aarr: None,
            method: "none".into(),
            series: "none".into(),
            status: Status::InsufficientData,
            warnings: Vec::new(),
            warning_text: None,
            warning_text_zh: None,
            trend_class: None,
            trend_p_value: None,
        }
    }

    /// The row of an indicator no return reports yet (at a root area): `no_data`.
    pub(super) fn no_data(key: (&str, &str, &str, &str), target_year: i32, kind: TargetKind) -> Self {
        let mut r = ProgressRow::new(key, target_year, kind);
        r.warnings = vec!["no_data"];
        r.warning_text = Some("no return reports this indicator yet".into());
        r.warning_text_zh = Some(crate::t!(crate::i18n::Lang::Zh, "warning-no-data"));
        r
    }
}

/// The rows as the table, in their order.
pub(super) fn frame(rows: Vec<ProgressRow>) -> PolarsResult<DataFrame> {
    macro_rules! col {
        ($name:ident) => {
            Column::new(stringify!($name).into(), rows.iter().map(|r| r.$name.clone()).collect::<Vec<_>>())
        };
    }
    let status: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    let warnings: Vec<Option<String>> = rows.iter().map(|r| (!r.warnings.is_empty()).then(|| r.warnings.join(","))).collect();
    DataFrame::new_infer_height(vec![
        col!(indicator),
        col!(area),
        col!(sex),
        col!(age),
        col!(target_year),
        col!(target_kind),
        col!(target_value),
        col!(target_low),
        col!(target_high),
        col!(baseline_year),
        col!(baseline_value),
        col!(latest_year),
        col!(latest_value),
        col!(latest_ci_low),
        col!(latest_ci_high),
        col!(projected_value),
        col!(progress_ratio),
        col!(observed_rate),
        col!(required_rate),
        col!(aarr),
        col!(required_aarr),
        col!(method),
        col!(series),
        Column::new("status".into(), status),
        Column::new("warnings".into(), warnings),
        col!(warning_text),
        col!(warning_text_zh),
        col!(trend_class),
        col!(trend_p_value),
    ])
}
