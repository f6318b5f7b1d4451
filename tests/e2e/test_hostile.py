#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The sensor on a hostile host (issue 13), end to end against the real
daemon: the control socket under slot exhaustion by group members, denied
and malformed requests counted, socket_group whatever state the socket
directory is in, non-regular files and symlinks where files are expected,
and SIGTERM ending the sensor within shutdown_timeout even with a control
request stuck. Each test also checks that events keep flowing.
Ends with "hostile-e2e: N passed, N failed, N skipped".
"""
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

ARGS = None
TESTS = []
Skip = runner.Skip
NOGROUP = 65534
RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rules", "default")


def test(fn):
    TESTS.append(fn)
    return fn


def binary(name):
    return os.path.join(ARGS.build, name)


class Sensor(runner.Daemon):
    """build/edr-sensor with everything in a temporary directory."""

    def __init__(self, *extra, sock_dir=None, wait=True, d=None, out=None):
        d = d or tempfile.mkdtemp(prefix="edr-hostile-")
        self.socket = os.path.join(sock_dir or d, "edr.sock")
        out = out or os.path.join(d, "events.json")
        super().__init__([binary("edr-sensor"), "--output", out, "--socket", self.socket,
                          "--content-dir", os.path.join(d, "content"), "--rules", RULES, *extra],
                         d, out)
        if wait:
            self.wait_for_log("running", timeout=30)

    def ctl(self, *args, as_nobody=False, check=True):
        argv = [binary("edrctl"), *args, "--socket", self.socket]
        if as_nobody:
            argv = ["setpriv", "--reuid", str(NOGROUP), "--regid", str(NOGROUP), "--clear-groups"] + argv
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if check and r.returncode:
            raise AssertionError("edrctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def stat(self, key):
        out = self.ctl("stats").stdout
        m = re.search(r"^\s*%s\s+(\d+)\s*$" % re.escape(key), out, re.M)
        assert m, "no %s in edrctl stats:\n%s" % (key, out)
        return int(m.group(1))

    def output_stats(self):
        return json.loads(self.ctl("stats", "--json").stdout)["output"]["0"]

    def events_flow(self):
        """An exec with a unique argument shows up in the output."""
        mark = "hostile-%d-%d" % (os.getpid(), time.monotonic_ns())
        subprocess.run(["/bin/sh", "-c", "exit 0", mark], check=True)
        got = self.wait_for(lambda e: mark in (e.get("process", {}).get("args") or []), timeout=10)
        assert got, "no exec event for %s: %s" % (mark, self.stderr()[-2000:])


def hold_connections(path, uid, n, release):
    """In a child running as uid (group nogroup): opens n connections to the
    control socket and keeps them until release (a pipe) closes. Returns
    (pid, results): per connection 'h' (held, no reply) or the error reply."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rd)
            os.close(release[1])
            os.setgroups([])
            os.setgid(NOGROUP)
            os.setuid(uid)
            socks = []
            for _ in range(n):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                socks.append(s)
                r, _, _ = select.select([s], [], [], 0.5)
                what = "h"
                if r:
                    data = s.recv(4096)
                    what = "busy" if b"try again" in data else "other:%r" % data[:80]
                os.write(wr, (what + "\n").encode())
            os.read(release[0], 1)
        finally:
            os._exit(0)
    os.close(wr)
    f = os.fdopen(rd)
    results = [f.readline().strip() for _ in range(n)]
    f.close()
    return pid, results


@test
def group_members_cannot_lock_out_root():
    s = Sensor("--socket-group", "nogroup")
    try:
        release = os.pipe()
        kids = []
        try:
            got = {}
            for uid, n in ((65534, 3), (65533, 2), (65532, 2), (65531, 1)):
                pid, res = hold_connections(s.socket, uid, n, release)
                kids.append(pid)
                got[uid] = res
            # Each uid holds at most 2; six for non-root in all; root keeps two.
            assert got[65534] == ["h", "h", "busy"], got
            assert got[65533] == ["h", "h"] and got[65532] == ["h", "h"], got
            assert got[65531] == ["busy"], got
            assert "running" in s.ctl("status").stdout
        finally:
            os.close(release[1])
            for pid in kids:
                os.waitpid(pid, 0)
            os.close(release[0])
        assert s.stat("ctl.busy") >= 2
        assert s.stat("ctl.busy_per_uid") >= 1
        s.events_flow()
    finally:
        s.stop()


