#!/usr/bin/env python3
"""Every published table of a wcmon database read by Spark (pyspark, local mode,
the machine's Java 17 or newer), with the types a Spark user expects.

    python3 bench/spark.py DB            # a database made by `wcmon run` (e.g. --db /tmp/db)
    python3 bench/spark.py               # makes one from sample_data with target/debug/wcmon

pyspark is not among the test clients (tests/requirements.txt): it is a 300+ MB
install with a JVM, too slow for CI. Install it in a virtualenv of its own:

    python3 -m venv target/spark-env && target/spark-env/bin/pip install pyspark pyarrow
    target/spark-env/bin/python bench/spark.py

Checked for every table (`*.parquet` at the top of DB, and the year-partitioned
folders data_values/ and indicator_values/ as one table with `year` from the
folder names):

- Spark's type of each column follows from the file's Arrow type (pyarrow):
  int64 → bigint (counts: never decimal(20,0) as unsigned 64-bit integers were),
  int32 → int, string/large_string → string, float64 → double, bool → boolean;
  no column is a decimal, binary or an unknown type;
- the row count equals pyarrow's;
- a filter on a string column and a group-by run (a string compared with a
  string literal: what failed with Arrow string_view in pyarrow).

Prints one line per table, the time taken, and "N failures" last; exits 1 on a failure.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

ROOT = Path(__file__).resolve().parent.parent
PARTITIONED = ["data_values", "indicator_values"]


def tables(db):
    out = {p.stem: p for p in sorted(db.glob("*.parquet"))}
    for t in PARTITIONED:
        if (db / t).is_dir():
            out[t] = db / t
    return out


def arrow_schema(path):
    if path.is_dir():
        return ds.dataset(path, format="parquet", partitioning="hive").schema
    return ds.dataset(path, format="parquet").schema


def arrow_rows(path):
    if path.is_dir():
        return ds.dataset(path, format="parquet", partitioning="hive").count_rows()
    return ds.dataset(path, format="parquet").count_rows()


def expected_spark(t):
    """Spark's simpleString for an Arrow type, or None when it is not one wcmon should write."""
    if t == pa.int64():
        return "bigint"
    if t == pa.int32():
        return "int"
    if t in (pa.string(), pa.large_string()):
        return "string"
    if t == pa.float64():
        return "double"
    if t == pa.bool_():
        return "boolean"
    return None


def main():
    if len(sys.argv) > 1:
        db = Path(sys.argv[1])
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "db"
        binary = ROOT / "target/debug/wcmon"
        subprocess.run([str(binary), "--pipelines", str(ROOT / "pipelines"), "run", "--inbox", str(ROOT / "sample_data"), "--db", str(db)],
                       check=True, stdout=subprocess.DEVNULL, env={**os.environ, "WCMON_LOG": "warn"})

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    started = time.time()
    spark = (SparkSession.builder.master("local[2]").appName("wcmon-spark-check")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version}, Java {spark.sparkContext._jvm.java.lang.System.getProperty('java.version')}, "
          f"pyarrow {pa.__version__}; session started in {time.time() - started:.1f} s")
    failures = 0

    def fail(msg):
        nonlocal failures
        failures += 1
        print("FAIL", msg)

    found = tables(db)
    if not found:
        fail(f"no table in {db}")
    for name, path in found.items():
        t0 = time.time()
        schema = arrow_schema(path)
        df = spark.read.option("mergeSchema", "false").parquet(str(path))
        spark_types = {f.name: f.dataType for f in df.schema.fields}
        for field in schema:
            want = expected_spark(field.type)
            got = spark_types.get(field.name)
            if got is None:
                fail(f"{name}.{field.name}: not in Spark's schema")
            elif want is None:
                fail(f"{name}.{field.name}: Arrow type {field.type} is not one wcmon writes")
            elif got.simpleString() != want:
                fail(f"{name}.{field.name}: Spark reads {got.simpleString()}, expected {want} (Arrow {field.type})")
        for f in df.schema.fields:
            if f.dataType.simpleString().startswith(("decimal", "binary")):
                fail(f"{name}.{f.name}: {f.dataType.simpleString()}")
        n = df.count()
        if n != arrow_rows(path):
            fail(f"{name}: Spark counts {n} rows, pyarrow {arrow_rows(path)}")
        # A filter on the first string column, by a value it has, and a group-by on it.
        strings = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
        if strings and n:
            c = strings[0]
            first = df.where(F.col(c).isNotNull()).select(c).first()
            if first is not None:
                v = first[0]
                kept = df.where(F.col(c) == F.lit(v)).count()
                grouped = {r[0]: r[1] for r in df.groupBy(c).count().collect()}
                if kept != grouped.get(v) or kept == 0:
                    fail(f"{name}: filter {c} = {v!r} kept {kept} rows, group-by says {grouped.get(v)}")
        kinds = ", ".join(sorted({f.dataType.simpleString() for f in df.schema.fields}))
        print(f"{name}: {n} rows, {len(df.schema.fields)} columns ({kinds}) in {time.time() - t0:.1f} s")
    spark.stop()
    print(f"all tables in {time.time() - started:.1f} s; {failures} failures")
    if tmp is not None:
        tmp.cleanup()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
