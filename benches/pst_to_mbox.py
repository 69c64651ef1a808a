#!/usr/bin/env python3
"""PST -> mbox: mailshift against readpst, in the same run.

    python3 benches/pst_to_mbox.py [--pst ../shared/bench/bench.pst] [--runs 3]

Runs `mailshift convert PST DIR --to mbox` and `readpst -D -o DIR PST` on
fresh output directories, and prints wall time, peak memory (RssAnon is
what a tool allocated; rss also counts the mapped input's pages) and the
ratio to mailshift, plus the number of messages each wrote (From_ lines).
Needs: cargo, readpst (Debian: pst-utils).
"""
import argparse, os, re, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FROM_LINE = re.compile(rb"^From ", re.M)


def messages(d):
    """Messages in an output tree: From_ separators after a blank line or at file start."""
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            n += len(re.findall(rb"(?:\A|\n\n|\r\n\r\n)From ", data))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pst", default=os.path.join(ROOT, "..", "shared", "bench", "bench.pst"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/mailshift-bench-pst")
    a = ap.parse_args()
    pst = os.path.abspath(a.pst)
    if not os.path.exists(pst):
        sys.exit(f"{pst}: missing (the shared bench file)")

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mailshift"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    mailshift = os.path.join(target, "release", "mailshift")
    work = os.path.abspath(a.workdir)
    os.makedirs(work, exist_ok=True)

    def fresh(name):
        d = os.path.join(work, name)
        shutil.rmtree(d, ignore_errors=True)
        return d

    def ms():
        out = fresh("mailshift")
        return [mailshift, "convert", pst, out, "--to", "mbox", "--no-fsync", "-q"], out

    def readpst():
        out = fresh("readpst")
        os.makedirs(out)
        return ["readpst", "-q", "-D", "-o", out, pst], out

    rows = []
    for name, make in [("mailshift", ms), ("readpst -D", readpst)]:
        if shutil.which(make()[0][0]) is None:
            print(f"skipping {name}: not installed", file=sys.stderr)
            continue
        times, anons, rsss = [], [], []
        for _ in range(a.runs):
            cmd, out = make()
            subprocess.run(["sync"])
            dt, anon, rss = timed(cmd)
            times.append(dt); anons.append(anon); rsss.append(rss)
        rows.append((name, statistics.median(times), max(anons), max(rsss), messages(out), cmd))

    size = os.path.getsize(pst)
    base = rows[0][1]
    print(f"input: {pst}: {size/1e6:.0f} MB; median of {a.runs} runs; {os.cpu_count()} cores")
    print(f"{'tool':<12} {'seconds':>8} {'msgs':>6} {'anon MiB':>9} {'rss MiB':>8} {'time / mailshift':>17}")
    for name, t, anon, rss, n, _ in rows:
        print(f"{name:<12} {t:8.2f} {n:6d} {anon/2**20:9.1f} {rss/2**20:8.1f} {t/base:17.2f}")
    print()
    for name, *_, cmd in rows:
        print(f"{name}: {' '.join(cmd)}")


if __name__ == "__main__":
    main()
