//! What a template's cells say and accept: the sex and age labels the reader turns
//! back into codes, the breakdowns a data element is asked in, and a value cell's
//! validation from its data element and unit.

use std::collections::BTreeSet;

use super::ValueKind;
use crate::config::{Config, DataElement, Kind};
use crate::vocab::clean::normalise_label;

pub(super) fn sex_label(code: &str) -> &'static str {
    match code {
        "F" => "女",
        "M" => "男",
        _ => "合计",
    }
}

/// The label the built-in reader turns back into `code` ("Y0T4" -> "0-4岁"); `_T` -> "合计".
pub fn age_label(code: &str) -> Option<String> {
    let label = if code == "_T" {
        "合计".to_string()
    } else if let Some(n) = code.strip_prefix("Y_GE") {
        format!("{n}岁及以上")
    } else if let Some(n) = code.strip_prefix("Y_LT") {
        format!("不满{n}岁")
    } else if let Some(rest) = code.strip_prefix('Y') {
        match rest.split_once('T') {
            Some((a, b)) => format!("{a}-{b}岁"),
            None => format!("{rest}岁"),
        }
    } else {
        return None;
    };
    (crate::vocab::labels::age_code(&label).as_deref() == Some(code)).then_some(label)
}

/// Lower and upper bound of an age code, to order age groups.
fn age_order(code: &str) -> (u32, u32) {
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    if code == "_T" {
        (0, 0)
    } else if let Some(n) = code.strip_prefix("Y_GE") {
        (num(n), 999)
    } else if let Some(n) = code.strip_prefix("Y_LT") {
        (0, num(n).saturating_sub(1))
    } else if let Some(rest) = code.strip_prefix('Y') {
        match rest.split_once('T') {
            Some((a, b)) => (num(a), num(b)),
            None => (num(rest), num(rest)),
        }
    } else {
        (u32::MAX, u32::MAX)
    }
}

/// The (sex, age) breakdowns the catalogue's indicators read a data element in
/// (a term without a pin is the total). `(_T, _T)` when no indicator reads it.
pub(super) fn breakdowns(cfg: &Config, de: &str) -> Vec<(String, String)> {
    let mut set: BTreeSet<((u32, u32), String, String)> = BTreeSet::new();
    for ind in &cfg.catalogue.indicators {
        for t in ind.terms().filter(|t| t.data_element == de) {
            let age = t.age.clone().unwrap_or_else(|| "_T".into());
            set.insert((age_order(&age), age, t.sex.clone().unwrap_or_else(|| "_T".into())));
        }
    }
    if set.is_empty() {
        return vec![("_T".into(), "_T".into())];
    }
    let mut out: Vec<(String, String)> = set.into_iter().map(|(_, age, sex)| (sex, age)).collect();
    // Within an age group: 合计, then 男, then 女 (as the returns print them).
    out.sort_by_key(|(sex, age)| (age_order(age), if age == "_T" { 0 } else { 1 }, ["_T", "M", "F"].iter().position(|s| s == sex).unwrap_or(3)));
    out
}

/// What a value cell accepts, from its data element and the unit the form says it is written in.
pub(super) fn value_kind(de: Option<&DataElement>, written_unit: Option<&str>) -> ValueKind {
    let Some(de) = de else { return ValueKind::Decimal { min: 0.0, max: None } };
    let unit = written_unit.unwrap_or(&de.unit);
    let converted = written_unit.is_some_and(|u| normalise_label(u) != normalise_label(&de.unit));
    let (dmin, dmax) = match unit.trim() {
        "%" => (0.0, Some(100.0)),
        "‰" => (0.0, Some(1000.0)),
        _ => (0.0, None),
    };
    let min = if converted { dmin } else { de.min.unwrap_or(dmin) };
    let max = if converted { dmax } else { de.max.or(dmax) };
    match de.kind {
        Kind::Count if !converted && !matches!(unit.trim(), "%" | "‰") => {
            ValueKind::Whole { min: min.max(0.0).ceil() as i64, max: max.map(|m| m.floor() as i64) }
        }
        Kind::Count => ValueKind::Decimal { min: min.max(0.0), max },
        Kind::Amount => ValueKind::Decimal { min: de.min.unwrap_or(f64::MIN).max(if converted { f64::MIN } else { min }), max },
        Kind::Rate => ValueKind::Decimal { min, max },
    }
}

pub(super) fn kind_text(k: Kind) -> &'static str {
    match k {
        Kind::Count => "计数（可跨地区相加）",
        Kind::Amount => "数量/金额（可跨地区相加）",
        Kind::Rate => "比率或水平（不跨地区相加）",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_labels_read_back_as_their_codes() {
        for (code, label) in [("Y0T4", "0-4岁"), ("Y_GE16", "16岁及以上"), ("Y_LT1", "不满1岁"), ("Y12", "12岁"), ("_T", "合计"), ("Y35T64", "35-64岁")]
        {
            assert_eq!(age_label(code).as_deref(), Some(label), "{code}");
        }
        assert_eq!(age_label("nonsense"), None);
    }
}
