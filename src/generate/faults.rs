//! `wcmon generate --faults`: the sample with known faults planted in the
//! 2024 returns, and the list of findings each fault must produce.
//!
//! The faults are planted in the generator's own sheet descriptions (not by
//! editing workbooks), at cells whose address the generator computes from the
//! layout it wrote. Each fault lists every finding it causes, including the
//! knock-on ones (a wrong town value also breaks the return's 合计 row). The
//! list is written to `_truth/expected_findings.csv`; the tests compare it
//! with what wcmon reports.

use std::fmt::Write as _;
use std::path::Path;

use super::book::{self, SheetSpec, Val};
use super::model;
use super::returns::{county_indicators, education, education_groups, mch_annual, mch_groups, organisation, population_crosstab, Ctx, Groups};
use super::GenerateError;
use crate::ingest::a1;

/// One finding a planted fault must produce.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub rule: String,
    /// For findings on computed indicator values (no cell): the indicator code.
    pub indicator: String,
    pub fault: String,
}

/// First data row of a rows-as-towns sheet (0-based): title, unit line, blank, two header rows.
const FIRST_TOWN_ROW: u32 = 5;

/// The column of (data element, sex) in a rows-as-towns sheet.
fn col_of(groups: &Groups, de: &str, sex: &str) -> u16 {
    let mut col = 1u16;
    for (_, subs) in groups {
        for (_, spec) in subs {
            if spec.0 == de && spec.1 == sex && spec.3 == "_T" {
                return col;
            }
            col += 1;
        }
    }
    panic!("generator layout has no column for {de} {sex}");
}

fn get(s: &SheetSpec, r: u32, c: u16) -> Option<&Val> {
    s.cells.iter().rev().find(|x| x.0 == r && x.1 == c).map(|x| &x.2)
}

fn set(s: &mut SheetSpec, r: u32, c: u16, v: Val) {
    s.cells.retain(|x| !(x.0 == r && x.1 == c));
    s.cells.push((r, c, v));
}

fn clear(s: &mut SheetSpec, r: u32, c: u16) {
    s.cells.retain(|x| !(x.0 == r && x.1 == c));
}

/// Shift every cell and merge at or below row `at` down by one.
fn insert_row(s: &mut SheetSpec, at: u32) {
    for x in &mut s.cells {
        if x.0 >= at {
            x.0 += 1;
        }
    }
    for m in &mut s.merges {
        if m.0 >= at {
            m.0 += 1;
            m.2 += 1;
        }
    }
}

/// The value cells written in row `r` (columns >= 1), in column order.
fn row_cells(s: &SheetSpec, r: u32) -> Vec<(u16, Val)> {
    let mut v: Vec<(u16, Val)> = s.cells.iter().filter(|x| x.0 == r && x.1 >= 1).map(|x| (x.1, x.2.clone())).collect();
    v.sort_by_key(|x| x.0);
    v
}

