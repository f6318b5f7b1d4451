#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The sensor run as a service would run it: from a configuration file, then
operated with edrctl. Checks that `edrctl status` reports what the sensor
runs and that `edrctl stats` counts exactly the lines the sensor wrote.

Root and the real kernel, like tests/e2e/test_sensor.py. Ends with
"service: N passed, N failed, N skipped".
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

ARGS = None
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


Skip = runner.Skip


def binary(name):
    return os.path.join(ARGS.build, name)


def edrctl(*args, check=False):
    return subprocess.run([binary("edrctl"), *args], capture_output=True, text=True, check=check)


def write_config(dirname, text):
    path = os.path.join(dirname, "sensor.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


class Service:
    """edr-sensor --config FILE, with every path of the config in a temp dir."""

    def __init__(self, extra_conf="", *extra_args):
        self.dir = tempfile.mkdtemp(prefix="edr-svc-")
        os.chmod(self.dir, 0o755)
        self.out = os.path.join(self.dir, "events.json")
        self.sock = os.path.join(self.dir, "run", "edr.sock")
        self.conf = write_config(self.dir, (
            "# written by tests/e2e/test_service.py\n"
            "output = %s\n"
            "socket = %s\n"
            "content_dir = %s/state/content\n"
            "rules = %s\n" % (self.out, self.sock, self.dir,
                              os.path.abspath("rules/default"))) + extra_conf)
        self.errf = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen([binary("edr-sensor"), "--config", self.conf, *extra_args],
                                     stdout=subprocess.DEVNULL, stderr=self.errf)
        self.wait_ready()

    def stderr(self):
        self.errf.flush()
        with open(self.errf.name) as f:
            return f.read()

    def wait_ready(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise AssertionError("sensor exited (%s): %s" % (self.proc.returncode, self.stderr()))
            r = edrctl("status", "--json", "--socket", self.sock)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("no answer on %s within %ss: %s" % (self.sock, timeout, self.stderr()))

    def status(self):
        return json.loads(edrctl("status", "--json", "--socket", self.sock, check=True).stdout)

    def stats(self):
        return json.loads(edrctl("stats", "--json", "--socket", self.sock, check=True).stdout)

    def lines(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out, "rb") as f:
            return [json.loads(line) for line in f]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        return self.stderr()


def sensor_has_config():
    r = subprocess.run([binary("edr-sensor"), "--help"], capture_output=True, text=True)
    if "--config" not in r.stdout:
        raise AssertionError("edr-sensor --help does not list --config")


def action(e):
    return e.get("event", {}).get("action")


@test
def status_reports_what_runs():
    sensor_has_config()
    s = Service()
    try:
        st = s.status()
        table = edrctl("status", "--socket", s.sock)
    finally:
        s.stop()
    assert st["state"] == "running", st
    assert st["pid"] == s.proc.pid, (st["pid"], s.proc.pid)
    assert st["kernel"] == os.uname().release, st["kernel"]
    assert st["version"], st
    assert st["uptime_sec"] >= 0
    exec_state = st["feature"]["exec"]["state"]
    assert exec_state in ("active", "degraded", "attached"), st["feature"]
    assert st["feature"]["exec"]["attach"] in ("tp_btf", "raw_tp"), st["feature"]
    dests = [o["dest"] for o in st["output"].values()]
    assert s.out in dests, dests
    assert table.returncode == 0 and "FEATURE" in table.stdout and "exec" in table.stdout, table


@test
def forced_path_from_the_file_is_used():
    sensor_has_config()
    s = Service("[attach]\nexec = raw_tp\n")
    try:
        st = s.status()
    finally:
        s.stop()
    assert st["feature"]["exec"]["attach"] == "raw_tp", st["feature"]["exec"]


@test
def stats_count_what_was_written():
    sensor_has_config()
    # Only a shell of ours and its children: neither the rest of the machine
    # nor the edrctl calls below (children of this test) stand still.
    sh = subprocess.Popen(["/bin/sh", "-c", "read go; for i in $(seq 20); do /bin/true; done"],
                          stdin=subprocess.PIPE)
    s = Service("", "--target-pid", str(sh.pid))
    try:
        sh.communicate(b"go\n", timeout=30)
        # Counters that did not move across a flush interval, and the file
        # read in between, describe the same lines.
        end = time.time() + 20
        while True:
            before = s.stats()
            time.sleep(0.5)
            lines = s.lines()
            st = s.stats()
            if st["events"] == before["events"] and st["events"]["exit"]["emitted"] >= 21:
                break
            assert time.time() < end, "counters still moving: %r" % st["events"]
        table = edrctl("stats", "--socket", s.sock)
        watch = edrctl("stats", "--json", "--count", "2", "--socket", s.sock)
    finally:
        s.stop()
    for kind in ("exec", "fork", "exit"):
        written = sum(1 for e in lines if action(e) == kind)
        counted = st["events"][kind]["emitted"]
        assert counted == written, "%s: stats says %d emitted, the file has %d" % (kind, counted, written)
    # seq and 20 /bin/true: 21 execs and exits at least (the shell may fork more).
    assert st["events"]["exec"]["emitted"] >= 21, st["events"]["exec"]
    assert st["events_read"] == sum(v["read"] for v in st["events"].values()), st
    assert st["kernel_drops"] == sum(c["drops"] for c in st["cpu"].values()), st
    assert st["rss_bytes"] > 0 and st["ring_buffer"]["size_bytes"] > 0, st
    # Every exec looks its executable's hash up, and every hash is either
    # served, pending, computed or skipped; every exec also looks a cgroup up.
    h = st["hash"]
    assert h["lookups"] >= st["events"]["exec"]["read"], st
    assert h["hits"] + h["pending"] + h["computed"] + h["skipped"] + h["failed"] > 0, st
    assert st["cgroup"]["hits"] + st["cgroup"]["misses"] >= st["events"]["exec"]["read"], st
    # Every event names its user and group: each a lookup, root's from /etc/passwd.
    assert st["ids"]["lookups"] >= st["events_read"], st
    assert st["ids"]["file_hits"] > 0 and st["ids"]["parse_errors"] >= 0, st
    assert "kernel_suppressed" in st, st
    assert table.returncode == 0 and "EVENTS" in table.stdout and "CPU" in table.stdout, table
    assert watch.returncode == 0 and len(watch.stdout.splitlines()) == 2, watch


@test
def stopped_sensor_is_one_line():
    sensor_has_config()
    s = Service()
    s.stop()
    assert s.proc.returncode == 0, s.stderr()
    assert not os.path.exists(s.sock), "socket left behind"
    r = edrctl("status", "--socket", s.sock)
    assert r.returncode == 1, r
    assert r.stderr == "edrctl: cannot connect to %s: No such file or directory (is edr-sensor running?)\n" \
        % s.sock, r.stderr


@test
def unsafe_value_refuses_the_start():
    sensor_has_config()
    d = tempfile.mkdtemp(prefix="edr-svc-")
    conf = write_config(d, "allow_unsigned = perhaps\nring_bufer_size = 8M\n")
    r = subprocess.run([binary("edr-sensor"), "--config", conf], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r
    assert "%s:1: bad value 'perhaps' for 'allow_unsigned'" % conf in r.stderr, r.stderr
    assert "%s:2: unknown key 'ring_bufer_size'" % conf in r.stderr, r.stderr
    # edrctl config check agrees, without a sensor.
    c = edrctl("config", "check", conf)
    assert c.returncode == 1 and "refuse to start" in c.stdout, c


@test
def command_line_wins_over_the_file():
    sensor_has_config()
    d = tempfile.mkdtemp(prefix="edr-svc-")
    other = os.path.join(d, "cli.json")
    s = Service("", "--output", other)
    try:
        st = s.status()
    finally:
        s.stop()
    dests = [o["dest"] for o in st["output"].values()]
    assert other in dests and s.out not in dests, dests


def main():
    global ARGS
    ARGS = runner.parse_args()
    return runner.run("service", TESTS, ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
