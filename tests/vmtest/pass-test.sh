#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A BPF "test" that passes when it runs in a vmtest guest, from the tree root,
# with EDR_TEST_KERNEL set, for tests/vmtest/test-runner.sh.
[ "${EDR_VMTEST:-}" = 1 ] || { echo "pass-test: not in a vmtest guest"; exit 1; }
[ -n "${EDR_TEST_KERNEL:-}" ] || { echo "pass-test: EDR_TEST_KERNEL not set"; exit 1; }
[ -f tests/vmtest/pass-test.sh ] || { echo "pass-test: not run from the tree root ($(pwd))"; exit 1; }
echo "pass-test: ok on $EDR_TEST_KERNEL ($(uname -r))"
