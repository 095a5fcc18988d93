#!/bin/sh
# Enforcement that cannot be silently lost: fail_closed at load, the hook
# self-test's failure paths (forced with the test-only hook_fault knob), the
# canary and each of its triggers (kprobes off in debugfs, ftrace_enabled=0,
# a redirect that does not reach the caller) with recovery, the state the
# CLI reports, unloading while in-tree importers attach concurrently,
# per-exporter policy, the class cache keyed by ops and callback, the list
# knobs leaking nothing on a failed load, and a killed CLI selftest that
# must leave the operator's policy alone.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 63
CLI=dmabuf-revokectl
KP=/sys/kernel/debug/kprobes/enabled
FT=/proc/sys/kernel/ftrace_enabled

if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then ARMED=upstream-enforced; else ARMED=armed; fi
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
nlog() { newlog | grep -c "$1"; }
write() { printf '%s\n' "$2" 2>/dev/null >"$1"; }
rc() { "$@" >/tmp/out.txt 2>&1; echo $?; }
unload_all() {
	modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter 2>/dev/null
	modprobe -r dmabuf_revoke 2>/dev/null
	[ ! -d /sys/module/dmabuf_revoke ]
}
# state_is WANT: hook/state (each read runs the canary) starts with WANT.
state_is() { case $(cat $H/state) in "$1"*) return 0 ;; esac; return 1; }
# wait_for SECONDS CMD...: poll CMD every 0.1 s (busybox sleep takes fractions).
wait_for() {
	_n=$(($1 * 10))
	shift
	while [ $_n -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
moved() { [ "$(cat "$1")" -gt "$2" ]; }
not() { ! "$@"; }
# The hook refuses a legacy importer of a buffer it guards (the test
# exporter's unguarded buffers, with the test exporter in exporters=).
hook_refuses() { dbr_scenario attach legacy --unguarded --nomap --expect EOPNOTSUPP; }
# ... or lets it in: the attach really happened (not merely "not refused").
hook_accepts() { dbr_scenario attach legacy --unguarded --nomap --expect 0; }

# --- load: fail_closed and the forced self-test failures --------------------
unload_all
modprobe vfio-pci	# the state reads armed (not waiting) with vfio_pci_core loaded
LOG0=$(dmesg | wc -l)
check "fail_closed=Y, probe never fires: modprobe fails" \
	sh -c '! modprobe dmabuf_revoke fail_closed=Y hook_fault=nofire 2>/dev/null'
check "and it is not left loaded" [ ! -d /sys/module/dmabuf_revoke ]
check "the log says why" sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'fail_closed=Y: not loading, the hook failed: probe on dma_buf_dynamic_attach did not fire'"
check "fail_closed=Y, redirect lost: modprobe fails" \
	sh -c '! modprobe dmabuf_revoke fail_closed=Y hook_fault=noredirect 2>/dev/null'
check "fail_closed=Y backend=none is refused" \
	sh -c '! modprobe dmabuf_revoke fail_closed=Y backend=none 2>/dev/null'
check "and says there is no hook" sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'fail_closed=Y with backend=none: there is no hook to arm'"

check "without fail_closed a failed self-test still loads" \
	modprobe dmabuf_revoke hook_fault=noredirect
check_eq "hook/state names the failure" "$(cat $H/state)" \
	"failed: refusal did not reach the caller of dma_buf_dynamic_attach"
check_eq "CLI status exits 1 for a failed hook" "$(rc $CLI status)" 1
check "and says so" grep -q "the hook is not enforcing: failed:" /tmp/out.txt
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
echo +dmabuf_revoke_exporter >$P/exporters
check "failed state tells the truth: nothing is refused" hook_accepts
unload_all

check "fail_closed=Y loads when the hook is proven" \
	modprobe dmabuf_revoke fail_closed=Y canary_ms=200
check_eq "and arms" "$(cat $H/state)" "$ARMED"
check_eq "CLI status exits 0" "$(rc $CLI status)" 0
check "status shows the canary" grep -qE '^  canary_runs +[0-9]+$' /tmp/out.txt

# --- knobs ----------------------------------------------------------------
check "canary_ms=50 refused" not write $P/canary_ms 50
check "canary_ms=x refused" not write $P/canary_ms x
check_eq "canary_ms unchanged" "$(cat $P/canary_ms)" 200
check "hook_fault=bogus refused" not write $P/hook_fault bogus
check_eq "hook_fault unchanged" "$(cat $P/hook_fault)" none
check_eq "fail_closed is load-time only" "$(stat -c %a $P/fail_closed)" 444
check_eq "hook_fault is root-only" "$(stat -c %a $P/hook_fault)" 600

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
echo +dmabuf_revoke_exporter >$P/exporters
check "armed hook refuses" hook_refuses

# --- canary: kprobes disabled globally ------------------------------------
LOG0=$(dmesg | wc -l)
f0=$(cat $H/canary_failures)
echo 0 >$KP
check "kprobes off: the periodic canary fails within 5 s" wait_for 5 moved $H/canary_failures "$f0"
check "hook/state says lost" state_is "lost: probe on dma_buf_dynamic_attach did not fire"
check_eq "CLI status exits 1 while lost" "$(rc $CLI status)" 1
check "lost state tells the truth: nothing is refused" hook_accepts
sleep 1
check_eq "the log says it once, at KERN_CRIT" "$(nlog 'enforcement lost: probe on dma_buf_dynamic_attach did not fire')" 1
echo 1 >$KP
check "kprobes on again: armed within 5 s" wait_for 5 state_is "$ARMED"
check_eq "the log says it is back" "$(nlog 'enforcement restored')" 1
check "and refusals work again" hook_refuses
check_eq "CLI status exits 0 again" "$(rc $CLI status)" 0

# --- canary: ftrace off ----------------------------------------------------
LOG0=$(dmesg | wc -l)
OFFSITE=0
case $(cat $H/target) in *"int3 past the ftrace site"*) OFFSITE=1 ;; esac
if [ $OFFSITE = 1 ] && sh -c "echo 0 >$FT" 2>/tmp/ft.err; then
	# Before v6.12 the probes are int3s past the ftrace site: ftrace off
	# does not touch them, and enforcement must simply go on.
	check_eq "int3 probes, ftrace_enabled=0: hook/state still $ARMED" "$(cat $H/state)" "$ARMED"
	check "refusals go on" hook_refuses
	echo 1 >$FT
	check_eq "ftrace_enabled=1: still $ARMED" "$(cat $H/state)" "$ARMED"
	check "and refusals work" hook_refuses
	check_eq "no lost or restored line" "$(nlog 'enforcement lost'),$(nlog 'enforcement restored')" 0,0
elif sh -c "echo 0 >$FT" 2>/tmp/ft.err; then
	check "ftrace_enabled=0: hook/state says lost" wait_for 5 state_is "lost:"
	check "nothing is refused meanwhile" hook_accepts
	echo 1 >$FT
	check "ftrace_enabled=1: armed again" wait_for 5 state_is "$ARMED"
	check "and refusals work again" hook_refuses
	check_eq "one lost and one restored line" "$(nlog 'enforcement lost'),$(nlog 'enforcement restored')" 1,1
else
	# Debian's 7.3 answers EOPNOTSUPP: ftrace cannot be switched off there.
	ktap_skip_n 5 "ftrace_enabled=0 trigger" "kernel.ftrace_enabled=0 ($(sed 's/^.*: //' /tmp/ft.err))"
fi

# --- canary: the redirect does not reach the caller -----------------------
LOG0=$(dmesg | wc -l)
echo noredirect >$P/hook_fault
check "redirect lost: hook/state says so" \
	state_is "lost: refusal did not reach the caller of dma_buf_dynamic_attach"
echo none >$P/hook_fault
check "fault gone: armed again" state_is "$ARMED"
check_eq "one lost and one restored line" "$(nlog 'enforcement lost'),$(nlog 'enforcement restored')" 1,1

# --- every read of hook/state runs the canary ------------------------------
echo 0 >$P/canary_ms
sleep 0.5	# a canary already running finishes
r0=$(cat $H/canary_runs)
cat $H/state >/dev/null
cat $H/state >/dev/null
check_eq "two reads of hook/state: two canary runs" "$(($(cat $H/canary_runs) - r0))" 2
echo 200 >$P/canary_ms

# --- per-exporter policy ----------------------------------------------------
setpol enforce
echo -dmabuf_revoke_exporter >$P/exporters
a0=$(cat $C/attach_audited)
echo +dmabuf_revoke_exporter:audit >$P/exporters
check_eq "exporters shows the exporter's own policy" "$(cat $P/exporters)" \
	"vfio_pci_core,dmabuf_revoke_exporter:audit"
check "exporter:audit under global enforce: legacy accepted" \
	dbr_scenario attach legacy --nomap --expect 0
check_eq "and audited" "$(($(cat $C/attach_audited) - a0))" 1
check_eq "global policy untouched" "$(cat $P/policy)" enforce
check "the hook applies it too" hook_accepts
echo +dmabuf_revoke_exporter:off >$P/exporters
check "exporter:off: accepted" dbr_scenario attach legacy --nomap --expect 0
echo +dmabuf_revoke_exporter >$P/exporters
check "back to the global policy: refused" \
	dbr_scenario attach legacy --nomap --expect EOPNOTSUPP
check "bad exporter policy entry refused" not write $P/exporters +:audit
check_eq "exporters unchanged" "$(cat $P/exporters)" "vfio_pci_core,dmabuf_revoke_exporter"

# --- class cache: keyed by ops and callback -------------------------------
# (dbr_modules_test's reused_ops fixture deny-lists the stub's callback
# under enforce, and puts the knobs back after.)
deny0=$(cat $P/deny)
ktap_harness "an ops table reused with another callback gets its own class" \
	dbr_modules_test -f reused_ops
check_eq "its teardown put the deny list back" "$(cat $P/deny)" "$deny0"

# --- a killed CLI selftest leaves the operator's policy alone --------------
echo Y >$P/strict
echo vfio_pci_core >$P/exporters
for d in 0.05 0.2 0.5 1 2; do
	$CLI selftest >/dev/null 2>&1 &
	sleep $d
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	pol="$(cat $P/policy)/$(cat $P/strict)/$(cat $P/exporters | cut -d, -f1)"
	[ "$pol" = "enforce/Y/vfio_pci_core" ] || break
done
check_eq "selftest killed at 0.05..2 s: policy, strict and vfio_pci_core untouched" "$pol" enforce/Y/vfio_pci_core
check "vfio_pci_core still guarded under enforce" sh -c "cut -d, -f1 $P/exporters | grep -qx vfio_pci_core"
check_eq "a full selftest passes" "$(rc $CLI selftest)" 0
check_eq "and removes the test exporter's entry it left" "$(cat $P/exporters)" vfio_pci_core
echo N >$P/strict

# --- unload while in-tree importers attach concurrently --------------------
# udmabuf exports, vgem imports it (a legacy importer): no module of ours
# holds the shim, so it unloads while redirected attaches are in flight.
unload_all
modprobe udmabuf 2>/dev/null
modprobe vgem 2>/dev/null
if [ -c /dev/udmabuf ] && ls /dev/dri/card* >/dev/null 2>&1; then
	modprobe dmabuf_revoke exporters=udmabuf canary_ms=100
	check "udmabuf into vgem is refused by the hook" \
		sh -c 'dbr_attach_loop 20 | grep -q "^refused=20 accepted=0$"'
	dbr_attach_loop 3000 >/tmp/loop1.out 2>&1 &
	L1=$!
	dbr_attach_loop 3000 >/tmp/loop2.out 2>&1 &
	L2=$!
	ok=0 n=0
	while [ $n -lt 8 ]; do
		timeout 60 rmmod dmabuf_revoke || { ktap_diag "rmmod $n failed"; ok=1; break; }
		timeout 60 modprobe dmabuf_revoke exporters=udmabuf canary_ms=100 ||
			{ ktap_diag "modprobe $n failed"; ok=1; break; }
		n=$((n + 1))
	done
	check_eq "8 unload/reload cycles under 2 attaching loops, each bounded" "$ok" 0
	wait $L1; r1=$?
	wait $L2; r2=$?
	check_eq "the loops saw only refusals and successes" "$r1,$r2" 0,0
	check "both refused and accepted attaches happened" sh -c \
		'cat /tmp/loop1.out /tmp/loop2.out | grep -q "^refused=[1-9]" && cat /tmp/loop1.out /tmp/loop2.out | grep -q "accepted=[1-9]"'
	check_eq "and the hook still arms" "$(cat $H/state)" "$ARMED"
	rmmod dmabuf_revoke
else
	ktap_skip_n 5 "unload under concurrent attaches" "udmabuf or vgem (CONFIG_UDMABUF, CONFIG_DRM_VGEM)"
fi

# --- list knobs parsed at load leak nothing when the load fails ------------
if [ -r /proc/slabinfo ] && grep -q '^kmalloc-4k ' /proc/slabinfo; then
	# Freed objects KASAN still holds in its quarantine count as active
	# until the cache is shrunk (kasan_cache_shrink empties the cache's
	# share of it): shrink before each reading, where SLUB offers it.
	k4shrink() { [ ! -w /sys/kernel/slab/kmalloc-4k/shrink ] || echo 1 >/sys/kernel/slab/kmalloc-4k/shrink; }
	k4shrink
	s0=$(awk '$1=="kmalloc-4k"{print $2}' /proc/slabinfo)
	i=0
	# 30 loads: a leak of one object a load shows as 30; no run of
	# 6.1-7.3 (debug included) has seen the count move without one.
	while [ $i -lt 30 ]; do
		modprobe dmabuf_revoke deny=a,b allow=c exporters=d policy=bogus 2>/dev/null
		i=$((i + 1))
	done
	k4shrink
	s1=$(awk '$1=="kmalloc-4k"{print $2}' /proc/slabinfo)
	ktap_diag "kmalloc-4k active objects: $s0 -> $s1 after 30 failed loads"
	check "30 failed loads with list knobs: no kmalloc-4k growth (< 15)" [ $((s1 - s0)) -lt 15 ]
else
	ktap_skip "failed loads leak nothing" "/proc/slabinfo (CONFIG_SLUB_DEBUG)"
fi
check "the shim loads normally afterwards" modprobe dmabuf_revoke
unload_all
# Leave vfio as the suites after us expect to find it: not loaded.
rmmod vfio_pci vfio_pci_core 2>/dev/null
ktap_done
