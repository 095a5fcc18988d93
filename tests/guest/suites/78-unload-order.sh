#!/bin/sh
# Unload in every order (issue 9 item 4). A holder process (dbr_vfio hold)
# keeps live objects of every module: test-exporter buffers imported
# compliant, stub (pinned) and legacy, all mapped, one also mmap()ed; and,
# where vfio-pci exports dma-bufs, a vfio dma-buf of the edu device imported
# compliant (attached; vfio maps only for PCI peers), with the device
# open. While it holds them, rmmod of each module, each one first, then the
# others, must fail at once with "in use" and a reference count, leaving
# the module loaded and dmesg clean. Then the
# holder lets go step by step (vfio device: unbind/rebind and rmmod
# vfio_pci; imports; importer file; buffer fds; last the mmap) and each
# module unloads exactly when its last object is gone. Once with the kprobe
# backend, once with the livepatch backend (unloaded first, while held).
# Then the idle modules, each first, in each place; vfio_pci_core unloaded
# and loaded again under the enabled livepatch; and everything loads again
# and works.
. /tests/ktap.sh
. /tests/helpers.sh
LPM=dmabuf_revoke_livepatch
LP=/sys/kernel/livepatch/$LPM
NOEXPORT="no vfio dma-buf export (HAVE_VFIO_DEVICE_FEATURE_DMA_BUF)"
S=dmabuf_revoke E=dmabuf_revoke_exporter I=dmabuf_revoke_importer V=vfio_pci
# What the judge (scripts/qemu-lib.sh) fails a run on, plus hung tasks.
BAD='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|circular locking|recursive locking|inconsistent lock state|suspicious RCU usage|Kernel panic|blocked for more than'

have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF && VF=1 || VF=0
LPOK=0 LPWHY=
if [ $VF = 0 ]; then
	LPWHY=$NOEXPORT
elif [ ! -d /sys/kernel/livepatch ]; then
	LPWHY="CONFIG_LIVEPATCH"
elif [ ! -f "/lib/modules/$(uname -r)/extra/$LPM.ko" ]; then
	LPWHY="$LPM not built (vfio-btf: $(cat /tests/expected/vfio-btf.txt 2>/dev/null | head -n1))"
else
	LPOK=1
fi
# A backend round has 29 results (the livepatch's 3 more); the idle orders
# one per permutation; vfio_pci_core away and back under the livepatch 6;
# the reload and the last look 6.
# The idle orders: each module in each position once (vfio_pci depends on
# none of ours, so its place among them is all that varies besides E/I).
if [ $VF = 1 ]; then ORDERS="EIV IVE VEI"; else ORDERS="EI IE"; fi
ktap_plan $((29 + $([ $LPOK = 1 ] && echo 38 || echo 2) + $(echo $ORDERS | wc -w) + 6))

LOG0=$(dmesg | wc -l)
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
clean() {
	_bad=$(newlog | grep -cE "$BAD")
	[ "$_bad" = 0 ] || ktap_diag "$_bad bad kernel log lines since the suite began"
	[ "$_bad" = 0 ]
}
loaded() { [ -d "/sys/module/$1" ]; }
now() { cut -d' ' -f1 /proc/uptime; }
NOCLEAN=

# rmmod_refused M: rmmod M fails at once with a clear reason (in use, a
# non-zero refcount or holders), M stays loaded, dmesg stays clean. In a
# loop NOCLEAN=1 leaves dmesg to one clean at its end (a dmesg of the
# earlier suites' log costs half a second under TCG).
rmmod_refused() {
	_out=$(timeout 10 rmmod "$1" 2>&1)
	_rc=$?
	# Shell builtins only below: forks are slow under TCG on a busy host.
	_ref=
	[ -r "/sys/module/$1/refcnt" ] && read -r _ref <"/sys/module/$1/refcnt"
	_hold=
	for _h in "/sys/module/$1/holders/"*; do
		[ -e "$_h" ] && _hold="$_hold${_hold:+ }${_h##*/}"
	done
	ktap_diag "rmmod $1: rc=$_rc refcnt=${_ref:-gone} holders=${_hold:-none}: $_out"
	case $_rc in 0 | 124 | 143) return 1 ;; esac
	loaded "$1" || return 1
	case $_out in
	*"in use"* | *"temporarily unavailable"* | *"resource busy"*) ;;
	*) return 1 ;;
	esac
	[ "${_ref:-0}" -gt 0 ] || [ -n "$_hold" ] || return 1
	[ -n "$NOCLEAN" ] || clean
}
# rmmod_ok M...: each unloads within 10 s and is gone; dmesg clean.
rmmod_ok() {
	for _m in "$@"; do
		_out=$(timeout 10 rmmod "$_m" 2>&1)
		_rc=$?
		[ $_rc = 0 ] || { ktap_diag "rmmod $_m: rc=$_rc: $_out"; return 1; }
		! loaded "$_m" || { ktap_diag "$_m still in /sys/module"; return 1; }
	done
	[ -n "$NOCLEAN" ] || clean
}

