//! A pipeline file that cannot be used: [`ConfigError`], with the file, the line
//! when it is known, and a message of the catalogue ([`ConfigMsg`]: an id `config-…`
//! of `src/i18n/{zh,en}.ftl` and its arguments), said in the process's language
//! ([`crate::i18n::lang`]) when it is shown. The toml crate's own parse errors
//! keep toml's text (with its line, column and the line quoted); in Chinese the
//! place is said around it.

use std::path::{Path, PathBuf};

use crate::i18n::{tr, Arg, Lang};

/// A message about a pipeline file: its catalogue id and its arguments (the
/// offending value, the key, what is allowed), rendered when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMsg {
    pub id: &'static str,
    pub args: Vec<(&'static str, MsgArg)>,
}

/// An argument of a [`ConfigMsg`]: a text as it is (a value, a key, a path), or a
/// message rendered in the same language (where in the file: `[[columns]] "列 C"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgArg {
    Text(String),
    Msg(ConfigMsg),
}

impl ConfigMsg {
    pub fn new(id: &'static str) -> ConfigMsg {
        ConfigMsg { id, args: Vec::new() }
    }

    /// The message with one more argument (`{$name}` in the catalogue).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> ConfigMsg {
        self.args.push((name, MsgArg::Text(value.to_string())));
        self
    }

    /// The message with a quoted argument: `"value"`, as the English messages
    /// have always quoted the offending value (Rust's `{:?}` of a string).
    pub fn quoted(self, name: &'static str, value: &str) -> ConfigMsg {
        self.arg(name, format!("{value:?}"))
    }

    /// The message with an argument that is itself a message.
    pub fn msg_arg(mut self, name: &'static str, value: ConfigMsg) -> ConfigMsg {
        self.args.push((name, MsgArg::Msg(value)));
        self
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let texts: Vec<String> = self
            .args
            .iter()
            .map(|(_, v)| match v {
                MsgArg::Text(t) => t.clone(),
                MsgArg::Msg(m) => m.render(lang),
            })
            .collect();
        let args: Vec<(&str, Arg)> = self.args.iter().zip(&texts).map(|((k, _), v)| (*k, Arg::Str(v))).collect();
        tr(lang, self.id, &args)
    }
}

/// A pipeline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    Io { file: PathBuf, source: std::io::Error },
    /// The file is not TOML, or its TOML does not fit the file's structure (toml's own message).
    Toml { file: PathBuf, source: Box<toml::de::Error> },
    /// A message made as text (English) by code that has no catalogue message for it yet.
    Invalid { file: PathBuf, msg: String },
    /// A catalogue message, at a line of the file when it is known.
    Msg { file: PathBuf, line: Option<usize>, msg: ConfigMsg },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(crate::i18n::lang()))
    }
}

impl ConfigError {
    /// A catalogue message about `file` as a whole (or a key whose line is not looked up).
    pub fn msg(file: &Path, msg: ConfigMsg) -> ConfigError {
        ConfigError::Msg { file: file.to_path_buf(), line: None, msg }
    }

    /// A catalogue message at the first line of `text` that has `needle` (quoted, or as
    /// a word: see [`crate::config::rules::line_of`]); without the line when none has it.
    pub fn at(file: &Path, text: &str, needle: &str, msg: ConfigMsg) -> ConfigError {
        ConfigError::Msg { file: file.to_path_buf(), line: crate::config::rules::line_of(text, needle), msg }
    }

    /// The file that cannot be used.
    pub fn file(&self) -> &Path {
        match self {
            ConfigError::Io { file, .. } | ConfigError::Toml { file, .. } | ConfigError::Invalid { file, .. } | ConfigError::Msg { file, .. } => file,
        }
    }

