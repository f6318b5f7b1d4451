#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The real daemon's run phase (README, Privileges): every thread holds exactly
the documented capability set (CapEff, CapPrm, CapBnd), none inheritable or
ambient, NoNewPrivs 1 and Seccomp 2 (filter); seccomp = off leaves the filter
out and keeps the capability drop. The refusal of a call outside the
allow-list (EPERM, counted, logged) is tests/unit/test_privdrop.c.

Root and the real kernel. Ends with "privilege: N passed, N failed, N skipped".
"""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402
import test_service  # noqa: E402  (its Service: edr-sensor --config FILE)

TESTS = []

# CAP_CHOWN 0, DAC_OVERRIDE 1, DAC_READ_SEARCH 2, FOWNER 3, KILL 5, NET_ADMIN 12,
# SYS_PTRACE 19, SYS_ADMIN 21, PERFMON 38, BPF 39.
KEEP = sum(1 << c for c in (0, 1, 2, 3, 5, 12, 19, 21, 38, 39))


def test(fn):
    TESTS.append(fn)
    return fn


def fields(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def check_threads(pid, seccomp):
    tasks = glob.glob("/proc/%d/task/*/status" % pid)
    assert len(tasks) > 1, tasks  # the control, response and content threads too
    for t in tasks:
        st = fields(t)
        for k in ("CapEff", "CapPrm", "CapBnd"):
            assert int(st[k], 16) == KEEP, (t, k, st[k], hex(KEEP))
        assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, (t, st["CapInh"], st["CapAmb"])
        assert st["NoNewPrivs"] == "1", (t, st["NoNewPrivs"])
        assert st["Seccomp"] == seccomp, (t, st["Seccomp"])


@test
def run_phase_privileges():
    s = test_service.Service("")
    try:
        check_threads(s.proc.pid, "2")
        s.status()  # the control socket still answers under the filter
    finally:
        err = s.stop()
    assert "privileges dropped" in err, err
    assert "seccomp: refused" not in err, err


@test
def seccomp_off_keeps_the_capability_drop():
    s = test_service.Service("seccomp = off\n")
    try:
        check_threads(s.proc.pid, "0")
    finally:
        err = s.stop()
    assert "seccomp off" in err, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default=None, help="run tests whose name contains this")
    test_service.ARGS = ap.parse_args()
    return runner.run("privilege", TESTS, test_service.ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
