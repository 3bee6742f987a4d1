#!/usr/bin/env python3
"""Compare bench/reference.py's rows with the reported values of a wcmon database.

    python3 bench/compare.py DB_DIR OUT.parquet

wcmon side: DB_DIR/data_values/*/*.parquet (hive-partitioned by year) with
derived = false, restricted to the source files the reference read (taken from
the Parquet metadata reference.py writes; else the distinct source_file values).
Both sides are keyed by (data_element, area, year, sex, age, residence).

Prints the counts of matching keys, keys only on one side and value mismatches
(|a - b| <= 1e-6, two nulls are equal), with a few examples of each.  Exits 0
when the reference rows are a subset of wcmon's with equal values and cover at
least 95% of wcmon's reported rows for those files; 1 otherwise; 2 on bad input.

Differences are labelled with the reason wcmon's database gives, if any: the
file was superseded by a newer return (submissions.parquet), or an error issue
at the same cell withheld the value (issues.parquet: negative_count, conflict,
a balance rule ...).  Validation and supersession come after normalising and
are not done by the reference.  With --allow-explained, such differences do
not fail the comparison (only `unexplained` ones do).

    python3 bench/compare.py [--allow-explained] DB_DIR OUT.parquet
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

KEY = ["data_element", "area", "year", "sex", "age", "residence"]
TOLERANCE = 1e-6
MIN_COVERAGE = 0.95
EXAMPLES = 10


def files_read(out: Path, ours: pl.DataFrame) -> list:
    meta = pq.read_schema(out).metadata or {}
    raw = meta.get(b"wcmon_reference")
    if raw:
        return json.loads(raw)["files_read"]
    return ours["source_file"].unique().to_list()


def show(title: str, df: pl.DataFrame, n: int):
    print(f"{title}: {n}")
    if n:
        with pl.Config(tbl_rows=EXAMPLES, tbl_cols=-1, fmt_str_lengths=40, tbl_width_chars=200):
            print(df.head(EXAMPLES))


def explain(db: Path, rows: pl.DataFrame) -> pl.DataFrame:
    """Add `why`: the reason wcmon has no (or another) value for our row, when its
    database says so: the file was superseded by a newer return, or an
    error-severity issue (a validation rule, e.g. negative_count, conflict)
    withheld the cell.  Those are steps after normalising that the reference
    does not do; anything else is `unexplained`."""
    why = pl.lit(None, dtype=pl.String)
    subs = db / "submissions.parquet"
    if subs.exists():
        sup = pl.read_parquet(subs).filter(pl.col("status") == "superseded")["source_file"].to_list()
        why = pl.when(pl.col("source_file").is_in(sup)).then(pl.lit("superseded")).otherwise(why)
    rows = rows.with_columns(why.alias("why"))
    issues = db / "issues.parquet"
    if issues.exists():
        errs = (
            pl.read_parquet(issues)
            .filter((pl.col("severity") == "error") & pl.col("source_cell").is_not_null())
            .group_by("source_file", "source_sheet", "source_cell")
            .agg(pl.col("rule").unique().sort().str.join(",").alias("rule"))
        )
        rows = rows.join(errs, on=["source_file", "source_sheet", "source_cell"], how="left").with_columns(
            pl.coalesce("why", "rule").alias("why")
        ).drop("rule")
    return rows.with_columns(pl.col("why").fill_null("unexplained"))


def main(argv: list) -> int:
    allow_explained = "--allow-explained" in argv
    argv = [a for a in argv if a != "--allow-explained"]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    db, out = Path(argv[0]), Path(argv[1])
    parts = sorted((db / "data_values").glob("*/*.parquet"))
    if not parts or not out.exists():
        print(f"error: no {db}/data_values/*/*.parquet or no {out}", file=sys.stderr)
        return 2

    ours = pl.read_parquet(out).with_columns(pl.col("year").cast(pl.Int64))
    read = files_read(out, ours)
    wcmon = (
        pl.read_parquet([str(p) for p in parts], hive_partitioning=True)
        .filter(~pl.col("derived") & pl.col("source_file").is_in(read))
        .with_columns(pl.col("year").cast(pl.Int64))
        .select(KEY + ["value", "source_file", "source_sheet", "source_cell"])
    )
    wcmon_u = wcmon.unique(subset=KEY, keep="first", maintain_order=True)
    repeated = ours.group_by(KEY).len().filter(pl.col("len") > 1).height

    # Every reference row against wcmon's row of the same key (if any).
    cmp = ours.join(
        wcmon_u.rename({c: f"{c}_wcmon" for c in ["value", "source_file", "source_sheet", "source_cell"]}),
        on=KEY, how="left",
    ).with_columns(
        pl.col("source_file_wcmon").is_not_null().alias("in_wcmon"),
        (
            (pl.col("value").is_null() & pl.col("value_wcmon").is_null())
            | ((pl.col("value") - pl.col("value_wcmon")).abs() <= TOLERANCE)
        ).fill_null(False).alias("equal"),
    )
    matched = cmp.filter(pl.col("in_wcmon") & pl.col("equal"))
    mismatched = explain(db, cmp.filter(pl.col("in_wcmon") & ~pl.col("equal")))
    only_ours = explain(db, cmp.filter(~pl.col("in_wcmon")))
    matched_keys = cmp.filter(pl.col("in_wcmon")).unique(subset=KEY).height
    only_wcmon = wcmon_u.join(ours, on=KEY, how="anti")
    other_cell = matched.filter(
        (pl.col("source_file") != pl.col("source_file_wcmon"))
        | (pl.col("source_sheet") != pl.col("source_sheet_wcmon"))
        | (pl.col("source_cell") != pl.col("source_cell_wcmon"))
    )
    coverage = matched_keys / wcmon_u.height if wcmon_u.height else 1.0

    print(f"files read by the reference: {len(read)}")
    print(f"reference rows: {ours.height} ({repeated} keys more than once)")
    print(f"wcmon reported rows for those files: {wcmon.height} ({wcmon_u.height} keys)")
    print(f"matching keys: {matched_keys}  reference rows with wcmon's value: {matched.height}")
    cols = KEY + ["value", "value_wcmon", "source_file", "source_sheet", "source_cell", "why"]
    show("value mismatches", mismatched.select(cols), mismatched.height)
    show("keys only in the reference", only_ours.select(cols[:7] + cols[8:]), only_ours.height)
    show("keys only in wcmon", only_wcmon, only_wcmon.height)
    for name, df in (("value mismatches", mismatched), ("keys only in the reference", only_ours)):
        if df.height:
            by = dict(df.group_by("why").len().sort("why").iter_rows())
            print(f"  {name} by reason: {by}")
    print(f"matching rows read from another cell (info): {other_cell.height}")
    print(f"coverage of wcmon's reported rows: {coverage:.2%}")

    bad = pl.concat([mismatched.select("why"), only_ours.select("why")])
    if allow_explained:  # differences wcmon's own issues/submissions account for are accepted
        bad = bad.filter(pl.col("why") == "unexplained")
    ok = bad.height == 0 and coverage >= MIN_COVERAGE
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
