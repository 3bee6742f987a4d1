//! [`Form::resolve`]: a raw form checked against itself and the catalogue, its
//! regexes compiled and its mappings indexed. Each mistake is a catalogue message
//! (`config-form-…`) with the file and, where the offending value or key can be
//! found in the text, its line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

use super::columns::{column_index, header_key, ColRef};
use super::raw::{AreaFrom, ColumnMap, Dims, FlagDef, Layout, RawForm, YearFrom};
use super::{Flag, Form, INGEST_FINDINGS, MAX_HEADER_ROWS, OBS_STATUS_CODES};
use crate::config::{Catalogue, ConfigError, ConfigMsg};
use crate::vocab::clean::normalise_label;

/// The form file being resolved: where its mistakes are said to be.
struct Place<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Place<'_> {
    /// A mistake of the file (no line).
    fn err(&self, msg: ConfigMsg) -> ConfigError {
        ConfigError::msg(self.path, msg)
    }

    /// A mistake at the line of `needle`.
    fn at(&self, needle: &str, msg: ConfigMsg) -> ConfigError {
        ConfigError::at(self.path, self.text, needle, msg)
    }
}

fn msg(id: &'static str) -> ConfigMsg {
    ConfigMsg::new(id)
}

/// `X = "v" needs Y`.
fn needs(key: &str, value: &str, what: &str) -> ConfigMsg {
    msg("config-form-needs").arg("key", key).quoted("value", value).arg("needs", what)
}

impl Form {
    pub fn resolve(raw: RawForm, path: &Path, text: &str, catalogue: &Catalogue) -> Result<Form, ConfigError> {
        let at = Place { path, text };
        check_header(&raw, &at)?;
        let re = |what: &str, s: &str| {
            Regex::new(s).map_err(|e| {
                let first = e.to_string().lines().last().unwrap_or_default().trim().to_string();
                at.at(s, msg("config-form-regex").arg("what", what).quoted("regex", s).arg("error", first))
            })
        };
        let file_name_re = raw.matching.file_name.as_deref().map(|s| re("match.file_name", s)).transpose()?;
        let sheet_name_re = raw.matching.sheet_name.as_deref().map(|s| re("match.sheet_name", s)).transpose()?;
        let year_re = re("year.pattern", raw.year.pattern.as_deref().unwrap_or(r"((?:19|20)\d{2})"))?;
        if year_re.captures_len() < 2 {
            return Err(at.err(msg("config-form-year-pattern-group")));
        }
        let area_re = raw.area.pattern.as_deref().map(|s| re("area.pattern", s)).transpose()?;
        check_sources(&raw, &at)?;
        check_dims(&raw.fixed, &msg("config-place-fixed"), &raw, &at, catalogue)?;
        let columns = resolve_columns(&raw, &at, catalogue)?;
        let flags = resolve_flags(&raw, &at)?;
        let (sex_values, age_values, area_values) = match &raw.long {
            Some(l) => (
                value_map(&l.sex_values, "sex", &|c| matches!(c, "F" | "M" | "_T"), &at)?,
                value_map(&l.age_values, "age", &crate::vocab::labels::is_age_code, &at)?,
                value_map(&l.area_values, "area", &|c| !c.trim().is_empty(), &at)?,
            ),
            None => Default::default(),
        };
        let mut rows = BTreeMap::new();
        for (i, r) in raw.rows.iter().enumerate() {
            check_dims(&r.dims, &msg("config-place-rows").quoted("label", &r.label), &raw, &at, catalogue)?;
            if rows.insert(normalise_label(&r.label), i).is_some() {
                return Err(at.err(msg("config-form-rows-twice").quoted("label", &r.label)));
            }
        }
        let mut items = BTreeMap::new();
        for (i, r) in raw.items.iter().enumerate() {
            check_dims(&r.dims, &msg("config-place-items").quoted("label", &r.label), &raw, &at, catalogue)?;
            if items.insert(normalise_label(&r.label), i).is_some() {
                return Err(at.err(msg("config-form-items-twice").quoted("label", &r.label)));
            }
        }
        let rules = crate::config::rules::resolve_rules(raw.rule.clone(), &raw.form.id, path, text, catalogue)?;
        Ok(Form {
            raw,
            file: path.to_path_buf(),
            file_name_re,
            sheet_name_re,
            year_re,
            area_re,
            columns,
            rows,
            items,
            rules,
            flags,
            sex_values,
            age_values,
            area_values,
        })
    }
}

