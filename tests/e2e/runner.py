# SPDX-License-Identifier: GPL-2.0-only
"""The one test runner the e2e suites share: runs the registered test
functions, prints [ OK ]/[FAIL]/[SKIP] per test and ends with
"SUITE: N passed, N failed, N skipped" (the closing line CI reads)."""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback


def parse_args():
    """The command line every suite takes: --build DIR, -k NAME."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default=None, help="run tests whose name contains this")
    return ap.parse_args()


class Skip(Exception):
    """Raise to skip a test with the reason."""


def run(suite, tests, only=None):
    """Runs tests (functions); returns the process exit status."""
    if os.geteuid() != 0:
        print("%s: needs root, skipping" % suite)
        print("%s: 0 passed, 0 failed, %d skipped" % (suite, len(tests)))
        return 0
    passed = failed = skipped = 0
    for t in tests:
        if only and only not in t.__name__:
            continue
        try:
            t()
            print("[ OK ] %s" % t.__name__)
            passed += 1
        except Skip as e:
            print("[SKIP] %s: %s" % (t.__name__, e))
            skipped += 1
        except Exception:
            print("[FAIL] %s" % t.__name__)
            traceback.print_exc()
            failed += 1
        sys.stdout.flush()
    print("%s: %d passed, %d failed, %d skipped" % (suite, passed, failed, skipped))
    return 1 if failed else 0


class Daemon:
    """A running edr-sensor (argv given by the suite) whose stderr goes to
    DIR/stderr and whose ECS output is the file self.out. Subclasses build
    the command line; the reading and waiting are shared."""

    def __init__(self, argv, dirname, out):
        self.dir = dirname
        self.out = out
        self.errf = open(os.path.join(dirname, "stderr"), "a+")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.errf)

    def stderr(self):
        self.errf.flush()
        with open(self.errf.name) as f:
            return f.read()

    def wait_for_log(self, what, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if what in self.stderr():
                return
            if self.proc.poll() is not None:
                raise AssertionError("sensor exited early (%s): %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.05)
        raise AssertionError("sensor did not log %r within %ss: %s" % (what, timeout, self.stderr()))

    def events(self):
        evs = []
        if not os.path.exists(self.out):
            return evs
        with open(self.out, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # a line still being written (read while the sensor runs)
                evs.append(json.loads(line))  # every line must be valid JSON
        return evs

    def wait_for(self, pred, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            found = [e for e in self.events() if pred(e)]
            if found:
                return found
            time.sleep(0.1)
        return []

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        return self.events(), self.stderr()
