#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Tests of the vmtest runner itself (make vmtest-selftest). Boots the first
# kernel of vmtest/kernels several times and checks that the runner:
#   - returns a failing guest command's status and reports it;
#   - fails `vmtest.sh` on a failing test, tolerates it once it is in the
#     kernel's known-failure list, and kills a test over its time limit;
#   - kills a guest over its command or boot time limit with a clear message;
#   - reports an unavailable kernel as skipped (a failure with
#     EDR_VMTEST_REQUIRE=1) without booting anything;
#   - goes through vng when it is on PATH, for a kernel with its modules
#     beside the image too (a stand-in: tests/vmtest/fake-vng), and through
#     the real vng when it is installed (the guest reports mode vng);
#   - falls back to plain QEMU, said aloud, when vng cannot start a guest,
#     when the modules are not where vng looks, and for systemd as init
#     (a stand-in QEMU, then a real boot with a failing stand-in vng);
#   - boots once more when the kernel panics before the guest's init (a
#     stand-in QEMU here: tests/vmtest/fake-qemu-panic), and only once.
# Exits 77 (skipped) when no kernel can be fetched here. Set
# EDR_VMTEST_SELFTEST_SYSTEMD=0 to leave out the systemd boot,
# EDR_VMTEST_SELFTEST_QUICK=1 to run only the cases that boot nothing.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/../.." && pwd)
cd "$tree" || exit 1
mkdir -p build/vmtest && work=$(mktemp -d "$tree/build/vmtest/selftest.XXXXXX") || exit 1

n=0 failures=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; }
# expect DESC WANT-RC GOT-RC OUTPUT-FILE [PATTERN...]: every PATTERN (ERE)
# must match a line of the output.
expect() {
	local desc=$1 want=$2 got=$3 out=$4 p
	shift 4
	if [ "$got" != "$want" ]; then
		not_ok "$desc: exit status $got, want $want"
		sed 's/^/    # /' "$out" | tail -n 30
		return
	fi
	for p in "$@"; do
		if ! grep -Eq -- "$p" "$out"; then
			not_ok "$desc: no line matching '$p'"
			sed 's/^/    # /' "$out" | tail -n 30
			return
		fi
	done
	ok "$desc"
}

# --- without a VM --------------------------------------------------------------
printf 'ghost\tfile:build/vmtest/selftest/no-such-bzImage\tnot there on purpose\n' > "$work/kernels.missing"
vmtest/vmtest.sh --kernels "$work/kernels.missing" > "$work/missing.out" 2>&1
expect "an unavailable kernel is skipped" 0 $? "$work/missing.out" \
	'^  ghost +SKIP +kernel image .*no-such-bzImage not present'
EDR_VMTEST_REQUIRE=1 vmtest/vmtest.sh --kernels "$work/kernels.missing" > "$work/require.out" 2>&1
expect "an unavailable kernel fails with EDR_VMTEST_REQUIRE=1" 1 $? "$work/require.out" \
	'^  ghost +FAIL +not available'
vmtest/run.sh --kernel "$work/no-such-bzImage" -- true > "$work/nokernel.out" 2>&1
expect "run.sh rejects a missing kernel image" 125 $? "$work/nokernel.out" \
	"vmtest: no-such-bzImage: kernel image .* not found"

mkdir -p "$work/notours" && touch "$work/notours/keep"
vmtest/run.sh --kernel "$work/kernels.missing" --results "$work/notours" -- true > "$work/notours.out" 2>&1
rc=$?
[ -e "$work/notours/keep" ] || echo "run.sh deleted $work/notours/keep" >> "$work/notours.out"
expect "run.sh refuses to empty a --results directory that is not its own" 125 "$rc" \
	"$work/notours.out" "is not a vmtest results directory"
if grep -q deleted "$work/notours.out"; then not_ok "run.sh left a foreign --results directory alone"; fi

# The vng path, with a stand-in vng that runs the guest side on the host.
printf 'not a kernel\n' > "$work/fake-bzImage"
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng.args \
	vmtest/run.sh --kernel "$work/fake-bzImage" --name fake --results "$work/r-vng" -- \
	sh -c 'echo "vng guest side ran in $(pwd)"; exit 3' > "$work/vng.out" 2>&1
rc=$?
cat "$work/r-vng/log" "$work/vng.args" >> "$work/vng.out" 2>/dev/null
expect "with vng on PATH, run.sh runs the command through vng --run KERNEL --exec" 3 "$rc" \
	"$work/vng.out" "^vng guest side ran in $tree\$" "^--run$" "^$work/fake-bzImage\$" \
	"^--disable-kvm$" "^--rwdir$" "stage2.sh vng$"