# --- the holder: dbr_vfio hold, commands on fd 4, answers in /tmp/hold.out --
# It asserts its objects itself: each command gets one answer, "done=CMD ok"
# or "done=CMD fail: what differs" (dbr_vfio.c's header lists them); its
# exit status says whether its last look, after stdin closes, held.
hold_start() {
	rm -f /tmp/hold.in /tmp/hold.out
	mkfifo /tmp/hold.in
	dbr_vfio hold "$@" </tmp/hold.in >/tmp/hold.out 2>&1 &
	HP=$!
	exec 4<>/tmp/hold.in
	waitfor 'grep -q "^ready=1" /tmp/hold.out || ! kill -0 $HP 2>/dev/null' 300
	grep -q "^ready=1" /tmp/hold.out || { ktap_diag "holder: $(tr '\n' ' ' </tmp/hold.out)"; return 1; }
	_d=$(sed -n 's/^# //p' /tmp/hold.out)
	[ -z "$_d" ] || ktap_diag "$_d"
}
# hold_cmd CMD: send CMD, wait (bounded) for its answer: 0 iff "done=CMD ok".
hold_cmd() {
	_n=$(grep -c "^done=" /tmp/hold.out)
	echo "$1" >&4
	waitfor "[ \$(grep -c '^done=' /tmp/hold.out) -gt $_n ]" 100 ||
		{ ktap_diag "holder did not answer '$1'"; return 1; }
	_a=$(grep "^done=" /tmp/hold.out | tail -n1)
	[ "$_a" = "done=$1 ok" ] || { ktap_diag "holder: ${_a#done=}"; return 1; }
}
# hold_expect live|closed-device|released|mmap: the holder checks its objects.
hold_expect() { hold_cmd "expect $1"; }
# hold_then CMD CHECK...: the holder does CMD, then CHECK holds.
hold_then() { hold_cmd "$1" && shift && "$@"; }
# hold_end: stdin closed, the holder exits in time, not dying (exit 2, a
# signal): HRC= its status, which hold_last judges.
hold_end() {
	HRC=
	exec 4>&-
	waitfor "! kill -0 $HP 2>/dev/null" 100 || { ktap_diag "holder still running"; return 1; }
	wait $HP
	HRC=$?
	[ $HRC -le 1 ] || ktap_diag "holder: exit $HRC: $(tail -n2 /tmp/hold.out | tr '\n' ' ')"
	[ $HRC -le 1 ]
}
hold_last() {
	[ "$HRC" = 0 ] || ktap_diag "holder: exit ${HRC:-none}: $(sed -n 's/^done=end //p' /tmp/hold.out)"
	[ "$HRC" = 0 ]
}
# The livepatch unloaded: the holder's objects intact, the hook waiting.
live_waiting() {
	hold_expect live || return 1
	_st=$(cat $H/state)
	[ "$_st" = waiting ] || ktap_diag "hook/state: got '$_st', want 'waiting'"
	[ "$_st" = waiting ]
}
# The holder closed the device: the blocked unbind completes.
unbind_done() {
	waitfor '[ -e /tmp/unbind.rc ]' 100
	_rc=$(cat /tmp/unbind.rc 2>/dev/null)
	[ "$_rc" = 0 ] || ktap_diag "unbind: got '${_rc:-still waiting}', want 0"
	[ "$_rc" = 0 ]
}

lp_disable() {
	echo 0 >$LP/enabled || return 1
	waitfor "[ ! -e $LP ]" 600
}
lp_unload() { lp_disable && rmmod_ok $LPM; }
wait_transition() { waitfor "[ \"\$(cat $LP/transition)\" = 0 ]" 600; }

load_all() {	# load_all kprobe|livepatch
	if [ "$1" = livepatch ]; then
		modprobe $S backend=livepatch
	else
		modprobe $S
	fi
	modprobe $E && modprobe $I || return 1
	if [ "$1" = livepatch ]; then
		modprobe $LPM && wait_transition || return 1
	fi
	if [ $VF = 1 ]; then
		modprobe vfio-pci && modprobe vfio_iommu_type1 || return 1
		vfio_bind || return 1
	fi
	setpol enforce
}

