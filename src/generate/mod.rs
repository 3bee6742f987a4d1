//! `wcmon generate`: the bundled synthetic returns of 随县 for 2020–2024 and
//! their truth.
//!
//! [`model`] simulates every town's true counts; `returns` renders them as
//! the member bodies' returns, each body in its own layout and with the mess
//! real returns have (titles and unit lines, merged headers, 合计 rows, notes,
//! numbers typed as text with thousands separators or full-width digits, "—"
//! for none, towns with and without 镇, a legacy .xls). The truth is written
//! to `_truth/` (which `wcmon run` never reads): the town-level counts, and
//! every indicator recomputed here, independently of wcmon's compute stage,
//! so tests can compare.

pub mod book;
mod error;
pub mod faults;
pub mod model;
pub mod residence;
mod returns;
pub mod scale;
mod truth;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use error::GenerateError;
use model::Truth;
use returns::{returns, Ctx};
pub use truth::{indicator_truth, IndicatorTruth};

use crate::config::{Areas, Catalogue};

/// What the generator reads beside its own code: the bundled pipeline files (the
/// areas and the catalogue the returns are written for) and `write_xls.py`, which
/// writes the one legacy `.xls` return (xlwt). Found from the working directory or
/// the flags (`--pipelines`, `--write-xls`), never from where wcmon was built.
#[derive(Debug, Clone)]
pub struct Assets {
    pub pipelines: PathBuf,
    pub write_xls: PathBuf,
}

impl Assets {
    /// `pipelines` as `run` finds it; `write_xls` when given (`--write-xls`), else
    /// `tools/write_xls.py` beside the pipelines folder (a checkout, an install that
    /// ships both), else in the working directory `cwd`.
    pub fn new(pipelines: PathBuf, write_xls: Option<PathBuf>, cwd: &Path) -> Result<Assets, GenerateError> {
        let write_xls = match write_xls {
            Some(p) if p.is_file() => p,
            Some(p) => return Err(GenerateError::NoScript { script: p }),
            None => {
                let mut tried: Vec<PathBuf> =
                    [pipelines.parent().map(|d| d.join("tools/write_xls.py")), Some(cwd.join("tools/write_xls.py"))].into_iter().flatten().collect();
                tried.dedup();
                match tried.iter().find(|p| p.is_file()) {
                    Some(p) => p.clone(),
                    None => return Err(GenerateError::ScriptNotFound { tried }),
                }
            }
        };
        Ok(Assets { pipelines, write_xls })
    }
}

/// The sample's simulated truth, its towns as (code, name), and the county's code.
pub type SampleTruth = (Truth, Vec<(String, String)>, String);

/// The simulated truth of the sample: (truth, towns as (code, name), county code).
pub fn simulate_for_sample(seed: u64, assets: &Assets) -> Result<SampleTruth, GenerateError> {
    let areas = Areas::load(&assets.pipelines.join("areas.toml"))?;
    let county = areas.roots().next().ok_or(GenerateError::template("areas.toml has no root"))?.code.clone();
    let towns: Vec<(String, String)> =
        areas.list.iter().filter(|a| a.parent.as_deref() == Some(county.as_str())).map(|a| (a.code.clone(), a.name_zh.clone())).collect();
    let truth = model::simulate(&towns, &county, seed);
    Ok((truth, towns, county))
}