/// `[match]`, the header block, `[severity]` and the column letters.
fn check_header(raw: &RawForm, at: &Place) -> Result<(), ConfigError> {
    if raw.matching.file_name.is_none() && raw.matching.header_labels.is_empty() {
        return Err(at.err(msg("config-form-match-needs")));
    }
    let t = &raw.table;
    if t.header_labels.is_empty() {
        return Err(at.err(msg("config-form-header-labels")));
    }
    if t.header_rows == 0 || t.header_rows > MAX_HEADER_ROWS {
        return Err(at.at("header_rows", msg("config-form-header-rows").arg("max", MAX_HEADER_ROWS)));
    }
    if let Some(&bad) = t.header_skip.iter().find(|&&r| r == 0 || r > t.header_rows) {
        return Err(at.at("header_skip", msg("config-form-header-skip-row").arg("row", bad).arg("rows", t.header_rows)));
    }
    if t.header_skip.len() >= t.header_rows {
        return Err(at.at("header_skip", msg("config-form-header-skip-all")));
    }
    for name in raw.severity.keys() {
        if !INGEST_FINDINGS.contains(&name.as_str()) {
            return Err(at.at(name, msg("config-form-severity").quoted("name", name).arg("list", INGEST_FINDINGS.join(", "))));
        }
    }
    let col_ref_ok = |c: &ColRef, whr: &str| match c {
        ColRef::Letter { column } if column_index(column).is_none() => {
            Err(at.at(column, msg("config-form-column-ref-letter").arg("place", whr).quoted("column", column)))
        }
        _ => Ok(()),
    };
    for c in t.ignore_columns.iter().chain(&t.skip_columns).chain(&t.label_column).chain(&raw.year.column) {
        col_ref_ok(c, "[table]/[year] column")?;
    }
    if let Some(l) = &raw.long {
        let cols = [&l.area_column, &l.sex_column, &l.age_column, &l.unit_column, &l.flag_column];
        for c in [&l.item_column, &l.value_column].into_iter().chain(cols.into_iter().flatten()) {
            col_ref_ok(c, "[long] column")?;
        }
    }
    Ok(())
}

/// Where the year and the area come from, and the layout's sections.
fn check_sources(raw: &RawForm, at: &Place) -> Result<(), ConfigError> {
    let rows = raw.table.header_rows;
    match raw.year.from {
        YearFrom::Fixed if raw.year.value.is_none() => return Err(at.err(needs("year.from", "fixed", "year.value"))),
        YearFrom::Column if raw.year.column.is_none() => return Err(at.err(needs("year.from", "column", "year.column"))),
        YearFrom::Row if raw.table.layout == Layout::Long => return Err(at.err(msg("config-form-year-row-grid"))),
        YearFrom::Row => match raw.year.row {
            None => return Err(at.err(msg("config-form-year-row-needs"))),
            Some(r) if r == 0 || r > rows => return Err(at.err(msg("config-form-year-row-range").arg("row", r).arg("rows", rows))),
            Some(_) => {}
        },
        _ => {}
    }
    match raw.area.from {
        AreaFrom::Fixed if raw.area.value.is_none() => return Err(at.err(needs("area.from", "fixed", "area.value"))),
        AreaFrom::Rows if raw.table.label_column.is_none() => return Err(at.err(needs("area.from", "rows", "table.label_column"))),
        AreaFrom::Column if raw.long.as_ref().and_then(|l| l.area_column.as_ref()).is_none() => {
            return Err(at.err(needs("area.from", "column", "long.area_column")))
        }
        _ => {}
    }
    match raw.table.layout {
        Layout::Long if raw.long.is_none() => Err(at.err(msg("config-form-long-needs-section"))),
        Layout::Long if raw.items.is_empty() => Err(at.err(needs("layout", "long", "[[items]]"))),
        Layout::Long => Ok(()),
        Layout::Grid if raw.long.is_some() || !raw.items.is_empty() => Err(at.err(msg("config-form-grid-long-sections"))),
        Layout::Grid if raw.columns.is_empty() && raw.rows.is_empty() && raw.fixed.data_element.is_none() => Err(at.err(msg("config-form-grid-needs-mapping"))),
        Layout::Grid => Ok(()),
    }
}

