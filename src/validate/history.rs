//! Checks against a series' own history: year-over-year outliers (modified
//! z-score) and a return repeating last year's figures.

use super::*;

pub use crate::util::median;

/// Modified z-score of `x` against `history` (Iglewicz & Hoaglin): (x − median) / s with
/// s = MAD / 0.6745, or 1.253314 · mean absolute deviation when MAD is 0. For counts,
/// s is at least √median, the Poisson standard deviation: a count's chance variation is
/// not an outlier however steady its history. None when there is no scale.
pub fn modified_z(x: f64, history: &[f64], count: bool) -> Option<(f64, f64)> {
    modified_z_in(x, &mut history.to_vec(), &mut Vec::new(), count)
}

/// [`modified_z`] in buffers the caller keeps from value to value: `h` (the
/// history) is sorted in place, `dev` is overwritten.
fn modified_z_in(x: f64, h: &mut [f64], dev: &mut Vec<f64>, count: bool) -> Option<(f64, f64)> {
    let med = median(h)?;
    dev.clear();
    dev.extend(h.iter().map(|v| (v - med).abs()));
    let mad = median(dev)?;
    let mut scale = if mad > 0.0 { mad / 0.6745 } else { 1.253314 * dev.iter().sum::<f64>() / dev.len() as f64 };
    if count {
        scale = scale.max(med.max(0.0).sqrt());
    }
    (scale > 0.0).then(|| ((x - med) / scale, med))
}

/// (data element, area, sex, age, residence)
pub(super) type SeriesKey<'a> = (Code<'a>, Code<'a>, Code<'a>, Code<'a>, Code<'a>);

/// Every series' values by year, and each value's series: found once, when the
/// series are built, instead of hashing the value's key again in every check.
pub(super) struct Series {
    years: Vec<BTreeMap<i32, f64>>,
    /// Per batch, per value: its series in `years` (`NONE` for a value that has none).
    of: Vec<Vec<u32>>,
}

impl Series {
    const NONE: u32 = u32::MAX;

    /// The series of a live reported value.
    fn of(&self, (b, i): At) -> Option<&BTreeMap<i32, f64>> {
        self.years.get(*self.of.get(b)?.get(i)? as usize)
    }
}

fn series_key<'a>(keys: &Keys<'a>, at: At) -> SeriesKey<'a> {
    let (de, area, _, sex, age, res) = keys.of(at);
    (de, area, sex, age, res)
}

/// Every series (data element × area × sex × age × residence): the database's history, then this run's live reported values.
/// A history series none of the group's values belongs to is left out: nothing looks it up.
pub(super) fn build_series(batches: &[Batch], keys: &Keys, history: &History, marks: &Marks) -> Series {
    let mut ids: rustc_hash::FxHashMap<SeriesKey, u32> = rustc_hash::FxHashMap::default();
    let mut years: Vec<BTreeMap<i32, f64>> = Vec::new();
    for (k, ys) in history {
        let c = |s: &String| keys.code(s);
        if let (Some(de), Some(area), Some(sex), Some(age), Some(res)) = (c(&k.0), c(&k.1), c(&k.2), c(&k.3), c(&k.4)) {
            ids.insert((de, area, sex, age, res), years.len() as u32);
            years.push(ys.clone());
        }
    }
    let mut of = Vec::with_capacity(batches.len());
    for (b, batch) in batches.iter().enumerate() {
        let mut own = vec![Series::NONE; batch.observations.len()];
        for (i, o) in batch.observations.iter().enumerate() {
            if let (true, Some(v)) = (marks.live((b, i)) && !o.derived, o.value) {
                let id = *ids.entry(series_key(keys, (b, i))).or_insert_with(|| {
                    years.push(BTreeMap::new());
                    years.len() as u32 - 1
                });
                years[id as usize].insert(o.year, v);
                own[i] = id;
            }
        }
        of.push(own);
    }
    Series { years, of }
}

