#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# edr-sensor.service under a real systemd (PID 1): for the vmtest guest, or
# any test machine booted with systemd. Installs the unit as a runtime unit
# (/run/systemd/system) running the built binary, then checks:
#   - `systemctl start` returns once the sensor sent READY=1, and it is active
#   - events arrive, `edrctl status` answers on /run/edr/edr.sock
#   - SIGSEGV to the main process: systemd restarts it (Restart=on-failure)
#   - `systemctl stop`: nothing of the sensor stays attached
# Needs root, writable /run, /var/lib and /var/log (StateDirectory= and
# LogsDirectory= are created there). Exit 77 (skip) without systemd as PID 1.
# Usage: tests/e2e/service_systemd.sh [BUILD]   (from the source tree)
set -u
build=$(cd "${1:-build}" && pwd)
tree=$(pwd)
unit=/run/systemd/system/edr-sensor.service
conf=/run/edr-test/sensor.conf
events=/run/edr/events.json

say() { echo "service-systemd: $*"; }
fail() {
	say "FAIL: $*"
	systemctl status --no-pager edr-sensor 2>&1 | sed 's/^/    /' | head -20
	journalctl -u edr-sensor --no-pager -n 20 2>/dev/null | sed 's/^/    /'
	cleanup
	exit 1
}
cleanup() {
	systemctl stop edr-sensor 2>/dev/null
	rm -f "$unit"
	rm -rf /run/edr-test
	systemctl daemon-reload 2>/dev/null
	systemctl reset-failed edr-sensor 2>/dev/null
}
our_progs() {
	# Names of the sensor's programs: <hook>__<target> (STYLE.md).
	bpftool prog show 2>/dev/null | grep -cE ' name (tp_btf|raw_tp|lsm|fentry|kprobe)__' || true
}
wait_for() { # seconds, command...
	n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

[ "$(id -u)" = 0 ] || { say "skipped: needs root"; exit 77; }
[ -d /run/systemd/system ] || { say "skipped: systemd is not PID 1 here"; exit 77; }
[ -x "$build/edr-sensor" ] && [ -x "$build/edrctl" ] || { say "FAIL: build $build first"; exit 1; }

progs_before=$(our_progs)
mkdir -p /run/edr-test
cat > "$conf" <<EOF
# tests/e2e/service_systemd.sh
output = $events
rules = $tree/rules/default
EOF
chmod 0644 "$conf"
sed -e "s|^ExecStart=.*|ExecStart=$build/edr-sensor --config $conf|" \
    sensor/edr-sensor.service > "$unit"
grep -q "^ExecStart=$build/edr-sensor " "$unit" || fail "could not rewrite ExecStart"
systemctl daemon-reload || fail "daemon-reload"

# Type=notify: start blocks until READY=1 (or fails after TimeoutStartSec=).
systemctl start edr-sensor || fail "systemctl start failed (no READY=1?)"
[ "$(systemctl is-active edr-sensor)" = active ] || fail "not active after start"
say "started, active (READY=1 received)"

/bin/true
wait_for 10 grep -q '"action":"exec"' "$events" || fail "no exec event in $events"
"$build/edrctl" status >/dev/null || fail "edrctl status failed"
say "events arrive, edrctl status answers"

pid=$(systemctl show -p MainPID --value edr-sensor)
[ "$pid" -gt 0 ] || fail "no MainPID"
kill -SEGV "$pid"
restarted() {
	p=$(systemctl show -p MainPID --value edr-sensor)
	[ "$(systemctl show -p NRestarts --value edr-sensor)" -ge 1 ] && [ "$p" -gt 0 ] &&
		[ "$p" != "$pid" ] && [ "$(systemctl is-active edr-sensor)" = active ]
}
# RestartSec=5s, then the start itself.
wait_for 60 restarted || fail "not restarted after SIGSEGV"
say "restarted after SIGSEGV (pid $pid -> $(systemctl show -p MainPID --value edr-sensor))"

systemctl stop edr-sensor || fail "systemctl stop"
wait_for 10 sh -c "[ \$(bpftool prog show 2>/dev/null | grep -cE ' name (tp_btf|raw_tp|lsm|fentry|kprobe)__' || true) -le $progs_before ]" ||
	fail "programs still loaded after stop: $(our_progs) (before: $progs_before)"
say "stopped, nothing left attached"
cleanup
say "OK"
