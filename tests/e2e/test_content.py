#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Content updates against the real sensor and the real kernel (issue 4):
signed bundles through edrctl load-rules, rejection with the old rules still
firing, swaps under an exec storm with no sequence number lost, and a crash
during probation rolling back to the last-known-good content.
Ends with "content-e2e: N passed, N failed, N skipped".
"""
import json
import os
import shutil
import signal
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


def test(fn):
    TESTS.append(fn)
    return fn


RULE = """title: {title}
id: {id}
status: test
description: e2e content test rule
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains: '{token}'
    condition: selection
level: high
tags:
    - attack.execution
    - attack.t1059
x-edr-samples:
    match:
        - CommandLine: 'x {token} y'
    nomatch:
        - CommandLine: 'nothing here'
"""


def rule_dir(base, name, token, rid, extra=""):
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "rule.yml"), "w") as f:
        f.write(RULE.format(title="token " + token, id=rid, token=token) + extra)
    return d


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="edr-content-e2e-")
        self.sock = os.path.join(self.dir, "edr.sock")
        self.content = os.path.join(self.dir, "content")
        self.out = os.path.join(self.dir, "events.json")
        subprocess.run([EDRCTL, "bundle", "keygen", "-o", os.path.join(self.dir, "k")], check=True,
                       capture_output=True)
        self.pub = os.path.join(self.dir, "k.pub")
        self.key = os.path.join(self.dir, "k.key")
        self.initial = rule_dir(self.dir, "initial", "edr-initial-token", "00000000-0000-4000-8000-000000000001")
        self.proc = None
        self.errf = None

    def start(self, *extra):
        self.errf = open(os.path.join(self.dir, "stderr"), "a+")
        self.proc = subprocess.Popen(
            [SENSOR, "--output", self.out, "--socket", self.sock, "--content-dir", self.content,
             "--pubkey", self.pub, "--rules", self.initial, *extra],
            stdout=subprocess.DEVNULL, stderr=self.errf)
        end = time.time() + 30
        while time.time() < end:
            if os.path.exists(self.sock) and self.ctl("status").returncode == 0:
                return
            if self.proc.poll() is not None:
                raise AssertionError("sensor exited: %s" % self.stderr())
            time.sleep(0.1)
        raise AssertionError("sensor not up: %s" % self.stderr())

    def stderr(self):
        with open(os.path.join(self.dir, "stderr")) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        return self.proc.returncode if self.proc else None

    def ctl(self, *args):
        return subprocess.run([EDRCTL, *args, "--socket", self.sock], capture_output=True, text=True)

    def bundle(self, name, version, src):
        path = os.path.join(self.dir, name)
        subprocess.run([EDRCTL, "bundle", "create", src, "-o", path, "--key", self.key,
                        "--version", str(version)], check=True, capture_output=True)
        return path

    def events(self):
        out = []
        if os.path.exists(self.out):
            with open(self.out) as f:
                for line in f:
                    out.append(json.loads(line))
        return out

    def alerts_for(self, token, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            found = [e for e in self.events() if e.get("event", {}).get("kind") == "alert" and
                     token in e["process"].get("command_line", "")]
            if found:
                return found
            time.sleep(0.1)
        return []

    def cleanup(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_token(token):
    subprocess.run(["/bin/echo", token], check=True, capture_output=True)


@test
def signed_bundle_adds_a_rule_and_bad_one_keeps_it():
    env = Env()
    try:
        env.start()
        src = rule_dir(env.dir, "v1", "edr-v1-token", "00000000-0000-4000-8000-000000000011")
        b1 = env.bundle("v1.bundle", 1, src)
        r = env.ctl("load-rules", b1)
        assert r.returncode == 0, (r.stdout, r.stderr)
        for stage in ("verify", "validate", "self-test", "swap"):
            assert stage in r.stdout, (stage, r.stdout)
        run_token("edr-v1-token")
        a = env.alerts_for("edr-v1-token")
        assert a and a[0]["rule"]["id"] == "00000000-0000-4000-8000-000000000011", a
        assert a[0]["edr"]["content_version"] == 1

        # A bad rule (field not in the category): rejected at validate, the
        # running rule keeps firing.
        bad = rule_dir(env.dir, "v2bad", "edr-v2-token", "00000000-0000-4000-8000-000000000012")
        with open(os.path.join(bad, "rule.yml")) as f:
            text = f.read().replace("CommandLine|contains", "CommandLin|contains", 1)
        with open(os.path.join(bad, "rule.yml"), "w") as f:
            f.write(text)
        b2 = env.bundle("v2bad.bundle", 2, bad)
        r = env.ctl("load-rules", b2)
        assert r.returncode == 1, (r.stdout, r.stderr)
        last = (r.stdout + r.stderr).strip().splitlines()[-1]
        assert last.startswith("rejected at validate:") and "CommandLin" in last, last

        # A corrupted bundle: rejected at verify.
        with open(b1, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xff
        corrupt = os.path.join(env.dir, "corrupt.bundle")
        with open(corrupt, "wb") as f:
            f.write(data)
        r = env.ctl("load-rules", corrupt)
        assert r.returncode == 1 and "rejected at verify:" in (r.stdout + r.stderr), (r.stdout, r.stderr)

        # The same version again (not newer) needs --force.
        r = env.ctl("load-rules", env.bundle("v1again.bundle", 1, src))
        assert r.returncode == 1 and "rejected at verify:" in (r.stdout + r.stderr), (r.stdout, r.stderr)

        run_token("edr-v1-token again")
        a = env.alerts_for("edr-v1-token again")
        assert a and a[0]["rule"]["id"] == "00000000-0000-4000-8000-000000000011", a
        assert not env.alerts_for("edr-v2-token", timeout=0.5)
        r = env.ctl("rules", "--json")
        assert r.returncode == 0, r
        items = json.loads(r.stdout)["items"]
        assert items["active.version"] == 1 and items["active.signed"] == "yes", items
        assert items["last_rejection"].startswith("rejected at verify:"), items
        assert env.proc.poll() is None, "sensor died"
    finally:
        env.cleanup()


@test
def swaps_under_exec_storm_lose_nothing():
    env = Env()
    try:
        env.start()
        bundles = []
        for v in range(1, 9):
            src = rule_dir(env.dir, "s%d" % v, "edr-swap-%d" % v, "00000000-0000-4000-8000-0000000001%02d" % v)
            bundles.append(env.bundle("s%d.bundle" % v, v, src))
        storm = subprocess.Popen([os.path.join(BUILD, "tests/helpers/execstorm"), "3000"],
                                 stdout=subprocess.DEVNULL)
        for b in bundles:
            r = env.ctl("load-rules", b)
            assert r.returncode == 0, (b, r.stdout, r.stderr)
        assert storm.wait(timeout=300) == 0
        time.sleep(0.5)
        assert env.stop() == 0
        err = env.stderr()
        line = [l for l in err.splitlines() if "stopped:" in l][-1]
        nums = dict(zip(["read", "emitted", "dropped", "decode", "seq"],
                        map(int, [w.rstrip(",") for w in line.split() if w.rstrip(",").isdigit()][:5])))
        assert nums["decode"] == 0, line
        assert nums["read"] + nums["dropped"] == nums["seq"], line
        by_cpu = {}
        for e in env.events():
            if "seq" in e.get("edr", {}) and e["event"]["kind"] == "event":
                by_cpu.setdefault(e["edr"]["cpu"], []).append(e["edr"]["seq"])
        for c, seqs in by_cpu.items():
            if nums["dropped"] == 0:
                assert seqs == list(range(1, len(seqs) + 1)), "cpu %d: sequence has holes" % c
        assert nums["emitted"] == nums["read"], line
    finally:
        env.cleanup()


@test
def crash_during_probation_rolls_back():
    env = Env()
    try:
        # v1 passes probation (1 s), so it becomes last-known-good.
        env.start("--probation", "1s")
        good = env.bundle("good.bundle", 1, rule_dir(env.dir, "good", "edr-good-token",
                                                     "00000000-0000-4000-8000-000000000201"))
        assert env.ctl("load-rules", good).returncode == 0
        time.sleep(3)
        assert env.stop() == 0
        # v2 activated with a long probation, then the sensor crashes.
        env.start("--probation", "10m")
        new = env.bundle("new.bundle", 2, rule_dir(env.dir, "new", "edr-new-token",
                                                   "00000000-0000-4000-8000-000000000202"))
        r = env.ctl("load-rules", new)
        assert r.returncode == 0, (r.stdout, r.stderr)
        env.proc.send_signal(signal.SIGSEGV)
        env.proc.wait(timeout=30)
        assert env.proc.returncode == -signal.SIGSEGV
        # The harness stands in for systemd's Restart=on-failure.
        env.start("--probation", "10m")
        r = env.ctl("rules", "--json")
        assert r.returncode == 0, r
        assert "rolled back" in env.stderr() or "last-known-good" in env.stderr(), env.stderr()
        run_token("edr-good-token")
        assert env.alerts_for("edr-good-token"), "last-known-good rule does not fire"
        run_token("edr-new-token")
        assert not env.alerts_for("edr-new-token", timeout=1), "crashed content still active"
        st = env.ctl("status", "--json")
        assert st.returncode == 0, st
        content = json.loads(st.stdout)["content"]
        assert content["version"] == 1 and content["last_known_good"] == 1, content
    finally:
        env.cleanup()


@test
def bad_bundle_corpus_against_the_running_sensor():
    # Every bundle of the corpus is refused at its stage with its reason by
    # the real daemon, which keeps its content (v10) and keeps emitting.
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bundles", "bad")
    env = Env()
    try:
        env.pub = os.path.join(os.path.abspath(corpus), "trusted.pub")
        env.start()
        r = env.ctl("load-rules", os.path.join(corpus, "active_v10.bundle"))
        assert r.returncode == 0, (r.stdout, r.stderr)
        n = 0
        with open(os.path.join(corpus, "expected.tsv")) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, stage, reason = line.rstrip("\n").split("\t", 2)
                r = env.ctl("load-rules", os.path.join(corpus, name))
                last = (r.stdout + r.stderr).strip().splitlines()[-1]
                assert r.returncode == 1, (name, r.stdout, r.stderr)
                assert last.startswith("rejected at %s:" % stage) and reason in last, (name, stage, reason, last)
                n += 1
        assert n >= 100, n
        items = json.loads(env.ctl("rules", "--json").stdout)["items"]
        assert items["active.version"] == 10, items
        before = len(env.events())
        run_token("still-running")
        end = time.time() + 5
        while time.time() < end and len(env.events()) == before:
            time.sleep(0.1)
        assert len(env.events()) > before, "sensor stopped emitting"
        assert env.proc.poll() is None
    finally:
        env.cleanup()


def events_flow(env):
    before = len(env.events())
    run_token("edr-flow-%d" % time.monotonic_ns())
    end = time.time() + 10
    while time.time() < end and len(env.events()) == before:
        time.sleep(0.1)
    assert len(env.events()) > before, "sensor stopped emitting: %s" % env.stderr()[-2000:]


def load(env, bundle):
    r = env.ctl("load-rules", bundle)
    assert r.returncode == 0, (r.stdout, r.stderr)


@test
def older_bundle_copied_into_the_store_is_not_started():
    """Anti-rollback: the state remembers the highest version activated and
    the last-known-good it recorded itself."""
    env = Env()
    try:
        env.start()
        b = {}
        for v in (1, 2, 3):
            src = rule_dir(env.dir, "v%d" % v, "edr-rb%d-token" % v, "00000000-0000-4000-8000-00000000002%d" % v)
            b[v] = env.bundle("rb%d.bundle" % v, v, src)
            load(env, b[v])
        # v1 went to previous.bundle (the last-known-good) when v2 came.
        assert env.stop() == 0
        act = os.path.join(env.content, "active.bundle")
        prev = os.path.join(env.content, "previous.bundle")
        shutil.copy(b[2], act)  # an attacker puts back an older, validly signed bundle
        env.start()
        err = env.stderr()
        assert "version 2 is older than version 3 activated before (anti-rollback)" in err, err
        assert "rolling back to the last-known-good content version 1" in err, err
        run_token("edr-rb2-token now")
        run_token("edr-rb1-token now")
        assert env.alerts_for("edr-rb1-token now")
        assert not env.alerts_for("edr-rb2-token now", timeout=0.5)
        assert env.stop() == 0
        # Older bundles in both places: neither is started on.
        shutil.copy(b[2], act)
        shutil.copy(b[2], prev)
        env.start()
        err = env.stderr()
        assert "and not the last-known-good the state recorded" in err, err
        assert "runs WITHOUT RULES" in err, err
        run_token("edr-rb2-token later")
        assert not env.alerts_for("edr-rb2-token later", timeout=0.5)
        events_flow(env)
        # The operator's way back: a forced load, which the next start accepts.
        r = env.ctl("load-rules", b[2], "--force")
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert env.stop() == 0
        env.start()
        assert "started on stored content version 2" in env.stderr()
    finally:
        env.cleanup()


@test
def full_disk_fails_the_load_and_keeps_the_old_content():
    env = Env()
    mounted = False
    try:
        os.makedirs(env.content)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", env.content]).returncode:
            raise runner.Skip("cannot mount a tmpfs")
        mounted = True
        env.start()
        src = rule_dir(env.dir, "small", "edr-small-token", "00000000-0000-4000-8000-000000000031")
        b1 = env.bundle("small.bundle", 1, src)
        load(env, b1)
        big = rule_dir(env.dir, "big", "edr-big-token", "00000000-0000-4000-8000-000000000032",
                       extra="# " + os.urandom(96 * 1024).hex() + "\n")
        b2 = env.bundle("big.bundle", 2, big)
        assert os.path.getsize(b2) > 64 * 1024
        r = env.ctl("load-rules", b2)
        assert r.returncode != 0, (r.stdout, r.stderr)
        last = (r.stdout + r.stderr).strip().splitlines()[-1]
        assert last.startswith("rejected at persist:") and "No space left on device" in last, last
        with open(b1, "rb") as f, open(os.path.join(env.content, "active.bundle"), "rb") as g:
            assert f.read() == g.read(), "active.bundle is not the old content any more"
        run_token("edr-small-token still")
        assert env.alerts_for("edr-small-token still")
        items = json.loads(env.ctl("rules", "--json").stdout)["items"]
        assert items["active.version"] == 1, items
        events_flow(env)
        # After a restart the old content is what runs.
        assert env.stop() == 0
        env.start()
        assert "started on stored content version 1" in env.stderr()
    finally:
        env.stop(signal.SIGKILL)
        if mounted:
            subprocess.run(["umount", env.content])
        env.cleanup()


@test
def two_sensors_on_one_store():
    env = Env()
    try:
        env.start()
        p = subprocess.run([SENSOR, "--output", os.path.join(env.dir, "two.json"), "--socket",
                            os.path.join(env.dir, "two.sock"), "--content-dir", env.content,
                            "--pubkey", env.pub, "--rules", env.initial],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode != 0, p
        msg = "%s is in use by another edr-sensor (pid %d)" % (env.content, env.proc.pid)
        assert msg in p.stderr and len(p.stderr.strip().splitlines()) <= 2, p.stderr
        assert env.proc.poll() is None
        events_flow(env)
    finally:
        env.cleanup()


@test
def content_directory_checked_along_its_path():
    env = Env()
    try:
        shared = os.path.join(env.dir, "shared")
        os.mkdir(shared)
        os.chmod(shared, 0o777)
        env.content = os.path.join(shared, "content")
        p = subprocess.run([SENSOR, "--output", env.out, "--socket", env.sock, "--content-dir", env.content,
                            "--pubkey", env.pub, "--rules", env.initial], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode != 0 and "%s: writable by others (mode 0777)" % shared in p.stderr, p.stderr
        os.chmod(shared, 0o755)
        real = os.path.join(env.dir, "real")
        os.mkdir(real, 0o700)
        shutil.rmtree(env.content, ignore_errors=True)
        env.content = os.path.join(env.dir, "content-link")
        os.symlink(real, env.content)
        p = subprocess.run([SENSOR, "--output", env.out, "--socket", env.sock, "--content-dir", env.content,
                            "--pubkey", env.pub, "--rules", env.initial], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode != 0 and "%s: a symbolic link, not a directory" % env.content in p.stderr, p.stderr
    finally:
        env.cleanup()


def main():
    return runner.run("content-e2e", TESTS, os.environ.get("EDR_TEST_ONLY"))


if __name__ == "__main__":
    sys.exit(main())
