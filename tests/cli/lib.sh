# shellcheck shell=bash
# lib.sh: the TAP helpers of the CLI host tests (cli.sh, events.sh), which
# set CLI (the binary), R (the fake root) and T (a scratch directory).
# shellcheck disable=SC2034 # FAILED: the exit status of the sourcing test
N=0 FAILED=0 RC='' OUT='' ERR=''
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1

ok() { N=$((N + 1)); echo "ok $N - $1"; }
fail() {
	N=$((N + 1)); FAILED=1; echo "not ok $N - $1"
	echo "# rc=$RC stdout: $(head -c 600 <<<"$OUT" | tr '\n' '|')"
	echo "# stderr: $(head -c 600 <<<"$ERR" | tr '\n' '|')"
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

# run ARGS...: the CLI on the fake root (as ${AS[*]} if set); sets OUT, ERR, RC.
AS=()
run() {
	OUT=$(DMABUF_REVOKE_SYSROOT=$R "${AS[@]}" "$CLI" "$@" 2>"$T/err")
	RC=$?
	ERR=$(cat "$T/err")
}
# t NAME RC [out|err PATTERN] -- ARGS...
t() {
	local name=$1 want=$2 where='' pat=''
	shift 2
	if [ "$1" != -- ]; then where=$1 pat=$2; shift 2; fi
	shift
	run "$@"
	local good=1
	[ "$RC" = "$want" ] || good=0
	if [ -n "$where" ]; then
		if [ "$where" = out ]; then grep -qE -- "$pat" <<<"$OUT" || good=0
		else grep -qE -- "$pat" <<<"$ERR" || good=0; fi
	fi
	# Sanitizer reports are failures whatever the exit code.
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' <<<"$ERR" && good=0
	if [ $good = 1 ]; then ok "$name"; else fail "$name"; fi
}
# tj NAME ARGS...: exit 0 and stdout is valid JSON.
tj() {
	local name=$1; shift
	run "$@"
	if [ "$RC" = 0 ] && python3 -m json.tool <<<"$OUT" >/dev/null 2>&1; then ok "$name"
	else fail "$name"; fi
}
# jq_py EXPR: evaluate a Python expression on the JSON in $OUT (as j).
jq_py() { python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" <<<"$OUT"; }
