#!/usr/bin/env python3
"""Robustness sweep (issue 22): `wcmon inspect` and `wcmon check` on every file of
the shared corpus (read-only) and on generated fuzz cases, each under a timeout
and an address-space cap, with the peak RSS of every run measured (wait4).

    python3 bench/robustness.py [--wcmon target/debug/wcmon] [--corpus ../shared/corpus]
                                [--timeout 120] [--mem-cap-mb 8192] [--seed 22]

Fuzz cases (written to a temporary folder): truncations of seed workbooks at
several lengths, bit flips, huge declared dimensions (a sheet whose <dimension>
and last cell say XFD1048576; 16 sheets of A1 + BXX10000; an .xls whose
DIMENSIONS record declares 65536 x 256), zip bombs (1 GiB of zeros in a sheet,
and one whose directory under-declares the size).

Counts are printed at the end; the exit status is 1 if any run panicked, hung,
was killed or went over the cap, else 0. A clean per-file error is fine.
"""
import argparse
import io
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_one(cmd, timeout, mem_cap):
    """(outcome, exit code, peak RSS in MB, seconds, stderr tail)."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))
        os.setsid()

    t0 = time.time()
    out_f = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=out_f, stderr=subprocess.PIPE, preexec_fn=limit, cwd=ROOT)
    err = b""
    deadline = t0 + timeout
    hung = False
    # stderr is read once the child ends (it is short: a line or two).
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            hung = True
            os.killpg(p.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(p.pid, 0)
            break
        time.sleep(0.01)
    err = p.stderr.read() if p.stderr else b""
    out_f.seek(0)
    out = out_f.read()
    out_f.close()
    secs = time.time() - t0
    peak_mb = usage.ru_maxrss / 1024
    text = err.decode("utf-8", "replace")
    caught = "reader failed" in text or "reader failed" in out.decode("utf-8", "replace")
    if hung:
        return "hang", None, peak_mb, secs, text
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}", None, peak_mb, secs, text
    code = os.WEXITSTATUS(status)
    if code == 101 or "panicked" in text or "RUST_BACKTRACE" in text:
        return "panic", code, peak_mb, secs, text
    if code not in (0, 1, 2):
        return f"exit {code}", code, peak_mb, secs, text
    if "memory allocation" in text:
        return "oom", code, peak_mb, secs, text
    if caught:
        return "ok caught", code, peak_mb, secs, text
    return "ok", code, peak_mb, secs, text


def fuzz_cases(out: Path, seeds, rng):
    cases = []
    for seed in seeds:
        data = seed.read_bytes()
        stem = seed.name.replace("/", "_")
        for frac in (0.05, 0.3, 0.6, 0.9, 0.99):
            p = out / f"trunc{int(frac * 100):02d}_{stem}"
            p.write_bytes(data[: max(1, int(len(data) * frac))])
            cases.append(p)
        for k in range(6):
            b = bytearray(data)
            for _ in range(rng.choice([1, 4, 32])):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
            p = out / f"flip{k}_{stem}"
            p.write_bytes(bytes(b))
            cases.append(p)
    # Huge declared dimensions.
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>'
    )
    cases.append(minimal_xlsx(out / "dimension_xfd1048576.xlsx", [sheet]))
    dense = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="10000"><c r="BXX10000"><v>1</v></c></row></sheetData></worksheet>'
    )
    cases.append(minimal_xlsx(out / "dense_grid_16.xlsx", [dense] * 16))
    # The test fixtures (tests/fixtures/make_robust.py; needs openpyxl and xlwt): an .xls
    # declaring 65536 x 256 cells, an ODS repeating a value over 100 million cells.
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("make_robust", ROOT / "tests/fixtures/make_robust.py")
        mr = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mr)
        mr.wide_declared(str(out / "wide_declared.xls"))
        mr.repeated_ods(str(out / "repeated.ods"))
        cases += [out / "wide_declared.xls", out / "repeated.ods"]
    except ImportError as e:
        print(f"(tests/fixtures/make_robust.py not used: {e})", file=sys.stderr)
    # Zip bombs: 1 GiB of zeros as a sheet, declared; and the same with its sizes under-declared.
    bomb = out / "bomb_1gib.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        add_workbook_parts(z, 1)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1"><v>')
            chunk = b"0" * (1 << 20)
            for _ in range(1024):
                f.write(chunk)
            f.write(b"</v></c></row></sheetData></worksheet>")
    cases.append(bomb)
    liar = out / "bomb_underdeclared.xlsx"
    liar.write_bytes(under_declare(bomb.read_bytes()))
    cases.append(liar)
    return cases


def add_workbook_parts(z, n):
    sheets = "".join(f'<sheet name="S{i + 1}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i in range(n))
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(n)
    )
    over = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(n)
    )
    z.writestr(
        "[Content_Types].xml",
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{over}</Types>",
    )
    z.writestr(
        "_rels/.rels",
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    )
    z.writestr(
        "xl/workbook.xml",
        '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>',
    )
    z.writestr(
        "xl/_rels/workbook.xml.rels",
        f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
    )


def minimal_xlsx(path, sheets):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        add_workbook_parts(z, len(sheets))
        for i, s in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", s)
    return path


def under_declare(data: bytes) -> bytes:
    """Every size a ZIP's local and central headers (and zip64 extras) declare set to 1000."""
    b = bytearray(data)
    i = 0
    while True:
        i = b.find(b"PK\x01\x02", i)
        if i < 0:
            break
        struct.pack_into("<I", b, i + 24, 1000)
        i += 4
    i = 0
    while True:
        i = b.find(b"PK\x03\x04", i)
        if i < 0:
            break
        struct.pack_into("<I", b, i + 22, 1000)
        i += 4
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wcmon", default=str(ROOT / "target/debug/wcmon"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus"))
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--mem-cap-mb", type=int, default=8192)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--extra", nargs="*", default=[], help="more files or folders to sweep")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    corpus = Path(a.corpus)
    if not corpus.is_dir():
        corpus = Path("/work/shared/corpus")
    files = sorted(p for p in corpus.iterdir() if p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".xla", ".xlam"))
    for e in a.extra:
        p = Path(e)
        files += sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    cap = a.mem_cap_mb << 20
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = [ROOT / "sample_data/卫健局/2024年妇幼卫生年报.xlsx", ROOT / "sample_data/医保局/2024年社会保险参保情况.xls"]
        seeds += [f for f in files if f.suffix in (".xlsb", ".ods")][:2]
        fuzz = tmp / "fuzz"
        fuzz.mkdir()
        cases = [("corpus", f) for f in files] + [("fuzz", f) for f in fuzz_cases(fuzz, [s for s in seeds if s.exists()], rng)]
        db = tmp / "no_db"
        counts = {}
        worst = (0.0, "")
        slowest = (0.0, "")
        bad = []
        for kind, f in cases:
            for cmd_name, cmd in (
                ("inspect", [a.wcmon, "inspect", str(f)]),
                ("check", [a.wcmon, "check", str(f), "--db", str(db), "--format", "json"]),
            ):
                outcome, code, peak, secs, err = run_one(cmd, a.timeout, cap)
                key = (kind, cmd_name, f"{outcome} exit {code}" if outcome.startswith("ok") else outcome)
                counts[key] = counts.get(key, 0) + 1
                if peak > worst[0]:
                    worst = (peak, f"{cmd_name} {f.name}")
                if secs > slowest[0]:
                    slowest = (secs, f"{cmd_name} {f.name}")
                if not outcome.startswith("ok"):
                    bad.append((outcome, cmd_name, str(f), err.strip().splitlines()[-3:]))
        print(f"wcmon robustness sweep: {len(files)} corpus files, {len(cases) - len(files)} fuzz cases, inspect + check each")
        print(f"  timeout {a.timeout:.0f} s, address-space cap {a.mem_cap_mb} MB")
        for key in sorted(counts):
            print(f"  {key[0]:<7} {key[1]:<8} {key[2]:<14} {counts[key]}")
        panics = sum(n for k, n in counts.items() if k[2] == "panic")
        hangs = sum(n for k, n in counts.items() if k[2] == "hang")
        other = sum(n for k, n in counts.items() if not k[2].startswith("ok") and k[2] not in ("panic", "hang"))
        caught = sum(n for k, n in counts.items() if k[2].startswith("ok caught"))
        print(f"  panics {panics}  hangs {hangs}  crashes/killed/over the cap {other}  (reader panics caught as a clean issue: {caught})")
        print(f"  peak RSS of any run {worst[0]:.0f} MB ({worst[1]}); slowest {slowest[0]:.1f} s ({slowest[1]})")
        for b in bad:
            print("  BAD", *b)
        sys.exit(1 if panics or hangs or other else 0)


if __name__ == "__main__":
    main()
