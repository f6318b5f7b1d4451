#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A BPF "test" that never finishes, for tests/vmtest/test-runner.sh: the
# per-test time limit must kill it.
echo "hang-test: sleeping"
exec sleep 3600
