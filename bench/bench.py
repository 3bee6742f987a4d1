#!/usr/bin/env python3
"""wcmon's benchmark: one run on one corpus, ratios against what else a statistician would use.

    python3 bench/bench.py [--counties 112] [--years 10] [--corpus /tmp/wcmon-corpus] [--python-files 300]

Needs a release build (cargo build --release --examples) and, for the Python
references, `pip install pandas openpyxl xlrd polars fastexcel`. Prints a table
and writes bench/results.json. Not part of the test suite (speed is measured
here, not in tests).

What is measured, on the same corpus:
  wcmon rebuild             every workbook read, validated, computed, published; and its
                            ingest alone (the read stage in its log: discovered, hashed,
                            read, normalised, cached), the work the Python references do
  wcmon run (unchanged)     nothing changed since the last run
  wcmon run (1% changed)    1% of the workbooks re-saved (new bytes, same figures)
  wcmon run (one county)    every workbook of one county re-saved (a correction as it comes)
  bare calamine read        every sheet of every workbook read in parallel, cells touched, nothing else (the limit)
  pandas + openpyxl         bench/reference.py --engine openpyxl, the same long table (on a sample of files)
  polars.read_excel         bench/reference.py --engine polars (fastexcel / calamine), likewise
The rebuild, the bare read and each Python reference run --repeat times (3 by
default) and report the median (every run is in results.json): the shared
machine varies by ±15% from minute to minute. Peak RSS comes from /usr/bin/time -v. The Python references read a sample of
the corpus (they are slow); their throughput is per workbook and per MB.
"""
import argparse
import json
import statistics
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WCMON = ROOT / "target" / "release" / "wcmon"
BARE = ROOT / "target" / "release" / "examples" / "bare_read"


LAST_STDERR = [""]


