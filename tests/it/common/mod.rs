//! Test harness: each test gets its own temp directory, runs the real binary,
//! and on failure the command's stdout and stderr are printed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;
use polars_io::prelude::{ParquetReader, SerReader};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn wcmon(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wcmon"))
        .current_dir(root())
        .args(args)
        .env("WCMON_LOG", "warn")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("spawn wcmon");
    let run =
        Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() };
    eprintln!("$ wcmon {}\n--- stdout\n{}--- stderr\n{}", args.join(" "), run.stdout, run.stderr);
    run
}

/// Run on an inbox into a fresh database under `tmp`.
pub fn run_into(inbox: &Path, tmp: &Path) -> (Run, PathBuf) {
    let db = tmp.join("db");
    let r = wcmon(&["run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    (r, db)
}

pub fn read(path: &Path) -> DataFrame {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(f).finish().unwrap()
}

/// All partitions of a hive-partitioned table, with the `year` column restored.
pub fn read_partitioned(dir: &Path) -> DataFrame {
    let mut out: Option<DataFrame> = None;
    let mut parts: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    parts.sort();
    for p in parts {
        let year: i32 = p.file_name().unwrap().to_str().unwrap().trim_start_matches("year=").parse().unwrap();
        // A run split in parts writes a file per part.
        let mut files: Vec<_> = std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let mut df = read(&file);
            let h = df.height();
            df.with_column(Column::new("year".into(), vec![year; h])).unwrap();
            match &mut out {
                None => out = Some(df),
                Some(o) => {
                    o.vstack_mut(&df).unwrap();
                }
            }
        }
    }
    out.unwrap()
}

pub fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let ca = df.column(name).unwrap().str().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i).map(str::to_string)).collect()
}

pub fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let ca = df.column(name).unwrap().f64().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

pub fn i32s(df: &DataFrame, name: &str) -> Vec<Option<i32>> {
    let ca = df.column(name).unwrap().i32().unwrap().clone();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

/// A count column (published as Int64) as non-negative numbers.
pub fn u64s(df: &DataFrame, name: &str) -> Vec<u64> {
    let ca = df.column(name).unwrap().i64().unwrap().clone();
    (0..ca.len()).map(|i| u64::try_from(ca.get(i).unwrap()).unwrap()).collect()
}

/// The generator's truth CSV as rows of strings keyed by header.
pub fn truth_csv(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(root().join("sample_data/_truth").join(name)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The title, unit line and two-row header (乡镇; 活产数 over 合计 / 其中：女; 产妇数)
/// of a small 2023 MCH return (卫健局's form), towns from row 6 (index 5).
pub fn mch_header(ws: &mut rust_xlsxwriter::Worksheet, f: &rust_xlsxwriter::Format) {
    ws.merge_range(0, 0, 0, 3, "随县2023年妇幼卫生工作年报（分乡镇）", f).unwrap();
    ws.write_string(1, 0, "单位：人").unwrap();
    ws.merge_range(3, 0, 4, 0, "乡镇", f).unwrap();
    ws.merge_range(3, 1, 3, 2, "活产数", f).unwrap();
    ws.write_string(4, 1, "合计").unwrap();
    ws.write_string(4, 2, "其中：女").unwrap();
    ws.merge_range(3, 3, 4, 3, "产妇数", f).unwrap();
}
