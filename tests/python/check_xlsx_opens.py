"""Checks that a workbook opens in Excel and WPS without repair, as far as a machine
without either can: the package holds none of what Excel "repairs" on opening, and
LibreOffice (an independent spreadsheet application) opens it and saves the same values.

    python3 check_xlsx_opens.py XLSX WORKDIR [--package-only]

1. The package (zipfile + ElementTree, no openpyxl): every XML part parses; every part has
   a content type; every relationship's target exists; sheet names are 1-31 characters,
   none of []:*?/\\, no leading/trailing apostrophe, not "History", unique ignoring case;
   sheet ids unique; defined names valid, unique per scope, their sheet index in range and
   the sheets they refer to present; every cell reference inside Excel's grid, cells of a
   row in column order, rows in order, no two merged ranges overlapping; a cell's text at
   most 32,767 characters; shared-string indexes in range; every drawing's chart exists;
   every chart reference (<c:f>) names a sheet of the workbook and lies inside that
   sheet's used range (its <dimension>), and a series' categories and values have as many
   cells.
2. LibreOffice: `soffice --headless --convert-to xlsx` exits 0 and writes the file; then
   both workbooks are read with openpyxl and every sheet's every cell value compared
   (same sheet names in the same order; numbers equal within 1e-9 relative; text equal and
   still text, so a string that looks like a formula was not made one).

Exits non-zero with the reasons; prints what it checked.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from posixpath import dirname, join, normpath

import openpyxl

xlsx, work = sys.argv[1:3]
package_only = "--package-only" in sys.argv[3:]
problems = []
checked = {}
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
MAX_ROW, MAX_COL = 1_048_576, 16_384


def fail(msg):
    problems.append(msg)


def col_num(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cell(ref):
    """'$B$3' -> (row, col)"""
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+)", ref)
    if not m:
        return None
    return int(m.group(2)), col_num(m.group(1))


def area(ref):
    """'A1:C4' or 'B2' -> (r1, c1, r2, c2)"""
    parts = ref.split(":")
    cells = [cell(p) for p in parts]
    if any(c is None for c in cells) or len(cells) not in (1, 2):
        return None
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return r1, c1, r2, c2


def sheet_ref(f):
    """"'a b'!$A$1:$A$3" or "图表数据!$B$2" -> (sheet, area)"""
    m = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^!']+))!(.+)", f.strip())
    if not m:
        return None, None
    name = (m.group(1) or "").replace("''", "'") or m.group(2)
    return name, area(m.group(3).replace("$", ""))


z = zipfile.ZipFile(xlsx)
names = set(z.namelist())
xml = {}
for n in sorted(names):
    if n.endswith(".xml") or n.endswith(".rels"):
        try:
            xml[n] = ET.fromstring(z.read(n))
        except ET.ParseError as e:
            fail(f"{n}: not well-formed XML: {e}")
checked["xml_parts"] = len(xml)

# Content types: a default by extension or an override for every part.
ct = xml.get("[Content_Types].xml")
if ct is None:
    fail("[Content_Types].xml missing")
else:
    defaults = {d.get("Extension").lower() for d in ct.findall("ct:Default", NS)}
    overrides = {o.get("PartName").lstrip("/") for o in ct.findall("ct:Override", NS)}
    for n in names:
        if n == "[Content_Types].xml" or n.endswith("/"):
            continue
        if n not in overrides and n.rsplit(".", 1)[-1].lower() not in defaults:
            fail(f"{n}: no content type")
    for o in overrides:
        if o not in names:
            fail(f"[Content_Types].xml overrides {o}, which is not in the package")

# Relationships: every internal target exists.
rels = {}
for n, root in xml.items():
    if not n.endswith(".rels"):
        continue
    base = dirname(dirname(n))  # xl/_rels/workbook.xml.rels -> xl
    part = join(base, os.path.basename(n)[: -len(".rels")])
    rels[part] = {}
    for r in root.findall("pr:Relationship", NS):
        if r.get("TargetMode") == "External":
            continue
        t = r.get("Target")
        target = t.lstrip("/") if t.startswith("/") else normpath(join(base, t))
        rels[part][r.get("Id")] = target
        if target not in names:
            fail(f"{n}: relationship {r.get('Id')} to {target}, which is not in the package")

# Sheets.
wbx = xml.get("xl/workbook.xml")
sheets = []  # (name, part)
if wbx is None:
    fail("xl/workbook.xml missing")
else:
    seen, ids = set(), set()
    for s in wbx.findall("m:sheets/m:sheet", NS):
        name, sid, rid = s.get("name"), s.get("sheetId"), s.get(f"{{{NS['r']}}}id")
        if not 1 <= len(name) <= 31:
            fail(f"sheet name {name!r} has {len(name)} characters (1 to 31)")
        if re.search(r"[\[\]:*?/\\]", name) or name.startswith("'") or name.endswith("'") or name.lower() == "history":
            fail(f"sheet name {name!r} is not allowed")
        if name.lower() in seen:
            fail(f"sheet name {name!r} twice (ignoring case)")
        seen.add(name.lower())
        if sid in ids:
            fail(f"sheetId {sid} twice")
        ids.add(sid)
        part = rels.get("xl/workbook.xml", {}).get(rid)
        if part is None:
            fail(f"sheet {name!r}: relationship {rid} missing")
        sheets.append((name, part))
    checked["sheets"] = len(sheets)
    # Defined names.
    scopes = set()
    for d in wbx.findall("m:definedNames/m:definedName", NS):
        nm, local = d.get("name"), d.get("localSheetId")
        if local is not None and not 0 <= int(local) < len(sheets):
            fail(f"defined name {nm}: localSheetId {local} out of range")
        if not re.fullmatch(r"(_xlnm\.)?[A-Za-z_\\\u0080-\uffff][\w.\u0080-\uffff]*", nm) or cell(nm.upper()) is not None:
            fail(f"defined name {nm!r} is not a valid name")
        key = (nm.lower(), local)
        if key in scopes:
            fail(f"defined name {nm} twice in one scope")
        scopes.add(key)
        for sh in re.findall(r"(?:'((?:[^']|'')+)'|([^\s!',()=+\-*/&^<>]+))!", d.text or ""):
            s = (sh[0].replace("''", "'") or sh[1])
            if s.lower() not in seen:
                fail(f"defined name {nm} refers to sheet {s!r}, which is not in the workbook")
    checked["defined_names"] = len(scopes)

sst = xml.get("xl/sharedStrings.xml")
n_strings = len(sst.findall("m:si", NS)) if sst is not None else 0
if sst is not None:
    for i, si in enumerate(sst.findall("m:si", NS)):
        text = "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
        if len(text) > 32767:
            fail(f"shared string {i} has {len(text)} characters (Excel's limit is 32,767)")

dims = {}
for name, part in sheets:
    root = xml.get(part)
    if root is None:
        continue
    d = root.find("m:dimension", NS)
    dims[name] = area(d.get("ref")) if d is not None else None
    last_row = 0
    for row in root.findall("m:sheetData/m:row", NS):
        r = int(row.get("r"))
        if not last_row < r <= MAX_ROW:
            fail(f"{name}: row {r} after row {last_row} or outside the grid")
        last_row = r
        last_col = 0
        for c in row.findall("m:c", NS):
            rc = cell(c.get("r"))
            if rc is None or rc[0] != r or not last_col < rc[1] <= MAX_COL:
                fail(f"{name}: cell {c.get('r')} out of order or outside the grid")
                continue
            last_col = rc[1]
            v = c.find("m:v", NS)
            if c.get("t") == "s" and v is not None and not 0 <= int(v.text) < n_strings:
                fail(f"{name}!{c.get('r')}: shared string {v.text} of {n_strings}")
            if c.get("t") == "inlineStr":
                text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                if len(text) > 32767:
                    fail(f"{name}!{c.get('r')}: {len(text)} characters")
            if c.find("m:f", NS) is not None:
                checked["formulas"] = checked.get("formulas", 0) + 1
    merged = [area(m.get("ref")) for m in root.findall("m:mergeCells/m:mergeCell", NS)]
    for i, a in enumerate(merged):
        for b in merged[i + 1 :]:
            if a and b and a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                fail(f"{name}: merged ranges {a} and {b} overlap")

# Charts: every drawing's chart exists; every reference is inside a sheet's used range.
n_refs = 0
for part, targets in rels.items():
    if not part.startswith("xl/drawings/drawing"):
        continue
    root = xml.get(part)
    for ch in root.iter(f"{{{NS['c']}}}chart") if root is not None else []:
        rid = ch.get(f"{{{NS['r']}}}id")
        if rid not in targets:
            fail(f"{part}: chart {rid} has no relationship")
sheet_names = {n.lower(): n for n, _ in sheets}
n_charts = 0
for n, root in xml.items():
    if not re.fullmatch(r"xl/charts/chart\d+\.xml", n):
        continue
    n_charts += 1
    for ser in root.iter(f"{{{NS['c']}}}ser"):
        lengths = {}
        for role in ("tx", "cat", "val"):
            f = ser.find(f"c:{role}//c:f", NS)
            if f is None:
                continue
            n_refs += 1
            sh, a = sheet_ref(f.text or "")
            if sh is None or a is None:
                fail(f"{n}: reference {f.text!r} cannot be read")
                continue
            if sh.lower() not in sheet_names:
                fail(f"{n}: reference {f.text!r} to a sheet not in the workbook")
                continue
            d = dims.get(sheet_names[sh.lower()])
            if d is None or not (d[0] <= a[0] and a[2] <= d[2] and d[1] <= a[1] and a[3] <= d[3]):
                fail(f"{n}: reference {f.text!r} outside {sh}'s used range {d}")
            lengths[role] = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
        if "cat" in lengths and "val" in lengths and lengths["cat"] != lengths["val"]:
            fail(f"{n}: a series with {lengths['cat']} categories and {lengths['val']} values")
checked["charts"] = n_charts
checked["chart_references"] = n_refs

# LibreOffice opens it and saves the same values.
def libreoffice_keeps_the_values():
    os.makedirs(work, exist_ok=True)
    out_dir = os.path.join(work, "converted")
    profile = "file://" + os.path.abspath(os.path.join(work, "lo-profile"))
    p = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out_dir, xlsx],
        capture_output=True,
        text=True,
        timeout=600,
    )
    converted = os.path.join(out_dir, os.path.basename(xlsx))
    if p.returncode != 0 or not os.path.isfile(converted) or "Error" in p.stderr:
        fail(f"LibreOffice did not convert the workbook (exit {p.returncode}): {p.stdout} {p.stderr}")
        return
    a = openpyxl.load_workbook(xlsx)
    b = openpyxl.load_workbook(converted)
    if a.sheetnames != b.sheetnames:
        fail(f"sheets after LibreOffice {b.sheetnames}, before {a.sheetnames}")
    cells = 0
    for ws in a.worksheets:
        if ws.title not in b.sheetnames:
            continue
        wo = b[ws.title]
        for r in range(1, max(ws.max_row, wo.max_row) + 1):
            for c in range(1, max(ws.max_column, wo.max_column) + 1):
                x, y = ws.cell(r, c).value, wo.cell(r, c).value
                x = None if x == "" else x
                y = None if y == "" else y
                if x is None and y is None:
                    continue
                cells += 1
                numbers = isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool)
                same = abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(x))) if numbers else x == y
                if not same:
                    fail(f"{ws.title}!{ws.cell(r, c).coordinate}: {x!r} in the workbook, {y!r} after LibreOffice")
                elif ws.cell(r, c).data_type == "s" and wo.cell(r, c).data_type != "s":
                    fail(f"{ws.title}!{ws.cell(r, c).coordinate}: text {x!r} became {wo.cell(r, c).data_type!r} after LibreOffice")
    checked["cells_compared_after_libreoffice"] = cells


if not package_only:
    libreoffice_keeps_the_values()

print(checked)
if problems:
    print("\n".join(problems[:50]), file=sys.stderr)
    sys.exit(1)
