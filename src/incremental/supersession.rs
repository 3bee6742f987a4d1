//! Corrections: of several returns of the same form and year (and area, for
//! forms with one file per area), the latest ([`super::order`]: a correction
//! mark, then when wcmon first saw it, then the file time) is in force; the
//! others get status `superseded` and their values are kept out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::order;
use crate::config::forms::AreaFrom;
use crate::config::Config;
use crate::model::{FileResult, Issue, Severity, SubmissionStatus};

/// What a return replaces: (form, years, reporting units). The reporting unit of a
/// value is its area for forms with one file per area; otherwise the area that
/// reports it: a town's county (a return lists the towns of one county), a
/// higher area itself.
type SupersessionKey = (String, Vec<i32>, Vec<String>);

/// The reporting unit of a value of `form` in `area`: the area itself for forms with
/// one file per area (and for areas with children), else the leaf's parent (a
/// return lists the towns of one county). `parents` are the areas with children.
pub fn reporting_unit(form: &crate::config::Form, area: &str, cfg: &Config, parents: &std::collections::HashSet<&str>) -> String {
    if per_area(form) || parents.contains(area) {
        return area.to_string();
    }
    match cfg.areas.get(area).and_then(|a| a.parent.clone()) {
        Some(parent) => parent,
        None => area.to_string(),
    }
}

/// The form has one file per area (its area comes from the file name or the title).
pub fn per_area(form: &crate::config::Form) -> bool {
    matches!(form.raw.area.from, AreaFrom::FileName | AreaFrom::Title)
}

/// Mark superseded returns. `ranks[i]` orders `results[i]` among the returns of its
/// group (see [`order`]). Returns, for each submission in force that replaced
/// another, the replaced source files; and a warning for each group whose order
/// rests on the files' times alone.
pub fn supersede(
    results: &mut [FileResult],
    facts: &[crate::model::FileFacts],
    ranks: &[order::Rank],
    cfg: &Config,
) -> (HashMap<String, Vec<String>>, Vec<Issue>) {
    let mut groups: BTreeMap<SupersessionKey, Vec<usize>> = BTreeMap::new();
    let parents: std::collections::HashSet<&str> = cfg.areas.list.iter().filter_map(|a| a.parent.as_deref()).collect();
    for (i, r) in results.iter().enumerate() {
        if r.submission.status != SubmissionStatus::Loaded {
            continue;
        }
        let Some(form) = r.submission.form.as_deref().and_then(|id| cfg.forms.iter().find(|f| f.id() == id)) else { continue };
        let years: BTreeSet<i32> = facts[i].years.iter().copied().collect();
        let areas: BTreeSet<String> = facts[i].areas.iter().map(|a| reporting_unit(form, a, cfg, &parents)).collect();
        groups.entry((form.id().to_string(), years.into_iter().collect(), areas.into_iter().collect())).or_default().push(i);
    }
    let mut replaced: HashMap<String, Vec<String>> = HashMap::new();
    let mut ambiguous = Vec::new();
    for ((form, years, _), mut members) in groups {
        if members.len() < 2 {
            continue;
        }
        // The latest return is in force (see `order`).
        members.sort_by(|&a, &b| ranks[a].cmp_order(&ranks[b]));
        let Some(&winner) = members.last() else { continue };
        let runner_up = members[members.len() - 2];
        if ranks[runner_up].ambiguous_with(&ranks[winner]) {
            let (w, o) = (&results[winner].submission, &results[runner_up].submission);
            let mut issue = Issue::new(
                Severity::Warning,
                "supersession_ambiguous",
                format!(
                    "{} and {} are returns of the same form and year, first seen in the same run and neither marked as a correction \
                     (更正/修订 in the file name): {} is taken as in force only because its file was modified later; \
                     rename the correction (e.g. …_更正.xlsx) or remove the other file",
                    w.source_file, o.source_file, w.source_file
                ),
            )
            .at(&w.source_file, None, None);
            issue.form = Some(form.clone());
            issue.submission = Some(w.submission.clone());
            issue.year = years.first().copied().filter(|_| years.len() == 1);
            issue.observed = Some(o.source_file.clone());
            ambiguous.push(issue);
        }
        let (win_sub, win_file) = (results[winner].submission.submission.clone(), results[winner].submission.source_file.clone());
        for &i in &members[..members.len() - 1] {
            let r = &mut results[i];
            replaced.entry(win_sub.clone()).or_default().push(r.submission.source_file.clone());
            let s = &mut r.submission;
            s.status = SubmissionStatus::Superseded;
            s.superseded_by = Some(win_sub.clone());
            s.values_superseded = s.cells_read;
            s.values_landed = 0;
            s.values_rejected = 0;
            let mut issue = Issue::new(
                Severity::Info,
                "superseded",
                format!("superseded by {win_file} (a later return of the same form and year): its values are not used"),
            )
            .at(&s.source_file, None, None);
            issue.form = s.form.clone();
            issue.submission = Some(s.submission.clone());
            issue.year = s.year;
            r.issues = vec![issue];
            r.observations.clear();
            r.controls.clear();
        }
    }
    (replaced, ambiguous)
}
