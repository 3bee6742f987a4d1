//! The form format for real layouts (issue 28) and inspect's drafts (issue 23):
//! workbooks written here with rust_xlsxwriter, each with its truth kept beside
//! it in the test (what the generator wrote), run through the real binary with
//! pipeline files holding only the catalogue, the areas and the form under test.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

const TOWNS: [(&str, &str); 5] = [("421321100", "厉山镇"), ("421321101", "高城镇"), ("421321102", "殷店镇"), ("421321103", "草店镇"), ("421321104", "小林镇")];

/// A pipelines folder with the bundled catalogue and areas and the given forms (and rules.toml).
fn pipelines(tmp: &Path, forms: &[(&str, &str)], rules: Option<&str>) -> PathBuf {
    let p = tmp.join("pipelines");
    std::fs::create_dir_all(p.join("forms/test")).unwrap();
    for f in ["indicators.toml", "areas.toml"] {
        std::fs::copy(root().join("pipelines").join(f), p.join(f)).unwrap();
    }
    if let Some(r) = rules {
        std::fs::write(p.join("rules.toml"), r).unwrap();
    }
    for (name, text) in forms {
        std::fs::write(p.join("forms/test").join(name), text).unwrap();
    }
    p
}

fn run_with(pipes: &Path, inbox: &Path, tmp: &Path) -> (Run, PathBuf) {
    let db = tmp.join("db");
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "rebuild", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    (r, db)
}

/// Reported (not derived) values: (data_element, area, year, sex, age) -> (value, obs_status, note, cell).
type Landed = BTreeMap<(String, String, i32, String, String), (Option<f64>, String, Option<String>, String)>;

fn landed(db: &Path) -> Landed {
    let dv = read_partitioned(&db.join("data_values"));
    let derived = dv.column("derived").unwrap().bool().unwrap().clone();
    let (de, area, sex, age, status, note, cell) = (
        strs(&dv, "data_element"),
        strs(&dv, "area"),
        strs(&dv, "sex"),
        strs(&dv, "age"),
        strs(&dv, "obs_status"),
        strs(&dv, "note"),
        strs(&dv, "source_cell"),
    );
    let (year, value) = (i32s(&dv, "year"), f64s(&dv, "value"));
    let mut out = Landed::new();
    for i in 0..dv.height() {
        if derived.get(i) == Some(false) {
            let k = (de[i].clone().unwrap(), area[i].clone().unwrap(), year[i].unwrap(), sex[i].clone().unwrap(), age[i].clone().unwrap());
            let prev = out.insert(k.clone(), (value[i], status[i].clone().unwrap(), note[i].clone(), cell[i].clone().unwrap_or_default()));
            assert!(prev.is_none(), "{k:?} twice");
        }
    }
    out
}

/// issues.parquet as (severity, rule, cell) rows.
fn issues(db: &Path) -> Vec<(String, String, String, String)> {
    let df = read(&db.join("issues.parquet"));
    let (sev, rule, cell, msg) = (strs(&df, "severity"), strs(&df, "rule"), strs(&df, "source_cell"), strs(&df, "message"));
    (0..df.height())
        .map(|i| (sev[i].clone().unwrap(), rule[i].clone().unwrap(), cell[i].clone().unwrap_or_default(), msg[i].clone().unwrap_or_default()))
        .collect()
}

fn submissions(db: &Path) -> (u64, u64, u64) {
    let df = read(&db.join("submissions.parquet"));
    let col = |n: &str| df.column(n).unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().iter().map(|x| x.unwrap()).sum::<u64>();
    (col("cells_read"), col("values_landed"), col("values_rejected"))
}

fn save(wb: &mut Workbook, dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    wb.save(&p).unwrap();
    p
}

fn key(de: &str, area: &str, year: i32, sex: &str) -> (String, String, i32, String, String) {
    (de.into(), area.into(), year, sex.into(), "_T".into())
}

fn title(ws: &mut Worksheet, text: &str, last_col: u16) {
    ws.merge_range(0, 0, 0, last_col, text, &Format::new()).unwrap();
}

/// Issue 28.1 and 28.2: value + flag pairs (a flag column under its value's merged
/// header, `flag = "next"`; a flag column mapped by letter with `flag_of`), marks in
/// value cells, a column mapped and a column ignored by letter.
#[test]
fn value_and_flag_columns_land_every_value_with_its_status_and_note() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "2023年 妇幼 (with flags)", 5);
    // Header row 2: 乡镇 | 活产数 (merged over B:C, C is its flag) | 产妇数 | (no header) | (no header: notes)
    ws.write_string(1, 0, "乡镇").unwrap();
    ws.merge_range(1, 1, 1, 2, "活产数", &Format::new()).unwrap();
    ws.write_string(1, 3, "产妇数").unwrap();
    // The truth: (town, births cell, births flag, mothers cell, mothers flag, remark)
    let rows: [(&str, &str, &str, &str, &str, &str); 5] = [
        ("厉山镇", "120", "p", "118", "", "ok"),
        ("高城镇", "85（估计）", "", "80", "x", ""),
        ("殷店镇", "12*", "x,p", "13", "p", "核实中"),
        ("草店镇", "64", "", "60*", "x", ""),
        ("小林镇", "—", "x", "33", "", "备注文字"),
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string(row, 0, r.0).unwrap();
        for (col, text) in [(1u16, r.1), (2, r.2), (3, r.3), (4, r.4), (5, r.5)] {
            if text.is_empty() {
                continue;
            }
            match text.parse::<f64>() {
                Ok(x) => ws.write_number(row, col, x).unwrap(),
                Err(_) => ws.write_string(row, col, text).unwrap(),
            };
        }
    }
    let inbox = tmp.path().join("inbox");
    save(&mut wb, &inbox, "2023年flags.xlsx");
    let form = r#"