# An unpacked package (boot/vmlinuz-V beside lib/modules/V) goes through vng:
# vng finds those modules itself.
mkdir -p "$work/pkg/boot" "$work/pkg/lib/modules/9.9.9-fake"
cp "$work/fake-bzImage" "$work/pkg/boot/vmlinuz-9.9.9-fake"
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng-pkg.args \
	vmtest/run.sh --kernel "$work/pkg/boot/vmlinuz-9.9.9-fake" --modules "$work/pkg/lib/modules/9.9.9-fake" \
	--name fakepkg --results "$work/r-vng-pkg" -- true > "$work/vng-pkg.out" 2>&1
rc=$?
cat "$work/vng-pkg.args" >> "$work/vng-pkg.out" 2>/dev/null
expect "a kernel with its modules beside the image goes through vng" 0 "$rc" "$work/vng-pkg.out" \
	"^vmtest: fakepkg: booting with $here/fake-vng/vng\$" "^--run$" "^$work/pkg/boot/vmlinuz-9.9.9-fake\$"

# Modules somewhere else: vng would not find them; plain QEMU, said aloud.
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng-mods.args EDR_VMTEST_QEMU=$here/fake-qemu-panic \
	FAKE_QEMU_BOOTS=$work/boots-mods \
	vmtest/run.sh --kernel "$work/fake-bzImage" --modules "$work/pkg/lib/modules/9.9.9-fake" \
	--name fakemods --results "$work/r-mods" -- true > "$work/mods.out" 2>&1
rc=$?
[ -e "$work/vng-mods.args" ] && echo "vng was run" >> "$work/mods.out"
# (Its fake modules make the initramfs fail: the plain path was taken.)
expect "modules not beside the image: plain QEMU directly, said aloud" 125 "$rc" "$work/mods.out" \
	"^vmtest: fakemods: vng looks for modules beside the image, not in .*; using QEMU directly\$"
if grep -q '^vng was run$' "$work/mods.out"; then not_ok "vng was not run for modules it cannot find"; fi

# vng fails before starting a guest: the same boot on plain QEMU, said aloud.
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng-fail.args EDR_VMTEST_QEMU=$here/fake-qemu-panic \
	FAKE_VNG_FAIL="cannot do this on purpose" FAKE_QEMU_BOOTS=$work/boots-fallback \
	vmtest/run.sh --kernel "$work/fake-bzImage" --name fakefail --results "$work/r-fallback" -- true \
	> "$work/fallback.out" 2>&1
rc=$?
echo "qemu boots: $(wc -l < "$work/boots-fallback" 2>/dev/null)" >> "$work/fallback.out"
expect "vng that cannot start a guest falls back to plain QEMU, said aloud" 125 "$rc" "$work/fallback.out" \
	"^vmtest: fakefail: booting with " \
	"^vmtest: fakefail: vng could not start the guest \(error: cannot do this on purpose; console: .*console.vng.log\); using QEMU directly\$" \
	"^qemu boots: 1\$"

# systemd as init: vng runs its own init, so plain QEMU, said aloud.
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng-sd.args EDR_VMTEST_QEMU=$here/fake-qemu-panic \
	FAKE_QEMU_BOOTS=$work/boots-sd \
	vmtest/run.sh --kernel "$work/fake-bzImage" --name fakesd --systemd --results "$work/r-sd" -- true \
	> "$work/sd.out" 2>&1
rc=$?
echo "qemu boots: $(wc -l < "$work/boots-sd" 2>/dev/null)" >> "$work/sd.out"
[ -e "$work/vng-sd.args" ] && echo "vng was run" >> "$work/sd.out"
expect "systemd as init goes through plain QEMU, said aloud" 125 "$rc" "$work/sd.out" \
	"^vmtest: fakesd: systemd as init: using QEMU directly \(vng runs its own init\)\$" "^qemu boots: 1\$"
if grep -q '^vng was run$' "$work/sd.out"; then not_ok "vng was not run for systemd as init"; fi

# A kernel that panics before the guest's init: booted twice, then a failure.
printf 'panicky\tfile:%s\n' "$work/fake-bzImage" > "$work/kernels.panic"
EDR_VMTEST_VNG=0 EDR_VMTEST_QEMU=$here/fake-qemu-panic FAKE_QEMU_BOOTS=$work/boots \
	vmtest/vmtest.sh --kernels "$work/kernels.panic" --results "$work/m-panic" -- \
	tests/vmtest/pass-test.sh > "$work/panic.out" 2>&1
