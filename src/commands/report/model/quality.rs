//! The data-quality annex (returns and findings of the report year, per body) and the
//! values changed since an earlier version (`--since`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::columns::read_parquet;
use super::{BodyQuality, CatalogueRow, ChangeRow, DataQuality, IssueRow, ReportError, SeriesPoint, SubmissionRow};

/// Submissions and findings of the report year. For the root area every return of
/// the year counts; for a lower area, the returns whose values or findings are in
/// its subtree (the area and its children).
pub fn read_quality(
    tables: &Path,
    year: i32,
    is_root: bool,
    areas: &BTreeSet<String>,
    year_submissions: &BTreeSet<String>,
    catalogue: &[CatalogueRow],
    series: &[SeriesPoint],
) -> Result<DataQuality, ReportError> {
    let sub_path = tables.join("submissions.parquet");
    let all = SubmissionRow::from_frame(&read_parquet(&sub_path, None)?, &sub_path)?;
    let iss_path = tables.join("issues.parquet");
    let issues_all = IssueRow::from_frame(&read_parquet(&iss_path, None)?, &iss_path)?;

    // Which returns: of the report year (or of no readable year), and for a lower area,
    // those with values or findings in its subtree.
    let mut in_scope: BTreeSet<String> = year_submissions.clone();
    if !is_root {
        for i in &issues_all {
            if let (Some(a), Some(sub)) = (&i.area, &i.submission) {
                if areas.contains(a) {
                    in_scope.insert(sub.clone());
                }
            }
        }
    }
    let submissions: Vec<SubmissionRow> = {
        let mut v: Vec<SubmissionRow> =
            all.into_iter().filter(|s| (s.year == Some(year) || s.year.is_none()) && (is_root || in_scope.contains(&s.submission))).collect();
        v.sort_by(|a, b| (&a.reporter, &a.source_file, &a.submission).cmp(&(&b.reporter, &b.source_file, &b.submission)));
        v
    };
    let by_id: BTreeMap<&str, &SubmissionRow> = submissions.iter().map(|s| (s.submission.as_str(), s)).collect();
    let by_file: BTreeMap<&str, &SubmissionRow> = submissions.iter().map(|s| (s.source_file.as_str(), s)).collect();
    let mut issues = Vec::new();
    let mut info_count = 0;
    let mut bodies: BTreeMap<String, BodyQuality> = BTreeMap::new();
    for s in &submissions {
        let b = body(&mut bodies, &s.reporter);
        b.returns += 1;
        match s.status.as_str() {
            "loaded" => b.loaded += 1,
            "superseded" => b.superseded += 1,
            _ => b.failed += 1,
        }
        b.cells_read += s.cells_read;
        b.values_landed += s.values_landed;
        b.values_rejected += s.values_rejected;
    }
    for mut i in issues_all {
        let sub = i.submission.as_deref().and_then(|x| by_id.get(x)).or_else(|| i.source_file.as_deref().and_then(|f| by_file.get(f)));
        let Some(sub) = sub else { continue };
        if !is_root && i.area.as_deref().is_some_and(|a| !areas.contains(a)) {
            continue;
        }
        i.reporter = sub.reporter.clone();
        let b = body(&mut bodies, &sub.reporter);
        match i.severity.as_str() {
            "error" => b.errors += 1,
            "warning" => b.warnings += 1,
            _ => b.info += 1,
        }
        if i.severity == "error" || i.severity == "warning" {
            issues.push(i);
        } else {
            info_count += 1;
        }
    }
    let with_data: BTreeSet<&str> = series.iter().filter(|p| p.value.is_some()).map(|p| p.indicator.as_str()).collect();
    let no_data = catalogue.iter().filter(|c| !with_data.contains(c.indicator.as_str())).map(|c| c.indicator.clone()).collect();
    Ok(DataQuality { submissions, bodies: bodies.into_values().collect(), issues, info_count, no_data })
}

/// The tally of a body (a return's `reporter`; "(未识别)" when none).
fn body<'a>(bodies: &'a mut BTreeMap<String, BodyQuality>, reporter: &Option<String>) -> &'a mut BodyQuality {
    let name = reporter.clone().unwrap_or_else(|| "(未识别)".to_string());
    bodies.entry(name.clone()).or_insert_with(|| BodyQuality { reporter: name, ..Default::default() })
}

/// The changes of `changes.parquet` after version `since`, of the given areas, sorted.
pub fn read_changes(tables: &Path, since: &str, areas: &BTreeSet<String>, names: &BTreeMap<String, String>) -> Result<Vec<ChangeRow>, ReportError> {
    let path = tables.join("changes.parquet");
    let rows = ChangeRow::from_frame(&read_parquet(&path, None)?, &path)?;
    let known: BTreeSet<String> = rows.iter().map(|r| r.version.clone()).collect();
    let valid = since.len() == 7 && since.starts_with('v') && since[1..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Err(ReportError::UnknownVersion { version: since.to_string(), known: known.into_iter().collect::<Vec<_>>().join(", ") });
    }
    // Versions are `v` and a zero-padded number: text order is version order.
    let mut out: Vec<ChangeRow> = rows
        .into_iter()
        .filter(|r| r.version.as_str() > since && areas.contains(&r.area))
        .map(|r| ChangeRow { data_element_name: names.get(&r.data_element).cloned(), ..r })
        .collect();
    out.sort_by(|a, b| (&a.version, &a.data_element, &a.area, a.year, &a.sex, &a.age).cmp(&(&b.version, &b.data_element, &b.area, b.year, &b.sex, &b.age)));
    Ok(out)
}
