"""Fill wcmon's blank templates like a reporting body would, with openpyxl (a writer
independent of wcmon), and write the truth: every cell typed and its number.

    python3 fill_templates.py TEMPLATES_DIR FILLED_DIR TRUTH_JSON [SEED]

Every unlocked cell of every sheet (the value cells; 填表说明 has none) gets a
random number that its data validation accepts: a whole number for a whole-number
rule, a decimal (1 place) for a decimal rule, within the rule's bounds. The truth
lists file (relative to FILLED_DIR), sheet, cell, the number typed, and the value
it stands for in the row's unit (a row whose unit cell says 万人 holds 万人:
×10000 in persons). It also reports cells that are unlocked without validation
and validated cells that are locked, which the test requires to be none.
"""

import json
import random
import sys
from pathlib import Path

import openpyxl
from openpyxl.utils import range_boundaries

SCALES = {"万人": 10000.0}


def rules_of(ws):
    """cell coordinate -> (type, operator, formula1, formula2)"""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            c1, r1, c2, r2 = range_boundaries(rng)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[(r, c)] = (dv.type, dv.operator or "between", dv.formula1, dv.formula2)
    return out


def draw(rng, rule):
    typ, op, f1, f2 = rule
    lo = float(f1) if f1 is not None else 0.0
    hi = float(f2) if (f2 is not None and op == "between") else None
    if typ == "whole":
        top = int(hi) if hi is not None else int(lo) + 5000
        return rng.randint(int(lo), top)
    if typ == "decimal":
        top = hi if hi is not None else lo + 5000.0
        return round(rng.uniform(lo, top), 1)
    raise SystemExit(f"unexpected validation type {typ!r}")


def main():
    src, dst, truth_path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 2025)
    truth, problems = [], []
    for path in sorted(src.rglob("*.xlsx")):
        rel = path.relative_to(src)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            rules = rules_of(ws)
            if ws.protection.sheet is not True:
                problems.append(f"{rel}!{ws.title}: sheet not protected")
            for row in ws.iter_rows():
                row_texts = {c.value for c in row if isinstance(c.value, str)}
                scale = next((SCALES[t] for t in row_texts if t in SCALES), 1.0)
                for cell in row:
                    unlocked = cell.protection.locked is False
                    rule = rules.get((cell.row, cell.column))
                    if unlocked and rule is None:
                        problems.append(f"{rel}!{ws.title}!{cell.coordinate}: unlocked without validation")
                    if rule is not None and not unlocked:
                        problems.append(f"{rel}!{ws.title}!{cell.coordinate}: validated but locked")
                    if not unlocked or rule is None:
                        continue
                    if cell.value is not None:
                        problems.append(f"{rel}!{ws.title}!{cell.coordinate}: value cell not blank ({cell.value!r})")
                    v = draw(rng, rule)
                    cell.value = v
                    truth.append(
                        {"file": str(rel), "sheet": ws.title, "cell": cell.coordinate, "typed": v, "expected": v * scale, "kind": rule[0]}
                    )
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
    truth_path.write_text(json.dumps({"cells": truth, "problems": problems}, ensure_ascii=False, indent=0))
    print(f"filled {len(truth)} cells in {len(list(src.rglob('*.xlsx')))} workbooks; {len(problems)} problems")


if __name__ == "__main__":
    main()
