#!/usr/bin/env python3
"""The public export attacked from outside: python3 check_disclosure.py DB OUT PIPELINES

DB is the internal database (its true values), OUT the export (OUT/public, OUT/internal),
PIPELINES the pipeline files (which data elements are sensitive; [disclosure] threshold and
protection). Independently of wcmon's own solver:

1. no public value of a sensitive count below the top area lies in [1, threshold);
2. every additive relation that holds in the true values (towns -> county, F + M = _T,
   U + R = _T, non-overlapping age groups -> _T, and each published indicator numerator or
   denominator as the sum of its data elements) has 0 or at least 2 withheld cells;
3. an attacker who knows everything published (every such relation, counts >= 0) gets,
   by linear programming (scipy.optimize.linprog), for every primary cell x a feasible
   interval reaching x + protection and x - min(x, protection): wider than the protection;
4. a published pooled value pools only published years; nothing withheld is in the public
   tables; no source file, sheet or cell column is public.

Prints the counts and "N failures"; exits 1 on any failure.
"""
import collections
import os
import sys
import tomllib

import duckdb
import numpy as np
from scipy.optimize import linprog

db, out, pipelines = sys.argv[1:4]
cur = os.path.join(db, "current")
pub = os.path.join(out, "public")
con = duckdb.connect()
failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 30:
        print("FAIL:", msg)


cat = tomllib.load(open(os.path.join(pipelines, "indicators.toml"), "rb"))
rules = tomllib.load(open(os.path.join(pipelines, "rules.toml"), "rb"))
disc = rules.get("disclosure", {})
threshold = disc.get("threshold", 3.0)
protection = disc.get("protection", 3.0)
sensitive = {d["code"] for d in cat["data_element"] if d.get("sensitive")}
for ind in cat["indicator"]:
    if ind.get("sensitive"):
        sensitive |= {t["data_element"] for t in ind.get("numerator", [])}
assert sensitive, "no sensitive data element in the catalogue"
sens_list = "(" + ",".join(f"'{s}'" for s in sorted(sensitive)) + ")"

areas = {a: p for a, p in con.sql(f"select area, parent from '{cur}/areas.parquet'").fetchall()}
top = {a for a, p in areas.items() if p is None or p not in areas}
children = collections.defaultdict(list)
for a, p in areas.items():
    if p in areas:
        children[p].append(a)

# Public source columns.
for table in ["data_values", "indicator_values"]:
    cols = [r[0] for r in con.sql(f"describe select * from read_parquet('{pub}/{table}/*/*.parquet', hive_partitioning = true)").fetchall()]
    for c in ["source_file", "source_sheet", "source_cell"]:
        if c in cols:
            fail(f"public {table} has column {c}")
    if "conf_status" not in cols:
        fail(f"public {table} has no conf_status")
if os.path.exists(os.path.join(pub, "suppression.parquet")):
    fail("suppression.parquet is in the public folder")

# True and public cells of the sensitive data elements.
true_rows = con.sql(f"""select data_element, year, area, sex, age, residence, value
    from read_parquet('{cur}/data_values/*/*.parquet', hive_partitioning = true)
    where data_element in {sens_list} and value is not null""").fetchall()
pub_rows = con.sql(f"""select data_element, year, area, sex, age, residence, value, conf_status, obs_status
    from read_parquet('{pub}/data_values/*/*.parquet', hive_partitioning = true)
    where data_element in {sens_list}""").fetchall()
truth = {}
for de, y, a, s, g, r, v in true_rows:
    truth[(de, y, a, s, g, r)] = v
public = {}
status = {}
for de, y, a, s, g, r, v, cs, obs in pub_rows:
    k = (de, y, a, s, g, r)
    public[k] = v
    status[k] = cs
    if cs in ("C", "D") and (v is not None or obs != "Q"):
        fail(f"{k}: conf_status {cs} but value {v}, obs_status {obs}")
    if cs == "F" and k in truth and v != truth[k]:
        fail(f"{k}: published {v}, true {truth[k]}")
n_cells = len(public)
n_primary = sum(1 for c in status.values() if c == "C")
n_secondary = sum(1 for c in status.values() if c == "D")
print(f"sensitive cells {n_cells}: primary {n_primary}, secondary {n_secondary}")
if n_primary == 0:
    fail("no primary cell at all: the sample has small sensitive counts")

