//! [`load`]: the tables of `DB/current/` read into a [`ReportModel`] for one area and year.

use std::collections::{BTreeMap, BTreeSet};

use super::columns::{read_areas, read_parquet, year_files, Cols};
use super::{quality, Area, CatalogueRow, LineageRow, ManifestFacts, ModelOptions, ProgressRow, ReportError, ReportModel, SeriesPoint};

pub fn load(opts: &ModelOptions) -> Result<ReportModel, ReportError> {
    let db = &opts.db;
    let current = db.join("current");
    let manifest_path = current.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(ReportError::NoDatabase { path: db.clone() });
    }
    let tables = std::fs::canonicalize(&current).map_err(|source| ReportError::Io { path: current.clone(), source })?;
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| ReportError::Io { path: manifest_path.clone(), source })?;
    let manifest: ManifestFacts = serde_json::from_str(&text).map_err(|source| ReportError::Manifest { path: manifest_path.clone(), source })?;

    // Areas: the report's, its children and its ancestors.
    let areas_path = tables.join("areas.parquet");
    let areas: BTreeMap<String, Area> = Area::from_frame(&read_parquet(&areas_path, None)?, &areas_path)?.into_iter().map(|a| (a.code.clone(), a)).collect();
    let area = match &opts.area {
        Some(code) => areas.get(code).cloned().ok_or_else(|| ReportError::UnknownArea {
            area: code.clone(),
            path: areas_path.clone(),
            known: areas.values().take(40).map(|a| format!("{} {}", a.code, a.name)).collect::<Vec<_>>().join(", "),
        })?,
        None => {
            let mut roots: Vec<&Area> = areas.values().filter(|a| a.parent.as_deref().is_none_or(|p| !areas.contains_key(p))).collect();
            roots.sort_by(|a, b| (a.depth, &a.code).cmp(&(b.depth, &b.code)));
            roots.first().map(|a| (*a).clone()).ok_or_else(|| ReportError::Empty { path: areas_path.clone() })?
        }
    };
    let children: Vec<Area> = areas.values().filter(|a| a.parent.as_deref() == Some(area.code.as_str())).cloned().collect();
    let mut ancestors = Vec::new();
    let mut up = area.parent.clone();
    while let Some(p) = up {
        match areas.get(&p) {
            Some(a) if ancestors.len() < 64 => {
                ancestors.push(a.clone());
                up = a.parent.clone();
            }
            _ => break,
        }
    }
    ancestors.reverse();

    // The catalogue, in report order: plan (women first), domain (plan order), indicator.
    let cat_path = tables.join("indicators.parquet");
    let mut catalogue = CatalogueRow::from_frame(&read_parquet(&cat_path, None)?, &cat_path)?;
    let plan_rank = |p: &str| crate::labels::PLANS.iter().position(|x| x.code == p).unwrap_or(usize::MAX);
    let order = |c: &CatalogueRow| (plan_rank(&c.plan), c.plan.clone(), crate::labels::domain_rank(&c.domain), c.domain.clone(), c.indicator.clone());
    catalogue.sort_by_key(order);

    // Data element names.
    let de_path = tables.join("data_elements.parquet");
    let mut data_element_names = BTreeMap::new();
    if de_path.is_file() {
        let df = read_parquet(&de_path, Some(&["data_element", "name_zh"]))?;
        let c = Cols { df: &df, path: &de_path };
        for (k, v) in c.get::<Option<String>>("data_element", true)?.into_iter().zip(c.get::<Option<String>>("name_zh", true)?) {
            if let (Some(k), Some(v)) = (k, v) {
                data_element_names.insert(k, v);
            }
        }
    }

    // Indicator values: the area's series and the children's values.
    let iv_dir = tables.join("indicator_values");
    let iv_files = year_files(&iv_dir)?;
    let mut wanted: BTreeSet<String> = children.iter().map(|a| a.code.clone()).collect();
    wanted.insert(area.code.clone());
    let mut all_points: Vec<SeriesPoint> = Vec::new();
    for (year, f) in &iv_files {
        let df = read_areas(f, &wanted)?;
        if df.height() == 0 {
            continue;
        }
        all_points.extend(SeriesPoint::from_frame(&df, f)?.into_iter().map(|p| SeriesPoint { year: *year, ..p }));
    }
    if iv_files.is_empty() {
        return Err(ReportError::Empty { path: iv_dir });
    }
    let years: Vec<i32> = all_points.iter().filter(|p| p.area == area.code && p.value.is_some()).map(|p| p.year).collect::<BTreeSet<_>>().into_iter().collect();
    let Some(&latest) = years.last() else {
        return Err(ReportError::Empty { path: iv_dir });
    };
    let year = opts.year.unwrap_or(latest);
    if !years.contains(&year) {
        return Err(ReportError::NoDataForYear { year, path: iv_dir, known: years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ") });
    }

    // Progress of the area: the database's one assessment, as of its latest year (a report
    // for an earlier year shows it as that, recomputing nothing).
    let pr_path = tables.join("progress.parquet");
    let df = read_parquet(&pr_path, None)?;
    let df = Cols { df: &df, path: &pr_path }.filter_in("area", &BTreeSet::from([area.code.clone()]))?;
    let df = Cols { df: &df, path: &pr_path }.not_null("target_year")?;
    let progress = ProgressRow::from_frame(&df, &pr_path)?;
    let progress_year = progress.iter().filter_map(|p| p.latest_year).max();

    let (series, towns): (Vec<SeriesPoint>, Vec<SeriesPoint>) = all_points.into_iter().filter(|p| p.year <= year).partition(|p| p.area == area.code);
    let towns: Vec<SeriesPoint> = towns.into_iter().filter(|p| p.year == year && p.residence == "_T").collect();
    let headline_age = headline_ages(&catalogue, &progress, &series);

    // Lineage: the data elements of the formulas, for the years of the latest values.
    let mut lineage_years: BTreeSet<i32> = progress.iter().filter_map(|p| p.latest_year).filter(|y| *y <= year).collect();
    lineage_years.insert(year);
    let elements: BTreeSet<String> =
        catalogue.iter().flat_map(|c| c.numerator_terms().into_iter().chain(c.denominator_terms()).chain(c.value_terms())).map(|t| t.data_element).collect();
    let dv_dir = tables.join("data_values");
    let mut lineage = Vec::new();
    let mut year_submissions: BTreeSet<String> = BTreeSet::new();
    for (y, f) in year_files(&dv_dir)? {
        if !lineage_years.contains(&y) {
            continue;
        }
        let df = read_areas(&f, &wanted)?;
        if df.height() == 0 {
            continue;
        }
        let c = Cols { df: &df, path: &f };
        if y == year {
            year_submissions.extend(c.get::<Option<String>>("submission", false)?.into_iter().flatten());
        }
        let df = c.filter_in("data_element", &elements)?;
        lineage.extend(LineageRow::from_frame(&df, &f)?.into_iter().map(|l| LineageRow {
            year: y,
            data_element_name: data_element_names.get(&l.data_element).cloned(),
            ..l
        }));
    }

    // Data quality.
    let is_root = area.parent.as_deref().is_none_or(|p| !areas.contains_key(p));
    let quality = quality::read_quality(&tables, year, is_root, &wanted, &year_submissions, &catalogue, &series)?;

    // Changes since a version.
    let changes = match &opts.since {
        Some(v) => quality::read_changes(&tables, v, &wanted, &data_element_names)?,
        None => Vec::new(),
    };

    Ok(ReportModel {
        db: db.clone(),
        tables,
        manifest,
        kind: opts.kind,
        year,
        years: years.into_iter().filter(|y| *y <= year).collect(),
        area,
        progress_year,
        children,
        ancestors,
        areas,
        catalogue,
        progress,
        series,
        towns,
        lineage,
        quality,
        since: opts.since.clone(),
        changes,
        data_element_names,
        headline_age,
    })
}

/// Each indicator's headline age group: the age of its progress rows (`_T` among them
/// first), else of the area's values, else none.
fn headline_ages(catalogue: &[CatalogueRow], progress: &[ProgressRow], series: &[SeriesPoint]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for c in catalogue {
        let ages_p: BTreeSet<&str> = progress.iter().filter(|p| p.indicator == c.indicator).map(|p| p.age.as_str()).collect();
        let ages_s: BTreeSet<&str> = series.iter().filter(|p| p.indicator == c.indicator && p.value.is_some()).map(|p| p.age.as_str()).collect();
        let pick = |set: &BTreeSet<&str>| if set.contains("_T") { Some("_T".to_string()) } else { set.iter().next().map(|a| a.to_string()) };
        if let Some(a) = pick(&ages_p).or_else(|| pick(&ages_s)) {
            out.insert(c.indicator.clone(), a);
        }
    }
    out
}
