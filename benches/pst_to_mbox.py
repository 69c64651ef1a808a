#!/usr/bin/env python3
"""PST -> mbox (or one file per message): mailshift against readpst and pffexport, in the same run.

    python3 benches/pst_to_mbox.py [--pst FILE ...] [--gen N,N,...] [--to mbox|maildir|eml] [--fsync] [--runs 3]

For each store (bench.pst, unless `--pst` names others; `--gen
2500,10000,40000` adds stores of those many messages written by our PST
writer, `gen_pst`, cached in the work directory: 1x, 4x and 16x for the
linearity table), runs on fresh output directories:

- `mailshift convert PST DIR --to mbox --no-fsync` (`--fsync`: the default
  fsync on; `--to maildir` or `--to eml`: one file per message);
- `readpst -D -o DIR PST` (mbox per folder; with `--to maildir`,
  `readpst -D -M`: one MH file per message; with `--to eml`,
  `readpst -D -e`: one .eml file per message);
- `pffexport -q -t DIR PST` (libpff: DIR.export, a directory per item, its own format).

and prints wall and CPU time (user + system of the process and what it
waited for; medians of `--runs` runs in which the tools take turns),
peak RssAnon (what a tool allocated) and RSS (which also counts the
mapped input; from one more run each, sampled from /proc, not timed),
messages written, and the ratios to readpst.
Then, with more than one store, seconds per 1,000 messages per tool.
Needs: cargo, readpst (pst-utils), pffexport (pff-tools).
"""
import argparse, mmap, os, re, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Outputs, timed_cpu  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def occurrences(m, pat):
    """How often `pat` occurs in the map `m` (mmap has find, not count)."""
    n, i = 0, m.find(pat)
    while i >= 0:
        n, i = n + 1, m.find(pat, i + len(pat))
    return n


