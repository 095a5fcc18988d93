#!/bin/sh
# shellcheck disable=SC2154 # V_*, S_*: set by vrun/scen (eval of a test program's key=value lines)
# The demo: one buffer per row, exported by the test exporter (which revokes
# like vfio-pci does around a reset), imported by each kind of importer,
# then revoked. What does each importer still hold afterwards?
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 10
check "load the shim, the test exporter and the test importer" \
	sh -c 'modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer'
ktap_diag "dmabuf_revoke $(cat /sys/kernel/dmabuf_revoke/version) on $(uname -r)"
ktap_diag ""
row() {	# row POLICY MODE
	out=$(dbr_scenario run "$2")
	err=$(echo "$out" | sed -n 's/^attach_err=//p')
	if [ "$err" != 0 ]; then
		verdict="REFUSED ($err)"
		after="-"
	else
		verdict="accepted"
		stale=$(echo "$out" | sed -n 's/^revoked_stale=//p')
		notes=$(echo "$out" | sed -n 's/^revoked_notifications=//p')
		if [ "$stale" = 1 ]; then
			after="STALE mapping kept (notified ${notes:-0}x): use-after-free"
		else
			after="notified ${notes}x, mapping dropped: safe"
		fi
	fi
	ktap_diag "$(printf '%-18s %-10s %-22s %s' "$1" "$2" "$verdict" "$after")"
}
ktap_diag "$(printf '%-18s %-10s %-22s %s' POLICY IMPORTER ATTACH 'AFTER THE EXPORTER REVOKES')"
for pol in off enforce; do
	echo $pol >$P/policy
	for m in legacy stub compliant; do row $pol $m; done
done
cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' \
	/sys/kernel/debug/dmabuf_revoke/registry | head -n1)
echo "+$cb" >$P/deny
row "enforce+deny stub" stub
echo "" >$P/deny
echo Y >$P/strict
row "enforce+strict" stub
row "enforce+strict" compliant
echo N >$P/strict

# The same story with a real vfio-pci dma-buf (BAR0 of the edu device),
# revoked by VFIO_DEVICE_RESET, guarded by the shim's kprobe hook.
vrow() {	# vrow LABEL MODE [dbr_vfio options]
	_l=$1 _m=$2
	shift 2
	r0=$(cat /sys/kernel/dmabuf_revoke/counters/attach_refused)
	out=$(dbr_vfio run "$_m" "$@")
	get() { echo "$out" | sed -n "s/^$1=//p"; }
	if [ "$(get attach_err)" != 0 ]; then
		if [ "$(cat /sys/kernel/dmabuf_revoke/counters/attach_refused)" != "$r0" ]; then
			verdict="REFUSED by the shim"
		else
			verdict="REFUSED by vfio-pci"
		fi
		after="-"
	else
		verdict="accepted"
		n=$(get after_notifications)
		m=$(get map_err)
		m=${m:+, map ${m}}
		if [ "$_m" != compliant ] && [ "$1" = --nomap ]; then
			after="still attached (notified ${n}x, ignored; never mapped)"
		elif [ "$(get after_attached)" = 1 ] && [ "$_m" != compliant ]; then
			after="STILL ATTACHED (notified ${n}x, ignored${m}): hazard"
		else
			after="notified ${n}x, holds nothing${m}: safe"
		fi
	fi
	ktap_diag "$(printf '%-18s %-10s %-22s %s' "$_l" "$_m" "$verdict" "$after")"
}
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	modprobe vfio-pci && modprobe vfio_iommu_type1 && dbr_vfio bind >/dev/null
	check "edu bound to vfio-pci" [ -e /sys/bus/pci/drivers/vfio-pci/"$(dbr_vfio info | sed -n 's/^bdf=//p')" ]
	ktap_diag ""
	ktap_diag "vfio-pci dma-buf (BAR0 of edu, exp_name $(dbr_vfio run none --revoke none | sed -n 's/^exp_name=//p')), hook $(cat /sys/kernel/dmabuf_revoke/hook/state):"
	ktap_diag "$(printf '%-18s %-10s %-22s %s' POLICY IMPORTER ATTACH 'AFTER VFIO_DEVICE_RESET')"
	nm=
	have HAVE_DMA_BUF_ATTACH_REVOCABLE && nm=--nomap	# 7.1+ reset waits for unmaps
	echo off >$P/policy
	vrow off legacy
	have HAVE_DMA_BUF_ATTACH_REVOCABLE && vrow off nocb
	vrow off stub $nm
	echo enforce >$P/policy
	echo "+$cb" >$P/deny
	vrow "enforce+deny stub" stub $nm
	echo "" >$P/deny
	vrow enforce compliant
	have HAVE_DMA_BUF_ATTACH_REVOCABLE &&
		ktap_diag "(7.1+: vfio-pci refuses callback-less importers; its revoke waits for every unmap)"
	have HAVE_DMA_BUF_ATTACH_REVOCABLE ||
		ktap_diag "(7.0, CONFIG_DMABUF_MOVE_NOTIFY=n: every map pins, vfio-pci's pin fails: nobody maps; the hazard is the attachment)"
	vbound=1
