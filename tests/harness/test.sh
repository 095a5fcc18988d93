#!/usr/bin/env bash
# The harness must be able to fail: a short plan, a missing plan, a runner
# that crashed after printing only passes, a guest that died, timed out or
# splatted, and a verdict an earlier run left behind all count as failures.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"
# shellcheck source=scripts/qemu-lib.sh
. "$TOP/scripts/qemu-lib.sh"
set +e
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 bad=0
t() {	# t NAME CMD...: one TAP result from CMD's status
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$T/out" 2>&1; then
		echo "ok $n - $name"
	else
		bad=1
		echo "not ok $n - $name"
		sed 's/^/# /' "$T/out"
	fi
}

# tap_count: "PASS FAIL SKIP" after counting FILE with runner status RC.
counts() {
	local PASS=0 FAIL=0 SKIP=0
	result() { [ "$1" = ok ] && PASS=$((PASS + 1)) || FAIL=$((FAIL + 1)); }
	tap_count x "$1" "$2" >/dev/null
	echo "$PASS $FAIL $SKIP"
}
eqc() { [ "$(counts "$1" "$2")" = "$3" ]; }
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
printf '1..2\nok 1 a\nok 2 b\n' >"$T/good"
printf '1..3\nok 1 a\nok 2 b\n' >"$T/short"
printf 'ok 1 a\n' >"$T/noplan"
printf '1..2\nok 1 a\nok 2 b # SKIP no frob (CONFIG_FROB)\n' >"$T/skip"
printf '1..1\nok 1 a\n1..1\nnot ok 1 b\n' >"$T/two"
t "tap_count: a clean run passes" eqc "$T/good" 0 "2 0 0"
t "tap_count: a short plan fails" eqc "$T/short" 0 "2 1 0"
t "tap_count: no plan fails" eqc "$T/noplan" 0 "1 1 0"
t "tap_count: a runner that crashed after passes fails" eqc "$T/good" 139 "2 1 0"
t "tap_count: SKIP counts as skipped, not passed" eqc "$T/skip" 0 "1 0 1"
t "tap_count: chained streams add their plans" eqc "$T/two" 1 "1 1 0"

# judge_run on made-up guest runs.
run_dir() {	# run_dir NAME KTAP DMESG RC: a results dir as a guest leaves it
	local d=$T/$1
	mkdir -p "$d"
	printf '%b' "$2" >"$d/results.ktap"
	printf '%b' "$3" >"$d/dmesg.log"
	: >"$d/console.log"
	echo "$4" >"$d/qemu.rc"
	echo "$d"
}
OKK='KTAP version 1\n1..1\n  # Subtest: s\n  1..1\n  ok 1 a\nok 1 s\nDMABUF_REVOKE_GUEST_DONE\n'
DONE='[ 1.0] fine\nDMABUF_REVOKE_DMESG_DONE\n'
judged() { judge_run "$1" x 300 >/dev/null; }
fails() { ! "$@"; }
t "judge_run: a clean run passes" judged "$(run_dir clean "$OKK" "$DONE" 0)"
t "judge_run: a guest that died early fails" \
	fails judged "$(run_dir died 'KTAP version 1\n1..1\n  ok 1 a\n' "$DONE" 0)"
t "judge_run: a suite with a short plan fails" fails judged "$(run_dir plan \
	'KTAP version 1\n1..1\n  1..2\n  ok 1 a\n# s: exit 0, plan 2, results 1\nnot ok 1 s\nDMABUF_REVOKE_GUEST_DONE\n' "$DONE" 0)"
t "judge_run: a timeout fails" fails judged "$(run_dir timeout "$OKK" "$DONE" 124)"
t "judge_run: BUG: in dmesg fails" fails judged "$(run_dir bug "$OKK" \
	'[ 1.0] BUG: KASAN: slab-use-after-free in x\nDMABUF_REVOKE_DMESG_DONE\n' 0)"
t "judge_run: lockdep splat fails" fails judged "$(run_dir lockdep "$OKK" \
	'[ 1.0] WARNING: possible circular locking dependency detected\nDMABUF_REVOKE_DMESG_DONE\n' 0)"
t "judge_run: no result at all fails" fails judged "$(run_dir none \
	'KTAP version 1\n1..0\nDMABUF_REVOKE_GUEST_DONE\n' "$DONE" 0)"
# A suite nesting a test program's KTAP (kselftest harness): its leaves
# count, SKIP as skipped, the suite's line that sums them up does not; a
# "1..0 # SKIP" subtest counts once, as skipped.
NEST='KTAP version 1\n1..1\n  # Subtest: s\n  1..3\n  ok 1 a\n    TAP version 13\n    1..3\n    ok 1 p.x\n    ok 2 p.y # SKIP no frob (v9.9)\n    %s 3 p.z\n  %s 2 p\n    KTAP version 1\n    1..0 # SKIP no frob (v9.9)\n  ok 3 q # SKIP no frob (v9.9)\n%s 1 s\nDMABUF_REVOKE_GUEST_DONE\n'
# shellcheck disable=SC2059 # NEST is the format
jcounts() { judge_run "$1" x 300 >/dev/null; cat "$1/counts"; }
t "judge_run: nested harness results count as leaves, SKIP as skipped" \
	eq "$(jcounts "$(run_dir nest "$(printf "$NEST" ok ok ok)" "$DONE" 0)")" "4 0 2"
t "judge_run: a failed nested result fails the run and counts" \
	eq "$(jcounts "$(run_dir nestfail "$(printf "$NEST" "not ok" "not ok" "not ok")" "$DONE" 0)")" "2 2 2"

# guest.sh: a run that fails before booting leaves no earlier verdict.
stale() {
	local b=$T/build k
	k=$(manifest_kernels | sed -n 1p)
	mkdir -p "$b/results/$k"
	echo "99 0 0" >"$b/results/$k/counts"
	echo "ok - $k: stale" >"$b/results/$k/verdict"
	# No build output in $b: the initramfs step fails at once.
	DMABUF_REVOKE_BUILD=$b "$TOP/scripts/guest.sh" "$k" && return 1
	[ ! -e "$b/results/$k/counts" ] && [ ! -e "$b/results/$k/verdict" ]
}
t "guest.sh: a run that dies early leaves no stale verdict" stale
echo "1..$n"
exit $bad