[form]
id = "flags"
body = "卫健局"
name = "flags"
[match]
file_name = "flags"
[year]
from = "file_name"
[area]
from = "rows"
[table]
header_labels = ["乡镇", "活产数"]
label_column = "乡镇"
ignore_columns = [{ column = "F" }]
[table.flags]
p = { obs_status = "P", note = "provisional" }
x = { note = "data differ from the standard definition" }
"（估计）" = "E"
"*" = { obs_status = "E", note = "estimated" }
[[columns]]
header = "活产数"
data_element = "live_births"
flag = "next"
[[columns]]
column = "D"
data_element = "deliveries"
[[columns]]
column = "E"
flag_of = "D"
"#;
    let pipes = pipelines(tmp.path(), &[("flags.toml", form)], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0, "no error: {}", r.stdout);
    // Expected from the truth above and the meanings written in the form (not from wcmon).
    let meaning = |m: &str| -> (Option<&str>, Option<&str>) {
        match m {
            "p" => (Some("P"), Some("provisional")),
            "x" => (None, Some("data differ from the standard definition")),
            "（估计）" => (Some("E"), None),
            "*" => (Some("E"), Some("estimated")),
            _ => panic!("{m}"),
        }
    };
    let expect = |cell: &str, flag: &str| -> (Option<f64>, String, Option<String>) {
        let mut marks: Vec<&str> = Vec::new();
        let mut body = cell;
        for m in ["（估计）", "*"] {
            if let Some(b) = body.strip_suffix(m) {
                body = b;
                marks.push(m);
            }
        }
        marks.extend(flag.split(',').filter(|f| !f.is_empty()));
        let value: Option<f64> = if body == "—" { None } else { Some(body.parse().unwrap()) };
        let mut status = if value.is_some() { "A".to_string() } else { "M".to_string() };
        let mut notes: Vec<&str> = Vec::new();
        let mut set = false;
        for m in &marks {
            let (s, n) = meaning(m);
            if let (Some(s), false, true) = (s, set, value.is_some()) {
                status = s.to_string();
                set = true;
            }
            if let Some(n) = n {
                notes.push(n);
            }
        }
        (value, status, (!notes.is_empty()).then(|| notes.join("; ")))
    };
    let got = landed(&db);
    let town_code: BTreeMap<&str, &str> = TOWNS.iter().map(|(c, n)| (*n, *c)).collect();
    for r in &rows {
        let area = town_code[r.0];
        for (de, cell, flag) in [("live_births", r.1, r.2), ("deliveries", r.3, r.4)] {
            let (v, s, n, _) = got.get(&key(de, area, 2023, "_T")).unwrap_or_else(|| panic!("{de} {area} missing: {got:?}"));
            assert_eq!((*v, s.clone(), n.clone()), expect(cell, flag), "{de} of {} ({cell:?} flag {flag:?})", r.0);
        }
    }
    assert_eq!(got.len(), 10, "{got:?}");
    let iss = issues(&db);
    assert!(iss.iter().all(|i| i.0 != "error"), "{iss:?}");
    // Nothing lost, nothing counted twice: 10 value cells read (flags and remarks annotate).
    assert_eq!(submissions(&db), (10, 10, 0));
}

/// Issue 28.3: a multilingual header block mapped by one language; the rows of the
/// other languages are not header and not data, and say nothing about totals.
#[test]
fn a_multilingual_header_block_maps_by_one_language() {
    let tmp = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "Table 9 / 表9", 2);
    let block = [
        ["乡镇", "活产数", "产妇数"],
        ["Town", "Live births", "Mothers"],
        ["Commune", "Naissances vivantes", "Mères"],
        ["Municipio", "Nacidos vivos", "Madres"],
    ];
    for (i, r) in block.iter().enumerate() {
        for (c, l) in r.iter().enumerate() {
            ws.write_string(1 + i as u32, c as u16, *l).unwrap();
        }
    }
    let mut truth = BTreeMap::new();
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 5 + i as u32;
        ws.write_string(row, 0, *name).unwrap();
        let (b, m) = (100.0 + 7.0 * i as f64, 90.0 + 5.0 * i as f64);
        ws.write_number(row, 1, b).unwrap();
        ws.write_number(row, 2, m).unwrap();
        truth.insert(key("live_births", code, 2022, "_T"), b);
        truth.insert(key("deliveries", code, 2022, "_T"), m);
    }
    let inbox = tmp.path().join("inbox");
    save(&mut wb, &inbox, "2022年multilingual.xlsx");
    let form = |skip: &str| {
        format!(
            r#"
[form]
id = "ml"
body = "x"
name = "ml"
[match]
file_name = "multilingual"
[area]
from = "rows"
[table]
header_labels = ["乡镇", "活产数"]
header_rows = 4
{skip}
label_column = "乡镇"
[[columns]]
header = "活产数"
data_element = "live_births"
[[columns]]
header = "产妇数"
data_element = "deliveries"
"#
        )
    };
    let pipes = pipelines(tmp.path(), &[("ml.toml", &form("header_skip = [2, 3, 4]"))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0);
    let got: BTreeMap<_, f64> = landed(&db).into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth);
    let iss = issues(&db);
    assert!(iss.is_empty(), "no notice, no total: {iss:?}");
    // inspect reads the header as the form does: the paths without the other languages.
    let file = inbox.join("2022年multilingual.xlsx");
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "inspect", file.to_str().unwrap()]);
    assert!(r.stdout.contains("as form ml finds it"), "{}", r.stdout);
    assert_eq!(printed_paths(&r.stdout).get("B").map(String::as_str), Some("\"活产数\""), "{}", r.stdout);
    // Without header_skip the English, French and Spanish labels are part of every path.
    let pipes = pipelines(tmp.path(), &[("ml.toml", &form(""))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 1);
    assert!(issues(&db).iter().any(|i| i.1 == "unmapped_cell" && i.3.contains("活产数/livebirths/")), "{:?}", issues(&db));
    // A header block taller than the old cap of 6 is accepted, up to the documented 30.
    let tall = form("header_skip = [2, 3, 4]").replace("header_rows = 4", "header_rows = 31");
    let pipes = pipelines(tmp.path(), &[("ml.toml", &tall)], None);
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "rebuild", "--inbox", inbox.to_str().unwrap(), "--db", tmp.path().join("db2").to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("header_rows must be between 1 and 30"), "{}", r.stderr);
}

