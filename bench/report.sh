#!/usr/bin/env bash
# Time of `wcmon report` against its targets (a benchmark, not a test):
#   the sample's county report            < 2 s
#   one county of the scale corpus        < 5 s   (a province database: the report reads one county's rows)
# Usage: bench/report.sh [WCMON] [RUNS] [COUNTIES]
#   default target/release/wcmon, 5 runs, 112 counties; prints each run and the median
# Builds what it needs under /tmp/wcmon-report-bench (kept for the next call): the sample's
# database, and the scale corpus (`wcmon generate --scale --counties 112 --years 10`,
# 10,080 returns) with its database. Generating and running it takes minutes; the
# timings are of `wcmon report` alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
wcmon=${1:-$here/target/release/wcmon}
runs=${2:-5}
counties=${3:-112}
work=/tmp/wcmon-report-bench
mkdir -p "$work"
cd "$here"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timeit() { # label, then the command
  local label=$1; shift
  local t=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc)")
  done
  echo "$label: runs ${t[*]} s; median $(printf '%s\n' "${t[@]}" | median) s"
}

if [ ! -e "$work/sample-db/current" ]; then
  "$wcmon" run --inbox sample_data --db "$work/sample-db" > /dev/null
fi
timeit "sample county report (target < 2 s)" "$wcmon" report --db "$work/sample-db" --out "$work/out-sample"

corpus=$work/corpus-$counties
if [ ! -e "$corpus/.generated" ]; then
  rm -rf "$corpus"
  "$wcmon" generate --scale --counties "$counties" --years 10 --out "$corpus" > /dev/null
  touch "$corpus/.generated"
fi
if [ ! -e "$corpus/db/current" ]; then
  "$wcmon" --pipelines "$corpus/pipelines" run --inbox "$corpus/inbox" --db "$corpus/db" > /dev/null || true
fi
county=$(python3 - "$corpus/db/current/areas.parquet" <<'PY'
import sys, duckdb
print(duckdb.sql(f"SELECT area FROM '{sys.argv[1]}' WHERE depth = 1 ORDER BY area LIMIT 1").fetchall()[0][0])
PY
)
timeit "one county ($county) of the $counties-county scale corpus (target < 5 s)" "$wcmon" report --db "$corpus/db" --area "$county" --out "$work/out-county"
