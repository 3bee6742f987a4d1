//! Pipeline files: the catalogue, the areas and one file per return form.
//!
//! Everything is loaded and checked before any workbook is opened; a bad
//! pipeline file stops the run with its path and line (exit code 2), said in the
//! process's language ([`ConfigError`], catalogue messages `config-…`).

pub mod areas;
pub mod catalogue;
pub mod disclosure;
mod error;
pub mod forms;
pub mod progress;
pub mod rules;
pub mod schedule;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use areas::{Area, Areas};
pub use catalogue::{Catalogue, DataElement, Indicator, Kind, Term};
pub use error::{ConfigError, ConfigMsg, MsgArg};
pub use forms::Form;
pub use progress::{ProgressSettings, SMALL_COUNT};
pub use rules::{Rule, Rules};

pub(crate) fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
    toml::from_str(&text).map_err(|source| ConfigError::Toml { file: path.to_path_buf(), source: Box::new(source) })
}

/// A form's text again, to find the line of a mistake found after the form was
/// loaded (checks against areas.toml and the other forms); empty if it cannot be read.
fn read_again(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The whole configuration of a run.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    pub catalogue: Catalogue,
    pub areas: Areas,
    pub forms: Vec<Form>,
    pub rules: Rules,
}

impl Config {
    /// Load `DIR/indicators.toml`, `DIR/areas.toml`, `DIR/rules.toml` (optional) and every `DIR/forms/**/*.toml`.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let catalogue = Catalogue::load(&dir.join("indicators.toml"))?;
        let areas = Areas::load(&dir.join("areas.toml"))?;
        let rules = Rules::load(&dir.join("rules.toml"), &catalogue)?;
        let forms_dir = dir.join("forms");
        let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(&forms_dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "toml"))
            .map(|e| e.into_path())
            .collect();
        paths.sort();
        let mut forms = Vec::new();
        for p in paths {
            let form = Form::load(&p, &catalogue)?;
            if let Some(other) = forms.iter().find(|f: &&Form| f.id() == form.id()) {
                let msg = ConfigMsg::new("config-form-id-twice").arg("id", form.id()).arg("other", other.file.display());
                return Err(ConfigError::at(&p, &read_again(&p), &format!("id = {:?}", form.id()), msg));
            }
            if let forms::AreaSpec { from: forms::AreaFrom::Fixed, value: Some(v), .. } = &form.raw.area {
                if areas.resolve(v).is_none() && areas.get(v).is_none() {
                    return Err(ConfigError::at(&p, &read_again(&p), v, ConfigMsg::new("config-form-area-unknown").quoted("value", v)));
                }
            }
            if let Some(level) = form.raw.schedule.as_ref().and_then(|s| s.areas.as_deref()) {
                if !areas.list.iter().any(|a| a.level == level) {
                    let levels: std::collections::BTreeSet<&str> = areas.list.iter().map(|a| a.level.as_str()).collect();
                    let msg = ConfigMsg::new("config-schedule-level").quoted("level", level).arg("levels", format!("{levels:?}"));
                    return Err(ConfigError::at(&p, &read_again(&p), level, msg));
                }
            }
            forms.push(form);
        }
        Ok(Config { dir: dir.to_path_buf(), catalogue, areas, forms, rules })
    }
}
