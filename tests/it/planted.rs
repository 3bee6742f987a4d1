//! A return with planted faults, written here cell by cell: each fault must be
//! reported at exactly its cell, and the rest must land.

use crate::common;

use common::*;
use rust_xlsxwriter::{Format, Workbook};

#[test]
fn unknown_town_and_text_in_a_number_cell_are_reported_at_their_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    mch_header(ws, &f);
    ws.write_string(5, 0, "厉山").unwrap(); // alias of 厉山镇
    ws.write_string(5, 1, "１,２００").unwrap(); // full-width digits with a thousands separator: 1200
    ws.write_string(5, 2, "abc").unwrap();
    ws.write_number(5, 3, 1190.0).unwrap();
    ws.write_string(6, 0, "火星镇").unwrap();
    ws.write_number(6, 1, 10.0).unwrap();
    ws.write_number(6, 2, 5.0).unwrap();
    ws.write_number(6, 3, 9.0).unwrap();
    ws.write_string(8, 0, "注：测试").unwrap();
    wb.save(inbox.join("2023年妇幼卫生年报.xlsx")).unwrap();

    let (r, db) = run_into(&inbox, tmp.path());
    assert_eq!(r.code, 1);
    let subs = read(&db.join("submissions.parquet"));
    assert_eq!(u64s(&subs, "cells_read"), vec![6]);
    assert_eq!(u64s(&subs, "values_landed"), vec![2]);
    assert_eq!(u64s(&subs, "values_rejected"), vec![4]);

    let issues = read(&db.join("issues.parquet"));
    let got: Vec<(String, String)> = strs(&issues, "source_cell").into_iter().zip(strs(&issues, "rule")).filter_map(|(c, r)| Some((c?, r?))).collect();
    let want: Vec<(String, String)> = [("C6", "unparseable_value"), ("B7", "unknown_area"), ("C7", "unknown_area"), ("D7", "unknown_area")]
        .iter()
        .map(|(c, r)| (c.to_string(), r.to_string()))
        .collect();
    assert_eq!(got, want);
    // The cells' findings (the other returns this one-file inbox lacks are warnings without a cell).
    let msgs: Vec<Option<String>> =
        strs(&issues, "message").into_iter().zip(strs(&issues, "source_cell")).filter(|(_, c)| c.is_some()).map(|(m, _)| m).collect();
    assert!(msgs[1].as_deref().unwrap().contains("火星镇"), "{msgs:?}");

    let dv = read_partitioned(&db.join("data_values"));
    let (de, area, sex, cell) = (strs(&dv, "data_element"), strs(&dv, "area"), strs(&dv, "sex"), strs(&dv, "source_cell"));
    let vals = f64s(&dv, "value");
    let births = (0..dv.height())
        .find(|&i| de[i].as_deref() == Some("live_births") && area[i].as_deref() == Some("421321100") && sex[i].as_deref() == Some("_T"))
        .unwrap();
    assert_eq!(vals[births], Some(1200.0));
    assert_eq!(cell[births].as_deref(), Some("B6"));
}
