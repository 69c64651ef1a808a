#!/usr/bin/env python3
"""mbox -> Maildir throughput: mailshift against mb2md and doveadm import.

Generates (once) a deterministic corpus with the project's generator, then
runs each tool on it in the same run, on fresh output directories, and
prints a table with wall time, throughput, peak memory and the ratio to
mailshift. Memory is sampled from /proc every 10 ms: "anon" is the private
memory a tool allocated (RssAnon), "rss" also counts the pages of the mapped
input it touched (RssFile).

    python3 benches/mbox_to_maildir.py [--messages 10000] [--bytes 400000000] [--runs 3]

doveadm refuses to run as root: as root the script creates the system user
`mailshift-bench` and runs doveadm as that user. Needs: cargo, mb2md,
doveadm (Debian: mb2md, dovecot-core).
"""
import argparse, os, pwd, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Outputs, timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def count_files(d):
    n = 0
    for root, dirs, files in os.walk(d):
        if os.path.basename(root) in ("cur", "new"):
            n += len(files)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--bytes", type=int, default=400_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/mailshift-bench")
    a = ap.parse_args()

    sh(["cargo", "build", "--release", "-q", "-p", "mailshift", "-p", "mailshift-testkit"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    mailshift = os.path.join(target, "release", "mailshift")
    gen = os.path.join(target, "release", "gen-corpus")

    work = os.path.abspath(a.workdir)
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    corpus = os.path.join(work, f"corpus-{a.messages}-{a.bytes}.mbox")
    if not os.path.exists(corpus):
        sh([gen, "--seed", "42", "--messages", str(a.messages), "--bytes", str(a.bytes),
            "--max-attachment", "4000000", "--mbox", corpus + ".tmp"])
        os.rename(corpus + ".tmp", corpus)
    size = os.path.getsize(corpus)
    os.chmod(corpus, 0o644)

    user = None
    if os.geteuid() == 0:
        user = "mailshift-bench"
        try:
            pwd.getpwnam(user)
        except KeyError:
            sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user])

    # Each run writes directories of its own, all removed at the end
    # (benchlib.Outputs: deleting just before a run slows its file creation).
    outputs = Outputs(work)
    fresh = outputs.fresh

    def doveadm():
        home = fresh("dove-home")
        out = fresh("dove-out")
        os.makedirs(os.path.join(home, "mail"))
        os.symlink(corpus, os.path.join(home, "mail", "inbox"))
        if user:
            sh(["chown", "-R", user, home])
            os.makedirs(out)
            sh(["chown", user, out])
        env = dict(os.environ, HOME=home)
        cmd = ["doveadm", "-o", f"mail_home={home}", "-o", f"mail_location=maildir:{out}:LAYOUT=fs",
               "-o", "mail_fsync=never", "import",
               f"mbox:{home}/mail:INBOX={home}/mail/inbox:INDEX=MEMORY", "", "all"]
        return cmd, env, out, user

    def ms(extra):
        def f():
            out = fresh("ms-out")
            return [mailshift, "convert", corpus, out, "--to", "maildir", "-q"] + extra, None, out, None
        return f

    def mb2md():
        out = fresh("mb2md-out")
        return ["mb2md", "-s", corpus, "-d", out], dict(os.environ, HOME=work), out, None

    tools = [("mailshift --no-fsync", ms(["--no-fsync"])), ("mailshift (fsync)", ms([])),
             ("mb2md", mb2md), ("doveadm import", doveadm)]
    rows = []
    for name, make in tools:
        if shutil.which(make()[0][0]) is None:
            print(f"skipping {name}: not installed", file=sys.stderr)
            continue
        times, anons, rsss, n = [], [], [], 0
        for _ in range(a.runs):
            cmd, env, out, u = make()
            subprocess.run(["sync"])
            dt, anon, rss = timed(cmd, env, u)
            times.append(dt); anons.append(anon); rsss.append(rss)
            n = count_files(out)
        rows.append((name, statistics.median(times), max(anons), max(rsss), n, cmd))

    base = rows[0][1]
    print(f"corpus: {corpus}: {size/1e6:.0f} MB; median of {a.runs} runs; {os.cpu_count()} cores")
    print(f"{'tool':<22} {'seconds':>8} {'MB/s':>8} {'msgs':>7} {'anon MiB':>9} {'rss MiB':>8} {'time / mailshift':>17}")
    for name, t, anon, rss, n, _ in rows:
        print(f"{name:<22} {t:8.2f} {size/1e6/t:8.1f} {n:7d} {anon/2**20:9.1f} {rss/2**20:8.1f} {t/base:17.2f}")
    print()
    for name, *_, cmd in rows:
        print(f"{name}: {' '.join(cmd)}")
    outputs.remove_all()


if __name__ == "__main__":
    main()
