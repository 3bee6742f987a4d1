"""Read every published table as a statistician would (DuckDB and pyarrow) and
check the contract columns of ../shared/DESIGN.md §4 and some values against the
generator's truth. Usage: python3 check_contract.py DB TRUTH_DIR"""
import csv
import json
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq

db, truth = Path(sys.argv[1]), Path(sys.argv[2])
CONTRACT = {
    "data_values": "data_element area sex age residence value obs_status derived form source_file source_sheet source_cell source_sha256 submission",
    "indicator_values": "indicator area sex age residence value numerator denominator unit ci_low ci_high obs_status",
    "indicators": "indicator plan domain name_zh name_en unit factor numerator denominator direction target_2025 target_2030 baseline_year baseline_value responsible",
    "areas": "area name_zh level parent",
    "issues": "severity rule message source_file source_sheet source_cell data_element indicator year area sex age observed expected",
    "submissions": "submission form reporter year source_file source_sha256 status cells_read values_landed values_rejected superseded_by",
    "progress": "indicator area sex age target_year target_value latest_year latest_value baseline_value projected_value status warnings",
    "rule_summary": "rule kind severity scope expression items passes fails missing",
    "reporting": "form reporter year area expected received on_time status first_received last_corrected submissions",
}
con = duckdb.connect()
failures = 0
for table, cols in CONTRACT.items():
    if table in ("data_values", "indicator_values"):
        rel = con.sql(f"select * from read_parquet('{db}/{table}/*/*.parquet', hive_partitioning = true)")
        arrow_cols = ds.dataset(db / table, format="parquet", partitioning="hive").schema.names
    else:
        rel = con.sql(f"select * from read_parquet('{db}/{table}.parquet')")
        arrow_cols = pq.read_schema(db / f"{table}.parquet").names
    missing = [c for c in cols.split() if c not in rel.columns]
    missing_arrow = [c for c in cols.split() if c not in arrow_cols and c != "year"]
    if missing or missing_arrow:
        print(f"FAIL {table}: missing columns duckdb={missing} pyarrow={missing_arrow}")
        failures += 1
    if table in ("data_values", "indicator_values") and "year" not in rel.columns:
        print(f"FAIL {table}: hive partition column year not visible")
        failures += 1

# County live births 2022 (sex _T) = sum of the towns in the generator's truth.
want = sum(float(r["value"]) for r in csv.DictReader(open(truth / "data_values.csv"))
           if r["data_element"] == "live_births" and r["year"] == "2022" and r["sex"] == "_T")
got = con.sql(f"""select value from read_parquet('{db}/data_values/*/*.parquet', hive_partitioning = true)
                 where data_element = 'live_births' and area = '421321' and year = 2022 and sex = '_T' and residence = '_T'""").fetchall()
if got != [(want,)]:
    print(f"FAIL county live births 2022: duckdb {got}, truth {want}")
    failures += 1

# Maternal mortality 2024 at county level, read with pyarrow.
# (Polars writes strings as Arrow string_view; compare in Python rather than with a pyarrow filter.)
t = [r for r in ds.dataset(db / "indicator_values", format="parquet", partitioning="hive").to_table().to_pylist()
     if r["indicator"] == "W03" and r["area"] == "421321" and r["year"] == 2024 and r["residence"] == "_T"]
truth_rows = [r for r in csv.DictReader(open(truth / "indicators.csv"))
              if r["indicator"] == "W03" and r["area"] == "421321" and r["year"] == "2024"]
if len(t) != 1 or abs(t[0]["value"] - float(truth_rows[0]["value"])) > 1e-9:
    print(f"FAIL W03 2024: pyarrow {t}, truth {truth_rows}")
    failures += 1

# progress: statuses from the contract's list; the warnings query of the README runs.
statuses = {r[0] for r in con.sql(f"select distinct status from read_parquet('{db}/progress.parquet')").fetchall()}
allowed = {"achieved", "on_track", "needs_acceleration", "limited_progress", "deterioration", "not_assessable", "insufficient_data"}
if not statuses or not statuses <= allowed:
    print(f"FAIL progress statuses {statuses}")
    failures += 1
warned = con.sql(f"""SELECT p.indicator, i.name_zh, p.status, p.warning_text
    FROM '{db}/progress.parquet' p JOIN '{db}/indicators.parquet' i USING (indicator)
    WHERE p.area = '421321' AND p.warnings IS NOT NULL""").fetchall()
if not any(r[0] == "C07" and r[2] == "deterioration" for r in warned):
    print(f"FAIL the README warnings query does not list C07 as deteriorating")
    failures += 1
# rule_summary adds up.
bad = con.sql(f"select rule from read_parquet('{db}/rule_summary.parquet') where items <> passes + fails + missing").fetchall()
if bad:
    print(f"FAIL rule_summary does not add up for {bad}")
    failures += 1

# reporting: the sample's 45 returns (9 forms x 2020-2024) all expected and received, none
# counted late or on time (already in the inbox at a first run after every due date: when
# they arrived is unknown).
rep = con.sql(f"""select status, count(*), count(on_time), count(first_received)
    from read_parquet('{db}/reporting.parquet') where expected group by status""").fetchall()
if rep != [("received", 45, 0, 45)]:
    print(f"FAIL reporting of the sample: {rep}")
    failures += 1

manifest = json.load(open(db / "manifest.json"))
for key in ("run_id", "mode", "started_at", "finished_at", "tool_version", "inputs_digest", "row_counts"):
    if key not in manifest:
        print(f"FAIL manifest.json lacks {key}")
        failures += 1
n_rows = con.sql(f"select count(*) from read_parquet('{db}/data_values/*/*.parquet')").fetchall()[0][0]
if manifest["row_counts"].get("data_values") != n_rows:
    print(f"FAIL manifest row count {manifest['row_counts'].get('data_values')} != {n_rows}")
    failures += 1
print(f"{len(CONTRACT)} tables checked, {failures} failures")
sys.exit(1 if failures else 0)
