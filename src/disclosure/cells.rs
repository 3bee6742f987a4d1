//! The additive tables of the public `data_values`: one per sensitive data
//! element and year, its cells keyed by area × sex × age × residence, and the
//! relations the published values satisfy among them:
//!
//! - **areas**: a parent's value is the sum of its children's (towns → county);
//! - **sex**: `_T = F + M`;
//! - **age**: `_T` is the sum of the age groups when they do not overlap
//!   (`Y_LT1 + Y1T4`, not `Y0T4 + Y_LT1`);
//! - **residence**: `_T = U + R`.
//!
//! A relation is taken only where it holds in the values (to a rounding): what
//! holds is what an attacker can use, and an equation that does not hold is none.

use std::collections::BTreeMap;

use super::solver::{Relation, Table};
use crate::config::disclosure::DisclosureSettings;

/// A cell's key within its table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub area: String,
    pub sex: String,
    pub age: String,
    pub residence: String,
}

/// What the tables need to know of an area.
#[derive(Debug, Clone, Default)]
pub struct AreaInfo {
    pub parent: Option<String>,
    pub level: String,
}

/// The areas of the database, by code.
pub type Areas = BTreeMap<String, AreaInfo>;

/// Whether an area is a top of the hierarchy (no parent among the areas).
pub fn is_top(areas: &Areas, area: &str) -> bool {
    areas.get(area).and_then(|a| a.parent.as_deref()).is_none_or(|p| !areas.contains_key(p))
}

/// One table: its cells (the rows of `data_values` each came from, key, value),
/// the solver's view of it, and which cells are primary.
#[derive(Debug, Clone)]
pub struct CellTable {
    pub rows: Vec<Vec<usize>>,
    pub keys: Vec<Key>,
    pub table: Table,
    pub primary: Vec<usize>,
}

/// An age code as a half-open interval of years `[lo, hi)`: `Y0T4` = [0, 5),
/// `Y_LT1` = [0, 1), `Y_GE65` = [65, ∞), `Y12` = [12, 13). `None` for `_T` and
/// anything else.
pub fn age_interval(code: &str) -> Option<(u32, u32)> {
    let rest = code.strip_prefix('Y')?;
    if let Some(n) = rest.strip_prefix("_LT") {
        return n.parse().ok().map(|n| (0, n));
    }
    if let Some(n) = rest.strip_prefix("_GE") {
        return n.parse().ok().map(|n| (n, u32::MAX));
    }
    if let Some((a, b)) = rest.split_once('T') {
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        return (a <= b).then_some((a, b + 1));
    }
    rest.parse().ok().map(|n: u32| (n, n + 1))
}

fn holds(total: f64, parts: &[f64]) -> bool {
    let sum: f64 = parts.iter().sum();
    (total - sum).abs() <= 1e-6 * total.abs().max(1.0)
}

/// Build the table of one data element and year from its cells `(row, key, value)`.
pub fn build(cells: Vec<(usize, Key, f64)>, areas: &Areas, settings: &DisclosureSettings) -> CellTable {
    // One cell per key; the rows of a key repeated (if any) share its status.
    let mut cells = cells;
    cells.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut unique: Vec<(usize, Key, f64)> = Vec::new();
    for c in cells {
        match unique.last() {
            Some(last) if last.1 == c.1 => {
                if let Some(r) = rows.last_mut() {
                    r.push(c.0);
                }
            }
            _ => {
                rows.push(vec![c.0]);
                unique.push(c);
            }
        }
    }
    let cells = unique;
    let index: BTreeMap<&Key, usize> = cells.iter().enumerate().map(|(i, c)| (&c.1, i)).collect();
    let values: Vec<f64> = cells.iter().map(|c| c.2).collect();
    let mut relations = Vec::new();
    let mut add = |total: usize, parts: Vec<usize>| {
        if !parts.is_empty() && holds(values[total], &parts.iter().map(|&p| values[p]).collect::<Vec<_>>()) {
            relations.push(Relation { total, parts });
        }
    };
    // Children of each area.
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (code, a) in areas {
        if let Some(p) = a.parent.as_deref() {
            children.entry(p).or_default().push(code.as_str());
        }
    }
    for (i, (_, k, _)) in cells.iter().enumerate() {
        // Areas.
        if let Some(kids) = children.get(k.area.as_str()) {
            let parts: Vec<usize> = kids.iter().filter_map(|c| index.get(&Key { area: (*c).to_string(), ..k.clone() }).copied()).collect();
            if !parts.is_empty() {
                add(i, parts);
            }
        }
        // Sex.
        if k.sex == "_T" {
            let f = index.get(&Key { sex: "F".into(), ..k.clone() });
            let m = index.get(&Key { sex: "M".into(), ..k.clone() });
            if let (Some(&f), Some(&m)) = (f, m) {
                add(i, vec![f, m]);
            }
        }
        // Residence.
        if k.residence == "_T" {
            let u = index.get(&Key { residence: "U".into(), ..k.clone() });
            let r = index.get(&Key { residence: "R".into(), ..k.clone() });
            if let (Some(&u), Some(&r)) = (u, r) {
                add(i, vec![u, r]);
            }
        }
        // Age groups that do not overlap.
        if k.age == "_T" {
            let groups: Vec<(usize, (u32, u32))> = cells
                .iter()
                .enumerate()
                .filter(|(_, (_, o, _))| o.area == k.area && o.sex == k.sex && o.residence == k.residence && o.age != "_T")
                .filter_map(|(j, (_, o, _))| age_interval(&o.age).map(|iv| (j, iv)))
                .collect();
            let mut ivs: Vec<(u32, u32)> = groups.iter().map(|g| g.1).collect();
            ivs.sort();
            let disjoint = ivs.windows(2).all(|w| w[0].1 <= w[1].0);
            if groups.len() >= 2 && disjoint {
                add(i, groups.iter().map(|g| g.0).collect());
            }
        }
    }
    let costs: Vec<f64> = cells
        .iter()
        .map(|(_, k, v)| {
            let mut c = 1.0 + v.max(0.0).ln_1p() / 10.0;
            if is_top(areas, &k.area) {
                c *= settings.top_cost;
            }
            if k.sex == "_T" {
                c *= settings.total_cost;
            }
            c
        })
        .collect();
    let primary: Vec<usize> =
        cells.iter().enumerate().filter(|(_, (_, k, v))| settings.is_small(*v) && applies(areas, &k.area, settings)).map(|(i, _)| i).collect();
    CellTable { rows, keys: cells.iter().map(|c| c.1.clone()).collect(), table: Table { values, costs, relations }, primary }
}