def timed(cmd, env=None):
    """Run under /usr/bin/time -v: (wall seconds, peak RSS MB, stdout); its stderr is kept in LAST_STDERR."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    LAST_STDERR[0] = p.stderr
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr[-3000:]}")
    return wall, rss, p.stdout


def corpus_files(inbox):
    return sorted(p for p in Path(inbox).rglob("*") if p.suffix in (".xlsx", ".xls") and not p.name.startswith("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=112)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--corpus", default="/tmp/wcmon-corpus")
    ap.add_argument("--python-files", type=int, default=300, help="files the Python references read")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of the rebuild, the bare read and each Python reference; the median is reported (the machine is noisy)")
    args = ap.parse_args()
    for exe in (WCMON, BARE):
        if not exe.exists():
            sys.exit(f"{exe} missing: cargo build --release --examples")
    corpus = Path(args.corpus)
    inbox, pipelines, db = corpus / "inbox", corpus / "pipelines", corpus / "db"
    if not inbox.exists():
        t = time.perf_counter()
        subprocess.run([WCMON, "generate", "--scale", "--counties", str(args.counties), "--years", str(args.years), "--out", corpus], check=True)
        print(f"corpus generated in {time.perf_counter() - t:.0f} s")
    files = corpus_files(inbox)
    mb = sum(f.stat().st_size for f in files) / 1e6
    n = len(files)
    results = {"machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())}, "corpus": {"path": str(corpus), "workbooks": n, "mb": round(mb, 1)}}

    def wc(*extra):
        return [WCMON, "--pipelines", pipelines, *extra, "--inbox", inbox, "--db", db]

    def median_of(cmd, before=None, env=None, after=None):
        """Run `cmd` --repeat times: the median wall, every wall, the largest peak RSS and the last output."""
        walls, rsses, out = [], [], ""
        for _ in range(max(1, args.repeat)):
            if before:
                before()
            wall, rss, out = timed(cmd, env=env)
            if after:
                after()
            walls.append(wall)
            rsses.append(rss)
        return statistics.median(walls), walls, max(rsses), out

    # The rebuild logs when its read stage ends (every workbook discovered, hashed, read,
    # normalised and cached, from the start of the run): that is the ingest the Python
    # references do, so it is reported beside the whole run.
    ingest = []

    def read_stage():
        log = re.sub(r"\x1b\[[0-9;]*m", "", LAST_STDERR[0])
        m = re.search(r"stage read ms=(\d+)", log)
        if not m:
            sys.exit("the rebuild's log has no 'stage read ms=' line (WCMON_LOG=wcmon::pipeline=info)")
        ingest.append(int(m.group(1)) / 1000)

    log_env = {**os.environ, "WCMON_LOG": "wcmon::pipeline=info", "NO_COLOR": "1"}
    wall, walls, rss, out = median_of([WCMON, "--pipelines", pipelines, "--log-format", "text", "rebuild", "--inbox", inbox, "--db", db],
                                      before=lambda: shutil.rmtree(db, ignore_errors=True), env=log_env, after=read_stage)
    cells = int(re.search(r"cells read (\d+)", out).group(1))
    results["rebuild"] = {"seconds": wall, "runs": walls, "rss_mb": rss, "cells": cells, "summary": out.strip().splitlines()[:3],
                          "ingest_seconds": statistics.median(ingest), "ingest_runs": ingest}
    wall, rss, out = timed([WCMON, "--pipelines", pipelines, "run", "--inbox", inbox, "--db", db])
    assert "0 read" in out, out
    results["run_unchanged"] = {"seconds": wall, "rss_mb": rss}
    # 1% of the workbooks re-saved: new bytes (and mtime), the same figures.
    random.seed(1)
    changed = random.sample([f for f in files if f.suffix == ".xlsx"], max(1, n // 100))
    import openpyxl  # noqa: E402 (only needed here)

    for f in changed:
        wb = openpyxl.load_workbook(f)
        wb.properties.title = "re-saved by bench.py"
        wb.save(f)
    wall, rss, out = timed([WCMON, "--pipelines", pipelines, "run", "--inbox", inbox, "--db", db])
    results["run_1pct"] = {"seconds": wall, "rss_mb": rss, "files_changed": len(changed), "summary": out.strip().splitlines()[:1]}
    # A correction as it comes: every return of one county (about as many files as the 1%) re-saved.
    county = sorted(d for d in inbox.iterdir() if d.is_dir())[len(list(inbox.iterdir())) // 2]
    changed = [f for f in files if f.suffix == ".xlsx" and county in f.parents]
    for f in changed:
        wb = openpyxl.load_workbook(f)
        wb.properties.title = "re-saved by bench.py (county)"
        wb.save(f)
    wall, rss, out = timed([WCMON, "--pipelines", pipelines, "run", "--inbox", inbox, "--db", db])
    results["run_county"] = {"seconds": wall, "rss_mb": rss, "files_changed": len(changed), "county": county.name,
                             "summary": [l for l in out.strip().splitlines() if "parts" in l or "files" in l][:2]}

    wall, walls, rss, out = median_of([BARE, inbox])
    bare = json.loads(out)
    results["bare_calamine"] = {"seconds": wall, "runs": walls, "rss_mb": rss, "cells_all": bare["cells"], "read_seconds": bare["seconds"]}

    if not args.skip_python:
        sample = files[: args.python_files]
        sub = corpus / "python_sample"
        if not sub.exists():
            for f in sample:
                dest = sub / f.relative_to(inbox)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, dest)
        smb = sum(f.stat().st_size for f in sample) / 1e6
        for engine in ("openpyxl", "polars"):
            outp = corpus / f"reference_{engine}.parquet"
            runs = []
            for _ in range(max(1, args.repeat)):
                wall, rss, out = timed([sys.executable, ROOT / "bench" / "reference.py", "--engine", engine, "--pipelines", pipelines, "--inbox", sub, "--out", outp])
                runs.append((json.loads(out.strip().splitlines()[-1]), wall))
            r, wall = sorted(runs, key=lambda x: x[0]["seconds"])[len(runs) // 2]
            results[f"python_{engine}"] = {"seconds": r["seconds"], "runs": sorted(x[0]["seconds"] for x in runs), "wall": wall, "rss_mb": rss, "files": r["files"], "files_skipped": r.get("files_skipped", 0), "rows": r["rows"], "mb": round(smb, 1)}
        # wcmon on the same sample, for a like-for-like check of the outputs.
        sdb = corpus / "python_sample_db"
        shutil.rmtree(sdb, ignore_errors=True)
        w, _, _ = timed([WCMON, "--pipelines", pipelines, "rebuild", "--inbox", sub, "--db", sdb])
        results["wcmon_on_sample"] = {"seconds": w}
        for engine in ("openpyxl", "polars"):
            p = subprocess.run([sys.executable, ROOT / "bench" / "compare.py", sdb, corpus / f"reference_{engine}.parquet"], capture_output=True, text=True)
            results[f"python_{engine}"]["agrees_with_wcmon"] = p.returncode == 0
            results[f"python_{engine}"]["compare"] = p.stdout.strip().splitlines()[-3:]

    # The table.
    per = lambda sec, files_, mb_: (files_ / sec, mb_ / sec)  # noqa: E731
    rows = []
    rb = results["rebuild"]
    wb_s, mb_s = per(rb["seconds"], n, mb)
    rows.append(("wcmon rebuild", rb["seconds"], wb_s, mb_s, rb["rss_mb"]))
    ing = rb["ingest_seconds"]
    iwb, imb = per(ing, n, mb)
    rows.append(("wcmon rebuild: its ingest alone (read stage)", ing, iwb, imb, None))
    rows.append(("wcmon run, unchanged", results["run_unchanged"]["seconds"], None, None, results["run_unchanged"]["rss_mb"]))
    rows.append(("wcmon run, 1% changed", results["run_1pct"]["seconds"], None, None, results["run_1pct"]["rss_mb"]))
    rc = results["run_county"]
    rows.append((f"wcmon run, one county changed ({rc['files_changed']} files)", rc["seconds"], None, None, rc["rss_mb"]))
    bc = results["bare_calamine"]
    bwb, bmb = per(bc["seconds"], n, mb)
    rows.append(("bare calamine read (limit)", bc["seconds"], bwb, bmb, bc["rss_mb"]))
    for engine in ("openpyxl", "polars"):
        r = results.get(f"python_{engine}")
        if r:
            pwb, pmb = per(r["seconds"], r["files"], r["mb"])
            rows.append((f"python {engine} ({r['files']} files)", r["seconds"], pwb, pmb, r["rss_mb"]))
    print(f"\ncorpus: {n} workbooks, {mb:.0f} MB, {rb['cells']} value cells; {os.cpu_count()} cores\n")
    print(f"| what | seconds | workbooks/s | MB/s | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for name, sec, w, m, r in rows:
        fmt = lambda x: "" if x is None else f"{x:,.1f}"  # noqa: E731
        print(f"| {name} | {sec:,.2f} | {fmt(w)} | {fmt(m)} | {'' if r is None else f'{r:,.0f}'} |")
    ratios = {
        "rebuild / bare calamine (throughput)": bc["seconds"] / rb["seconds"],
        "ingest / bare calamine (throughput)": bc["seconds"] / ing,
        "unchanged run / rebuild (time)": results["run_unchanged"]["seconds"] / rb["seconds"],
        "1%-changed run / rebuild (time)": results["run_1pct"]["seconds"] / rb["seconds"],
        "one-county run / rebuild (time)": rc["seconds"] / rb["seconds"],
    }
    for engine in ("openpyxl", "polars"):
        r = results.get(f"python_{engine}")
        if r:
            ratios[f"wcmon / python {engine} (workbooks/s)"] = wb_s / (r["files"] / r["seconds"])
            ratios[f"wcmon ingest / python {engine} (workbooks/s)"] = iwb / (r["files"] / r["seconds"])
    results["ratios"] = ratios
    print()
    for k in ("rebuild", "bare_calamine", "python_openpyxl", "python_polars"):
        if "runs" in results.get(k, {}):
            print(f"{k} runs (s): {', '.join(f'{x:.2f}' for x in results[k]['runs'])}")
    for k, v in ratios.items():
        print(f"{k}: {v:.3f}")
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
