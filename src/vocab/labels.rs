//! Built-in understanding of sex and age labels ("女", "0-4岁", "65岁及以上").

use regex::Regex;
use std::sync::LazyLock;

use super::clean::normalise_label;

/// A label meaning "all" (合计, 小计, 总计): it sets no dimension.
pub fn is_total(label: &str) -> bool {
    is_total_normalised(&normalise_label(label))
}

/// [`is_total`] of a label already normalised.
pub fn is_total_normalised(l: &str) -> bool {
    matches!(l, "合计" | "小计" | "总计" | "计" | "全部" | "total")
}

/// Sex code for a label: 男 -> M, 女 -> F, 合计 -> _T.
pub fn sex_code(label: &str) -> Option<&'static str> {
    sex_code_normalised(&normalise_label(label))
}

/// [`sex_code`] of a label already normalised.
pub fn sex_code_normalised(l: &str) -> Option<&'static str> {
    let l = l.trim_start_matches("其中:").trim_start_matches("其中");
    match l {
        "男" | "男性" | "m" | "male" => Some("M"),
        "女" | "女性" | "f" | "female" => Some("F"),
        "合计" | "小计" | "总计" | "计" | "全部" | "男女合计" | "total" | "_t" => Some("_T"),
        _ => None,
    }
}

static AGE_CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(_T|Y\d{1,3}T\d{1,3}|Y_LT\d{1,3}|Y_GE\d{1,3}|Y\d{1,3})$").expect("static regex"));
static AGE_RANGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,3})[-~至到](\d{1,3})(?:岁|周岁)?$").expect("static regex"));
static AGE_GE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,3})(?:岁|周岁)?(?:及以上|以上|\+)$").expect("static regex"));
static AGE_LT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:不满|未满)(\d{1,3})(?:岁|周岁)$|^(\d{1,3})(?:岁|周岁)以下$").expect("static regex"));
static AGE_ONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,3})(?:岁|周岁)$").expect("static regex"));

/// Is `s` an SDMX-style age code (_T, Y0T4, Y_LT1, Y_GE65, Y5)?
pub fn is_age_code(s: &str) -> bool {
    AGE_CODE.is_match(s)
}

/// Age code for a label: "0-4岁" -> Y0T4, "65岁及以上" -> Y_GE65, "不满1岁" -> Y_LT1, "合计" -> _T.
pub fn age_code(label: &str) -> Option<String> {
    age_code_normalised(label, &normalise_label(label))
}

/// [`age_code`] of `label`, `l` being the label normalised. The same few age
/// labels come in every return: each thread remembers the answers for up to
/// [`AGE_MEMO`] labels instead of matching the patterns again.
pub fn age_code_normalised(label: &str, l: &str) -> Option<String> {
    thread_local! {
        static MEMO: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Option<String>>> = Default::default();
    }
    MEMO.with_borrow_mut(|memo| {
        if let Some(code) = memo.get(label) {
            return code.clone();
        }
        let code = age_code_parsed(label, l);
        if memo.len() >= AGE_MEMO {
            memo.clear();
        }
        memo.insert(label.into(), code.clone());
        code
    })
}

/// How many age labels a thread remembers (a workbook with more distinct labels
/// than this only costs the patterns again).
pub const AGE_MEMO: usize = 4096;

fn age_code_parsed(label: &str, l: &str) -> Option<String> {
    if matches!(l, "合计" | "小计" | "总计" | "计" | "全部年龄" | "_t") {
        return Some("_T".into());
    }
    let upper = label.trim();
    if is_age_code(upper) {
        return Some(upper.to_string());
    }
    if let Some(c) = AGE_RANGE.captures(l) {
        return Some(format!("Y{}T{}", &c[1], &c[2]));
    }
    if let Some(c) = AGE_GE.captures(l) {
        return Some(format!("Y_GE{}", &c[1]));
    }
    if let Some(c) = AGE_LT.captures(l) {
        let n = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()).unwrap_or("0");
        return Some(format!("Y_LT{n}"));
    }
    if let Some(c) = AGE_ONE.captures(l) {
        return Some(format!("Y{}", &c[1]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(age_code("0-4岁").as_deref(), Some("Y0T4"));
        assert_eq!(age_code("０－４岁").as_deref(), Some("Y0T4"));
        assert_eq!(age_code("15~49岁").as_deref(), Some("Y15T49"));
        assert_eq!(age_code("65岁及以上").as_deref(), Some("Y_GE65"));
        assert_eq!(age_code("不满1岁").as_deref(), Some("Y_LT1"));
        assert_eq!(age_code("合计").as_deref(), Some("_T"));
        assert_eq!(age_code("Y3T5").as_deref(), Some("Y3T5"));
        assert_eq!(age_code("男"), None);
        assert!(is_age_code("Y_GE65") && !is_age_code("Y-65"));
    }

    /// The memo answers as the patterns do, also once it has been filled and cleared.
    #[test]
    fn remembered_ages_are_the_parsed_ones() {
        for round in 0..2 {
            for a in 0..(AGE_MEMO + 10) {
                let label = format!("{a}-{}岁", a + 4);
                let want = if a < 1000 && a + 4 < 1000 { Some(format!("Y{a}T{}", a + 4)) } else { None };
                assert_eq!(age_code(&label), want, "round {round}, {label}");
            }
            assert_eq!(age_code("65岁及以上").as_deref(), Some("Y_GE65"));
            assert_eq!(age_code("男"), None);
        }
    }

    #[test]
    fn sexes() {
        assert_eq!(sex_code("其中：女"), Some("F"));
        assert_eq!(sex_code("男"), Some("M"));
        assert_eq!(sex_code("合 计"), Some("_T"));
        assert_eq!(sex_code("儿童"), None);
    }
}
