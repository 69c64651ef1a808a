#!/usr/bin/env python3
"""Upload to IMAP: the 10,000-message corpus into a local Dovecot, mailshift against mbsync.

Generates (once) the same deterministic corpus as mbox_to_maildir.py, makes
a Maildir of it for mbsync (isync), starts a Dovecot of its own on
127.0.0.2 (imaps, a CA and certificate made with openssl, a passwd-file,
Maildir storage, Dovecot's default mail_fsync), and for each run uploads
the corpus into a fresh, empty user: mailshift from the mbox, mbsync
pushing the Maildir (`Sync Push`, `Create Far`). Prints wall time,
messages a second, the messages the mailbox holds afterwards (doveadm),
the client's peak private memory, and each tool's rate against mbsync's.
The goal of issue 13: at least 3 times mbsync's rate.
"""
import argparse
import atexit
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.2"
PASSWORD = "bench-password"


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--bytes", type=int, default=400_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/mailshift-bench")
    ap.add_argument("--mailshift-args", default="", help="more arguments for mailshift (--connections 4 ...)")
    ap.add_argument("--skip-mbsync", action="store_true")
    a = ap.parse_args()
    for tool in ("dovecot", "doveadm", "mbsync", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian: dovecot-imapd, isync, openssl)")

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
    maildir = os.path.join(work, f"imap-maildir-{a.messages}-{a.bytes}")
    if not os.path.isdir(maildir):
        sh([mailshift, "convert", corpus, maildir + ".tmp", "--to", "maildir", "--no-fsync", "-q"])
        os.rename(maildir + ".tmp", maildir)

    # The server.
    user = None
    if os.geteuid() == 0:
        user = "mailshift-bench"
        try:
            pwd.getpwnam(user)
        except KeyError:
            sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
    srv = os.path.join(work, "imap-dovecot")
    shutil.rmtree(srv, ignore_errors=True)
    os.makedirs(os.path.join(srv, "home"))
    ca = os.path.join(srv, "ca.pem")
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", os.path.join(srv, "ca.key"), "-out", ca, "-days", "2", "-subj", "/CN=bench CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], **q)
    sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", os.path.join(srv, "key.pem"), "-out", os.path.join(srv, "srv.csr"), "-subj", f"/CN={HOST}"], **q)
    with open(os.path.join(srv, "ext"), "w") as f:
        f.write(f"subjectAltName=IP:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    sh(["openssl", "x509", "-req", "-in", os.path.join(srv, "srv.csr"), "-CA", ca, "-CAkey",
        os.path.join(srv, "ca.key"), "-CAcreateserial", "-out", os.path.join(srv, "cert.pem"), "-days", "2",
        "-extfile", os.path.join(srv, "ext")], **q)
    users = [f"{t}{i}" for t in ("ms", "mb") for i in range(a.runs)]
    with open(os.path.join(srv, "passwd"), "w") as f:
        for u in users:
            f.write(f"{u}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    run_as = user or pwd.getpwuid(os.getuid()).pw_name
    conf = os.path.join(srv, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(f"""protocols = imap
listen = {HOST}
base_dir = {srv}/run
state_dir = {srv}/state
log_path = {srv}/dovecot.log
ssl = required
ssl_cert = <{srv}/cert.pem
ssl_key = <{srv}/key.pem
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {srv}/passwd
}}
userdb {{
  driver = static
  args = uid={run_as} gid={run_as} home={srv}/home/%u
}}
mail_location = maildir:~/Maildir:LAYOUT=fs
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
default_internal_user = {run_as}
default_login_user = {run_as}
""")
    if user:
        sh(["chown", "-R", user, srv])
    sh(["dovecot", "-c", conf])

    def stop():
        try:
            with open(os.path.join(srv, "run", "master.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    atexit.register(stop)
    for _ in range(100):
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    pw = os.path.join(work, "imap-password")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")

    def held(u):
        cmd = ["doveadm", "-c", conf, "mailbox", "status", "-u", u, "messages", "INBOX"]
        if user:
            cmd = ["runuser", "-u", user, "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        return int(out.strip().rsplit("=", 1)[-1]) if "messages=" in out else 0

    def ms(i):
        u = f"ms{i}"
        return [mailshift, "convert", corpus, f"imaps://{u}@{HOST}:{port}", "--tls-ca", ca,
                "--password-file", pw, "--no-journal", "-q"] + a.mailshift_args.split(), u

    def mb(i):
        u = f"mb{i}"
        rc = os.path.join(work, f"mbsyncrc-{i}")
        state = os.path.join(work, f"mbsync-state-{i}")
        shutil.rmtree(state, ignore_errors=True)
        os.makedirs(state)
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount bench
Host {HOST}
Port {port}
User {u}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {ca}

IMAPStore far
Account bench

MaildirStore near
Path {work}/
Inbox {maildir}

Channel up
Far :far:
Near :near:
Patterns INBOX
Create Far
Sync Push
SyncState {state}/
""")
        return ["mbsync", "-q", "-c", rc, "up"], u

    rows = []
    for name, make in (("mailshift", ms), ("mbsync", mb))[: 1 if a.skip_mbsync else 2]:
        times, anons, counts, cmd = [], [], [], None
        for i in range(a.runs):
            cmd, u = make(i)
            subprocess.run(["sync"])
            dt, anon, _ = timed(cmd)
            times.append(dt)
            anons.append(anon)
            counts.append(held(u))
        rows.append((name, statistics.median(times), max(anons), min(counts), cmd))

    if len(rows) < 2:
        rows.append(rows[0])
    anchor = rows[1][1]
    size = os.path.getsize(corpus)
    print(f"corpus: {corpus}: {a.messages} messages, {size / 1e6:.0f} MB; median of {a.runs} runs; "
          f"{os.cpu_count()} cores; Dovecot on {HOST}:{port} (imaps)")
    print(f"{'tool':<12} {'seconds':>8} {'msgs/s':>8} {'in mailbox':>11} {'anon MiB':>9} {'rate / mbsync':>14}")
    for name, t, anon, n, _ in rows:
        print(f"{name:<12} {t:8.2f} {n / t:8.0f} {n:11d} {anon / 2**20:9.1f} {(n / t) / (rows[1][3] / anchor):14.2f}")
    print()
    for name, *_, cmd in rows:
        print(f"{name}: {' '.join(cmd)}")


if __name__ == "__main__":
    main()
