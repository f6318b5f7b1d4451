# SPDX-License-Identifier: GPL-2.0-only
"""What the storm benchmarks share: edr-sensor started on a scratch state
directory, waited for until it runs, and stopped with its own count of the
events it read and the records the kernel dropped."""
import os
import re
import signal
import subprocess
import sys
import time


class Sensor:
    def __init__(self, build, tmp, extra=()):
        self.err = open(os.path.join(tmp, "sensor.err"), "w+")
        self.out = os.path.join(tmp, "events.json")
        self.p = subprocess.Popen([os.path.join(build, "edr-sensor"), "--output", self.out,
                                   "--socket", os.path.join(tmp, "edr.sock"),
                                   "--content-dir", os.path.join(tmp, "content")]
                                  + list(extra),
                                  stdout=subprocess.DEVNULL, stderr=self.err)
        end = time.time() + 30
        while time.time() < end:
            self.err.seek(0)
            if "running" in self.err.read():
                return
            if self.p.poll() is not None:
                sys.exit("edr-sensor exited: %s" % open(self.err.name).read())
            time.sleep(0.05)
        sys.exit("edr-sensor did not start")

    def stop(self):
        """(events read, records dropped) from the sensor's summary line."""
        time.sleep(0.3)  # let it drain what the storm produced
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=60)
        self.err.seek(0)
        m = re.findall(r"stopped: events read (\d+), emitted \d+, dropped (\d+)", self.err.read())
        os.unlink(self.out) if os.path.exists(self.out) else None
        return (int(m[-1][0]), int(m[-1][1])) if m else (0, -1)


class Floor:
    """A do-nothing BPF program on each tracepoint given (tests/helpers/tpfloor):
    what the hook itself costs a storm, below which no program can go."""

    def __init__(self, build, tracepoints):
        self.p = subprocess.Popen([os.path.join(build, "tests/helpers/tpfloor")] + list(tracepoints),
                                  stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "ready":
            self.p.wait(timeout=10)
            sys.exit("tpfloor %s failed" % " ".join(tracepoints))

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=10)


def run_storm(argv, cpu=None):
    """Runs a storm helper that prints its elapsed ns: (wall seconds, CPU
    seconds). The CPU time (user + system of the helper) holds the BPF
    programs, which run in the helper's own context, and is steadier than
    the wall time on a shared machine. cpu: pin the helper to that CPU."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                         preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    if status:
        sys.exit("%s failed" % " ".join(argv))
    return int(out.strip()) / 1e9, ru.ru_utime + ru.ru_stime
