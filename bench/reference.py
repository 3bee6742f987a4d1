#!/usr/bin/env python3
"""Python reference implementation of wcmon's *ingest + normalise* step.

Used by the benchmark to compare wcmon's throughput with what an analyst would
write with the usual Python tools.  It reads the same pipeline files as wcmon
(pipelines/forms/*/*.toml, areas.toml, indicators.toml) and produces the rows
wcmon lands in ``data_values`` for *reported* (non-derived) values.

    python3 bench/reference.py --engine {openpyxl,polars} \
        --pipelines pipelines --inbox sample_data --out /tmp/ref.parquet [--limit N]

Engines
-------
openpyxl  pandas.read_excel(..., sheet_name=None, header=None, engine="openpyxl")
          for .xlsx (engine="xlrd" for .xls when xlrd is installed, otherwise the
          .xls files are skipped and counted in ``files_skipped``).  Merged cells:
          the workbook is opened ONCE with openpyxl.load_workbook(data_only=True)
          (not read-only: read-only worksheets do not expose merged ranges), the
          merged ranges are taken from ``ws.merged_cells.ranges`` and the same
          Workbook object is handed to pandas.read_excel (pandas accepts an open
          openpyxl Workbook / xlrd Book instead of a path).  For .xls the book is
          opened with xlrd.open_workbook(formatting_info=True) for
          ``sheet.merged_cells``.  So merged cells are exact, as in wcmon.
polars    polars.read_excel(path, sheet_id=0, engine="calamine", has_header=False,
          read_options={"dtypes": "string"}, drop_empty_rows=False,
          drop_empty_cols=False) (fastexcel/calamine, .xlsx and .xls).  fastexcel
          does not expose merged ranges, so the header is filled heuristically
          (see ``heuristic_header_merges``): within the header rows a label is
          carried to the right across empty cells that have a sub-label below
          them (a group header merged across), and carried down into an empty
          cell below it (a label merged down).  Nothing is filled outside the
          header rows (the sample has no merged cells in data rows).

Known differences from wcmon (none of them occurs in sample_data):
  * no validation and no supersession (steps after normalising): values wcmon
    withholds (negative counts, conflicts, balance rules of severity error ...)
    and values of a return superseded by a correction are kept here;
    bench/compare.py labels such differences from wcmon's issues/submissions;
  * polars engine: every cell is read as a string (numbers come back as their
    shortest round-trip text, so the parsed value is the same f64); dates come
    back as ISO text and are skipped as unparseable (wcmon lands the Excel
    serial number); error cells (#DIV/0!) come back empty and are not counted;
    calamine/fastexcel drop leading empty rows/columns, so ``source_cell`` is
    relative to the first used row/column (all sample sheets start at A1);
  * openpyxl engine: error cells come back empty (pandas turns them into NaN);
    dates come back as datetime objects and are skipped as unparseable.

Output: OUT.parquet with data_element, area, year, sex, age, residence, value,
source_file, source_sheet, source_cell (plus obs_status and form), and one JSON
line on stdout with the counts and the wall time of read + normalise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import tomllib
import warnings
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

# ---------------------------------------------------------------------------
# Cleaning of labels and values (mirrors src/normalise/clean.rs)
# ---------------------------------------------------------------------------

# Full-width ASCII (！..～) -> half-width, ideographic space -> space, 、 -> ,
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = ord(" ")
_HALF_WIDTH[ord("、")] = ord(",")
_HALF_WIDTH[0x200B] = None  # zero-width space is dropped by normalise_label


@lru_cache(maxsize=None)
def normalise_label(s: str) -> str:
    """A label as compared: half-width, no whitespace, lower case.
    "其中：女" == "其中:女" == " 其 中 : 女 "."""
    return "".join(s.translate(_HALF_WIDTH).split()).lower()


def strip_unit(label: str) -> str:
    """"活产数(人)" -> "活产数" (a trailing unit in parentheses)."""
    i = label.rfind("(")
    if i > 0 and label.endswith(")"):
        return label[:i]
    return label


def label_eq(cell: str, wanted: str) -> bool:
    c = normalise_label(cell)
    w = normalise_label(wanted)
    return c == w or strip_unit(c) == w


_DASH_CHARS = set("-—–－─/….")
# What Rust's f64::from_str accepts once e/E/inf/nan are excluded (no "_" as Python allows).
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_THOUSANDS_GROUP = re.compile(r"\d{3}")

DASH = "dash"  # sentinel result of clean_text


def _strip_thousands(s: str) -> str:
    """Remove thousands separators, but only between groups of three digits."""
    if "," not in s:
        return s
    int_part, dot, frac = s.partition(".")
    groups = int_part.lstrip("+-").split(",")
    ok = (
        len(groups) > 1
        and 0 < len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and all(g.isascii() and g.isdigit() for g in groups)
    )
    if not ok:
        return s  # "1,2" stays unparseable rather than becoming 12
    return int_part.replace(",", "") + (("." + frac) if dot else "")


@lru_cache(maxsize=65536)
def clean_text(raw: str):
    """Clean a text cell.  Returns (value, unit) for a number ("85.3%" ->
    (85.3, "%")), DASH for "—"-like cells, or None for text that is not a number."""
    s = "".join(raw.translate(_HALF_WIDTH).split())
    if not s:
        return DASH
    if s == "无" or all(c in _DASH_CHARS for c in s):
        return DASH
    unit = None
    if s.endswith("%"):
        s, unit = s[:-1], "%"
    elif s.endswith("‰"):
        s, unit = s[:-1], "‰"
    s = _strip_thousands(s)
    if _NUMBER_RE.fullmatch(s):
        return (float(s), unit)
    return None


_UNIT_PREFIXES = (("亿", 1e8), ("万", 1e4), ("千", 1e3), ("百", 1e2))


@lru_cache(maxsize=None)
def unit_scale(frm: str, to: str):
    """Multiplier converting a value written in `frm` into `to` (万人 -> 人 = 10000), or None."""
    f, t = normalise_label(frm), normalise_label(to)
    if f == t:
        return 1.0

    def prefixed(u):
        for p, m in _UNIT_PREFIXES:
            if u.startswith(p) and len(u) > len(p):
                return m, u[len(p):]
        return 1.0, u

    mf, bf = prefixed(f)
    mt, bt = prefixed(t)
    if bf == bt:
        return mf / mt
    if (f, t) == ("%", "‰"):
        return 10.0
    if (f, t) == ("‰", "%"):
        return 0.1
    return None


def rust_round(x: float) -> float:
    """f64::round: half away from zero (Python's round() is half-to-even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


# ---------------------------------------------------------------------------
# Built-in sex and age labels (mirrors src/normalise/labels.rs)
# ---------------------------------------------------------------------------

_TOTALS = {"合计", "小计", "总计", "计", "全部", "total"}


def is_total(label: str) -> bool:
    return normalise_label(label) in _TOTALS


_SEX = {
    "男": "M", "男性": "M", "m": "M", "male": "M",
    "女": "F", "女性": "F", "f": "F", "female": "F",
    "合计": "_T", "小计": "_T", "总计": "_T", "计": "_T", "全部": "_T", "男女合计": "_T", "total": "_T", "_t": "_T",
}


@lru_cache(maxsize=None)
def sex_code(label: str):
    s = normalise_label(label)
    while s.startswith("其中:"):
        s = s[3:]
    while s.startswith("其中"):
        s = s[2:]
    return _SEX.get(s)


_AGE_CODE = re.compile(r"_T|Y\d{1,3}T\d{1,3}|Y_LT\d{1,3}|Y_GE\d{1,3}|Y\d{1,3}")
_AGE_RANGE = re.compile(r"(\d{1,3})[-~至到](\d{1,3})(?:岁|周岁)?")
_AGE_GE = re.compile(r"(\d{1,3})(?:岁|周岁)?(?:及以上|以上|\+)")
_AGE_LT = re.compile(r"(?:不满|未满)(\d{1,3})(?:岁|周岁)|(\d{1,3})(?:岁|周岁)以下")
_AGE_ONE = re.compile(r"(\d{1,3})(?:岁|周岁)")


@lru_cache(maxsize=None)
def age_code(label: str):
    """"0-4岁" -> Y0T4, "65岁及以上" -> Y_GE65, "不满1岁" -> Y_LT1, "合计" -> _T."""
    s = normalise_label(label)
    if s in ("合计", "小计", "总计", "计", "全部年龄", "_t"):
        return "_T"
    upper = label.strip()
    if _AGE_CODE.fullmatch(upper):
        return upper
    if m := _AGE_RANGE.fullmatch(s):
        return f"Y{m[1]}T{m[2]}"
    if m := _AGE_GE.fullmatch(s):
        return f"Y_GE{m[1]}"
    if m := _AGE_LT.fullmatch(s):
        return f"Y_LT{m[1] or m[2]}"
    if m := _AGE_ONE.fullmatch(s):
        return f"Y{m[1]}"
    return None


# ---------------------------------------------------------------------------
# Configuration: forms, areas, catalogue
# ---------------------------------------------------------------------------

DIM_FIELDS = ("data_element", "sex", "age", "residence", "unit")
EMPTY_DIMS = (None,) * len(DIM_FIELDS)


class Conflict(Exception):
    pass


def dims_of(d: dict) -> tuple:
    return tuple(d.get(f) for f in DIM_FIELDS)


def merge_dims(a: tuple, b: tuple) -> tuple:
    """Fill unset fields of `a` from `b`; two different values are a conflict."""
    out = []
    for x, y in zip(a, b):
        if x is not None and y is not None and x != y:
            raise Conflict(f"{x} by one mapping and {y} by another")
        out.append(x if x is not None else y)
    return tuple(out)


def header_key(path: str) -> str:
    parts = [normalise_label(p) for p in path.split("/")]
    return "/".join(dedup([p for p in parts if p]))


def dedup(parts: list) -> list:
    out = []
    for p in parts:
        if not out or out[-1] != p:
            out.append(p)
    return out


class Areas:
    def __init__(self, path: Path):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))["area"]
        self.list = raw
        self.by_code = {a["code"]: a for a in raw}
        self.by_label = {}
        for a in raw:
            for label in [a["name_zh"], *a.get("aliases", []), a["code"]]:
                self.by_label[normalise_label(label)] = a["code"]

    def resolve(self, label: str):
        return self.by_label.get(normalise_label(label))