else
	ktap_skip "vfio-pci table" "vfio-pci dma-buf export (5d74781ebc86, v6.19)"
fi

# The hang named, the learned refusal. An importer still mapped
# stale_timeout_ms after a revoke began is named by the watchdog and, with
# learn=deny, refused under enforce on its next attach. On 7.2+ vfio-pci's
# reset waits, with no bound, for that unmap: a real hang, shown on BAR0 of
# edu; elsewhere the test exporter's revoke waits for unmaps the same way.
st0=$(cat $P/stale_timeout_ms) learn0=$(cat $P/learn) pol0=$(cat $P/policy)
STUB='dbr_imp_stub_cb [dmabuf_revoke_importer]'
echo 300 >$P/stale_timeout_ms
echo deny >$P/learn
echo >$P/learned
setpol enforce
LOG0=$(dmesg | wc -l)
s0=$(sed -n '1s/^# size=[0-9]* last_seq=\([0-9]*\) .*/\1/p' $D/events)
newlog() { dmesg | tail -n +$((LOG0 + 1)) | sed 's/^\[[ 0-9.]*\] //'; }
ktap_diag ""
ktap_diag "The hang named, the learned refusal (stale_timeout_ms=300, learn=deny, policy=enforce):"
if [ -n "${vbound:-}" ] && have HAVE_DMA_BUF_INVALIDATE_MAPPINGS; then
	# 7.2+: vfio-pci's revoke waits for every unmap.
	vexp=vfio_pci_core
	vrun stub --revoke reset --hang 5000
	line=$(newlog | grep "^dmabuf_revoke: stale: $vexp buffer .*still mapped" | head -n1)
	ktap_diag "stub maps BAR0 of edu; VFIO_DEVICE_RESET: $([ "$V_hang_blocked" = 1 ] && echo blocked || echo 'NOT blocked'); ${V_hang_named_ms:-?} ms into it, the watchdog:"
	ktap_diag "  ${line:-no watchdog line}"
	ktap_diag "import released from another process: $([ "$V_hang_reset_done" = 1 ] && echo "the reset completes ${V_hang_reset_ms:-?} ms later" || echo 'the reset is STILL BLOCKED')"
	check "the hang named: the watchdog names the stub blocking VFIO_DEVICE_RESET; released, the reset completes" \
		sh -c "[ '$V_map_err/$V_before_mapped/$V_hang_blocked/$V_hang_named' = 0/1/1/1 ] &&
			echo '$line' | grep -q 'importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device [^)]*) still mapped [0-9]* ms after the revoke' &&
			[ '$V_hang_release_err/$V_hang_reset_done/$V_revoke_err' = 0/1/0 ]"
	if [ "$V_hang_reset_done" != 1 ]; then
		# vfio-pci still waits: unbinding or unloading would too.
		ktap_diag "VFIO_DEVICE_RESET still blocked: leaving the device as it is"
		ktap_done
	fi
	attach() { vrun "$1" --nomap --revoke none; echo "$V_attach_err"; }
else
	vexp=dmabuf_revoke_exporter
	scen stub --revoke-wait 1000
	line=$(newlog | grep "^dmabuf_revoke: stale: $vexp buffer .*still mapped" | head -n1)
	ktap_diag "stub maps a test-exporter buffer; the revoke waits for its unmap (as vfio-pci's reset does on 7.2+); the watchdog:"
	ktap_diag "  ${line:-no watchdog line}"
	ktap_diag "the exporter gives up after 1 s$([ "${S_revoke_stale:-}" = 1 ] && echo ', the stub still mapped')"
	if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
		ktap_diag "(not on vfio-pci: it exports no dma-bufs before 6.19)"
	else
		ktap_diag "(not on vfio-pci: before 7.2 its reset does not wait for unmaps, and here no importer can map its buffers (no pin op); make demo, on 7.3, shows it)"
	fi
	check "the hang named: the watchdog names the stub still mapped through the revoke" \
		sh -c "[ '${S_attach_err:-unset}/${S_before_mapped:-}/${S_revoke_stale:-}' = 0/1/1 ] &&
			echo '$line' | grep -q 'importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device [^)]*) still mapped [0-9]* ms after the revoke'"
	attach() { dbr_scenario run "$1" --nomap | sed -n 's/^attach_err=//p'; }
