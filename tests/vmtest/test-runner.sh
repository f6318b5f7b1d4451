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
#   - goes through vng when it is on PATH (a stand-in here: tests/vmtest/fake-vng);
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

# A kernel that panics before the guest's init: booted twice, then a failure.
printf 'panicky\tfile:%s\n' "$work/fake-bzImage" > "$work/kernels.panic"
EDR_VMTEST_VNG=0 EDR_VMTEST_QEMU=$here/fake-qemu-panic FAKE_QEMU_BOOTS=$work/boots \
	vmtest/vmtest.sh --kernels "$work/kernels.panic" --results "$work/m-panic" -- \
	tests/vmtest/pass-test.sh > "$work/panic.out" 2>&1
rc=$?
echo "boots: $(wc -l < "$work/boots" 2>/dev/null)" >> "$work/panic.out"
expect "an early kernel panic is retried once, said aloud, and fails the second time" 1 "$rc" \
	"$work/panic.out" "vmtest: panicky: the kernel panicked before the guest started \(.*Oops: int3.*\); booting once more" \
	"^  panicky +FAIL +guest did not run the tests.*retried once after an early panic" "^boots: 2$"

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
