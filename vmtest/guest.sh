#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the guest, from the host root shared read-only over 9p. run.sh
# copies it into the results directory, which the guest sees at $R (default
# /run/vmtest), together with `job` (the command, tree, environment and
# timeout as bash assignments). Writes:
#   booted   when the guest is up (run.sh's boot timeout stops there)
#   log      the command's stdout and stderr
#   status   the command's exit status (124: timed out), written last, by rename
# Usage: guest.sh [plain|systemd|vng]
#   plain    PID 1 after switch_root (vmtest/init mounted everything), powers off
#   systemd  ExecStart of the vmtest-job oneshot unit; powers off after
#   vng      virtme-ng's --exec; vng mounts and powers off itself
set -u
mode=${1:-plain}
R=${EDR_VMTEST_RESULTS:-/run/vmtest}
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root TERM=dumb LC_ALL=C.UTF-8

poweroff_now() {
	sync
	if [ "$mode" = vng ]; then exit 0; fi
	# Immediate: the results are already on the host and a clean shutdown
	# would only cost seconds of emulated time.
	echo o > /proc/sysrq-trigger
	sleep 30
	exit 1
}

# edr.debug on the kernel command line (EDR_VMTEST_APPEND): trace to the console.
if [[ " $(< /proc/cmdline) " == *" edr.debug "* ]]; then
	exec 2> /dev/console
	PS4='+ [$(< /proc/uptime)] '
	set -x
fi

# shellcheck source=/dev/null
if ! . "$R/job"; then
	echo "vmtest-guest: cannot read $R/job" > /dev/console
	poweroff_now
fi

# Mounted by vmtest/init already (with tmpfs on /tmp and /run); vng mounts its
# own set. Only fill gaps, without running mountpoint(1) each time (every exec
# from the 9p root costs ~0.3 s under TCG).
mounted=$(< /proc/self/mounts)
mnt() { # TYPE DIR
	[[ $mounted == *" $2 "* ]] && return 0
	mkdir -p "$2" 2>/dev/null
	mount -t "$1" "$1" "$2" 2>> "$R/mounts.err" || echo "vmtest-guest: cannot mount $1 on $2" >> "$R/mounts.err"
}
# vng lays writable overlays over the host's /usr, /etc, /var, /tmp and
# others; the tests need the guest the plain path gives them: the host root
# read-only over 9p and a tmpfs on /tmp. On overlayfs a file's stat()
# identity is not the inode the BPF programs see (an exec's dev, a file
# denial keyed on dev and inode), so the overlays are detached (lazily:
# this shell runs from one) and a tmpfs goes on /tmp. A tree (and its
# results directory) under /tmp, as in a CI clone there, is kept visible:
# bound aside, then moved back.
plain_root() {
	local keep=() d i=0 src mp rest ovl=()
	for d in "$JOB_CWD" "$R"; do
		[[ $d == /tmp/* ]] || continue
		[ "$d" = "$R" ] && [[ $R/ == "$JOB_CWD"/* ]] && continue
		mkdir -p "/run/vmtest-keep/$i" && mount --rbind "$d" "/run/vmtest-keep/$i" || return 1
		keep+=("$d")
		i=$((i + 1))
	done
	# Several passes: one may uncover another (vng mounts /lib's over /usr/lib).
	for _ in 1 2 3; do
		ovl=()
		while read -r src mp rest; do
			[[ $src == virtme_rw_overlay* ]] && ovl+=("$mp")
		done < /proc/self/mounts
		[ ${#ovl[@]} -gt 0 ] || break
		for mp in "${ovl[@]}"; do
			umount -l "$mp" 2> /dev/null
		done
	done
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp || return 1
	for i in "${!keep[@]}"; do
		mkdir -p "${keep[$i]}" && mount --move "/run/vmtest-keep/$i" "${keep[$i]}" || return 1
	done
}
# Only inside virtme-ng's guest (its init's parameters on the command line):
# the runner's tests run this script on the host through a stand-in vng.
if [ "$mode" = vng ] && [[ " $(< /proc/cmdline)" == *" virtme_"* ]]; then
	plain_root 2>> "$R/mounts.err" || echo "vmtest-guest: cannot make the root plain (overlays, tmpfs on /tmp)" >> "$R/mounts.err"
	mounted=$(< /proc/self/mounts)
fi
mnt securityfs /sys/kernel/security
mnt tracefs /sys/kernel/tracing
mnt bpf /sys/fs/bpf

read -r kver < /proc/sys/kernel/osrelease
echo "$mode $kver" > "$R/booted"

export EDR_VMTEST=1
for kv in "${JOB_ENV[@]+"${JOB_ENV[@]}"}"; do export "${kv?}"; done
{
	echo "vmtest: kernel $kver, mode $mode, lsm $(< /sys/kernel/security/lsm)"
	if [ "$mode" = systemd ]; then
		echo "vmtest: systemd: basic.target $(systemctl is-active basic.target)," \
			"multi-user.target $(systemctl is-active multi-user.target)"
	fi
	[ -s "$R/mounts.err" ] && echo "$(< "$R/mounts.err")"
} > "$R/log"

if cd "$JOB_CWD"; then
	start=$SECONDS
	if [ "${JOB_INTERACTIVE:-0}" = 1 ]; then
		# run.sh --shell: the serial console as controlling terminal.
		echo "vmtest: $JOB_NAME: shell in $JOB_CWD; exit to power off" > /dev/ttyS0
		setsid -c -w timeout --foreground -k 10 "$JOB_TIMEOUT" "${JOB_CMD[@]}" \
			< /dev/ttyS0 > /dev/ttyS0 2>&1
	else
		timeout -k 10 "$JOB_TIMEOUT" "${JOB_CMD[@]}" >> "$R/log" 2>&1 < /dev/null
	fi
	rc=$?
	# 124: timeout's TERM worked; 137 after the full time: it needed KILL.
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((SECONDS - start)) -ge "$JOB_TIMEOUT" ]; }; then
		echo "vmtest: ${JOB_NAME}: command did not finish within ${JOB_TIMEOUT} s, killed" >> "$R/log"
		rc=124
	fi
else
	echo "vmtest: ${JOB_NAME}: cannot cd to $JOB_CWD in the guest" >> "$R/log"
	rc=125
fi

echo "$rc" > "$R/status.tmp" && mv "$R/status.tmp" "$R/status"
poweroff_now
