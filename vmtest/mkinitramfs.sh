#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds (or reuses) the vmtest initramfs: busybox-static, vmtest/init and the
# guest kernel's modules needed to mount the host root over virtio-9p (plus
# overlay for the systemd mode), with their dependencies resolved from each
# module's .modinfo because Debian's image package ships no modules.dep.
#
# Usage: vmtest/mkinitramfs.sh --cache DIR [--modules DIR]
# Prints the path of the cpio archive. The archive is named by a hash of every
# input (this script, the init, busybox, each module file), so a change to any
# of them builds a new one and an unchanged set is reused.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache='' moddir=''
die() { echo "vmtest: mkinitramfs: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--cache) cache=${2:?}; shift 2 ;;
	--modules) moddir=${2:?}; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[ -n "$cache" ] || die "--cache DIR is required"
busybox=${EDR_VMTEST_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "$busybox not found (install busybox-static)"
# A dynamically linked busybox would find no libc in the initramfs.
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
	die "$busybox is not statically linked (install busybox-static)"
fi

# Modules whose absence is fatal (9p root) and those that are merely wanted.
required=(virtio_pci 9pnet_virtio 9p)
optional=(overlay)

declare -A file_of=() builtin=() seen=()
order=()
norm() { local n=${1//-/_}; echo "${n%%.ko*}"; }

if [ -n "$moddir" ]; then
	[ -d "$moddir" ] || die "modules directory '$moddir' does not exist"
	# Thousands of modules: no subshell per file.
	while IFS=$'\t' read -r -d '' base path; do
		n=${base//-/_}
		file_of[${n%%.ko*}]=$path
	done < <(find "$moddir" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) \
		-printf '%f\t%p\0')
	if [ -f "$moddir/modules.builtin" ]; then
		while IFS= read -r l; do
			n=${l##*/}; n=${n//-/_}
			builtin[${n%%.ko*}]=1
		done < "$moddir/modules.builtin"
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/lib/modules" "$tmp/mod"

# Uncompressed copy of a module (busybox insmod wants plain ELF).
plain() {
	local name=$1 src=${file_of[$1]} dst=$tmp/mod/$1.ko
	case $src in
	*.ko.xz) xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz) gzip -dc "$src" > "$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	echo "$dst"
}

depends_of() {
	local info=$tmp/modinfo
	objcopy -O binary --only-section=.modinfo "$1" "$info" 2>/dev/null || { : > "$info"; }
	tr '\0' '\n' < "$info" | sed -n 's/^depends=//p' | tr ',' ' '
}

# Depth-first: dependencies land in `order` before the module that needs them.
add() {
	local name=$1 need=$2 f d
	[ -z "${seen[$name]:-}" ] || return 0
	seen[$name]=1
	if [ -z "${file_of[$name]:-}" ]; then
		# Built in, or a kernel without modules: nothing to load.
		[ -n "${builtin[$name]:-}" ] || [ -z "$moddir" ] || [ "$need" = optional ] ||
			die "module '$name' not found in $moddir and not built in"
		return 0
	fi
	f=$(plain "$name")
	for d in $(depends_of "$f"); do add "$(norm "$d")" required; done
	order+=("$name")
}

for m in "${required[@]}"; do add "$m" required; done
for m in "${optional[@]}"; do add "$m" optional; done

for m in "${order[@]}"; do cp "$tmp/mod/$m.ko" "$tmp/root/lib/modules/"; done
printf '%s\n' "${order[@]+"${order[@]}"}" > "$tmp/root/lib/modules/load-order"

key=$( {
	sha256sum "$here/mkinitramfs.sh" "$here/init" "$busybox" | cut -d' ' -f1
	cat "$tmp/root/lib/modules/load-order"
	for m in "${order[@]+"${order[@]}"}"; do sha256sum < "$tmp/root/lib/modules/$m.ko"; done
} | sha256sum | cut -c1-16)
out=$cache/initramfs/initramfs-$key.cpio
if [ -s "$out" ]; then
	touch "$out" # newest use first when pruning
	echo "$out"
	exit 0
fi

mkdir -p "$tmp/root/bin" "$tmp/root/dev" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/newroot"
cp "$busybox" "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
cp "$here/init" "$tmp/root/init"
chmod 755 "$tmp/root/init"
mkdir -p "$cache/initramfs"
(cd "$tmp/root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner=0:0) > "$out.tmp"
mv "$out.tmp" "$out"
# Images of older inputs are never used again; keep a few recent ones (one per
# kernel in the manifest, and a checkout or two behind).
ls -1t "$cache"/initramfs/initramfs-*.cpio | tail -n +9 | xargs -r rm -f
echo "$out"