/// Every dimension a mapping (`place`) mentions is known: the data element in the
/// catalogue, sex, residence and age codes, a unit its data element converts from.
fn check_dims(d: &Dims, place: &ConfigMsg, raw: &RawForm, at: &Place, catalogue: &Catalogue) -> Result<(), ConfigError> {
    let say = |id: &'static str, value: &str| msg(id).msg_arg("place", place.clone()).quoted("value", value);
    if let Some(de) = &d.data_element {
        if catalogue.data_element(de).is_none() {
            return Err(at.at(de, say("config-form-unknown-data-element", de)));
        }
    }
    if let Some(s) = &d.sex {
        if !matches!(s.as_str(), "F" | "M" | "_T") {
            return Err(at.at(s, say("config-form-bad-sex", s)));
        }
    }
    if let Some(r) = &d.residence {
        if !matches!(r.as_str(), "U" | "R" | "_T") {
            return Err(at.at(r, say("config-form-bad-residence", r)));
        }
    }
    if let Some(a) = &d.age {
        if !crate::vocab::labels::is_age_code(a) {
            return Err(at.at(a, say("config-form-bad-age", a)));
        }
    }
    if let Some(u) = &d.unit {
        if crate::vocab::clean::unit_scale(u, "").is_none() && u.trim().is_empty() {
            return Err(at.at(u, say("config-form-empty-unit", u)));
        }
        // A unit the data element's values cannot be converted from is a typo.
        let de = d.data_element.as_ref().or(raw.fixed.data_element.as_ref()).and_then(|de| catalogue.data_element(de));
        if let Some(de) = de {
            if crate::vocab::clean::unit_scale(u, &de.unit).is_none() {
                return Err(at.at(u, say("config-form-unit-convert", u).quoted("de_unit", &de.unit).arg("de", &de.code)));
            }
        }
    }
    Ok(())
}

/// How a `[[columns]]` entry is named in messages: its header, or its letter.
fn column_place(c: &ColumnMap) -> ConfigMsg {
    match (&c.header, &c.column) {
        (None, Some(l)) => msg("config-place-columns-letter").arg("column", l),
        _ => msg("config-place-columns").quoted("name", &c.name()),
    }
}

/// `[[columns]]`: each entry's dimensions, header or letter (each mapped once), and
/// its flag settings. Header keys → entry index.
fn resolve_columns(raw: &RawForm, at: &Place, catalogue: &Catalogue) -> Result<BTreeMap<String, usize>, ConfigError> {
    let mut columns = BTreeMap::new();
    let mut letters = BTreeSet::new();
    let no_flags = raw.table.flags.is_empty();
    for (i, c) in raw.columns.iter().enumerate() {
        let place = column_place(c);
        let say = |id: &'static str| msg(id).msg_arg("place", place.clone());
        check_dims(&c.dims, &place, raw, at, catalogue)?;
        match (&c.header, &c.column) {
            (Some(_), Some(_)) => return Err(at.err(say("config-form-columns-both"))),
            (None, None) => return Err(at.err(msg("config-form-columns-neither"))),
            (None, Some(l)) => {
                let Some(ix) = column_index(l) else { return Err(at.at(l, msg("config-form-columns-letter").quoted("column", l))) };
                if !letters.insert(ix) {
                    return Err(at.err(msg("config-form-columns-letter-twice").arg("column", l)));
                }
            }
            (Some(h), None) => {
                if c.flag_of.is_none() && columns.insert(header_key(h), i).is_some() {
                    return Err(at.err(msg("config-form-columns-header-twice").quoted("header", h)));
                }
            }
        }
        if c.flag_of.is_some() {
            if c.dims != Dims::default() || c.flag.is_some() {
                return Err(at.err(say("config-form-flag-of-dims")));
            }
            if no_flags {
                return Err(at.err(say("config-form-flag-of-needs-flags")));
            }
            if raw.table.layout == Layout::Long {
                return Err(at.err(say("config-form-flag-of-long")));
            }
        }
        match c.flag.as_deref() {
            None => {}
            Some("next") if no_flags => return Err(at.err(say("config-form-flag-next-needs-flags"))),
            Some("next") => {}
            Some(other) => return Err(at.at(other, say("config-form-flag-value").quoted("value", other))),
        }
    }
    Ok(columns)
}

