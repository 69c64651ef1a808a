#!/usr/bin/env python3
"""EML -> PST throughput: mailshift against Aspose.Email (issue 10).

Generates (once) the deterministic 10,000-message corpus of
benches/mbox_to_maildir.py, turns it into a directory of .eml files (once,
with mailshift, untimed), then runs each tool on that directory in the same
run, into a fresh PST, and prints wall time, throughput, peak private
memory (RssAnon, sampled every 10 ms; Aspose's includes its .NET runtime),
the messages our reader finds in the PST written, and the ratios.

    python3 benches/eml_to_pst.py [--messages 10000] [--bytes 400000000] [--runs 3] [--aspose-runs 1]

Needs: cargo; for the anchor, PyPI `aspose-email-for-python-via-net`
(evaluation mode) and libicu (benches/aspose_eml_to_pst.py).
"""
import argparse, json, os, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--bytes", type=int, default=400_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--aspose-runs", type=int, default=1)
    ap.add_argument("--workdir", default="/tmp/mailshift-bench")
    a = ap.parse_args()

    sh(["cargo", "build", "--release", "-q", "-p", "mailshift", "-p", "mailshift-testkit"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    mailshift = os.path.join(target, "release", "mailshift")
    gen = os.path.join(target, "release", "gen-corpus")

    work = os.path.abspath(a.workdir)
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, f"corpus-{a.messages}-{a.bytes}.mbox")
    if not os.path.exists(corpus):
        sh([gen, "--seed", "42", "--messages", str(a.messages), "--bytes", str(a.bytes),
            "--max-attachment", "4000000", "--mbox", corpus + ".tmp"])
        os.rename(corpus + ".tmp", corpus)
    eml = os.path.join(work, f"eml-{a.messages}-{a.bytes}")
    if not os.path.isdir(eml):
        sh([mailshift, "convert", corpus, eml + ".tmp", "--to", "eml", "-q", "--no-fsync"])
        os.rename(eml + ".tmp", eml)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(eml) for f in fs)

    def out(name):
        d = os.path.join(work, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return os.path.join(d, "out.pst")

    def ms(extra):
        def f():
            o = out("ms-pst")
            return [mailshift, "convert", eml, o, "-q"] + extra, o
        return f

    def aspose():
        o = out("aspose-pst")
        return [sys.executable, os.path.join(ROOT, "benches", "aspose_eml_to_pst.py"), eml, o], o

    def found(pst):
        r = subprocess.run([mailshift, "info", pst, "--json"], capture_output=True)
        try:
            return json.loads(r.stdout)["items"]
        except (ValueError, KeyError):
            return -1

    have_aspose = subprocess.run([sys.executable, "-c", "import aspose.email"], capture_output=True).returncode == 0
    tools = [("mailshift --no-fsync", ms(["--no-fsync"]), a.runs), ("mailshift (fsync)", ms([]), a.runs)]
    if have_aspose:
        tools.append(("Aspose.Email (eval)", aspose, a.aspose_runs))
    else:
        print("skipping Aspose.Email: pip install aspose-email-for-python-via-net", file=sys.stderr)
    rows = []
    for name, make, runs in tools:
        times, anons, n = [], [], 0
        for _ in range(runs):
            cmd, o = make()
            subprocess.run(["sync"])
            dt, anon, _ = timed(cmd)
            times.append(dt)
            anons.append(anon)
            n = found(o)
        rows.append((name, statistics.median(times), max(anons), n, cmd))

    base = rows[0][1]
    print(f"input: {eml}: {a.messages} .eml files, {size/1e6:.0f} MB; median of the runs; {os.cpu_count()} cores")
    print(f"{'tool':<22} {'seconds':>8} {'msgs/s':>8} {'MB/s':>7} {'in PST':>7} {'anon MiB':>9} {'time / mailshift':>17}")
    for name, t, anon, n, _ in rows:
        print(f"{name:<22} {t:8.2f} {a.messages/t:8.0f} {size/1e6/t:7.1f} {n:7d} {anon/2**20:9.1f} {t/base:17.2f}")
    print()
    for name, _, _, _, cmd in rows:
        print(f"{name}: {' '.join(cmd)}")


if __name__ == "__main__":
    main()
