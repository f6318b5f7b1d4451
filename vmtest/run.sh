#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots KERNEL in QEMU (TCG; KVM is unusable on these hosts) with the host root
# shared read-only over virtio-9p and runs CMD in the guest as root, from the
# current directory (by default), with tmpfs on /run and /tmp and securityfs,
# tracefs, debugfs, bpffs and cgroup2 mounted. The exit status and the full
# output come back through files on a second, writable 9p share (the results
# directory), never by reading the console. Exits with CMD's status; 124 when
# CMD timed out, 125 when the guest could not run it (boot failure, panic).
#
# With `vng` (virtme-ng) on PATH it is used instead of plain QEMU unless
# EDR_VMTEST_VNG=0; the guest side (vmtest/guest.sh) is the same. Plain QEMU
# is the fallback, chosen by trying (a vng guest that does not start) and for
# systemd as init, and said in the output.
usage() {
	cat <<EOF
Usage: vmtest/run.sh --kernel PATH [options] -- CMD [ARG...]
       vmtest/run.sh --kernel PATH [options] --shell
  --kernel PATH        kernel image (bzImage/vmlinuz) to boot
  --modules DIR        the image's modules (lib/modules/VERSION); needed when
                       virtio/9p are modules
  --name NAME          label used in messages (default: the image's file name)
  --timeout S          CMD's time limit in the guest (default 300)
  --boot-timeout S     time allowed from start to a running guest (default
                       120, 300 with --systemd)
  --results DIR        results directory (emptied); default: a fresh
                       build/vmtest/run.XXXXXX
  --env NAME=VALUE     set in CMD's environment (repeatable)
  --cwd DIR            CMD's working directory (default: the current one)
  --systemd            boot with systemd as init (overlay root) and run CMD
                       from a oneshot unit ordered after multi-user.target
  --quiet              do not copy CMD's output to stdout while it runs
  --shell              an interactive bash on the serial console instead of
                       CMD (for debugging; --timeout defaults to 3600)
Environment: EDR_VMTEST_CACHE (default /var/cache/edr-vmtest), EDR_VMTEST_QEMU,
EDR_VMTEST_VNG=0 (never use vng), EDR_VMTEST_VNG_ARGS (default --disable-kvm), EDR_VMTEST_MEM (default 2G), EDR_VMTEST_SMP (2),
EDR_VMTEST_APPEND (extra kernel command line, e.g. loglevel=7).
EOF
}
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/.." && pwd)
kernel='' modules='' name='' timeout=300 boot_timeout='' results='' cwd=$PWD
systemd=0 quiet=0 shell=0 envs=()

die() { echo "vmtest: ${name:-run}: $*" >&2; exit 125; }
num() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive number of seconds, got '$2'"; }

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2-}; shift 2 || die "--kernel needs a PATH" ;;
	--modules) modules=${2-}; shift 2 || die "--modules needs a DIR" ;;
	--name) name=${2-}; shift 2 || die "--name needs a value" ;;
	--timeout) num "$1" "${2-}"; timeout=$2; timeout_set=1; shift 2 ;;
	--boot-timeout) num "$1" "${2-}"; boot_timeout=$2; shift 2 ;;
	--results) results=${2-}; shift 2 || die "--results needs a DIR" ;;
	--env) [[ ${2-} == [A-Za-z_]*=* ]] || die "--env wants NAME=VALUE, got '${2-}'"
		envs+=("$2"); shift 2 ;;
	--cwd) cwd=${2-}; shift 2 || die "--cwd needs a DIR" ;;
	--systemd) systemd=1; shift ;;
	--quiet) quiet=1; shift ;;
	--shell) shell=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
