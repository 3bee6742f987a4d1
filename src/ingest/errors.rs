//! Why a file could not be read, in sentences a statistician can act on.
//!
//! The reader's own words ("Could not find EOCD", "Sector 4294967039 points past
//! end of file", "Cfb error: Codepage D7CC not found") are kept as the issue's
//! `detail`; its `message` is one of the sentences of [`SENTENCES`], Chinese
//! first and the English in parentheses ("文件已加密(设有密码),…(the file is
//! encrypted …)"). The table is the one place these sentences live, keyed by
//! [`Kind`], so a message catalogue (another language) can take them over.

use super::IngestError;

/// What is wrong with a file, as far as its reader can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Password-protected (or XOR-obfuscated) workbook.
    Encrypted,
    /// A damaged or cut-short workbook (an interrupted copy or download).
    Damaged,
    /// Not a spreadsheet at all (CSV, HTML, a renamed file, an empty file).
    NotExcel,
    /// Larger than a return can be, or would take more memory than a workbook may.
    TooLarge,
    /// The file could not be read from the disk (permissions, a vanished file).
    Unreadable,
    /// The disk is full (writing the database).
    DiskFull,
    /// The spreadsheet reader itself failed on the file.
    ReaderFailed,
}

/// (kind, Chinese, English): what to tell the statistician, and what to ask the body for.
pub const SENTENCES: &[(Kind, &str, &str)] = &[
    (
        Kind::Encrypted,
        "文件已加密(设有打开密码),无法读取;请报送单位去掉密码后重新报送",
        "the file is encrypted (password-protected); ask the body for a copy without a password",
    ),
    (
        Kind::Damaged,
        "文件损坏或不完整(可能在复制、下载或保存时中断);请用 Excel 打开检查,或请报送单位重新报送",
        "the file is damaged or incomplete (a copy, download or save may have been cut short); open it in Excel to check, or ask the body to send it again",
    ),
    (
        Kind::NotExcel,
        "不是 Excel 文件(xlsx、xls、xlsb 或 ods);请用 Excel 打开后另存为 .xlsx",
        "not an Excel file (xlsx, xls, xlsb or ods); open it in Excel and save it as .xlsx",
    ),
    (
        Kind::TooLarge,
        "文件过大,超出一份报表可读取的上限,未读取;通常是表格外很远处有零散单元格,请删除后重新报送",
        "the file is too large for a return and was not read; usually a stray cell far from the table: delete it and send the file again",
    ),
    (Kind::Unreadable, "无法读取该文件(权限不足或文件已被移走)", "the file cannot be read from the disk (permissions, or it was moved away)"),
    (Kind::DiskFull, "磁盘已满,无法写入数据库;请清理空间后重新运行", "the disk is full: the database cannot be written; free some space and run again"),
    (
        Kind::ReaderFailed,
        "表格读取程序无法处理该文件(文件可能已损坏);请用 Excel 打开后另存为 .xlsx 再报送",
        "the spreadsheet reader failed on this file (the workbook may be corrupt); open it in Excel and save it again as .xlsx",
    ),
];

/// The (Chinese, English) sentences of a kind.
pub fn sentence(kind: Kind) -> (&'static str, &'static str) {
    SENTENCES.iter().find(|s| s.0 == kind).map(|s| (s.1, s.2)).unwrap_or(("", ""))
}

/// The message of a kind: the Chinese sentence, then the English in parentheses.
pub fn message(kind: Kind) -> String {
    let (zh, en) = sentence(kind);
    format!("{zh}({en})")
}

/// What kind of problem an ingest error is.
pub fn kind_of(e: &IngestError) -> Kind {
    match e {
        IngestError::Encrypted => Kind::Encrypted,
        IngestError::TooLarge { .. } | IngestError::Inflates { .. } | IngestError::OverBudget(_) => Kind::TooLarge,
        IngestError::NotSpreadsheet(_) => Kind::NotExcel,
        IngestError::ReaderPanic(_) => Kind::ReaderFailed,
        IngestError::Io(reason) if is_disk_full(reason) => Kind::DiskFull,
        IngestError::Io(_) => Kind::Unreadable,
        IngestError::Broken { reason, .. } => broken_kind(reason),
    }
}

/// A reader's complaint about a workbook's structure: almost always damage; an
/// `.xls` whose text cannot be decoded with any codepage is an encrypted
/// (XOR-obfuscated) one.
fn broken_kind(reason: &str) -> Kind {
    let r = reason.to_lowercase();
    if r.contains("encrypt") || r.contains("password") || (r.contains("codepage") && r.contains("not found")) {
        Kind::Encrypted
    } else {
        Kind::Damaged
    }
}

/// An I/O error text saying the disk is full (ENOSPC, or a quota).
pub fn is_disk_full(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("no space left") || t.contains("disk quota exceeded") || t.contains("storage full") || t.contains("os error 28")
}

/// The message and detail for an ingest error: the kind's Chinese
/// sentence, then in parentheses wcmon's own English explanation where it has one
/// (an empty file, a CSV, the size over the limit…), else the kind's English
/// sentence; the detail is the error as the reader gave it.
pub fn explain(e: &IngestError) -> (String, String) {
    let detail = e.to_string();
    let kind = kind_of(e);
    let (zh, en) = sentence(kind);
    let own = matches!(
        e,
        IngestError::Encrypted | IngestError::NotSpreadsheet(_) | IngestError::TooLarge { .. } | IngestError::Inflates { .. } | IngestError::OverBudget(_)
    );
    let msg = if own { format!("{zh}({detail})") } else { format!("{zh}({en})") };
    (msg, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_sentence_in_both_languages() {
        for k in [Kind::Encrypted, Kind::Damaged, Kind::NotExcel, Kind::TooLarge, Kind::Unreadable, Kind::DiskFull, Kind::ReaderFailed] {
            let (zh, en) = sentence(k);
            assert!(!zh.is_empty() && !en.is_empty(), "{k:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{k:?}: {zh}");
        }
    }

    #[test]
    fn readers_words_are_mapped() {
        let broken = |r: &str| IngestError::Broken { format: "xlsx", reason: r.into() };
        assert_eq!(kind_of(&broken("Zip error: invalid Zip archive: Could not find EOCD")), Kind::Damaged);
        assert_eq!(kind_of(&broken("Cfb error: Sector 4294967039 points past end of file")), Kind::Damaged);
        assert_eq!(kind_of(&broken("Cfb error: Codepage D7CC not found")), Kind::Encrypted);
        assert_eq!(kind_of(&IngestError::Io("No space left on device (os error 28)".into())), Kind::DiskFull);
        assert_eq!(kind_of(&IngestError::Io("Permission denied (os error 13)".into())), Kind::Unreadable);
        let (msg, detail) = explain(&broken("Could not find EOCD"));
        assert!(msg.starts_with("文件损坏或不完整") && msg.contains("(the file is damaged"), "{msg}");
        assert!(detail.contains("EOCD"), "{detail}");
    }
}
