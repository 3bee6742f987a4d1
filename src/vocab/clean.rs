//! Cleaning of labels and values as bodies type them.

/// Map full-width ASCII (！..～, full-width space) to half-width.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '、' => ',',
        _ => c,
    }
}

/// A label as compared: half-width, no whitespace, lower case ASCII.
/// "其中：女" == "其中:女" == " 其 中 : 女 ".
pub fn normalise_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(half_width) {
        if c.is_whitespace() || c == '\u{200B}' {
            continue;
        }
        // Fast paths for what labels are made of (ASCII, CJK ideographs and punctuation,
        // which have no case); the full Unicode case table only for the rest.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if ('\u{3000}'..='\u{9FFF}').contains(&c) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The result of cleaning one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cleaned {
    /// A number, with the unit written in the cell ("%", "‰") if any.
    Number { value: f64, unit: Option<&'static str> },
    /// A dash or similar: the body says "no figure".
    Dash,
    /// Text that is not a number.
    Text(String),
}

/// Clean a text cell: full-width digits, thousands separators, "%", "‰", "—".
pub fn clean_text(raw: &str) -> Cleaned {
    let s: String = raw.chars().map(half_width).filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Cleaned::Dash;
    }
    if s.chars().all(|c| matches!(c, '-' | '—' | '–' | '－' | '─' | '/' | '…' | '.')) || s == "无" || s == "/" {
        return Cleaned::Dash;
    }
    let (body, unit) = if let Some(b) = s.strip_suffix('%') {
        (b, Some("%"))
    } else if let Some(b) = s.strip_suffix('‰') {
        (b, Some("‰"))
    } else {
        (s.as_str(), None)
    };
    // Thousands separators only between digit groups of three.
    let body = strip_thousands(body);
    match body.parse::<f64>() {
        Ok(v) if v.is_finite() && !body.contains(['e', 'E', 'n', 'N', 'i', 'I']) => Cleaned::Number { value: v, unit },
        _ => Cleaned::Text(raw.trim().to_string()),
    }
}

fn strip_thousands(s: &str) -> String {
    if !s.contains(',') {
        return s.to_string();
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let int_digits = int.trim_start_matches(['-', '+']);
    let groups: Vec<&str> = int_digits.split(',').collect();
    let ok = groups.len() > 1
        && !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        return s.to_string(); // "1,2" stays unparseable rather than becoming 12
    }
    let mut out = int.replace(',', "");
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Multiplier that converts a value written in `from` into `to`
/// (万人 -> 人 = 10000, 千元 -> 万元 = 0.1, % -> % = 1). `None` if unrelated.
pub fn unit_scale(from: &str, to: &str) -> Option<f64> {
    let f = normalise_label(from);
    let t = normalise_label(to);
    if f == t {
        return Some(1.0);
    }
    let prefixed = |u: &str| -> (f64, String) {
        for (p, m) in [("亿", 1e8), ("万", 1e4), ("千", 1e3), ("百", 1e2)] {
            if let Some(rest) = u.strip_prefix(p) {
                if !rest.is_empty() {
                    return (m, rest.to_string());
                }
            }
        }
        (1.0, u.to_string())
    };
    let (mf, bf) = prefixed(&f);
    let (mt, bt) = prefixed(&t);
    if bf == bt {
        return Some(mf / mt);
    }
    match (f.as_str(), t.as_str()) {
        ("%", "‰") => Some(10.0),
        ("‰", "%") => Some(0.1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(v: f64) -> Cleaned {
        Cleaned::Number { value: v, unit: None }
    }

    #[test]
    fn cleans_what_bodies_type() {
        assert_eq!(clean_text("1,234"), num(1234.0));
        assert_eq!(clean_text("１２"), num(12.0));
        assert_eq!(clean_text("１，２３４"), num(1234.0));
        assert_eq!(clean_text(" 85.3% "), Cleaned::Number { value: 85.3, unit: Some("%") });
        assert_eq!(clean_text("4.5‰"), Cleaned::Number { value: 4.5, unit: Some("‰") });
        assert_eq!(clean_text("—"), Cleaned::Dash);
        assert_eq!(clean_text("－"), Cleaned::Dash);
        assert_eq!(clean_text("--"), Cleaned::Dash);
        assert_eq!(clean_text("1,2"), Cleaned::Text("1,2".into()));
        assert_eq!(clean_text("约30"), Cleaned::Text("约30".into()));
        assert_eq!(clean_text("inf"), Cleaned::Text("inf".into()));
        assert_eq!(clean_text("-3"), num(-3.0));
    }

    #[test]
    fn labels_compare_loosely() {
        assert_eq!(normalise_label("其中：女"), normalise_label(" 其中:女 "));
        assert_eq!(normalise_label("（人）"), "(人)");
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(unit_scale("万人", "人"), Some(10000.0));
        assert_eq!(unit_scale("千元", "万元"), Some(0.1));
        assert_eq!(unit_scale("人", "人"), Some(1.0));
        assert_eq!(unit_scale("%", "‰"), Some(10.0));
        assert_eq!(unit_scale("个", "人"), None);
    }

    #[test]
    fn the_cjk_fast_path_has_no_case_to_lose() {
        for c in ('\u{3000}'..='\u{9FFF}').filter(|c| !c.is_whitespace()) {
            assert!(c.to_lowercase().eq(std::iter::once(c)), "{c:?} has a lower case");
        }
    }

    proptest! {
        #[test]
        fn thousands_roundtrip(n in 0u64..10_000_000_000u64) {
            let plain = n.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 { grouped.push(','); }
                grouped.push(c);
            }
            let full: String = grouped.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { '，' }).collect();
            prop_assert_eq!(clean_text(&grouped), num(n as f64));
            prop_assert_eq!(clean_text(&full), num(n as f64));
        }

        #[test]
        fn percent_text(v in 0u32..100_000u32) {
            let x = v as f64 / 10.0;
            prop_assert_eq!(clean_text(&format!("{x:.1}%")), Cleaned::Number { value: (x * 10.0).round() / 10.0, unit: Some("%") });
        }

        #[test]
        fn label_fast_paths_equal_the_plain_definition(s in "[ a-zA-Z0-9：:（）()其中女男合计ÉΣДａＢ０\u{3000}\u{200B}\u{2160}-\u{2188}\u{3400}-\u{9fff}\u{ff01}-\u{ff5e}]{0,24}", any in ".{0,12}") {
            // Half-width, no whitespace, every character through the full Unicode case table.
            let plain = |x: &str| -> String {
                x.chars().map(half_width).filter(|c| !c.is_whitespace() && *c != '\u{200B}').flat_map(|c| c.to_lowercase()).collect()
            };
            prop_assert_eq!(normalise_label(&s), plain(&s));
            prop_assert_eq!(normalise_label(&any), plain(&any));
        }

        #[test]
        fn never_panics(s in ".{0,20}") {
            let _ = clean_text(&s);
            let _ = normalise_label(&s);
        }
    }
}
