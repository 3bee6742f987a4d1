//! Rows <-> Polars frames.

use polars::prelude::*;

use crate::config::Areas;
use crate::model::{Issue, Observation, Submission, Text};

pub const KEY: [&str; 6] = ["data_element", "area", "year", "sex", "age", "residence"];

fn s(name: &str, v: Vec<Option<String>>) -> Column {
    Column::new(name.into(), v)
}

/// `data_values` columns in contract order (plus `year`, `flags`, `n_sources`),
/// from each file's values in turn (not moved into one vector first).
///
/// The files are taken in runs of about 32k values, in parallel, and each run's
/// columns are built in one pass over its values: building one column at a time
/// read every value 17 times over, mostly waiting on memory. The runs' frames
/// are then joined into one chunk.
pub fn observations(files: &[Vec<Observation>]) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    const RUN: usize = 32 << 10;
    let mut runs: Vec<&[Vec<Observation>]> = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        rows += f.len();
        if rows >= RUN {
            runs.push(&files[start..=i]);
            (start, rows) = (i + 1, 0);
        }
    }
    if start < files.len() || runs.is_empty() {
        runs.push(&files[start..]);
    }
    let frames: Vec<DataFrame> = runs.par_iter().map(|run| observations_run(run)).collect::<PolarsResult<_>>()?;
    let mut frames = frames.into_iter();
    let Some(mut df) = frames.next() else { return observations_run(&[]) };
    for f in frames {
        df.vstack_mut_owned(f)?;
    }
    df.rechunk_mut_par();
    Ok(df)
}

/// [`observations`] for one run of files, in one pass over their values.
fn observations_run(files: &[Vec<Observation>]) -> PolarsResult<DataFrame> {
    let n: usize = files.iter().map(Vec::len).sum();
    // data_element, area, sex, age, residence, form, source_file, source_sheet, source_sha256, submission
    let mut texts: [SharedText; 10] = std::array::from_fn(|_| SharedText::with_capacity(n));
    let mut year = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut derived = Vec::with_capacity(n);
    let mut cell = Vec::with_capacity(n);
    let mut flags = Vec::with_capacity(n);
    let mut note = Vec::with_capacity(n);
    for o in files.iter().flatten() {
        let shared = [
            Some(&o.data_element),
            Some(&o.area),
            Some(&o.sex),
            Some(&o.age),
            Some(&o.residence),
            o.form.as_ref(),
            o.source_file.as_ref(),
            o.source_sheet.as_ref(),
            o.source_sha256.as_ref(),
            o.submission.as_ref(),
        ];
        for (t, v) in texts.iter_mut().zip(shared) {
            t.push(v);
        }
        year.push(o.year);
        value.push(o.value);
        status.push(o.obs_status);
        derived.push(o.derived);
        cell.push(o.source_cell.as_deref());
        flags.push(o.flags.as_deref());
        note.push(o.note.as_deref());
    }
    let [data_element, area, sex, age, residence, form, source_file, source_sheet, source_sha256, submission] = texts;
    DataFrame::new_infer_height(vec![
        data_element.column("data_element"),
        area.column("area"),
        Column::new("year".into(), year),
        sex.column("sex"),
        age.column("age"),
        residence.column("residence"),
        Column::new("value".into(), value),
        Column::new("obs_status".into(), status),
        Column::new("derived".into(), derived),
        form.column("form"),
        source_file.column("source_file"),
        source_sheet.column("source_sheet"),
        Column::new("source_cell".into(), cell),
        source_sha256.column("source_sha256"),
        submission.column("submission"),
        Column::new("flags".into(), flags),
        Column::new("note".into(), note),
        Column::new("n_sources".into(), vec![None::<u32>; n]),
    ])
}

/// A string column whose rows repeat a few shared strings (a file's path, its
/// SHA-256, the codes): each distinct [`Text`] is stored once and every row
/// holds a view of it, instead of a copy per row (which made the `data_values`
/// frame of a province about 2 GB larger).
struct SharedText<'a> {
    /// Distinct values by their allocation (values of one file share one).
    ids: rustc_hash::FxHashMap<usize, u32>,
    distinct: Vec<&'a str>,
    /// Consecutive rows (a file's values) mostly hold the same one: no lookup then.
    last: Option<(usize, u32)>,
    rows: Vec<Option<u32>>,
}

