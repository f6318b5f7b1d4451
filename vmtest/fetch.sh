#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Resolves a kernel source from vmtest/kernels to an image and its modules.
# Usage: vmtest/fetch.sh SOURCE
#   deb:PATTERN            newest Debian package matching PATTERN (in the apt
#                          lists), fetched with apt-get download and unpacked
#                          with dpkg -x into $EDR_VMTEST_CACHE/kernels (never
#                          installed). '*' matches any run of characters other
#                          than '-', so linux-image-6.1.0-*-amd64 matches
#                          ...-56-amd64 but not ...-56-cloud-amd64.
#   file:IMAGE[:MODULES]   a local image (and its lib/modules/VERSION
#                          directory); relative paths are from the tree root.
# Prints "kernel=PATH" and "modules=PATH" (may be empty) and exits 0; prints
# one line with the reason and exits 2 when the kernel is not available here
# (the caller reports it as skipped); exits 1 on other errors.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/.." && pwd)
# Root's cache is shared by every checkout; others use their own.
if [ "$(id -u)" = 0 ]; then cache=${EDR_VMTEST_CACHE:-/var/cache/edr-vmtest}
else cache=${EDR_VMTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edr-vmtest}
fi
src=${1:?usage: vmtest/fetch.sh SOURCE}

skip() { echo "$*"; exit 2; }

# The unpacked package: boot/vmlinuz-VER and lib/modules/VER.
emit_pkgdir() {
	local d=$1 img mods
	img=$(ls "$d"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$img" ] || { echo "no boot/vmlinuz-* in $d"; exit 1; }
	mods=$d/lib/modules/${img##*/vmlinuz-}
	[ -d "$mods" ] || mods=
	echo "kernel=$img"
	echo "modules=$mods"
	exit 0
}

case $src in
file:*)
	spec=${src#file:}
	img=${spec%%:*} mods=
	[[ $spec == *:* ]] && mods=${spec#*:}
	[[ $img == /* ]] || img=$tree/$img
	[ -z "$mods" ] || [[ $mods == /* ]] || mods=$tree/$mods
	[ -r "$img" ] || skip "kernel image $img not present"
	[ -z "$mods" ] || [ -d "$mods" ] || skip "modules directory $mods not present"
	echo "kernel=$img"
	echo "modules=$mods"
	exit 0
	;;
deb:*)
	pattern=${src#deb:}
	;;
*)
	echo "unknown kernel source '$src' (want deb:PATTERN or file:IMAGE[:MODULES])"
	exit 1
	;;
esac

[[ $pattern =~ ^[A-Za-z0-9.+*-]+$ ]] || { echo "bad package pattern '$pattern'"; exit 1; }
re=${pattern//./\\.}
re=${re//+/\\+}
re="^${re//\*/[^-]*}\$"
mkdir -p "$cache/kernels" "$cache/dl" || { echo "cannot create $cache/kernels"; exit 1; }

# Unpacked matches, oldest first.
all_cached() {
	local d list=''
	for d in "$cache"/kernels/*/.complete; do
		[ -e "$d" ] || continue
		d=${d%/.complete}
		[[ ${d##*/} =~ ^(.*)_[^_]*$ ]] || continue
		[[ ${BASH_REMATCH[1]} =~ $re ]] || continue
		list+="$d"$'\n'
	done
	printf '%s' "$list" | sort -V
}
# The newest: used when apt cannot deliver (offline).
cached() { all_cached | tail -n 1; }

command -v apt-cache >/dev/null || {
	d=$(cached); [ -n "$d" ] && emit_pkgdir "$d"
	skip "apt-cache not available and no cached package matches $pattern"
}

names() { apt-cache pkgnames "${pattern%%\**}" 2>/dev/null | grep -E "$re" | sort -V; }
list=$(names)
# A fresh machine (or container) may have empty apt lists.
if [ -z "$list" ] && ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	apt-get update -qq >/dev/null 2>&1
	list=$(names)
fi

# Newest first; the first one apt can actually deliver wins.
pkg='' ver=''
while read -r n; do
	[ -n "$n" ] || continue
	v=$(apt-cache policy "$n" 2>/dev/null | sed -n 's/^  Candidate: //p')
	if [ -n "$v" ] && [ "$v" != "(none)" ]; then pkg=$n ver=$v; break; fi
done < <(printf '%s\n' "$list" | tac)

if [ -z "$pkg" ]; then
	d=$(cached)
	if [ -n "$d" ]; then
		echo "vmtest: no package matches $pattern in the apt lists; using the cached ${d##*/}" >&2
		emit_pkgdir "$d"
	fi
	skip "no package matches $pattern in the apt lists (is its archive in the apt sources?)"
fi

dir=$cache/kernels/${pkg}_${ver//:/%}
[ -e "$dir/.complete" ] && emit_pkgdir "$dir"

# Concurrent runs: one downloads, the others wait for it.
exec 9> "$cache/.fetch.lock"
flock 9
[ -e "$dir/.complete" ] && emit_pkgdir "$dir"
rm -rf "$dir.tmp" "$cache/dl"/*.deb
if ! out=$(cd "$cache/dl" && apt-get download -q "$pkg=$ver" 2>&1); then
	d=$(cached)
	if [ -n "$d" ]; then
		echo "vmtest: apt-get download $pkg=$ver failed; using the cached ${d##*/}" >&2
		emit_pkgdir "$d"
	fi
	skip "apt-get download $pkg=$ver failed: $(printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 1)"
fi
deb=$(ls "$cache"/dl/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "apt-get download $pkg left no .deb in $cache/dl"; exit 1; }
dpkg -x "$deb" "$dir.tmp" || { echo "dpkg -x $deb failed"; exit 1; }
rm -f "$deb"
touch "$dir.tmp/.complete"
mv "$dir.tmp" "$dir"
# A new ABI replaces the old one; keep the previous as the offline fallback.
all_cached | head -n -2 | xargs -r rm -rf
emit_pkgdir "$dir"
