#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Response benchmark (not a test): the asynchronous kill's latency (the
event's kernel timestamp to the pidfd signal, as the sensor reports it in
edr.response.latency_us) p50/p99, and the latency of one fork+exec of
/bin/true without a sensor, with the sensor enforcing an exec deny rule (on
this kernel: its chosen exec mechanism), and with enforcement off.

usage: response_bench.py [--build DIR] [--kills 200] [--execs 2000]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RULES = os.path.join(ROOT, "tests", "rules", "response")
MARKER = "edr-test-kill-marker"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def rules_dir(tmp, *names):
    d = os.path.join(tmp, "rules")
    os.makedirs(d, exist_ok=True)
    for n in names:
        shutil.copy(os.path.join(RULES, n), d)
    return d


def ctl(build, tmp, *args):
    subprocess.run([os.path.join(build, "edrctl"), *args, "--socket", os.path.join(tmp, "edr.sock")],
                   check=True, capture_output=True)


def kill_latency(build, n):
    tmp = tempfile.mkdtemp(prefix="edr-bench-resp-")
    s = benchlib.Sensor(build, tmp, ["--rules", rules_dir(tmp, "kill_cmdline.yml"), "--allow-unsigned",
                                     "--response-rate-per-rule", "100000",
                                     "--response-rate-total", "1000000"])
    procs = []
    for _ in range(n):
        procs.append(subprocess.Popen(["env", "EDRMARK=" + MARKER, "sleep", "10"]))
        time.sleep(0.01)
    for p in procs:
        p.wait(timeout=30)
    time.sleep(0.5)
    lat = []
    with open(s.out) as f:
        for line in f:
            r = json.loads(line).get("edr", {}).get("response") or {}
            if r.get("action") == "kill" and r.get("outcome") == "taken":
                lat.append(r["latency_us"])
    killed = sum(1 for p in procs if p.returncode == -9)
    s.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return lat, killed


def exec_times(n):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        subprocess.run(["/bin/true"])
        ts.append((time.perf_counter_ns() - t0) / 1000)
    return ts


def exec_latency(build, n):
    out = {"no sensor": exec_times(n)}
    tmp = tempfile.mkdtemp(prefix="edr-bench-resp-")
    denied = "/tmp/edr-test-denied"
    shutil.copy("/bin/true", denied)
    s = benchlib.Sensor(build, tmp, ["--rules", rules_dir(tmp, "deny_exec_path.yml"), "--allow-unsigned"])
    st = subprocess.run([os.path.join(build, "edrctl"), "status", "--socket", os.path.join(tmp, "edr.sock")],
                        capture_output=True, text=True).stdout
    mech = [ln.split()[-1] for ln in st.splitlines() if ln.startswith("response.exec ")]
    out["enforcing (%s)" % (mech[0] if mech else "?")] = exec_times(n)
    ctl(build, tmp, "enforce", "off")
    out["enforcement off"] = exec_times(n)
    s.stop()
    os.unlink(denied)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--execs", type=int, default=2000)
    a = ap.parse_args()
    if os.geteuid():
        sys.exit("response_bench: needs root")
    lat, killed = kill_latency(a.build, a.kills)
    print("async kill (pidfd), event kernel timestamp to signal: %d of %d killed, "
          "p50 %d us, p99 %d us, max %d us" % (killed, a.kills, pct(lat, 50), pct(lat, 99),
                                               max(lat) if lat else -1))
    print("fork+exec of /bin/true, %d each (us):" % a.execs)
    for name, ts in exec_latency(a.build, a.execs).items():
        print("  %-28s p50 %7.0f  p99 %7.0f  mean %7.0f" % (name, pct(ts, 50), pct(ts, 99),
                                                           statistics.mean(ts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
