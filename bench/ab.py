#!/usr/bin/env python3
"""Compare two builds of wcmon on the scale corpus: the tools each change was measured with.

    python3 bench/ab.py rebuilds BIN_A BIN_B [--pairs 3] [--keep DIR]   alternating full rebuilds: wall, user CPU, peak RSS
    python3 bench/ab.py same DB_A DB_B                     are the two databases' published Parquet files the same bytes?
    python3 bench/ab.py validation BIN [BIN ...]           validation's steps, one thread, one part at a time, summed over the parts

The machine drifts by ±10% from minute to minute, so a change is measured in
alternating pairs (A, B, A, B, ...), or by the time of its own step, never by
one run against a number from earlier. Keep a copy of each binary
(`cp target/release/wcmon /tmp/wcmon.a`): every build has its own state digest,
so a database rebuilt by one build is read from scratch by the other.
"""
import argparse
import collections
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def rebuild(binary, corpus, db, env=None, extra=()):
    """One `wcmon rebuild` under /usr/bin/time: (wall s, user s, peak RSS MB, stderr)."""
    shutil.rmtree(db, ignore_errors=True)
    cmd = ["/usr/bin/time", "-f", "%e %U %M", binary, "--pipelines", corpus / "pipelines", "rebuild",
           "--inbox", corpus / "inbox", "--db", db, *extra]
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1):
        sys.exit(f"{binary} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    wall, user, rss = p.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user), int(rss) / 1024, p.stderr


def rebuilds(args):
    corpus = Path(args.corpus)
    times = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.pairs):
            for side, binary in (("a", args.a), ("b", args.b)):
                # --keep: each binary's last database stays, for `same` (the bytes of the same runs that were timed).
                db = Path(args.keep) / side if args.keep else Path(tmp) / "db"
                wall, user, rss, _ = rebuild(binary, corpus, db)
                times[side].append((wall, user, rss))
                print(f"pair {i + 1}  {binary}  {wall:6.2f} s wall  {user:6.2f} s user  {rss:6.0f} MB", flush=True)
    med = {k: [sorted(t[j] for t in v)[len(v) // 2] for j in range(3)] for k, v in times.items()}
    (wa, ua, ra), (wb, ub, rb) = med["a"], med["b"]
    print(f"median  A {wa:.2f} s wall {ua:.2f} s user {ra:.0f} MB   B {wb:.2f} s wall {ub:.2f} s user {rb:.0f} MB   "
          f"B/A wall {wb / wa:.3f} user {ub / ua:.3f}")


def published(db):
    """The folder of a database's current version."""
    db = Path(db)
    current = db / "current"
    return current.resolve() if current.exists() else sorted((db / "versions").iterdir())[-1]


def same(args):
    a, b = published(args.a), published(args.b)
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    others = sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
    differ = [f for f in files if not (b / f).exists() or not filecmp.cmp(a / f, b / f, shallow=False)]
    missing = [f for f in others if f not in set(files)]
    # A column that is wall-clock by definition (when a return was first seen) differs between any two runs:
    # such a table counts as the same when every other column is equal, row for row.
    clock = {"reporting.parquet": ["first_received"]}
    for f in list(differ):
        cols = clock.get(f.name)
        if cols and (b / f).exists() and same_but(a / f, b / f, cols):
            differ.remove(f)
            print(f"same but for its wall-clock column(s) {', '.join(cols)}: {f}")
    for f in differ:
        print(f"differs: {f}")
    for f in missing:
        print(f"only in {b}: {f}")
    print(f"compared {len(files)} files: {'the same bytes' if not differ and not missing else 'NOT the same'}")
    sys.exit(1 if differ or missing else 0)


def same_but(fa, fb, cols):
    """Are two Parquet files equal, row for row, in every column but `cols`? (pyarrow, an independent reader)"""
    import pyarrow.parquet as pq
    ta, tb = pq.read_table(fa), pq.read_table(fb)
    if ta.schema != tb.schema:
        return False
    keep = [c for c in ta.column_names if c not in cols]
    return ta.select(keep).equals(tb.select(keep))


STEPS = ["keys", "ranges", "one value per key", "female within total", "catalogue rules", "form rules", "outliers",
         "repeated last year", "applied"]


def validation(args):
    corpus = Path(args.corpus)
    env = dict(os.environ, RAYON_NUM_THREADS="1", WCMON_LOG="info,wcmon::validate=trace", NO_COLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        for binary in args.bins:
            _, _, _, log = rebuild(binary, corpus, Path(tmp) / "db", env=env, extra=["--parts-at-once", "1"])
            # Each trace line gives the time since the group's validation began; a step is the difference.
            total, before = collections.Counter(), 0
            for line in re.sub(r"\x1b\[[0-9;]*m", "", log).splitlines():
                m = re.search(r"validate: ([a-z ]+?) ms=(\d+)", line)
                if not m:
                    continue
                step, ms = m.group(1), int(m.group(2))
                if step == STEPS[0]:
                    before = 0
                total[step] += ms - before
                before = ms
            print(f"{binary}: " + "  ".join(f"{s}={total[s]}" for s in STEPS) + f"  total={sum(total.values())} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/wcmon-corpus", help="made by bench.py or `wcmon generate --scale`")
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("rebuilds")
    r.add_argument("a")
    r.add_argument("b")
    r.add_argument("--pairs", type=int, default=3)
    r.add_argument("--keep", help="keep each binary's last database in KEEP/a and KEEP/b (for `same`)")
    s = sub.add_parser("same")
    s.add_argument("a")
    s.add_argument("b")
    v = sub.add_parser("validation")
    v.add_argument("bins", nargs="+")
    args = ap.parse_args()
    {"rebuilds": rebuilds, "same": same, "validation": validation}[args.what](args)


if __name__ == "__main__":
    main()