    /// The message in `lang`: the file, the line when known, what is wrong.
    pub fn message(&self, lang: Lang) -> String {
        let file = self.file().display().to_string();
        match self {
            ConfigError::Io { source, .. } => crate::t!(lang, "config-io", file = &file, error = &io_reason(source, lang)),
            ConfigError::Toml { source, .. } => {
                let text = source.to_string();
                match (lang, toml_place(&text)) {
                    (Lang::Zh, Some((line, column, rest))) => {
                        crate::t!(lang, "config-toml-at", file = &file, line = line, column = column, error = &format!("\n{}", rest.trim_end()))
                    }
                    _ => crate::t!(lang, "config-toml", file = &file, error = text.trim_end()),
                }
            }
            ConfigError::Invalid { msg, .. } => crate::t!(lang, "config-invalid", file = &file, msg = msg),
            ConfigError::Msg { line: Some(line), msg, .. } => crate::t!(lang, "config-at-line", file = &file, line = *line, msg = &msg.render(lang)),
            ConfigError::Msg { line: None, msg, .. } => crate::t!(lang, "config-invalid", file = &file, msg = &msg.render(lang)),
        }
    }
}

/// Why a file cannot be read, in `lang`: the common reasons in the catalogue, any
/// other as the system says it.
fn io_reason(e: &std::io::Error, lang: Lang) -> String {
    use std::io::ErrorKind as K;
    let id = match e.kind() {
        K::NotFound => "config-io-not-found",
        K::PermissionDenied => "config-io-permission",
        K::InvalidData => "config-io-not-utf8",
        K::IsADirectory => "config-io-directory",
        _ => return e.to_string(),
    };
    match lang {
        // English as before: the system's own words.
        Lang::En => e.to_string(),
        Lang::Zh => tr(lang, id, &[]),
    }
}

/// The line and column of toml's message ("TOML parse error at line 3, column 7\n…")
/// and the rest of it (the line quoted, toml's or serde's reason).
fn toml_place(text: &str) -> Option<(usize, usize, &str)> {
    let (head, rest) = text.split_once('\n').unwrap_or((text, ""));
    let place = head.trim().strip_prefix("TOML parse error at line ")?;
    let (line, column) = place.split_once(", column ")?;
    Some((line.trim().parse().ok()?, column.trim().parse().ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: i32,
    }

    fn toml_error(text: &str) -> ConfigError {
        let source = toml::from_str::<Doc>(text).unwrap_err();
        ConfigError::Toml { file: "p/x.toml".into(), source: Box::new(source) }
    }

    #[test]
    fn toml_errors_keep_tomls_text_and_say_the_place_in_chinese() {
        let e = toml_error("a = 1\nb = 2\n");
        let en = e.message(Lang::En);
        assert!(en.starts_with("p/x.toml: TOML parse error at line 2, column 1"), "{en}");
        assert!(en.contains("unknown field `b`"), "{en}");
        let zh = e.message(Lang::Zh);
        assert!(zh.starts_with("p/x.toml：第 2 行第 1 列有误（TOML）：\n"), "{zh}");
        assert!(zh.contains("unknown field `b`") && zh.contains("b = 2") && !zh.contains("TOML parse error"), "{zh}");
        // The process's language is English until main sets it: Display is the English.
        assert_eq!(e.to_string(), en);
        assert_eq!(toml_place("TOML parse error at line 12, column 3\nx"), Some((12, 3, "x")));
        assert_eq!(toml_place("something else"), None);
    }

    #[test]
    fn catalogue_messages_with_and_without_a_line() {
        let text = "[form]\nid = \"x\"\n[table]\nheader_rows = 0\n";
        let e = ConfigError::at(Path::new("f.toml"), text, "header_rows", ConfigMsg::new("config-form-header-rows").arg("max", 30));
        assert_eq!(e.message(Lang::En), "f.toml: line 4: [table] header_rows must be between 1 and 30");
        assert_eq!(e.message(Lang::Zh), "f.toml：第 4 行：[table] header_rows 应在 1 到 30 之间");
        let e = ConfigError::msg(Path::new("f.toml"), ConfigMsg::new("config-form-header-rows").arg("max", 30));
        assert_eq!(e.message(Lang::En), "f.toml: [table] header_rows must be between 1 and 30");
        let io = ConfigError::Io { file: "p/areas.toml".into(), source: std::io::Error::from(std::io::ErrorKind::NotFound) };
        assert_eq!(io.message(Lang::Zh), "无法读取 p/areas.toml：文件不存在");
        assert!(io.message(Lang::En).starts_with("cannot read p/areas.toml: "), "{}", io.message(Lang::En));
    }
}
