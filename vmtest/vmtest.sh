#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make vmtest`: for each kernel in the manifest, fetch it (vmtest/fetch.sh),
# boot it (vmtest/run.sh) and run vmtest/guest-tests.sh TEST... inside (the
# smoke check, then tests/run-tests.sh bpf TEST...), with EDR_TEST_KERNEL set
# to the kernel's name. Prints a summary per kernel and exits non-zero when a
# kernel failed: the guest did not finish, or a test or smoke check failed
# that is not in vmtest/known-failures/NAME. Kernels that cannot be fetched
# here are reported as skipped.
usage() {
	cat <<EOF
Usage: vmtest/vmtest.sh [options] [--] [TEST...]
  --kernels FILE          manifest (default vmtest/kernels)
  --known-failures DIR    known-failure lists (default vmtest/known-failures)
  --only NAME[,NAME...]   run only these kernels (also EDR_VMTEST_KERNELS)
  --timeout S             limit for everything run in one guest (default 1200)
  --test-timeout S        limit per test (default 420)
  --budget S              limit for the whole run, all kernels (default 2400);
                          a kernel that would start with less than 210 s
                          left (390 with --systemd) fails without running
  --results DIR           where each kernel's results go (default build/vmtest)
  --command CMD           run CMD (a word list, no shell syntax, no smoke
                          check) instead of vmtest/guest-tests.sh
  --systemd               boot with systemd as init (vmtest/run.sh --systemd)
Environment: EDR_VMTEST_REQUIRE=1 turns a skipped kernel into a failure;
EDR_VMTEST_CACHE, EDR_VMTEST_VNG and the others of vmtest/run.sh.
EOF
}
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "$here/.." && pwd)
manifest=$here/kernels known=$here/known-failures only=${EDR_VMTEST_KERNELS:-}
timeout=1200 test_timeout=420 budget=2400 resroot=$tree/build/vmtest command='' systemd=()

while [ $# -gt 0 ]; do
	case $1 in
	--kernels) manifest=${2:?}; shift 2 ;;
	--known-failures) known=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--test-timeout) test_timeout=${2:?}; shift 2 ;;
	--budget) budget=${2:?}; shift 2 ;;
	--results) resroot=${2:?}; shift 2 ;;
	--command) command=${2:?}; shift 2 ;;
	--systemd) systemd=(--systemd); shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; echo "vmtest: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
