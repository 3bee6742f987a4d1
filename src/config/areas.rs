//! `pipelines/areas.toml`: the area hierarchy and the aliases returns use.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::config::{ConfigError, ConfigMsg};
use crate::vocab::clean::normalise_label;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAreas {
    area: Vec<RawArea>,
}

/// One `[[area]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArea {
    /// Stable code, used as the `area` key in every table.
    pub code: String,
    /// Official Chinese name, e.g. 厉山镇.
    pub name_zh: String,
    /// Free text level: province, city, county, town, farm, village ...
    pub level: String,
    /// Code of the parent area; absent for the root(s).
    #[serde(default)]
    pub parent: Option<String>,
    /// Other spellings used in returns.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// English name (`areas.name_en`); returns may write it too.
    #[serde(default)]
    pub name_en: Option<String>,
    /// Names in other languages, by language code (`{ fr = "…", es = "…" }`); returns may write them too.
    #[serde(default)]
    pub names: std::collections::BTreeMap<String, String>,
    /// A group outside the tree (a region, "least developed countries", 山区乡镇): reported
    /// values of its own, overlapping the tree's areas; no parent, no children, nothing summed into or out of it.
    #[serde(default)]
    pub group: bool,
}

/// A resolved area.
#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    /// Other languages' names, by language code.
    pub names: std::collections::BTreeMap<String, String>,
    /// A group outside the tree ([`RawArea::group`]).
    pub group: bool,
    pub level: String,
    pub parent: Option<String>,
    /// Codes of all ancestors, nearest first.
    pub ancestors: Vec<String>,
    pub depth: usize,
}

/// The resolved hierarchy with a label index.
#[derive(Debug, Clone)]
pub struct Areas {
    pub list: Vec<Area>,
    by_code: rustc_hash::FxHashMap<String, usize>,
    by_label: rustc_hash::FxHashMap<String, usize>,
    /// Each area's name as labels are compared (for the "closest" hints).
    norm_names: Vec<String>,
    /// Hints already computed: the same unknown label (a 合计 row, a 全县 column)
    /// comes back in every return.
    hints: std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<String>>>>,
}

