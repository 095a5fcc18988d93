#!/bin/sh
# The demo: one buffer per row, exported by the test exporter (which revokes
# like vfio-pci does around a reset), imported by each kind of importer,
# then revoked. What does each importer still hold afterwards?
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 5
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
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
else
	ktap_skip "vfio-pci table" "vfio-pci dma-buf export (5d74781ebc86, v6.19)"
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
