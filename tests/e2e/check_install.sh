#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `make install` / `make uninstall` into a DESTDIR, for two prefixes: every
# file lands where edr-sensor(8) says, the unit and the config name the
# installed paths, an existing config is kept, uninstall leaves nothing but
# a locally changed config.
# Usage: tests/e2e/check_install.sh WORKDIR [BUILD]   (from the source tree)
set -eu
work=$1 build=${2:-build}
make=${MAKE:-make}
fail() { echo "check-install: $*" >&2; exit 1; }

rm -rf "$work"
for prefix in /usr /usr/local; do
	d=$work/dest$(echo $prefix | tr / _)
	$make --no-print-directory -s install DESTDIR="$d" PREFIX="$prefix" BUILD="$build" >/dev/null ||
		fail "make install PREFIX=$prefix failed"
	for f in $prefix/bin/edr-sensor $prefix/bin/edrctl \
		 $prefix/lib/systemd/system/edr-sensor.service \
		 $prefix/share/man/man8/edr-sensor.8 $prefix/share/man/man8/edrctl.8 \
		 $prefix/share/man/man5/edr-sensor.conf.5 /etc/edr/sensor.conf; do
		[ -f "$d$f" ] || fail "$f missing after install (PREFIX=$prefix)"
	done
	[ -x "$d$prefix/bin/edr-sensor" ] || fail "$prefix/bin/edr-sensor not executable"
	n_rules=$(ls rules/default/*.yml | wc -l)
	n_inst=$(ls "$d$prefix/share/edr/rules/default/"*.yml | wc -l)
	[ "$n_rules" -eq "$n_inst" ] && [ "$n_inst" -gt 0 ] || fail "$n_inst of $n_rules rule files installed"
	unit=$d$prefix/lib/systemd/system/edr-sensor.service
	grep -qx "ExecStart=$prefix/bin/edr-sensor --config /etc/edr/sensor.conf" "$unit" ||
		fail "installed unit does not name $prefix/bin/edr-sensor: $(grep ExecStart= "$unit")"
	grep -qx "rules = $prefix/share/edr/rules/default" "$d/etc/edr/sensor.conf" ||
		fail "installed sensor.conf does not name the installed rule pack"
	# The installed config is clean by the sensor's own checker.
	"$build/edrctl" config check "$d/etc/edr/sensor.conf" >/dev/null ||
		fail "edrctl config check fails on the installed sensor.conf"

	# Reinstall over a changed config: kept.
	echo "verbose = yes" >> "$d/etc/edr/sensor.conf"
	$make --no-print-directory -s install DESTDIR="$d" PREFIX="$prefix" BUILD="$build" >/dev/null ||
		fail "second make install failed"
	grep -qx "verbose = yes" "$d/etc/edr/sensor.conf" || fail "install overwrote an existing sensor.conf"

	$make --no-print-directory -s uninstall DESTDIR="$d" PREFIX="$prefix" BUILD="$build" >/dev/null ||
		fail "make uninstall failed"
	left=$(cd "$d" && find . -type f | sort)
	[ "$left" = "./etc/edr/sensor.conf" ] || fail "after uninstall, left: $left"
	# Unchanged config: removed too.
	rm -rf "$d"
	$make --no-print-directory -s install DESTDIR="$d" PREFIX="$prefix" BUILD="$build" >/dev/null
	$make --no-print-directory -s uninstall DESTDIR="$d" PREFIX="$prefix" BUILD="$build" >/dev/null
	left=$(cd "$d" && find . -type f)
	[ -z "$left" ] || fail "after install+uninstall, left: $left"
done
rm -rf "$work"
echo "check-install: install/uninstall into DESTDIR OK for PREFIX=/usr and /usr/local"