/// Issue 28.4: a grid with a year per row (a column of years) and one with a year per column (a header row of years).
#[test]
fn grids_with_a_year_per_row_or_per_column_land_each_value_in_its_year() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut truth = BTreeMap::new();
    // Per row: 乡镇 | 年份 | 活产数
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, l) in ["乡镇", "年份", "活产数"].iter().enumerate() {
        ws.write_string(0, c as u16, *l).unwrap();
    }
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 1 + i as u32;
        let year = 2014 + i as i32;
        ws.write_string(row, 0, *name).unwrap();
        if i % 2 == 0 {
            ws.write_number(row, 1, year as f64).unwrap();
        } else {
            ws.write_string(row, 1, format!("{year}年")).unwrap();
        }
        let v = 50.0 + i as f64;
        ws.write_number(row, 2, v).unwrap();
        truth.insert(key("live_births", code, year, "_T"), v);
    }
    save(&mut wb, &inbox, "per_row.xlsx");
    // Per column: years over 活产数 | 产妇数 (merged), towns as rows.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.merge_range(0, 0, 1, 0, "乡镇", &Format::new()).unwrap();
    for (j, year) in [2021, 2022].iter().enumerate() {
        let c = 1 + 2 * j as u16;
        ws.merge_range(0, c, 0, c + 1, &format!("{year}年"), &Format::new()).unwrap();
        ws.write_string(1, c, "活产数").unwrap();
        ws.write_string(1, c + 1, "产妇数").unwrap();
    }
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string(row, 0, *name).unwrap();
        for (j, year) in [2021, 2022].iter().enumerate() {
            let (b, m) = (200.0 + 10.0 * i as f64 + j as f64, 190.0 + 10.0 * i as f64 + j as f64);
            ws.write_number(row, 1 + 2 * j as u16, b).unwrap();
            ws.write_number(row, 2 + 2 * j as u16, m).unwrap();
            truth.insert(key("live_births", code, *year, "_T"), b);
            truth.insert(key("deliveries", code, *year, "_T"), m);
        }
    }
    save(&mut wb, &inbox, "per_column.xlsx");
    let per_row = r#"
[form]
id = "per_row"
body = "x"
name = "per_row"
[match]
file_name = "per_row"
[year]
from = "column"
column = "年份"
[area]
from = "rows"
[table]
header_labels = ["乡镇", "年份"]
label_column = "乡镇"
[[columns]]
header = "活产数"
data_element = "live_births"
"#;
    let per_column = r#"
[form]
id = "per_column"
body = "x"
name = "per_column"
[match]
file_name = "per_column"
[year]
from = "row"
row = 1
[area]
from = "rows"
[table]
header_labels = ["乡镇"]
header_rows = 2
label_column = "乡镇"
[[columns]]
header = "活产数"
data_element = "live_births"
[[columns]]
header = "产妇数"
data_element = "deliveries"
"#;
    let pipes = pipelines(tmp.path(), &[("per_row.toml", per_row), ("per_column.toml", per_column)], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0, "{:?}", issues(&db));
    let got: BTreeMap<_, f64> = landed(&db).into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth);
    assert!(issues(&db).is_empty(), "{:?}", issues(&db));
}

