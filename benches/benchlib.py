"""Shared by the benchmark scripts: run a command, time it, sample its memory."""
import subprocess, sys, threading, time


class Sampler(threading.Thread):
    """Samples a process tree's peak RssAnon and VmRSS from /proc."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.anon, self.rss, self.stop = pid, 0, 0, False

    def tree(self):
        pids, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            try:
                with open(f"/proc/{p}/task/{p}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except OSError:
                pass
        return pids

    def run(self):
        while not self.stop:
            anon = rss = 0
            for p in self.tree():
                try:
                    with open(f"/proc/{p}/status") as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                anon += int(line.split()[1]) * 1024
                            elif line.startswith("VmRSS:"):
                                rss += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.anon, self.rss = max(self.anon, anon), max(self.rss, rss)
            time.sleep(0.01)


def timed(cmd, env=None, user=None, sample=True):
    """Runs `cmd`: (wall seconds, peak anon, peak rss). With `sample` off
    the memory is not sampled (0, 0): the sampler, a Python thread reading
    /proc every 10 ms, takes CPU from the command timed on a 2-core machine."""
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    s = Sampler(p.pid)
    if sample:
        s.start()
    _, err = p.communicate()
    dt = time.perf_counter() - t0
    s.stop = True
    if sample:
        s.join()
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return dt, s.anon, s.rss


def timed_cpu(cmd, env=None, sample=True):
    """As `timed`, plus the CPU time (user + system) of the command and
    every process it waited for: (wall, cpu, peak anon, peak rss)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt, anon, rss = timed(cmd, env=env, sample=sample)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu, anon, rss


class Outputs:
    """Fresh output directories for timed runs, removed only at the end.

    Removing a run's output just before the next run is timed makes that
    run slow on ext4 without a journal (this machine's root): for a minute
    after thousands of files are deleted (five, while the inode table
    is dirty), each new inode's allocation steps over every recently freed
    one in its group, so creating N files after deleting N costs N^2. The
    runs measured 0.6 ms a file against 0.03 ms on a fresh directory; both
    tools paid it, by chance unequally. Each run here gets a directory of
    its own; leftovers of an earlier run of the script are removed first,
    and then the script waits out that minute.
    """

    SETTLE = 65

    def __init__(self, work, prefix="out-"):
        import os, shutil
        self.work, self.prefix, self.n, self.made = work, prefix, 0, []
        stale = [d for d in os.listdir(work) if d.startswith(prefix)]
        for d in stale:
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
        if stale:
            print(f"removed {len(stale)} old output directories; waiting {self.SETTLE} s for ext4 "
                  f"to stop stepping over their freed inodes", file=sys.stderr)
            subprocess.run(["sync"])
            time.sleep(self.SETTLE)

    def fresh(self, name, few_files=False):
        """A new directory; with `few_files` (an mbox per folder), the
        same one each time, emptied first: deleting a few large files
        costs nothing later, and keeping each run's copy of a 7 GB output
        would fill the disk."""
        import os, shutil
        if few_files:
            d = os.path.join(self.work, f"{self.prefix}{name}")
            shutil.rmtree(d, ignore_errors=True)
            shutil.rmtree(d + ".export", ignore_errors=True)
        else:
            self.n += 1
            d = os.path.join(self.work, f"{self.prefix}{self.n:03d}-{name}")
        if d not in self.made:
            self.made.append(d)
        return d

    def remove_all(self):
        import shutil
        for d in self.made:
            shutil.rmtree(d, ignore_errors=True)
            shutil.rmtree(d + ".export", ignore_errors=True)
        self.made = []