# round kprobe|livepatch: hold everything, try every module first, let go
# step by step. 29 results; with the livepatch 32 (one more rotation, and
# the livepatch unloaded first while held).
round() {
	b=$1
	t0=$(now)
	check "$b: load all" load_all "$b"
	# shellcheck disable=SC2046 # nothing or one word
	check "$b: holder has live buffers, attachments and mappings" hold_start $([ $VF = 0 ] && echo --novfio)
	check "$b: holder's objects live (imports mapped, stub pinned, mmap intact)" hold_expect live
	check "$b: shim tracks the guarded buffer and its attachments" \
		sh -c "grep -q 'exporter=dmabuf_revoke_exporter .*state=live' $D/buffers && [ \$(grep -c '  attachment' $D/buffers) -ge 2 ]"

	# Every module first, the others after it in turn: all refused.
	mods="$S $E $I"
	[ "$b" = livepatch ] && mods="$mods $LPM"
	[ $VF = 1 ] && mods="$mods $V"
	set -- $mods
	for first in $mods; do
		ok=1
		NOCLEAN=1
		for m in "$@"; do rmmod_refused "$m" || ok=0; done
		NOCLEAN=
		clean || ok=0
		[ $ok = 1 ] && ktap_ok "$b: held, rmmod $first first then the rest: each refused, in use" ||
			ktap_fail "$b: held, rmmod $first first then the rest: each refused, in use"
		# rotate
		r=$1
		shift
		set -- "$@" "$r"
	done
	if [ $VF = 0 ]; then
		ktap_skip "$b: held, rmmod vfio_pci: refused, in use" "$NOEXPORT"
	fi
	check "$b: after the refusals the holder's objects are intact" hold_expect live

	if [ "$b" = livepatch ]; then
		check "$b: livepatch disabled, then unloaded first while everything is held" lp_unload
		check "$b: holder's objects intact, hook/state waiting" live_waiting
	fi

	# --- vfio: the device open, then closed; unbind, rmmod, rebind ---------
	if [ $VF = 1 ]; then
		rm -f /tmp/unbind.rc
		# shellcheck disable=SC2320 # the status of that write is the one wanted
		(echo "$BDF" >/sys/bus/pci/drivers/vfio-pci/unbind; echo $? >/tmp/unbind.rc) &
		up=$!
		sleep 1
		check "$b: unbinding edu waits while the holder has the device open" [ ! -e /tmp/unbind.rc ]
		check "$b: meanwhile rmmod vfio_pci refused" rmmod_refused $V
		check "$b: device closed: the unbind completes" hold_then close-device unbind_done
		[ ! -e /tmp/unbind.rc ] || wait $up
		check "$b: the vfio import was notified and unmapped, still attached" \
			hold_expect closed-device
		check "$b: rmmod vfio_pci with its dma-buf alive" rmmod_ok $V
		check "$b: vfio_pci_core stays, its dma-buf alive" rmmod_refused vfio_pci_core
		check "$b: vfio_pci back, edu rebinds" sh -c \
			"modprobe vfio-pci && dbr_vfio bind >/dev/null"
	else
		for t in "unbinding edu waits while the holder has the device open" \
			"meanwhile rmmod vfio_pci refused" "device closed: the unbind completes" \
			"the vfio import was notified and unmapped, still attached" \
			"rmmod vfio_pci with its dma-buf alive" \
			"vfio_pci_core stays, its dma-buf alive" "vfio_pci back, edu rebinds"; do
			ktap_skip "$b: $t" "$NOEXPORT"
		done
	fi

	# --- imports released: the files and buffers still pin the modules ---
	check "$b: imports released" hold_then release hold_expect released
	check "$b: importer file open: importer refused" rmmod_refused $I
	check "$b: importer file closed: importer unloads, buffers alive" \
		hold_then close-importer rmmod_ok $I
	check "$b: exporter refused (buffers alive)" rmmod_refused $E
	check "$b: shim refused (exporter loaded)" rmmod_refused $S
	check "$b: buffer fds closed, the mmap alone pins the exporter" \
		hold_then close-bufs rmmod_refused $E
	check "$b: and the mmap still reads the pattern" hold_expect mmap
	check "$b: holder exits cleanly" hold_end
	check "$b: holder's last look" hold_last
	check "$b: nothing tracked any more" sh -c "! grep -q . $D/buffers"
	check "$b: exporter unloads" rmmod_ok $E
	check "$b: registry holds no entry of the unloaded modules" \
		sh -c "! grep -qE 'dmabuf_revoke_(importer|exporter)' $D/registry"
	if [ "$b" = livepatch ] && loaded $LPM; then
		lp_disable && rmmod_ok $LPM || ktap_diag "livepatch did not unload"
	fi
	if [ $VF = 1 ]; then
		dbr_vfio unbind >/dev/null
		modprobe -r vfio-pci vfio_iommu_type1
	fi
	check "$b: shim unloads, nothing left" \
		sh -c "timeout 10 rmmod $S && ! ls -d /sys/module/dmabuf_revoke* 2>/dev/null && ! [ -d /sys/module/vfio_pci_core ] && ! [ -d /sys/kernel/debug/dmabuf_revoke ]"
	ktap_diag "$b round: $(awk "BEGIN{print $(now) - $t0}") s"
}