/// Issue 28.5: ingest findings' severities set per form and in rules.toml; the exit code follows.
#[test]
fn a_set_severity_changes_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "乡镇").unwrap();
    ws.write_string(0, 1, "活产数").unwrap();
    ws.write_string(1, 0, "厉山镇").unwrap();
    ws.write_number(1, 1, 10.0).unwrap();
    ws.write_string(2, 0, "高城镇").unwrap();
    ws.write_string(2, 1, "约30").unwrap();
    save(&mut wb, &inbox, "2023年sev.xlsx");
    let form = |extra: &str| {
        format!(
            "[form]\nid = \"sev\"\nbody = \"x\"\nname = \"sev\"\n[match]\nfile_name = \"sev\"\n[area]\nfrom = \"rows\"\n[table]\nheader_labels = [\"乡镇\"]\nlabel_column = \"乡镇\"\n[[columns]]\nheader = \"活产数\"\ndata_element = \"live_births\"\n{extra}"
        )
    };
    let sev_of = |db: &Path| issues(db).into_iter().find(|i| i.1 == "unparseable_value").map(|i| (i.0, i.2));
    // Default: an error, exit 1.
    let pipes = pipelines(tmp.path(), &[("sev.toml", &form(""))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!((r.code, sev_of(&db)), (1, Some(("error".to_string(), "B3".to_string()))));
    // The form says warning: exit 0, the value still not landed.
    let pipes = pipelines(tmp.path(), &[("sev.toml", &form("[severity]\nunparseable_value = \"warning\"\n"))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!((r.code, sev_of(&db)), (0, Some(("warning".to_string(), "B3".to_string()))));
    assert_eq!(submissions(&db), (2, 1, 1));
    // rules.toml says info for every form.
    let pipes = pipelines(tmp.path(), &[("sev.toml", &form(""))], Some("[severity]\nunparseable_value = \"info\"\n"));
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!((r.code, sev_of(&db)), (0, Some(("info".to_string(), "B3".to_string()))));
    // The form's own setting wins over rules.toml's.
    let pipes =
        pipelines(tmp.path(), &[("sev.toml", &form("[severity]\nunparseable_value = \"error\"\n"))], Some("[severity]\nunparseable_value = \"info\"\n"));
    let (r, _) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 1);
    // A name that is no finding is refused before any workbook is read.
    let pipes = pipelines(tmp.path(), &[("sev.toml", &form("[severity]\nunparsable_value = \"info\"\n"))], None);
    let (r, _) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unparsable_value") && r.stderr.contains("unparseable_value"), "{}", r.stderr);
}

/// Issue 23.5: a long list whose sex column says "—" for rows without a sex, and an
/// item whose own sex wins over the column's.
#[test]
fn a_long_list_with_a_dash_in_its_sex_column_lands() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, l) in ["乡镇", "指标名称", "性别", "数值"].iter().enumerate() {
        ws.write_string(0, c as u16, *l).unwrap();
    }
    // (town, item, sex cell, value, expected data element, expected sex)
    let rows = [
        ("厉山镇", "活产数", "合计", 100.0, "live_births", "_T"),
        ("厉山镇", "活产数", "女", 48.0, "live_births", "F"),
        ("厉山镇", "孕产妇死亡数", "—", 1.0, "maternal_deaths", "F"),
        ("高城镇", "孕产妇死亡数", "合计", 0.0, "maternal_deaths", "F"),
        ("高城镇", "产妇数", "—", 77.0, "deliveries", "_T"),
    ];
    let mut truth = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let row = 1 + i as u32;
        ws.write_string(row, 0, r.0).unwrap();
        ws.write_string(row, 1, r.1).unwrap();
        ws.write_string(row, 2, r.2).unwrap();
        ws.write_number(row, 3, r.3).unwrap();
        let area = TOWNS.iter().find(|t| t.1 == r.0).unwrap().0;
        truth.insert(key(r.4, area, 2023, r.5), r.3);
    }
    save(&mut wb, &inbox, "2023年long.xlsx");
    let form = |values: &str| {
        format!(
            r#"
[form]
id = "long"
body = "x"
name = "long"
[match]
file_name = "long"
[area]
from = "column"
[table]
layout = "long"
header_labels = ["乡镇", "指标名称", "数值"]
[long]
item_column = "指标名称"
value_column = "数值"
area_column = "乡镇"
sex_column = "性别"
{values}
[[items]]
label = "活产数"
data_element = "live_births"
[[items]]
label = "孕产妇死亡数"
data_element = "maternal_deaths"
sex = "F"
[[items]]
label = "产妇数"
data_element = "deliveries"
"#
        )
    };
    let pipes = pipelines(tmp.path(), &[("long.toml", &form(r#"sex_values = { "—" = "_T" }"#))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0);
    let got: BTreeMap<_, f64> = landed(&db).into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth);
    // Without the map, the "—" of 产妇数 is an unknown label (the item's own sex still wins for 孕产妇死亡数).
    let pipes = pipelines(tmp.path(), &[("long.toml", &form(""))], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 1);
    let bad: Vec<_> = issues(&db).into_iter().filter(|i| i.0 == "error").map(|i| (i.1, i.2)).collect();
    assert_eq!(bad, vec![("unknown_label".to_string(), "D6".to_string())]);
}

/// `header = "…"` lines of inspect's output, by column letter.
fn printed_paths(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("column ")?;
            let (letter, h) = rest.split_once(" header = ")?;
            Some((letter.trim().to_string(), h.trim().to_string()))
        })
        .collect()
}

