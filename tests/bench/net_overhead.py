#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Loopback connect storm benchmark (not a test): TCP connect+accept+close
cycles (default 20,000; a connect and an accept event each) and UDP sends
from one socket to one destination (default 200,000; one event in all),
with nothing attached, with only do-nothing BPF programs on the sensor's
tracepoints for that storm (the floor: what the hooks cost before any
program work), and with edr-sensor running, alternated over several
rounds. Prints each storm's slowdown against the mean of the baselines
around it, by wall time and by the storm's CPU time (which holds the BPF
programs' cost and is less disturbed by other load on a shared machine), and
the events the sensor dropped (goal: none).
Goal from issue 5: connect storm at most 1.10x.

usage: net_overhead.py [--build DIR] [--tcp 20000] [--udp 200000] [--rounds 3]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile

from benchlib import Floor, Sensor, run_storm


# The tracepoints of the sensor's programs on the kernel's tracepoint path.
FLOOR_TPS = {
    "tcp": ["syscalls/sys_exit_connect", "syscalls/sys_exit_accept", "syscalls/sys_exit_accept4"],
    "udp": ["syscalls/sys_exit_sendto"],
}


def storm(build, mode, n):
    """(wall seconds, CPU seconds) of one storm"""
    return run_storm([os.path.join(build, "tests/helpers/connstorm"), mode, str(n)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--tcp", type=int, default=20000)
    ap.add_argument("--udp", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("net_overhead: needs root")
    tmp = tempfile.mkdtemp(prefix="edr-bench-net-")
    ratios = {"tcp": [], "udp": []}
    cpu_ratios = {"tcp": [], "udp": []}
    floors = {"tcp": [], "udp": []}
    dropped = 0
    storm(a.build, "tcp", 2000)  # warm caches
    for r in range(a.rounds):
        for mode, n in (("tcp", a.tcp), ("udp", a.udp)):
            b1, c1 = storm(a.build, mode, n)
            f = Floor(a.build, FLOOR_TPS[mode])
            _, cf = storm(a.build, mode, n)
            f.stop()
            s = Sensor(a.build, tmp)
            t, ct = storm(a.build, mode, n)
            read, drops = s.stop()
            b2, c2 = storm(a.build, mode, n)
            bb, cb = (b1 + b2) / 2, (c1 + c2) / 2
            ratios[mode].append(t / bb)
            cpu_ratios[mode].append(ct / cb)
            floors[mode].append(cf / cb)
            dropped += max(drops, 0)
            print("round %d %s: baseline %.3f us/op, sensor %.3fx (CPU %.3f us/op, %.3fx; floor CPU %.3fx), "
                  "events read %d, dropped %d" % (r + 1, mode, bb / n * 1e6, t / bb, cb / n * 1e6, ct / cb,
                                                  cf / cb, read, drops))
            sys.stdout.flush()
    print("connect storm, %d TCP connect+accept cycles and %d UDP sends x %d rounds (median):" % (
        a.tcp, a.udp, a.rounds))
    print("  TCP connect+accept slowdown  %.3fx wall, %.3fx CPU (goal <= 1.10x); floor %.3fx CPU" % (
        statistics.median(ratios["tcp"]), statistics.median(cpu_ratios["tcp"]), statistics.median(floors["tcp"])))
    print("  UDP send slowdown            %.3fx wall, %.3fx CPU; floor %.3fx CPU" % (
        statistics.median(ratios["udp"]), statistics.median(cpu_ratios["udp"]), statistics.median(floors["udp"])))
    print("  (floor: do-nothing programs on %s)" % "; ".join(
        "%s: %s" % (m, ", ".join(t)) for m, t in FLOOR_TPS.items()))
    print("  events dropped               %d" % dropped)
    shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
