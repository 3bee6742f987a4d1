//! A run split in parts (a province's counties a few at a time, the province
//! last from the parts' sums) publishes the same database as one pass over
//! everything: the same rows of every table, for a rebuild and for a run after
//! a correction and a removed return.

use crate::common;

use std::path::Path;

use common::*;
use polars::prelude::*;

fn rebuild(pipelines: &Path, inbox: &Path, db: &Path, part_values: &str) -> Run {
    rebuild_with(pipelines, inbox, db, &["--part-values", part_values])
}

fn rebuild_with(pipelines: &Path, inbox: &Path, db: &Path, options: &[&str]) -> Run {
    let mut args = vec!["--pipelines", pipelines.to_str().unwrap(), "rebuild", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap()];
    args.extend_from_slice(options);
    wcmon(&args)
}

fn run(pipelines: &Path, inbox: &Path, db: &Path, part_values: &str) -> Run {
    wcmon(&["--pipelines", pipelines.to_str().unwrap(), "run", "--inbox", inbox.to_str().unwrap(), "--db", db.to_str().unwrap(), "--part-values", part_values])
}

/// The rows of a table in one canonical order (every column a sort key), so two
/// databases written in different files and orders compare row for row.
fn canonical(df: DataFrame) -> DataFrame {
    let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let mut names_sorted = names.clone();
    names_sorted.sort();
    df.lazy()
        .select(names_sorted.iter().map(|n| col(n.as_str())).collect::<Vec<_>>())
        .sort(names_sorted.clone(), SortMultipleOptions::default().with_nulls_last(true))
        .collect()
        .unwrap()
}

fn part_files(db: &Path, table: &str) -> usize {
    walkdir::WalkDir::new(db.join("current").join(table))
        .follow_links(true)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
        .count()
}

/// Every table of the two databases (every one of the registry a run writes) holds
/// the same rows; the tables that are not split in parts are byte-identical files,
/// but `reporting.parquet`, which says when each database first saw each return.
fn assert_same_database(one_pass: &Path, split: &Path) {
    for table in wcmon::tables::per_part() {
        let a = canonical(read_partitioned(&one_pass.join("current").join(table)));
        let b = canonical(read_partitioned(&split.join("current").join(table)));
        assert!(a.height() > 0, "{table} is empty");
        assert_eq!(a.height(), b.height(), "{table}: rows");
        assert!(a.equals_missing(&b), "{table}: the split run's rows differ from one pass's");
    }
    let whole = wcmon::tables::of_a_run().filter(|t| t.written == wcmon::tables::Written::WholeRun && t.name != wcmon::tables::REPORTING.name);
    for table in whole {
        let file = table.entry();
        let a = std::fs::read(one_pass.join("current").join(&file)).unwrap();
        let b = std::fs::read(split.join("current").join(&file)).unwrap();
        assert!(a == b, "{file} differs between one pass and the split run");
    }
    // `reporting`: the same rows but for the times each database saw the returns.
    let reporting = |db: &Path| canonical(read(&db.join("current").join(wcmon::tables::REPORTING.entry())).drop_many(["first_received", "last_corrected"]));
    assert!(reporting(one_pass).equals_missing(&reporting(split)), "reporting.parquet: the split run's rows differ from one pass's");
}