impl<'a> SharedText<'a> {
    fn with_capacity(n: usize) -> Self {
        SharedText { ids: Default::default(), distinct: Vec::new(), last: None, rows: Vec::with_capacity(n) }
    }

    fn push(&mut self, v: Option<&'a Text>) {
        let id = v.map(|t| {
            let at = t.as_ptr() as usize;
            match self.last {
                Some((p, id)) if p == at => id,
                _ => {
                    let distinct = &mut self.distinct;
                    let id = *self.ids.entry(at).or_insert_with(|| {
                        distinct.push(t);
                        (distinct.len() - 1) as u32
                    });
                    self.last = Some((at, id));
                    id
                }
            }
        });
        self.rows.push(id);
    }

    fn column(self, name: &str) -> Column {
        dictionary_column(name, &self.distinct, self.rows)
    }
}

#[cfg(test)]
fn shared_text_column<'a>(name: &str, values: impl Iterator<Item = Option<&'a Text>>) -> Column {
    let mut b = SharedText::with_capacity(values.size_hint().0);
    values.for_each(|v| b.push(v));
    b.column(name)
}

/// A string column of `rows`, each an index into `distinct` (or null): each
/// distinct string is stored once and the rows are views of it.
pub fn dictionary_column(name: &str, distinct: &[&str], rows: impl IntoIterator<Item = Option<u32>>) -> Column {
    use polars_arrow::array::{MutableBinaryViewArray, Utf8ViewArray};
    let dict: Utf8ViewArray = MutableBinaryViewArray::<str>::from_values_iter(distinct.iter().copied()).into();
    let (views, buffers) = (dict.views(), dict.data_buffers());
    let rows = rows.into_iter();
    let mut out = MutableBinaryViewArray::<str>::with_capacity(rows.size_hint().0);
    for r in rows {
        match r.and_then(|i| views.get(i as usize)) {
            Some(v) => out.push_view(*v, buffers),
            None => out.push_null(),
        }
    }
    let arr: Utf8ViewArray = out.into();
    StringChunked::with_chunk(name.into(), arr).into_column()
}

pub fn issues(rows: &[Issue]) -> PolarsResult<DataFrame> {
    let o = |f: &dyn Fn(&Issue) -> Option<String>| -> Vec<Option<String>> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("severity".into(), rows.iter().map(|i| i.severity.as_str()).collect::<Vec<_>>()),
        Column::new("rule".into(), rows.iter().map(|i| i.rule).collect::<Vec<_>>()),
        Column::new("message".into(), rows.iter().map(|i| i.message.clone()).collect::<Vec<_>>()),
        s("source_file", o(&|i| i.source_file.clone())),
        s("source_sheet", o(&|i| i.source_sheet.clone())),
        s("source_cell", o(&|i| i.source_cell.clone())),
        s("data_element", o(&|i| i.data_element.clone())),
        s("indicator", o(&|i| i.indicator.clone())),
        Column::new("year".into(), rows.iter().map(|i| i.year).collect::<Vec<Option<i32>>>()),
        s("area", o(&|i| i.area.clone())),
        s("sex", o(&|i| i.sex.clone())),
        s("age", o(&|i| i.age.clone())),
        s("observed", o(&|i| i.observed.clone())),
        s("expected", o(&|i| i.expected.clone())),
        s("form", o(&|i| i.form.clone())),
        s("submission", o(&|i| i.submission.clone())),
        s("detail", o(&|i| i.detail.clone())),
        Column::new("message_zh".into(), rows.iter().map(crate::i18n::issue_message_zh).collect::<Vec<_>>()),
    ])
}