t00=$(now)
round kprobe
if [ $LPOK = 1 ]; then
	round livepatch
else
	ktap_skip "livepatch: the same round with the livepatch backend" "$LPWHY"
fi

# --- idle modules in turn: the shim refused first, then each order ---------
t0=$(now)
for o in $ORDERS; do
	load_all kprobe || ktap_diag "load_all failed"
	ok=1
	NOCLEAN=1
	rmmod_refused $S || ok=0
	list=
	for c in $(echo "$o" | sed 's/./& /g'); do
		case $c in E) m=$E ;; I) m=$I ;; V) m=$V ;; esac
		[ $m = $V ] && { dbr_vfio unbind >/dev/null || ok=0; }
		rmmod_ok $m || ok=0
		list="$list $m"
	done
	rmmod_ok $S || ok=0
	modprobe -r vfio_iommu_type1 vfio_pci_core 2>/dev/null
	ls -d /sys/module/dmabuf_revoke* >/dev/null 2>&1 && ok=0
	NOCLEAN=
	clean || ok=0
	name="idle: shim refused while in use, then$list, shim: all unload"
	[ $ok = 1 ] && ktap_ok "$name" || ktap_fail "$name"
done
ktap_diag "idle orders: $(awk "BEGIN{print $(now) - $t0}") s"

# --- the livepatch enabled while vfio_pci_core goes and comes back ----------
if [ $LPOK = 1 ]; then
	if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
		ARMED=upstream-enforced WAITING=upstream-enforced
	else
		ARMED=armed WAITING=waiting
	fi
	load_all livepatch || ktap_diag "load_all livepatch failed"
	dbr_vfio unbind >/dev/null
	check "patched: vfio_pci and vfio_pci_core unload under the enabled livepatch" \
		sh -c "[ \"\$(cat $LP/vfio_pci_core/patched)\" = 1 ] && rmmod vfio_pci vfio_pci_core &&
			[ ! -d /sys/module/vfio_pci_core ] && [ \"\$(cat $LP/vfio_pci_core/patched)\" = 0 ]"
	check_eq "patched: hook/state follows vfio_pci_core away: $WAITING" "$(cat $H/state)" "$WAITING"
	modprobe vfio-pci && dbr_vfio bind >/dev/null
	wait_transition
	check_eq "patched: vfio_pci_core back, patched again: $ARMED" \
		"$(cat $LP/vfio_pci_core/patched)/$(cat $H/state)" "1/$ARMED"
	setpol strict
	hook_snap
	check "patched: enforce+strict: stub refused by the shim through the patch" \
		dbr_vfio run stub --nomap --revoke none --expect EOPNOTSUPP
	check_eq "patched: enforce+strict: the shim's hook was asked and refused" \
		"$(hook_moved)" "hits=1 refused=1 upstream=0"
	setpol enforce
	lp_end() {
		dbr_vfio unbind >/dev/null || return 1
		lp_unload && rmmod_ok $V vfio_pci_core $I $E $S || return 1
		modprobe -r vfio_iommu_type1
		! ls -d /sys/module/dmabuf_revoke* 2>/dev/null
	}
	check "patched: livepatch, vfio, importer, exporter, shim unload in that order" lp_end
else
	ktap_skip "patched: vfio_pci_core away and back under the enabled livepatch" "$LPWHY"
fi

# --- everything loads again and works -----------------------------------------
check "reload: everything loads again" load_all kprobe
check "reload: enforce: compliant attaches, is notified of the revoke, released" \
	dbr_scenario attach compliant --expect 0 --notified 1 --stale 0
check "reload: enforce: legacy refused" dbr_scenario attach legacy --expect EOPNOTSUPP
if [ $VF = 1 ]; then
	check "reload: enforce: legacy refused on a vfio dma-buf" \
		dbr_vfio run legacy --revoke none --expect EOPNOTSUPP
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
else
	ktap_skip "reload: enforce: legacy refused on a vfio dma-buf" "$NOEXPORT"
fi
all_gone() {
	modprobe -r $I $E $S
	_left=$(for _m in /sys/module/dmabuf_revoke* /sys/module/vfio_pci*; do [ -e "$_m" ] && echo "${_m##*/}"; done | xargs)
	[ -z "$_left" ] || ktap_diag "left: $_left"
	[ -z "$_left" ]
}
check "reload: all unload, nothing left" all_gone
check "dmesg clean over the whole suite" clean
ktap_diag "suite: $(awk "BEGIN{print $(now) - $t00}") s"
ktap_done
