//! Where the pipeline files are: `--pipelines DIR` when given, else a `pipelines`
//! folder in the current directory or beside the installed binary, so that
//! `wcmon run` works from any folder once installed, and a missing folder is
//! named as such (not as "cannot read …/indicators.toml").

use std::path::{Path, PathBuf};

/// Why no pipeline files were found: the folder given, or every folder looked in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelinesError {
    /// `--pipelines DIR` names no folder (shown absolute).
    #[error("{}", crate::t!(crate::i18n::lang(), "err-pipelines-missing", dir = &dir.display().to_string()))]
    Missing { dir: PathBuf },
    /// None of the folders looked in has an `indicators.toml`.
    #[error("{}", crate::t!(crate::i18n::lang(), "err-pipelines-none", tried = &tried.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")))]
    NotFound { tried: Vec<PathBuf> },
}

/// The folder of pipeline files, or which folder is missing.
///
/// `explicit`: the `--pipelines` argument (must exist). Without it, the first
/// folder of [`candidates`] that has an `indicators.toml`.
pub fn pipelines_dir(explicit: Option<&Path>, cwd: &Path, exe: Option<&Path>) -> Result<PathBuf, PipelinesError> {
    if let Some(dir) = explicit {
        if dir.is_dir() {
            return Ok(dir.to_path_buf());
        }
        let shown = if dir.is_absolute() { dir.to_path_buf() } else { cwd.join(dir) };
        return Err(PipelinesError::Missing { dir: shown });
    }
    let tried = candidates(cwd, exe);
    if let Some(dir) = tried.iter().find(|d| d.join("indicators.toml").is_file()) {
        return Ok(dir.clone());
    }
    Err(PipelinesError::NotFound { tried })
}

/// The folders looked in, in order: `./pipelines`; beside the binary
/// (`BIN/pipelines`, `BIN/../pipelines`, `BIN/../share/wcmon/pipelines`, the
/// usual install layouts); and the source tree of a cargo build (`target/<profile>/wcmon`).
pub fn candidates(cwd: &Path, exe: Option<&Path>) -> Vec<PathBuf> {
    let mut out = vec![cwd.join("pipelines")];
    if let Some(bin) = exe.and_then(Path::parent) {
        out.push(bin.join("pipelines"));
        if let Some(up) = bin.parent() {
            out.push(up.join("pipelines"));
            out.push(up.join("share/wcmon/pipelines"));
            if up.file_name().is_some_and(|n| n == "target") {
                if let Some(src) = up.parent() {
                    out.push(src.join("pipelines"));
                }
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipelines_in(dir: &Path) -> PathBuf {
        let p = dir.join("pipelines");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("indicators.toml"), "").unwrap();
        p
    }

    #[test]
    fn the_current_folder_first_then_beside_the_binary() {
        let tmp = tempfile::tempdir().unwrap();
        let (cwd, install) = (tmp.path().join("work"), tmp.path().join("opt/wcmon"));
        std::fs::create_dir_all(&cwd).unwrap();
        let exe = install.join("bin/wcmon");
        // Only beside the install: found there.
        let beside = pipelines_in(&install);
        assert_eq!(pipelines_dir(None, &cwd, Some(&exe)).unwrap(), beside);
        // One in the current folder wins.
        let here = pipelines_in(&cwd);
        assert_eq!(pipelines_dir(None, &cwd, Some(&exe)).unwrap(), here);
    }

    #[test]
    fn a_cargo_build_finds_its_source_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let src = pipelines_in(tmp.path());
        let exe = tmp.path().join("target/release/wcmon");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        assert_eq!(pipelines_dir(None, &elsewhere, Some(&exe)).unwrap(), src);
    }

    #[test]
    fn a_missing_folder_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let e = pipelines_dir(Some(Path::new("nowhere")), tmp.path(), None).unwrap_err().to_string();
        assert_eq!(e, format!("the pipelines folder {} (--pipelines) does not exist", tmp.path().join("nowhere").display()));
        let exe = tmp.path().join("bin/wcmon");
        let e = pipelines_dir(None, tmp.path(), Some(&exe)).unwrap_err().to_string();
        assert!(e.starts_with("no pipelines folder (one with indicators.toml) in "), "{e}");
        assert!(e.contains(&tmp.path().join("pipelines").display().to_string()) && e.contains("share/wcmon/pipelines") && e.contains("--pipelines DIR"), "{e}");
    }
}
