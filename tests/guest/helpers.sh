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
# scen ARGS, vrun ARGS: a test-exporter or a VFIO scenario's keys (S_*, V_*)
# for make demo's table, which shows them. The suites assert with
# dbr_scenario attach and dbr_vfio run --expect instead (exit status).
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

# snap; delta_is NAME "c1=n c2=m ...": the counters of $COUNTERS (the
# suite's list) since snap: the listed ones moved by exactly n, m..., every
# other one did not move.
snap() { for c in $COUNTERS; do eval "C0_$c=$(cat "$C/$c")"; done; }
delta_is() {
	_n=$1 _want=$2 _bad='' _d=''
	for c in $COUNTERS; do
		eval "_d=\$(( \$(cat $C/$c) - C0_$c ))"
		_w=0
		for kv in $_want; do [ "${kv%%=*}" = "$c" ] && _w=${kv#*=}; done
		[ "$_d" = "$_w" ] || _bad="$_bad $c:$_d(want $_w)"
	done
	[ -z "$_bad" ] || ktap_diag "$_n:$_bad"
	if [ -z "$_bad" ]; then ktap_ok "$_n"; else ktap_fail "$_n"; fi
}

# vfio_bind [--reset METHOD]: bind edu to vfio-pci; BDF= its address.
# dbr_vfio bind checks the binding, the IOMMU group's node (and METHOD among
# its reset methods) and says on stderr what is missing.
vfio_bind() { BDF=$(dbr_vfio bind "$@") && [ -n "$BDF" ]; }

# unloaded MOD...: none of them is loaded (those that are, in a diag).
unloaded() {
	_left=
	for _m in "$@"; do
		_m=$(echo "$_m" | tr - _)
		[ ! -d "/sys/module/$_m" ] || _left="$_left $_m"
	done
	[ -z "$_left" ] || ktap_diag "still loaded:$_left"
	[ -z "$_left" ]
}
# unload MOD...: modprobe -r each one still loaded, in this order; then
# unloaded.
unload() {
	for _m in "$@"; do
		[ ! -d "/sys/module/$(echo "$_m" | tr - _)" ] || modprobe -r "$_m"
	done
	unloaded "$@"
}

# vfio_unload: edu back to no driver, vfio-pci and our modules unloaded,
# checked (one result).
vfio_unload() {
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
	check "all modules unload" \
		unload dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke vfio_pci_core
}

# waitfor COND [TENTHS]: poll COND (a shell expression) every 0.1 s, bounded
# (default 10 s); 1 when it never held.
waitfor() {
	_w=0
	while ! eval "$1"; do
		[ $_w -ge "${2:-100}" ] && return 1
		sleep 0.1
		_w=$((_w + 1))
	done
}