/// Write the faulty sample to `out`; returns the expected findings.
pub fn write_faulty_sample(out: &Path, seed: u64, assets: &super::Assets) -> Result<Vec<Expected>, GenerateError> {
    super::write_sample(out, seed, assets)?;
    let (truth, towns, county) = super::simulate_for_sample(seed, assets)?;
    let c = Ctx { truth: &truth, towns: &towns, county: &county };
    let y = 2024;
    let mut exp: Vec<Expected> = Vec::new();
    fn add_to(exp: &mut Vec<Expected>, file: &str, sheet: &str, r: u32, col: u16, rule: &str, fault: &str) {
        exp.push(Expected {
            file: file.into(),
            sheet: sheet.into(),
            cell: a1(r as usize, col as usize),
            rule: rule.into(),
            indicator: String::new(),
            fault: fault.into(),
        });
    }
    // A town's numerator of a rate left without its denominator: named at the numerator's cell,
    // once per indicator (rule rate_denominator_missing, for every ratio indicator).
    fn lost_to(exp: &mut Vec<Expected>, file: &str, sheet: &str, r: u32, col: u16, indicator: &str, fault: &str) {
        exp.push(Expected {
            file: file.into(),
            sheet: sheet.into(),
            cell: a1(r as usize, col as usize),
            rule: "rate_denominator_missing".into(),
            indicator: indicator.into(),
            fault: fault.into(),
        });
    }
    macro_rules! add {
        ($($a:expr),*) => { add_to(&mut exp, $($a),*) };
    }
    let n = towns.len() as u32;
    let total_row = FIRST_TOWN_ROW + n;

    // --- 卫健局 妇幼卫生年报 2024 -----------------------------------------
    let file = "卫健局/2024年妇幼卫生年报.xlsx";
    let mut sheets = mch_annual(&c, y);
    let sh = sheets[0].name.clone();
    let g = mch_groups();
    let s = &mut sheets[0];
    let bal = "mch_towns_sum_to_total";
    // a) text where a number belongs.
    let (ti, col) = (3u32, col_of(&g, "maternal_deaths", "_T"));
    set(s, FIRST_TOWN_ROW + ti, col, Val::Text("不详".into()));
    add!(file, &sh, FIRST_TOWN_ROW + ti, col, "unparseable_value", "a: 不详 in a number cell");
    // b) more neonatal than infant deaths (the 合计 row keeps the old sum).
    let ti = 5u32;
    let code = &towns[ti as usize].0;
    let infant = truth.v("infant_deaths", code, y, "_T", "_T");
    let (nc, ic) = (col_of(&g, "neonatal_deaths", "_T"), col_of(&g, "infant_deaths", "_T"));
    set(s, FIRST_TOWN_ROW + ti, nc, Val::Num(infant + 2.0));
    add!(file, &sh, FIRST_TOWN_ROW + ti, ic, "infant_ge_neonatal_deaths", "b: neonatal deaths above infant deaths");
    add!(file, &sh, FIRST_TOWN_ROW + ti, nc, "infant_ge_neonatal_deaths", "b: the neonatal deaths are withheld too");
    add!(file, &sh, total_row, nc, bal, "b: the 合计 row no longer adds up");
    add!(file, &sh, FIRST_TOWN_ROW + ti, nc, "mch_residence_sums_to_total", "b: 城镇 + 乡村 no longer the neonatal deaths");
    // c) live births typed ten times too large.
    let ti = 8u32;
    let code = &towns[ti as usize].0;
    let lc = col_of(&g, "live_births", "_T");
    set(s, FIRST_TOWN_ROW + ti, lc, Val::Num(truth.v("live_births", code, y, "_T", "_T") * 10.0));
    add!(file, &sh, FIRST_TOWN_ROW + ti, lc, "yoy_outlier", "c: live births x10");
    add!(file, &sh, total_row, lc, bal, "c: the 合计 row no longer adds up");
    add!(file, &sh, FIRST_TOWN_ROW + ti, lc, "mch_residence_sums_to_total", "c: 城镇 + 乡村 no longer the live births");
    // d) a wrong 合计 cell.
    let dc = col_of(&g, "deliveries", "_T");
    let sum: f64 = towns.iter().map(|(code, _)| truth.v("deliveries", code, y, "_T", "_T")).sum();
    // e) deliveries left blank in one town: its numerators lose their denominator.
    let ti = 10u32;
    clear(s, FIRST_TOWN_ROW + ti, dc);
    for (de, ind) in [
        ("prenatal_screened", "w02"),
        ("maternal_hiv_tested", "w08"),
        ("maternal_syphilis_tested", "w09"),
        ("maternal_hbv_tested", "w10"),
        ("maternal_psych_counselled", "w14"),
        ("maternal_systematic_managed", "w20"),
    ] {
        add!(file, &sh, FIRST_TOWN_ROW + ti, col_of(&g, de, "_T"), &format!("{ind}_numerator_needs_denominator"), "e: deliveries blank");
        lost_to(&mut exp, file, &sh, FIRST_TOWN_ROW + ti, col_of(&g, de, "_T"), &ind.to_uppercase(), "e: its events in no county rate");
    }
    // d) the 合计 of deliveries is 100 too high — and with e) it misses the blank town too: one finding.
    set(s, total_row, dc, Val::Num(sum + 100.0));
    add!(file, &sh, total_row, dc, bal, "d+e: deliveries 合计 wrong and a town blank");
    // f) a town's row typed twice, just above 合计: the same values are duplicates (the copy is
    //    dropped); one value differs, a conflict (both copies withheld), and the 合计 of that
    //    column no longer adds up (the return's two copies are both in its sum).
    let copy = row_cells(s, FIRST_TOWN_ROW);
    let label = get(s, FIRST_TOWN_ROW, 0).cloned().ok_or(GenerateError::template("no town label"))?;
    let ac = col_of(&g, "induced_abortions", "_T");
    insert_row(s, total_row);
    set(s, total_row, 0, label);
    for (col, v) in &copy {
        if *col == ac {
            let v0 = truth.v("induced_abortions", &towns[0].0, y, "_T", "_T");
            set(s, total_row, *col, Val::Num(v0 + 1.0));
            add!(file, &sh, total_row, *col, "conflict", "f: the copy differs");
            add!(file, &sh, FIRST_TOWN_ROW, *col, "conflict", "f: the copy differs");
            add!(file, &sh, total_row + 1, *col, bal, "f: both copies in the sum");
        } else {
            set(s, total_row, *col, v.clone());
            add!(file, &sh, total_row, *col, "duplicate", "f: a town's row twice");
        }
    }
    // The 合计 row moved down one row: shift the expected balance findings made before.
    for e in exp.iter_mut().filter(|e| e.file == file && e.rule == bal && e.fault != "f: both copies in the sum") {
        let col: String = e.cell.chars().take_while(|c| c.is_ascii_uppercase()).collect();
        e.cell = format!("{col}{}", total_row + 2);
    }
    book::write_xlsx(&sheets, &out.join(file))?;

    // --- 教育局 教育事业统计 2024 ------------------------------------------
    let file = "教育局/教育事业统计2024.xlsx";
    let mut sheets = education(&c, y);
    let sh = sheets[0].name.clone();
    let g = education_groups();
    let s = &mut sheets[0];
    // g) a town that is not in areas.toml.
    let ti = 2u32;
    set(s, FIRST_TOWN_ROW + ti, 0, Val::Text("火星镇".into()));
    for (col, _) in row_cells(s, FIRST_TOWN_ROW + ti) {
        add!(file, &sh, FIRST_TOWN_ROW + ti, col, "unknown_area", "g: unknown town 火星镇");
    }
    // h) a negative count; the schools with internet then lack their denominator.
    let ti = 6u32;
    let sc = col_of(&g, "schools", "_T");
    set(s, FIRST_TOWN_ROW + ti, sc, Val::Num(-5.0));
    add!(file, &sh, FIRST_TOWN_ROW + ti, sc, "negative_count", "h: -5 schools");
    // (No balance finding for the schools 合计: the 火星镇 row could not be read, so no
    // column of this sheet can be summed.)
    add!(file, &sh, FIRST_TOWN_ROW + ti, col_of(&g, "schools_with_internet", "_T"), "c36_numerator_needs_denominator", "h: schools withheld");
    // Both rates over the schools lose the town's numerator: C36 (internet) and C43 (parent schools, over schools + kindergartens).
    lost_to(&mut exp, file, &sh, FIRST_TOWN_ROW + ti, col_of(&g, "schools_with_internet", "_T"), "C36", "h: its schools in no county rate");
    lost_to(&mut exp, file, &sh, FIRST_TOWN_ROW + ti, col_of(&g, "schools_kindergartens_with_parent_school", "_T"), "C43", "h: its schools in no county rate");
    book::write_xlsx(&sheets, &out.join(file))?;

    // --- 统计局 分乡镇人口年龄构成 2024 ------------------------------------
    let file = "统计局/2024年分乡镇人口年龄构成.xlsx";
    let mut sheets = population_crosstab(&c, y);
    // i) 女 7 too high in one town's first age group: 男 + 女 != 合计.
    let s = &mut sheets[4];
    let f = truth.v("population", &towns[4].0, y, "F", model::AGE_GROUPS[0].1);
    set(s, 3, 3, Val::Num(f + 7.0));
    for col in 1..=3 {
        // 合计 (the finding), 男 and 女 (withheld with it).
        add!(file, &s.name.clone(), 3, col, "population_sexes_sum_to_total", "i: 女 + 7");
    }
    book::write_xlsx(&sheets, &out.join(file))?;
    // The town's population totals are the sum of its age groups, one of which is withheld: the rates
    // over its whole population lose their denominator there — the women's medical insurance rate W67
    // (and its men's rows), over population[sex=F] (医保局, 男 and 女 columns), and the childcare places
    // per 1,000 population C38 (卫健局's long list, the town's row of 托位数).
    let ti = 4usize;
    let ins = super::returns::insurance_xls(&c, y);
    let row = FIRST_TOWN_ROW + ti as u32;
    let col_with = |s: &SheetSpec, header: &str| s.cells.iter().find(|x| x.0 == 4 && matches!(&x.2, Val::Text(t) if t == header) && x.1 <= 2).map(|x| x.1);
    let (ins_file, ins_sheet) = ("医保局/2024年社会保险参保情况.xls", ins[0].name.clone());
    for header in ["男", "女"] {
        let col = col_with(&ins[0], header).ok_or(GenerateError::template("no 男/女 column in the insurance return"))?;
        lost_to(&mut exp, ins_file, &ins_sheet, row, col, "W67", "i: the town's women and men in no county W67");
    }
    let long = super::returns::child_women_health_long(&c, y);
    let town = super::returns::town_label(&towns[ti].1, y + 1, ti);
    let at = |r: u32, c: u16| get(&long[0], r, c);
    let long_row = long[0]
        .cells
        .iter()
        .filter(|x| x.1 == 2 && matches!(&x.2, Val::Text(t) if t == "3岁以下婴幼儿托位数"))
        .map(|x| x.0)
        .find(|&r| matches!(at(r, 1), Some(Val::Text(t)) if *t == town))
        .ok_or(GenerateError::template("no childcare places row for the town"))?;
    lost_to(&mut exp, "卫健局/2024年儿童和妇女保健服务情况.xlsx", &long[0].name.clone(), long_row, 5, "C38", "i: the town's places in no county C38");

    // --- 生态环境局 全县主要指标 2024, and a correction of it -------------------
    // k) the body sends the return again, corrected (one value changed), as a new file: the newer
    //    file supersedes the older (status superseded, its values not used). j) The correction
    //    itself has a rate above 100%.
    let file = "生态环境局/全县主要指标_5.xlsx";
    let clean = county_indicators(&c, y);
    let sh = clean[0].name.clone();
    let row_of = |s: &SheetSpec, label: &str| s.cells.iter().find(|x| x.1 == 0 && matches!(&x.2, Val::Text(t) if t == label)).map(|x| x.0);
    // The original as written by the sample, made an hour older than the correction.
    let original = out.join(file);
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&original).and_then(|f| f.set_modified(an_hour_ago)).map_err(GenerateError::io(&original))?;
    let file2 = "生态环境局/全县主要指标_5_更正.xlsx";
    let mut again = clean;
    let rc = row_of(&again[0], "空气质量优良天数").ok_or(GenerateError::template("no air quality row"))?;
    let good = truth.v("air_quality_good_days", &county, y, "_T", "_T");
    set(&mut again[0], rc, 2, Val::Num(good + 10.0));
    let r = row_of(&again[0], "女性青壮年文盲率").ok_or(GenerateError::template("no illiteracy row"))?;
    set(&mut again[0], r, 2, Val::Text("120.0%".into()));
    add!(file2, &sh, r, 2, "rate_out_of_range", "j: 120% in the correction");
    book::write_xlsx(&again, &out.join(file2))?;

    // (No knock-on findings on the computed county rates: a town missing one of a
    // ratio's two counts (e, h, i) is left out of both sides of the county sum.
    // tests/it/validation.rs checks one such county rate against the truth.)

    // l) 组织部 sends its 2023 return again under the 2024 file name (the year is read from the name).
    let file = "组织部/2024年基层党组织和妇女儿童工作.xlsx";
    book::write_xlsx(&organisation(&c, y - 1), &out.join(file))?;
    exp.push(Expected {
        file: file.into(),
        sheet: String::new(),
        cell: String::new(),
        rule: "repeated_last_year".into(),
        indicator: String::new(),
        fault: "l: last year's return sent again".into(),
    });

    exp.sort();
    exp.dedup();
    let mut csv = String::from("file,sheet,cell,rule,indicator,fault\n");
    for e in &exp {
        let _ = writeln!(csv, "{},{},{},{},{},{}", e.file, e.sheet, e.cell, e.rule, e.indicator, e.fault);
    }
    let findings = out.join("_truth").join("expected_findings.csv");
    std::fs::write(&findings, csv).map_err(GenerateError::io(&findings))?;
    Ok(exp)
}
