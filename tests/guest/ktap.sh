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

ktap_done() { exit "$KTAP_FAILED"; }
