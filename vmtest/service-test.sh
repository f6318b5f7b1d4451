#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The sensor as a systemd service, in a guest booted with systemd as init
# (make vmtest-service runs it through vmtest.sh --systemd). Usage:
#   vmtest/service-test.sh STAGE
# STAGE is a `make install DESTDIR=STAGE` tree made on the host; it is copied
# over the guest's overlay root, then: systemctl start edr-sensor, the unit is
# active, an exec shows up in its output (the journal), edrctl status answers,
# a SIGSEGV is restarted by systemd, systemctl stop, and no BPF program or link is left behind.
# Prints "service: N passed, N failed, 0 skipped" and "FAILED: service:CHECK"
# lines (vmtest/known-failures/NAME can list them).
set -u
stage=${1:?usage: vmtest/service-test.sh STAGE}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "service: $1 ok"; }
bad() { fail=$((fail + 1)); echo "FAILED: service:$1 ($2)"; }
finish() {
	echo "service: $pass passed, $fail failed, 0 skipped"
	[ "$fail" -eq 0 ]
	exit
}
ids() { bpftool "$1" show 2>/dev/null | sed -n 's/^\([0-9][0-9]*\): .*/\1/p' | sort; }
journal() { journalctl -u edr-sensor.service -o cat --no-pager 2>/dev/null; }

if [ "$(ps -o comm= -p 1)" != systemd ]; then
	bad boot "PID 1 is not systemd (run through vmtest/run.sh --systemd)"
	finish
fi
if [ ! -d "$stage" ] || ! cp -a "$stage"/. /; then
	bad install "cannot copy the staged install tree $stage over /"
	finish
fi
systemctl daemon-reload
if systemctl cat edr-sensor.service > /dev/null 2>&1; then ok unit-installed
else bad unit-installed "systemd does not know edr-sensor.service after make install"; finish
fi

progs_before=$(ids prog) links_before=$(ids link)
pins_before=$(ls -A /sys/fs/bpf 2>/dev/null)

# Type=notify: start returns once the sensor sent READY=1 (or failed).
if timeout 180 systemctl start edr-sensor.service; then ok start
else bad start "systemctl start failed"
fi
state=$(systemctl is-active edr-sensor.service)
if [ "$state" = active ]; then ok active
else
	bad active "edr-sensor.service is $state"
	journal | tail -n 30 | sed 's/^/    /'
	finish
fi

# Exec'd again each round: a sensor that is active but not yet attached
# (Type=simple, or READY=1 sent early) must not miss the only one.
marker=vmtest-marker-$$-$RANDOM
seen=0
for _ in $(seq 1 30); do
	/bin/true "$marker"
	sleep 1
	if journal | grep -F "\"$marker\"" | grep -q '"action":"exec"'; then seen=1; break; fi
done
if [ "$seen" = 1 ]; then ok exec-event
else
	bad exec-event "no exec event with argument $marker in the unit's output within 30 s"
	journal | tail -n 10 | cut -c1-300 | sed 's/^/    /'
fi

if edrctl status > /tmp/edrctl-status 2>&1; then ok edrctl-status
else bad edrctl-status "edrctl status: $(head -n 1 /tmp/edrctl-status)"
fi

# A crash is restarted by systemd (Restart=on-failure), and the new
# process becomes ready again.
pid1=$(systemctl show -p MainPID --value edr-sensor.service)
systemctl kill -s SEGV --kill-who=main edr-sensor.service
restarted=0
for _ in $(seq 1 60); do
	sleep 1
	pid2=$(systemctl show -p MainPID --value edr-sensor.service)
	if [ "$pid2" != 0 ] && [ "$pid2" != "$pid1" ] && \
	   [ "$(systemctl is-active edr-sensor.service)" = active ]; then restarted=1; break; fi
done
if [ "$restarted" = 1 ]; then ok restart-after-sigsegv
else
	bad restart-after-sigsegv "not active again with a new pid within 60 s of SIGSEGV (pid $pid1 -> ${pid2:-?})"
	journal | tail -n 15 | cut -c1-300 | sed 's/^/    /'
fi

if timeout 120 systemctl stop edr-sensor.service; then ok stop
else bad stop "systemctl stop failed"
fi
state=$(systemctl is-active edr-sensor.service)
if [ "$state" = inactive ]; then ok inactive
else bad inactive "edr-sensor.service is $state after stop"
fi

left=$(comm -13 <(echo "$progs_before") <(ids prog) | tr '\n' ' ')
if [ -z "${left// /}" ]; then ok no-progs-left
else bad no-progs-left "BPF programs still loaded after stop: ids $left"
fi
left=$(comm -13 <(echo "$links_before") <(ids link) | tr '\n' ' ')
if [ -z "${left// /}" ]; then ok no-links-left
else bad no-links-left "BPF links still attached after stop: ids $left"
fi
left=$(comm -13 <(echo "$pins_before") <(ls -A /sys/fs/bpf 2>/dev/null) | tr '\n' ' ')
if [ -z "${left// /}" ]; then ok no-pins-left
else bad no-pins-left "pinned objects left in /sys/fs/bpf: $left"
fi
finish