# 1. No small count published below the top.
for k, v in public.items():
    if k[2] not in top and v is not None and 1 <= v < threshold:
        fail(f"{k}: small count {v} published")
    if k in truth and k[2] not in top and 0 < truth[k] < threshold and status[k] != "C":
        fail(f"{k}: true value {truth[k]} is not primary ({status[k]})")


def age_interval(code):
    if not code.startswith("Y"):
        return None
    rest = code[1:]
    try:
        if rest.startswith("_LT"):
            return (0, int(rest[3:]))
        if rest.startswith("_GE"):
            return (int(rest[3:]), 10**9)
        if "T" in rest:
            a, b = rest.split("T")
            return (int(a), int(b) + 1)
        return (int(rest), int(rest) + 1)
    except ValueError:
        return None


def holds(total, parts):
    return abs(total - sum(parts)) <= 1e-6 * max(1.0, abs(total))


# The relations, per (data element, year): (total key, [part keys]).
relations = collections.defaultdict(list)
by_table = collections.defaultdict(list)
for k in truth:
    by_table[(k[0], k[1])].append(k)
for (de, y), keys in by_table.items():
    ks = set(keys)
    for k in keys:
        _, _, a, s, g, r = k
        cands = []
        kids = [(de, y, c, s, g, r) for c in children.get(a, [])]
        kids = [x for x in kids if x in ks]
        if kids:
            cands.append(kids)
        if s == "_T" and (de, y, a, "F", g, r) in ks and (de, y, a, "M", g, r) in ks:
            cands.append([(de, y, a, "F", g, r), (de, y, a, "M", g, r)])
        if r == "_T" and (de, y, a, s, g, "U") in ks and (de, y, a, s, g, "R") in ks:
            cands.append([(de, y, a, s, g, "U"), (de, y, a, s, g, "R")])
        if g == "_T":
            groups = [x for x in keys if x[2] == a and x[3] == s and x[5] == r and x[4] != "_T" and age_interval(x[4])]
            ivs = sorted(age_interval(x[4]) for x in groups)
            if len(groups) >= 2 and all(ivs[i][1] <= ivs[i + 1][0] for i in range(len(ivs) - 1)):
                cands.append(groups)
        for parts in cands:
            if holds(truth[k], [truth[p] for p in parts]):
                relations[(de, y)].append((k, parts))

# Published indicator numerators and denominators: sums of data element cells.
terms = {}
for ind in cat["indicator"]:
    terms[ind["code"]] = [("numerator", ind.get("numerator", [])), ("denominator", ind.get("denominator", []))]
iv = con.sql(f"""select indicator, year, area, sex, age, residence, numerator, denominator, conf_status,
        pooled_numerator, pooled_from_year
    from read_parquet('{pub}/indicator_values/*/*.parquet', hive_partitioning = true)""").fetchall()
iv_status = {}
n_ind_eq = 0
for ind, y, a, s, g, r, num, den, cs, pnum, pfrom in iv:
    iv_status[(ind, y, a, s, g, r)] = cs
    for role, ts, pv in [(t[0], t[1], num if t[0] == "numerator" else den) for t in terms.get(ind, [])]:
        if pv is None or not ts or not any(t["data_element"] in sensitive for t in ts):
            continue
        keys = [(t["data_element"], y, a, t.get("sex") or s, t.get("age") or g, t.get("residence") or r) for t in ts]
        if not all(k in truth for k in keys):
            continue
        if holds(pv, [truth[k] for k in keys]):
            # A published total: the sum of these cells is known.
            n_ind_eq += 1
            if len({k[0] for k in keys}) == 1:
                relations[(keys[0][0], y)].append((("__published__", pv), keys))
            elif any(status.get(k) in ("C", "D") for k in keys):
                fail(f"indicator {ind} {y} {a}: published {role} {pv} sums withheld cells of several elements {keys}")
        elif any(status.get(k) in ("C", "D") for k in keys):
            # Not the cells' sum (a sum over other areas), published while a cell is withheld.
            fail(f"indicator {ind} {y} {a}: {role} {pv} published though not the sum of its cells and {keys} are withheld")
