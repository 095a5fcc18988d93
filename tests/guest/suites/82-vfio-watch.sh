#!/bin/sh
# shellcheck disable=SC2154 # V_*, B_*: set by eval of a test program's key=value lines
# Tracking a real vfio-pci dma-buf (BAR0 of the edu device) without
# vfio-pci's cooperation (src/probe_track.c), and the stale-mapping watchdog
# on it: on 7.2+ vfio-pci's revoke waits, with no bound, for every mapping
# to go, so a stub importer (declares a callback, ignores it) that stays
# mapped blocks VFIO_DEVICE_RESET; the watchdog must name it (module,
# callback, device) within stale_timeout_ms..2 s, and the reset must
# complete once the import is released from another process.
# Before 7.2 vfio-pci does not wait (and Debian's 7.0 cannot map: its pin
# op fails under CONFIG_DMABUF_MOVE_NOTIFY=n); before 6.19 it exports no
# dma-bufs: there the suite shows what it can and skips the rest, naming
# the missing kernel feature.
. /tests/ktap.sh
. /tests/helpers.sh
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"
NOWAIT="vfio-pci's revoke waiting for every unmap (kref + completion, v7.2)"
have HAVE_DMA_BUF_INVALIDATE_MAPPINGS && NOTIFY=dma_buf_invalidate_mappings ||
	NOTIFY=dma_buf_move_notify

if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	kind=noexport; ktap_plan 6
elif have HAVE_DMA_BUF_INVALIDATE_MAPPINGS; then
	kind='wait'; ktap_plan 27
else
	kind=nowait; ktap_plan 27
fi
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing/instances/dbr_vfio_watch
mkdir -p $T 2>/dev/null
E=$T/events/dmabuf_revoke
TMP=/tmp/82

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe of the test modules failed"
check_eq "track_guarded defaults to Y" "$(cat $P/track_guarded)" Y
modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
eval "$(dbr_vfio bind | sed -n 's/^\([a-z_]*\)=\([A-Za-z0-9_:.,-]*\)$/B_\1=\2/p')"
check_eq "edu bound to vfio-pci" "$B_driver" vfio-pci

mark() { LOG0=$(dmesg | wc -l); echo >$T/trace; n0=$(cat $C/stale_named); }
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
named() { echo $(($(cat $C/stale_named) - n0)); }
# The buffers table while the import is alive (dbr_vfio --exec).
KL=/sys/kernel/debug/kprobes/list
SNAP="cat $D/buffers >$TMP.buf; dmabuf-revokectl list >$TMP.list 2>&1; cat $KL >$TMP.kp"
# kp_state FUNC [FILE]: our probe on FUNC is on, off or absent.
kp_state() {
	_l=$(grep " $1+0x" "${2:-$KL}")
	if [ -z "$_l" ]; then echo absent
	elif echo "$_l" | grep -q DISABLED; then echo off
	else echo on; fi
}

if [ $kind = noexport ]; then
	ktap_skip "a vfio-pci buffer is tracked while attached" "$NOEXPORT"
	ktap_skip "the watchdog names a stub blocking VFIO_DEVICE_RESET" "$NOEXPORT"
