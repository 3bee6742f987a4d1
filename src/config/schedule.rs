//! `[schedule]` of a form: who reports, how often and by when.
//!
//! ```toml
//! [schedule]
//! every = "year"     # one return per reporting year (the only period so far)
//! due = "03-31"      # month-day of the year after the reporting year
//! from = 2020        # optional: the first year expected (default: the first year any return of the form reports)
//! areas = "town"     # optional: the level of areas.toml of which each area sends its own return
//! ```
//!
//! Checked when the form is loaded: a bad value is a TOML error with the file,
//! line and key (exit 2).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// How often a return is due.
    pub every: Every,
    /// By when (the year after the reporting year).
    pub due: MonthDay,
    /// The first reporting year expected.
    #[serde(default)]
    pub from: Option<i32>,
    /// The level (`areas.toml`'s `level`) of the areas that each send a return; default:
    /// each area for forms with one file per area, the county (the parent of the
    /// towns) for a return that lists the towns, the form's own area for a fixed one.
    #[serde(default)]
    pub areas: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Year,
}

/// A month and day ("03-31"), checked: the day exists in that month (29 February is refused: not every year has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// The month and day of `s`, or why not (in the process's language: the message
    /// goes into toml's error, said as the rest of the pipeline file's mistakes are).
    pub fn parse(s: &str) -> Result<MonthDay, String> {
        MonthDay::parse_in(s, crate::i18n::lang())
    }

    /// [`MonthDay::parse`] with the reason in `lang`.
    pub fn parse_in(s: &str, lang: crate::i18n::Lang) -> Result<MonthDay, String> {
        let said = |id: &'static str| crate::config::ConfigMsg::new(id).quoted("value", s).render(lang);
        let bad = || said("config-schedule-due-format");
        let (m, d) = s.trim().split_once('-').ok_or_else(bad)?;
        let (month, day): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if !(1..=12).contains(&month) || day == 0 || day > days[month as usize - 1] {
            return Err(said("config-schedule-due-day"));
        }
        Ok(MonthDay { month, day })
    }

    /// The due date of reporting year `year` (in the year after it), as YYYY-MM-DD.
    pub fn date_for(&self, year: i32) -> String {
        format!("{:04}-{:02}-{:02}", year + 1, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MonthDay, D::Error> {
        let s = String::deserialize(d)?;
        MonthDay::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The calendar date part (YYYY-MM-DD) of an RFC 3339 time or a date, checked.
pub fn date_of(s: &str) -> Option<String> {
    let d = s.get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10)).then(|| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        schedule: Schedule,
    }

    #[test]
    fn the_documented_example_parses() {
        let doc: Doc = toml::from_str("[schedule]\nevery = \"year\"\ndue = \"03-31\"\nfrom = 2020\nareas = \"town\"\n").unwrap();
        assert_eq!(doc.schedule.due, MonthDay { month: 3, day: 31 });
        assert_eq!(doc.schedule.due.date_for(2024), "2025-03-31");
        assert_eq!((doc.schedule.from, doc.schedule.areas.as_deref()), (Some(2020), Some("town")));
    }

    #[test]
    fn bad_schedules_name_the_key_and_line() {
        for (text, says) in [
            ("[schedule]\nevery = \"year\"\ndue = \"04-31\"\n", "not a day of the year"),
            ("[schedule]\nevery = \"year\"\ndue = \"March 31\"\n", "like \"03-31\""),
            ("[schedule]\nevery = \"month\"\ndue = \"03-31\"\n", "unknown variant"),
            ("[schedule]\nevery = \"year\"\ndue = \"03-31\"\nfrm = 2020\n", "unknown field"),
            ("[schedule]\nevery = \"year\"\n", "missing field `due`"),
        ] {
            let e = toml::from_str::<Doc>(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.contains("line"), "{e}");
        }
    }

    #[test]
    fn bad_due_dates_in_chinese() {
        let zh = crate::i18n::Lang::Zh;
        assert_eq!(MonthDay::parse_in("04-31", zh).unwrap_err(), "due \"04-31\" 不是一年中的日期（月份为 01-12，日期须是该月有的一天；不能用 02-29）");
        assert_eq!(MonthDay::parse_in("March 31", zh).unwrap_err(), "due 应为“月-日”，如 \"03-31\"，而不是 \"March 31\"");
        assert_eq!(MonthDay::parse_in("02-28", zh), Ok(MonthDay { month: 2, day: 28 }));
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(date_of("2025-04-02T00:00:00Z").as_deref(), Some("2025-04-02"));
        assert_eq!(date_of("2025-4-2"), None);
    }
}
