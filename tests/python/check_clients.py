"""Every published table read by every client a statistician may use, with the
types of DESIGN.md §4 (plain strings, signed integers, years int32) and the rows'
declared order (`sorting_columns`) checked against the rows themselves.

Usage: python3 check_clients.py DB [--old]

Recent clients: pyarrow (a dataset filter on a string column of every table),
pandas read_parquet(filters=...), Polars and DuckDB, each counting the rows of one
value of one string column; the counts must agree with the count made in plain
Python from the rows pyarrow read. With --old (pyarrow 14, its own virtualenv):
pyarrow alone, reading every file and filtering every table the same way.
Prints "N failures" last."""
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

db = Path(sys.argv[1])
old = "--old" in sys.argv[2:]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


PARTITIONED = ["data_values", "indicator_values"]
SINGLE = ["indicators", "data_elements", "areas", "submissions", "issues", "rule_summary", "changes", "progress"]
# The tables whose files must say how their rows are sorted (the first columns of their order).
SORTED = {
    "data_values": ["data_element", "area", "sex", "age", "residence", "derived", "source_file", "source_cell"],
    "indicator_values": ["indicator", "area", "sex", "age", "residence"],
    "progress": ["indicator", "area", "sex", "age", "target_year"],
    "indicators": ["indicator"],
    "data_elements": ["data_element"],
    "areas": ["area"],
    "issues": ["source_file", "source_sheet"],
}
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


def key(value, nulls_first):
    # Nulls before or after every value; strings compare by code point, which is
    # their UTF-8 bytes' order (Parquet's order for UTF8).
    return (0, None) if value is None and nulls_first else (2, None) if value is None else (1, value)


def check_sorted(table, path):
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    want = [c for c in SORTED[table] if c in names]
    rows = pq.read_table(path).to_pylist()
    for g in range(meta.num_row_groups):
        cols = meta.row_group(g).sorting_columns
        got = [names[c.column_index] for c in cols]
        if got != want:
            fail(f"{path}: row group {g} sorting_columns {got}, expected {want}")
            return
        if any(c.descending for c in cols):
            fail(f"{path}: a descending sorting column")
    cols = meta.row_group(0).sorting_columns if meta.num_row_groups else []
    keys = [tuple(key(r[names[c.column_index]], c.nulls_first) for c in cols) for r in rows]
    bad = next((i for i in range(1, len(keys)) if keys[i - 1] > keys[i]), None)
    if bad is not None:
        fail(f"{path}: rows {bad - 1} and {bad} are not in the declared order {want}: {keys[bad - 1]} > {keys[bad]}")


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
    if not old and table in SORTED:
        for f in files:
            check_sorted(table, f)
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