/// Whether the frequency rule applies to an area: its level is listed, or with no
/// list, it is not the top of the hierarchy.
pub fn applies(areas: &Areas, area: &str, settings: &DisclosureSettings) -> bool {
    if settings.levels.is_empty() {
        !is_top(areas, area)
    } else {
        areas.get(area).is_some_and(|a| settings.levels.contains(&a.level))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(area: &str, sex: &str) -> Key {
        Key { area: area.into(), sex: sex.into(), age: "_T".into(), residence: "_T".into() }
    }

    fn county_and_two_towns() -> Areas {
        let mut a = Areas::new();
        a.insert("C".into(), AreaInfo { parent: None, level: "county".into() });
        a.insert("A".into(), AreaInfo { parent: Some("C".into()), level: "town".into() });
        a.insert("B".into(), AreaInfo { parent: Some("C".into()), level: "town".into() });
        a
    }

    #[test]
    fn ages_parse_into_intervals() {
        assert_eq!(age_interval("Y0T4"), Some((0, 5)));
        assert_eq!(age_interval("Y_LT1"), Some((0, 1)));
        assert_eq!(age_interval("Y1T4"), Some((1, 5)));
        assert_eq!(age_interval("Y_GE65"), Some((65, u32::MAX)));
        assert_eq!(age_interval("Y12"), Some((12, 13)));
        assert_eq!(age_interval("_T"), None);
        assert_eq!(age_interval("Y5T1"), None);
    }

    #[test]
    fn relations_that_hold_are_found_and_the_county_is_not_primary() {
        let areas = county_and_two_towns();
        let cells = vec![
            (0, key("A", "F"), 1.0),
            (1, key("A", "M"), 4.0),
            (2, key("A", "_T"), 5.0),
            (3, key("B", "F"), 6.0),
            (4, key("B", "_T"), 9.0), // B's M is missing: no sex relation for B
            (5, key("C", "F"), 7.0),
            (6, key("C", "_T"), 14.0),
            (7, key("C", "M"), 2.0), // not A's M (4): no relation over M
        ];
        let t = build(cells, &areas, &DisclosureSettings::default());
        let name = |i: usize| format!("{}{}", t.keys[i].area, t.keys[i].sex);
        let mut rels: Vec<String> =
            t.table.relations.iter().map(|r| format!("{}={}", name(r.total), r.parts.iter().map(|&p| name(p)).collect::<Vec<_>>().join("+"))).collect();
        rels.sort();
        // A_T = A_F + A_M; C_F = A_F + B_F; C_T = A_T + B_T. C_M = A_M does not hold (2 ≠ 4),
        // C_T = C_F + C_M does not hold (14 ≠ 9).
        assert_eq!(rels, ["A_T=AF+AM", "CF=AF+BF", "C_T=A_T+B_T"]);
        // Primary: A's F (1) only; C's M (2) is the county's, which is published.
        assert_eq!(t.primary.iter().map(|&i| name(i)).collect::<Vec<_>>(), vec!["AF"]);
    }
}
