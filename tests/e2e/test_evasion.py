#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Evasion the telemetry must not allow (issue 13 section 7), against the
real edr-sensor: an exec deeper than the kernel's path walk is marked
truncated and alerted on; a program run as `ld.so PROGRAM` is named beside
the loader and alerted on. Ends with "evasion: N passed, N failed, N skipped".
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

ARGS = None
TESTS = []
LOADER = "/lib64/ld-linux-x86-64.so.2"
DEPTH = 80  # more components than bpf/path.bpf.h's EDR_PATH_DEPTH (64)


def test(fn):
    TESTS.append(fn)
    return fn


class Sensor(runner.Daemon):
    def __init__(self, *extra):
        d = tempfile.mkdtemp(prefix="edr-evasion-")
        out = os.path.join(d, "events.json")
        super().__init__([os.path.join(ARGS.build, "edr-sensor"), "--output", out,
                          "--socket", os.path.join(d, "edr.sock"),
                          "--content-dir", os.path.join(d, "content"), *extra], d, out)
        self.wait_for_log("running")


def is_alert(e, name):
    return e.get("event", {}).get("kind") == "alert" and e.get("rule", {}).get("name") == name


@test
def exec_deeper_than_the_kernel_walk_is_marked_and_alerted():
    top = tempfile.mkdtemp(prefix="edr-deep-")
    d = os.path.join(top, *(["d"] * DEPTH))
    os.makedirs(d)
    prog = os.path.join(d, "deep-true")
    shutil.copy("/bin/true", prog)
    s = Sensor()
    try:
        subprocess.run([prog, "deep-marker"], check=True)
        alerts = s.wait_for(lambda e: is_alert(e, "Program Executed From a Path Too Long for the Sensor to Read")
                            and "deep-marker" in e["process"].get("command_line", ""))
    finally:
        events, err = s.stop()
        shutil.rmtree(top)
    execs = [e for e in events if e.get("event", {}).get("action") == "exec" and
             e.get("event", {}).get("kind") == "event" and
             "deep-marker" in e["process"].get("command_line", "")]
    assert execs, "no exec event for the deep program: %s" % err
    assert execs[0]["edr"].get("path_truncated") is True, execs[0]
    assert alerts, "no PathTruncated alert: %s" % err


@test
def program_run_through_the_dynamic_loader_is_named():
    if not os.path.exists(LOADER):
        raise runner.Skip("%s: not on this host" % LOADER)
    d = tempfile.mkdtemp(prefix="edr-ldso-")
    prog = os.path.join(d, "payload")
    shutil.copy("/bin/true", prog)
    s = Sensor()
    try:
        subprocess.run([LOADER, "./payload", "ldso-marker"], cwd=d, check=True)
        alerts = s.wait_for(lambda e: is_alert(e, "Program Started Through the Dynamic Loader Directly")
                            and "ldso-marker" in e["process"].get("command_line", ""))
    finally:
        events, err = s.stop()
        shutil.rmtree(d)
    execs = [e for e in events if e.get("event", {}).get("kind") == "event" and
             e.get("event", {}).get("action") == "exec" and
             "ldso-marker" in e["process"].get("command_line", "")]
    assert execs, "no exec event for the loader: %s" % err
    e = execs[0]
    assert e["process"]["executable"] == os.path.realpath(LOADER), e["process"]
    assert e["edr"].get("loader_target") == os.path.join(d, "./payload"), e["edr"]
    assert alerts, "no dynamic-loader alert: %s" % err


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default=None, help="run tests whose name contains this")
    ARGS = ap.parse_args()
    return runner.run("evasion", TESTS, ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
