//! A value's key: what the sheet, its column and its row say about it (data
//! element, area, year, sex, age, residence), combined field by field.

use super::*;

impl SheetNormaliser<'_, '_> {
    /// The year a column's header gives (`year.from = "row"`), else none.
    pub(super) fn column_year(&self, c: usize) -> Result<Option<i32>, KeyError> {
        let spec = &self.form.raw.year;
        let (YearFrom::Row, Some(row)) = (spec.from, spec.row) else { return Ok(None) };
        let rr = self.hr + row - 1;
        let label = self.sheet.get_merged(rr, c).label();
        match self.form.year_re.captures(&label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok()) {
            Some(y) => Ok(Some(y)),
            None => Err(KeyError::NoYearAboveColumn { cell: a1(rr, c), label: label.into_owned(), row, pattern: self.form.year_re.as_str().to_string() }),
        }
    }

    pub(super) fn column_key(&self, c: usize, path: &[String]) -> Result<Key, KeyError> {
        let mut key = Key::default();
        let by_letter =
            self.form.raw.columns.iter().find(|m| m.flag_of.is_none() && m.column.as_deref().and_then(crate::config::forms::column_index) == Some(c));
        if let Some(m) = by_letter {
            key.dims = m.dims.clone();
        } else if path.is_empty() {
            return Err(KeyError::ColumnWithoutHeader { letter: a1(0, c).trim_end_matches('1').to_string() });
        } else if let Some((_, &i)) = self.form.columns.iter().find(|(k, _)| path_matches(path, k)) {
            key.dims = self.form.raw.columns[i].dims.clone();
        } else if self.form.raw.area.from != AreaFrom::Columns {
            // Built-in sex/age labels ("男", "女", "0-4岁") under a mapped parent.
            let last = path.last().map(String::as_str).unwrap_or_default();
            let parent = &path[..path.len() - 1];
            let parent_dims =
                self.form.columns.iter().find(|(k, _)| !parent.is_empty() && path_matches(parent, k)).map(|(_, &i)| self.form.raw.columns[i].dims.clone());
            let own = if labels::is_total(last) {
                Some(Dims::default())
            } else if let Some(s) = labels::sex_code(last) {
                Some(Dims { sex: Some(s.into()), ..Default::default() })
            } else {
                labels::age_code(last).map(|a| Dims { age: Some(a), ..Default::default() })
            };
            match (own, parent_dims) {
                (Some(o), Some(p)) => key.dims = o.merge(&p).map_err(KeyError::Dims)?,
                (Some(o), None) if self.form.raw.columns.is_empty() => key.dims = o,
                _ => {
                    let known: Vec<&str> = self.form.raw.columns.iter().filter_map(|c| c.header.as_deref()).collect();
                    let joined = path.join("/");
                    let hint = closest_hint(&joined, &known);
                    return Err(KeyError::ColumnNotMapped { path: joined, form: self.form.file.clone(), hint });
                }
            }
        }
        if self.form.raw.area.from == AreaFrom::Columns {
            let last = path.last().map(String::as_str).unwrap_or_default();
            match self.cfg.areas.resolve(last) {
                Some(a) => key.area = Some(a.code.clone()),
                None => return Err(KeyError::ColumnNotAnArea { label: last.to_string(), closest: self.cfg.areas.closest(last, 3).join(", ") }),
            }
        }
        Ok(key)
    }

    /// The key a row label gives; `n` is the label normalised.
    pub(super) fn row_key(&self, label: &str, n: &str) -> Result<Key, KeyError> {
        let mut key = Key::default();
        if self.form.raw.area.from == AreaFrom::Rows {
            return match self.cfg.areas.resolve(label) {
                Some(a) => {
                    key.area = Some(a.code.clone());
                    Ok(key)
                }
                None => Err(KeyError::UnknownArea { label: label.to_string(), closest: self.cfg.areas.closest(label, 3).join(", ") }),
            };
        }
        if let Some(&i) = self.form.rows.get(n).or_else(|| self.form.rows.get(strip_unit(n))) {
            key.dims = self.form.raw.rows[i].dims.clone();
            return Ok(key);
        }
        if self.form.raw.rows.is_empty() {
            if labels::is_total_normalised(n) {
                return Ok(key);
            }
            if let Some(s) = labels::sex_code_normalised(n) {
                key.dims.sex = Some(s.into());
                return Ok(key);
            }
            if let Some(a) = labels::age_code_normalised(label, n) {
                key.dims.age = Some(a);
                return Ok(key);
            }
        }
        let known: Vec<&str> = self.form.raw.rows.iter().map(|r| r.label.as_str()).collect();
        Err(KeyError::RowNotMapped { label: label.to_string(), form: self.form.file.clone(), hint: closest_hint(label, &known) })
    }
}