DEFAULT_END = ["注", "说明", "备注:", "填报", "填表", "负责人", "审核"]


class Form:
    """One pipeline file, with its regexes compiled and its mappings keyed by normalised label."""

    def __init__(self, path: Path):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        self.path = path
        self.id = raw["form"]["id"]
        m = raw.get("match", {})
        self.file_name_re = re.compile(m["file_name"]) if m.get("file_name") else None
        self.sheet_name_re = re.compile(m["sheet_name"]) if m.get("sheet_name") else None
        self.match_labels = m.get("header_labels", [])
        y = raw.get("year", {})
        self.year_from = y.get("from", "file_name")
        self.year_re = re.compile(y.get("pattern") or r"((?:19|20)\d{2})")
        self.year_column = y.get("column")
        self.year_value = y.get("value")
        a = raw["area"]
        self.area_from = a["from"]
        self.area_value = a.get("value")
        self.area_re = re.compile(a["pattern"]) if a.get("pattern") else None
        t = raw["table"]
        self.layout = t.get("layout", "grid")
        self.header_labels = t["header_labels"]
        self.header_rows = t.get("header_rows", 1)
        self.label_column = t.get("label_column")
        self.end_labels = [normalise_label(e) for e in t.get("end_labels", DEFAULT_END)]
        self.skip_rows = t.get("skip_rows", [])
        self.skip_columns = t.get("skip_columns", [])
        self.ignore_columns = t.get("ignore_columns", [])
        self.dash_zero = t.get("dash_means", "missing") == "zero"
        self.fixed = dims_of(raw.get("fixed", {}))
        self.has_columns = bool(raw.get("columns"))
        self.has_rows = bool(raw.get("rows"))
        # BTreeMap order in wcmon: sorted by normalised key.
        self.columns = sorted((header_key(c["header"]), dims_of(c)) for c in raw.get("columns", []))
        self.rows = {normalise_label(r["label"]): dims_of(r) for r in raw.get("rows", [])}
        self.items = {normalise_label(r["label"]): dims_of(r) for r in raw.get("items", [])}
        self.long = raw.get("long")


