"""Recompute the county's sex gaps of gaps.parquet from data_values, independently of wcmon.

Usage: check_gaps.py DB PIPELINES_DIR

For every indicator with a county sex gap (and, below, every county gap between
rural and urban, dimension residence: R against U, each side's counts summed
from the towns' values reported at that residence): the numerators and denominators of
both groups are summed here from the towns' reported values in data_values
(towns reporting every term of both sides; the county's own values where no
town reports them), and the intervals are computed with statsmodels and scipy:
Newcombe's hybrid score interval (confint_proportions_2indep, method "newcomb"),
the Katz log interval of a ratio of proportions (scipy's relative_risk), the
log interval of a rate ratio (confint_poisson_2indep, "wald-log"), the MOVER
difference of rates from exact Poisson limits (chi-squared quantiles) and the
Wilson interval of a share (proportion_confint, "wilson"). Prints "N failures"
and the number of indicators checked.
"""

import math
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import duckdb
from scipy.stats import chi2
from scipy.stats.contingency import relative_risk
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep

db, pipelines = Path(sys.argv[1]), Path(sys.argv[2])
COUNTY = "421321"
catalogue = tomllib.load(open(pipelines / "indicators.toml", "rb"))
indicators = {i["code"]: i for i in catalogue["indicator"]}
con = duckdb.connect()
towns = {r[0] for r in con.sql(f"select area from '{db}/areas.parquet' where parent = '{COUNTY}'").fetchall()}
values = {}
for de, area, year, sex, age, res, value, derived in con.sql(
    f"""select data_element, area, year, sex, age, residence, value, derived
        from read_parquet('{db}/data_values/*/*.parquet', hive_partitioning = true) where value is not null"""
).fetchall():
    values[(de, area, year, sex, age, res)] = (value, derived)
gaps = con.sql(
    f"""select indicator, year, age, kind, value, reference_value, numerator, denominator, reference_numerator,
               reference_denominator, difference, difference_ci_low, difference_ci_high, ratio, ratio_ci_low, ratio_ci_high, method
        from '{db}/gaps.parquet' where area = '{COUNTY}' and dimension = 'sex' and "group" = 'F' and reference_group = 'M'"""
).fetchall()

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def term_value(t, area, year, sex, res=None):
    """A term's reported value at an area with the group's sex (and residence) (None when not reported)."""
    key = (t["data_element"], area, year, sex, t.get("age", "_T"), res or t.get("residence", "_T"))
    v = values.get(key)
    return None if v is None else v[0]


def sides(ind, year, sex_of, res=None):
    """Σ numerator and Σ denominator over the towns reporting every term, else the county's own."""
    terms_n, terms_d = ind["numerator"], ind["denominator"]

    def at(area):
        n = [term_value(t, area, year, sex_of(t), res) for t in terms_n]
        d = [term_value(t, area, year, sex_of(t), res) for t in terms_d]
        if None in n or None in d:
            return None
        return sum(n), sum(d)

    pairs = [p for p in (at(a) for a in towns) if p is not None]
    if pairs:
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    return at(COUNTY)


def garwood(x):
    lo = 0.0 if x == 0 else chi2.ppf(0.025, 2 * x) / 2
    return lo, chi2.ppf(0.975, 2 * x + 2) / 2


def rate_want(ind, x1, n1, x2, n2, method, where):
    """The published numbers of a gap between two groups' rates or proportions, recomputed."""
    f = ind["factor"]
    want = dict(value=x1 / n1 * f, ref=x2 / n2 * f, diff=(x1 / n1 - x2 / n2) * f, ratio=(x1 / n1) / (x2 / n2) if x2 > 0 else None)
    if ind["unit"] == "%" and x1 <= n1 and x2 <= n2:
        if method != "newcombe+katz":
            fail(f"{where}: method {method} for a proportion")
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        ci = relative_risk(int(x1), int(n1), int(x2), int(n2)).confidence_interval(0.95)
        want.update(dlo=lo * f, dhi=hi * f, rlo=ci.low, rhi=ci.high)
    else:
        if method != "mover_poisson+log_rate_ratio":
            fail(f"{where}: method {method} for a rate")
        (a1, b1), (a2, b2) = garwood(x1), garwood(x2)
        r1, r2 = x1 / n1, x2 / n2
        d = r1 - r2
        lo = d - math.sqrt((r1 - a1 / n1) ** 2 + (b2 / n2 - r2) ** 2)
        hi = d + math.sqrt((b1 / n1 - r1) ** 2 + (r2 - a2 / n2) ** 2)
        want.update(dlo=lo * f, dhi=hi * f)
        if x1 > 0 and x2 > 0:
            rl, rh = confint_poisson_2indep(x1, n1, x2, n2, method="wald-log", compare="ratio")
            want.update(rlo=rl, rhi=rh)
        else:
            want.update(rlo=None, rhi=None)
    return want


