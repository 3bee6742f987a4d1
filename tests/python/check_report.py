"""Checks a wcmon HTML report in a real browser (headless Chromium) against the
database read independently with DuckDB.

    python3 check_report.py --html R.html --db DB --area CODE --year Y --kind annual|midterm|final
                            [--shot out.png] [--inject TEXT ...] [--since vNNNNNN]

Exit 0 when every check passes; otherwise prints what failed and exits 1.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

import duckdb
from PIL import Image

STATUS_ZH = {
    "achieved": "达标",
    "on_track": "进展顺利",
    "needs_acceleration": "需加快进度",
    "limited_progress": "进展有限",
    "deterioration": "倒退",
    "not_assessable": "无法判断",
    "insufficient_data": "数据不足",
}
KIND_ZH = {"annual": "年度监测报告", "midterm": "中期评估报告", "final": "终期评估报告"}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin"]:
            p = os.path.join(d, c)
            if os.path.isfile(p) and os.access(p, os.X_OK):
                return p
    sys.exit("no chromium on PATH (tests/apt-packages.txt lists it)")


def browser(args, url):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            sys.exit(f"chromium failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
        return r.stdout


class Dom(HTMLParser):
    """Elements, attributes, the text per id'd block, svgs inside each id'd div."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.refs = []  # (tag, attr, value) for src/href/xlink:href
        self.styles = []  # style attribute values and <style> text
        self.stack = []  # (tag, id)
        self.text_by_id = {}
        self.svg_in = {}
        self.text = []
        self.in_style = False
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.refs.append((tag, k, v or ""))
            if k == "style" and v:
                self.styles.append(v)
        if tag == "svg":
            for _, i in self.stack:
                if i:
                    self.svg_in[i] = self.svg_in.get(i, 0) + 1
        if tag == "style":
            self.in_style = True
        if tag == "title" and not any(t == "svg" for t, _ in self.stack):
            self.in_title = True
        if tag not in self.VOID:
            self.stack.append((tag, a.get("id")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag == "title":
            self.in_title = False
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)
            return
        if self.in_title:
            self.title += data
        self.text.append(data)
        for _, i in self.stack:
            if i:
                self.text_by_id.setdefault(i, []).append(data)

    def block(self, i):
        return "".join(self.text_by_id.get(i, []))


def fmt1(v):
    return f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--area", required=True)
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--kind", required=True)
    ap.add_argument("--shot")
    ap.add_argument("--inject", action="append", default=[])
    ap.add_argument("--since")
    ap.add_argument("--pdf", help="also print to this PDF and check it is A4 with a page per domain at least")
    a = ap.parse_args()
    cur = os.path.join(a.db, "current")
    url = "file://" + os.path.abspath(a.html)
    raw = open(a.html, encoding="utf-8").read()

    # 1. It renders: a screenshot that is not blank.
    shot = a.shot or os.path.join(tempfile.mkdtemp(), "shot.png")
    browser(["--window-size=1100,1500", f"--screenshot={shot}"], url)
    img = Image.open(shot).convert("RGB")
    w, h = img.size
    px = list(img.get_flattened_data()) if hasattr(img, 'get_flattened_data') else list(img.getdata())
    non_white = sum(1 for p in px if p[0] < 235 or p[1] < 235 or p[2] < 235)
    colours = len(set(px))
    check(non_white > 0.02 * w * h, f"screenshot nearly blank: {non_white} of {w * h} pixels not white")
    check(colours > 20, f"screenshot has only {colours} colours")

    # 2. The DOM after the browser ran the page.
    dom_html = browser(["--virtual-time-budget=3000", "--dump-dom"], url)
    dom = Dom()
    dom.feed(dom_html)
    text = "".join(dom.text)
    check(dom.tags.get("script", 0) == 0, f"{dom.tags.get('script', 0)} <script> elements in the DOM")
    check(dom.tags.get("img", 0) == 0, f"{dom.tags.get('img', 0)} <img> elements in the DOM")
    check(dom.tags.get("iframe", 0) == 0 and dom.tags.get("link", 0) == 0, "iframe or link elements in the DOM")

    # 3. Nothing fetched: every reference points inside the file.
    for tag, k, v in dom.refs:
        check(v.startswith("#") or v.startswith("data:"), f"external reference <{tag} {k}={v!r}>")
    for s in dom.styles:
        for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", s):
            check(u.startswith("#") or u.startswith("data:"), f"external url({u}) in a style")
    check("@import" not in "".join(dom.styles), "@import in a style")
    check(not re.search(r"""\b(?:src|href)\s*=\s*["']?(?:https?:|//|file:)""", raw), "an http/file reference in the file")

    con = duckdb.connect()
    q = lambda sql, *p: con.execute(sql, list(p)).fetchall()
    ind = f"read_parquet('{cur}/indicator_values/*/*.parquet', hive_partitioning = true)"
    area_name = q(f"SELECT name_zh FROM '{cur}/areas.parquet' WHERE area = ?", a.area)[0][0]

    # 4. The report names its kind, area and year.
    title = dom.title.strip()
    check(KIND_ZH[a.kind] in title and area_name in title and str(a.year) in title, f"title {title!r} lacks kind/area/year")
    for s in a.inject:
        check(s not in dom.title, "an injected text changed the title")

    # 5. Every catalogued indicator is named.
    catalogue = q(f"SELECT indicator, name_zh, unit, numerator FROM '{cur}/indicators.parquet' ORDER BY indicator")
    check(len(catalogue) > 0, "empty catalogue")
    for code, name, _, _ in catalogue:
        check(name in text, f"indicator {code} {name} not named in the report")

    # 6. A chart for every indicator with data for the area.
    with_data = [r[0] for r in q(f"SELECT DISTINCT indicator FROM {ind} WHERE area = ? AND value IS NOT NULL AND year <= ? ORDER BY 1", a.area, a.year)]
    check(len(with_data) > 0, "no indicator with data")
    for code in with_data:
        check(dom.svg_in.get(f"ind-{code}", 0) >= 1, f"no chart for {code}")

    # Each indicator's headline age group: its progress rows' (infant mortality: under 1),
    # else all ages when there are values for them, else the first age with values.
    def headline_age(code):
        for table, extra in ((f"'{cur}/progress.parquet'", ""), (ind, f" AND value IS NOT NULL AND year <= {a.year}")):
            ages = sorted(r[0] for r in q(f"SELECT DISTINCT age FROM {table} WHERE indicator = ? AND area = ?{extra}", code, a.area))
            if ages:
                return "_T" if "_T" in ages else ages[0]
        return "_T"

    ages = {code: headline_age(code) for code, _, _, _ in catalogue}

    # 7. Values: every % indicator's series table shows DuckDB's values (1 decimal).
    units = {c: u for c, _, u, _ in catalogue}
    checked = 0
    for code in with_data:
        if units.get(code) != "%":
            continue
        rows = q(f"SELECT year, value FROM {ind} WHERE indicator = ? AND area = ? AND sex = '_T' AND age = ? AND residence = '_T' AND value IS NOT NULL AND year <= ?", code, a.area, ages[code], a.year)
        block = dom.block(f"ind-{code}")
        for _, v in rows:
            check(fmt1(v) in block, f"{code}: value {fmt1(v)} not in its block")
            checked += 1
    check(checked > 0, "no % value checked")

    # 8. Statuses: the badge of every indicator row is the label of progress.status.
    years = {"annual": [2025, 2030], "midterm": [2025], "final": [2030]}[a.kind]
    statuses = q(
        f"""SELECT indicator, target_year, status, age FROM '{cur}/progress.parquet'
            WHERE area = ? AND sex = '_T'""",
        a.area,
    )
    badges = dict()
    for code, ty, st, age in statuses:
        if age == ages[code]:
            badges.setdefault(code, {})[ty] = st
    n = 0
    for code, by_year in badges.items():
        row = dom.block(f"row-{code}")
        for ty in years:
            if ty in by_year:
                want = STATUS_ZH.get(by_year[ty], by_year[ty])
                label = f"{ty}:{want}" if len(years) > 1 else want
                check(label in row, f"{code}: status {label} not in its row ({row[:200]!r})")
                n += 1
        for ty in {2025, 2030} - set(years):
            check(f"{ty}:" not in row or len(years) > 1, f"{code}: a {ty} status in a {a.kind} report")
    check(n > 0, "no status checked")

    # 8b. The early-warning list: every progress row of the assessed target years with an
    # early warning (not only 'no_data' / 'not_distinguishable').
    early = ("projected_miss", "fluctuating", "deteriorating", "regressed_after_meeting", "latest_missing")
    rows_p = q(f"SELECT warnings FROM '{cur}/progress.parquet' WHERE area = ? AND target_year IN (SELECT unnest(?::INTEGER[])) AND warnings IS NOT NULL", a.area, years)
    want_w = sum(1 for (w,) in rows_p if any(x in early for x in w.split(",")))
    i = dom_html.find('class="warnings"')
    got_w = dom_html.count("<tr>", i, dom_html.find("</table>", i)) - 1 if i >= 0 else 0
    check(got_w == want_w, f"early-warning list has {got_w} rows, progress.parquet {want_w}")
    check(f"早期预警({want_w} 条)" in text, "the early-warning count is not stated")

    # 9. Lineage: a town's count of a latest value names its return, sheet and cell.
    if a.kind == "annual":
        towns = [r[0] for r in q(f"SELECT area FROM '{cur}/areas.parquet' WHERE parent = ?", a.area)]
        dv = f"read_parquet('{cur}/data_values/*/*.parquet', hive_partitioning = true)"
        found = 0
        for code, _, _, num in catalogue:
            if code not in with_data or not num or not re.fullmatch(r"[a-z0-9_]+", num):
                continue
            latest = q(f"SELECT max(year) FROM {ind} WHERE indicator = ? AND area = ? AND sex = '_T' AND age = ? AND value IS NOT NULL AND year <= ?", code, a.area, ages[code], a.year)[0][0]
            if latest is None:
                continue
            src_area = towns if towns else [a.area]
            rows = q(
                f"""SELECT source_file, source_sheet, source_cell FROM {dv}
                    WHERE data_element = ? AND year = ? AND sex = '_T' AND age = '_T' AND residence = '_T' AND source_cell IS NOT NULL
                      AND area IN (SELECT unnest(?::VARCHAR[])) ORDER BY area LIMIT 3""",
                num,
                latest,
                src_area,
            )
            block = dom.block(f"lin-{code}")
            for f, sh, cell in rows:
                check(f"{f} · {sh} · {cell}" in block, f"lineage of {code}: {f} · {sh} · {cell} not shown")
                found += 1
            if found >= 6:
                break
        check(found > 0, "no lineage row checked")

    # 10. Injected text is shown as text.
    for s in a.inject:
        check(s in text, f"injected text {s!r} not shown as text")

    # 11. --since: the changes after that version, for the area and its children.
    if a.since:
        kids = [r[0] for r in q(f"SELECT area FROM '{cur}/areas.parquet' WHERE parent = ?", a.area)] + [a.area]
        want = q(f"SELECT count(*) FROM '{cur}/changes.parquet' WHERE version > ? AND area IN (SELECT unnest(?::VARCHAR[]))", a.since, kids)[0][0]
        check(want > 0, "the --since case has no changes to show")
        block = dom.block("since")
        check(f"共有 {want} 个报告值发生变化" in block, f"--since: {want} changes expected in {block[:300]!r}")
        rows = dom_html.count("</tr>", dom_html.find('id="since"'), dom_html.find('id="quality"'))
        check(rows == want + 1, f"--since table has {rows - 1} rows, expected {want}")

    # 12. Printable on A4, a page break before each domain and annex.
    if a.pdf:
        browser(["--no-pdf-header-footer", f"--print-to-pdf={a.pdf}"], url)
        pdf = open(a.pdf, "rb").read()
        boxes = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))
        a4 = all(abs(float(b.split()[2]) - 595.3) < 2 and abs(float(b.split()[3]) - 841.9) < 2 for b in boxes)
        check(boxes and a4, f"PDF pages are not A4: {boxes}")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        domains = dom_html.count('class="domain"')
        check(domains > 0 and pages >= domains + 3, f"{pages} printed pages for {domains} domains")

    if failures:
        print("\n".join(failures[:60]))
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print(f"ok: {len(catalogue)} indicators named, {len(with_data)} with charts, {checked} values, {n} statuses, {w}x{h} screenshot with {non_white} non-white pixels")


if __name__ == "__main__":
    main()