@test
def denied_and_malformed_requests_are_counted():
    s = Sensor("--socket-group", "nogroup")
    try:
        r = s.ctl("enforce", "off", as_nobody=True, check=False)
        assert r.returncode != 0 and "needs root" in r.stderr + r.stdout, r
        assert s.ctl("status", as_nobody=True).returncode == 0
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(s.socket)
        c.sendall(b"\x03\x00\x00\x00ZZZ")
        assert b"malformed request" in c.recv(4096)
        c.close()
        assert s.stat("ctl.denied") >= 1
        assert s.stat("ctl.malformed") >= 1
        s.events_flow()
    finally:
        s.stop()


@test
def socket_group_whatever_the_directory_state():
    d = tempfile.mkdtemp(prefix="edr-hostile-")
    os.chmod(d, 0o755)
    run = os.path.join(d, "run")
    os.mkdir(run, 0o700)  # left by an earlier run without socket_group
    s = Sensor("--socket-group", "nogroup", sock_dir=run, d=d)
    try:
        st = os.stat(run)
        assert st.st_gid == NOGROUP and st.st_mode & 0o7777 == 0o750, oct(st.st_mode)
        assert "running" in s.ctl("status", as_nobody=True).stdout
        s.events_flow()
    finally:
        s.stop()
    # A directory others could write to: the socket could be swapped; refused.
    os.chmod(run, 0o777)
    s = Sensor("--socket-group", "nogroup", sock_dir=run, d=d, wait=False)
    assert s.proc.wait(timeout=30) != 0
    err = s.stderr()
    assert re.search(r"socket directory %s: writable by others \(mode 0777\)" % re.escape(run), err), err


