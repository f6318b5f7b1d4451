#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""End-to-end tests: the real edr-sensor on the real kernel.

Helper programs print their own ground truth (pids, paths, argv) and the
test compares it with what the sensor reported. Ends with
"e2e: N passed, N failed, N skipped".
"""
import json
import os
import re
import shutil
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


class Sensor(runner.Daemon):
    """Runs build/edr-sensor with output to a file; stop() returns (events, stderr)."""

    def __init__(self, *extra):
        d = tempfile.mkdtemp(prefix="edr-e2e-")
        self.socket = os.path.join(d, "edr.sock")
        out = os.path.join(d, "events.json")
        # Everything the daemon writes stays in the test's own directory.
        super().__init__([os.path.join(ARGS.build, "edr-sensor"), "--output", out,
                          "--socket", self.socket, "--content-dir", os.path.join(d, "content"), *extra],
                         d, out)
        self.wait_for_log("running")


def helper(name, *args):
    return os.path.join(ARGS.build, "tests", "helpers", name)


def unhex(s):
    return bytes.fromhex(s)


def as_json_str(b):
    """What a correct JSON writer makes of arbitrary bytes: invalid UTF-8 -> U+FFFD."""
    return b.decode("utf-8", errors="replace")


def action(e):
    return e.get("event", {}).get("action")


@test
def exec_fork_exit_ground_truth():
    s = Sensor()
    try:
        argv = [b"edr-e2e-%d" % os.getpid(), b'quo"te', b"new\nline", b"bad\xffbyte", b"sp ace"]
        out = subprocess.run([helper("spawn"), *argv], check=True, capture_output=True).stdout
        truth = json.loads(out)
        echo = s.wait_for(lambda e: action(e) == "exec" and e["process"]["pid"] == truth["echo_pid"])
        exit7 = s.wait_for(lambda e: action(e) == "exit" and e["process"]["pid"] == truth["exit_pid"])
        fork = s.wait_for(lambda e: action(e) == "fork" and e["process"]["pid"] == truth["echo_pid"])
    finally:
        events, err = s.stop()
    assert echo, "no exec event for pid %d" % truth["echo_pid"]
    e = echo[0]
    p = e["process"]
    want_argv = [as_json_str(unhex(a)) for a in truth["argv"]]
    assert p["args"] == want_argv, (p["args"], want_argv)
    assert p["command_line"] == " ".join(want_argv)
    assert p["executable"] == os.path.realpath("/bin/echo"), p["executable"]
    assert p["name"] == "echo"
    assert p["working_directory"] == unhex(truth["cwd"]).decode(), p["working_directory"]
    assert p["parent"]["pid"] == truth["pid"], p["parent"]
    assert p["parent"]["executable"] == unhex(truth["exe"]).decode(), p["parent"]
    assert p["parent"]["entity_id"] and p["entity_id"] and p["entity_id"] != p["parent"]["entity_id"]
    assert e["user"]["id"] == str(truth["uid"]), e["user"]
    assert e["user"]["name"] == "root"
    assert e["event"]["kind"] == "event" and e["event"]["category"] == ["process"]
    assert e["event"]["type"] == ["start"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", e["@timestamp"])
    assert e["edr"]["args_truncated"] is False
    assert e["host"]["name"]
    assert exit7, "no exit event for pid %d" % truth["exit_pid"]
    assert exit7[0]["process"]["exit_code"] == 7, exit7[0]["process"]
    assert exit7[0]["event"]["type"] == ["end"]
    assert fork and fork[0]["process"]["parent"]["pid"] == truth["pid"]
    # the same process keeps its entity id from fork to exec
    assert fork[0]["process"]["entity_id"] == p["entity_id"]
    assert re.search(r"stopped: events read \d+, emitted \d+, dropped 0, decode errors 0", err), err


@test
def drops_are_reported_exactly():
    # Smallest ring buffer and a paused consumer: a burst must overflow it,
    # and the gap records must add up to the kernel's own loss counter.
    s = Sensor("--ring-size", "4096")
    try:
        os.kill(s.proc.pid, signal.SIGSTOP)
        subprocess.run([helper("execstorm"), "300"], check=True, capture_output=True)
        os.kill(s.proc.pid, signal.SIGCONT)
        time.sleep(1.0)
    finally:
        events, err = s.stop()
    m = re.search(r"stopped: events read (\d+), emitted (\d+), dropped (\d+), decode errors (\d+), "
                  r"sequence (\d+)", err)
    assert m, err
    read, emitted, dropped, decode_errors, seq = map(int, m.groups())
    gaps = [e for e in events if action(e) == "events-lost"]
    lost = sum(g["edr"]["lost"] for g in gaps)
    assert dropped > 0, "no drop with a 4 KiB ring and a paused consumer: %s" % err
    assert lost == dropped, "gap records say %d lost, kernel counted %d" % (lost, dropped)
    assert decode_errors == 0
    # Every sequence number the kernel handed out is accounted for: it
    # arrived, or it is counted in a gap record.
    assert read + lost == seq, "read %d + lost %d != sequence %d" % (read, lost, seq)
    # On each CPU, numbers only increase, and the holes between arrived
    # records are covered by that CPU's gap records.
    by_cpu, lost_cpu = {}, {}
    for e in events:
        if action(e) == "events-lost":
            lost_cpu[e["edr"]["cpu"]] = lost_cpu.get(e["edr"]["cpu"], 0) + e["edr"]["lost"]
        elif "seq" in e.get("edr", {}) and e.get("event", {}).get("kind") != "alert":
            # (an alert repeats the sequence number of the event it is about)
            by_cpu.setdefault(e["edr"]["cpu"], []).append(e["edr"]["seq"])
    for c, seqs in by_cpu.items():
        assert seqs == sorted(set(seqs)), "cpu %d: sequence not increasing" % c
        holes = (seqs[-1] - seqs[0] + 1) - len(seqs) + (seqs[0] - 1)
        assert holes <= lost_cpu.get(c, 0), "cpu %d: %d missing, %d reported lost" % (c, holes, lost_cpu.get(c, 0))


@test
def default_pack_alerts_on_a_matching_exec():
    s = Sensor()
    try:
        # decodes "id" from base64 and runs it through a shell: harmless, and
        # exactly what the default pack's base64 rule is about
        r = subprocess.run(["/bin/sh", "-c", "echo aWQK | base64 -d | sh"], capture_output=True)
        assert r.returncode == 0, r
        alerts = s.wait_for(lambda e: e.get("event", {}).get("kind") == "alert" and
                            "echo aWQK" in e["process"].get("command_line", ""))
        subprocess.run(["/bin/echo", "nothing to see"], check=True, capture_output=True)
        time.sleep(0.5)
    finally:
        events, err = s.stop()
    assert alerts, "no alert for a base64-decoded shell pipeline: %s" % err
    a = alerts[0]
    assert a["rule"]["id"] and a["rule"]["name"], a["rule"]
    assert a["event"]["severity"] > 0 and a["edr"]["shadow"] is False
    assert any(t.startswith("T") for t in a["threat"]["technique"]["id"]), a["threat"]
    assert a["process"]["executable"] == os.path.realpath("/bin/sh")
    assert not [e for e in events if e.get("event", {}).get("kind") == "alert" and
                "nothing to see" in e["process"].get("command_line", "")]


@test
def custom_rules_option():
    d = tempfile.mkdtemp(prefix="edr-rules-")
    token = "edr-custom-%d" % os.getpid()
    with open(os.path.join(d, "token.yml"), "w") as f:
        f.write("""title: Test token executed