rc=$?
echo "boots: $(wc -l < "$work/boots" 2>/dev/null)" >> "$work/panic.out"
expect "an early kernel panic is retried once, said aloud, and fails the second time" 1 "$rc" \
	"$work/panic.out" "vmtest: panicky: the kernel panicked before the guest started \(.*Oops: int3.*\); booting once more" \
	"^  panicky +FAIL +guest did not run the tests.*retried once: the kernel panicked before the guest started" "^boots: 2$"

# A guest whose CPUs lock up in the kernel (TCG): booted twice, then a failure.
printf 'lockup\tfile:%s\n' "$work/fake-bzImage" > "$work/kernels.lockup"
EDR_VMTEST_VNG=0 EDR_VMTEST_QEMU=$here/fake-qemu-lockup FAKE_QEMU_BOOTS=$work/boots-lockup \
	vmtest/vmtest.sh --kernels "$work/kernels.lockup" --results "$work/m-lockup" -- \
	tests/vmtest/pass-test.sh > "$work/lockup.out" 2>&1
rc=$?
echo "boots: $(wc -l < "$work/boots-lockup" 2>/dev/null)" >> "$work/lockup.out"
expect "a guest locked up in the kernel is booted once more, said aloud, and fails the second time" 1 "$rc" \
	"$work/lockup.out" "vmtest: lockup: the guest's CPUs locked up in the kernel \(.*soft lockup.*\); booting once more" \
	"^  lockup +FAIL .*retried once: the guest's CPUs locked up in the kernel" "^boots: 2$"

# --- the kernel the VM tests use -------------------------------------------------
if [ "${EDR_VMTEST_SELFTEST_QUICK:-0}" = 1 ]; then
	echo "vmtest-selftest: $((n - failures)) of $n passed; VM cases left out (EDR_VMTEST_SELFTEST_QUICK=1)"
	[ "$failures" -eq 0 ] || exit 1
	rm -rf "$work"
	exit 0
fi
read -r kname ksrc _ < <(sed 's/#.*//' vmtest/kernels | awk 'NF >= 2' | head -n 1)
fetched=$(vmtest/fetch.sh "$ksrc")
rc=$?
if [ "$rc" != 0 ]; then
	echo "# kernel $kname ($ksrc) not available: $fetched"
	if [ "$failures" -gt 0 ]; then echo "vmtest-selftest: $failures of $n failed"; exit 1; fi
	echo "vmtest-selftest: skipped the VM cases, no kernel"
	exit 77
fi
kernel=$(sed -n 's/^kernel=//p' <<< "$fetched")
modules=$(sed -n 's/^modules=//p' <<< "$fetched")
run=(vmtest/run.sh --kernel "$kernel" ${modules:+--modules "$modules"} --name "selftest-$kname" --quiet)
echo "# using $kname: $kernel"

# Which path the default boots take: the real vng when installed.
if command -v vng > /dev/null; then
	# The guest the plain path gives: no vng overlay left (over /usr, /etc,
	# ...), a tmpfs on /tmp. (statfs over 9p reports the host's type.)
	"${run[@]}" --results "$work/r-realvng" -- sh -c 'echo "init: $(ps -o comm= -p 1)"
		echo "overlays: $(grep -c "^virtme_rw_overlay" /proc/self/mounts)"
		echo "tmp: $(awk "\$2 == \"/tmp\" { t = \$3 } END { print t }" /proc/self/mounts)"' \
		> "$work/realvng.out" 2>&1
	rc=$?
	cat "$work/r-realvng/log" "$work/r-realvng/booted" >> "$work/realvng.out" 2>/dev/null
	expect "with virtme-ng installed, the guest runs through the real vng" 0 "$rc" "$work/realvng.out" \
		"^vmtest: selftest-$kname: booting with $(command -v vng)\$" "^vmtest: kernel .*, mode vng, " \
		"^init: virtme-" "^vng " "^overlays: 0\$" "^tmp: tmpfs\$"
	if grep -q 'using QEMU directly' "$work/realvng.out"; then not_ok "the real vng started the guest itself"; fi
else
	echo "# vng (virtme-ng) not installed (make deps installs it): the real vng path not tested"
fi

# The plain path after a vng that cannot start a guest, with a real boot.
PATH=$here/fake-vng:$PATH FAKE_VNG_ARGS=$work/vng-realfail.args FAKE_VNG_FAIL="cannot do this on purpose" \
	"${run[@]}" --results "$work/r-plain" -- sh -c 'echo "init: $(ps -o comm= -p 1)"' \
	> "$work/plain.out" 2>&1
