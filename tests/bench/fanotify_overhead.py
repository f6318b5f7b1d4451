#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""fanotify exec benchmark (not a test; root): exec latency (fork to reaped
child) of a small binary with no fanotify group and with the group on every
filesystem answering from a cached verdict, and of a fresh 10 MB copy (a
hash-cache miss every time) with no group and with the group hashing it
before answering. The configurations alternate, several rounds in one run;
prints p50/p99 of each and the ratios against the baseline without a group.

usage: fanotify_overhead.py [--build DIR] [--n 300] [--rounds 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

MODES = ("none", "cached", "none-big", "hash")
BASE = {"cached": "none", "hash": "none-big"}


def run(build, mode, n, tmp):
    p = subprocess.run([os.path.join(build, "tests/bench/bench_fanotify"), mode, str(n), tmp],
                       capture_output=True, text=True)
    if p.returncode:
        sys.exit("bench_fanotify %s failed: %s" % (mode, p.stderr.strip()))
    if p.stderr.strip():
        print("  " + p.stderr.strip())
    return [int(x) for x in p.stdout.split()]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("fanotify_overhead.py: needs root (fanotify permission events)")
    lat = {m: [] for m in MODES}
    # tmpfs for the 10 MB copies: the disk's write-back does not time the execs.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        for r in range(a.rounds):
            for m in MODES:
                lat[m] += run(a.build, m, a.n if "big" not in m and m != "hash" else a.n // 3, tmp)
    print("exec latency, fork to reaped child (us), %d rounds:" % a.rounds)
    print("  %-9s %6s %8s %8s %8s   %s" % ("config", "n", "p50", "p99", "mean", "ratio p50 / p99"))
    for m in MODES:
        xs = lat[m]
        ratio = ""
        if m in BASE:
            b = lat[BASE[m]]
            ratio = "x%.2f / x%.2f vs %s" % (pct(xs, .5) / pct(b, .5), pct(xs, .99) / pct(b, .99), BASE[m])
        print("  %-9s %6d %8d %8d %8.0f   %s" % (m, len(xs), pct(xs, .5), pct(xs, .99),
                                               statistics.mean(xs), ratio))
    for m in BASE:
        print("  added p50 %s: %d us" % (m, pct(lat[m], .5) - pct(lat[BASE[m]], .5)))


if __name__ == "__main__":
    main()