impl Areas {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        let raw: RawAreas = toml::from_str(&text).map_err(|source| ConfigError::Toml { file: path.to_path_buf(), source: Box::new(source) })?;
        Self::build(raw.area, path, &text)
    }

    /// The hierarchy of `raw` (the entries of `path`), checked.
    pub fn from_raw(raw: Vec<RawArea>, path: &Path) -> Result<Self, ConfigError> {
        Self::build(raw, path, "")
    }

    /// [`Areas::from_raw`], a mistake said at its line of `text` (the file's text).
    fn build(raw: Vec<RawArea>, path: &Path, text: &str) -> Result<Self, ConfigError> {
        // At the line of the area's `code = "…"` (none when it is written otherwise).
        let err = |code: &str, msg: ConfigMsg| ConfigError::at(path, text, &format!("code = {code:?}"), msg);
        let mut by_code = rustc_hash::FxHashMap::default();
        for (i, a) in raw.iter().enumerate() {
            if by_code.insert(a.code.clone(), i).is_some() {
                return Err(err(&a.code, ConfigMsg::new("config-area-code-twice").arg("code", &a.code)));
            }
        }
        let mut list = Vec::with_capacity(raw.len());
        for a in &raw {
            let mut ancestors = Vec::new();
            let mut cur = a.parent.clone();
            while let Some(p) = cur {
                if ancestors.contains(&p) || p == a.code {
                    return Err(err(&a.code, ConfigMsg::new("config-area-cycle").arg("code", &a.code)));
                }
                let Some(&pi) = by_code.get(&p) else {
                    return Err(err(&a.code, ConfigMsg::new("config-area-unknown-parent").arg("code", &a.code).arg("parent", &p)));
                };
                ancestors.push(p);
                cur = raw[pi].parent.clone();
            }
            if a.group && a.parent.is_some() {
                return Err(err(&a.code, ConfigMsg::new("config-area-group-parent").arg("code", &a.code)));
            }
            if let Some(p) = &a.parent {
                if by_code.get(p).and_then(|&i| raw.get(i)).is_some_and(|p| p.group) {
                    return Err(err(&a.code, ConfigMsg::new("config-area-under-group").arg("code", &a.code).arg("group", p)));
                }
            }
            list.push(Area {
                code: a.code.clone(),
                name_zh: a.name_zh.clone(),
                name_en: a.name_en.clone(),
                names: a.names.clone(),
                group: a.group,
                level: a.level.clone(),
                parent: a.parent.clone(),
                depth: ancestors.len(),
                ancestors,
            });
        }
        let mut by_label: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
        for (i, a) in raw.iter().enumerate() {
            for label in std::iter::once(&a.name_zh).chain(a.aliases.iter()).chain(std::iter::once(&a.code)).chain(a.name_en.iter()).chain(a.names.values()) {
                let key = normalise_label(label);
                if let Some(&other) = by_label.get(&key) {
                    if other != i {
                        let msg = ConfigMsg::new("config-area-label-twice").arg("label", label).arg("a", &raw[other].code).arg("b", &a.code);
                        return Err(err(&a.code, msg));
                    }
                }
                by_label.insert(key, i);
            }
        }
        let norm_names = list.iter().map(|a| normalise_label(&a.name_zh)).collect();
        Ok(Areas { list, by_code, by_label, norm_names, hints: Default::default() })
    }

    /// Position of an area in `list`.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn get(&self, code: &str) -> Option<&Area> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    /// Resolve a label written in a return to an area.
    pub fn resolve(&self, label: &str) -> Option<&Area> {
        self.by_label.get(&normalise_label(label)).map(|&i| &self.list[i])
    }

    /// The closest known names to an unknown label (for the issue message).
    pub fn closest(&self, label: &str, n: usize) -> Vec<String> {
        let key = normalise_label(label);
        let memo = format!("{n}\0{key}");
        if let Some(hit) = self.hints.lock().ok().and_then(|h| h.get(&memo).cloned()) {
            return hit;
        }
        let mut scored: Vec<(f64, &str)> =
            self.list.iter().zip(&self.norm_names).map(|(a, name)| (strsim::normalized_levenshtein(&key, name), a.name_zh.as_str())).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let best: Vec<String> = scored.into_iter().take(n).map(|(_, s)| s.to_string()).collect();
        if let Ok(mut h) = self.hints.lock() {
            h.insert(memo, best.clone());
        }
        best
    }

    /// The roots (areas without a parent; groups included, they stand on their own).
    pub fn roots(&self) -> impl Iterator<Item = &Area> {
        self.list.iter().filter(|a| a.parent.is_none())
    }

    /// The roots of the tree: areas without a parent that are not groups (the county a
    /// summary speaks of, the area a baseline is taken at).
    pub fn tree_roots(&self) -> impl Iterator<Item = &Area> {
        self.list.iter().filter(|a| a.parent.is_none() && !a.group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_areas_parse_and_resolve_aliases() {
        let areas = Areas::load(Path::new("pipelines/areas.toml")).unwrap();
        let lishan = areas.resolve("厉山").unwrap();
        assert_eq!(lishan.name_zh, "厉山镇");
        assert_eq!(areas.resolve(" 厉 山 镇 ").unwrap().code, lishan.code);
        assert_eq!(lishan.ancestors, vec!["421321".to_string()]);
        assert!(areas.resolve("火星镇").is_none());
        assert_eq!(areas.closest("厉山乡", 1), vec!["厉山镇".to_string()]);
    }

    /// An area of level "x" named "n<code>", under `parent`.
    fn raw_area(code: &str, parent: Option<&str>) -> RawArea {
        RawArea {
            code: code.into(),
            name_zh: format!("n{code}"),
            level: "x".into(),
            parent: parent.map(Into::into),
            aliases: vec![],
            name_en: None,
            names: Default::default(),
            group: false,
        }
    }

    #[test]
    fn any_depth_and_cycles_rejected() {
        let mk = raw_area;
        let deep =
            Areas::from_raw(vec![mk("p", None), mk("c", Some("p")), mk("k", Some("c")), mk("t", Some("k")), mk("v", Some("t"))], Path::new("x")).unwrap();
        assert_eq!(deep.get("v").unwrap().ancestors, vec!["t", "k", "c", "p"]);
        let cyc = Areas::from_raw(vec![mk("a", Some("b")), mk("b", Some("a"))], Path::new("x"));
        assert!(cyc.is_err());
    }

    #[test]
    fn other_languages_resolve_and_groups_stand_outside_the_tree() {
        let mk = raw_area;
        let mut c = mk("c", Some("w"));
        c.name_en = Some("Côte d'Ivoire".into());
        c.names.insert("es".into(), "Costa de Marfil".into());
        let mut g = mk("ldc", None);
        g.group = true;
        g.level = "group".into();
        let areas = Areas::from_raw(vec![mk("w", None), c.clone(), g.clone()], Path::new("x")).unwrap();
        assert_eq!(areas.resolve("Côte d'Ivoire").unwrap().code, "c");
        assert_eq!(areas.resolve("costa de marfil").unwrap().code, "c");
        assert!(areas.get("ldc").unwrap().ancestors.is_empty());
        assert_eq!(areas.tree_roots().map(|a| a.code.as_str()).collect::<Vec<_>>(), ["w"]);
        assert_eq!(areas.roots().count(), 2);
        let mut under_group = mk("k", Some("ldc"));
        under_group.level = "country".into();
        assert!(Areas::from_raw(vec![mk("w", None), g.clone(), under_group], Path::new("x")).unwrap_err().to_string().contains("group"));
        let mut g2 = g.clone();
        g2.parent = Some("w".into());
        assert!(Areas::from_raw(vec![mk("w", None), g2], Path::new("x")).is_err());
    }
}
