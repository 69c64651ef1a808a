#!/usr/bin/env python3
"""Exit codes of `mailshift convert` on every fixture, per target format.

    python3 benches/exit_codes.py [--bin PATH] [--label NAME] [--fixtures DIR] [--why]

Runs `convert FIXTURE OUT --to mbox|maildir|eml --no-fsync -q --report R`
(and `info FIXTURE`) for every PST, OST and mbox file listed in the
fixtures' MANIFEST.tsv and prints how many runs exit 0, 1 and 2 per target.
With --why, it also counts the reasons behind the exit-1 runs (the report's
failures, losses, skips of unsupported items and damaged problems). Give
--bin to measure another build (an older commit's binary, say) in the same
way. Not a timed test: a table for the closing notes.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "mailshift"))
    ap.add_argument("--label", default="this build")
    ap.add_argument("--fixtures", default=os.environ.get("MAILSHIFT_FIXTURES", os.path.join(ROOT, "..", "shared", "fixtures")))
    ap.add_argument("--why", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        subprocess.run(["cargo", "build", "--release", "-p", "mailshift"], cwd=ROOT, check=True)
    files = []
    with open(os.path.join(a.fixtures, "MANIFEST.tsv")) as f:
        for row in f.read().splitlines()[1:]:
            name = row.split("\t")[0]
            if name.lower().endswith((".pst", ".ost", ".mbox")):
                files.append(os.path.join(a.fixtures, name))
    files = [f for f in files if os.path.isfile(f)]
    codes = collections.defaultdict(collections.Counter)
    why = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(files):
            r = subprocess.run([a.bin, "info", src], capture_output=True)
            codes["info"][r.returncode] += 1
            for fmt in ("mbox", "maildir", "eml"):
                out = os.path.join(tmp, f"{i}-{fmt}")
                rep = out + ".json"
                r = subprocess.run([a.bin, "convert", src, out, "--to", fmt, "--no-fsync", "-q", "--report", rep], capture_output=True)
                codes[fmt][r.returncode] += 1
                if a.why and r.returncode == 1 and os.path.exists(rep):
                    rj = json.load(open(rep))
                    for fo in rj.get("folders", []):
                        for x in fo.get("failures", []):
                            why[fmt]["failed: " + x["reason"].split(":")[0][:60]] += 1
                        for x in fo.get("losses", []):
                            why[fmt]["lost: " + x["reason"][:60]] += 1
                        if fo["counts"]["skipped_unsupported"]:
                            why[fmt]["unsupported items"] += 1
                    for p in rj.get("problems", []):
                        if p.get("severity", "damaged") != "note":
                            why[fmt]["problem: " + p["structure"]] += 1
    print(f"{a.label}: {len(files)} fixtures ({a.bin})")
    print("| run | exit 0 | exit 1 | exit 2 | other |")
    print("|---|---:|---:|---:|---:|")
    for k in ("mbox", "maildir", "eml", "info"):
        c = codes[k]
        other = sum(v for code, v in c.items() if code not in (0, 1, 2))
        name = "info" if k == "info" else f"convert --to {k}"
        print(f"| {name} | {c[0]} | {c[1]} | {c[2]} | {other} |")
    if a.why:
        for fmt, c in why.items():
            print(f"\nexit-1 reasons, --to {fmt} (runs with each):")
            for reason, n in c.most_common(12):
                print(f"  {n:4}  {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