def messages(d, layout):
    """Messages in an output tree: From_ separators (mbox), else files that
    look like a message (maildir/MH), else pffexport's Message directories."""
    n = 0
    for root, dirs, files in os.walk(d):
        if layout == "pffexport":
            n += sum(1 for x in dirs if re.fullmatch(r"Message\d+", x))
            continue
        for f in files:
            p = os.path.join(root, f)
            if layout == "mbox":
                # Counted in the map (bytes.count runs at memory speed: a
                # regex over a 7 GB output took minutes).
                if os.path.getsize(p) == 0:
                    continue
                with open(p, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
                    n += int(m[:5] == b"From ") + occurrences(m, b"\n\nFrom ") + occurrences(m, b"\r\n\r\nFrom ")
            elif (not f.startswith(".") and not f.endswith((".vcf", ".ics", ".json")) and os.path.basename(root) != "tmp"
                  and f not in ("maildirfolder", "dovecot-keywords")):
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pst", action="append", help="a store (repeatable; in place of bench.pst)")
    ap.add_argument("--gen", default="", help="also generated stores of these many messages, comma-separated")
    ap.add_argument("--small", action="store_true", help="generated stores: 1 KB of text a message (gen_pst --small)")
    ap.add_argument("--to", choices=["mbox", "maildir", "eml"], default="mbox")
    ap.add_argument("--fsync", action="store_true", help="mailshift with fsync on (its default)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip", default="", help="tools to leave out, comma-separated (readpst, pffexport)")
    ap.add_argument("--workdir", default="/tmp/mailshift-bench-pst")
    a = ap.parse_args()
    work = os.path.abspath(a.workdir)
    os.makedirs(work, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mailshift"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    mailshift = os.path.join(target, "release", "mailshift")
    stores = [os.path.abspath(p) for p in (a.pst or [])]
    if not a.pst:
        stores.append(os.path.abspath(os.path.join(ROOT, "..", "shared", "bench", "bench.pst")))
    for n in [int(x) for x in a.gen.split(",") if x.strip()]:
        kind = "small" if a.small else "bench"
        p = os.path.join(work, f"gen-{kind}-{n}.pst")
        if not os.path.exists(p):
            cmd = ["cargo", "run", "--release", "-q", "-p", "mailshift-pst", "--example", "gen_pst", "--", p, "--messages", str(n)]
            subprocess.run(cmd + (["--small"] if a.small else []), cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        stores.append(p)
    for s in stores:
        if not os.path.exists(s):
            sys.exit(f"{s}: missing")
    skip = {x.strip() for x in a.skip.split(",") if x.strip()}

    # Each run writes a directory of its own, all removed at the end
    # (benchlib.Outputs: deleting just before a run slows its file creation).
    outputs = Outputs(work)
    fresh = outputs.fresh

    tools = []
    fs = [] if a.fsync else ["--no-fsync"]
    tools.append((f"mailshift{'' if a.fsync else ' --no-fsync'}", "mailshift", a.to,
                  lambda pst, out: [mailshift, "convert", pst, out, "--to", a.to, "-q"] + fs, False))
    if "readpst" not in skip and shutil.which("readpst"):
        flags = {"maildir": ["-D", "-M"], "eml": ["-D", "-e"]}.get(a.to, ["-D"])
        tools.append((f"readpst {' '.join(flags)}", "readpst", a.to,
                      lambda pst, out: ["readpst", "-q"] + flags + ["-o", out, pst], True))
    elif "readpst" not in skip:
        print("skipping readpst: not installed", file=sys.stderr)
    if "pffexport" not in skip and shutil.which("pffexport"):
        # pffexport writes into OUT.export.
        tools.append(("pffexport", "pffexport", "pffexport", lambda pst, out: ["pffexport", "-q", "-t", out, pst], False))
    elif "pffexport" not in skip:
        print("skipping pffexport: not installed", file=sys.stderr)

    # Per store: one run of each tool with its memory sampled (not timed:
    # the sampler takes CPU from what it samples), then `--runs` timed runs,
    # the tools taking turns, so that a slower spell of a shared machine
    # falls on all of them alike.
    results = {}
    for pst in stores:
        runs = {name: ([], [], 0, 0) for name, *_ in tools}
        last = {}

        def once(tool, sample):
            name, short, layout, make, premake = tool
            out = fresh(short, few_files=layout == "mbox")
            if premake:
                os.makedirs(out)
            cmd = make(pst, out)
            subprocess.run(["sync"])
            last[name] = (out + ".export" if short == "pffexport" else out, layout, cmd)
            return timed_cpu(cmd, sample=sample)

        for tool in tools:
            _, _, anon, rss = once(tool, True)
            t, c, _, _ = runs[tool[0]]
            runs[tool[0]] = (t, c, anon, rss)
        for _ in range(a.runs):
            for tool in tools:
                dt, cpu, _, _ = once(tool, False)
                runs[tool[0]][0].append(dt)
                runs[tool[0]][1].append(cpu)
        for name, *_ in tools:
            times, cpus, anon, rss = runs[name]
            written, layout, cmd = last[name]
            results[(pst, name)] = (statistics.median(times), statistics.median(cpus), anon, rss,
                                    messages(written, layout), cmd)

    print(f"median of {a.runs} runs; {os.cpu_count()} cores; target {a.to}")
    for pst in stores:
        ref = results.get((pst, tools[1][0])) if len(tools) > 1 else None
        print(f"\n{pst}: {os.path.getsize(pst)/1e6:.0f} MB")
        print(f"{'tool':<24} {'wall s':>7} {'cpu s':>7} {'msgs':>7} {'anon MiB':>9} {'rss MiB':>8} {'wall/readpst':>13} {'cpu/readpst':>12}")
        for name, *_ in tools:
            t, cpu, anon, rss, n, _ = results[(pst, name)]
            wr = f"{t/ref[0]:13.2f}" if ref else f"{'':>13}"
            cr = f"{cpu/ref[1]:12.2f}" if ref and ref[1] > 0 else f"{'':>12}"
            print(f"{name:<24} {t:7.2f} {cpu:7.2f} {n:7d} {anon/2**20:9.1f} {rss/2**20:8.1f} {wr} {cr}")
    if len(stores) > 1:
        print("\nseconds per 1,000 messages (wall), by store:")
        print(f"{'tool':<24} " + " ".join(f"{os.path.basename(p)[:16]:>16}" for p in stores))
        for name, *_ in tools:
            cells = []
            for pst in stores:
                t, _, _, _, n, _ = results[(pst, name)]
                cells.append(f"{1000*t/max(n,1):16.3f}")
            print(f"{name:<24} " + " ".join(cells))
    print()
    for name, *_ in tools:
        print(f"{name}: {' '.join(results[(stores[-1], name)][5])}")
    outputs.remove_all()


if __name__ == "__main__":
    main()
