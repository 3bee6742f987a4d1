"""Checks wcmon's report workbook with independent readers: openpyxl for the
workbook, DuckDB for the database it was made from, zipfile for the package.

    python3 check_report_xlsx.py XLSX DB AREA KIND [--formula-text TEXT ...] [--year Y]

--year Y: the report is for year Y (values up to Y; the statuses, from the database's one
assessment, carry the year they are as of in their column headers when it is later than Y).

Exits non-zero with the reasons when a check fails; prints what it checked.
"""

import sys
import zipfile

import duckdb
import openpyxl

xlsx, db, area, kind = sys.argv[1:5]
formula_texts = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--formula-text"]
report_year = next((int(sys.argv[i + 1]) for i, a in enumerate(sys.argv) if a == "--year"), None)
problems = []
checked = {}


def fail(msg):
    problems.append(msg)


con = duckdb.connect()
iv = f"read_parquet('{db}/indicator_values/*/*.parquet', hive_partitioning = true)"
if report_year is None:
    report_year = con.sql(f"SELECT max(year) FROM {iv} WHERE value IS NOT NULL").fetchall()[0][0]
# The year the database's statuses are as of: the latest year of the area's progress rows.
assessed = con.execute(f"SELECT max(latest_year) FROM '{db}/progress.parquet' WHERE area = ?", [area]).fetchall()[0][0]
as_of = f"（{assessed}年评定）" if assessed is not None and assessed > report_year else ""
catalogue = {r[0]: (r[1], r[2]) for r in con.sql(f"SELECT indicator, plan, domain FROM '{db}/indicators.parquet'").fetchall()}

wb = openpyxl.load_workbook(xlsx)
names = wb.sheetnames
for required in ["预警", "数据质量"]:
    if required not in names:
        fail(f"sheet {required} missing: {names}")

# Domain sheets: their header row (row 4) starts with 指标代码 and 名称.
domain_sheets = [ws for ws in wb.worksheets if ws.cell(4, 1).value == "指标代码" and ws.cell(4, 2).value == "名称"]
seen = {}
SEX = {"合计": "_T", "女": "F", "男": "M"}
values_checked = 0
for ws in domain_sheets:
    header = [c.value for c in ws[4]]
    col = {h: i for i, h in enumerate(header) if h}
    for h in ["单位", "基期值", "最新值", "95%区间下限", "95%区间上限", "2025年目标", "2030年目标", "进展状态" + as_of, "预警说明" + as_of, "责任单位"]:
        if h not in col:
            fail(f"{ws.title}: column {h} missing ({header})")
    if ws.freeze_panes != "C5":
        fail(f"{ws.title}: header not frozen (freeze_panes {ws.freeze_panes})")
    groups = set()
    r = 5
    while ws.cell(r, 1).value:
        code = ws.cell(r, 1).value
        seen[code] = seen.get(code, 0) + 1
        if code in catalogue:
            groups.add(catalogue[code])
        else:
            fail(f"{ws.title}: {code} is not in indicators.parquet")
        row = [c for c in ws[r]]
        latest, year = row[col["最新值"]], row[col["最新年"]]
        sex = SEX.get(row[col["性别"]].value)
        if latest.value is not None:
            if int(year.value) > report_year:
                fail(f"{ws.title}!{year.coordinate}: latest year {year.value} after the report year {report_year}")
            if latest.data_type != "n":
                fail(f"{ws.title}!{latest.coordinate}: the latest value is not a number")
            unit = row[col["单位"]].value
            want_fmt = {"%": "0.0", "‰": "0.00", "1/10万": "0.0", "人": "#,##0"}.get(unit)
            if want_fmt and latest.number_format != want_fmt:
                fail(f"{ws.title}!{latest.coordinate}: number format {latest.number_format!r} for unit {unit}")
            rows = con.execute(
                f"SELECT value, ci_low, ci_high FROM {iv} WHERE indicator = ? AND area = ? AND year = ? AND sex = ? AND residence = '_T'",
                [code, area, int(year.value), sex],
            ).fetchall()
            if not any(v is not None and abs(v - latest.value) <= 1e-9 * max(1.0, abs(v)) for v, _, _ in rows):
                fail(f"{ws.title}!{latest.coordinate}: {code} {year.value} {sex} = {latest.value}, DuckDB has {[x[0] for x in rows]}")
            lo = row[col["95%区间下限"]].value
            if lo is not None and not any(l is not None and abs(l - lo) <= 1e-9 * max(1.0, abs(l)) for _, l, _ in rows):
                fail(f"{ws.title}: {code} interval low {lo} not in DuckDB {[x[1] for x in rows]}")
            values_checked += 1
        r += 1
    if len(groups) != 1:
        fail(f"{ws.title}: indicators of {len(groups)} plan × domain groups: {groups}")
