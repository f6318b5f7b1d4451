# SPDX-License-Identifier: GPL-2.0-only
"""The one test runner the e2e suites share: runs the registered test
functions, prints [ OK ]/[FAIL]/[SKIP] per test and ends with
"SUITE: N passed, N failed, N skipped" (the closing line CI reads)."""
import os
import sys
import traceback


class Skip(Exception):
    """Raise to skip a test with the reason."""


def run(suite, tests, only=None):
    """Runs tests (functions); returns the process exit status."""
    if os.geteuid() != 0:
        print("%s: needs root, skipping" % suite)
        print("%s: 0 passed, 0 failed, %d skipped" % (suite, len(tests)))
        return 0
    passed = failed = skipped = 0
    for t in tests:
        if only and only not in t.__name__:
            continue
        try:
            t()
            print("[ OK ] %s" % t.__name__)
            passed += 1
        except Skip as e:
            print("[SKIP] %s: %s" % (t.__name__, e))
            skipped += 1
        except Exception:
            print("[FAIL] %s" % t.__name__)
            traceback.print_exc()
            failed += 1
        sys.stdout.flush()
    print("%s: %d passed, %d failed, %d skipped" % (suite, passed, failed, skipped))
    return 1 if failed else 0