#[test]
fn a_run_split_in_parts_publishes_what_one_pass_does() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let g = wcmon(&["generate", "--scale", "--counties", "3", "--years", "3", "--out", corpus.to_str().unwrap()]);
    assert_eq!(g.code, 0);
    let (pipelines, inbox) = (corpus.join("pipelines"), corpus.join("inbox"));
    let (one, split) = (tmp.path().join("one"), tmp.path().join("split"));

    // One pass (everything fits one part), and one county per part (a county's
    // returns are a few thousand values): three parts and the province.
    let a = rebuild(&pipelines, &inbox, &one, "1000000000");
    let b = rebuild(&pipelines, &inbox, &split, "2000");
    assert!(a.code <= 1 && b.code <= 1, "runs failed");
    assert_eq!(part_files(&one, "data_values/year=2024"), 1);
    assert_eq!(part_files(&split, "data_values/year=2024"), 4, "three counties and the province");
    assert!(part_files(&split, "indicator_values/year=2024") >= 4);
    // The province's own rows are in the last part, and only there.
    let top = read(&split.join("current/data_values/year=2024/part-3.parquet"));
    assert!(top.height() > 0);
    assert!(strs(&top, "area").iter().all(|a| a.as_deref() == Some("420000")));
    let county = read(&split.join("current/data_values/year=2024/part-0.parquet"));
    assert!(strs(&county, "area").iter().all(|a| a.as_deref() != Some("420000")));
    assert_same_database(&one, &split);
    // One part at a time writes the very files two at a time do.
    let serial = tmp.path().join("serial");
    let c = rebuild_with(&pipelines, &inbox, &serial, &["--part-values", "2000", "--parts-at-once", "1"]);
    assert!(c.code <= 1, "run failed");
    let files: Vec<_> = walkdir::WalkDir::new(split.join("current"))
        .follow_links(true)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        .map(|e| e.path().strip_prefix(split.join("current")).unwrap().to_path_buf())
        .collect();
    assert!(files.len() > 10, "{files:?}");
    // reporting.parquet says when each database first saw each return (their own run times).
    for f in files.iter().filter(|f| f.as_os_str() != "reporting.parquet") {
        let (a, b) = (std::fs::read(split.join("current").join(f)).unwrap(), std::fs::read(serial.join("current").join(f)).unwrap());
        assert!(a == b, "{} differs between two parts at once and one", f.display());
    }
    // The scratch frames of the split run are gone from the published version.
    let leftovers: Vec<_> =
        std::fs::read_dir(split.join("current")).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with('.')).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A correction (a newer copy of a return supersedes it) and a removed return:
    // the incremental run of each database reports the same changes.
    let mut books: Vec<_> =
        walkdir::WalkDir::new(&inbox).into_iter().filter_map(|e| e.ok()).filter(|e| e.file_type().is_file()).map(|e| e.into_path()).collect();
    books.sort();
    let removed = books[0].clone();
    let corrected = books[books.len() / 2].clone();
    std::fs::remove_file(&removed).unwrap();
    let copy = corrected.with_file_name(format!("{}_更正.xlsx", corrected.file_stem().unwrap().to_string_lossy()));
    std::fs::copy(&corrected, &copy).unwrap();
    let later = std::fs::metadata(&corrected).unwrap().modified().unwrap() + std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(&copy).unwrap().set_modified(later).unwrap();
    let a = run(&pipelines, &inbox, &one, "1000000000");
    let b = run(&pipelines, &inbox, &split, "2000");
    assert!(a.code <= 1 && b.code <= 1, "runs failed");
    let changes = read(&split.join("current/changes.parquet"));
    assert!(changes.height() > 0, "removing a return changes nothing?");
    let reasons = strs(&changes, "reason");
    let removed_name = removed.strip_prefix(&inbox).unwrap().to_string_lossy().to_string();
    assert!(reasons.iter().any(|r| r.as_deref() == Some(format!("file removed: {removed_name}").as_str())), "{reasons:?}");
    let subs = read(&split.join("current/submissions.parquet"));
    assert_eq!(strs(&subs, "status").iter().filter(|s| s.as_deref() == Some("superseded")).count(), 1);
    // The first county lost a return and the second has a correction; the third
    // county's part is taken from the last run as it was.
    assert!(b.stdout.contains("computed in 3 parts of whole area subtrees and the top (1 unchanged since the last run"), "{}", b.stdout);
    assert_same_database(&one, &split);

    // The third county's last return comes again with other figures (same path,
    // new content): its part is computed again, the other two are kept.
    let other = tmp.path().join("other");
    assert_eq!(wcmon(&["generate", "--scale", "--counties", "3", "--years", "3", "--seed", "7", "--out", other.to_str().unwrap()]).code, 0);
    let last = books.last().unwrap();
    let replacement = other.join("inbox").join(last.strip_prefix(&inbox).unwrap());
    assert_ne!(std::fs::read(&replacement).unwrap(), std::fs::read(last).unwrap());
    std::fs::copy(&replacement, last).unwrap();
    let a = run(&pipelines, &inbox, &one, "1000000000");
    let b = run(&pipelines, &inbox, &split, "2000");
    assert!(a.code <= 1 && b.code <= 1, "runs failed");
    assert!(b.stdout.contains("(2 unchanged since the last run"), "{}", b.stdout);
    assert!(read(&split.join("current/changes.parquet")).height() > changes.height(), "the new figures are not in the changes");
    assert_same_database(&one, &split);

    // A kept part that is damaged is computed again: every kept part loses a file,
    // then another return of the first county goes.
    for part in std::fs::read_dir(split.join("state/parts")).unwrap() {
        std::fs::remove_file(part.unwrap().path().join("progress.parquet")).unwrap();
    }
    std::fs::remove_file(&books[1]).unwrap();
    let a = run(&pipelines, &inbox, &one, "1000000000");
    let b = run(&pipelines, &inbox, &split, "2000");
    assert!(a.code <= 1 && b.code <= 1, "runs failed");
    assert!(b.stdout.contains("(0 unchanged since the last run"), "{}", b.stdout);
    assert_same_database(&one, &split);
}

/// The sample county split in parts (its towns' returns, and the county's own
/// returns, whose values are all at the top): the same database as one pass.
#[test]
fn the_sample_county_split_in_parts_gives_the_same_database() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    copy_dir(&root().join("sample_data"), &inbox);
    let pipelines = root().join("pipelines");
    let (one, split) = (tmp.path().join("one"), tmp.path().join("split"));
    let a = rebuild(&pipelines, &inbox, &one, "1000000000");
    let b = rebuild(&pipelines, &inbox, &split, "2000");
    assert!(a.code <= 1 && b.code <= 1, "runs failed");
    assert!(b.stdout.contains("computed in 2 parts"), "{}", b.stdout);
    assert_same_database(&one, &split);
}
