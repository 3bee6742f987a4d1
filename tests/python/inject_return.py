"""Writes a copy of a return with markup in two of its number cells and one number
changed (a correction), for tests/it/report.rs:

    python3 inject_return.py SRC.xlsx DST.xlsx TEXT1 TEXT2
"""

import sys

import openpyxl

src, dst, t1, t2 = sys.argv[1:5]
wb = openpyxl.load_workbook(src)
ws = wb.worksheets[0]
numbers = [c for row in ws.iter_rows(min_row=6, max_row=ws.max_row) for c in row[1:] if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
if len(numbers) < 3:
    sys.exit(f"{src}: fewer than 3 number cells below row 5")
numbers[0].value = t1
numbers[1].value = t2
numbers[2].value = numbers[2].value + 7
wb.save(dst)
print(f"{dst}: {numbers[0].coordinate}, {numbers[1].coordinate} hold markup; {numbers[2].coordinate} changed")
