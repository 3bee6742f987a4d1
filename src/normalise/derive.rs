//! Sexes derived within a return: M = 合计 − 女 (or 合计 = 男 + 女).

use super::*;

/// Derive M = _T − F (and _T = F + M) for additive data elements reported
/// with two of the three sexes in the same return. Runs after validation, so
/// withheld values derive nothing. Returns the derived observations.
pub fn derive_sexes(form: &Form, cfg: &Config, observations: &[Observation]) -> Vec<Observation> {
    if !form.raw.table.derive_sex {
        return Vec::new();
    }
    // (data element, area, year, age, residence) -> the rows of its total, female, male.
    type K<'a> = (&'a str, &'a str, i32, &'a str, &'a str);
    let mut groups: rustc_hash::FxHashMap<K, [Option<usize>; 3]> = rustc_hash::FxHashMap::default();
    groups.reserve(observations.len());
    // Whether the last data element seen is additive (a file's values of one come together).
    let mut last: Option<(&str, bool)> = None;
    for (i, o) in observations.iter().enumerate() {
        let additive = match last {
            Some((de, additive)) if de == &*o.data_element => additive,
            _ => {
                let additive = cfg.catalogue.data_element(&o.data_element).is_some_and(|d| d.kind.additive());
                last = Some((&o.data_element, additive));
                additive
            }
        };
        if !additive || o.derived {
            continue;
        }
        let slot = match &*o.sex {
            "_T" => 0,
            "F" => 1,
            "M" => 2,
            _ => continue,
        };
        groups.entry((&o.data_element, &o.area, o.year, &o.age, &o.residence)).or_default()[slot] = Some(i);
    }
    // Derived rows in key order, whatever the hash order.
    let mut pairs: Vec<(K, [Option<usize>; 3])> =
        groups.into_iter().filter(|(_, s)| matches!(s, [Some(_), Some(_), None] | [None, Some(_), Some(_)])).collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut new = Vec::new();
    let mut texts = Interner::default();
    for (_, slots) in pairs {
        let (missing_sex, oa, ob, op) = match slots {
            [Some(t), Some(f), None] => ("M", &observations[t], &observations[f], '-'),
            [None, Some(f), Some(m)] => ("_T", &observations[f], &observations[m], '+'),
            _ => continue,
        };
        let (Some(va), Some(vb)) = (oa.value, ob.value) else { continue };
        let value = if op == '-' { va - vb } else { va + vb };
        if value < 0.0 {
            // 其中:女 above the total: reported by validation (female_exceeds_total).
            continue;
        }
        let cells = format!("{}{}{}", oa.source_cell.as_deref().unwrap_or_default(), op, ob.source_cell.as_deref().unwrap_or_default());
        new.push(Observation {
            data_element: oa.data_element.clone(),
            area: oa.area.clone(),
            year: oa.year,
            sex: texts.get(missing_sex),
            age: oa.age.clone(),
            residence: oa.residence.clone(),
            value: Some(value),
            obs_status: "A",
            derived: true,
            form: oa.form.clone(),
            source_file: oa.source_file.clone(),
            source_sheet: oa.source_sheet.clone(),
            source_cell: Some(cells.into()),
            source_sha256: oa.source_sha256.clone(),
            submission: oa.submission.clone(),
            flags: None,
            note: None,
        });
    }
    new
}
