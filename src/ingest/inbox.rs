//! The inbox: every file under it (links followed, loops and dead links named),
//! its size and modification time, and its bytes with their SHA-256.

use super::*;

/// A file found in the inbox.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// Path relative to the inbox, with "/" separators: the `source_file` of every row.
    /// A name that is not UTF-8 keeps its other bytes as `\xNN` (see [`path_text`]),
    /// so two such names never share a `source_file`.
    pub rel: String,
    pub size: u64,
    /// Modification time, nanoseconds since 1970 (0 when unknown).
    pub mtime_ns: u64,
    /// An entry of the inbox that could not be listed or followed (unreadable
    /// folder, broken or looping link): reported as an issue of this severity,
    /// the rest of the inbox loads.
    pub problem: Option<(crate::model::Severity, String)>,
}

/// A path component as text: UTF-8 as it is, any other byte as `\xNN`.
pub fn path_text(s: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = s.as_bytes();
        if let Ok(t) = std::str::from_utf8(bytes) {
            return t.to_string();
        }
        let mut out = String::with_capacity(bytes.len() + 8);
        for chunk in bytes.utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().to_string()
    }
}

pub(super) fn rel_of(inbox: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(inbox).unwrap_or(path);
    rel.components().map(|c| path_text(c.as_os_str())).collect::<Vec<_>>().join("/")
}

/// Spreadsheet-looking files under `inbox`, sorted by relative path.
/// Hidden files and Excel lock files (`~$...`) are skipped. Symbolic links are
/// followed (a loop is reported, not followed twice); an entry that cannot be
/// listed or followed is returned with its problem, so the run reports it and
/// loads the rest. Only an inbox that cannot be listed at all is an error.
pub fn discover(inbox: &Path) -> std::io::Result<Vec<InputFile>> {
    use crate::model::Severity;
    std::fs::read_dir(inbox)?;
    let mut out = Vec::new();
    let skipped = |rel: &str| rel.split('/').any(|p| p.starts_with('.') || p.starts_with("~$") || p == "_truth");
    for entry in walkdir::WalkDir::new(inbox).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let Some(path) = e.path().map(Path::to_path_buf) else { continue };
                let rel = rel_of(inbox, &path);
                if rel.is_empty() || skipped(&rel) {
                    continue;
                }
                let problem = if let Some(ancestor) = e.loop_ancestor() {
                    (Severity::Warning, format!("a symbolic link that loops back to {}: not followed again", ancestor.display()))
                } else if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
                    (Severity::Error, "a symbolic link to a file or folder that does not exist: nothing read".to_string())
                } else {
                    let why = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                    (Severity::Error, format!("cannot be read ({why}): the returns in it, if any, are missing from this run"))
                };
                out.push(InputFile { path, rel, size: 0, mtime_ns: 0, problem: Some(problem) });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = rel_of(inbox, entry.path());
        if skipped(&rel) {
            continue;
        }
        let meta = entry.metadata().ok();
        let size = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        let mtime_ns = meta.and_then(|m| m.modified().ok()).map(mtime_nanos).unwrap_or(0);
        out.push(InputFile { path: entry.path().to_path_buf(), rel, size, mtime_ns, problem: None });
    }
    Ok(out)
}

pub fn mtime_nanos(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// Read a file's bytes (bounded) and its SHA-256.
pub fn read_bytes(path: &Path) -> Result<(Vec<u8>, String), IngestError> {
    let size = std::fs::metadata(path).map_err(|e| IngestError::Io(e.to_string()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(IngestError::TooLarge { size, limit: MAX_FILE_BYTES });
    }
    let bytes = std::fs::read(path).map_err(|e| IngestError::Io(e.to_string()))?;
    let sha = hex(&Sha256::digest(&bytes));
    Ok((bytes, sha))
}
