"""Every table of the registry (src/tables.rs, given as JSON) as published: its
files where the registry says (a partitioned table's `KEY=VALUE/part-N.parquet`,
else one file), the database's top level linking to them, nothing else in the
version, each file's row groups declaring the registry's order as
`sorting_columns` with the rows really in it, the grain unique (DuckDB), and the
manifest's row count.

Usage: python3 check_tables.py REGISTRY.json DB [--export OUT]
  DB             a database made by `wcmon run`
  --export OUT   also a public export of it (`wcmon export --public --out OUT`):
                 OUT/public holds exactly the public run tables (and the manifest),
                 OUT/internal exactly the export's internal tables.
Prints "N tables checked, M failures" last."""
import json
import re
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

registry = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
db = Path(sys.argv[2])
export = Path(sys.argv[sys.argv.index("--export") + 1]) if "--export" in sys.argv else None
MANIFEST = "manifest.json"
failures = 0
checked = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def entry(t):
    return t["name"] if t["partition_by"] else f"{t['name']}.parquet"


def files_of(folder, t):
    """The table's Parquet files under `folder`, or None (and a failure) when they are not as registered."""
    path = folder / entry(t)
    key = t["partition_by"]
    if not key:
        if not path.is_file():
            fail(f"{path}: missing")
            return None
        return [path]
    if not path.is_dir():
        fail(f"{path}: no folder")
        return None
    files = []
    for part in sorted(path.iterdir()):
        if not re.fullmatch(rf"{re.escape(key)}=-?\d+", part.name) or not part.is_dir():
            fail(f"{part}: not a {key}=VALUE partition")
            continue
        for f in sorted(part.iterdir()):
            if not re.fullmatch(r"part-\d+\.parquet", f.name):
                fail(f"{f}: not a part-N.parquet file")
            files.append(f)
    if not files:
        fail(f"{path}: no files")
        return None
    return files


def sort_key(value, nulls_first):
    # Nulls before or after every value; strings compare by code point, which is
    # their UTF-8 bytes' order (Parquet's order for UTF8).
    return (0, None) if value is None and nulls_first else (2, None) if value is None else (1, value)


def check_order(t, path):
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    want = [c for c in t["sort"] if c != t["partition_by"]]
    missing = [c for c in want if c not in names]
    if missing:
        fail(f"{path}: the registry's order names columns it does not have: {missing}")
        return
    for g in range(meta.num_row_groups):
        cols = meta.row_group(g).sorting_columns or ()
        got = [(names[c.column_index], c.descending, c.nulls_first) for c in cols]
        if got != [(c, False, t["nulls_first"]) for c in want]:
            fail(f"{path}: row group {g} sorting_columns {got}, registered {want} ascending, nulls first {t['nulls_first']}")
            return
    if not want:
        return
    rows = pq.read_table(path, columns=want).to_pylist()
    keys = [tuple(sort_key(r[c], t["nulls_first"]) for c in want) for r in rows]
    bad = next((i for i in range(1, len(keys)) if keys[i - 1] > keys[i]), None)
    if bad is not None:
        fail(f"{path}: rows {bad - 1} and {bad} are not in the registered order {want}: {keys[bad - 1]} > {keys[bad]}")


def check_table(t, folder, counts=None):
    """The table in `folder`: its files, order, grain and (given the manifest's counts) its row count."""
    global checked
    files = files_of(folder, t)
    if files is None:
        return
    checked += 1
    for f in files:
        check_order(t, f)
    con = duckdb.connect()
    if t["partition_by"]:
        src = f"read_parquet('{folder / entry(t)}/*/*.parquet', hive_partitioning = true)"
    else:
        src = f"read_parquet('{files[0]}')"
    rows = con.execute(f"select count(*) from {src}").fetchone()[0]
    columns = [r[0] for r in con.execute(f"select column_name from (describe select * from {src})").fetchall()]
    grain = t["grain"]
    absent = [c for c in grain if c not in columns]
    if absent:
        fail(f"{t['name']}: grain columns {absent} not in the table")
    elif grain:
        keys = ", ".join(f'"{c}"' for c in grain)
        dup = con.execute(f"select {keys}, count(*) as n from {src} group by all having count(*) > 1 limit 3").fetchall()
        if dup:
            fail(f"{t['name']}: the grain ({', '.join(grain)}) is not unique, e.g. {dup}")
    if counts is not None and counts.get(t["name"]) != rows:
        fail(f"{t['name']}: manifest row count {counts.get(t['name'])}, the table has {rows} rows")
    print(f"{t['name']}: {len(files)} files, {rows} rows, grain {grain} unique, order {t['sort']}")


def entries(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


run_tables = [t for t in registry if t["written"] != "export"]
manifest = json.loads((db / MANIFEST).read_text(encoding="utf-8"))
current = db / "current"
for t in run_tables:
    top = db / entry(t)
    if not top.is_symlink() or Path(top.readlink()) != Path("current") / entry(t):
        fail(f"{top}: not a link to current/{entry(t)}")
    check_table(t, current, manifest.get("row_counts", {}))
want = sorted([entry(t) for t in run_tables] + [MANIFEST])
if entries(current) != want:
    fail(f"{current}: holds {entries(current)}, the registry says {want}")
extra = set(manifest.get("row_counts", {})) - {t["name"] for t in run_tables}
if extra:
    fail(f"manifest.json counts rows of tables not in the registry: {sorted(extra)}")

if export:
    public = sorted([entry(t) for t in run_tables if t["audience"] == "public"] + [MANIFEST])
    if entries(export / "public") != public:
        fail(f"{export / 'public'}: holds {entries(export / 'public')}, the registry's public tables are {public}")
    internal = [t for t in registry if t["written"] == "export" and t["audience"] == "internal"]
    if entries(export / "internal") != sorted(entry(t) for t in internal):
        fail(f"{export / 'internal'}: holds {entries(export / 'internal')}, the registry says {[entry(t) for t in internal]}")
    for t in internal:
        check_table(t, export / "internal")

print(f"{checked} tables checked, {failures} failures")
sys.exit(1 if failures else 0)
