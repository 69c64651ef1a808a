#!/usr/bin/env python3
"""PST -> PST: mailshift against cp of the same file, in the same run.

    python3 benches/pst_to_pst.py [--pst ../shared/bench/bench.pst] [--messages 10000]
                                  [--small-messages 100000] [--runs 3]

Inputs: the shared bench.pst, a store of --messages generated messages
(`cargo run --release -p mailshift-pst --example gen_pst`, seed --seed,
about 50 KB a message) and one of --small-messages small ones (`--small`,
1 KB of text: where memory per item shows), written once per run of this
script into --workdir. For each input, runs in turn, --runs times
(interleaved, so that the machine's load falls on all alike):

  mailshift convert IN OUT.pst --no-fsync    against  cp IN OUT
  mailshift convert IN OUT.pst (fsync)       against  cp IN OUT && sync OUT DIR

and prints median wall time and CPU time (user + system), peak private
memory (RssAnon of the process tree, sampled every 10 ms; rss also counts
the memory-mapped input), the ratio to cp in the same mode (the issue's
goal: within 3x), and the memory goal: under 64 MiB plus 100 bytes per
item written (items from mailshift's --report).
Needs: cargo; cp and sync (coreutils).
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pst", default=os.path.join(ROOT, "..", "shared", "bench", "bench.pst"))
    ap.add_argument("--messages", type=int, default=10_000, help="messages of the generated store (0: none)")
    ap.add_argument("--small-messages", type=int, default=100_000,
                    help="messages of a generated store of small ones, for memory per item (0: none)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/mailshift-bench-pst2pst")
    a = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mailshift"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mailshift-pst", "--example", "gen_pst"],
                   cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    mailshift = os.path.join(target, "release", "mailshift")
    gen = os.path.join(target, "release", "examples", "gen_pst")
    work = os.path.abspath(a.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    inputs = []
    pst = os.path.abspath(a.pst)
    if os.path.exists(pst):
        inputs.append(pst)
    else:
        print(f"skipping {pst}: missing (the shared bench file)", file=sys.stderr)
    for n, preset in [(a.messages, []), (a.small_messages, ["--small"])]:
        if n <= 0:
            continue
        g = os.path.join(work, f"generated-{n}{'-small' if preset else ''}-seed{a.seed}.pst")
        out = subprocess.run([gen, g, "--messages", str(n), "--seed", str(a.seed)] + preset,
                             check=True, capture_output=True, text=True).stdout
        made = json.loads(out)
        print(f"generated {g}: {made['messages']} messages, {made['attachments']} attachments, "
              f"{made['bytes']/1e6:.0f} MB in {made['seconds']:.1f} s", file=sys.stderr)
        inputs.append(g)
    if not inputs:
        sys.exit("no input")

    out = os.path.join(work, "out.pst")
    report = os.path.join(work, "report.json")

    def fresh():
        for p in (out, report):
            if os.path.exists(p):
                os.remove(p)

    tools = [
        ("mailshift --no-fsync", lambda i: [mailshift, "convert", i, out, "--no-fsync", "-q", "--report", report]),
        ("cp", lambda i: ["cp", i, out]),
        ("mailshift (fsync)", lambda i: [mailshift, "convert", i, out, "-q", "--report", report]),
        ("cp + sync", lambda i: ["sh", "-c", 'cp "$1" "$2" && sync "$2" "$(dirname "$2")"', "sh", i, out]),
    ]
    # Each mailshift row is held against the cp row of the same mode.
    against = {"mailshift --no-fsync": "cp", "cp": "cp", "mailshift (fsync)": "cp + sync", "cp + sync": "cp + sync"}

    tables = []
    for inp in inputs:
        runs = {name: [] for name, _ in tools}
        items = None
        for _ in range(a.runs):
            for name, make in tools:
                fresh()
                subprocess.run(["sync"])
                cmd = make(inp)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                dt, anon, rss = timed(cmd)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs[name].append((dt, anon, rss, cpu))
                if name.startswith("mailshift"):
                    with open(report) as f:
                        r = json.load(f)
                    items = r["total"]["copied"]
                    if r["total"].get("failed"):
                        sys.exit(f"{' '.join(cmd)}: {r['total']['failed']} items failed")
        fresh()
        rows = {}
        for name, make in tools:
            rs = runs[name]
            rows[name] = (statistics.median(r[0] for r in rs), max(r[1] for r in rs), max(r[2] for r in rs),
                          statistics.median(r[3] for r in rs), make(inp))
        tables.append((inp, items, rows))

    load = os.getloadavg()[0]
    print(f"median of {a.runs} runs; {os.cpu_count()} cores; load average {load:.1f} at the end "
          f"(cpu s: user + system time, which the machine's other load changes less than wall time)")
    for inp, items, rows in tables:
        size = os.path.getsize(inp)
        goal = 64 * MIB + 100 * items
        print()
        print(f"input: {inp}: {size/1e6:.0f} MB, {items:,} items written")
        print(f"{'tool':<22} {'seconds':>8} {'MB/s':>7} {'cpu s':>6} {'anon MiB':>9} {'rss MiB':>8} {'time / cp':>10}")
        for name, (t, anon, rss, cpu, _) in rows.items():
            base = rows[against[name]][0]
            print(f"{name:<22} {t:8.2f} {size/1e6/t:7.1f} {cpu:6.2f} {anon/MIB:9.1f} {rss/MIB:8.1f} {t/base:10.2f}")
        worst = max(rows["mailshift --no-fsync"][1], rows["mailshift (fsync)"][1])
        print(f"speed goal: within 3x of cp: --no-fsync {rows['mailshift --no-fsync'][0]/rows['cp'][0]:.2f}x, "
              f"fsync {rows['mailshift (fsync)'][0]/rows['cp + sync'][0]:.2f}x")
        print(f"memory goal: 64 MiB + 100 B x {items:,} items = {goal/MIB:.1f} MiB; mailshift's peak anon "
              f"{worst/MIB:.1f} MiB: {'met' if worst < goal else 'MISSED'}")
    print()
    for name, make in tools:
        print(f"{name}: {' '.join(make('IN'))}")
    # The generated stores and the copies are big: gone with the run.
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
