//! How a form names columns and header paths: a header label or a letter
//! ([`ColRef`]), column letters, the normalised key of a header path.

use serde::Deserialize;

use crate::vocab::clean::normalise_label;

/// A column named by its header label, or by its letter (`{ column = "C" }`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColRef {
    Header(String),
    Letter { column: String },
}

impl ColRef {
    /// The 0-based index of a letter reference.
    pub fn letter(&self) -> Option<usize> {
        match self {
            ColRef::Letter { column } => column_index(column),
            ColRef::Header(_) => None,
        }
    }

    /// The header label, or "column C".
    pub fn describe(&self) -> String {
        match self {
            ColRef::Header(h) => h.clone(),
            ColRef::Letter { column } => format!("column {column}"),
        }
    }
}

/// The 0-based index of a column letter ("A" -> 0, "AB" -> 27); `None` if not letters.
pub fn column_index(letters: &str) -> Option<usize> {
    let t = letters.trim();
    if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = t.chars().fold(0usize, |n, c| n * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1));
    (n <= 16384).then(|| n - 1)
}
/// The normalised key of a header path "活产数 / 其中：女" -> "活产数/其中:女".
pub fn header_key(path: &str) -> String {
    let parts: Vec<String> = path.split('/').map(normalise_label).filter(|p| !p.is_empty()).collect();
    dedup_path(parts).join("/")
}

/// Drop consecutive repeats (a label merged over two header rows counts once).
pub fn dedup_path(parts: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for p in parts {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_from_a() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("c"), Some(2));
        assert_eq!(column_index("Z"), Some(25));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("AB"), Some(27));
        assert_eq!(column_index("XFD"), Some(16383));
        assert_eq!(column_index("XFE"), None);
        assert_eq!(column_index("A1"), None);
        assert_eq!(column_index(""), None);
        assert_eq!(column_index("乡镇"), None);
    }

    #[test]
    fn header_keys_normalise() {
        assert_eq!(header_key("活产数 / 其中：女"), "活产数/其中:女");
        assert_eq!(header_key("出生/出生"), "出生");
    }
}
