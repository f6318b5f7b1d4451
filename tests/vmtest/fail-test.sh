#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A BPF "test" that fails on purpose, for tests/vmtest/test-runner.sh.
echo "fail-test: failing deliberately on kernel ${EDR_TEST_KERNEL:-?}"
exit 1