else
	setpol enforce
	echo 300 >$P/stale_timeout_ms
	echo 1 >$E/enable
	[ $kind = wait ] && mapopt= || mapopt=--nomap

	# --- tracked while attached, forgotten after -----------------------
	mark
	vrun stub $mapopt --revoke none --exec "$SNAP"
	check_eq "stub attached as the edu device" "$V_attach_err/$V_importer_dev" "0/$B_bdf"
	att=$(grep -A1 'exporter=vfio_pci_core' $TMP.buf | tail -n1)
	ktap_diag "buffers: $(grep 'exporter=vfio_pci_core' $TMP.buf) / $att"
	check "buffers lists the vfio_pci_core buffer, not self-guarded" \
		grep -q "exporter=vfio_pci_core size=4096 guarded=0 state=live" $TMP.buf
	[ $kind = wait ] && want=1 || want=0
	check "its attachment: device $B_bdf, revocable, mapped=$want, callback and module" \
		sh -c "echo '$att' | grep -q 'dev=$B_bdf class=revocable mapped=$want callback=dbr_imp_stub_cb \[dmabuf_revoke_importer\]'"
	check "dmabuf-revokectl list shows it" grep -q 'vfio_pci_core' $TMP.list
	check "forgotten once released (detached)" \
		sh -c "! grep -q vfio_pci_core $D/buffers"
	i=0
	# Turned off a second after the last detach (a work item).
	while [ $i -lt 50 ] && [ "$(kp_state dma_buf_detach)" = on ]; do
		sleep 0.1; i=$((i + 1))
	done
	check_eq "detach/revoke probes on only while tracking (other exporters pay nothing)" \
		"$(kp_state dma_buf_detach $TMP.kp) $(kp_state $NOTIFY $TMP.kp) then $(kp_state dma_buf_detach) $(kp_state $NOTIFY)" \
		"on on then off off"
	check "the log says the exporter is tracked (map/unmap probed)" \
		sh -c "dmesg | grep -q 'dmabuf_revoke: vfio_pci_core: tracking its attachments, maps and revokes'"

	# --- track_guarded=N: nothing recorded, enforcement unchanged ------
	echo N >$P/track_guarded
	vrun stub --nomap --revoke none --exec "$SNAP"
	check "track_guarded=N: attached, not tracked" \
		sh -c "[ '$V_attach_err' = 0 ] && ! grep -q vfio_pci_core $TMP.buf"
	echo Y >$P/track_guarded
	cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' $D/registry | head -n1)
	echo "+$cb" >$P/deny
	hook_snap
	vrun stub --nomap --revoke none --exec "$SNAP"
	check_eq "enforce: deny-listed stub still refused by the hook, not tracked" \
		"$V_attach_err $(hook_moved) $(grep -c vfio_pci_core $TMP.buf)" \
		"EOPNOTSUPP hits=1 refused=1 upstream=0 0"
	echo "" >$P/deny

	# --- a revoke of the tracked buffer ---------------------------------
	mark
	vrun compliant $mapopt --revoke reset
	check_eq "compliant: reset done, notified, holds nothing" \
		"$V_revoke_err/$(ge1 "$V_after_notifications" && echo n)/$V_after_mapped" "0/n/0"
	check "trace: dbr_revoke of the vfio_pci_core buffer (the revoke probe saw it)" \
		grep -q "dbr_revoke: exporter=vfio_pci_core .* mapped_attachments=$want" $T/trace
	if [ $kind = wait ]; then
		check "trace: dbr_unmapped of the compliant importer within the revoke" \
			sh -c "ms=\$(sed -n 's/.*dbr_unmapped: exporter=vfio_pci_core .*importer=\"dbr_imp_compliant_cb.* ms=\([0-9]*\).*/\1/p' $T/trace | head -n1);
				[ -n \"\$ms\" ] && [ \"\$ms\" -lt 300 ]"
	else
		ktap_skip "trace: dbr_unmapped of the compliant importer within the revoke" \
			"a mapped vfio-pci buffer (vfio's pin op fails under CONFIG_DMABUF_MOVE_NOTIFY=n, v7.0)"
	fi
	check "compliant: no watchdog line, no count" \
		sh -c "[ $(named) = 0 ] && ! dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: stale:'"

	# --- a stub stays mapped: the reset hangs until it is released ------
	if [ $kind = wait ]; then
		mark
		vrun stub --revoke reset --hang 5000
		ktap_diag "hang: named=$V_hang_named after ${V_hang_named_ms:-?} ms, blocked=$V_hang_blocked, release=$V_hang_release_err, reset_done=$V_hang_reset_done in ${V_hang_reset_ms:-?} ms, revoke_err=$V_revoke_err"
		check_eq "stub mapped the BAR before the reset" "$V_map_err/$V_before_mapped" 0/1
		check_eq "the reset blocks while the stub stays mapped" "$V_hang_blocked" 1
		check "the watchdog named it 300..2000 ms into the reset (${V_hang_named_ms:-?} ms)" \
			sh -c "[ '$V_hang_named' = 1 ] && [ '${V_hang_named_ms:-0}' -ge 300 ] && [ '${V_hang_named_ms:-0}' -lt 2000 ]"
		line=$(newlog | grep 'dmabuf_revoke: stale: vfio_pci_core buffer ' | grep 'still mapped' | head -n1)
		ktap_diag "${line:-no watchdog line}"
		check "log: importer dbr_imp_stub_cb [dmabuf_revoke_importer] (device $B_bdf) still mapped" \
			sh -c "echo '$line' | grep -q 'importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device $B_bdf) still mapped [0-9]* ms after the revoke'"
		check_eq "stale_named counts it once" "$(named)" 1
		check "trace: dbr_stale names it" \
			grep -q 'dbr_stale: exporter=vfio_pci_core .* importer="dbr_imp_stub_cb \[dmabuf_revoke_importer\]" ms=' $T/trace
		check_eq "released from another process; the reset then completes" \
			"$V_hang_release_err/$V_hang_reset_done/$V_revoke_err" "0/1/0"
		if [ "$V_hang_reset_done" != 1 ]; then
			# vfio-pci still waits: unbinding or unloading would too.
			ktap_diag "VFIO_DEVICE_RESET still blocked: leaving the device as it is"
			ktap_done
		fi
		check "trace: dbr_unmapped of the stub after the release" \
			grep -q 'dbr_unmapped: exporter=vfio_pci_core .*importer="dbr_imp_stub_cb' $T/trace
		check "log: it unmapped, and when" \
			sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'stale: vfio_pci_core buffer .*dbr_imp_stub_cb.*(device $B_bdf) unmapped [0-9]* ms after the revoke'"
		check "nothing left tracked" sh -c "! grep -q vfio_pci_core $D/buffers"
	else
		vrun stub --revoke reset
		check_eq "stub cannot map here (vfio's pin op), the reset returns" \
			"$V_map_err/$V_revoke_err" "EOPNOTSUPP/0"
		ktap_skip_n 8 "the watchdog names a stub blocking VFIO_DEVICE_RESET" "$NOWAIT"
		check "nothing left tracked" sh -c "! grep -q vfio_pci_core $D/buffers"
	fi
	echo 0 >$E/enable
	echo 1000 >$P/stale_timeout_ms
	setpol off
fi
rmdir $T 2>/dev/null

check "no hook misses" [ "$(cat $H/missed)" = 0 ]
vfio_unload
ktap_done