print(f"relations {sum(len(v) for v in relations.values())} in {len(relations)} tables; indicator sums {n_ind_eq}")

# 4. A pooled value pools only published years.
for ind, y, a, s, g, r, num, den, cs, pnum, pfrom in iv:
    if pnum is not None and pfrom is not None:
        for py in range(pfrom, y + 1):
            if iv_status.get((ind, py, a, s, g, r), "F") != "F":
                fail(f"indicator {ind} {y} {a} {s}: pooled numerator published over withheld year {py}")

# 2. Groups: 0 or >= 2 withheld cells.
n_groups = 0
for tab, rels in relations.items():
    for total, parts in rels:
        members = list(parts) + ([total] if total[0] != "__published__" else [])
        k = sum(1 for m in members if status.get(m) in ("C", "D"))
        n_groups += 1
        if k == 1:
            fail(f"relation {total} = {parts}: exactly one withheld cell")
print(f"additive groups checked {n_groups}")

# 3. The attack.
n_attacked = 0
worst = None
for tab, rels in sorted(relations.items()):
    hidden = sorted({k for k in by_table[tab] if status.get(k) in ("C", "D")})
    primaries = [k for k in hidden if status[k] == "C"]
    if not primaries:
        continue
    idx = {k: i for i, k in enumerate(hidden)}
    a_eq, b_eq = [], []
    for total, parts in rels:
        row = np.zeros(len(hidden))
        rhs = 0.0
        if total[0] == "__published__":
            rhs += total[1]
        elif total in idx:
            row[idx[total]] -= 1
        else:
            rhs += public[total]
        for p in parts:
            if p in idx:
                row[idx[p]] += 1
            else:
                rhs -= public[p]
        if np.any(row != 0):
            a_eq.append(row)
            b_eq.append(rhs)
        elif abs(rhs) > 1e-6:
            fail(f"relation {total} = {parts} does not hold in the published values")
    a_eq = np.array(a_eq) if a_eq else None
    b_eq = np.array(b_eq) if b_eq else None
    for p in primaries:
        c = np.zeros(len(hidden))
        c[idx[p]] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if lo.status != 0:
            fail(f"{p}: the attacker's minimum failed: {lo.message}")
            continue
        low = lo.fun
        high = float("inf") if hi.status == 3 else (-hi.fun if hi.status == 0 else None)
        if high is None:
            fail(f"{p}: the attacker's maximum failed: {hi.message}")
            continue
        v = truth[p]
        n_attacked += 1
        width = high - low
        if worst is None or width < worst[0]:
            worst = (width, p, low, high, v)
        if not (low <= v + 1e-6 and high >= v - 1e-6):
            fail(f"{p}: true value {v} outside the attacker's interval [{low}, {high}]")
        if high < v + protection - 1e-6 or low > v - min(v, protection) + 1e-6:
            fail(f"{p}: true value {v}, attacker's interval [{low:.3f}, {high:.3f}] narrower than the protection {protection}")
        if width < protection - 1e-6:
            fail(f"{p}: interval width {width} below the protection {protection}")
print(f"primary cells attacked {n_attacked}; narrowest interval {worst}")
if n_attacked != n_primary:
    fail(f"attacked {n_attacked} of {n_primary} primary cells")

# Withheld rows of the other public tables: nothing of their values left.
for table, cols in [("progress", ["latest_value", "baseline_value", "projected_value", "status"]), ("gaps", ["value", "reference_value", "difference", "numerator"])]:
    path = f"{pub}/{table}.parquet"
    if not os.path.exists(path):
        continue
    cond = " or ".join(f"{c} is not null" for c in cols)
    n = con.sql(f"select count(*) from '{path}' where conf_status <> 'F' and ({cond})").fetchall()[0][0]
    if n:
        fail(f"{table}: {n} withheld rows keep a value")
n = con.sql(f"""select count(*) from read_parquet('{pub}/indicator_values/*/*.parquet', hive_partitioning = true)
    where conf_status <> 'F' and (value is not null or numerator is not null or denominator is not null or ci_low is not null)""").fetchall()[0][0]
if n:
    fail(f"indicator_values: {n} withheld rows keep a value")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
