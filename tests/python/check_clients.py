"""Every published table read by every client a statistician may use, with the
types of DESIGN.md §4 (plain strings, signed integers, years int32). The tables
are the registry's (src/tables.rs, as JSON); their files, declared order and
grain are checked by check_tables.py.

Usage: python3 check_clients.py REGISTRY.json DB [--old]

Recent clients: pyarrow (a dataset filter on a string column of every table),
pandas read_parquet(filters=...), Polars and DuckDB, each counting the rows of one
value of one string column; the counts must agree with the count made in plain
Python from the rows pyarrow read. With --old (pyarrow 14, its own virtualenv):
pyarrow alone, reading every file and filtering every table the same way.
Prints "N failures" last."""
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

registry = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
db = Path(sys.argv[2])
old = "--old" in sys.argv[3:]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


# The tables a run publishes (the export's are not in a database).
PARTITIONED = [t["name"] for t in registry if t["written"] != "export" and t["partition_by"]]
SINGLE = [t["name"] for t in registry if t["written"] != "export" and not t["partition_by"]]
# Counts that must be Int64 (they were unsigned).
COUNTS = {
    "data_values": ["n_sources"],
    "indicator_values": ["numerator_areas", "denominator_areas"],
    "submissions": ["cells_read", "values_landed", "values_rejected", "values_derived", "values_superseded"],
    "rule_summary": ["items", "passes", "fails", "missing"],
}


def files_of(table):
    if table in PARTITIONED:
        return sorted((db / table).glob("year=*/*.parquet"))
    return [db / f"{table}.parquet"]


def dataset(table):
    if table in PARTITIONED:
        return ds.dataset(db / table, format="parquet", partitioning="hive")
    return ds.dataset(db / f"{table}.parquet", format="parquet")


def check_types(table, schema):
    for field in schema:
        t = field.type
        if str(t) in ("string_view", "binary_view"):
            fail(f"{table}.{field.name}: {t}")
        if pa.types.is_unsigned_integer(t):
            fail(f"{table}.{field.name}: unsigned {t}")
        if field.name.endswith("year") and not pa.types.is_int32(t):
            fail(f"{table}.{field.name}: a year as {t}, not int32")
    for name in COUNTS.get(table, []):
        if name not in schema.names:
            fail(f"{table}: no column {name}")
        elif not pa.types.is_int64(schema.field(name).type):
            fail(f"{table}.{name}: {schema.field(name).type}, not int64")
    strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if not strings:
        fail(f"{table}: no string column")
    return strings


def first_value(rows, column):
    return next((r[column] for r in rows if r[column] is not None), None)


tables = PARTITIONED + SINGLE
for table in tables:
    files = files_of(table)
    if not files or not all(f.exists() for f in files):
        fail(f"{table}: no files")
        continue
    for f in files:
        # Every file opens on its own, and says what it holds.
        check_types(table, pq.read_schema(f))
    d = dataset(table)
    strings = check_types(table, d.schema)
    rows = d.to_table().to_pylist()
    if table == "changes" and not rows:
        # A first run has no changes: the filter is tried on a column anyway (no rows).
        pass
    # One string column's most telling value: the first column with a value.
    column = next((c for c in strings if first_value(rows, c) is not None), strings[0])
    value = first_value(rows, column) or "none"
    expected = sum(1 for r in rows if r[column] == value)
    if rows and expected == 0:
        fail(f"{table}: no row has {column} = {value!r}")
    got = d.to_table(filter=pc.field(column) == value).num_rows
    if got != expected:
        fail(f"{table}: pyarrow dataset filter {column} == {value!r}: {got} rows, expected {expected}")
    # The other string operations string_view broke: sort_by and a join on the column.
    t = d.to_table(columns=[column])
    t.sort_by(column)
    if expected:
        one = pa.table({column: pa.array([value], type=t.schema.field(column).type)})
        joined = one.join(pa.table({column: pc.unique(t[column])}), column)
        if joined.num_rows != 1:
            fail(f"{table}: a join on {column} gave {joined.num_rows} rows")
    if old:
        continue

    import duckdb
    import pandas as pd
    import polars as pl

    path = db / table if table in PARTITIONED else db / f"{table}.parquet"
    got = len(pd.read_parquet(path, filters=[(column, "==", value)]))
    if got != expected:
        fail(f"{table}: pandas read_parquet(filters={column} == {value!r}): {got} rows, expected {expected}")
    glob = f"{db}/{table}/*/*.parquet" if table in PARTITIONED else f"{db}/{table}.parquet"
    lf = pl.scan_parquet(glob, hive_partitioning=table in PARTITIONED)
    got = lf.filter(pl.col(column) == value).collect().height
    if got != expected:
        fail(f"{table}: polars filter {column} == {value!r}: {got} rows, expected {expected}")
    schema = lf.collect_schema()
    for name, dtype in schema.items():
        if dtype in (pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64):
            fail(f"{table}.{name}: polars reads {dtype}")
    con = duckdb.connect()
    src = f"read_parquet('{glob}', hive_partitioning = {str(table in PARTITIONED).lower()})"
    got = con.execute(f'select count(*) from {src} where "{column}" = ?', [value]).fetchone()[0]
    if got != expected:
        fail(f"{table}: duckdb {column} = {value!r}: {got} rows, expected {expected}")
    for name, dtype in con.execute(f"select column_name, column_type from (describe select * from {src})").fetchall():
        if dtype.startswith("U"):
            fail(f"{table}.{name}: duckdb reads {dtype}")
    print(f"{table}: {len(rows)} rows; {column} == {value!r}: {expected} rows in pyarrow, pandas, polars, duckdb")

# The README's example: county infant mortality, a dataset filter on two string columns.
iv = dataset("indicator_values").to_table(filter=(pc.field("indicator") == "C02") & (pc.field("area") == "421321"))
if iv.num_rows == 0:
    fail("indicator_values: no C02 rows for 421321 through a dataset filter")
print(f"pyarrow {pa.__version__}: {failures} failures")
sys.exit(1 if failures else 0)
