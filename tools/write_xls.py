"""Render a sheet description (JSON from `wcmon generate`) as a legacy .xls (BIFF8) workbook.

Used only by the sample generator for the one legacy-format return, because no
maintained Rust crate writes .xls. Needs `pip install xlwt`.

Usage: python3 tools/write_xls.py SPEC.json OUT.xls
"""
import json
import sys

import xlwt


def main(spec_path, out_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    wb = xlwt.Workbook(encoding="utf-8")
    for sheet in spec["sheets"]:
        ws = wb.add_sheet(sheet["name"])
        merged = set()
        for (r1, c1, r2, c2, text) in sheet["merges"]:
            ws.write_merge(r1, r2, c1, c2, text)
            merged.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
        for (r, c, v) in sheet["cells"]:
            if (r, c) not in merged:
                ws.write(r, c, v)
    wb.save(out_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