checked = set()
for code, year, age, kind, value, ref_value, num, den, ref_num, ref_den, diff, dlo, dhi, ratio, rlo, rhi, method in gaps:
    ind = indicators[code]
    f = ind["factor"]
    where = f"{code} {year}"
    if kind == "share":
        # The female share of one count: F and the total from data_values, M as published there.
        t = ind["numerator"][0]
        fx = sides({"numerator": [t], "denominator": [dict(ind["denominator"][0], sex="_T")]}, year, lambda t: t.get("sex", "_T"))
        if fx is None:
            fail(f"{where}: no counts in data_values")
            continue
        F, T = fx
        m_rows = [term_value(t, a, year, "M") for a in towns]
        M = sum(x for x in m_rows if x is not None) if any(x is not None for x in m_rows) else term_value(t, COUNTY, year, "M")
        if not (close(num, F) and close(den, T) and close(ref_num, T - F)):
            fail(f"{where}: counts F {num}/{den} M {ref_num}, data_values F {F}/{T}")
        if M is not None and not close(ref_num, M):
            fail(f"{where}: men {ref_num}, data_values M {M}")
        p = F / T
        lo, hi = proportion_confint(F, T, alpha=0.05, method="wilson")
        want = dict(value=p * f, ref=(1 - p) * f, diff=(2 * p - 1) * f, dlo=(2 * lo - 1) * f, dhi=(2 * hi - 1) * f,
                    ratio=F / (T - F), rlo=lo / (1 - lo), rhi=hi / (1 - hi))
        tol = 1e-9
    else:
        mirror = all(t.get("sex") == "F" for t in ind["numerator"] + ind["denominator"])
        g = sides(ind, year, (lambda t: "F") if mirror else (lambda t: t.get("sex", "F")))
        r = sides(ind, year, (lambda t: "M") if mirror else (lambda t: t.get("sex", "M")))
        if g is None or r is None:
            fail(f"{where}: no counts in data_values")
            continue
        (x1, n1), (x2, n2) = g, r
        if not (close(num, x1) and close(den, n1) and close(ref_num, x2) and close(ref_den, n2)):
            fail(f"{where}: counts {num}/{den} vs {ref_num}/{ref_den}, data_values {x1}/{n1} vs {x2}/{n2}")
            continue
        want = rate_want(ind, x1, n1, x2, n2, method, where)
        tol = 1e-7
    got = dict(value=value, ref=ref_value, diff=diff, dlo=dlo, dhi=dhi, ratio=ratio, rlo=rlo, rhi=rhi)
    for k, w in want.items():
        w = None if w is None else float(w)
        if not close(got[k], w, tol):
            fail(f"{where} {k}: wcmon {got[k]}, recomputed {w}")
    checked.add(code)

if len(checked) < 25:
    fail(f"only {len(checked)} indicators have county sex gaps: {sorted(checked)}")
print(f"checked {len(gaps)} county sex gaps of {len(checked)} indicators: {sorted(checked)}")


# Rural against urban: each side from the towns' values reported at that residence.
res_gaps = con.sql(
    f"""select indicator, year, sex, age, kind, value, reference_value, numerator, denominator, reference_numerator,
               reference_denominator, difference, difference_ci_low, difference_ci_high, ratio, ratio_ci_low, ratio_ci_high, method
        from '{db}/gaps.parquet' where area = '{COUNTY}' and dimension = 'residence' and "group" = 'R' and reference_group = 'U'"""
).fetchall()
res_checked = set()
for code, year, sex, age, kind, value, ref_value, num, den, ref_num, ref_den, diff, dlo, dhi, ratio, rlo, rhi, method in res_gaps:
    ind = indicators[code]
    where = f"{code} {year} R/U"
    g = sides(ind, year, lambda t: t.get("sex", "_T"), "R")
    r = sides(ind, year, lambda t: t.get("sex", "_T"), "U")
    if g is None or r is None:
        fail(f"{where}: no counts by residence in data_values")
        continue
    (x1, n1), (x2, n2) = g, r
    if kind != "rate" or not (close(num, x1) and close(den, n1) and close(ref_num, x2) and close(ref_den, n2)):
        fail(f"{where}: {kind} counts {num}/{den} vs {ref_num}/{ref_den}, data_values {x1}/{n1} vs {x2}/{n2}")
        continue
    want = rate_want(ind, x1, n1, x2, n2, method, where)
    got = dict(value=value, ref=ref_value, diff=diff, dlo=dlo, dhi=dhi, ratio=ratio, rlo=rlo, rhi=rhi)
    for k, w in want.items():
        w = None if w is None else float(w)
        if not close(got[k], w, 1e-7):
            fail(f"{where} {k}: wcmon {got[k]}, recomputed {w}")
    res_checked.add(code)
if len(res_checked) < 5:
    fail(f"only {len(res_checked)} indicators have county residence gaps: {sorted(res_checked)}")
print(f"checked {len(res_gaps)} county residence gaps of {len(res_checked)} indicators: {sorted(res_checked)}")
print(f"{failures} failures")
