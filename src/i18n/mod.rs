//! The message catalogue: what wcmon says to people (the run summary, the check
//! report, errors) in Chinese or English, from Fluent files (`en.ftl`, `zh.ftl`,
//! compiled in). Codes stay codes in every language (rule ids, statuses, table
//! and column names): they are what a query or a script matches.
//!
//! The language: `--lang zh|en`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`,
//! the first one set): Chinese for `zh*`, English otherwise.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    /// 中文
    Zh,
    /// English
    En,
}

impl Lang {
    /// The locale's language: `zh` when the first of LC_ALL, LC_MESSAGES, LANG that is
    /// set (and not empty) starts with `zh`, else English.
    pub fn from_env() -> Lang {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Lang::from_locale(get("LC_ALL").or_else(|| get("LC_MESSAGES")).or_else(|| get("LANG")).as_deref())
    }

    /// The language of a locale name (`zh_CN.UTF-8` → Chinese; `C`, `en_US`, none → English).
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    fn source(self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("zh-CN", include_str!("zh.ftl")),
            Lang::En => ("en", include_str!("en.ftl")),
        }
    }
}

/// The process's language for messages made far from `main` (an error's `Display`,
/// e.g. a pipeline file's mistake found while loading it): English until `main`
/// sets the language of `--lang` or the locale. Messages that go into tables never
/// use it (their bytes do not depend on the locale).
static PROCESS_LANG: AtomicU8 = AtomicU8::new(1);

/// Set the process's language (`main`, once, from `--lang` or the locale).
pub fn set_lang(lang: Lang) {
    PROCESS_LANG.store(if lang == Lang::Zh { 0 } else { 1 }, Ordering::Relaxed);
}

/// The process's language (see `set_lang`).
pub fn lang() -> Lang {
    if PROCESS_LANG.load(Ordering::Relaxed) == 0 {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// The bundle of a language, parsed once. A catalogue that does not parse is a
/// bug caught by the tests (every message of both files is formatted there); at run
/// time its valid messages are still used.
fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static ZH: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let cell = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    cell.get_or_init(|| {
        let (id, text) = lang.source();
        let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(partial, _)| partial);
        let locale = id.parse().unwrap_or_default();
        let mut b = FluentBundle::new_concurrent(vec![locale]);
        // No Unicode isolation marks around the arguments (they would show in a terminal).
        b.set_use_isolating(false);
        let _ = b.add_resource(resource);
        b
    })
}

/// An argument of a message.
pub enum Arg<'a> {
    Str(&'a str),
    Num(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Arg<'a> {
        Arg::Str(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Arg<'a> {
        Arg::Str(s)
    }
}

macro_rules! num_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Num(n as f64)
            }
        }
    )*};
}
num_arg!(u64, usize, u128, i64, i32, u32);

