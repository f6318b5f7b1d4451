#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench-restart: how long the sensor takes from start to running and
from SIGTERM to exit, with the default features and rules, the links
detached from several threads (as shipped) and one after the other
(EDR_DETACH_THREADS=1, the way it was), alternated round by round so both
see the same machine. Prints medians and the ratio; asserts nothing."""
import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time


def one(build, env):
    d = tempfile.mkdtemp(prefix="edr-bench-restart-")
    err = open(os.path.join(d, "stderr"), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen([os.path.join(build, "edr-sensor"), "--output", os.path.join(d, "events.json"),
                          "--socket", os.path.join(d, "edr.sock"), "--content-dir", os.path.join(d, "content"),
                          "--rules", "rules/default"], stderr=err, env=env)
    while True:
        err.flush()
        with open(err.name) as f:
            if "running" in f.read():
                break
        if p.poll() is not None:
            raise SystemExit("sensor exited: %s" % open(err.name).read())
        time.sleep(0.01)
    started = time.monotonic() - t0
    time.sleep(0.5)
    t1 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.wait()
    stopped = time.monotonic() - t1
    subprocess.run(["rm", "-rf", d])
    return started, stopped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("bench-restart: needs root, skipping")
        return 0
    res = {"parallel": ([], []), "serial": ([], [])}
    for _ in range(a.rounds):
        for name, threads in (("parallel", None), ("serial", "1")):
            env = dict(os.environ)
            env.pop("EDR_DETACH_THREADS", None)
            if threads:
                env["EDR_DETACH_THREADS"] = threads
            s, t = one(a.build, env)
            res[name][0].append(s)
            res[name][1].append(t)
    med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in res.items()}
    for k, (s, t) in med.items():
        print("bench-restart: %-8s detach: start to running %.2f s, SIGTERM to exit %.2f s (median of %d)"
              % (k, s, t, a.rounds))
    print("bench-restart: stop time, parallel / serial detach: %.2fx" % (med["parallel"][1] / med["serial"][1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
