//! Landing a value cell: a value, a control total (the return's own 合计), or an issue.

use super::*;

impl SheetNormaliser<'_, '_> {
    /// Keep a total cell of the return as a control for the area balance rule.
    pub(super) fn control(&mut self, key: KeyRef, v: &CellValue, r: usize, c: usize) {
        let (Some(de_code), Some(year)) = (key.data_element, key.year) else { return };
        let Some(de) = self.cfg.catalogue.data_element(de_code) else { return };
        let (value, written) = match v {
            CellValue::Number(x) => (*x, None),
            CellValue::Text(s) => match clean_text(s) {
                Cleaned::Number { value, unit } => (value, unit),
                _ => return,
            },
            _ => return,
        };
        let value = match written.or(key.unit) {
            Some(u) => match unit_scale(u, &de.unit) {
                Some(s) => ((value * s) * 1e6).round() / 1e6,
                None => return,
            },
            None => value,
        };
        self.out.controls.push(Control {
            data_element: de_code.to_string(),
            year,
            sex: key.sex.unwrap_or("_T").to_string(),
            age: key.age.unwrap_or("_T").to_string(),
            residence: key.residence.unwrap_or("_T").to_string(),
            value,
            sheet: self.sheet.name.clone(),
            cell: a1(r, c),
        });
    }

    /// Clean the value of one cell and land it, or reject it with an issue; `flag` is
    /// the value's flag cell (its column and text), if it has one.
    pub(super) fn land_flagged(&mut self, key: KeyRef, v: &CellValue, r: usize, c: usize, flag: Option<(usize, String)>) {
        let Some(de_code) = key.data_element else {
            let issue = self.issue(Severity::Error, "unmapped_cell", "no data element is mapped to this cell".into(), r, c).observed(v.as_label());
            return self.reject(issue);
        };
        let Some(de) = self.cfg.catalogue.data_element(de_code) else {
            let issue = self.issue(Severity::Error, "unmapped_cell", format!("unknown data element {de_code}"), r, c);
            return self.reject(issue);
        };
        let (Some(area), Some(year)) = (key.area, key.year) else {
            let what = if key.area.is_none() { "area" } else { "year" };
            let issue = self.issue(Severity::Error, "unmapped_cell", format!("no {what} for this cell"), r, c).observed(v.as_label());
            return self.reject(issue);
        };
        // Marks written in the cell ("85.3（估计）", "12*") and in its flag column.
        let mut marks: Vec<String> = Vec::new();
        let (value, mut status, written_unit): (Option<f64>, &'static str, Option<&str>) = match v {
            CellValue::Number(x) => (Some(*x), "A", None),
            CellValue::Text(s) => {
                let cleaned = match clean_text(s) {
                    Cleaned::Text(t) => match self.strip_marks(&t) {
                        Some((c, m)) => {
                            marks = m;
                            c
                        }
                        None => Cleaned::Text(t),
                    },
                    other => other,
                };
                match cleaned {
                    Cleaned::Number { value, unit } => (Some(value), "A", unit),
                    Cleaned::Dash => match self.form.raw.table.dash_means {
                        DashMeans::Zero => (Some(0.0), "A", None),
                        DashMeans::Missing => (None, "M", None),
                    },
                    Cleaned::Text(t) => {
                        let issue =
                            self.issue(Severity::Error, "unparseable_value", format!("{t:?} is not a number ({})", de.name_zh), r, c).observed(t.clone());
                        return self.reject(with_key(issue, de_code, area, year, &key));
                    }
                }
            }
            CellValue::Error(e) => {
                let issue = self.issue(Severity::Error, "unparseable_value", format!("the cell holds the Excel error {e}"), r, c).observed(e.clone());
                return self.reject(with_key(issue, de_code, area, year, &key));
            }
            CellValue::Bool(b) => {
                let issue = self.issue(Severity::Error, "unparseable_value", format!("{b} is not a number"), r, c).observed(b.to_string());
                return self.reject(with_key(issue, de_code, area, year, &key));
            }
            CellValue::Empty => return,
        };
        // Units: what the cell says ("85.3%"), else what the column says, converted to the element's unit.
        let value = match (value, written_unit.or(key.unit)) {
            (Some(x), Some(u)) => match unit_scale(u, &de.unit) {
                // Round away the binary noise of the conversion (1.2345 万人 -> 12345 人).
                Some(s) if s != 1.0 => Some(((x * s) * 1e6).round() / 1e6),
                Some(_) => Some(x),
                None => {
                    let issue = self
                        .issue(Severity::Error, "unit_mismatch", format!("value written in {u} but {} is kept in {}", de.name_zh, de.unit), r, c)
                        .observed(v.as_label());
                    return self.reject(with_key(issue, de_code, area, year, &key));
                }
            },
            (x, _) => x,
        };
        let mut notes: Vec<String> = Vec::new();
        let mut mark_status: Option<&'static str> = None;
        for m in &marks {
            let (st, n, _) = self.read_marks(m);
            mark_status = mark_status.or(st);
            notes.extend(n.into_iter().filter(|n| !notes.contains(n)).collect::<Vec<_>>());
        }
        if let Some((fc, text)) = &flag {
            let (st, n, unknown) = self.read_marks(text);
            mark_status = mark_status.or(st);
            for n in n {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
            if !unknown.is_empty() {
                // Kept on the value as written, and said.
                notes.push(text.clone());
                let known: Vec<&str> = self.form.raw.table.flags.keys().map(String::as_str).collect();
                let msg = format!("flag {text:?} of {} is not in [table.flags] ({}); kept as the value's note", a1(r, c), known.join(", "));
                let issue = self.issue(Severity::Warning, "unknown_flag", msg, r, *fc).observed(text.clone());
                self.out.issues.push(with_key(issue, de_code, area, year, &key));
            }
        }
        if let (Some(st), Some(_)) = (mark_status, value) {
            status = st;
        }
        let note = (!notes.is_empty()).then(|| self.out.texts.get(&notes.join("; ")));
        self.out.landed += 1;
        let t = &mut self.out.texts;
        let mut cell = [0u8; crate::ingest::A1_MAX];
        let observation = Observation {
            data_element: t.get_for(0, de_code),
            area: t.get_for(1, area),
            year,
            sex: t.get_for(2, key.sex.unwrap_or("_T")),
            age: t.get_for(3, key.age.unwrap_or("_T")),
            residence: t.get_for(4, key.residence.unwrap_or("_T")),
            value,
            obs_status: status,
            derived: false,
            form: Some(self.provenance[0].clone()),
            source_file: Some(self.provenance[1].clone()),
            source_sheet: Some(self.provenance[2].clone()),
            source_cell: Some(Text::from(crate::ingest::a1_in(r, c, &mut cell))),
            source_sha256: Some(self.provenance[3].clone()),
            submission: Some(self.provenance[4].clone()),
            flags: None,
            note,
        };
        self.out.observations.push(observation);
    }
}