missing = sorted(set(catalogue) - set(seen))
twice = sorted(k for k, n in seen.items() if n > 1)
if missing or twice:
    fail(f"indicators not on a domain sheet: {missing}; on two: {twice}")
groups_db = {v for v in catalogue.values()}
if len(domain_sheets) != len(groups_db):
    fail(f"{len(domain_sheets)} domain sheets for {len(groups_db)} plan × domain groups")
checked["domain_sheets"] = len(domain_sheets)
checked["latest_values_compared"] = values_checked

# 预警: one row per progress row of the assessed target years with one of the plans' early
# warnings (预计难以完成 / 波动较大 / 倒退 / 达标后回落 / 最新年份缺数), as the HTML report's list:
# not 'no_data' or 'not_distinguishable' alone.
years = {"annual": [2025, 2030], "midterm": [2025], "final": [2030]}[kind]
want = con.execute(
    f"""SELECT count(*) FROM '{db}/progress.parquet' WHERE area = ? AND target_year IN ({','.join(map(str, years))})
        AND list_filter(string_split(coalesce(warnings, ''), ','),
            lambda x: x IN ('projected_miss', 'fluctuating', 'deteriorating', 'regressed_after_meeting', 'latest_missing')) <> []""",
    [area],
).fetchone()[0]
ws = wb["预警"]
if ws.cell(3, 10).value != "进展状态" + as_of:
    fail(f"预警!J3 is {ws.cell(3, 10).value!r}, not 进展状态{as_of}")
got = 0
r = 4
while ws.cell(r, 1).value:
    got += 1
    r += 1
if got != want:
    fail(f"预警 has {got} rows, progress.parquet {want}")
checked["warnings"] = got

# Charts: a native line chart per indicator with a value for the area.
with_data = con.execute(f"SELECT count(DISTINCT indicator) FROM {iv} WHERE area = ? AND value IS NOT NULL AND year <= ?", [area, report_year]).fetchone()[0]
z = zipfile.ZipFile(xlsx)
charts = [n for n in z.namelist() if n.startswith("xl/charts/chart") and n.endswith(".xml")]
line = [n for n in charts if b"<c:lineChart>" in z.read(n)]
opened = sum(len(ws._charts) for ws in wb.worksheets)
if len(line) != with_data or len(charts) != with_data:
    fail(f"{len(charts)} charts ({len(line)} line charts) for {with_data} indicators with data")
checked["charts"] = len(charts)
checked["charts_openpyxl_sees"] = opened
if opened != len(charts):
    fail(f"openpyxl sees {opened} charts, the package has {len(charts)}")

# No formula anywhere; text from returns that looks like a formula is a string.
for n in z.namelist():
    if n.startswith("xl/worksheets/sheet") and b"<f>" in z.read(n) or (n.startswith("xl/worksheets/sheet") and b"<f " in z.read(n)):
        fail(f"{n} holds a formula")
for text in formula_texts:
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == text]
    if not cells:
        fail(f"{text!r} is in no cell")
    for c in cells:
        if c.data_type != "s":
            fail(f"{c.parent.title}!{c.coordinate} holds {text!r} as {c.data_type}, not a string")
    checked[f"cells holding {text!r}"] = len(cells)

print(checked)
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