/// Issue 28.7: inspect's printed header paths are accepted verbatim by a form, with
/// the header rows given on the command line or found from the data.
#[test]
fn inspect_prints_paths_a_form_accepts_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "2023年 妇幼卫生 年报", 3);
    ws.write_string(1, 0, "单位：人").unwrap();
    ws.merge_range(2, 0, 3, 0, "乡 镇", &Format::new()).unwrap();
    ws.merge_range(2, 1, 2, 2, "活产数（人）", &Format::new()).unwrap();
    ws.merge_range(2, 3, 3, 3, "产妇 数", &Format::new()).unwrap();
    ws.write_string(3, 1, "合 计").unwrap();
    ws.write_string(3, 2, "其中：女").unwrap();
    let mut truth = BTreeMap::new();
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 4 + i as u32;
        ws.write_string(row, 0, *name).unwrap();
        let (t, f, d) = (300.0 + i as f64, 140.0 + i as f64, 298.0 + i as f64);
        for (c, v) in [(1u16, t), (2, f), (3, d)] {
            ws.write_number(row, c, v).unwrap();
        }
        truth.insert(key("live_births", code, 2023, "_T"), t);
        truth.insert(key("live_births", code, 2023, "F"), f);
        truth.insert(key("deliveries", code, 2023, "_T"), d);
    }
    let file = save(&mut wb, &inbox, "2023年verbatim.xlsx");
    let pipes = pipelines(tmp.path(), &[], None);
    for args in [vec![], vec!["--header-row", "3", "--header-rows", "2"]] {
        let mut a = vec!["--pipelines", pipes.to_str().unwrap(), "inspect", file.to_str().unwrap()];
        a.extend(args.iter());
        let r = wcmon(&a);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("likely header starts at row 3 (mark H): 2 header row(s)"), "{}", r.stdout);
        let paths = printed_paths(&r.stdout);
        let letters: Vec<&str> = paths.keys().map(String::as_str).collect();
        assert_eq!(letters, ["A", "B", "C", "D"], "{paths:?}");
        let try_line = r.stdout.lines().find(|l| l.contains("try: [table] header_labels = ")).unwrap();
        let labels = try_line.split("header_labels = ").nth(1).unwrap().split(", header_rows").next().unwrap();
        let form = format!(
            "[form]\nid = \"v\"\nbody = \"x\"\nname = \"v\"\n[match]\nfile_name = \"verbatim\"\n[area]\nfrom = \"rows\"\n[table]\nheader_labels = {labels}\nheader_rows = 2\nlabel_column = {}\n\
             [[columns]]\nheader = {}\ndata_element = \"live_births\"\n[[columns]]\nheader = {}\ndata_element = \"live_births\"\nsex = \"F\"\n[[columns]]\nheader = {}\ndata_element = \"deliveries\"\n",
            paths["A"], paths["B"], paths["C"], paths["D"]
        );
        let pipes = pipelines(tmp.path(), &[("v.toml", &form)], None);
        let (run, db) = run_with(&pipes, &inbox, tmp.path());
        assert_eq!(run.code, 0, "{form}");
        let got: BTreeMap<_, f64> = landed(&db).into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
        assert_eq!(got, truth);
        std::fs::remove_file(pipes.join("forms/test/v.toml")).unwrap();
    }
}

/// Run `inspect --draft` on a file, save the draft as the only form, run it: the
/// values landed (reported, not derived) and the issues.
/// An unmapped cell of a run: (file, sheet, cell, label).
type Unmapped = (String, String, String, String);

fn draft_and_run(file: &Path, inbox: &Path, tmp: &Path) -> (String, Landed, Vec<Unmapped>) {
    let pipes = pipelines(tmp, &[], None);
    let r = wcmon(&["--pipelines", pipes.to_str().unwrap(), "inspect", "--draft", file.to_str().unwrap()]);
    assert_eq!(r.code, 0);
    std::fs::write(pipes.join("forms/test/draft.toml"), &r.stdout).unwrap();
    let (run, db) = run_with(&pipes, inbox, tmp);
    assert!(run.code == 0 || run.code == 1, "the draft loads: {}\n{}", r.stdout, run.stderr);
    let got = landed(&db);
    (r.stdout, got, issues(&db))
}

/// Issue 23.4: a stage × sex grid under a two-row merged header, with a title, a 合计 row and a note.
#[test]
fn inspect_drafts_a_merged_stage_by_sex_grid_that_runs_with_no_unmapped_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "2024年乡镇在校学生情况", 6);
    ws.merge_range(1, 0, 2, 0, "乡镇", &Format::new()).unwrap();
    let stages = [("在园幼儿数", "pupils_preprimary"), ("小学在校生数", "pupils_primary"), ("初中在校生数", "pupils_junior")];
    for (j, (label, _)) in stages.iter().enumerate() {
        let c = 1 + 2 * j as u16;
        ws.merge_range(1, c, 1, c + 1, label, &Format::new()).unwrap();
        ws.write_string(2, c, "合计").unwrap();
        ws.write_string(2, c + 1, "其中：女").unwrap();
    }
    let mut truth = BTreeMap::new();
    let mut sums = [0.0; 6];
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 3 + i as u32;
        ws.write_string(row, 0, *name).unwrap();
        for (j, (_, de)) in stages.iter().enumerate() {
            let t = 1000.0 + 100.0 * j as f64 + 7.0 * i as f64;
            let f = (t * 0.48).round();
            ws.write_number(row, 1 + 2 * j as u16, t).unwrap();
            ws.write_number(row, 2 + 2 * j as u16, f).unwrap();
            sums[2 * j] += t;
            sums[2 * j + 1] += f;
            truth.insert(key(de, code, 2024, "_T"), t);
            truth.insert(key(de, code, 2024, "F"), f);
        }
    }
    let total_row = 3 + TOWNS.len() as u32;
    ws.write_string(total_row, 0, "合计").unwrap();
    for (c, v) in sums.iter().enumerate() {
        ws.write_number(total_row, 1 + c as u16, *v).unwrap();
    }
    ws.write_string(total_row + 1, 0, "注：在校生含寄宿生。").unwrap();
    let file = save(&mut wb, &inbox, "2024年乡镇在校学生情况.xlsx");
    let (draft, got, iss) = draft_and_run(&file, &inbox, tmp.path());
    assert!(draft.contains("header_rows = 2"), "{draft}");
    let got: BTreeMap<_, f64> = got.into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth, "{draft}");
    assert!(iss.iter().all(|i| i.1 != "unmapped_cell" && i.0 != "error"), "{iss:?}\n{draft}");
    // The 合计 row is the return's own total: said, not loaded.
    assert_eq!(iss.iter().filter(|i| i.1 == "skipped_total").count(), 6, "{iss:?}");
}