if [ "$shell" = 1 ]; then
	[ $# -eq 0 ] || die "--shell takes no command"
	[ -t 0 ] || die "--shell needs a terminal on stdin"
	set -- bash -i
	[ "${timeout_set:-0}" = 1 ] || timeout=3600
	quiet=1
fi
[ $# -gt 0 ] || { usage >&2; die "no command given (put it after --)"; }
# systemd reaches multi-user.target in 30-60 s of emulated time, more when
# the host is busy.
[ -n "$boot_timeout" ] || { [ "$systemd" = 1 ] && boot_timeout=300; } || boot_timeout=120
[ -n "$kernel" ] || { usage >&2; die "--kernel PATH is required"; }
[ -n "$name" ] || name=$(basename "$kernel")
[ -r "$kernel" ] || die "kernel image '$kernel' not found or not readable"
[ -z "$modules" ] || [ -d "$modules" ] || die "modules directory '$modules' not found"
[ -d "$cwd" ] || die "working directory '$cwd' not found"
kernel=$(realpath "$kernel")
cwd=$(realpath "$cwd")

# Root's cache is shared by every checkout; others use their own.
if [ "$(id -u)" = 0 ]; then cache=${EDR_VMTEST_CACHE:-/var/cache/edr-vmtest}
else cache=${EDR_VMTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edr-vmtest}
fi
mkdir -p "$cache" || die "cannot create the cache directory $cache"

if [ -n "$results" ]; then
	# Emptied, so only when it is one of ours (or empty): a mistyped
	# --results must not wipe anything else.
	if [ -d "$results" ] && [ -n "$(ls -A "$results")" ] && [ ! -e "$results/job" ]; then
		die "--results $results exists and is not a vmtest results directory"
	fi
	rm -rf "$results" && mkdir -p "$results" || die "cannot create the results directory $results"
else
	mkdir -p "$tree/build/vmtest" && results=$(mktemp -d "$tree/build/vmtest/run.XXXXXX") ||
		die "cannot create a results directory under $tree/build/vmtest"
	# Keep the newest few for reading.
	ls -1dt "$tree"/build/vmtest/run.?????? | tail -n +6 | xargs -r rm -rf
fi
R=$(realpath "$results")
# QEMU's -fsdev takes the path inside a comma-separated option list.
[[ $R != *,* ]] || die "the results directory $R has a comma in its path"
# The guest's root (uid 0) writes here through 9p; keep it private on the host.
chmod 700 "$R"

# vng (virtme-ng) finds a kernel's modules itself: in /lib/modules, in a
# kernel build tree, or in lib/modules/VERSION of the root the image lies in
# (an unpacked package: PKG/boot/vmlinuz-VERSION next to PKG/lib/modules), and
# links them into its guest. It cannot boot systemd as init (its own init
# runs --exec), so the systemd mode always goes through plain QEMU. Whether vng
# works is found by trying: a vng guest that stops before it booted (and not
# by a kernel panic, which is the kernel's doing) is booted again on plain
# QEMU, said aloud.
use_vng=0
if [ "$systemd" = 0 ] && [ "${EDR_VMTEST_VNG:-1}" != 0 ] && command -v vng >/dev/null; then
	mods_real=''
	[ -z "$modules" ] || mods_real=$(realpath "$modules")
	if [ -z "$mods_real" ] || [[ $mods_real == /lib/modules/* || $mods_real == /usr/lib/modules/* ||
		${mods_real%/*} == "$(dirname "$(dirname "$kernel")")/lib/modules" ]]; then
		use_vng=1
	else
		echo "vmtest: $name: vng looks for modules beside the image, not in $modules; using QEMU directly"
	fi
elif [ "$systemd" = 1 ] && [ "${EDR_VMTEST_VNG:-1}" != 0 ] && command -v vng >/dev/null; then
	echo "vmtest: $name: systemd as init: using QEMU directly (vng runs its own init)"
fi
if [ "$use_vng" = 1 ] && [ "$shell" = 1 ]; then
	# vng's own console is the better shell: see vmtest/README.md.
	echo "vmtest: $name: --shell uses QEMU directly; for a vng shell: vng --run $kernel --disable-kvm"
	use_vng=0
fi
[ "$use_vng" = 0 ] || echo "vmtest: $name: booting with $(command -v vng)"

# --- the job, as bash assignments the guest sources -------------------------
{
	printf 'JOB_NAME=%q\n' "$name"
	printf 'JOB_CWD=%q\n' "$cwd"
	printf 'JOB_TIMEOUT=%q\n' "$timeout"
	printf 'JOB_INTERACTIVE=%q\n' "$shell"
	printf 'JOB_CMD=('; printf '%q ' "$@"; printf ')\n'
	printf 'JOB_ENV=('
	[ ${#envs[@]} -eq 0 ] || printf '%q ' "${envs[@]}"
	printf ')\n'
} > "$R/job"
# Plain text for the initramfs (busybox sh), which keeps the tree visible when
# it lives under /tmp or /run (a CI clone there): the guest mounts tmpfs on both.
printf '%s\n' "$cwd" > "$R/cwd"
cp "$here/guest.sh" "$R/stage2.sh"

if [ "$systemd" = 1 ]; then
	e=$R/systemd/etc
	mkdir -p "$e/systemd/system/multi-user.target.wants"
	# The host's fstab names disks the guest does not have; systemd would
	# wait 90 s for each.
	echo "# vmtest: empty on purpose" > "$e/fstab"
	echo vmtest > "$e/hostname"
	cat > "$e/systemd/system/vmtest-job.service" <<EOF
[Unit]
Description=vmtest job (vmtest/guest.sh)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/bash /run/vmtest/stage2.sh systemd
TimeoutStartSec=infinity
StandardOutput=journal+console
EOF
	ln -s ../vmtest-job.service "$e/systemd/system/multi-user.target.wants/vmtest-job.service"
	ln -s /lib/systemd/system/multi-user.target "$e/systemd/system/default.target"
	# Units that only wait for hardware or a network the guest does not have,
	# or that would take the console.
	for u in serial-getty@.service getty@.service systemd-networkd-wait-online.service \
		NetworkManager-wait-online.service networking.service ifupdown-wait-online.service \
		systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
		systemd-firstboot.service systemd-machine-id-commit.service \
		console-getty.service auditd.service; do
		ln -s /dev/null "$e/systemd/system/$u"
	done
fi

# --- the initramfs (cached by content) ---------------------------------------
initrd=''
make_initrd() {
	[ -z "$initrd" ] || return 0
	initrd=$(flock "$cache/.lock" "$here/mkinitramfs.sh" --cache "$cache" ${modules:+--modules "$modules"}) ||
		die "cannot build the initramfs"
}
[ "$use_vng" = 1 ] || make_initrd

# --- boot --------------------------------------------------------------------
console=$R/console.log
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'echo "vmtest: $name: interrupted, guest killed" >&2; exit 130' INT TERM HUP

mem=${EDR_VMTEST_MEM:-2G} smp=${EDR_VMTEST_SMP:-2}
# Starts the guest in the background ($pid), with vng or plain QEMU.
start_guest() {
	if [ "$use_vng" = 1 ]; then
		# setsid: vng's QEMU child must die with it when we kill the group.
		# KVM does not work on these hosts; EDR_VMTEST_VNG_ARGS='' where it does.
		# From /: vng checks a --rwdir's guest path (relative to its root)
		# against its own working directory.
		# shellcheck disable=SC2086 # a word list on purpose
		# exec: $! is then vng itself, the leader of setsid's new group.
		(cd / && exec setsid vng --run "$kernel" ${EDR_VMTEST_VNG_ARGS---disable-kvm} --cpus "$smp" --memory "$mem" \
			--rwdir "$R" --exec "EDR_VMTEST_RESULTS=$(printf '%q' "$R") bash $(printf '%q' "$R/stage2.sh") vng") \
			> "$console" 2>&1 < /dev/null &
		pid=$!
	else
		qemu=${EDR_VMTEST_QEMU:-qemu-system-x86_64}
		command -v "$qemu" >/dev/null || die "$qemu not found (install qemu-system-x86)"
		append="console=ttyS0 panic=-1 loglevel=4 rdinit=/init edr.mode=plain"
		if [ "$systemd" = 1 ]; then
			append="console=ttyS0 panic=-1 loglevel=4 rdinit=/init edr.mode=systemd"
			append+=" systemd.show_status=0 systemd.unit=multi-user.target"
		fi
		append+=${EDR_VMTEST_APPEND:+ $EDR_VMTEST_APPEND}
		# shellcheck disable=SC2054 # commas inside QEMU options
		qargs=(-accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem"
			-nodefaults -display none -no-reboot -nic none -monitor none
			-kernel "$kernel" -initrd "$initrd" -append "$append"
			-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
			-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
			-fsdev "local,id=res,path=$R,security_model=none"
			-device virtio-9p-pci,fsdev=res,mount_tag=vmtest)
		if [ "$shell" = 1 ]; then
			# In the foreground with the serial console on the terminal (Ctrl-A X
			# quits QEMU); timeout(1) is the watchdog.
			timeout --foreground -k 5 $((boot_timeout + timeout + 30)) \
				"$qemu" "${qargs[@]}" -serial mon:stdio
			rc=$?
			[ "$rc" != 124 ] || echo "vmtest: $name: guest did not finish within $timeout s, killed" >&2
			[ -f "$R/status" ] && exit "$(cat "$R/status")"
			exit 125
		fi
		setsid "$qemu" "${qargs[@]}" -serial "file:$console" > "$R/qemu.err" 2>&1 < /dev/null &
		pid=$!
	fi
}

# Copies what the guest appended to its log since the last call.
shown=0
show_log() {
	[ "$quiet" = 0 ] && [ -f "$R/log" ] || return 0
	local size
	size=$(stat -c %s "$R/log" 2>/dev/null) || return 0
	if [ "$size" -gt "$shown" ]; then
		tail -c +$((shown + 1)) "$R/log" | head -c $((size - shown))
		shown=$size
	fi
}

# Waits for the guest's result or a limit; sets verdict on a limit.
wait_guest() {
	local done_at=''
	start=$SECONDS booted_at='' verdict=''
	while :; do
		show_log
		if [ -f "$R/status" ]; then
			# Result is in; give the guest a moment to power off, then stop it.
			[ -n "$done_at" ] || done_at=$SECONDS
			kill -0 "$pid" 2>/dev/null || break
			[ $((SECONDS - done_at)) -lt 20 ] || break
		elif ! kill -0 "$pid" 2>/dev/null; then
			break
		elif [ -z "$booted_at" ]; then
			if [ -f "$R/booted" ]; then
				booted_at=$SECONDS
			elif [ $((SECONDS - start)) -ge "$boot_timeout" ]; then
				verdict="guest did not boot within $boot_timeout s, killed"
				break
			fi
		elif [ $((SECONDS - booted_at)) -ge $((timeout + 30)) ]; then
			# The guest enforces $timeout itself; this catches a hung guest.
			verdict="guest did not finish within $timeout s, killed"
			break
		fi
		sleep 0.5
	done
	cleanup
	pid=
}

start_guest
wait_guest
if [ "$use_vng" = 1 ] && [ ! -f "$R/booted" ] && [ ! -f "$R/status" ] &&
	! grep -q 'Kernel panic' "$console" 2>/dev/null; then
	why=${verdict:-$(grep -v '^[[:space:]]*$' "$console" 2>/dev/null | tail -n 1)}
	echo "vmtest: $name: vng could not start the guest (${why:-no output}; console: $R/console.vng.log); using QEMU directly"
	verdict=''
	rm -f "$R/log"
	mv "$console" "$R/console.vng.log"
	use_vng=0
	make_initrd
	start_guest
	wait_guest
fi
show_log

tail_console() {
	echo "vmtest: $name: last console lines ($console):" >&2
	tail -n 25 "$console" | sed 's/^/    /' >&2
	# Our own kill is not news.
	[ -s "$R/qemu.err" ] && grep -v 'terminating on signal' "$R/qemu.err" | sed 's/^/    qemu: /' >&2
}

if [ -n "$verdict" ]; then
	echo "vmtest: $name: $verdict" >&2
	tail_console
	exit 125
fi
if [ -f "$R/status" ]; then
	rc=$(cat "$R/status")
	[[ $rc =~ ^[0-9]+$ ]] || { echo "vmtest: $name: bad status '$rc' from the guest" >&2; exit 125; }
	case $rc in
	0) ;;
	124) echo "vmtest: $name: command timed out in the guest (log: $R/log)" >&2 ;;
	*) echo "vmtest: $name: command exited with status $rc in the guest (log: $R/log)" >&2 ;;
	esac
	exit "$rc"
fi
if [ -f "$R/init-error" ]; then
	echo "vmtest: $name: guest init failed: $(cat "$R/init-error")" >&2
else
	echo "vmtest: $name: guest stopped without a result (kernel panic or init failure)" >&2
fi
tail_console
exit 125