class Config:
    def __init__(self, pipelines: Path):
        self.areas = Areas(pipelines / "areas.toml")
        cat = tomllib.loads((pipelines / "indicators.toml").read_text(encoding="utf-8"))
        self.units = {d["code"]: d["unit"] for d in cat["data_element"]}
        self.forms = [Form(p) for p in sorted((pipelines / "forms").rglob("*.toml"))]


# ---------------------------------------------------------------------------
# Sheets: a dense grid of raw values (None | float | str | bool | other) anchored
# at A1, plus a map of merged cells (r, c) -> (r0, c0) of the region's top-left.
# ---------------------------------------------------------------------------


def fmt_num(v: float) -> str:
    """A number as a label, as wcmon prints it (no trailing .0, no exponent)."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    s = repr(v)
    return format(Decimal(s), "f") if "e" in s else s


def is_empty(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def as_label(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return fmt_num(v)
    return str(v)


class Sheet:
    __slots__ = ("name", "grid", "rows", "cols", "merges")

    def __init__(self, name: str, grid: list, merges: dict | None):
        self.name = name
        # Trim trailing empty rows and columns (wcmon sizes a sheet by its last non-empty cell).
        rows = len(grid)
        while rows and all(is_empty(v) for v in grid[rows - 1]):
            rows -= 1
        cols = 0
        for row in grid[:rows]:
            for c in range(len(row) - 1, cols - 1, -1):
                if not is_empty(row[c]):
                    cols = c + 1
                    break
        self.grid = [list(row[:cols]) + [None] * (cols - len(row)) for row in grid[:rows]]
        self.rows, self.cols = rows, cols
        self.merges = merges  # None: fill the header heuristically (polars engine)

    def get(self, r: int, c: int):
        if r < self.rows and c < self.cols:
            return self.grid[r][c]
        return None

    def get_merged(self, r: int, c: int):
        """The value shown at (r, c): a merged region shows its top-left value everywhere."""
        v = self.get(r, c)
        if is_empty(v) and self.merges:
            src = self.merges.get((r, c))
            if src is not None:
                return self.get(*src)
        return v


def merges_from_ranges(ranges) -> dict:
    """{(r, c): (r0, c0)} for every non-top-left cell of the merged regions
    (ranges as 0-based inclusive (r0, c0, r1, c1))."""
    out = {}
    for r0, c0, r1, c1 in ranges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    out[(r, c)] = (r0, c0)
    return out


def heuristic_header_merges(sheet: Sheet, hr: int, h: int) -> dict:
    """Without merged ranges (polars/fastexcel engine): fill the header rows hr..hr+h-1.

    Across: in every header row but the last, an empty cell takes the label on its
    left (continuing a run) when the cell below it holds a sub-label, i.e. a group
    header merged across its sub-columns ("活产数" over "合计 | 其中:女").
    Down: an empty header cell below a (possibly filled) label takes that label,
    i.e. a label merged down over the header rows ("乡镇", "产妇数"); the repeat is
    collapsed in the header path like wcmon does for a vertical merge."""
    fill = {}

    def shown(r, c):
        src = fill.get((r, c))
        return sheet.get(*src) if src else sheet.get(r, c)

    for r in range(hr, hr + h - 1):
        last = None
        for c in range(sheet.cols):
            if not is_empty(sheet.get(r, c)):
                last = (r, c)
            elif last is not None and not is_empty(sheet.get(r + 1, c)):
                fill[(r, c)] = last
            else:
                last = None
    for r in range(hr + 1, hr + h):
        for c in range(sheet.cols):
            if is_empty(sheet.get(r, c)) and (r, c) not in fill and not is_empty(shown(r - 1, c)):
                fill[(r, c)] = fill.get((r - 1, c), (r - 1, c))
    return fill


# ---------------------------------------------------------------------------
# Engines: a file -> list of Sheet
# ---------------------------------------------------------------------------


class SkipFile(Exception):
    """The engine cannot read this file (counted in files_skipped)."""


def _pandas_frames_to_sheets(frames: dict, merges_by_sheet: dict) -> list:
    sheets = []
    for name, df in frames.items():
        grid = df.to_numpy(dtype=object).tolist()
        for row in grid:
            for i, v in enumerate(row):
                # ints -> float like calamine's Number; NaN (empty / error cells) -> None
                if isinstance(v, float):
                    if v != v:
                        row[i] = None
                elif isinstance(v, int) and not isinstance(v, bool):
                    row[i] = float(v)
        sheets.append(Sheet(str(name), grid, merges_by_sheet.get(name, {})))
    return sheets


def read_openpyxl(path: Path) -> list:
    import pandas as pd

    opts = dict(sheet_name=None, header=None, dtype=object, keep_default_na=False)
    if path.suffix.lower() == ".xls":
        try:
            import xlrd
        except ImportError:
            raise SkipFile("xls_without_xlrd")
        book = xlrd.open_workbook(str(path), formatting_info=True)
        merges = {
            s.name: merges_from_ranges((r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in s.merged_cells)
            for s in book.sheets()
        }
        with warnings.catch_warnings():  # pandas 3 deprecates the xlrd engine; it still works
            warnings.simplefilter("ignore")
            frames = pd.read_excel(book, engine="xlrd", **opts)
        return _pandas_frames_to_sheets(frames, merges)
    import openpyxl

    # One parse: merged ranges from openpyxl, cells through pandas from the same Workbook.
    wb = openpyxl.load_workbook(path, data_only=True)
    merges = {
        ws.title: merges_from_ranges(
            (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in ws.merged_cells.ranges
        )
        for ws in wb.worksheets
    }
    frames = pd.read_excel(wb, engine="openpyxl", **opts)
    wb.close()
    return _pandas_frames_to_sheets(frames, merges)


def read_polars(path: Path) -> list:
    import polars as pl

    frames = pl.read_excel(
        path,
        sheet_id=0,  # all sheets -> {name: DataFrame}
        engine="calamine",
        has_header=False,
        read_options={"dtypes": "string"},  # every cell as text; cleaned below
        drop_empty_rows=False,
        drop_empty_cols=False,
        raise_if_empty=False,
    )
    # merges=None: header cells are filled heuristically once the header row is known.
    return [Sheet(name, [list(r) for r in df.rows()], None) for name, df in frames.items()]


ENGINES = {"openpyxl": read_openpyxl, "polars": read_polars}


# ---------------------------------------------------------------------------
# Normalising (mirrors src/normalise/mod.rs)
# ---------------------------------------------------------------------------

HEADER_SEARCH_ROWS = 60


class Reject(Exception):
    """A value cell wcmon would reject (an issue); skipped and counted here."""


def find_header_row(sheet: Sheet, labels: list):
    wanted = [normalise_label(l) for l in labels]
    for r in range(min(sheet.rows, HEADER_SEARCH_ROWS)):
        present = set()
        for c in range(sheet.cols):
            n = normalise_label(as_label(sheet.get_merged(r, c)))
            present.add(n)
            present.add(strip_unit(n))
        if all(w in present for w in wanted):
            return r
    return None


def path_matches(path: list, key: str) -> bool:
    return "/".join(path) == key or "/".join(strip_unit(p) for p in path) == key


def first_label_is(path: list, wanted: str) -> bool:
    return bool(path) and (label_eq(path[0], wanted) or label_eq(path[-1], wanted))


class Stats:
    def __init__(self):
        self.cells_read = 0
        self.rows = 0
        self.rejected = {}

    def reject(self, why: str):
        self.rejected[why] = self.rejected.get(why, 0) + 1


def recognise(cfg: Config, file_name: str, sheets: list) -> list:
    forms = []
    for f in cfg.forms:
        if f.file_name_re and not f.file_name_re.search(file_name):
            continue
        if f.match_labels and not any(find_header_row(s, f.match_labels) is not None for s in sheets):
            continue
        forms.append(f)
    return forms


class SheetNormaliser:
    def __init__(self, cfg, form, sheet, hr, rel, file_name, out, stats):
        self.cfg, self.form, self.sheet, self.hr = cfg, form, sheet, hr
        self.rel, self.file_name, self.out, self.stats = rel, file_name, out, stats
        h = form.header_rows
        if sheet.merges is None:  # polars engine: fill the header ourselves
            sheet.merges = heuristic_header_merges(sheet, hr, h)
        self.paths = [
            dedup([p for p in (normalise_label(as_label(sheet.get_merged(r, c))) for r in range(hr, hr + h)) if p])
            for c in range(sheet.cols)
        ]
        self.title = "".join(
            as_label(v) + " " for row in sheet.grid[:hr] for v in row if not is_empty(v)
        )

    def col_index(self, label):
        return next((c for c in range(self.sheet.cols) if first_label_is(self.paths[c], label)), None)

    # -- sheet-level year and area -------------------------------------------------
    def sheet_key(self):
        """(dims, area, year) shared by the sheet; Reject if year or area cannot be found."""
        f = self.form
        year = None
        src = {"file_name": self.file_name, "sheet_name": self.sheet.name, "title": self.title}.get(f.year_from)
        if src is not None:
            m = f.year_re.search(src)
            if not m or m.group(1) is None:
                raise Reject("year_not_found")
            year = int(m.group(1))
        elif f.year_from == "fixed":
            year = f.year_value
        area = None
        areas = self.cfg.areas
        if f.area_from == "fixed":
            v = f.area_value or ""
            area = v if v in areas.by_code else areas.resolve(v)
        elif f.area_from in ("sheet_name", "file_name") or (f.area_from == "title" and f.area_re):
            text = {"sheet_name": self.sheet.name, "file_name": self.file_name, "title": self.title}[f.area_from]
            if f.area_re:
                m = f.area_re.search(text)
                cand = m.group(1) if m and m.group(1) is not None else None
            else:
                cand = text.strip()
            area = areas.resolve(cand) if cand is not None else None
            if area is None:
                raise Reject("unknown_area")
        elif f.area_from == "title":
            # Any known (non-root) area name in the title; the longest (the last of equals) wins.
            best = None
            for a in areas.list:
                if a.get("parent") and a["name_zh"] in self.title:
                    if best is None or len(a["name_zh"]) >= len(best["name_zh"]):
                        best = a
            if best is None:
                raise Reject("unknown_area")
            area = best["code"]
        return (f.fixed, area, year)

    def is_end_row(self, r):
        for v in self.sheet.grid[r]:
            if not is_empty(v):
                n = normalise_label(as_label(v))
                return any(n.startswith(e) for e in self.form.end_labels)
        return False

    # -- grid layout ---------------------------------------------------------------
    def column_key(self, path):
        """(dims, area) of a value column, or a Reject reason string."""
        f = self.form
        if not path:
            return "unmapped_cell"
        dims, area = EMPTY_DIMS, None
        mapped = next((d for k, d in f.columns if path_matches(path, k)), None)
        if mapped is not None:
            dims = mapped
        elif f.area_from != "columns":
            # Built-in sex/age labels under a mapped parent ("活产数/男", "0-4岁").
            last, parent = path[-1], path[:-1]
            parent_dims = next((d for k, d in f.columns if parent and path_matches(parent, k)), None)
            if is_total(last):
                own = EMPTY_DIMS
            elif (s := sex_code(last)) is not None:
                own = (None, s, None, None, None)
            elif (a := age_code(last)) is not None:
                own = (None, None, a, None, None)
            else:
                own = None
            if own is not None and parent_dims is not None:
                try:
                    dims = merge_dims(own, parent_dims)
                except Conflict:
                    return "unmapped_cell"
            elif own is not None and not f.has_columns:
                dims = own
            else:
                return "unmapped_cell"
        if f.area_from == "columns":
            area = self.cfg.areas.resolve(path[-1])
            if area is None:
                return "unmapped_cell"  # wcmon: "column header is not a known area"
        return (dims, area)

    def row_key(self, label):
        f = self.form
        if f.area_from == "rows":
            a = self.cfg.areas.resolve(label)
            return (EMPTY_DIMS, a) if a else "unknown_area"
        n = normalise_label(label)
        d = f.rows.get(n) or f.rows.get(strip_unit(n))
        if d is not None:
            return (d, None)
        if not f.has_rows:
            if is_total(label):
                return (EMPTY_DIMS, None)
            if (s := sex_code(label)) is not None:
                return ((None, s, None, None, None), None)
            if (a := age_code(label)) is not None:
                return ((None, None, a, None, None), None)
        return "unmapped_cell"

    def grid(self):
        f, sheet, stats = self.form, self.sheet, self.stats
        if f.label_column is not None:
            label_col = self.col_index(f.label_column)
        else:
            label_col = next((c for c in range(sheet.cols) if self.paths[c]), None)
        if label_col is None:
            stats.reject("table_not_found")
            return
        try:
            skey = self.sheet_key()
        except Reject as e:
            skey = str(e)
        # Column roles: "label" | "ignore" | "skip" | (dims, area) | reject reason
        roles = []
        for c, path in enumerate(self.paths):
            if c == label_col:
                roles.append("label")
            elif any(first_label_is(path, l) for l in f.ignore_columns):
                roles.append("ignore")
            elif any(label_eq(p, l) for l in f.skip_columns for p in path):
                roles.append("skip")
            else:
                roles.append(self.column_key(path))
        value_cols = [c for c, role in enumerate(roles) if role not in ("label", "ignore")]
        for r in range(self.hr + f.header_rows, sheet.rows):
            if self.is_end_row(r):
                break
            row = sheet.grid[r]
            cells = [c for c in value_cols if not is_empty(row[c])]
            if not cells:
                continue
            label = as_label(sheet.get_merged(r, label_col))
            skip_row = any(label_eq(label, s) for s in f.skip_rows)
            if label:
                rkey = self.row_key(label)
            else:  # "the row has no label"
                rkey = "unknown_area" if f.area_from == "rows" else "unmapped_cell"
            for c in cells:
                stats.cells_read += 1
                ckey = roles[c]
                if skip_row or ckey == "skip":
                    stats.reject("skipped_total")
                    continue
                # The first failing part decides the reason, like wcmon's match.
                bad = next((k for k in (skey, ckey, rkey) if isinstance(k, str)), None)
                if bad is not None:
                    stats.reject(bad)
                    continue
                try:
                    dims = merge_dims(merge_dims(skey[0], ckey[0]), rkey[0])
                except Conflict:
                    stats.reject("unmapped_cell")
                    continue
                areas = [a for a in (skey[1], ckey[1], rkey[1]) if a is not None]
                if len(set(areas)) > 1:
                    stats.reject("unmapped_cell")
                    continue
                self.land(dims, areas[0] if areas else None, skey[2], row[c], r, c)

    # -- long layout ---------------------------------------------------------------
    def long(self):
        f, sheet, stats = self.form, self.sheet, self.stats
        spec = f.long
        item_col = self.col_index(spec["item_column"])
        value_col = self.col_index(spec["value_column"])
        if item_col is None or value_col is None:
            stats.reject("table_not_found")
            return
        roles = {}
        for role, label in (
            ("area", spec.get("area_column")),
            ("sex", spec.get("sex_column")),
            ("age", spec.get("age_column")),
            ("unit", spec.get("unit_column")),
            ("year", f.year_column),
        ):
            if label is not None:
                idx = self.col_index(label)
                if idx is None:
                    stats.reject("table_not_found")
                    return
                roles[role] = idx
        try:
            skey = self.sheet_key()
        except Reject as e:
            skey = str(e)
        areas = self.cfg.areas
        for r in range(self.hr + f.header_rows, sheet.rows):
            if self.is_end_row(r):
                break
            v = sheet.get(r, value_col)
            if is_empty(v):
                continue
            stats.cells_read += 1

            def text(role):
                c = roles.get(role)
                return as_label(sheet.get_merged(r, c)) if c is not None else ""

            item = as_label(sheet.get_merged(r, item_col))
            area_label = text("area")
            if any(label_eq(item, s) or label_eq(area_label, s) for s in f.skip_rows):
                stats.reject("skipped_total")
                continue
            if isinstance(skey, str):
                stats.reject(skey)
                continue
            n = normalise_label(item)
            dims = f.items.get(n) or f.items.get(strip_unit(n))
            if dims is None:
                stats.reject("unmapped_cell")
                continue
            area, year = None, None
            try:
                if "area" in roles:
                    area = areas.resolve(area_label)
                    if area is None:
                        raise Reject("unknown_area")
                if "sex" in roles and (label := text("sex")):
                    s = sex_code(label)
                    if s is None:
                        raise Reject("unknown_label")
                    dims = merge_dims(dims, (None, s, None, None, None))
                if "age" in roles and (label := text("age")):
                    a = age_code(label)
                    if a is None:
                        raise Reject("unknown_label")
                    dims = merge_dims(dims, (None, None, a, None, None))
                if "unit" in roles and (label := text("unit")):
                    dims = merge_dims(dims, (None, None, None, None, label))
                if "year" in roles:
                    m = f.year_re.search(text("year"))
                    if not m or m.group(1) is None:
                        raise Reject("year_not_found")
                    year = int(m.group(1))
                dims = merge_dims(skey[0], dims)
            except Reject as e:
                stats.reject(str(e))
                continue
            except Conflict:
                stats.reject("unmapped_cell")
                continue
            if skey[1] is not None and area is not None and skey[1] != area:
                stats.reject("unmapped_cell")
                continue
            self.land(dims, skey[1] or area, skey[2] if skey[2] is not None else year, v, r, value_col)

    # -- one value -----------------------------------------------------------------
    def land(self, dims, area, year, v, r, c):
        stats = self.stats
        de, sex, age, residence, unit = dims
        if de is None or de not in self.cfg.units or area is None or year is None:
            stats.reject("unmapped_cell")
            return
        status, written = "A", None
        if isinstance(v, float):
            value = v
        elif isinstance(v, str):
            cleaned = clean_text(v)
            if cleaned is None:
                stats.reject("unparseable_value")
                return
            if cleaned is DASH:
                value = 0.0 if self.form.dash_zero else None
                status = "A" if self.form.dash_zero else "M"
            else:
                value, written = cleaned
        else:  # bool, datetime, ...: not a number
            stats.reject("unparseable_value")
            return
        from_unit = written or unit
        if value is not None and from_unit is not None:
            s = unit_scale(from_unit, self.cfg.units[de])
            if s is None:
                stats.reject("unit_mismatch")
                return
            if s != 1.0:
                value = rust_round(value * s * 1e6) / 1e6
        stats.rows += 1
        self.out.append(
            (de, area, year, sex or "_T", age or "_T", residence or "_T", value, status,
             self.form.id, self.rel, self.sheet.name, a1(r, c))
        )


def a1(row: int, col: int) -> str:
    c, letters = col + 1, ""
    while c > 0:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def normalise_workbook(cfg, form, sheets, rel, file_name, out, stats) -> int:
    """Rows of one workbook appended to `out`; returns the number of tables found."""
    tables = 0
    for sheet in sheets:
        if form.sheet_name_re and not form.sheet_name_re.search(sheet.name):
            continue
        hr = find_header_row(sheet, form.header_labels)
        if hr is None:
            continue
        tables += 1
        sn = SheetNormaliser(cfg, form, sheet, hr, rel, file_name, out, stats)
        sn.long() if form.layout == "long" else sn.grid()
    return tables


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def discover(inbox: Path) -> list:
    """Spreadsheets under the inbox as (path, rel), sorted like wcmon (by path components)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inbox):
        for name in filenames:
            if name.startswith(".") or name.startswith("~$"):
                continue
            if not name.lower().endswith((".xlsx", ".xls")):
                continue
            p = Path(dirpath) / name
            parts = p.relative_to(inbox).parts
            if any(x.startswith(".") or x == "_truth" for x in parts):
                continue
            found.append((parts, p))
    found.sort(key=lambda t: t[0])
    return [(p, "/".join(parts)) for parts, p in found]