/// Issue 23.4: the other way round: sex over stage (男 | 女, each over 小学 | 初中), and an 序号 column.
#[test]
fn inspect_drafts_a_sex_by_stage_grid_that_runs_with_no_unmapped_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "乡镇中小学在校生（按性别）", 5);
    ws.write_string(1, 0, "单位：人").unwrap();
    ws.merge_range(2, 0, 3, 0, "序号", &Format::new()).unwrap();
    ws.merge_range(2, 1, 3, 1, "乡镇名称", &Format::new()).unwrap();
    let stages = [("小学在校生数", "pupils_primary"), ("初中在校生数", "pupils_junior")];
    for (j, (sex_label, _)) in [("男", "M"), ("女", "F")].iter().enumerate() {
        let c = 2 + 2 * j as u16;
        ws.merge_range(2, c, 2, c + 1, sex_label, &Format::new()).unwrap();
        for (k, (stage, _)) in stages.iter().enumerate() {
            ws.write_string(3, c + k as u16, *stage).unwrap();
        }
    }
    let mut truth = BTreeMap::new();
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        let row = 4 + i as u32;
        ws.write_number(row, 0, (i + 1) as f64).unwrap();
        ws.write_string(row, 1, *name).unwrap();
        for (j, (_, sex)) in [("男", "M"), ("女", "F")].iter().enumerate() {
            for (k, (_, de)) in stages.iter().enumerate() {
                let v = 500.0 + 50.0 * k as f64 + 3.0 * i as f64 - 20.0 * j as f64;
                ws.write_number(row, 2 + 2 * j as u16 + k as u16, v).unwrap();
                truth.insert(key(de, code, 2023, sex), v);
            }
        }
    }
    let file = save(&mut wb, &inbox, "2023年乡镇中小学在校生.xlsx");
    let (draft, got, iss) = draft_and_run(&file, &inbox, tmp.path());
    assert!(draft.contains("header_rows = 2"), "{draft}");
    let got: BTreeMap<_, f64> = got.into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth, "{draft}");
    assert!(iss.iter().all(|i| i.1 != "unmapped_cell" && i.0 != "error"), "{iss:?}\n{draft}");
}

/// Issue 23.4: a transposed table (towns as columns, items as rows, a 全县合计 column).
#[test]
fn inspect_drafts_a_transposed_table_that_runs_with_no_unmapped_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "2022年各乡镇妇幼指标", TOWNS.len() as u16 + 1);
    ws.write_string(1, 0, "指标").unwrap();
    for (j, (_, name)) in TOWNS.iter().enumerate() {
        ws.write_string(1, 1 + j as u16, *name).unwrap();
    }
    ws.write_string(1, 1 + TOWNS.len() as u16, "全县合计").unwrap();
    let items = [("活产数", "live_births"), ("产妇数", "deliveries"), ("孕产妇死亡数", "maternal_deaths")];
    let mut truth = BTreeMap::new();
    for (i, (label, de)) in items.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string(row, 0, *label).unwrap();
        let mut sum = 0.0;
        for (j, (code, _)) in TOWNS.iter().enumerate() {
            let v = if *de == "maternal_deaths" { (j % 2) as f64 } else { 400.0 + 10.0 * i as f64 + j as f64 };
            ws.write_number(row, 1 + j as u16, v).unwrap();
            sum += v;
            truth.insert(key(de, code, 2022, "_T"), v);
        }
        ws.write_number(row, 1 + TOWNS.len() as u16, sum).unwrap();
    }
    let file = save(&mut wb, &inbox, "2022年各乡镇妇幼指标.xlsx");
    let (draft, got, iss) = draft_and_run(&file, &inbox, tmp.path());
    assert!(draft.contains("from = \"columns\""), "{draft}");
    let got: BTreeMap<_, f64> = got.into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth, "{draft}");
    assert!(iss.iter().all(|i| i.1 != "unmapped_cell" && i.0 != "error"), "{iss:?}\n{draft}");
    assert_eq!(iss.iter().filter(|i| i.1 == "skipped_total").count(), items.len(), "{iss:?}");
}

