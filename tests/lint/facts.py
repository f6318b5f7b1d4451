#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""One source for each fact: the default paths are defined once, in
sensor/paths.h, and the version once, in sensor/version.h. The man pages,
the unit file, sensor.conf and the README repeat them as text; this checks
that the text agrees with the definitions. Prints each disagreement as
file:line: what, and exits 1 if there is any.

    tests/lint/facts.py [ROOT]
"""
import os
import re
import sys

DEFINE = re.compile(r'^#define\s+(EDR_\w+)\s+(.*?)\s*(?:/\*.*)?$')
# Paths of the sensor's own under /run and /var/lib, and its config file.
MENTION = re.compile(r'/(?:run|var/lib)/edr(?![\w-])[\w./-]*|/etc/edr/[\w.-]*?\.conf(?![\w])')
TEXT_FILES = ('sensor/man/edr-sensor.8', 'sensor/man/edrctl.8', 'sensor/man/edr-sensor.conf.5',
              'sensor/edr-sensor.service', 'sensor/sensor.conf', 'README.md')


def defines(path):
    """Macros of a header whose values are string literals, macros or numbers."""
    out = {}
    text = open(path).read().replace('\\\n', ' ')
    for line in text.splitlines():
        m = DEFINE.match(line)
        if not m:
            continue
        parts = re.findall(r'"[^"]*"|\w+', m.group(2))
        if parts and all(p.startswith('"') or p in out for p in parts):
            out[m.group(1)] = ''.join(p[1:-1] if p.startswith('"') else out[p] for p in parts)
        elif re.fullmatch(r'\d+', m.group(2)):
            out[m.group(1)] = m.group(2)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    os.chdir(root)
    p = defines('sensor/paths.h')
    v = defines('sensor/version.h')
    errors = []
    known = {p['EDR_RUN_DIR'], p['EDR_CTL_DEFAULT_SOCKET'], p['EDR_STATE_DEFAULT_DIR'],
             p['EDR_CONTENT_DEFAULT_DIR'], p['EDR_CONFIG_DEFAULT_PATH'], p['EDR_QUARANTINE_PATH']}

    def expect(path, what, want, got):
        if want != got:
            errors.append('%s: %s is %r, sensor/paths.h says %r' % (path, what, got, want))

    for path in TEXT_FILES:
        for n, line in enumerate(open(path), 1):
            for m in MENTION.finditer(line):
                word = m.group(0).rstrip('.')
                if word not in known:
                    errors.append('%s:%d: %s is not a path of sensor/paths.h' % (path, n, word))
    conf = open('sensor/sensor.conf').read()
    for key, macro in (('socket', 'EDR_CTL_DEFAULT_SOCKET'), ('content_dir', 'EDR_CONTENT_DEFAULT_DIR')):
        m = re.search(r'^#%s = (\S+)$' % key, conf, re.M)
        expect('sensor/sensor.conf', 'the default %s' % key, p[macro], m and m.group(1))
    unit = open('sensor/edr-sensor.service').read()
    m = re.search(r'^ExecStart=\S+ --config (\S+)$', unit, re.M)
    expect('sensor/edr-sensor.service', 'ExecStart --config', p['EDR_CONFIG_DEFAULT_PATH'], m and m.group(1))
    m = re.search(r'^RuntimeDirectory=(\S+)$', unit, re.M)
    expect('sensor/edr-sensor.service', 'RuntimeDirectory', p['EDR_RUN_DIR'], m and '/run/' + m.group(1))
    m = re.search(r'^StateDirectory=(\S+)$', unit, re.M)
    expect('sensor/edr-sensor.service', 'StateDirectory', p['EDR_STATE_DEFAULT_DIR'],
           m and '/var/lib/' + m.group(1))
    if not all(k in v for k in ('EDR_VERSION_MAJOR', 'EDR_VERSION_MINOR', 'EDR_VERSION_PATCH')):
        errors.append('sensor/version.h: EDR_VERSION_MAJOR, _MINOR and _PATCH must be numbers')
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