/// The message `id` in `lang`, with its arguments; the id itself when the catalogue
/// has no such message (the tests check that both have every message).
pub fn tr(lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
    let b = bundle(lang);
    let Some(pattern) = b.get_message(id).and_then(|m| m.value()) else { return id.to_string() };
    let mut fa = FluentArgs::new();
    for (k, v) in args {
        match v {
            Arg::Str(s) => fa.set(*k, FluentValue::from(*s)),
            Arg::Num(n) => fa.set(*k, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    b.format_pattern(pattern, Some(&fa), &mut errors).into_owned()
}

/// `tr` with named arguments: `t!(lang, "run-cells", read = 10, landed = 9)`.
#[macro_export]
macro_rules! t {
    ($lang:expr, $id:expr $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::i18n::tr($lang, $id, &[$((stringify!($k), $crate::i18n::Arg::from($v))),*])
    };
}

/// Where an issue is, as the Chinese messages say it: `表1!D7`, a sheet, or the whole file.
pub fn place_zh(sheet: Option<&str>, cell: Option<&str>) -> String {
    match (sheet, cell) {
        (Some(s), Some(c)) => format!("{s}!{c}"),
        (Some(s), None) => s.to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => "整个文件".to_string(),
    }
}

/// An issue's message in Chinese (`issues.message_zh`, the check report in Chinese):
/// the one set where the issue was made, else the catalogue's `issue-<rule>` with the
/// issue's fields (place, data element, area, year, observed, expected …). A rule the
/// catalogue does not know (a declared rule's id) gets `issue-declared` or `issue-other`.
/// Never depends on the locale: the Parquet bytes are the same everywhere.
pub fn issue_message_zh(i: &crate::model::Issue) -> String {
    if let Some(m) = &i.message_zh {
        return m.clone();
    }
    let place = place_zh(i.source_sheet.as_deref(), i.source_cell.as_deref());
    let dash = "—";
    let year = i.year.map(|y| y.to_string()).unwrap_or_else(|| dash.to_string());
    let or = |v: &Option<String>| v.clone().unwrap_or_else(|| dash.to_string());
    let (de, area, observed, expected, indicator, form) = (or(&i.data_element), or(&i.area), or(&i.observed), or(&i.expected), or(&i.indicator), or(&i.form));
    let id = format!("issue-{}", i.rule.replace('_', "-"));
    let id = if bundle(Lang::Zh).has_message(&id) {
        id
    } else if i.observed.is_some() || i.expected.is_some() {
        "issue-declared".to_string()
    } else {
        "issue-other".to_string()
    };
    tr(
        Lang::Zh,
        &id,
        &[
            ("place", Arg::Str(&place)),
            ("de", Arg::Str(&de)),
            ("area", Arg::Str(&area)),
            ("year", Arg::Str(&year)),
            ("observed", Arg::Str(&observed)),
            ("expected", Arg::Str(&expected)),
            ("indicator", Arg::Str(&indicator)),
            ("form", Arg::Str(&form)),
            ("rule", Arg::Str(i.rule)),
            ("message", Arg::Str(&i.message)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages only zh.ftl has: the Chinese texts of the data.
    fn zh_only(id: &str) -> bool {
        ["issue-", "warning-", "trend-", "relational-"].iter().any(|p| id.starts_with(p))
    }

    /// The message ids of a catalogue file (lines `id = …` at the start of a line).
    fn ids(text: &str) -> Vec<&str> {
        text.lines().filter(|l| !l.starts_with([' ', '#', '.', '[', '*']) && l.contains(" =")).filter_map(|l| l.split(" =").next()).collect()
    }

    #[test]
    fn both_catalogues_parse_and_have_the_same_messages() {
        for lang in [Lang::Zh, Lang::En] {
            let (_, text) = lang.source();
            assert!(FluentResource::try_new(text.to_string()).is_ok(), "{lang:?}: the catalogue does not parse");
        }
        let (zh, en) = (ids(Lang::Zh.source().1), ids(Lang::En.source().1));
        assert!(zh.len() > 20, "{zh:?}");
        // The messages of the data are zh only (the English is the issue's own message, the code's warning_text).
        let mut a: Vec<&str> = zh.iter().copied().filter(|id| !zh_only(id)).collect();
        let mut b = en.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "the two catalogues must have the same message ids");
        // Every message formats without errors with its arguments missing reported, not panicking.
        for id in zh {
            assert_ne!(tr(Lang::Zh, id, &[]), id);
            if !zh_only(id) {
                assert_ne!(tr(Lang::En, id, &[]), id);
            }
        }
    }

    #[test]
    fn an_issue_in_chinese_names_its_cell_and_fills_every_argument() {
        use crate::model::{Issue, Severity};
        let i = Issue::new(Severity::Error, "negative_count", "x cannot be negative").at("a.xlsx", Some("表1"), Some("D7".into())).observed("-5");
        let mut i = i;
        i.data_element = Some("schools".into());
        assert_eq!(issue_message_zh(&i), "表1!D7：schools 为计数，不能为负数（实际值 -5）");
        // A rule the catalogue does not know: the generic message, with what was found.
        let j = Issue::new(Severity::Warning, "my_rule", "m").at("a.xlsx", Some("表1"), Some("B2".into())).observed("3").expected("<= 2");
        assert_eq!(issue_message_zh(&j), "表1!B2：未通过校验规则 my_rule（实际值 3，应为 <= 2）");
        // Set where it was made: kept.
        assert_eq!(issue_message_zh(&j.clone().zh("自定")), "自定");
    }

    #[test]
    fn arguments_without_isolation_marks_and_the_locale_default() {
        let s = crate::t!(Lang::Zh, "check-total", files = 2usize, errors = 3usize, warnings = 0usize, info = 1usize, history = "");
        assert_eq!(s, "共检查 2 个文件：3 个错误，0 个警告，1 条提示");
        let s = crate::t!(Lang::En, "check-total", files = 2usize, errors = 3usize, warnings = 0usize, info = 1usize, history = "");
        assert_eq!(s, "checked 2 files: 3 errors, 0 warnings, 1 info");
        assert_eq!(tr(Lang::En, "no-such-message", &[]), "no-such-message");
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("zh_TW")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
    }
}
