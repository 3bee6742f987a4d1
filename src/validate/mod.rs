//! Observations -> landed values + issues. A failed rule is data (an issue
//! row), never an `Err`. An `error` keeps the value out of `data_values`
//! (it is counted as rejected); a `warning` lets it land with a flag.

use crate::config::{Catalogue, Kind};
use crate::model::{Issue, Observation, Severity};
use crate::normalise::Normalised;

fn issue_for(o: &Observation, sev: Severity, rule: &'static str, msg: String) -> Issue {
    let mut i = Issue::new(sev, rule, msg).at(
        o.source_file.as_deref().unwrap_or_default(),
        o.source_sheet.as_deref(),
        o.source_cell.clone(),
    );
    i.data_element = Some(o.data_element.clone());
    i.area = Some(o.area.clone());
    i.year = Some(o.year);
    i.sex = Some(o.sex.clone());
    i.age = Some(o.age.clone());
    i.form = o.form.clone();
    i.submission = o.submission.clone();
    i.observed = o.value.map(crate::ingest::fmt_num);
    i
}

/// Value-level checks by unit and kind: counts are ≥ 0 and whole, % within 0–100, ‰ ≤ 1000.
pub fn check_values(n: &mut Normalised, catalogue: &Catalogue) {
    let mut keep = Vec::with_capacity(n.observations.len());
    for mut o in std::mem::take(&mut n.observations) {
        let Some(de) = catalogue.data_element(&o.data_element) else {
            keep.push(o);
            continue;
        };
        let Some(v) = o.value else {
            keep.push(o);
            continue;
        };
        let mut error = None;
        let mut warn = None;
        match de.kind {
            Kind::Count => {
                if v < 0.0 {
                    error = Some(("negative_count", format!("{} cannot be negative", de.name_zh), ">= 0".to_string()));
                } else if v.fract() != 0.0 {
                    warn = Some(("non_integer_count", format!("{} should be a whole number", de.name_zh), "integer".to_string()));
                }
            }
            Kind::Amount => {
                if v < 0.0 {
                    warn = Some(("negative_amount", format!("{} is negative", de.name_zh), ">= 0".to_string()));
                }
            }
            Kind::Rate => {
                let limit = match de.unit.as_str() {
                    "%" => Some(100.0),
                    "‰" => Some(1000.0),
                    _ => None,
                };
                if let Some(l) = limit {
                    if !(0.0..=l).contains(&v) {
                        error = Some(("rate_out_of_range", format!("{} must lie within 0–{l}{}", de.name_zh, de.unit), format!("0..{l}")));
                    }
                }
            }
        }
        if let Some((rule, msg, exp)) = error {
            n.issues.push(issue_for(&o, Severity::Error, rule, msg).expected(exp));
            if o.derived {
                n.derived -= 1;
            } else {
                n.landed -= 1;
                n.rejected += 1;
            }
            continue;
        }
        if let Some((rule, msg, exp)) = warn {
            n.issues.push(issue_for(&o, Severity::Warning, rule, msg).expected(exp));
            o.flags = Some(rule.to_string());
        }
        keep.push(o);
    }
    n.observations = keep;
}
