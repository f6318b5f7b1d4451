#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs virtme-ng (`vng`) for vmtest, called by `make deps` (root). Debian
# 12 does not package it; Debian 13's package is architecture-independent and
# its dependencies are in Debian 12. It is fetched from Debian 13's archive
# through a private apt state (its own sources list, lists and cache under
# $EDR_VMTEST_CACHE/apt-trixie), so the host's apt configuration is never
# touched, then installed with dpkg -i. udev is needed by vng's guest init
# (without it --exec fails with "cannot find script I/O ports"). Does nothing
# when vng is already installed. Exits non-zero with one line on failure.
set -uo pipefail

cache=${EDR_VMTEST_CACHE:-/var/cache/edr-vmtest}
suite=${EDR_VMTEST_VNG_SUITE:-trixie}
mirror=${EDR_VMTEST_VNG_MIRROR:-http://deb.debian.org/debian}
die() { echo "make deps: virtme-ng: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
if dpkg-query -W -f='${Status}\n' virtme-ng 2>/dev/null | grep -q '^install ok installed' &&
	dpkg-query -W -f='${Status}\n' udev 2>/dev/null | grep -q '^install ok installed'; then
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "  DEPS     virtme-ng from Debian $suite (private apt state in $cache/apt-$suite), udev"

# Its dependencies come from the host's own archive (lists updated once if
# they are too old to have them).
host_pkgs=(udev python3-argcomplete python3-pkg-resources python3-requests file kmod)
apt-get install -y -qq --no-install-recommends "${host_pkgs[@]}" > /dev/null 2>&1 ||
	{ apt-get update -qq > /dev/null &&
	  apt-get install -y -qq --no-install-recommends "${host_pkgs[@]}" > /dev/null; } ||
	die "apt-get install of ${host_pkgs[*]} failed"

st=$cache/apt-$suite
mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$st/dl" || die "cannot create $st"
echo "deb $mirror $suite main" > "$st/sources.list"
apt_priv=(-o "Dir::Etc::sourcelist=$st/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o "Dir::State::Lists=$st/lists" -o "Dir::Cache=$st/cache"
	-o APT::Get::List-Cleanup=0)
apt-get "${apt_priv[@]}" update -qq > "$st/update.log" 2>&1 ||
	die "apt-get update of $suite failed (see $st/update.log)"
rm -f "$st"/dl/virtme-ng_*.deb
(cd "$st/dl" && apt-get "${apt_priv[@]}" download virtme-ng > "$st/download.log" 2>&1) ||
	die "apt-get download virtme-ng from $suite failed (see $st/download.log)"
deb=$(ls "$st"/dl/virtme-ng_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "no virtme-ng package in $st/dl"
dpkg -i "$deb" > "$st/dpkg.log" 2>&1 || die "dpkg -i $deb failed (see $st/dpkg.log)"
command -v vng > /dev/null || die "vng not on PATH after installing $deb"
echo "  DEPS     installed $(dpkg-query -W -f='${Package} ${Version}' virtme-ng)"