/// Issue 23.4: a long list with one header row, spacer rows, a 序号 column and "—" in its sex column.
#[test]
fn inspect_drafts_a_long_list_with_spacer_rows_that_runs_with_no_unmapped_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    title(ws, "妇幼卫生指标清单", 4);
    for (c, l) in ["序号", "乡镇", "指标名称", "性别", "数值"].iter().enumerate() {
        ws.write_string(1, c as u16, *l).unwrap();
    }
    let mut truth = BTreeMap::new();
    let mut row = 2u32;
    let mut n = 0;
    for (i, (code, name)) in TOWNS.iter().enumerate() {
        for (item, de, sex_cell, sex) in [
            ("活产数", "live_births", "合计", "_T"),
            ("活产数", "live_births", "女", "F"),
            ("产妇数", "deliveries", "—", "_T"),
            ("孕产妇死亡数", "maternal_deaths", "—", "_T"),
        ] {
            n += 1;
            let v = match de {
                "maternal_deaths" => (i % 2) as f64,
                "deliveries" => 250.0 + i as f64,
                _ if sex == "F" => 120.0 + i as f64,
                _ => 252.0 + i as f64,
            };
            ws.write_number(row, 0, n as f64).unwrap();
            ws.write_string(row, 1, *name).unwrap();
            ws.write_string(row, 2, item).unwrap();
            ws.write_string(row, 3, sex_cell).unwrap();
            ws.write_number(row, 4, v).unwrap();
            truth.insert(key(de, code, 2021, sex), v);
            row += 1;
        }
        row += 1; // a spacer row between towns
    }
    let file = save(&mut wb, &inbox, "2021年妇幼卫生指标清单.xlsx");
    let (draft, got, iss) = draft_and_run(&file, &inbox, tmp.path());
    assert!(draft.contains("layout = \"long\"") && draft.contains("header_rows = 1"), "{draft}");
    let got: BTreeMap<_, f64> = got.into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth, "{draft}");
    assert!(iss.iter().all(|i| i.1 != "unmapped_cell" && i.0 != "error"), "{iss:?}\n{draft}");
}

/// Issue 28.6: an area group outside the tree (reported for towns that are also in
/// the tree) loads as its own area, by its English name too, and is not summed into the county.
#[test]
fn an_overlapping_group_area_loads_without_double_counting() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "乡镇").unwrap();
    ws.write_string(0, 1, "活产数").unwrap();
    let mut towns_sum = 0.0;
    for (i, (_, name)) in TOWNS.iter().enumerate() {
        let v = 100.0 + 11.0 * i as f64;
        ws.write_string(1 + i as u32, 0, *name).unwrap();
        ws.write_number(1 + i as u32, 1, v).unwrap();
        towns_sum += v;
    }
    // The group: the first three towns, reported by the return itself (as the publisher sums it).
    let group_value = 100.0 + 111.0 + 122.0;
    ws.write_string(6, 0, "Mountain towns").unwrap();
    ws.write_number(6, 1, group_value).unwrap();
    save(&mut wb, &inbox, "2023年groups.xlsx");
    let form = "[form]\nid = \"g\"\nbody = \"x\"\nname = \"g\"\n[match]\nfile_name = \"groups\"\n[area]\nfrom = \"rows\"\n[table]\nheader_labels = [\"乡镇\"]\nlabel_column = \"乡镇\"\n[[columns]]\nheader = \"活产数\"\ndata_element = \"live_births\"\n";
    let pipes = pipelines(tmp.path(), &[("g.toml", form)], None);
    let areas = std::fs::read_to_string(pipes.join("areas.toml")).unwrap();
    // The top of this tree is called a "country" here: the run summary says so.
    let areas = areas.replacen("level = \"county\"", "level = \"country\"", 1);
    let mut areas = areas;
    areas.push_str("\n[[area]]\ncode = \"G01\"\nname_zh = \"山区乡镇\"\nname_en = \"Mountain towns\"\nlevel = \"group\"\ngroup = true\n");
    std::fs::write(pipes.join("areas.toml"), areas).unwrap();
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("progress to 2030 (country, ") && r.stdout.contains("early warnings (country, 2030)"), "{}", r.stdout);
    let dv = read_partitioned(&db.join("data_values"));
    let (area, de, sex, value) = (strs(&dv, "area"), strs(&dv, "data_element"), strs(&dv, "sex"), f64s(&dv, "value"));
    let at = |a: &str| -> Vec<f64> {
        (0..dv.height())
            .filter(|&i| area[i].as_deref() == Some(a) && de[i].as_deref() == Some("live_births") && sex[i].as_deref() == Some("_T"))
            .map(|i| value[i].unwrap())
            .collect()
    };
    assert_eq!(at("G01"), vec![group_value]);
    assert_eq!(at("421321"), vec![towns_sum], "the county is the sum of its towns only");
    // The group is not the top of the tree: no "no data yet" progress rows are made up for it.
    let progress = read(&db.join("progress.parquet"));
    assert!(strs(&progress, "area").iter().all(|a| a.as_deref() != Some("G01")));
    assert!(strs(&progress, "area").iter().any(|a| a.as_deref() == Some("421321")));
}