fi
# Learning runs in the watchdog's work item, a grace period after it names.
i=0
while [ "$(cat $P/learned)" != "$STUB" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
learned=$(dmabuf-revokectl learned list)
ktap_diag "dmabuf-revokectl learned list: ${learned:-(empty)}"
check_eq "learned: the named stub's callback is in the set" "$learned" "$STUB"
a_stub=$(attach stub)
a_comp=$(attach compliant)
den=$(newlog | grep "^dmabuf_revoke: denied (learned): .*dbr_imp_stub_cb" | head -n1)
ktap_diag "$(printf '%-18s %-10s %s' 'next attach' stub "$([ "$a_stub" = 0 ] && echo accepted || echo "REFUSED ($a_stub)")")"
ktap_diag "  ${den:-no 'denied (learned)' line}"
ktap_diag "$(printf '%-18s %-10s %s' 'next attach' compliant "$([ "$a_comp" = 0 ] && echo accepted || echo "REFUSED ($a_comp)")")"
check "the learned refusal: the stub is denied (learned) on its next attach, a compliant importer passes" \
	[ "$a_stub/$a_comp/${den:+logged}" = EOPNOTSUPP/0/logged ]
dmabuf-revokectl learned clear >/dev/null
a_again=$(attach stub)
ktap_diag "$(printf '%-18s %-10s %s' 'learned clear' stub "$([ "$a_again" = 0 ] && echo 'accepted again' || echo "REFUSED ($a_again)")")"
check_eq "learned clear: the set is empty, the stub attaches again" "$(dmabuf-revokectl learned list)/$a_again" /0
ktap_diag "dmabuf-revokectl events (revokes, stale, refusals since the hang):"
dmabuf-revokectl events >/tmp/demo.ev 2>&1
awk -v s="${s0:-0}" '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+\.[0-9]+$/ && $1 + 0 > s + 0 && ($3 != "attach" || / verdict=refuse/) && !/ mapped=0$/' /tmp/demo.ev >/tmp/demo.ev2
while IFS= read -r l; do ktap_diag "$l"; done </tmp/demo.ev2
check "events: the stub's stale event and its refused attach" \
	sh -c "grep -q ' stale .*dbr_imp_stub_cb' /tmp/demo.ev2 && grep -q ' attach .*dbr_imp_stub_cb.* verdict=refuse' /tmp/demo.ev2"
echo "$st0" >$P/stale_timeout_ms
echo "$learn0" >$P/learn
echo "$pol0" >$P/policy
if [ -n "${vbound:-}" ]; then
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
fi
ktap_diag ""
ktap_diag "counters: $(cd /sys/kernel/dmabuf_revoke/counters && for f in attach_checked attach_refused revocations stale_mappings; do printf '%s=%s ' $f "$(cat $f)"; done)"
check "refusals were counted" [ "$(cat /sys/kernel/dmabuf_revoke/counters/attach_refused)" -gt 0 ]
# What the hook costs, in brief (make bench has the whole story): the
# bench loads and unloads the shim itself, so the test modules go first.
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter
modprobe dmabuf_revoke_bench &&
	dbr_bench -r 3 -n 50 -s 4 -L 100 >/tmp/bench.out 2>&1
B_ratio=$(sed -n 's/^bench: [^ ]* cycle-guarded ratio=\([0-9.]*\).*/\1/p' /tmp/bench.out)
B_ns=$(sed -n 's/^csv:ns,cycle,\([0-9]*\)[^,]*,[^,]*,\([0-9]*\).*/\1 \2/p' /tmp/bench.out)
check "bench ran" [ -n "$B_ratio" ]
ktap_diag ""
ktap_diag "attach+map+unmap+detach without the shim / with it guarding the exporter: ${B_ns% *} / ${B_ns#* } ns/op, ratio ${B_ratio} (in-kernel timing, 3 interleaved rounds; make bench for more)"
modprobe -r dmabuf_revoke_bench dmabuf_revoke 2>/dev/null
check "unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