COLUMNS = [
    ("data_element", "string"), ("area", "string"), ("year", "int32"), ("sex", "string"),
    ("age", "string"), ("residence", "string"), ("value", "float64"), ("obs_status", "string"),
    ("form", "string"), ("source_file", "string"), ("source_sheet", "string"), ("source_cell", "string"),
]


def write_parquet(rows: list, out: Path, meta: dict):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = list(zip(*rows)) if rows else [[] for _ in COLUMNS]
    table = pa.table({name: pa.array(col, type=getattr(pa, t)()) for (name, t), col in zip(COLUMNS, cols)})
    # The files that were read, so that compare.py can restrict wcmon's rows to them.
    table = table.replace_schema_metadata({"wcmon_reference": json.dumps(meta, ensure_ascii=False)})
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=sorted(ENGINES), required=True)
    ap.add_argument("--pipelines", type=Path, required=True)
    ap.add_argument("--inbox", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)

    cfg = Config(args.pipelines)
    read = ENGINES[args.engine]
    # Import the engine's libraries before the clock starts (import time is not reading time).
    if args.engine == "polars":
        import fastexcel  # noqa: F401
        import polars  # noqa: F401
    else:
        import openpyxl  # noqa: F401
        import pandas  # noqa: F401

        try:
            import xlrd  # noqa: F401
        except ImportError:
            pass
    stats = Stats()
    out_rows: list = []
    files_read: list = []
    skipped: dict = {}
    t_read = t_norm = 0.0

    t0 = time.perf_counter()
    files = discover(args.inbox)
    if args.limit is not None:
        files = files[: args.limit]
    for path, rel in files:
        t1 = time.perf_counter()
        try:
            sheets = read(path)
        except SkipFile as e:
            skipped[str(e)] = skipped.get(str(e), 0) + 1
            continue
        except Exception as e:  # broken / encrypted / not a spreadsheet
            print(f"warning: cannot read {rel}: {type(e).__name__}: {e}", file=sys.stderr)
            skipped["unreadable_file"] = skipped.get("unreadable_file", 0) + 1
            continue
        finally:
            t_read += time.perf_counter() - t1
        t2 = time.perf_counter()
        forms = recognise(cfg, path.name, sheets)
        if len(forms) != 1:
            why = "unrecognised_file" if not forms else "ambiguous_form"
            skipped[why] = skipped.get(why, 0) + 1
        elif normalise_workbook(cfg, forms[0], sheets, rel, path.name, out_rows, stats) == 0:
            skipped["table_not_found"] = skipped.get("table_not_found", 0) + 1
        else:
            files_read.append(rel)
        t_norm += time.perf_counter() - t2
    seconds = time.perf_counter() - t0

    write_parquet(out_rows, args.out, {"engine": args.engine, "files_read": files_read})
    print(json.dumps({
        "engine": args.engine,
        "files": len(files_read),
        "files_skipped": sum(skipped.values()),
        "cells_read": stats.cells_read,
        "rows": stats.rows,
        "seconds": round(seconds, 4),
        # extra detail (not part of the comparison)
        "read_seconds": round(t_read, 4),
        "normalise_seconds": round(t_norm, 4),
        "values_skipped": sum(stats.rejected.values()),
        "values_skipped_by_reason": dict(sorted(stats.rejected.items())),
        "files_skipped_by_reason": dict(sorted(skipped.items())),
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
