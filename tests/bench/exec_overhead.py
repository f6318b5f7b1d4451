#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Exec storm benchmark (not a test): N fork+exec of /bin/true with nothing
attached, with edr-sensor running, and with auditd logging execve, in
alternation, several rounds in one run. Prints each configuration's
slowdown against the baseline of the same round, and the sensor's own CPU
time per 1,000 execs.

usage: exec_overhead.py [--build DIR] [--n 10000] [--rounds 3]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HZ = os.sysconf("SC_CLK_TCK")


def storm(build, n):
    out = subprocess.run([os.path.join(build, "tests/helpers/execstorm"), str(n)], check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip()) / 1e9


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ  # utime + stime


def with_sensor(build, n, tmp):
    err = open(os.path.join(tmp, "sensor.err"), "w+")
    p = subprocess.Popen([os.path.join(build, "edr-sensor"), "--output", os.path.join(tmp, "events.json")],
                         stdout=subprocess.DEVNULL, stderr=err)
    end = time.time() + 30
    while time.time() < end:
        err.seek(0)
        if "running" in err.read():
            break
        if p.poll() is not None:
            sys.exit("edr-sensor exited: %s" % open(err.name).read())
        time.sleep(0.05)
    c0 = cpu_seconds(p.pid)
    t = storm(build, n)
    time.sleep(0.3)  # let it drain what the storm produced
    c1 = cpu_seconds(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    err.seek(0)
    summary = [l for l in err.read().splitlines() if "stopped:" in l]
    os.unlink(os.path.join(tmp, "events.json"))
    return t, c1 - c0, summary[-1] if summary else ""


def auditd_available():
    return shutil.which("auditd") and shutil.which("auditctl")


def with_auditd(build, n):
    # Debian's package does not start the daemon under every init: do it by hand.
    subprocess.run(["auditctl", "-D"], capture_output=True)
    d = subprocess.Popen(["auditd", "-n", "-s", "disable"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        subprocess.run(["auditctl", "-e", "1"], check=True, capture_output=True)
        subprocess.run(["auditctl", "-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", "edrbench"],
                       check=True, capture_output=True)
        return storm(build, n)
    finally:
        subprocess.run(["auditctl", "-D"], capture_output=True)
        subprocess.run(["auditctl", "-e", "0"], capture_output=True)
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("exec_overhead: needs root")
    tmp = tempfile.mkdtemp(prefix="edr-bench-")
    use_audit = auditd_available()
    base, sens, aud, cpu = [], [], [], []
    storm(a.build, 500)  # warm caches
    for r in range(a.rounds):
        b = storm(a.build, a.n)
        s, c, summary = with_sensor(a.build, a.n, tmp)
        x = with_auditd(a.build, a.n) if use_audit else None
        b2 = storm(a.build, a.n)
        bb = (b + b2) / 2
        base.append(bb)
        sens.append(s / bb)
        cpu.append(c * 1000 / (a.n / 1000))
        if x is not None:
            aud.append(x / bb)
        print("round %d: baseline %.1f us/exec, sensor %.3fx, auditd %s, sensor CPU %.1f ms/1000 execs  [%s]" % (
            r + 1, bb / a.n * 1e6, s / bb, "%.3fx" % (x / bb) if x else "n/a", c * 1000 / (a.n / 1000),
            summary.split("edr-sensor: ")[-1]))
        sys.stdout.flush()
    print("exec storm, %d fork+exec of /bin/true x %d rounds (median):" % (a.n, a.rounds))
    print("  edr-sensor slowdown     %.3fx" % statistics.median(sens))
    if aud:
        print("  auditd execve slowdown  %.3fx" % statistics.median(aud))
    print("  edr-sensor CPU          %.1f ms per 1,000 execs" % statistics.median(cpu))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
