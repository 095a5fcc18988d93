# shellcheck shell=sh
# KTAP helpers for guest test suites (busybox sh). A suite sources this,
# calls ktap_plan N, emits N results, and ends with ktap_done.

KTAP_N=0
KTAP_FAILED=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }
ktap_diag() { echo "# $*"; }
ktap_ok() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $*"; }
ktap_fail() { KTAP_N=$((KTAP_N + 1)); echo "not ok $KTAP_N $*"; KTAP_FAILED=1; }
# ktap_skip NAME REASON: REASON must name the missing kernel feature.
ktap_skip() { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $1 # SKIP $2"; }
# ktap_skip_n N NAME REASON: N skips "NAME 1".."NAME N".
ktap_skip_n() {
	_i=0
	while [ $_i -lt "$1" ]; do
		_i=$((_i + 1))
		ktap_skip "$2 $_i" "$3"
	done
}

# check NAME CMD...: one result from CMD's exit status.
check() {
	_name=$1
	shift
	if "$@"; then ktap_ok "$_name"; else ktap_fail "$_name"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_diag "$1: got '$2', want '$3'"
		ktap_fail "$1"
	fi
}

# ktap_harness NAME CMD...: run a test program built on the kernel's
# kselftest_harness.h, its KTAP nested here as subtest NAME (its results are
# the leaves the host counts, its SKIPs naming the missing kernel feature),
# then one result: ok if it exited 0 with as many results as its plan said.
ktap_harness() {
	_name=$1
	shift
	echo "  # Subtest: $_name"
	rm -f /tmp/ktap_harness.out
	"$@" >/tmp/ktap_harness.out 2>&1
	_rc=$?
	sed 's/^/  /' /tmp/ktap_harness.out
	_plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' /tmp/ktap_harness.out | head -n1)
	_got=$(grep -cE '^(not )?ok [0-9]+' /tmp/ktap_harness.out)
	if [ "$_rc" -eq 0 ] && [ -n "$_plan" ] && [ "$_plan" -eq "$_got" ] && [ "$_got" -gt 0 ]; then
		ktap_ok "$_name"
	else
		ktap_diag "$_name: exit $_rc, plan ${_plan:-none}, results $_got"
		ktap_fail "$_name"
	fi
}

ktap_done() { exit "$KTAP_FAILED"; }