for v in timeout:"$timeout" test-timeout:"$test_timeout" budget:"$budget"; do
	[[ ${v#*:} =~ ^[1-9][0-9]*$ ]] || { echo "vmtest: --${v%%:*} wants a positive number of seconds, got '${v#*:}'" >&2; exit 2; }
done
[ -r "$manifest" ] || { echo "vmtest: kernel manifest $manifest not found" >&2; exit 2; }
for t in "$@"; do
	[ -x "$tree/$t" ] || [ -x "$t" ] || { echo "vmtest: test $t not found or not executable" >&2; exit 2; }
done

# Known failures of one kernel: "TEST reason..." per line; TEST is the test's
# path as passed to make (build/tests/bpf/x), its file name (x), or smoke:CHECK.
declare -A reason_of
load_known() {
	reason_of=()
	local f=$known/$1 t why n=0
	[ -f "$f" ] || return 0
	while read -r t why; do
		n=$((n + 1))
		[[ -z $t || $t == \#* ]] && continue
		[ -n "$why" ] || echo "vmtest: $f:$n: '$t' has no reason, ignoring the missing reason"
		reason_of[$t]=${why:-no reason given}
	done < "$f"
}
known_reason() { # TEST -> reason, status 1 when not known
	local t=$1 b=${1##*/}
	if [ -n "${reason_of[$t]+x}" ]; then echo "${reason_of[$t]}"
	elif [ -n "${reason_of[$b]+x}" ]; then echo "${reason_of[$b]}"
	else return 1
	fi
}

summary=() failed_kernels=0 ran=0
lineno=0
while IFS= read -r line <&3 || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	line=${line%%#*}
	read -r name src notes <<< "$line"
	[ -n "${name:-}" ] || continue
	if [ -z "${src:-}" ]; then
		echo "vmtest: $manifest:$lineno: '$name' has no source, ignoring"
		continue
	fi
	if [ -n "$only" ] && [[ ,$only, != *,"$name",* ]]; then
		continue
	fi
	[[ $name =~ ^[A-Za-z0-9._+-]+$ ]] || {
		echo "vmtest: $manifest:$lineno: bad kernel name '$name', ignoring"
		continue
	}

	echo "=== vmtest: $name ($src${notes:+; $notes})"
	# Notes are free text, except words append=ARG: kernel command line
	# arguments for this kernel (e.g. append=lsm=lockdown,capability,bpf).
	append=${EDR_VMTEST_APPEND:-}
	for w in ${notes:-}; do
		[[ $w == append=?* ]] && append+=" ${w#append=}"
	done
	out=$("$here/fetch.sh" "$src")
	rc=$?
	if [ "$rc" = 2 ]; then
		echo "vmtest: $name: skipped: $out"
		if [ "${EDR_VMTEST_REQUIRE:-0}" = 1 ]; then
			summary+=("$(printf '%-8s FAIL  not available (EDR_VMTEST_REQUIRE=1): %s' "$name" "$out")")
			failed_kernels=$((failed_kernels + 1))
		else
			summary+=("$(printf '%-8s SKIP  %s' "$name" "$out")")
		fi
		continue
	elif [ "$rc" != 0 ]; then
		echo "vmtest: $name: cannot fetch the kernel: $out"
		summary+=("$(printf '%-8s FAIL  cannot fetch: %s' "$name" "$out")")
		failed_kernels=$((failed_kernels + 1))
		continue
	fi
	kernel=$(sed -n 's/^kernel=//p' <<< "$out")
	modules=$(sed -n 's/^modules=//p' <<< "$out")

	load_known "$name"
	# A fresh directory per run: two runs of the same kernel (two make
	# invocations) must not share one. The newest few are kept for reading.
	mkdir -p "$resroot" && res=$(mktemp -d "$resroot/$name.XXXXXX") || {
		echo "vmtest: $name: cannot create a results directory under $resroot"
		summary+=("$(printf '%-8s FAIL  no results directory' "$name")")
		failed_kernels=$((failed_kernels + 1))
		continue
	}
	ls -1dt "$resroot/$name".?????? 2>/dev/null | tail -n +6 | xargs -r rm -rf
	if [ -n "$command" ]; then
		read -ra cmd <<< "$command"
	else
		cmd=(vmtest/guest-tests.sh "$@")
	fi
	# The whole VM stage has a budget: a hung first kernel must not take the
	# time of the next ones plus its own beyond it.
	# Worst case for one kernel: run.sh's boot limit (120 s, 300 with
	# systemd), the command's limit, 30 s of grace before QEMU is killed.
	left=$((budget - SECONDS)) boot=120
	[ ${#systemd[@]} -eq 0 ] || boot=300
	if [ "$left" -lt $((boot + 90)) ]; then
		echo "vmtest: $name: not run, $left s left of the VM stage's $budget s, $((boot + 90)) needed"
		summary+=("$(printf '%-8s FAIL  not run: %s s left of the VM stage budget (%s s)' "$name" "$left" "$budget")")
		failed_kernels=$((failed_kernels + 1))
		continue
	fi
	ktimeout=$timeout
	[ $((left - boot - 30)) -ge "$ktimeout" ] || ktimeout=$((left - boot - 30))
	ran=$((ran + 1))
	retried=''
	for attempt in 1 2; do
		(cd "$tree" && EDR_VMTEST_APPEND=$append "$here/run.sh" --kernel "$kernel" ${modules:+--modules "$modules"} \
			--name "$name" --timeout "$ktimeout" --results "$res" "${systemd[@]+"${systemd[@]}"}" \
			--env "EDR_TEST_KERNEL=$name" --env "EDR_VMTEST_TEST_TIMEOUT=$test_timeout" \
			-- "${cmd[@]}")
		rc=$?
		# Under TCG a vCPU can still run code another vCPU has just
		# patched (static keys, on every BPF attach and detach): seen as
		# an int3 oops early in boot, and as CPUs stuck for good in soft
		# lockups. A guest that died of that, without a result, tested
		# nothing: one more boot, said aloud; a second time is a failure.
		[ "$rc" = 125 ] && [ "$attempt" = 1 ] && [ ! -f "$res/status" ] || break
		why=''
		if [ ! -f "$res/booted" ] && grep -q 'Kernel panic' "$res/console.log" 2>/dev/null; then
			why="the kernel panicked before the guest started"
		elif grep -q 'BUG: soft lockup' "$res/console.log" 2>/dev/null; then
			why="the guest's CPUs locked up in the kernel"
		else
			# vng's console shows no kernel messages: a guest that
			# died or hung without a result gets the same one retry.
			why="the guest stopped without a result"
		fi
		left=$((budget - SECONDS))
		[ "$left" -ge $((boot + 90)) ] || break
		[ $((left - boot - 30)) -ge "$ktimeout" ] || ktimeout=$((left - boot - 30))
		first=$res
		res=$(mktemp -d "$resroot/$name.XXXXXX") || { res=$first; break; }
		echo "vmtest: $name: $why ($(grep -m1 -E 'Oops|BUG:|Kernel panic' "$first/console.log")); booting once more (first console: $first/console.log)"
		retried="retried once: $why (see $first/console.log)"
	done
	log=$res/log

	# What the guest reported: run-tests.sh's and the smoke check's lines.
	declare -A failed=()
	ran_tests=()
	counts=
	if [ -f "$log" ]; then
		while IFS= read -r l; do
			case $l in
			"FAILED: "*)
				t=${l#FAILED: }
				t=${t%% (*}
				failed[$t]=1
				;;
			"=== bpf: "*) ran_tests+=("${l#=== bpf: }") ;;
			bpf:\ *passed,*failed,*skipped) counts=${l#bpf: } ;;
			esac
		done < "$log"
	fi
	unexpected=() expected=()
	for t in "${!failed[@]}"; do
		if why=$(known_reason "$t"); then
			expected+=("$t ($why)")
		else
			unexpected+=("$t")
		fi
	done
	for t in "${ran_tests[@]+"${ran_tests[@]}"}"; do
		if [ -z "${failed[$t]+x}" ] && grep -qx -- "--- $t: skipped" "$log"; then
			continue
		fi
		if [ -z "${failed[$t]+x}" ] && known_reason "$t" > /dev/null; then
			echo "vmtest: $name: $t passed but is in $known/$name; remove it from there"
		fi
	done
	for t in "${expected[@]+"${expected[@]}"}"; do echo "vmtest: $name: known failure: $t"; done
	for t in "${unexpected[@]+"${unexpected[@]}"}"; do echo "vmtest: $name: FAILED: $t"; done

	if [ -n "$command" ]; then
		counts=${counts:-command exit status $rc}
	elif [ $# -eq 0 ]; then
		counts=${counts:-no BPF tests given (smoke check only)}
	else
		counts=${counts:-no test summary}
	fi
	smoke=$(grep -m1 '^smoke: .* passed, .* failed' "$log" 2>/dev/null | sed 's/^smoke: /smoke /; s/, 0 skipped//')
	krel=$(cut -d' ' -f2 "$res/booted" 2>/dev/null)
	detail="${krel:+[$krel] }$counts${smoke:+; $smoke}"
	[ ${#expected[@]} -eq 0 ] || detail+="; ${#expected[@]} known failure(s)"
	[ -z "$retried" ] || detail+="; $retried"
	# A failing status with every failure known is a pass; a failing status
	# without any FAILED line (timeout, panic, broken runner) never is.
	if [ ${#unexpected[@]} -eq 0 ] && { [ "$rc" = 0 ] || { [ ${#expected[@]} -gt 0 ] && [ "$rc" = 1 ]; }; }; then
		summary+=("$(printf '%-8s PASS  %s' "$name" "$detail")")
	else
		case $rc in
		124) detail="timed out; $detail" ;;
		125) detail="guest did not run the tests (see $res/console.log); $detail" ;;
		esac
		[ ${#unexpected[@]} -eq 0 ] || detail="unexpected failure(s): ${unexpected[*]}; $detail"
		summary+=("$(printf '%-8s FAIL  %s (log: %s)' "$name" "$detail" "$res/log")")
		failed_kernels=$((failed_kernels + 1))
	fi
	unset failed
done 3< "$manifest"

# A mistyped VMTEST_KERNELS must not pass by testing nothing.
unknown=''
IFS=, read -ra wanted <<< "$only"
for w in "${wanted[@]+"${wanted[@]}"}"; do
	[ -n "$w" ] || continue
	awk -v n="$w" '$1 == n { f = 1 } END { exit !f }' "$manifest" || unknown+=" $w"
done
if [ -n "$unknown" ]; then
	summary+=("$(printf '%-8s FAIL  not in %s' "${unknown# }" "$manifest")")
	failed_kernels=$((failed_kernels + 1))
fi

echo "vmtest summary:"
for s in "${summary[@]+"${summary[@]}"}"; do echo "  $s"; done
[ ${#summary[@]} -gt 0 ] || echo "  (no kernel selected from $manifest${only:+ by '$only'})"
if [ "$failed_kernels" -gt 0 ]; then
	echo "vmtest: $failed_kernels kernel(s) failed"
	exit 1
fi
exit 0
