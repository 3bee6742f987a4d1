//! The long layout: one value per row, with its item, area, sex, age, unit and
//! year in columns of their own (`[long]` in a form).

use super::*;

impl SheetNormaliser<'_, '_> {
    pub(super) fn long(&mut self) {
        let Some(spec) = self.form.raw.long.clone() else { return };
        let find = |label: &Option<ColRef>| label.as_ref().map(|l| (l.describe(), self.col_ref_index(l)));
        let year_col = self.form.raw.year.column.as_ref().map(|y| (y.describe(), self.col_ref_index(y)));
        let item_col = self.col_ref_index(&spec.item_column);
        let value_col = self.col_ref_index(&spec.value_column);
        let (Some(item_col), Some(value_col)) = (item_col, value_col) else {
            let msg = format!("the item column {:?} or value column {:?} is not in the header", spec.item_column.describe(), spec.value_column.describe());
            let issue = self.issue(Severity::Error, "table_not_found", msg, self.hr, 0);
            self.out.issues.push(issue);
            return;
        };
        let mut role_cols = BTreeMap::new();
        for (role, l) in [
            ("area", find(&spec.area_column)),
            ("sex", find(&spec.sex_column)),
            ("age", find(&spec.age_column)),
            ("unit", find(&spec.unit_column)),
            ("year", year_col),
            ("flag", find(&spec.flag_column)),
        ] {
            if let Some((name, idx)) = l {
                match idx {
                    Some(i) => {
                        role_cols.insert(role, i);
                    }
                    None => {
                        let issue = self.issue(Severity::Error, "table_not_found", format!("the {role} column {name:?} is not in the header"), self.hr, 0);
                        self.out.issues.push(issue);
                        return;
                    }
                }
            }
        }
        let sheet_key = self.sheet_key();
        let first_data = self.hr + self.form.raw.table.header_rows;
        for r in first_data..self.sheet.rows {
            if self.is_end_row(r) {
                break;
            }
            let v = self.sheet.get(r, value_col).clone();
            if v.is_empty() {
                continue;
            }
            self.out.cells_read += 1;
            let text = |c: Option<&usize>| c.map(|&c| self.sheet.get_merged(r, c).label()).unwrap_or_default();
            let item = text(Some(&item_col));
            let item_n = normalise_label(&item);
            let item_is_total = self.skip_rows.iter().any(|s| normalised_eq(&item_n, s));
            let area_is_total = {
                let area_n = normalise_label(&text(role_cols.get("area")));
                self.skip_rows.iter().any(|s| normalised_eq(&area_n, s))
            };
            if item_is_total || area_is_total {
                if !item_is_total {
                    let n = &item_n;
                    if let (Ok(base), Some(&i)) = (&sheet_key, self.form.items.get(n).or_else(|| self.form.items.get(strip_unit(n)))) {
                        let row = Key { dims: self.form.raw.items[i].dims.clone(), ..Default::default() };
                        if let Ok(k) = combine(&[base, &row]) {
                            self.control(k, &v, r, value_col);
                        }
                    }
                }
                let issue = self
                    .issue(Severity::Info, "skipped_total", format!("row {item:?} is a total the form skips: wcmon sums the areas itself"), r, value_col)
                    .observed(v.as_label());
                self.reject(issue);
                continue;
            }
            // The row's own key; combined with the sheet's below.
            let row: Result<Key, (KeyError, &'static str)> = (|| {
                if let Err(e) = &sheet_key {
                    return Err(e.clone());
                }
                let n = &item_n;
                let Some(&i) = self.form.items.get(n).or_else(|| self.form.items.get(strip_unit(n))) else {
                    let known: Vec<&str> = self.form.raw.items.iter().map(|r| r.label.as_str()).collect();
                    let hint = closest_hint(&item, &known);
                    return Err((KeyError::ItemNotMapped { item: item.to_string(), form: self.form.file.clone(), hint }, "unmapped_cell"));
                };
                let mut row = Key { dims: self.form.raw.items[i].dims.clone(), ..Default::default() };
                if let Some(c) = role_cols.get("area") {
                    let written = text(Some(c));
                    let label = match self.form.area_values.get(&normalise_label(&written)) {
                        Some(a) => std::borrow::Cow::Owned(a.clone()),
                        None => written,
                    };
                    match self.cfg.areas.get(&label).or_else(|| self.cfg.areas.resolve(&label)) {
                        Some(a) => row.area = Some(a.code.clone()),
                        None => {
                            return Err((
                                KeyError::UnknownArea { closest: self.cfg.areas.closest(&label, 3).join(", "), label: label.into_owned() },
                                "unknown_area",
                            ))
                        }
                    }
                }
                // An item's own sex or age wins over the column's; `sex_values` / `age_values` before the built-in labels.
                if let Some(c) = role_cols.get("sex").filter(|_| row.dims.sex.is_none()) {
                    let label = text(Some(c));
                    let code = self.form.sex_values.get(&normalise_label(&label)).cloned().or_else(|| labels::sex_code(&label).map(str::to_string));
                    match code {
                        Some(s) => row.dims.sex = Some(s),
                        None if label.is_empty() => {}
                        None => {
                            let mapped: Vec<&str> = spec.sex_values.keys().map(String::as_str).collect();
                            let also = if mapped.is_empty() {
                                " (say what it means with [long] sex_values = { … = \"_T\" })".to_string()
                            } else {
                                format!(" nor in sex_values ({})", mapped.join(", "))
                            };
                            return Err((KeyError::UnknownSex { label: label.into_owned(), also }, "unknown_label"));
                        }
                    }
                }
                if let Some(c) = role_cols.get("age").filter(|_| row.dims.age.is_none()) {
                    let label = text(Some(c));
                    match self.form.age_values.get(&normalise_label(&label)).cloned().or_else(|| labels::age_code(&label)) {
                        Some(a) => row.dims.age = Some(a),
                        None if label.is_empty() => {}
                        None => return Err((KeyError::UnknownAge { label: label.into_owned() }, "unknown_label")),
                    }
                }
                if let Some(c) = role_cols.get("unit") {
                    let label = text(Some(c));
                    if !label.is_empty() {
                        row.dims =
                            row.dims.merge(&Dims { unit: Some(label.into_owned()), ..Default::default() }).map_err(|m| (KeyError::Dims(m), "unit_mismatch"))?;
                    }
                }
                if let Some(c) = role_cols.get("year") {
                    let label = text(Some(c));
                    match self.form.year_re.captures(&label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok()) {
                        Some(y) => row.year = Some(y),
                        None => return Err((KeyError::LongYear { label: label.into_owned() }, "year_not_found")),
                    }
                }
                Ok(row)
            })();
            let key = match (&sheet_key, &row) {
                (Ok(base), Ok(row)) => combine(&[base, row]).map_err(|m| (m, "unmapped_cell")),
                (Err(e), _) | (_, Err(e)) => Err(e.clone()),
            };
            match key {
                Ok(k) => {
                    let flag = role_cols.get("flag").map(|&f| (f, self.sheet.get(r, f).label().into_owned())).filter(|f| !f.1.is_empty());
                    self.land_flagged(k, &v, r, value_col, flag)
                }
                Err((why, rule)) => {
                    let mut issue = self.issue(Severity::Error, rule, why.to_string(), r, value_col).observed(v.as_label());
                    let cols = [role_cols.get("area"), role_cols.get("sex"), role_cols.get("age"), role_cols.get("year")].map(|c| text(c).into_owned());
                    self.known_of_row(&mut issue, &sheet_key, &item_n, &cols);
                    self.reject(issue);
                }
            }
        }
    }

    /// An issue of a long list's row filled in with every dimension that could be
    /// read (the item's data element, the row's area, sex, age and year, the sheet's
    /// own), whichever part of the row failed. `cols`: the row's area, sex, age and
    /// year labels (empty where the list has no such column).
    fn known_of_row(&self, issue: &mut Issue, sheet_key: &Result<Key, (KeyError, &'static str)>, item_n: &str, cols: &[String; 4]) {
        let [area, sex, age, year] = cols;
        let mut dims = Dims::default();
        if let Some(&i) = self.form.items.get(item_n).or_else(|| self.form.items.get(strip_unit(item_n))) {
            dims = self.form.raw.items[i].dims.clone();
        }
        let base = sheet_key.as_ref().ok();
        issue.data_element = issue.data_element.take().or(dims.data_element).or_else(|| base.and_then(|b| b.dims.data_element.clone()));
        issue.area = issue.area.take().or_else(|| self.cfg.areas.resolve(area).map(|a| a.code.clone())).or_else(|| base.and_then(|b| b.area.clone()));
        issue.sex = issue.sex.take().or_else(|| labels::sex_code(sex).map(str::to_string)).or(dims.sex).or_else(|| base.and_then(|b| b.dims.sex.clone()));
        issue.age = issue.age.take().or_else(|| labels::age_code(age)).or(dims.age).or_else(|| base.and_then(|b| b.dims.age.clone()));
        let year_of = |label: &str| self.form.year_re.captures(label).and_then(|m| m.get(1)).and_then(|m| m.as_str().parse().ok());
        issue.year = issue.year.or_else(|| year_of(year)).or_else(|| base.and_then(|b| b.year));
    }
}