id: 5c0ffee0-0000-4000-8000-000000000001
status: test
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: '/echo'
        CommandLine|contains: '%s'
    condition: selection
level: low
""" % token)
    s = Sensor("--rules", d)
    try:
        subprocess.run(["/bin/echo", token], check=True, capture_output=True)
        alerts = s.wait_for(lambda e: e.get("event", {}).get("kind") == "alert")
    finally:
        events, err = s.stop()
    assert "1 rules" in err or "1 rule" in err, err
    assert alerts and alerts[0]["rule"]["id"] == "5c0ffee0-0000-4000-8000-000000000001", alerts
    assert alerts[0]["rule"]["name"] == "Test token executed"
    assert alerts[0]["event"]["severity"] == 21


@test
def exec_enrichment_hash_and_ancestry():
    import hashlib
    d = tempfile.mkdtemp(prefix="edr-hash-")
    prog = os.path.join(d, "edr-hash-probe")
    shutil.copy("/bin/true", prog)
    want = hashlib.sha256(open(prog, "rb").read()).hexdigest()
    s = Sensor()
    try:
        # The first exec may go out "pending" (hashed off the event path);
        # a later exec of the same unchanged file carries the hash.
        for _ in range(20):
            subprocess.run([prog], check=True)
            found = [e for e in s.events() if action(e) == "exec" and
                     e["process"].get("executable") == prog and "hash" in e["process"]]
            if found:
                break
            time.sleep(0.2)
        execs = [e for e in s.events() if action(e) == "exec" and e["process"].get("executable") == prog]
    finally:
        s.stop()
    assert execs, "no exec event for %s" % prog
    assert found, "no exec of an unchanged file carried process.hash.sha256: %r" % [
        e["edr"].get("hash_state") for e in execs]
    assert found[0]["process"]["hash"]["sha256"] == want
    assert all(e["edr"].get("hash_state") in (None, "pending") for e in execs), execs[0]["edr"]
    # the python test runner is the parent, so the ancestry starts with it
    anc = found[0]["edr"].get("ancestors")
    assert anc and anc[0] == os.path.realpath(sys.executable), anc
    shutil.rmtree(d, ignore_errors=True)


OUR_PROG_PREFIXES = ("tp_btf__", "raw_tp__", "lsm__", "fentry__", "fexit__", "kprobe__", "tracepoint__")


def prog_names():
    out = subprocess.run(["bpftool", "prog", "show", "--json"], check=True, capture_output=True).stdout
    return {p["id"]: p.get("name", "") for p in json.loads(out)}


def all_prog_ids():
    out = subprocess.run(["bpftool", "prog", "show", "--json"], check=True, capture_output=True).stdout
    return {p["id"] for p in json.loads(out)}


@test
def nothing_stays_attached():
    for sig in (signal.SIGTERM, signal.SIGINT):
        before = set(prog_names())
        s = Sensor()
        ids = [i for i, n in prog_names().items() if i not in before and n.startswith(OUR_PROG_PREFIXES)]
        events, err = s.stop(sig)
        assert s.proc.returncode == 0, (s.proc.returncode, err)
        assert len(ids) >= 3, "expected the sensor's programs in bpftool, got %r" % ids
        end = time.time() + 5
        while time.time() < end and set(ids) & all_prog_ids():
            time.sleep(0.1)
        left = set(ids) & all_prog_ids()
        assert not left, "programs %r still loaded after %s" % (left, sig.name)


@test
def output_reopened_on_sighup():
    s = Sensor()
    try:
        rotated = s.out + ".1"
        os.rename(s.out, rotated) if os.path.exists(s.out) else None
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        subprocess.run(["/bin/true"], check=True)
        ok = s.wait_for(lambda e: action(e) == "exec")
    finally:
        s.stop()
    assert ok, "nothing written to the reopened output"


@test
def not_root_is_one_clear_line():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                        os.path.join(ARGS.build, "edr-sensor")], capture_output=True, text=True)
    assert r.returncode == 1, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "root or" in lines[0] and "CAP_BPF" in lines[0], r.stderr


@test
def bad_option_is_usage_error():
    r = subprocess.run([os.path.join(ARGS.build, "edr-sensor"), "--attach.exec", "nonsense"],
                       capture_output=True, text=True)
    assert r.returncode == 2, r
    assert "--attach.exec" in r.stderr and "nonsense" not in r.stdout


@test
def probe_table_and_json():
    b = os.path.join(ARGS.build, "edr-sensor")
    r = subprocess.run([b, "--probe"], capture_output=True, text=True, check=True)
    assert "FEATURE" in r.stdout and "exec" in r.stdout, r.stdout
    r = subprocess.run([b, "--probe", "--json"], capture_output=True, text=True, check=True)
    j = json.loads(r.stdout)
    assert j["features"]["exec"]["state"] in ("active", "degraded"), j["features"]["exec"]
    for name in ("btf", "ringbuf", "lsm", "fentry", "kprobe", "tp_btf", "raw_tp"):
        assert name in j["capabilities"], name
    # forcing a path is reflected in the plan
    r = subprocess.run([b, "--probe", "--json", "--attach.exec", "raw_tp"], capture_output=True, text=True,
                       check=True)
    assert json.loads(r.stdout)["features"]["exec"]["path"] == "raw_tp"
    # leaving a feature out is spelled like the file's key too
    r = subprocess.run([b, "--probe", "--json", "--features=all,-exec_enforce"], capture_output=True,
                       text=True, check=True)
    assert json.loads(r.stdout)["features"]["exec_enforce"]["state"] == "off"


FILE_SCRIPT = r"""
import json, os, sys
d = sys.argv[1]
os.chdir(d)
fd = os.open("f1", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
for _ in range(100):
    os.write(fd, b"x")
os.close(fd)
with open("f1") as f:
    f.read()
os.rename("f1", "f2")
os.chmod("f2", 0o4755)
os.unlink("f2")
print(json.dumps({"pid": os.getpid(), "exe": os.path.realpath(sys.executable)}))
"""


@test
def file_events_and_default_pack_alert():
    # A child creates, writes 100 times, reads, renames, sets the setuid bit
    # on and deletes a file in a fresh directory under /tmp; the default
    # pack's setuid rule must fire on the chmod. The directory is removed.
    d = os.path.realpath(tempfile.mkdtemp(prefix="edr-e2e-file-"))
    s = Sensor()
    try:
        out = subprocess.run([sys.executable, "-c", FILE_SCRIPT, d], check=True, capture_output=True).stdout
        truth = json.loads(out)
        mine = lambda e: e.get("process", {}).get("pid") == truth["pid"] and \
            e.get("file", {}).get("path", "").startswith(d + "/")
        alerts = s.wait_for(lambda e: mine(e) and e["event"]["kind"] == "alert")
        time.sleep(0.5)
    finally:
        events, err = s.stop()
        os.rmdir(d)
    got = [(e["event"]["action"], e["file"]["path"]) for e in events if mine(e) and e["event"]["kind"] == "event"]
    assert got == [("file-create", d + "/f1"), ("file-rename", d + "/f2"), ("file-chmod", d + "/f2"),
                   ("file-delete", d + "/f2")], got
    ev = {e["event"]["action"]: e for e in events if mine(e) and e["event"]["kind"] == "event"}
    c = ev["file-create"]
    assert c["event"]["category"] == ["file"] and c["event"]["type"] == ["creation"], c["event"]
    assert c["file"]["name"] == "f1" and c["file"]["directory"] == d and c["file"]["mode"] == "0644", c["file"]
    assert c["process"]["executable"] == truth["exe"], c["process"]
    assert ev["file-rename"]["edr"]["file"]["old_path"] == d + "/f1", ev["file-rename"]["edr"]
    assert ev["file-chmod"]["file"]["mode"] == "4755" and ev["file-chmod"]["edr"]["file"]["setid"] is True
    assert ev["file-delete"]["event"]["type"] == ["deletion"]
    assert alerts, "no alert for a setuid chmod under /tmp: %s" % err
    a = alerts[0]
    assert a["rule"]["name"] == "Setuid Bit Set on a File", a["rule"]
    assert a["event"]["action"] == "file-chmod" and a["file"]["path"] == d + "/f2"
    assert "T1548.001" in a["threat"]["technique"]["id"], a["threat"]
    assert re.search(r"decode errors 0", err), err


MEM_SCRIPT = r"""
import json, mmap, os, sys
# an RWX anonymous mapping, then a child that execs /bin/true from a memfd
m = mmap.mmap(-1, 8192, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
fd = os.memfd_create("edr-e2e", 0)
os.write(fd, open("/bin/true", "rb").read())
pid = os.fork()
if pid == 0:
    os.execv("/proc/self/fd/%d" % fd, ["edr-e2e-memfd"])
os.waitpid(pid, 0)
print(json.dumps({"pid": os.getpid(), "child": pid, "fd": fd}))
"""


@test
def memfd_exec_and_wx_with_default_pack_alerts():
    # memfd_create, an RWX mmap and an exec from the memfd: the three
    # events, and the default pack's fileless_exec and process_creation
    # rules on the exec.
    s = Sensor()
    try:
        out = subprocess.run([sys.executable, "-c", MEM_SCRIPT], check=True, capture_output=True).stdout
        truth = json.loads(out)
        mine = lambda e: e.get("process", {}).get("pid") in (truth["pid"], truth["child"])
        s.wait_for(lambda e: mine(e) and e["event"]["kind"] == "alert" and
                   e["rule"]["name"] == "Program Executed From an Anonymous Memory File")
        time.sleep(0.5)
    finally:
        events, err = s.stop()
    ev = [e for e in events if mine(e) and e["event"]["kind"] == "event"]
    memfd = [e for e in ev if e["event"]["action"] == "memfd-create"]
    assert memfd and memfd[0]["file"]["name"] == "edr-e2e", memfd
    assert memfd[0]["edr"]["memfd"]["fd"] == truth["fd"], memfd[0]["edr"]
    wx = [e for e in ev if e["event"]["action"] == "memory-wx"]
    assert wx and wx[0]["edr"]["memory"]["prot"] == "rwx" and wx[0]["edr"]["memory"]["length"] == 8192, wx
    execs = [e for e in ev if e["event"]["action"] == "exec" and e["process"]["pid"] == truth["child"]]
    assert execs and execs[0]["process"]["executable"] == "/memfd:edr-e2e (deleted)", execs
    assert execs[0]["edr"]["fileless"] == "memfd", execs[0]["edr"]
    names = {e["rule"]["name"] for e in events if mine(e) and e["event"]["kind"] == "alert"}
    assert "Program Executed From an Anonymous Memory File" in names, (names, err)
    assert "Process Running From a memfd or a Deleted Executable" in names, (names, err)
    assert re.search(r"decode errors 0", err), err


@test
def cred_change_from_the_daemon():
    # A helper run as root drops to 65534 with setresgid() then setresuid()
    # and prints its ids; the daemon reports both changes, old and new ids,
    # the user as the new ids and the (now empty) capability sets.
    if os.geteuid() != 0:
        raise Skip("needs root to change uid")
    s = Sensor()
    try:
        out = subprocess.run([helper("dropuid")], check=True, capture_output=True).stdout
        truth = json.loads(out)
        mine = lambda e: e.get("process", {}).get("pid") == truth["pid"] and action(e) == "credentials-change"
        found = s.wait_for(lambda e: mine(e) and e["edr"]["cred"]["syscall"] == "setresuid")
    finally:
        events, err = s.stop()
    got = [e for e in events if mine(e)]
    assert [e["edr"]["cred"]["syscall"] for e in got] == ["setresgid", "setresuid"], got
    assert found, err
    e = got[1]
    c = e["edr"]["cred"]
    assert e["event"]["category"] == ["process"] and e["event"]["type"] == ["change"], e["event"]
    assert c["old"]["uid"] == truth["old_uid"] and c["old"]["euid"] == truth["old_euid"], c
    assert c["new"]["uid"] == truth["new_uid"] == 65534 and c["new"]["euid"] == truth["new_euid"], c
    assert c["new"]["gid"] == 65534 and c["old"]["gid"] == 65534, c  # setresgid came first
    assert c["new"]["cap_effective"] == "0000000000000000", c
    assert e["user"]["id"] == "65534" and e["user"]["effective"]["id"] == "65534", e["user"]
    assert e["process"]["thread"]["capabilities"] == {"effective": [], "permitted": []}, e["process"]
    assert e["process"]["executable"] == truth["exe"], e["process"]
    assert got[0]["edr"]["cred"]["new"]["gid"] == 65534 and got[0]["edr"]["cred"]["old"]["uid"] == 0
    assert re.search(r"decode errors 0", err), err


@test
def regained_root_alerts_from_the_default_pack():
    # The helper, copied under /tmp, lowers its uids to 1000 keeping 0 as the
    # saved uid, then takes root back: a non-root euid becoming 0 in a program
    # under /tmp. Both privilege_change rules of the default pack must fire on
    # that event, with OldUid 1000 and NewUid 0 from the kernel's record.
    if os.geteuid() != 0:
        raise Skip("needs root to change uid")
    d = tempfile.mkdtemp(prefix="edr-e2e-priv-", dir="/tmp")
    exe = os.path.join(d, "regain")
    shutil.copy(helper("dropuid"), exe)
    os.chmod(exe, 0o755)
    s = Sensor()
    try:
        truth = json.loads(subprocess.run([exe, "regain"], check=True, capture_output=True).stdout)
        mine = lambda e: e.get("process", {}).get("pid") == truth["pid"] and action(e) == "credentials-change"
        end = time.time() + 10
        while time.time() < end and len([a for a in s.events() if mine(a) and a["event"]["kind"] == "alert"]) < 2:
            time.sleep(0.1)
    finally:
        events, err = s.stop()
        shutil.rmtree(d)
    assert truth["old_euid"] == 1000 and truth["new_euid"] == 0, truth
    evs = [e for e in events if mine(e) and e["event"]["kind"] == "event"]
    assert [(e["edr"]["cred"]["old"]["euid"], e["edr"]["cred"]["new"]["euid"]) for e in evs] == \
        [(0, 1000), (1000, 0)], evs
    alerts = sorted(a["rule"]["name"] for a in events if mine(a) and a["event"]["kind"] == "alert")
    assert alerts == ["Program in a Writable Directory Became Root",
                      "Unprivileged Process Gained Root by an Unexpected Path"], (alerts, err)
    for a in events:
        if mine(a) and a["event"]["kind"] == "alert":
            assert a["edr"]["cred"]["syscall"] == "setresuid" and a["process"]["executable"] == exe, a
            assert "T1068" in a["threat"]["technique"]["id"], a["threat"]


@test
def bpf_prog_load_by_a_helper_and_default_pack_alert():
    # A helper loads a socket filter with the raw bpf() syscall; the sensor
    # reports the load with the helper's pid, the program's type, name and
    # fd, never its own bpf() calls, and the default pack's "unexpected
    # process" rule fires (the helper is no known BPF tool).
    name = "edre2e%d" % (os.getpid() % 100000)
    s = Sensor()
    try:
        out = subprocess.run([helper("bpfload"), name], check=True, capture_output=True).stdout
        truth = json.loads(out)
        mine = lambda e: e.get("process", {}).get("pid") == truth["pid"] and action(e) == "bpf-prog-load"
        alerts = s.wait_for(lambda e: mine(e) and e["event"]["kind"] == "alert")
        time.sleep(0.5)
    finally:
        events, err = s.stop()
    got = [e for e in events if mine(e) and e["event"]["kind"] == "event"]
    assert len(got) == 1, (got, err)
    e = got[0]
    assert e["event"]["outcome"] == "success", e["event"]
    assert e["process"]["executable"] == truth["exe"], e["process"]
    b = e["edr"]["bpf"]
    assert b["command"] == "BPF_PROG_LOAD", b
    assert b["program"]["type"] == "socket_filter" and b["program"]["name"] == truth["name"], b
    assert b["program"]["insn_count"] == truth["insn_cnt"], b
    assert b["result"] == truth["fd"], b
    assert not [e for e in events if e.get("process", {}).get("pid") == s.proc.pid and
                action(e) in ("bpf-prog-load", "bpf-map-create")], "the sensor reported itself"
    assert alerts, "no alert for a BPF load by an unexpected process: %s" % err
    a = alerts[0]
    assert a["rule"]["name"] == "BPF Program Loaded by an Unexpected Process", a["rule"]
    assert a["edr"]["bpf"]["program"]["name"] == truth["name"], a
    assert re.search(r"decode errors 0", err), err


def global_ipv4():
    """A non-loopback address of this host, or None."""
    r = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True)
    m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", r.stdout)
    return m.group(1) if m else None


@test
def net_connect_accept_and_shell_alert():
    # bash connects through /dev/tcp to a listener of this test, on a
    # non-loopback address of the host when there is one (the default
    # pack's shell rule ignores loopback): the connect (bash, egress), the
    # accept (this process, ingress) and the alert must come out.
    import socket
    ip = global_ipv4()
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind((ip or "127.0.0.1", 0))
    lst.listen(1)
    port = lst.getsockname()[1]
    s = Sensor()
    try:
        p = subprocess.Popen(["bash", "-c", "exec 3<>/dev/tcp/%s/%d; echo $$; read -t 5 x <&3" %
                              (ip or "127.0.0.1", port)], stdout=subprocess.PIPE, text=True)
        conn, peer = lst.accept()
        bash_pid = int(p.stdout.readline())
        conn.close()
        p.wait(timeout=10)
        is_conn = lambda e: e.get("process", {}).get("pid") == bash_pid and action(e) == "connect"
        s.wait_for(lambda e: is_conn(e) and (not ip or e["event"]["kind"] == "alert"))
        s.wait_for(lambda e: action(e) == "accept" and e.get("process", {}).get("pid") == os.getpid())
        time.sleep(0.3)
    finally:
        events, err = s.stop()
        lst.close()
    conns = [e for e in events if is_conn(e) and e["event"]["kind"] == "event"]
    assert len(conns) == 1, (conns, err)
    c = conns[0]
    assert c["event"]["category"] == ["network"] and c["event"]["type"] == ["connection"], c["event"]
    assert c["destination"] == {"ip": peer[0] if ip else "127.0.0.1", "port": port}, c["destination"]
    assert c["source"] == {"ip": peer[0], "port": peer[1]}, (c["source"], peer)
    assert c["network"] == {"transport": "tcp", "type": "ipv4", "iana_number": "6", "direction": "egress"}, \
        c["network"]
    assert c["process"]["executable"].endswith("/bash"), c["process"]
    acc = [e for e in events if action(e) == "accept" and e.get("process", {}).get("pid") == os.getpid()]
    assert len(acc) == 1, acc
    assert acc[0]["source"] == {"ip": peer[0], "port": peer[1]}, acc[0]
    assert acc[0]["destination"]["port"] == port and acc[0]["network"]["direction"] == "ingress", acc[0]
    if ip:
        alerts = [e for e in events if is_conn(e) and e["event"]["kind"] == "alert"]
        assert alerts, "no alert for a shell connecting out: %s" % err
        assert alerts[0]["rule"]["name"] == "Shell Process Opening an Outbound Network Connection", alerts[0]["rule"]
    assert re.search(r"decode errors 0", err), err


def main():
    global ARGS
    ARGS = runner.parse_args()
    return runner.run("e2e", TESTS, ARGS.k)


if __name__ == "__main__":
    sys.exit(main())