pub fn write_sample(out: &Path, seed: u64, assets: &Assets) -> Result<usize, GenerateError> {
    let catalogue = Catalogue::load(&assets.pipelines.join("indicators.toml"))?;
    let (truth, towns, county) = simulate_for_sample(seed, assets)?;
    let c = Ctx { truth: &truth, towns: &towns, county: &county };
    let files = returns(&c);
    for (folder, name, sheets, xls) in &files {
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).map_err(GenerateError::io(&dir))?;
        let path = dir.join(name);
        if *xls {
            book::write_xls(sheets, &path, &assets.write_xls)?;
        } else {
            book::write_xlsx(sheets, &path)?;
        }
    }
    let tdir = out.join("_truth");
    std::fs::create_dir_all(&tdir).map_err(GenerateError::io(&tdir))?;
    let mut csv = String::from("data_element,area,year,sex,age,value\n");
    for ((de, a, y, s, age), v) in &truth.values {
        let _ = writeln!(csv, "{de},{a},{y},{s},{age},{v}");
    }
    write_file(&tdir.join("data_values.csv"), csv)?;
    let mut csv = String::from("indicator,area,year,sex,age,value,numerator,denominator\n");
    for (k, (v, n, d)) in indicator_truth(&truth, &catalogue, &towns, &county) {
        let fmt = |x: Option<f64>| x.map(|x| format!("{x}")).unwrap_or_default();
        let _ = writeln!(csv, "{},{},{},{},{},{v},{},{}", k.0, k.1, k.2, k.3, k.4, fmt(n), fmt(d));
    }
    write_file(&tdir.join("indicators.csv"), csv)?;
    // The urban/rural parts (城镇 U, 乡村 R) of the returns that give them, and the indicators by residence.
    let mut csv = String::from("data_element,area,year,residence,value\n");
    for ((de, a, y, r), v) in &truth.residence {
        let _ = writeln!(csv, "{de},{a},{y},{r},{v}");
    }
    write_file(&tdir.join("data_values_residence.csv"), csv)?;
    let mut csv = String::from("indicator,area,year,sex,age,residence,value,numerator,denominator\n");
    for ((i, a, y, s, age, r), (v, n, d)) in residence::indicator_truth(&truth, &catalogue, &towns, &county) {
        let _ = writeln!(csv, "{i},{a},{y},{s},{age},{r},{v},{n},{d}");
    }
    write_file(&tdir.join("indicators_residence.csv"), csv)?;
    Ok(files.len())
}

/// Write a file the generator makes (its error names it).
fn write_file(path: &Path, text: String) -> Result<(), GenerateError> {
    std::fs::write(path, text).map_err(GenerateError::io(path))
}

#[cfg(test)]
mod assets_tests {
    use super::Assets;

    #[test]
    fn the_helper_script_is_found_beside_the_pipelines_or_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (checkout, elsewhere) = (tmp.path().join("checkout"), tmp.path().join("elsewhere"));
        std::fs::create_dir_all(checkout.join("pipelines")).unwrap();
        std::fs::create_dir_all(checkout.join("tools")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(checkout.join("tools/write_xls.py"), "").unwrap();
        // Beside the pipelines folder, whatever the working directory.
        let a = Assets::new(checkout.join("pipelines"), None, &elsewhere).unwrap();
        assert_eq!(a.write_xls, checkout.join("tools/write_xls.py"));
        // Pipelines without a tools folder beside them: the working directory's.
        std::fs::create_dir_all(elsewhere.join("pipelines")).unwrap();
        let e = Assets::new(elsewhere.join("pipelines"), None, &elsewhere).unwrap_err().to_string();
        let wanted = elsewhere.join("tools/write_xls.py");
        assert_eq!(e, format!("no tools/write_xls.py (it writes the legacy .xls return) in {}; give it with --write-xls FILE", wanted.display()));
        let a = Assets::new(elsewhere.join("pipelines"), None, &checkout).unwrap();
        assert_eq!(a.write_xls, checkout.join("tools/write_xls.py"));
        // The flag wins, and must name a file.
        let a = Assets::new(elsewhere.join("pipelines"), Some(checkout.join("tools/write_xls.py")), &elsewhere).unwrap();
        assert_eq!(a.write_xls, checkout.join("tools/write_xls.py"));
        assert!(Assets::new(checkout.join("pipelines"), Some(elsewhere.join("nope.py")), &elsewhere).unwrap_err().to_string().contains("--write-xls"));
    }
}