/// Year-over-year outliers: each reported value against the same series' earlier years.
pub(super) fn outliers(batches: &[Batch], keys: &Keys, series: &Series, ctx: &mut Ctx) {
    let s = ctx.cfg.rules.outliers.clone();
    let (mut hist, mut dev): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    // Whether a data element is a count, for the last one seen (values of one come together).
    let mut counts: Option<(Code, bool)> = None;
    for (b, batch) in batches.iter().enumerate() {
        for (i, o) in batch.observations.iter().enumerate() {
            let Some(x) = o.value else { continue };
            if !ctx.marks.live((b, i)) || o.derived {
                continue;
            }
            let key = series_key(keys, (b, i));
            // The earlier years' values, in one buffer reused from value to value.
            hist.clear();
            let mut years = (0, 0);
            if let Some(m) = series.of((b, i)) {
                for (n, (y, v)) in m.range(..o.year).enumerate() {
                    years = (if n == 0 { *y } else { years.0 }, *y);
                    hist.push(*v);
                }
            }
            if hist.len() < s.min_history {
                ctx.stats.missing("yoy_outlier");
                continue;
            }
            let count = match counts {
                Some((de, count)) if de == key.0 => count,
                _ => {
                    let count = ctx.cfg.catalogue.data_element(&key.0).is_some_and(|d| d.kind == Kind::Count);
                    counts = Some((key.0, count));
                    count
                }
            };
            // The year before, taken before the history is sorted for its median (no
            // history has no median either).
            let Some(&prev) = hist.last() else {
                ctx.stats.missing("yoy_outlier");
                continue;
            };
            let Some((z, med)) = modified_z_in(x, &mut hist, &mut dev, count) else {
                ctx.stats.missing("yoy_outlier");
                continue;
            };
            let small = x.abs() < s.min_value && med.abs() < s.min_value;
            // A trend moves the value away from an old median; an error also jumps from last year.
            let big_change = (x - med).abs() >= s.min_relative_change * med.abs() && (x - prev).abs() >= s.min_relative_change * prev.abs();
            if small || z.abs() <= s.threshold || !big_change {
                ctx.stats.pass("yoy_outlier");
                continue;
            }
            let name = ctx.cfg.catalogue.data_element(&o.data_element).map(|d| d.name_zh.as_str()).unwrap_or_default();
            let (y0, y1) = years;
            let msg = format!(
                "{name} {} in {} is far from its own history: median {} over {y0}–{y1}, modified z = {:.1} (limit {})",
                fmt_num(x),
                o.year,
                fmt_num(med),
                z,
                s.threshold
            );
            let issue = issue_for(o, s.severity, "yoy_outlier", msg).expected(format!("about {} (|z| <= {})", fmt_num(med), s.threshold));
            let place = crate::i18n::place_zh(issue.source_sheet.as_deref(), issue.source_cell.as_deref());
            let zh = crate::t!(
                crate::i18n::Lang::Zh,
                "issue-yoy-outlier-history",
                place = &place,
                name = if name.is_empty() { &*o.data_element } else { name },
                observed = &fmt_num(x),
                from = y0,
                to = y1,
                median = &fmt_num(med),
                z = &format!("{z:.1}"),
                threshold = &s.threshold.to_string()
            );
            let issue = issue.zh(zh);
            ctx.finding(batches, (b, i), s.severity, "yoy_outlier", issue, &[(b, i)]);
        }
    }
}

/// A return whose values are (almost) all the same as the year before: last year's file sent again.
pub(super) fn repeated_last_year(batches: &[Batch], series: &Series, ctx: &mut Ctx) {
    const MIN_VALUES: usize = 10;
    const SHARE: f64 = 0.9;
    let sev = ctx.cfg.rules.severity_of("repeated_last_year");
    for (b, batch) in batches.iter().enumerate() {
        let mut compared: Vec<At> = Vec::new();
        let mut same = 0usize;
        let mut years = std::collections::BTreeSet::new();
        for (i, o) in batch.observations.iter().enumerate() {
            let Some(v) = o.value.filter(|v| *v != 0.0) else { continue };
            if !ctx.marks.live((b, i)) || o.derived {
                continue;
            }
            let Some(prev) = series.of((b, i)).and_then(|m| m.get(&(o.year - 1))) else { continue };
            compared.push((b, i));
            years.insert(o.year);
            if (prev - v).abs() <= 1e-9 * v.abs().max(1.0) {
                same += 1;
            }
        }
        if compared.len() < MIN_VALUES {
            continue;
        }
        if (same as f64) < SHARE * compared.len() as f64 {
            ctx.stats.pass("repeated_last_year");
            continue;
        }
        let year = years.iter().next().copied().unwrap_or_default();
        let first = &batch.observations[compared[0].1];
        let mut issue = Issue::new(
            sev,
            "repeated_last_year",
            format!("{same} of {} values are exactly the same as {}: is this last year's return sent again?", compared.len(), year - 1),
        )
        .at(batch.file, None, None)
        .observed(format!("{same} of {} values as in {}", compared.len(), year - 1))
        .expected(format!("the figures for {year}"))
        .zh(crate::t!(crate::i18n::Lang::Zh, "issue-repeated-last-year-share", compared = compared.len(), same = same, prev = year - 1));
        issue.year = Some(year);
        issue.form = first.form.as_deref().map(str::to_string);
        issue.submission = first.submission.as_deref().map(str::to_string);
        ctx.finding(batches, compared[0], sev, "repeated_last_year", issue, &compared);
    }
}
