#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tamper evidence against the real daemon on a kernel without BPF LSM:
another process ptrace-seizing the sensor and signalling it is seen, with
the offender's process context, and the ptrace raises the default pack's
alert. Ends with "tamper: N passed, N failed, N skipped".
"""
import argparse
import ctypes
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

ARGS = None
TESTS = []
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206


def test(fn):
    TESTS.append(fn)
    return fn


class Sensor(runner.Daemon):
    def __init__(self, *extra):
        d = tempfile.mkdtemp(prefix="edr-tamper-")
        out = os.path.join(d, "events.json")
        super().__init__([os.path.join(ARGS.build, "edr-sensor"), "--output", out,
                          "--socket", os.path.join(d, "edr.sock"),
                          "--content-dir", os.path.join(d, "content"), *extra], d, out)
        self.wait_for_log("running")


def in_child(fn):
    """Runs fn in a forked child (another process than the test); its pid."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return pid


@test
def ptrace_seize_of_the_sensor_is_alerted():
    s = Sensor()
    target = s.proc.pid
    libc = ctypes.CDLL(None, use_errno=True)

    def seize():
        if libc.ptrace(PTRACE_SEIZE, target, 0, 0) != 0:
            os._exit(3)
        libc.ptrace(PTRACE_DETACH, target, 0, 0)

    try:
        pid = in_child(seize)
        alerts = s.wait_for(lambda e: e.get("event", {}).get("kind") == "alert" and
                            e.get("rule", {}).get("name") == "ptrace Attach to the EDR Sensor" and
                            e.get("process", {}).get("pid") == pid)
    finally:
        events, err = s.stop()
    assert alerts, "no alert for a ptrace seize of the sensor by %d: %s" % (pid, err)
    assert alerts[0]["event"]["severity"] > 0, alerts[0]


@test
def signal_to_the_sensor_is_seen_with_the_sender():
    s = Sensor()
    target = s.proc.pid
    try:
        # SIGCONT: harmless to a running sensor, the same path as SIGSTOP/SIGKILL
        pid = in_child(lambda: os.kill(target, signal.SIGCONT))
        seen = s.wait_for(lambda e: e.get("edr", {}).get("signal", {}).get("target", {}).get("pid") == target
                          and e.get("process", {}).get("pid") == pid)
    finally:
        events, err = s.stop()
    assert seen, "no signal event for SIGCONT to the sensor from %d: %s" % (pid, err)
    assert seen[0]["edr"]["signal"]["name"] == "SIGCONT", seen[0]
    assert seen[0]["edr"]["signal"]["target"].get("sensor") is True, seen[0]


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default=None)
    ARGS = ap.parse_args()
    return runner.run("tamper", TESTS, ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
