"""The county's direction-only targets (target_kind = 'trend') in progress.parquet,
recomputed with scipy from indicator_values: Theil–Sen slope (theilslopes), the
Mann–Kendall p-value (kendalltau of value on year), the class and its status.

Usage: check_trends.py DB PIPELINES_DIR. Prints "N failures".
"""

import sys
import tomllib
from pathlib import Path

import duckdb
from scipy.stats import kendalltau, theilslopes

db, pipelines = Path(sys.argv[1]), Path(sys.argv[2])
rules = tomllib.load(open(pipelines / "rules.toml", "rb"))["progress"]
alpha, min_years = rules.get("trend_alpha", 0.1), rules.get("trend_min_years", 4)
cat = {i["code"]: i for i in tomllib.load(open(pipelines / "indicators.toml", "rb"))["indicator"]}
con = duckdb.connect()
rows = con.sql(f"""select indicator, sex, status, trend_class, observed_rate, trend_p_value
                   from '{db}/progress.parquet' where area = '421321' and target_kind = 'trend'""").fetchall()
failures = 0
trend_codes = {c for c, i in cat.items() if i["target_kind"] == "trend"}
seen = {r[0] for r in rows}
if seen != trend_codes:
    print(f"FAIL trend rows for {sorted(seen ^ trend_codes)}")
    failures += 1
checked = 0
for code, sex, status, klass, slope, p in rows:
    ind = cat[code]
    series = con.sql(f"""select year, value from read_parquet('{db}/indicator_values/*/*.parquet', hive_partitioning = true)
                         where indicator = '{code}' and area = '421321' and sex = '{sex}' and age = '{ind.get("age", "_T")}'
                           and residence = '_T' and value is not null and year >= {ind.get("baseline_year", 2020)} order by year""").fetchall()
    if len(series) < min_years:
        if klass != "insufficient_data" or status != "insufficient_data":
            print(f"FAIL {code} {sex}: {len(series)} years, {klass} {status}")
            failures += 1
        continue
    years, values = [r[0] for r in series], [r[1] for r in series]
    ts = theilslopes(values, years)
    kt = kendalltau(years, values)
    pv = 1.0 if kt.statistic == 0 or kt.pvalue != kt.pvalue else kt.pvalue
    if abs(ts.slope - slope) > 1e-9 * max(1, abs(slope)) or abs(pv - p) > 1e-9:
        print(f"FAIL {code} {sex}: slope {slope} vs {ts.slope}, p {p} vs {pv}")
        failures += 1
    higher = ind["direction"] != "decrease"
    if pv < alpha and kt.statistic != 0:
        want = "improving" if (kt.statistic > 0) == higher else "deteriorating"
    else:
        want = "no_clear_change"
    maintain = ind["direction"] == "maintain"
    want_status = {"improving": "on_track", "no_clear_change": "limited_progress", "deteriorating": "deterioration"}[want]
    if maintain:
        want_status = "on_track" if want == "no_clear_change" else "limited_progress"
    if klass != want or status not in (want_status, "not_assessable"):
        print(f"FAIL {code} {sex}: {klass} {status}, recomputed {want} {want_status}")
        failures += 1
    checked += 1
if checked < 20:
    print(f"FAIL only {checked} trend series checked")
    failures += 1
print(f"checked {checked} county trend series")
print(f"{failures} failures")