pub fn submissions(rows: &[Submission]) -> PolarsResult<DataFrame> {
    let o = |f: &dyn Fn(&Submission) -> Option<String>| -> Vec<Option<String>> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("submission".into(), rows.iter().map(|r| r.submission.clone()).collect::<Vec<_>>()),
        s("form", o(&|r| r.form.clone())),
        s("reporter", o(&|r| r.reporter.clone())),
        Column::new("year".into(), rows.iter().map(|r| r.year).collect::<Vec<Option<i32>>>()),
        Column::new("source_file".into(), rows.iter().map(|r| r.source_file.clone()).collect::<Vec<_>>()),
        s("source_sha256", o(&|r| r.source_sha256.clone())),
        s("format", o(&|r| r.format.clone())),
        Column::new("status".into(), rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>()),
        Column::new("cells_read".into(), rows.iter().map(|r| r.cells_read).collect::<Vec<u64>>()),
        Column::new("values_landed".into(), rows.iter().map(|r| r.values_landed).collect::<Vec<u64>>()),
        Column::new("values_rejected".into(), rows.iter().map(|r| r.values_rejected).collect::<Vec<u64>>()),
        Column::new("values_derived".into(), rows.iter().map(|r| r.values_derived).collect::<Vec<u64>>()),
        Column::new("values_superseded".into(), rows.iter().map(|r| r.values_superseded).collect::<Vec<u64>>()),
        s("superseded_by", o(&|r| r.superseded_by.clone())),
    ])
}

pub fn areas(areas: &Areas) -> PolarsResult<DataFrame> {
    let mut list: Vec<_> = areas.list.iter().collect();
    list.sort_by(|a, b| a.code.cmp(&b.code));
    DataFrame::new_infer_height(vec![
        Column::new("area".into(), list.iter().map(|a| a.code.clone()).collect::<Vec<_>>()),
        Column::new("name_zh".into(), list.iter().map(|a| a.name_zh.clone()).collect::<Vec<_>>()),
        Column::new("level".into(), list.iter().map(|a| a.level.clone()).collect::<Vec<_>>()),
        s("parent", list.iter().map(|a| a.parent.clone()).collect()),
        Column::new("depth".into(), list.iter().map(|a| a.depth as u32).collect::<Vec<_>>()),
    ])
}

/// (area, ancestor) for every area and each of its ancestors.
pub fn ancestors(areas: &Areas) -> PolarsResult<DataFrame> {
    let mut a = Vec::new();
    let mut p = Vec::new();
    for area in &areas.list {
        for anc in &area.ancestors {
            a.push(area.code.clone());
            p.push(anc.clone());
        }
    }
    DataFrame::new_infer_height(vec![Column::new("area".into(), a), Column::new("ancestor".into(), p)])
}

pub fn rule_summary(rows: &[crate::model::RuleStat]) -> PolarsResult<DataFrame> {
    let st = |f: &dyn Fn(&crate::model::RuleStat) -> String| -> Vec<String> { rows.iter().map(f).collect() };
    let n = |f: &dyn Fn(&crate::model::RuleStat) -> u64| -> Vec<u64> { rows.iter().map(f).collect() };
    DataFrame::new_infer_height(vec![
        Column::new("rule".into(), st(&|r| r.rule.clone())),
        Column::new("kind".into(), st(&|r| r.kind.as_str().to_string())),
        Column::new("severity".into(), st(&|r| r.severity.as_str().to_string())),
        Column::new("scope".into(), st(&|r| r.scope.as_str().to_string())),
        Column::new("expression".into(), st(&|r| r.expression.clone())),
        Column::new("items".into(), n(&|r| r.items)),
        Column::new("passes".into(), n(&|r| r.passes)),
        Column::new("fails".into(), n(&|r| r.fails)),
        Column::new("missing".into(), n(&|r| r.missing)),
    ])
}

/// Sort a frame ascending by `by`, nulls last — as Polars' multi-column sort
/// does, but through integer ranks: each string column's distinct values are
/// ordered once (a data_values table has millions of rows and a few thousand
/// distinct codes and paths), then the rows by their rank tuples. Stable: rows
/// equal on every key keep their order.
pub fn sort_by_ranks(df: DataFrame, by: &[&str]) -> PolarsResult<DataFrame> {
    let idx = sort_order(&df, by)?;
    let t = std::time::Instant::now();
    let mut df = df;
    df.rechunk_mut_par();
    let rechunked = t.elapsed().as_millis() as u64;
    let out = df.take(&IdxCa::from_vec("idx".into(), idx));
    tracing::debug!(rechunked_ms = rechunked, total_ms = t.elapsed().as_millis() as u64, rows = df.height(), "gathered");
    out
}