@test
def non_regular_files_are_refused_at_once():
    d = tempfile.mkdtemp(prefix="edr-hostile-")
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    # Output: a FIFO nobody reads, a device, a symlink.
    for path, why in ((fifo, "a FIFO, not a regular file"),
                      ("/dev/null", "a character device, not a regular file"),
                      (None, "a symbolic link, not a regular file (symbolic links are not followed)")):
        if path is None:
            path = os.path.join(d, "out-link")
            os.symlink(os.path.join(d, "elsewhere"), path)
        p = subprocess.run([binary("edr-sensor"), "--output", path, "--socket", os.path.join(d, "s"),
                            "--content-dir", os.path.join(d, "content"), "--rules", RULES],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and why in p.stderr, (path, p.stderr)
        assert not os.path.exists(os.path.join(d, "elsewhere"))
    # The configuration file.
    p = subprocess.run([binary("edr-sensor"), "--config", fifo], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and fifo in p.stderr, p.stderr
    # A bundle or rule file handed to a running sensor: refused at once, and
    # the sensor carries on with its rules.
    s = Sensor("--allow-unsigned")
    try:
        t0 = time.monotonic()
        r = s.ctl("load-rules", fifo, check=False)
        assert r.returncode != 0 and "a FIFO, not a regular file" in r.stdout + r.stderr, r
        assert time.monotonic() - t0 < 10
        rdir = os.path.join(d, "rules")
        os.mkdir(rdir)
        os.mkfifo(os.path.join(rdir, "x.yml"))
        r = s.ctl("load-rules", rdir, check=False)
        assert r.returncode != 0 and "a FIFO, not a regular file" in r.stdout + r.stderr, r
        s.events_flow()
    finally:
        s.stop()


@test
def sigterm_ends_a_stop_stuck_on_a_control_request():
    s = Sensor("--shutdown-timeout", "1s")
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.events_flow()
        c.connect(s.socket)
        c.sendall(b"\x40\x00")  # half a frame header; the server waits for the rest
        time.sleep(0.2)
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        # The watchdog gives up on the stop at the deadline; without it the
        # stop waits out the request's 5 s limit. (The exit itself then takes
        # as long as the kernel needs to detach the programs.)
        while "stop: not finished" not in s.stderr() and time.monotonic() - t0 < 30:
            time.sleep(0.02)
        took = time.monotonic() - t0
        rc = s.proc.wait(timeout=60)
        err = s.stderr()
        assert rc == 3, (rc, err)
        assert re.search(r"stop: not finished after 1000 ms \(stopping: waiting for control requests\)", err), err
        assert 0.9 < took < 3, took
        assert "stopped: events read" not in err, err
    finally:
        c.close()
        s.stop()


@test
def sigterm_during_start_up():
    s = Sensor("--shutdown-timeout", "5s", wait=False)
    # Content is loaded after the signals are taken and before the BPF
    # programs are: a stop asked for there is served between the steps.
    s.wait_for_log("content: started", timeout=30)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(timeout=30)
    took = time.monotonic() - t0
    err = s.stderr()
    assert rc == 0, (rc, err)
    assert took < 5, took
    assert "running" not in err, err
    assert "stopping (at most 5000 ms)" in err, err
    # Nothing left behind that keeps a second instance from starting.
    s2 = Sensor(d=s.dir)
    try:
        s2.events_flow()
    finally:
        s2.stop()


@test
def full_output_disk_loses_nothing_silently():
    """The output on a full filesystem (a small tmpfs): lines that reach the
    file are exactly those counted as written, the rest wait in memory or
    are counted lost, and a gap record with the exact number follows once
    space is back."""
    d = tempfile.mkdtemp(prefix="edr-hostile-")
    mnt = os.path.join(d, "out")
    os.mkdir(mnt, 0o700)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", mnt]).returncode:
        raise Skip("cannot mount a tmpfs")
    try:
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"x" * (8 * 1024 * 1024 - 96 * 1024))
        s = Sensor(d=d, out=os.path.join(mnt, "events.json"))
        try:
            for i in range(1500):
                subprocess.run(["/bin/true", "fill-%d" % i])
            s.wait_for_log("cannot write: No space left on device", timeout=20)
            time.sleep(0.5)
            st = s.output_stats()
            written, lost, pending = st["written"], st["lost"], st["pending"]
            assert lost > 0 and pending > 0, st
            # Every line in the file is whole JSON, and as many as counted.
            assert len(s.events()) == written, (len(s.events()), written)
            os.unlink(filler)
            s.wait_for_log("writing again", timeout=20)
            gaps = s.wait_for(lambda e: e.get("event", {}).get("action") == "output-lines-lost", timeout=10)
            assert gaps and gaps[0]["edr"]["lost"] >= lost, (gaps, lost)
            assert gaps[0]["event"]["reason"] == "No space left on device", gaps
            st = s.output_stats()
            lost2 = st["lost"]
            assert gaps[0]["edr"]["lost"] == lost2 and st["pending"] == 0, (gaps, st)
            s.events_flow()
        finally:
            _, err = s.stop()
        m = re.search(r"output lines lost (\d+)", err)
        assert m and int(m.group(1)) == lost2, err
    finally:
        subprocess.run(["umount", "-l", mnt])


@test
def output_directory_checked_along_its_path():
    d = tempfile.mkdtemp(prefix="edr-hostile-")
    shared = os.path.join(d, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)  # like /tmp: fine above, not as the output's own directory
    for out, why in ((os.path.join(shared, "events.json"), "%s: writable by others (mode 1777)" % shared),):
        p = subprocess.run([binary("edr-sensor"), "--output", out, "--socket", os.path.join(d, "s"),
                            "--content-dir", os.path.join(d, "content"), "--rules", RULES],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and why in p.stderr, p.stderr
    sub = os.path.join(shared, "mine")
    os.mkdir(sub, 0o700)
    s = Sensor(d=d, out=os.path.join(sub, "events.json"))
    try:
        s.events_flow()
    finally:
        s.stop()


def main():
    global ARGS
    ARGS = runner.parse_args()
    return runner.run("hostile-e2e", TESTS, ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
