# shellcheck shell=sh
# Helpers shared by the guest suites and the demo (busybox sh), sourced
# after /tests/ktap.sh.

P=/sys/module/dmabuf_revoke/parameters
C=/sys/kernel/dmabuf_revoke/counters
H=/sys/kernel/dmabuf_revoke/hook
# shellcheck disable=SC2034 # for the suites that source this
D=/sys/kernel/debug/dmabuf_revoke

# have HAVE_X: the build-time probe found X on this kernel.
have() { grep -q "^conftest: $1 *yes" /tests/expected/conftest.txt; }

# kv PREFIX CMD...: run CMD; each of its key=value lines becomes PREFIX_key
# (earlier PREFIX_* variables are cleared first).
kv() {
	_pfx=$1
	shift
	for _v in $(set | sed -n "s/^\(${_pfx}_[a-z_]*\)=.*/\1/p"); do unset "$_v"; done
	_out=$("$@") || ktap_diag "$* failed: exit $?"
	eval "$(echo "$_out" | sed -n "s/^\([a-z_]*\)=\([A-Za-z0-9_:.-]*\)\$/${_pfx}_\1=\2/p")"
}
# scen ARGS: a test-exporter scenario (S_*); vrun ARGS: a VFIO one (V_*).
scen() { kv S dbr_scenario run "$@"; }
vrun() { kv V dbr_vfio run "$@"; }

# setpol off|audit|enforce|strict (strict = enforce with strict=Y).
setpol() {
	case $1 in
	strict) echo enforce >$P/policy; echo Y >$P/strict ;;
	*) echo "$1" >$P/policy; echo N >$P/strict ;;
	esac
}

# hook_snap; hook_moved: how far hook hits, refusals and upstream deferrals
# moved since hook_snap.
hook_snap() { h0=$(cat $H/hits); r0=$(cat $C/attach_refused); u0=$(cat $C/attach_upstream); }
hook_moved() {
	echo "hits=$(($(cat $H/hits) - h0)) refused=$(($(cat $C/attach_refused) - r0)) upstream=$(($(cat $C/attach_upstream) - u0))"
}
ge1() { [ "${1:-0}" -ge 1 ] 2>/dev/null; }