/// The row order [`sort_by_ranks`] would give, without moving the rows: for a large
/// table written in parts, each part is gathered as it is written.
pub fn sort_order(df: &DataFrame, by: &[&str]) -> PolarsResult<Vec<IdxSize>> {
    use rayon::prelude::*;
    let t = std::time::Instant::now();
    let ranks: Vec<(Vec<u64>, u32)> = by.par_iter().map(|name| df.column(name).and_then(rank_column).map(narrow)).collect::<PolarsResult<_>>()?;
    let ranked = t.elapsed().as_millis() as u64;
    let n = df.height();
    // Every column's rank and the row number in one 128-bit key, when they fit: the
    // sort then compares one number held in the key array instead of looking each
    // column up row by row. The row number last keeps rows equal on every column in
    // their order, as a stable sort would.
    let row_bits = bits_for(n as u64);
    let idx = if ranks.iter().map(|r| r.1).sum::<u32>() + row_bits <= 128 {
        let mut keys: Vec<u128> = (0..n)
            .into_par_iter()
            .map(|i| ranks.iter().fold(0u128, |k, (r, w)| if *w == 0 { k } else { (k << w) | u128::from(r[i]) }) << row_bits | i as u128)
            .collect();
        keys.par_sort_unstable();
        let mask = (1u128 << row_bits) - 1;
        keys.into_iter().map(|k| (k & mask) as IdxSize).collect()
    } else {
        let mut idx: Vec<IdxSize> = (0..n as IdxSize).collect();
        idx.par_sort_by(|&a, &b| ranks.iter().map(|r| r.0[a as usize].cmp(&r.0[b as usize])).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal));
        idx
    };
    tracing::debug!(ms = t.elapsed().as_millis() as u64, ranked_ms = ranked, rows = n, "sort order");
    Ok(idx)
}

/// Bits to hold every number below `n` (0 when `n` is 0 or 1).
fn bits_for(n: u64) -> u32 {
    64 - n.saturating_sub(1).leading_zeros()
}