/// Flags not listed in the form, a flag beside no value, a flag column named by its
/// header (`flag_of` a header path), and a long list's flag column.
#[test]
fn unknown_and_orphan_flags_are_said_and_nothing_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, l) in ["乡镇", "活产数", "注"].iter().enumerate() {
        ws.write_string(0, c as u16, *l).unwrap();
    }
    ws.write_string(1, 0, "厉山镇").unwrap();
    ws.write_number(1, 1, 10.0).unwrap();
    ws.write_string(1, 2, "z").unwrap(); // not in [table.flags]
    ws.write_string(2, 0, "高城镇").unwrap();
    ws.write_string(2, 2, "p").unwrap(); // beside an empty value cell
    ws.write_string(3, 0, "殷店镇").unwrap();
    ws.write_number(3, 1, 12.0).unwrap();
    ws.write_string(3, 2, "p").unwrap();
    save(&mut wb, &inbox, "2023年orphans.xlsx");
    // A long list with a flag column.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, l) in ["乡镇", "指标名称", "数值", "注"].iter().enumerate() {
        ws.write_string(0, c as u16, *l).unwrap();
    }
    for (i, (name, v, flag)) in [("厉山镇", "20", "p"), ("高城镇", "21（估计）", ""), ("殷店镇", "22", "")].iter().enumerate() {
        let r = 1 + i as u32;
        ws.write_string(r, 0, *name).unwrap();
        ws.write_string(r, 1, "活产数").unwrap();
        ws.write_string(r, 2, *v).unwrap();
        if !flag.is_empty() {
            ws.write_string(r, 3, *flag).unwrap();
        }
    }
    save(&mut wb, &inbox, "2022年longflags.xlsx");
    let grid = r#"
[form]
id = "orphans"
body = "x"
name = "orphans"
[match]
file_name = "orphans"
[area]
from = "rows"
[table]
header_labels = ["乡镇", "活产数"]
label_column = "乡镇"
[table.flags]
p = "P"
[[columns]]
header = "活产数"
data_element = "live_births"
[[columns]]
header = "注"
flag_of = "活产数"
[[columns]]
column = "Z"                 # past the sheet's last column: nothing to read, no harm
flag_of = "Y"
"#;
    let long = r#"
[form]
id = "longflags"
body = "x"
name = "longflags"
[match]
file_name = "longflags"
[area]
from = "column"
[table]
layout = "long"
header_labels = ["乡镇", "指标名称"]
[table.flags]
p = { obs_status = "P", note = "provisional" }
"（估计）" = "E"
[long]
item_column = "指标名称"
value_column = "数值"
area_column = { column = "A" }
flag_column = { column = "D" }
[[items]]
label = "活产数"
data_element = "live_births"
"#;
    let pipes = pipelines(tmp.path(), &[("orphans.toml", grid), ("longflags.toml", long)], None);
    let (r, db) = run_with(&pipes, &inbox, tmp.path());
    assert_eq!(r.code, 0, "warnings only: {:?}", issues(&db));
    let got = landed(&db);
    let at = |area: &str, year: i32| got.get(&key("live_births", area, year, "_T")).map(|v| (v.0, v.1.clone(), v.2.clone()));
    assert_eq!(at("421321100", 2023), Some((Some(10.0), "A".into(), Some("z".into()))), "an unknown mark is kept as written");
    assert_eq!(at("421321102", 2023), Some((Some(12.0), "P".into(), None)));
    assert_eq!(at("421321101", 2023), None);
    assert_eq!(at("421321100", 2022), Some((Some(20.0), "P".into(), Some("provisional".into()))));
    assert_eq!(at("421321101", 2022), Some((Some(21.0), "E".into(), None)));
    assert_eq!(at("421321102", 2022), Some((Some(22.0), "A".into(), None)));
    let mut said: Vec<(String, String, String)> = issues(&db).into_iter().map(|i| (i.0, i.1, i.2)).collect();
    said.sort();
    assert_eq!(said, vec![("warning".into(), "flag_without_value".into(), "C3".into()), ("warning".into(), "unknown_flag".into(), "C2".into())]);
    assert_eq!(submissions(&db), (5, 5, 0));
}

/// Issue 23.4, a further layout: a sheet per town, each an age × sex cross-tab of one data element.
#[test]
fn inspect_drafts_a_sheet_per_town_cross_tab_that_runs_with_no_unmapped_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    let mut wb = Workbook::new();
    let ages = [("0-4岁", "Y0T4"), ("5-9岁", "Y5T9"), ("65岁及以上", "Y_GE65")];
    let mut truth = BTreeMap::new();
    for (t, (code, name)) in TOWNS.iter().take(3).enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        title(ws, &format!("{name}常住人口（按年龄、性别分）    单位：人"), 2);
        for (c, l) in ["年龄组", "男", "女"].iter().enumerate() {
            ws.write_string(1, c as u16, *l).unwrap();
        }
        for (i, (label, age)) in ages.iter().enumerate() {
            let row = 2 + i as u32;
            ws.write_string(row, 0, *label).unwrap();
            for (j, sex) in ["M", "F"].iter().enumerate() {
                let v = 1000.0 + 100.0 * t as f64 + 10.0 * i as f64 + j as f64;
                ws.write_number(row, 1 + j as u16, v).unwrap();
                truth.insert(("population".to_string(), code.to_string(), 2023, sex.to_string(), age.to_string()), v);
            }
        }
    }
    let file = save(&mut wb, &inbox, "2023年分乡镇人口.xlsx");
    let (draft, got, iss) = draft_and_run(&file, &inbox, tmp.path());
    assert!(draft.contains("from = \"sheet_name\"") && draft.contains("data_element = \"population\""), "{draft}");
    let got: BTreeMap<_, f64> = got.into_iter().map(|(k, v)| (k, v.0.unwrap())).collect();
    assert_eq!(got, truth, "{draft}");
    assert!(iss.is_empty(), "{iss:?}\n{draft}");
}