rc=$?
cat "$work/r-plain/log" "$work/r-plain/booted" >> "$work/plain.out" 2>/dev/null
expect "after a vng that cannot start, the same command runs on plain QEMU" 0 "$rc" "$work/plain.out" \
	"vng could not start the guest \(error: cannot do this on purpose; .*\); using QEMU directly\$" \
	"^vmtest: kernel .*, mode plain, " "^plain "

"${run[@]}" --results "$work/r-fail" -- sh -c 'echo "deliberate failure in the guest"; exit 7' \
	> "$work/fail.out" 2>&1
rc=$?
cat "$work/r-fail/log" >> "$work/fail.out" 2>/dev/null
expect "a failing guest command fails run.sh with its status" 7 "$rc" "$work/fail.out" \
	"command exited with status 7 in the guest" "^deliberate failure in the guest$"

"${run[@]}" --results "$work/r-timeout" --timeout 5 -- sleep 600 > "$work/timeout.out" 2>&1
rc=$?
cat "$work/r-timeout/log" >> "$work/timeout.out" 2>/dev/null
expect "a guest command over --timeout is killed" 124 "$rc" "$work/timeout.out" \
	"command did not finish within 5 s, killed"

"${run[@]}" --results "$work/r-boot" --boot-timeout 1 -- true > "$work/boot.out" 2>&1
expect "a guest that does not boot within --boot-timeout is killed" 125 $? "$work/boot.out" \
	"guest did not boot within 1 s, killed"

# The manifest runner, against the same kernel given as a local file.
printf 'selftest\tfile:%s%s\n' "$kernel" "${modules:+:$modules}" > "$work/kernels"
mkdir -p "$work/known" "$work/none"
printf '%s\n' "# for tests/vmtest/test-runner.sh" \
	"tests/vmtest/fail-test.sh fails on purpose" > "$work/known/selftest"
tests=(tests/vmtest/pass-test.sh tests/vmtest/fail-test.sh)

vmtest/vmtest.sh --kernels "$work/kernels" --known-failures "$work/none" --results "$work/m" \
	--test-timeout 5 -- "${tests[@]}" tests/vmtest/hang-test.sh > "$work/unknown.out" 2>&1
rc=$?
expect "an unlisted failing test fails make vmtest" 1 "$rc" "$work/unknown.out" \
	"^=== smoke: kernel " "^pass-test: ok on selftest " \
	"vmtest: selftest: FAILED: tests/vmtest/fail-test.sh" \
	"vmtest: tests/vmtest/hang-test.sh: did not finish within 5 s, killed" \
	"^  selftest +FAIL +unexpected failure\(s\): .*tests/vmtest/(fail|hang)-test.sh.*" \
	"bpf: 1 passed, 2 failed, 0 skipped"

vmtest/vmtest.sh --kernels "$work/kernels" --known-failures "$work/known" --results "$work/m" \
	-- "${tests[@]}" > "$work/known.out" 2>&1
expect "a failing test in the known-failure list is tolerated" 0 $? "$work/known.out" \
	"vmtest: selftest: known failure: tests/vmtest/fail-test.sh \(fails on purpose\)" \
	"^  selftest +PASS +\[[^]]+\] 1 passed, 1 failed, 0 skipped; smoke [0-9]+ passed, 0 failed; 1 known failure"

vmtest/vmtest.sh --kernels "$work/kernels" --known-failures "$work/known" --results "$work/m" \
	--command true -- > "$work/cmd.out" 2>&1
expect "a guest command that exits 0 passes" 0 $? "$work/cmd.out" "^  selftest +PASS"

if [ "${EDR_VMTEST_SELFTEST_SYSTEMD:-1}" != 0 ]; then
	"${run[@]}" --systemd --results "$work/r-systemd" --timeout 120 --boot-timeout 240 -- \
		sh -c 'systemctl is-active multi-user.target && test "$(ps -o comm= -p 1)" = systemd &&
			echo "systemd unit ran: $(systemctl show -P Id vmtest-job.service)"' \
		> "$work/systemd.out" 2>&1
	rc=$?
	cat "$work/r-systemd/log" >> "$work/systemd.out" 2>/dev/null
	expect "systemd boots to multi-user.target and runs the command from a oneshot unit" 0 "$rc" \
		"$work/systemd.out" "^active$" "^systemd unit ran: vmtest-job.service$"
fi

if [ "$failures" -gt 0 ]; then
	echo "vmtest-selftest: $failures of $n failed (outputs in $work)"
	exit 1
fi
echo "vmtest-selftest: $n passed"
rm -rf "$work"