/// A column's ranks made to start at 0, nulls (`u64::MAX`) just above the largest,
/// with the bits they need; in the same order as before.
fn narrow(mut ranks: Vec<u64>) -> (Vec<u64>, u32) {
    const NULL: u64 = u64::MAX;
    let (lo, hi) = ranks.iter().filter(|&&r| r != NULL).fold((NULL, 0), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    if lo > hi {
        // All null (or no rows): every rank is the same.
        return (vec![0; ranks.len()], 0);
    }
    let null = hi - lo + 1;
    if null == NULL {
        return (ranks, 64);
    }
    for r in &mut ranks {
        *r = if *r == NULL { null } else { *r - lo };
    }
    let width = bits_for(null + 1);
    (ranks, width)
}

/// Each row's rank in one column's order (nulls last).
fn rank_column(c: &Column) -> PolarsResult<Vec<u64>> {
    const NULL: u64 = u64::MAX;
    Ok(match c.dtype() {
        DataType::String => {
            let ca = c.str()?;
            let mut ids: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
            let mut distinct: Vec<&str> = Vec::new();
            // Values repeat row after row: a value equal to the row before's is not looked up.
            let mut last: Option<(&str, u32)> = None;
            let raw: Vec<u32> = ca
                .iter()
                .map(|v| match (v, last) {
                    (None, _) => u32::MAX,
                    (Some(s), Some((p, id))) if p == s => id,
                    (Some(s), _) => {
                        let id = *ids.entry(s).or_insert_with(|| {
                            distinct.push(s);
                            (distinct.len() - 1) as u32
                        });
                        last = Some((s, id));
                        id
                    }
                })
                .collect();
            let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
            let mut rank = vec![0u64; distinct.len()];
            for (r, &id) in order.iter().enumerate() {
                rank[id as usize] = r as u64;
            }
            raw.into_iter().map(|i| if i == u32::MAX { NULL } else { rank[i as usize] }).collect()
        }
        DataType::Boolean => c.bool()?.iter().map(|v| v.map_or(NULL, u64::from)).collect(),
        DataType::Int32 => c.i32()?.iter().map(|v| v.map_or(NULL, |x| (i64::from(x) - i64::from(i32::MIN)) as u64)).collect(),
        DataType::Int64 => c.i64()?.iter().map(|v| v.map_or(NULL, |x| (x as u64) ^ (1 << 63))).collect(),
        DataType::UInt32 => c.u32()?.iter().map(|v| v.map_or(NULL, u64::from)).collect(),
        other => polars_bail!(InvalidOperation: "sort_by_ranks: column {} of type {other} is not supported", c.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_text_column_holds_every_value() {
        let long: Text = "样本001县/卫健局/2024年妇幼卫生年报.xlsx".into();
        let same_content_other_alloc: Text = "样本001县/卫健局/2024年妇幼卫生年报.xlsx".into();
        let short: Text = "F".into();
        let sha: Text = "ab".repeat(32).into();
        let rows: Vec<Option<&Text>> =
            vec![Some(&long), Some(&short), None, Some(&long), Some(&sha), Some(&same_content_other_alloc), None, Some(&sha), Some(&short)];
        let col = shared_text_column("x", rows.iter().copied());
        let expected = Column::new("x".into(), rows.iter().map(|r| r.map(|t| &**t)).collect::<Vec<Option<&str>>>());
        assert_eq!(col.len(), 9);
        assert!(col.as_materialized_series().equals_missing(expected.as_materialized_series()));
        // Stored once per distinct allocation: three long strings (the path twice, the hash once), not five.
        let ca = col.str().unwrap();
        let buffered: usize = ca.downcast_iter().map(|a| a.total_buffer_len()).sum();
        assert_eq!(buffered, long.len() * 2 + sha.len());
    }

    #[test]
    fn the_values_frame_of_several_runs_holds_every_value_in_order() {
        // 45 files of 1,000 values: more than one run of 32k, so the runs' frames are joined.
        let files: Vec<Vec<Observation>> = (0..45)
            .map(|f| {
                let file: Text = format!("样本{f:03}县/卫健局/2024年妇幼卫生年报.xlsx").into();
                let area: Text = format!("4213211{f:02}").into();
                (0..1000)
                    .map(|i| Observation {
                        data_element: "live_births".into(),
                        area: area.clone(),
                        year: 2015 + (i % 10),
                        sex: if i % 2 == 0 { "F".into() } else { "_T".into() },
                        age: "_T".into(),
                        residence: "_T".into(),
                        value: (i % 7 != 0).then_some((f * 1000 + i) as f64),
                        obs_status: "A",
                        derived: false,
                        form: Some("health".into()),
                        source_file: Some(file.clone()),
                        source_sheet: None,
                        source_cell: Some(format!("C{i}").into()),
                        source_sha256: None,
                        submission: None,
                        flags: (i == 3).then(|| "yoy_outlier".to_string()),
                        note: None,
                    })
                    .collect()
            })
            .collect();
        let df = observations(&files).unwrap();
        assert_eq!(df.height(), 45_000);
        assert_eq!(df.first_col_n_chunks(), 1);
        let all: Vec<&Observation> = files.iter().flatten().collect();
        let col = |c: &str| df.column(c).unwrap().as_materialized_series().clone();
        let (area, file, cell, value, year) = (col("area"), col("source_file"), col("source_cell"), col("value"), col("year"));
        let (area, file, cell, value, year) = (area.str().unwrap(), file.str().unwrap(), cell.str().unwrap(), value.f64().unwrap(), year.i32().unwrap());
        for (row, o) in all.iter().enumerate() {
            assert_eq!(area.get(row), Some(&*o.area), "row {row}");
            assert_eq!(file.get(row), o.source_file.as_deref(), "row {row}");
            assert_eq!(cell.get(row), o.source_cell.as_deref(), "row {row}");
            assert_eq!(value.get(row), o.value, "row {row}");
            assert_eq!(year.get(row), Some(o.year), "row {row}");
        }
        assert_eq!(df.column("flags").unwrap().null_count(), 45_000 - 45);
        assert_eq!(df.column("source_sheet").unwrap().null_count(), 45_000);
    }

    #[test]
    fn rank_sort_orders_like_polars() {
        let df = df!(
            "year" => [Some(2024), Some(2015), None, Some(2024), Some(2024), Some(-3), Some(2024)],
            "area" => [Some("421321101"), Some("b"), Some("a"), None, Some("421321100"), Some("z"), Some("421321100")],
            "cell" => [Some("B10"), Some("B7"), None, Some("厉山镇"), Some("高城"), Some("A1"), None],
            "derived" => [Some(true), Some(false), Some(false), None, Some(false), Some(true), Some(false)],
            "n" => [1u32, 2, 3, 4, 5, 6, 7]
        )
        .unwrap();
        let by = ["year", "area", "derived", "cell"];
        let ours = sort_by_ranks(df.clone(), &by).unwrap();
        let theirs = df.lazy().sort(by, SortMultipleOptions::default().with_nulls_last(true).with_maintain_order(true)).collect().unwrap();
        assert!(ours.equals_missing(&theirs), "{ours}\n{theirs}");
        // And by hand: -3 first, then 2015; the 2024 rows by area (the null area last),
        // the two 421321100 rows (both not derived) by cell with the null cell last; the null year last.
        let n: Vec<u32> = ours.column("n").unwrap().u32().unwrap().iter().flatten().collect();
        assert_eq!(n, vec![6, 2, 5, 7, 1, 4, 3]);
        // Rows equal on every key keep their order (a stable sort).
        let ties = df!("k" => ["b", "a", "b", "a", "b"], "n" => [1u32, 2, 3, 4, 5]).unwrap();
        let n: Vec<u32> = sort_by_ranks(ties, &["k"]).unwrap().column("n").unwrap().u32().unwrap().iter().flatten().collect();
        assert_eq!(n, vec![2, 4, 1, 3, 5]);
    }

    /// Columns whose ranks together need more than 128 bits are compared column by
    /// column instead of packed: the same order as Polars' sort either way.
    #[test]
    fn wide_keys_sort_like_polars() {
        let big = |k: i64| [Some(i64::MIN + k), Some(i64::MAX - k), None, Some(0), Some(i64::MIN + k), Some(7)];
        let df = df!(
            "a" => big(1),
            "b" => big(2),
            "c" => [Some(3i64), Some(-1), Some(3), None, Some(3), Some(3)],
            "n" => [1u32, 2, 3, 4, 5, 6]
        )
        .unwrap();
        for by in [vec!["a", "b", "c"], vec!["c", "a"], vec!["c"], vec!["c", "n"]] {
            let ours = sort_by_ranks(df.clone(), &by).unwrap();
            let theirs = df.clone().lazy().sort(by.clone(), SortMultipleOptions::default().with_nulls_last(true).with_maintain_order(true)).collect().unwrap();
            assert!(ours.equals_missing(&theirs), "{by:?}\n{ours}\n{theirs}");
        }
        // By hand for ["c", "a"]: c = -1 is row 2; the rows with c = 3 (1, 3, 5, 6) by a
        // (MIN+1, null, MIN+1, 7): 1 and 5 in their order, then 6, the null a last; the null c last.
        let ours = sort_by_ranks(df.clone(), &["c", "a"]).unwrap();
        let n: Vec<u32> = ours.column("n").unwrap().u32().unwrap().iter().flatten().collect();
        assert_eq!(n, vec![2, 1, 5, 6, 3, 4]);
    }

    #[test]
    fn narrowed_ranks_keep_their_order_and_put_nulls_last() {
        assert_eq!(narrow(vec![10, u64::MAX, 12, 10]), (vec![0, 3, 2, 0], 2));
        assert_eq!(narrow(vec![u64::MAX, u64::MAX]), (vec![0, 0], 0));
        assert_eq!(narrow(vec![5, 5]), (vec![0, 0], 1));
        assert_eq!(narrow(vec![0, u64::MAX - 1]).1, 64);
        assert_eq!((bits_for(0), bits_for(1), bits_for(2), bits_for(3), bits_for(4), bits_for(5)), (0, 0, 1, 2, 2, 3));
    }
}