/// `[table.flags]`, checked: each mark's obs_status (an SDMX code) and note, the
/// marks normalised, longest first.
fn resolve_flags(raw: &RawForm, at: &Place) -> Result<Vec<Flag>, ConfigError> {
    let mut flags = Vec::new();
    for (mark, def) in &raw.table.flags {
        let (status, note) = match def {
            FlagDef::Status(s) => (Some(s.as_str()), None),
            FlagDef::Full { obs_status, note } => (obs_status.as_deref(), note.clone()),
        };
        if status.is_none() && note.is_none() {
            return Err(at.at(mark, msg("config-form-flag-empty-def").quoted("mark", mark)));
        }
        let obs_status = match status {
            None => None,
            Some(s) => match OBS_STATUS_CODES.iter().find(|c| **c == s) {
                Some(c) => Some(*c),
                None => {
                    let m = msg("config-form-flag-status").quoted("mark", mark).quoted("status", s).arg("list", OBS_STATUS_CODES.join(", "));
                    return Err(at.at(mark, m));
                }
            },
        };
        let m = normalise_label(mark);
        if m.is_empty() {
            return Err(at.err(msg("config-form-flag-empty-mark")));
        }
        flags.push(Flag { mark: m, obs_status, note });
    }
    flags.sort_by(|a, b| b.mark.chars().count().cmp(&a.mark.chars().count()).then(a.mark.cmp(&b.mark)));
    Ok(flags)
}

/// A long list's `<what>_values`: normalised label → code, each code checked by `ok`.
fn value_map(m: &BTreeMap<String, String>, what: &str, ok: &dyn Fn(&str) -> bool, at: &Place) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for (label, code) in m {
        if !ok(code) {
            return Err(at.at(label, msg("config-form-value-map").arg("what", what).quoted("label", label).quoted("code", code)));
        }
        out.insert(normalise_label(label), code.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// A grid form reading one column of the bundled catalogue's `live_births`, with `extra` lines in `[table]`
    /// and `after` appended.
    fn form(table_extra: &str, after: &str) -> String {
        format!(
            "[form]\nid = \"t\"\nbody = \"b\"\nname = \"n\"\n[match]\nfile_name = \"x\"\n[area]\nfrom = \"rows\"\n\
             [table]\nheader_labels = [\"乡镇\"]\nlabel_column = \"乡镇\"\n{table_extra}\n{after}"
        )
    }

    fn resolve(text: &str) -> Result<Form, ConfigError> {
        let catalogue = Catalogue::load(Path::new("pipelines/indicators.toml")).unwrap();
        let raw: RawForm = toml::from_str(text).unwrap();
        Form::resolve(raw, Path::new("f.toml"), text, &catalogue)
    }

    #[test]
    fn a_good_form_resolves() {
        let f = resolve(&form("", "[[columns]]\nheader = \"活产数\"\ndata_element = \"live_births\"\n")).unwrap();
        assert_eq!(f.columns.get("活产数"), Some(&0));
    }

    #[test]
    fn mistakes_name_the_line_and_value_in_both_languages() {
        let e = resolve(&form("header_rows = 0", "[[columns]]\nheader = \"活产数\"\ndata_element = \"live_births\"\n")).unwrap_err();
        assert_eq!(e.message(Lang::En), "f.toml: line 12: [table] header_rows must be between 1 and 30");
        assert_eq!(e.message(Lang::Zh), "f.toml：第 12 行：[table] header_rows 应在 1 到 30 之间");
        let e = resolve(&form("", "[[columns]]\ncolumn = \"C\"\nsex = \"X\"\n")).unwrap_err();
        assert_eq!(e.message(Lang::En), "f.toml: line 15: [[columns]] \"column C\": sex must be F, M or _T, not \"X\"");
        assert_eq!(e.message(Lang::Zh), "f.toml：第 15 行：[[columns]] 列 C：sex 应为 F、M 或 _T，而不是 \"X\"");
        let e = resolve(&form("", "[[columns]]\nheader = \"活产数\"\ndata_element = \"births\"\n")).unwrap_err();
        assert_eq!(e.message(Lang::En), "f.toml: line 15: [[columns]] \"活产数\": unknown data element \"births\" (not in pipelines/indicators.toml)");
        assert_eq!(e.message(Lang::Zh), "f.toml：第 15 行：[[columns]] \"活产数\"：未知的数据元素 \"births\"（不在 pipelines/indicators.toml 中）");
        let e = resolve(&form("", "")).unwrap_err();
        assert_eq!(e.message(Lang::En), "f.toml: a grid form needs [[columns]], [[rows]] or [fixed] data_element");
        let e = resolve(&form("[table.flags]\n\"*\" = \"Q\"", "[[columns]]\nheader = \"活产数\"\ndata_element = \"live_births\"\n")).unwrap_err();
        assert!(e.message(Lang::En).starts_with("f.toml: line 13: [table.flags] \"*\": obs_status \"Q\" is not an SDMX OBS_STATUS code (A, B,"), "{e}");
        assert!(
            e.message(Lang::Zh).starts_with("f.toml：第 13 行：[table.flags] \"*\"：obs_status \"Q\" 不是 SDMX OBS_STATUS 代码"),
            "{}",
            e.message(Lang::Zh)
        );
    }
}
