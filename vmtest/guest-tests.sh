#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The command vmtest.sh runs in each guest, from the tree root:
#   1. a smoke check of the VM stage itself (always first, even when there are
#      no BPF tests yet): BPF LSM active, BTF present, the pseudo filesystems
#      mounted, bpftool works, and the program and map types the sensor needs
#      are available on this kernel;
#   2. tests/run-tests.sh bpf TEST... with EDR_TEST_KERNEL set by the caller.
# Each test runs under its own time limit (EDR_VMTEST_TEST_TIMEOUT, seconds):
# tests/run-tests.sh gets, for each relative TEST, a wrapper of the same
# relative path under a tmpfs directory, so its "=== bpf: TEST" and "FAILED:
# TEST" lines still name the real test, and the wrapper runs the test from the
# tree root under timeout(1).
# Output format (parsed by vmtest.sh): "smoke: N passed, N failed, 0 skipped"
# and "FAILED: smoke:CHECK (why)", then run-tests.sh's own lines.
set -u
tree=$(pwd)
test_timeout=${EDR_VMTEST_TEST_TIMEOUT:-180}

pass=0 fail=0
check() { # NAME WHY-IF-FAILED CMD...
	local name=$1 why=$2
	shift 2
	if "$@" > /tmp/vmtest-smoke.out 2>&1; then
		pass=$((pass + 1))
		echo "smoke: $name ok"
	else
		fail=$((fail + 1))
		echo "FAILED: smoke:$name ($why)"
		sed 's/^/    /' /tmp/vmtest-smoke.out | head -n 20
	fi
}
grep_lsm() { [[ ,$(< /sys/kernel/security/lsm), == *,bpf,* ]]; }
feature() { grep -q "^eBPF $1 is available" /tmp/vmtest-features; }

echo "=== smoke: kernel $(uname -r)"
check lsm-bpf "/sys/kernel/security/lsm does not list bpf" grep_lsm
check btf "no /sys/kernel/btf/vmlinux" test -r /sys/kernel/btf/vmlinux
check bpffs "bpffs not mounted on /sys/fs/bpf" test "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs
check tracefs "no tracefs events under /sys/kernel/tracing" test -d /sys/kernel/tracing/events/syscalls
check bpftool "bpftool prog list failed" bpftool prog list
bpftool feature probe kernel > /tmp/vmtest-features 2>&1
for f in "program_type lsm" "program_type tracing" "program_type kprobe" \
	"program_type tracepoint" "program_type raw_tracepoint" "map_type ringbuf"; do
	check "${f#* }" "bpftool feature probe: $f is not available" feature "$f"
done
echo "smoke: $pass passed, $fail failed, 0 skipped"
smoke_rc=0
[ "$fail" -eq 0 ] || smoke_rc=1

[ $# -gt 0 ] || exit "$smoke_rc"

wrap=/tmp/vmtest-wrap
tests=()
for t in "$@"; do
	case $t in
	/*) tests+=("$t") ;; # not re-rooted under $wrap: no limit of its own
	*..*) tests+=("$tree/$t") ;;
	*)
		mkdir -p "$wrap/$(dirname "$t")"
		cat > "$wrap/$t" <<EOF
#!/bin/bash
cd $(printf '%q' "$tree") || exit 125
timeout -k 10 $test_timeout $(printf '%q' "./$t")
rc=\$?
if [ \$rc -eq 124 ]; then
	echo "vmtest: $(printf '%q' "$t"): did not finish within $test_timeout s, killed"
fi
exit \$rc
EOF
		chmod +x "$wrap/$t"
		tests+=("$t")
		;;
	esac
done
cd "$wrap" || exit 125
"$tree/tests/run-tests.sh" bpf "${tests[@]}"
rc=$?
[ "$rc" -ne 0 ] || rc=$smoke_rc
exit "$rc"
