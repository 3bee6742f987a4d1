//! What can stop the generator, naming the file, the helper script or the
//! template it concerns.

use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::i18n::lang;
use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A file or folder that cannot be read or written.
    #[error("{}", t!(lang(), "err-generate-io", path = &path.display().to_string(), error = &source.to_string()))]
    Io { path: PathBuf, source: std::io::Error },
    /// A workbook that cannot be written.
    #[error("{}", t!(lang(), "err-generate-xlsx", path = &path.display().to_string(), error = &source.to_string()))]
    Xlsx { path: PathBuf, source: rust_xlsxwriter::XlsxError },
    /// The bundled pipeline files the returns are written for.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `--write-xls FILE` names no file.
    #[error("{}", t!(lang(), "err-generate-no-script", script = &script.display().to_string()))]
    NoScript { script: PathBuf },
    /// No `tools/write_xls.py` in the folders looked in.
    #[error("{}", t!(lang(), "err-generate-script-not-found", tried = &tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")))]
    ScriptNotFound { tried: Vec<PathBuf> },
    /// `python3 write_xls.py` could not be started, or failed.
    #[error("{}", t!(lang(), "err-generate-script-failed", script = &script.display().to_string(), status = status.as_str()))]
    ScriptFailed { script: PathBuf, status: String },
    /// The bundled files or the templates are not what the generator writes for
    /// (an areas.toml without a root, a return without the row a fault goes in).
    #[error("{}", t!(lang(), "err-generate-template", what = *what))]
    Template { what: &'static str },
}

impl GenerateError {
    /// An IO error on `path`, for `map_err`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
        move |source| GenerateError::Io { path: path.to_path_buf(), source }
    }

    /// A workbook `path` that cannot be written, for `map_err`.
    pub fn xlsx(path: &Path) -> impl FnOnce(rust_xlsxwriter::XlsxError) -> GenerateError + '_ {
        move |source| GenerateError::Xlsx { path: path.to_path_buf(), source }
    }

    /// The templates lack `what`.
    pub fn template(what: &'static str) -> GenerateError {
        GenerateError::Template { what }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_names_the_file_or_script_it_could_not_use() {
        let tmp = tempfile::tempdir().unwrap();
        // A helper script given that is not there; none found beside the pipelines.
        let missing = tmp.path().join("nope.py");
        let e = crate::generate::Assets::new(tmp.path().join("pipelines"), Some(missing.clone()), tmp.path()).unwrap_err();
        assert_eq!(e.to_string(), format!("the helper script {} (--write-xls) does not exist", missing.display()));
        let e = crate::generate::Assets::new(tmp.path().join("pipelines"), None, tmp.path()).unwrap_err();
        assert!(matches!(&e, GenerateError::ScriptNotFound { tried } if tried.iter().any(|p| p.starts_with(tmp.path()))), "{e:?}");
        assert!(e.to_string().contains(&tmp.path().join("tools/write_xls.py").display().to_string()), "{e}");
        // Pipeline files without areas.toml: the config error names the file.
        let assets = crate::generate::Assets { pipelines: tmp.path().join("pipelines"), write_xls: missing };
        let e = crate::generate::write_sample(&tmp.path().join("out"), 1, &assets).unwrap_err();
        assert!(e.to_string().contains("indicators.toml"), "{e}");
        // A workbook into a folder that is a file: the workbook's path.
        let blocked = tmp.path().join("file");
        std::fs::write(&blocked, b"x").unwrap();
        let sheet = crate::generate::book::SheetSpec::new("表1");
        let path = blocked.join("a.xlsx");
        let e = crate::generate::book::write_xlsx(&[sheet], &path).unwrap_err();
        assert!(matches!(&e, GenerateError::Xlsx { path: p, .. } if *p == path) && e.to_string().contains(&path.display().to_string()), "{e:?}");
    }
}
