#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""House limits on the C sources outside tests and the BPF SEC() wrappers:
no file over 1,200 lines, no function over 120 lines. Prints each offender
as file:line: what, and exits 1 if there is any.

    tests/lint/sizes.py [--max-file N] [--max-func N] [ROOT]
"""
import argparse
import os
import re
import sys

SKIP_DIRS = ('tests/', 'build', '.git')
SKIP_FILES = ('bpf/vmlinux.h', 'bpf/edr.bpf.c')  # generated; thin SEC() wrappers
FUNC_START = re.compile(r'^[A-Za-z_][^;=]*\b([A-Za-z_][A-Za-z0-9_]*)\s*\([^;]*$')


def functions(lines):
    """(name, first line, length) of each top-level function body."""
    i, n = 0, len(lines)
    while i < n:
        m = FUNC_START.match(lines[i])
        if not m or lines[i].startswith(('#', 'typedef')):
            i += 1
            continue
        j = i
        while j < n and '{' not in lines[j] and ';' not in lines[j]:
            j += 1
        if j >= n or ';' in lines[j] and '{' not in lines[j]:
            i = j + 1
            continue
        if not lines[j].startswith('{') and not lines[j].rstrip().endswith('{'):
            i = j + 1
            continue
        depth, k = 0, j
        while k < n:
            depth += lines[k].count('{') - lines[k].count('}')
            if depth <= 0 and k >= j:
                break
            k += 1
        yield m.group(1), i + 1, k - i + 1
        i = k + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--max-file', type=int, default=1200)
    ap.add_argument('--max-func', type=int, default=120)
    ap.add_argument('root', nargs='?', default='.')
    a = ap.parse_args()
    bad = 0
    for d, dirs, files in os.walk(a.root):
        rel = os.path.relpath(d, a.root)
        rel = '' if rel == '.' else rel + '/'
        dirs[:] = [x for x in dirs if not (rel + x + '/').startswith(SKIP_DIRS)
                   and not (rel + x).startswith(SKIP_DIRS)]
        for f in sorted(files):
            p = rel + f
            if not f.endswith(('.c', '.h')) or p in SKIP_FILES:
                continue
            with open(os.path.join(a.root, p), errors='replace') as fh:
                lines = fh.read().split('\n')
            if len(lines) - 1 > a.max_file:
                print(f'{p}:1: file has {len(lines) - 1} lines (limit {a.max_file})')
                bad += 1
            for name, start, length in functions(lines):
                if length > a.max_func:
                    print(f'{p}:{start}: function {name}() has {length} lines (limit {a.max_func})')
                    bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
