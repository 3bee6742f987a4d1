//! `wcmon generate --scale`: a provincial corpus for benchmarks.
//!
//! N counties, each with the sample's 21 towns (renamed so every name in the
//! province is unique) and the sample's nine returns a year, over Y years
//! ending in 2024: N × 9 × Y workbooks, every layout family of the sample
//! (rows as towns with merged headers, a long list, a sheet per town, towns as
//! columns, a legacy .xls, a county sheet). Each county is simulated with its
//! own seed; years before 2020 repeat the model's five-year span. Writes `OUT/inbox/` and `OUT/pipelines/` (the bundled pipeline files
//! with a province → county → town `areas.toml`). Deterministic from the seed.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use super::book::{self, SheetSpec, Val};
use super::model::{self, Truth};
use super::returns::{returns_for_year, Ctx};
use super::GenerateError;

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ScaleSummary {
    pub counties: usize,
    pub towns: usize,
    pub years: usize,
    pub workbooks: usize,
    pub bytes: u64,
}

fn county_name(k: usize) -> String {
    format!("样本{:03}县", k + 1)
}

fn county_code(k: usize) -> String {
    format!("42{:04}", k + 1)
}

/// The sample's town names made unique in the province: 厉山镇 -> 厉山007镇
/// (and without the sample county's name: 随县经济开发区 -> 经济开发区007).
fn town_name(base: &str, k: usize) -> String {
    let base = base.replace("随县", "");
    let base = base.as_str();
    let stem = base.trim_end_matches('镇');
    if stem.len() < base.len() {
        format!("{stem}{:03}镇", k + 1)
    } else {
        format!("{base}{:03}", k + 1)
    }
}

/// Replace the sample county's name in every text of a sheet.
fn rename(sheets: &mut [SheetSpec], from: &str, to: &str) {
    for s in sheets {
        s.name = s.name.replace(from, to);
        for c in &mut s.cells {
            if let Val::Text(t) = &mut c.2 {
                if t.contains(from) {
                    *t = t.replace(from, to);
                }
            }
        }
        for m in &mut s.merges {
            m.4 = m.4.replace(from, to);
        }
    }
}

/// Year `y` of county `k`: the model's year and seed block it is drawn from.
fn model_year(y: i32) -> (i32, i32) {
    let off = y - model::YEARS[0];
    (model::YEARS[0] + off.rem_euclid(5), off.div_euclid(5))
}

pub fn write_scale_corpus(out: &Path, counties: usize, years: usize, seed: u64, assets: &super::Assets) -> Result<ScaleSummary, GenerateError> {
    let bundled = assets.pipelines.clone();
    let sample_areas = crate::config::Areas::load(&bundled.join("areas.toml"))?;
    let sample_county = sample_areas.roots().next().ok_or(GenerateError::template("areas.toml has no root"))?.clone();
    let sample_towns: Vec<(String, String)> =
        sample_areas.list.iter().filter(|a| a.parent.as_deref() == Some(sample_county.code.as_str())).map(|a| (a.code.clone(), a.name_zh.clone())).collect();

    // Pipeline files: the bundled ones, a provincial areas.toml, the county form read from the title.
    let pdir = out.join("pipelines");
    for e in walkdir::WalkDir::new(&bundled).into_iter().filter_map(|e| e.ok()) {
        let Ok(rel) = e.path().strip_prefix(&bundled) else { continue };
        let dest = pdir.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).map_err(GenerateError::io(&dest))?;
        } else {
            std::fs::copy(e.path(), &dest).map_err(GenerateError::io(&dest))?;
        }
    }
    let county_form = pdir.join("forms/生态环境局/county_indicators.toml");
    let text = std::fs::read_to_string(&county_form).map_err(GenerateError::io(&county_form))?;
    let text = text.replace("[area]\nfrom = \"fixed\"\nvalue = \"随县\"", "[area]\nfrom = \"title\"");
    std::fs::write(&county_form, text).map_err(GenerateError::io(&county_form))?;
    let mut areas = String::from(
        "# A synthetic province for benchmarks (wcmon generate --scale).\n\n[[area]]\ncode = \"420000\"\nname_zh = \"样本省\"\nlevel = \"province\"\n",
    );
    for k in 0..counties {
        let _ = write!(areas, "\n[[area]]\ncode = \"{}\"\nname_zh = \"{}\"\nlevel = \"county\"\nparent = \"420000\"\n", county_code(k), county_name(k));
        for (ti, (_, name)) in sample_towns.iter().enumerate() {
            let _ = write!(
                areas,
                "\n[[area]]\ncode = \"{}{:03}\"\nname_zh = \"{}\"\nlevel = \"town\"\nparent = \"{}\"\n",
                county_code(k),
                ti + 100,
                town_name(name, k),
                county_code(k)
            );
            let full = town_name(name, k);
            let stem = full.trim_end_matches('镇');
            if stem.len() < full.len() {
                let _ = writeln!(areas, "aliases = [\"{stem}\"]");
            }
        }
    }
    let areas_file = pdir.join("areas.toml");
    std::fs::write(&areas_file, areas).map_err(GenerateError::io(&areas_file))?;

    let first_year = 2025 - years as i32;
    let written: Result<Vec<(usize, u64)>, GenerateError> = (0..counties)
        .into_par_iter()
        .map(|k| {
            let ccode = county_code(k);
            let cname = county_name(k);
            let towns: Vec<(String, String)> =
                sample_towns.iter().enumerate().map(|(ti, (_, name))| (format!("{ccode}{:03}", ti + 100), town_name(name, k))).collect();
            let mut n = 0;
            let mut bytes = 0;
            // One simulation per county; years before 2020 repeat its five years (so series stay
            // continuous and the year-over-year checks see a steady history).
            let sim = model::simulate(&towns, &ccode, seed.wrapping_add((k as u64).wrapping_mul(7919)));
            {
                for y in first_year..=2024 {
                    let my = model_year(y).0;
                    // The model's year `my`, told as year `y`.
                    let mut truth = Truth::default();
                    for ((de, a, yy, s, age), v) in &sim.values {
                        if *yy == my {
                            truth.set(de, a, y, s, age, *v);
                        }
                    }
                    let c = Ctx { truth: &truth, towns: &towns, county: &ccode };
                    for (folder, name, mut sheets, xls) in returns_for_year(&c, y) {
                        rename(&mut sheets, &sample_county.name_zh, &cname);
                        let dir = out.join("inbox").join(&cname).join(&folder);
                        std::fs::create_dir_all(&dir).map_err(GenerateError::io(&dir))?;
                        let path = dir.join(&name);
                        if xls {
                            book::write_xls(&sheets, &path, &assets.write_xls)?;
                        } else {
                            book::write_xlsx(&sheets, &path)?;
                        }
                        bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        n += 1;
                    }
                }
            }
            Ok((n, bytes))
        })
        .collect();
    let written = written?;
    Ok(ScaleSummary {
        counties,
        towns: counties * sample_towns.len(),
        years,
        workbooks: written.iter().map(|w| w.0).sum(),
        bytes: written.iter().map(|w| w.1).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_years() {
        assert_eq!(town_name("厉山镇", 6), "厉山007镇");
        assert_eq!(town_name("随县经济开发区", 0), "经济开发区001");
        assert_eq!(model_year(2024), (2024, 0));
        assert_eq!(model_year(2019), (2024, -1));
        assert_eq!(model_year(2015), (2020, -1));
    }
}
