#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile-host file tests (issue 13, "Files and paths" and "Content store
integrity") against the real daemon: symlinked directories and planted
temporary names, FIFOs, devices and sockets where a file is expected (the
store's anti-rollback, full disk and lock are in test_content.py).
Each test asserts the property and that events keep flowing.
Ends with "hostile-files: N passed, N failed, N skipped".
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
EDRCTL = os.path.join(BUILD, "edrctl")
SENSOR = os.path.join(BUILD, "edr-sensor")
TESTS = []
NOBODY = 65534


def test(fn):
    TESTS.append(fn)
    return fn


RULE = """title: token {token}
id: {id}
status: test
description: hostile-files e2e rule
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains: '{token}'
    condition: selection
level: high
x-edr-samples:
    match:
        - CommandLine: 'x {token} y'
    nomatch:
        - CommandLine: 'nothing here'
"""


def rule_dir(base, name, token, rid):
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "rule.yml"), "w") as f:
        f.write(RULE.format(token=token, id=rid))
    return d


class Env:
    def __init__(self, content=None):
        self.dir = tempfile.mkdtemp(prefix="edr-hostile-files-")
        self.sock = os.path.join(self.dir, "edr.sock")
        self.content = content or os.path.join(self.dir, "content")
        self.out = os.path.join(self.dir, "events.json")
        subprocess.run([EDRCTL, "bundle", "keygen", "-o", os.path.join(self.dir, "k")], check=True,
                       capture_output=True)
        self.pub = os.path.join(self.dir, "k.pub")
        self.key = os.path.join(self.dir, "k.key")
        self.initial = rule_dir(self.dir, "initial", "edr-hf-initial", "00000000-0000-4000-8000-0000000000a1")
        self.d = None
        self.extra = []

    def argv(self, *extra, out=None, content=None, sock=None):
        return [SENSOR, "--output", out or self.out, "--socket", sock or self.sock,
                "--content-dir", content or self.content, "--pubkey", self.pub,
                "--rules", self.initial, *extra]

    def start(self, *extra):
        self.d = runner.Daemon(self.argv(*extra), self.dir, self.out)
        end = time.time() + 30
        while time.time() < end:
            if os.path.exists(self.sock) and self.ctl("status").returncode == 0:
                return
            if self.d.proc.poll() is not None:
                raise AssertionError("sensor exited: %s" % self.d.stderr())
            time.sleep(0.1)
        raise AssertionError("sensor not up: %s" % self.d.stderr())

    def refused(self, argv, what, timeout=15):
        """The sensor started with argv exits non-zero within timeout and
        says what in one line."""
        t0 = time.time()
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        assert p.returncode != 0, (p.returncode, p.stderr)
        lines = [ln for ln in p.stderr.splitlines() if what in ln]
        assert lines, "expected %r in: %s" % (what, p.stderr)
        return time.time() - t0, lines[0]

    def ctl(self, *args, timeout=30):
        return subprocess.run([EDRCTL, *args, "--socket", self.sock], capture_output=True, text=True,
                              timeout=timeout)

    def bundle(self, name, version, src):
        path = os.path.join(self.dir, name)
        subprocess.run([EDRCTL, "bundle", "create", src, "-o", path, "--key", self.key,
                        "--version", str(version)], check=True, capture_output=True)
        return path

    def active_version(self):
        r = self.ctl("rules", "--json")
        assert r.returncode == 0, (r.stdout, r.stderr)
        return json.loads(r.stdout)["items"]["active.version"]

    def flowing(self, token):
        """Events keep flowing: an exec carrying token shows up (as an
        event or an alert) in the output."""
        subprocess.run(["/bin/echo", token], check=True, capture_output=True)
        found = self.d.wait_for(lambda e: token in e.get("process", {}).get("command_line", ""),
                                timeout=15)
        assert found, "no event for %s: %s" % (token, self.d.stderr()[-2000:])
        assert self.d.proc.poll() is None, "sensor died"

    def stop(self):
        if self.d:
            self.d.stop()

    def cleanup(self):
        if self.d and self.d.proc.poll() is None:
            self.d.stop(signal.SIGKILL)
        subprocess.run(["umount", "-l", self.content], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def make_fifo(path):
    os.mkfifo(path, 0o600)
    return path


def make_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    return s


@test
def hostile_dirs_and_symlinks_are_refused():
    env = Env()
    try:
        # A content directory reached through a symlink someone else owns.
        real = os.path.join(env.dir, "real")
        os.mkdir(real, 0o700)
        link = os.path.join(env.dir, "evil")
        os.symlink(real, link)
        os.lchown(link, NOBODY, NOBODY)
        dt, line = env.refused(env.argv(content=os.path.join(link, "content")),
                               "a symbolic link owned by uid %d, not root" % NOBODY)
        assert "content" in line, line
        # A directory on the path that group or others may write.
        loose = os.path.join(env.dir, "loose")
        os.mkdir(loose)
        os.chmod(loose, 0o777)
        dt, line = env.refused(env.argv(content=os.path.join(loose, "content")),
                               "writable by others (mode 0777)")
        assert loose in line, line
        # A directory owned by another user.
        theirs = os.path.join(env.dir, "theirs")
        os.mkdir(theirs, 0o755)
        os.chown(theirs, NOBODY, NOBODY)
        env.refused(env.argv(content=os.path.join(theirs, "content")), "owned by uid %d" % NOBODY)
        # The output file's directory is checked the same way.
        dt, line = env.refused(env.argv(out=os.path.join(loose, "events.json")),
                               "directory %s: writable by others (mode 0777)" % loose)
        # The output file is not opened through a symlink.
        victim = os.path.join(env.dir, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        outlink = os.path.join(env.dir, "out-link.json")
        os.symlink(victim, outlink)
        env.refused(env.argv(out=outlink), "cannot open output")
        with open(victim) as f:
            assert f.read() == "precious\n"
        # The honest set-up still runs and reports.
        env.start()
        env.flowing("edr-hf-dirs-token")
    finally:
        env.cleanup()


@test
def planted_temporary_names_do_not_redirect_writes():
    env = Env()
    try:
        env.start()
        victim = os.path.join(env.dir, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        pid = env.d.proc.pid
        # Every temporary name a pid-based scheme would use, aimed at victim.
        for name in ("active.bundle", "incoming.bundle", "state", "highest", "previous.bundle"):
            os.symlink(victim, os.path.join(env.content, "%s.tmp.%d" % (name, pid)))
        src = rule_dir(env.dir, "v1", "edr-hf-v1", "00000000-0000-4000-8000-0000000000a2")
        r = env.ctl("load-rules", env.bundle("v1.bundle", 1, src))
        assert r.returncode == 0, (r.stdout, r.stderr)
        with open(victim) as f:
            assert f.read() == "precious\n", "a write went through a planted symlink"
        assert env.active_version() == 1
        st = os.lstat(os.path.join(env.content, "active.bundle"))
        assert not os.path.islink(os.path.join(env.content, "active.bundle")) and st.st_size > 0
        env.flowing("edr-hf-v1 token")
        assert env.d.wait_for(lambda e: e.get("event", {}).get("kind") == "alert" and
                              "edr-hf-v1" in e["process"].get("command_line", ""))
    finally:
        env.cleanup()


@test
def non_regular_files_get_one_line_at_once():
    env = Env()
    try:
        fifo = make_fifo(os.path.join(env.dir, "fifo"))
        sockp = os.path.join(env.dir, "sock")
        s = make_socket(sockp)
        # At start-up: configuration and output refuse to start, within
        # seconds (not a hang on the FIFO).
        for bad in (fifo, sockp, "/dev/null"):
            dt, _ = env.refused([SENSOR, "--config", bad, "--content-dir", env.content], bad,
                                timeout=10)
            assert dt < 8, dt
        for bad in (fifo, "/dev/null"):
            dt, _ = env.refused(env.argv(out=bad), "cannot open output '%s'" % bad, timeout=10)
            assert dt < 8, dt
        # Initial rules: a FIFO as the rule path is named in one line and the
        # sensor runs (without rules), as for any unusable initial content.
        env.initial = fifo
        env.start()
        env.d.wait_for_log("%s: a FIFO, not a regular file" % fifo, timeout=10)
        env.flowing("edr-hf-rules-fifo")
        env.stop()
        # A rule directory holding a FIFO named like a rule: named in one
        # line (not quietly left out), and the load does not hang.
        rd = rule_dir(env.dir, "withfifo", "edr-hf-fifo", "00000000-0000-4000-8000-0000000000a3")
        make_fifo(os.path.join(rd, "zz.yml"))
        env.initial = rd
        env.start()
        env.d.wait_for_log("%s: a FIFO, not a regular file" % os.path.join(rd, "zz.yml"), timeout=10)
        env.flowing("edr-hf-fifo dir")
        env.stop()
        env.initial = rule_dir(env.dir, "initial", "edr-hf-initial", "00000000-0000-4000-8000-0000000000a1")
        # At run time: bundle and rule paths handed to load-rules.
        env.start()
        for bad in (fifo, sockp, "/dev/zero", "/dev/null"):
            t0 = time.time()
            r = env.ctl("load-rules", bad, timeout=20)
            assert r.returncode != 0, (bad, r.stdout, r.stderr)
            assert time.time() - t0 < 10
            msg = (r.stdout + r.stderr).strip().splitlines()
            assert msg and bad in msg[-1], (bad, msg)
        assert env.active_version() == 0
        env.flowing("edr-hf-initial fifo")
        s.close()
    finally:
        env.cleanup()


def main():
    return runner.run("hostile-files", TESTS, os.environ.get("EDR_TEST_ONLY"))


if __name__ == "__main__":
    sys.exit(main())
