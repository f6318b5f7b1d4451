#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs test binaries one by one and ends with "N passed, N failed".
# Usage: tests/run-tests.sh SUITE BIN...   (a binary exiting 77 counts as skipped)
# TEST_WRAPPER, if set, prefixes each command (e.g. valgrind).
set -u
suite=$1; shift
pass=0 fail=0 skip=0 failed=()
for t in "$@"; do
	echo "=== $suite: $t"
	${TEST_WRAPPER:-} "$t"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "--- $t: skipped" ;;
	*) fail=$((fail + 1)); failed+=("$t (exit $rc)") ;;
	esac
done
for f in "${failed[@]+"${failed[@]}"}"; do echo "FAILED: $f"; done
echo "$suite: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
