#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Verifies the systemd unit offline with systemd-analyze, as installed: the
# ExecStart path rewritten to BINARY, and the man pages of Documentation=
# findable through MANPATH. Prints one line; exits non-zero on any finding.
# Usage: tests/e2e/check_unit_file.sh UNIT BINARY WORKDIR
set -eu
unit=$1 bin=$2 work=$3

command -v systemd-analyze >/dev/null || { echo "check-unit-file: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }
[ -x "$bin" ] || { echo "check-unit-file: $bin is not an executable" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/man/man5" "$work/man/man8"
sed -e "s|/usr/local/bin/edr-sensor|$bin|" "$unit" > "$work/edr-sensor.service"
grep -q "^ExecStart=$bin " "$work/edr-sensor.service" || { echo "check-unit-file: ExecStart not rewritten to $bin" >&2; exit 1; }
cp sensor/man/edr-sensor.8 sensor/man/edrctl.8 "$work/man/man8/"
cp sensor/man/edr-sensor.conf.5 "$work/man/man5/"

# Without man(1), Documentation= cannot be checked; the rest still is.
man_opt=
command -v man >/dev/null || { man_opt=--man=no; echo "check-unit-file: man(1) missing, Documentation= not checked"; }

# verify exits 0 on some warnings (a bad WatchdogSec= is "ignoring"), so any
# output at all is a finding.
out=$(MANPATH="$work/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify $man_opt "$work/edr-sensor.service" 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	printf '%s\n' "$out" >&2
	echo "check-unit-file: systemd-analyze verify failed on $unit (exit $rc)" >&2
	exit 1
fi
# Hardening must not quietly erode: systemd's exposure score stays at 5.0
# or below (4.4 when written; a root BPF sensor cannot go much lower).
if ! systemd-analyze security --offline=yes --threshold=50 "$work/edr-sensor.service" >"$work/security.txt" 2>&1; then
	grep -E 'Overall exposure' "$work/security.txt" >&2
	echo "check-unit-file: hardening of $unit weakened (exposure above 5.0, see $work/security.txt)" >&2
	exit 1
fi
echo "check-unit-file: $unit verified (systemd-analyze $(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), $(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/exposure \1/p' "$work/security.txt"))"