pub(super) fn with_key(mut issue: Issue, de: &str, area: &str, year: i32, k: &KeyRef) -> Issue {
    issue.data_element = Some(de.to_string());
    issue.area = Some(area.to_string());
    issue.year = Some(year);
    issue.sex = Some(k.sex.unwrap_or("_T").to_string());
    issue.age = Some(k.age.unwrap_or("_T").to_string());
    issue
}

/// A value's key combined from the sheet's, the column's and the row's, borrowing
/// their texts: a value landed copies none of them.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct KeyRef<'k> {
    pub(super) data_element: Option<&'k str>,
    pub(super) sex: Option<&'k str>,
    pub(super) age: Option<&'k str>,
    pub(super) residence: Option<&'k str>,
    pub(super) unit: Option<&'k str>,
    pub(super) area: Option<&'k str>,
    pub(super) year: Option<i32>,
}

/// Combine keys in order: a field is set by the first key that has it; two keys
/// setting it differently is an error message (as [`Dims::merge_from`] words it).
pub(super) fn combine<'k>(keys: &[&'k Key]) -> Result<KeyRef<'k>, KeyError> {
    fn pick<'k>(a: &mut Option<&'k str>, b: &'k Option<String>, what: &'static str) -> Result<(), KeyError> {
        match (*a, b.as_deref()) {
            (Some(x), Some(y)) if x != y => return Err(KeyError::Conflict { field: what, one: x.to_string(), other: y.to_string() }),
            (None, Some(y)) => *a = Some(y),
            _ => {}
        }
        Ok(())
    }
    let mut out = KeyRef::default();
    for k in keys {
        let d = &k.dims;
        pick(&mut out.data_element, &d.data_element, "data_element")?;
        pick(&mut out.sex, &d.sex, "sex")?;
        pick(&mut out.age, &d.age, "age")?;
        pick(&mut out.residence, &d.residence, "residence")?;
        pick(&mut out.unit, &d.unit, "unit")?;
        pick(&mut out.area, &k.area, "area")?;
        if out.year.is_none() {
            out.year = k.year;
        }
    }
    Ok(out)
}

/// "; closest: a, b" with the known labels nearest to `label`, or "".
pub(super) fn closest_hint(label: &str, known: &[&str]) -> String {
    if known.is_empty() {
        return String::new();
    }
    let n = normalise_label(label);
    let mut scored: Vec<(f64, &str)> = known.iter().map(|k| (strsim::normalized_levenshtein(&n, &normalise_label(k)), *k)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let best: Vec<&str> = scored.iter().take(3).map(|s| s.1).collect();
    format!("; closest: {}", best.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(de: Option<&str>, sex: Option<&str>, age: Option<&str>, unit: Option<&str>) -> Dims {
        let s = |x: Option<&str>| x.map(str::to_string);
        Dims { data_element: s(de), sex: s(sex), age: s(age), residence: None, unit: s(unit) }
    }

    /// The sheet's, column's and row's keys combined: each field from the first key
    /// that sets it, a field set two ways refused in the words `Dims::merge` uses.
    #[test]
    fn keys_combine_field_by_field_and_refuse_conflicts() {
        let sheet = Key { dims: Dims::default(), area: Some("421321".into()), year: Some(2024) };
        let col = Key { dims: dims(Some("live_births"), Some("F"), None, Some("万人")), area: None, year: None };
        let row = Key { dims: dims(None, Some("F"), Some("Y0T4"), None), area: Some("421321".into()), year: Some(2023) };
        let k = combine(&[&sheet, &col, &row]).unwrap();
        assert_eq!(
            (k.data_element, k.sex, k.age, k.residence, k.unit, k.area, k.year),
            (Some("live_births"), Some("F"), Some("Y0T4"), None, Some("万人"), Some("421321"), Some(2024))
        );
        let male = Key { dims: dims(None, Some("M"), None, None), area: None, year: None };
        assert_eq!(combine(&[&sheet, &col, &male]).unwrap_err().to_string(), "sex is F by one mapping and M by another");
        assert_eq!(combine(&[&col, &male]).unwrap_err().to_string(), col.dims.merge(&male.dims).unwrap_err());
        let other_area = Key { dims: Dims::default(), area: Some("421322".into()), year: None };
        assert_eq!(combine(&[&sheet, &other_area]).unwrap_err().to_string(), "area is 421321 by one mapping and 421322 by another");
        let other_unit = Key { dims: dims(None, None, None, Some("人")), area: None, year: None };
        assert_eq!(combine(&[&col, &other_unit]).unwrap_err().to_string(), "unit is 万人 by one mapping and 人 by another");
        assert_eq!(combine(&[]).unwrap().data_element, None);
    }
}
