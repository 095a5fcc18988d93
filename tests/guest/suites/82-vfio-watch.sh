#!/bin/sh
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
# the missing kernel feature. dbr_vfio_watch_test asserts on the buffer,
# the import and the reset (see its header); this suite checks the kernel
# log and the trace around each of its fixtures.
. /tests/ktap.sh
. /tests/helpers.sh
NOWAIT="vfio-pci's revoke waiting for every unmap (kref + completion, v7.2)"

if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	kind=noexport; ktap_plan 5
elif have HAVE_DMA_BUF_INVALIDATE_MAPPINGS; then
	kind='wait'; ktap_plan 16
else
	kind=nowait; ktap_plan 16
fi
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
T=/sys/kernel/tracing/instances/dbr_vfio_watch
mkdir -p $T 2>/dev/null
E=$T/events/dmabuf_revoke

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe of the test modules failed"
check_eq "track_guarded defaults to Y" "$(cat $P/track_guarded)" Y
modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
check "edu bound to vfio-pci" vfio_bind

mark() { LOG0=$(dmesg | wc -l); echo >$T/trace; }
newlog() { dmesg | tail -n +$((LOG0 + 1)); }

W="env DBR_VFIO_BDF=$BDF dbr_vfio_watch_test"
if [ $kind = noexport ]; then
	ktap_harness "vfio-pci buffers tracked and watched" $W
else
	echo 1 >$E/enable

	# --- tracked while attached, forgotten after; track_guarded=N; deny --
	ktap_harness "tracked while attached, forgotten after" $W -f track
	check "the log says the exporter is tracked (map/unmap probed)" \
		sh -c "dmesg | grep -q 'dmabuf_revoke: vfio_pci_core: tracking its attachments, maps and revokes'"

	# --- a revoke of the tracked buffer ---------------------------------
	mark
	ktap_harness "compliant: a reset notifies it, it holds nothing" $W -r revoke.compliant.reset
	[ $kind = wait ] && want=1 || want=0
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
	check "compliant: no watchdog line in the log" \
		sh -c "! dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: stale:'"

	# --- a stub stays mapped: on 7.2+ the reset hangs until it is released
	mark
	failed=$KTAP_FAILED KTAP_FAILED=0
	ktap_harness "stub: the reset waits for it, the watchdog names it" $W -r revoke.stub.reset
	if [ $KTAP_FAILED = 1 ] && [ $kind = wait ]; then
		# The reset may still be blocked: unbinding or unloading would wait too.
		ktap_diag "the stub's reset failed: leaving the device as it is"
		ktap_done
	fi
	KTAP_FAILED=$((failed | KTAP_FAILED))
	if [ $kind = wait ]; then
		line=$(newlog | grep 'dmabuf_revoke: stale: vfio_pci_core buffer ' | grep 'still mapped' | head -n1)
		ktap_diag "${line:-no watchdog line}"
		check "log: importer dbr_imp_stub_cb [dmabuf_revoke_importer] (device $BDF) still mapped" \
			sh -c "echo '$line' | grep -q 'importer dbr_imp_stub_cb \[dmabuf_revoke_importer\] (device $BDF) still mapped [0-9]* ms after the revoke'"
		check "trace: dbr_stale names it" \
			grep -q 'dbr_stale: exporter=vfio_pci_core .* importer="dbr_imp_stub_cb \[dmabuf_revoke_importer\]" ms=' $T/trace
		check "trace: dbr_unmapped of the stub after the release" \
			grep -q 'dbr_unmapped: exporter=vfio_pci_core .*importer="dbr_imp_stub_cb' $T/trace
		check "log: it unmapped, and when" \
			sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'stale: vfio_pci_core buffer .*dbr_imp_stub_cb.*(device $BDF) unmapped [0-9]* ms after the revoke'"
	else
		ktap_skip_n 4 "the watchdog names a stub blocking VFIO_DEVICE_RESET" "$NOWAIT"
	fi
	check "nothing left tracked" sh -c "! grep -q vfio_pci_core $D/buffers"
	echo 0 >$E/enable
fi
rmdir $T 2>/dev/null

check "no hook misses" [ "$(cat $H/missed)" = 0 ]
vfio_unload
ktap_done
