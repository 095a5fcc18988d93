#!/bin/sh
# shellcheck disable=SC2154 # V_*, S_*, B_*, R_*: set by eval of a test program's key=value lines
# A real vfio-pci dma-buf (BAR0 of the edu device) against the test
# importer, through the shim's kprobe hook: what VFIO itself refuses, what
# the shim refuses, and what an accepted importer still holds after VFIO
# revokes the buffer (VFIO_DEVICE_RESET, PCI_COMMAND memory off, close).
#
# Facts this suite pins down (see tests/guest/bin/dbr_vfio.c):
#  - v6.19/7.0 vfio-pci refuses only importers without peer2peer (legacy).
#    Debian builds with CONFIG_DMABUF_MOVE_NOTIFY=n, so the dma-buf core
#    pins every dynamic importer on map (dma_buf_pin_on_map()) and
#    vfio-pci's pin op fails: no importer ever maps, but a non-revocable
#    one is accepted and keeps its attachment across every revoke.
#  - v7.1+ vfio-pci refuses importers without a callback itself
#    (dma_buf_attach_revocable()); the shim adds the deny list and strict.
#    Its map needs a PCI importer with a P2P path (pci_p2pdma_map_type()):
#    dbr_vfio attaches as the edu device itself (DBR_IMP_PCI_DEV), so
#    stub and compliant importers really map the BAR there; as the
#    importer's own misc device (--nopci) the map fails EINVAL.
#  - Before v6.19 vfio-pci exports no dma-bufs; the hook then guards only
#    the exporters named in exporters= (the test exporter here).
. /tests/ktap.sh
. /tests/helpers.sh
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"

if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	kind=noexport; ktap_plan 12
elif have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
	kind=upstream; ktap_plan 29
else
	kind=exposed; ktap_plan 35
fi


modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe of the test modules failed"
check_eq "hook backend" "$(cat $H/backend)" kprobe

# --- hook state as vfio_pci_core loads ------------------------------------
if [ $kind = upstream ]; then
	check_eq "vfio_pci_core not loaded: upstream-enforced (7.1+ vfio-pci checks callbacks)" \
		"$(cat $H/state)" upstream-enforced
else
	check_eq "vfio_pci_core not loaded: waiting" "$(cat $H/state)" waiting
fi
modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
if [ $kind = upstream ]; then
	check_eq "vfio_pci_core loaded: still upstream-enforced" "$(cat $H/state)" upstream-enforced
else
	check_eq "vfio_pci_core loaded: armed" "$(cat $H/state)" armed
fi
case $kind in
noexport) want="; vfio_pci_core loaded, exports no dma-bufs on this kernel" ;;
*) want="; vfio_pci_core loaded" ;;
esac
check_eq "hook target says vfio_pci_core is loaded" "$(sed 's/^[^;]*//' $H/target)" "$want"

eval "$(dbr_vfio bind | sed -n 's/^\([a-z_]*\)=\([A-Za-z0-9_:.,-]*\)$/B_\1=\2/p')"
check_eq "edu bound to vfio-pci, in an IOMMU group, bus reset available" \
	"$B_driver/${B_group:+group}/$(echo "$B_reset_method" | grep -o bus)" "vfio-pci/group/bus"
ktap_diag "edu $B_bdf group $B_group reset_method $B_reset_method"

# --- the test exporter's unguarded buffers, guarded by exporters= ---------
setpol strict
hook_snap
scen stub --unguarded --nomap
check_eq "strict, exporters=vfio_pci_core: unguarded test buffer not guarded, stub accepted" \
	"$S_attach_err $(hook_moved)" "0 hits=0 refused=0 upstream=0"
echo +dmabuf_revoke_exporter >$P/exporters
hook_snap
scen stub --unguarded --nomap
check_eq "strict, exporters+=dmabuf_revoke_exporter: the hook refuses the stub" \
	"$S_attach_err $(hook_moved)" "EOPNOTSUPP hits=1 refused=1 upstream=0"
scen compliant --unguarded --nomap
check_eq "strict, hook-guarded: registered compliant importer accepted" "$S_attach_err" 0
echo -dmabuf_revoke_exporter >$P/exporters
check_eq "exporters back to the default" "$(cat $P/exporters)" vfio_pci_core

# --- kernels whose vfio-pci exports no dma-bufs ----------------------------
if [ $kind = noexport ]; then
	setpol off
	vrun none --revoke none
	check_eq "VFIO_DEVICE_FEATURE_DMA_BUF is unknown here ($NOEXPORT)" "$V_export_err" ENOTTY
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
	check_eq "vfio_pci_core unloaded: waiting again" "$(cat $H/state)" waiting
	modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
	check "all modules unload" [ ! -d /sys/module/dmabuf_revoke ]
	ktap_done
fi

# --- an exported BAR0 -----------------------------------------------------
setpol off
vrun none --revoke none
check_eq "BAR0 exported as a dma-buf by vfio_pci_core, no attachment" \
	"$V_export_err/$V_exp_name/$V_attached" "0/vfio_pci_core/0"

if [ $kind = exposed ]; then
	# ---- v6.19/7.0: the exposed window ----------------------------------
	for r in reset command close; do
		hook_snap
		vrun stub --revoke $r
		check_eq "off/$r: stub attaches (hook saw it, let it pass)" \
			"$V_attach_err/$V_attached $(hook_moved)" "0/1 hits=1 refused=0 upstream=0"
		check_eq "off/$r: map fails at vfio's pin op (CONFIG_DMABUF_MOVE_NOTIFY=n pins on map)" \
			"$V_map_err/$V_before_mapped/$V_before_last_map_err" "EOPNOTSUPP/0/EOPNOTSUPP"
		check "off/$r: revoke worked and notified the stub" \
			sh -c "[ '$V_revoke_err' = 0 ] && [ '${V_after_notifications:-0}' -ge 1 ]"
		check_eq "off/$r: HAZARD: stub still attached after the revoke" \
			"$V_after_attached/$V_after_mapped" "1/0"
		ktap_diag "off/$r: notifications=$V_after_notifications attached=$V_after_attached mapped=$V_after_mapped map_err=$V_map_err"
	done
	ktap_diag "7.0: a non-revocable importer is accepted and keeps its attachment across reset/memory-off/close;"
	ktap_diag "7.0: it cannot map: dma_buf_pin_on_map() pins dynamic importers (MOVE_NOTIFY=n) and vfio's pin returns EOPNOTSUPP"

	hook_snap
	vrun legacy --revoke none
	check_eq "off: legacy refused by vfio-pci itself (no peer2peer), not by the shim" \
		"$V_attach_err $(hook_moved)" "EOPNOTSUPP hits=1 refused=0 upstream=0"

	setpol enforce
	hook_snap
	vrun legacy --revoke none
	check_eq "enforce: legacy refused by the shim" "$V_attach_err $(hook_moved)" \
		"EOPNOTSUPP hits=1 refused=1 upstream=0"
	hook_snap
	vrun stub --nomap
	check_eq "enforce: plain stub accepted (its callback looks revocable)" \
		"$V_attach_err $(hook_moved)" "0 hits=1 refused=0 upstream=0"
	cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' $D/registry | head -n1)
	echo "+$cb" >$P/deny
	hook_snap
	vrun stub --nomap
	check_eq "enforce: deny-listed stub ($cb) refused by the shim" \
		"$V_attach_err/$V_attached $(hook_moved)" "EOPNOTSUPP/ hits=1 refused=1 upstream=0"
	echo "" >$P/deny
	setpol strict
	hook_snap
	vrun stub --nomap
	check_eq "enforce+strict: stub refused by the shim" "$V_attach_err $(hook_moved)" \
		"EOPNOTSUPP hits=1 refused=1 upstream=0"
	setpol enforce
	vrun compliant --revoke reset
	check_eq "enforce: compliant accepted" "$V_attach_err" 0
	check_eq "enforce: compliant (as the edu device) cannot map either: vfio's pin op" \
		"$V_importer_dev/$V_map_err/$V_before_mapped" "$B_bdf/EOPNOTSUPP/0"
	check "enforce: compliant notified by the reset" ge1 "$V_after_notifications"
	check_eq "enforce: compliant holds nothing after the reset" \
		"$V_after_mapped/$V_after_stale/$V_restored_mapped" "0/0/0"
	vrun compliant --revoke close
	check_eq "enforce: compliant notified on close, holds nothing" \
		"$V_attach_err/$(ge1 "$V_after_notifications" && echo n)/$V_after_mapped" "0/n/0"
else
	# ---- v7.1+: vfio-pci checks callbacks itself -----------------------
	hook_snap
	vrun nocb --revoke none
	check_eq "off: nocb refused by vfio-pci itself" "$V_attach_err $(hook_moved)" \
		"EOPNOTSUPP hits=1 refused=0 upstream=1"
	hook_snap
	vrun legacy --revoke none
	check_eq "off: legacy refused by vfio-pci itself" "$V_attach_err $(hook_moved)" \
		"EOPNOTSUPP hits=1 refused=0 upstream=1"
	setpol enforce
	hook_snap
	vrun nocb --revoke none
	check_eq "enforce: nocb left to vfio-pci (counted upstream, not refused)" \
		"$V_attach_err $(hook_moved)" "EOPNOTSUPP hits=1 refused=0 upstream=1"
	# A mapped stub would block the reset (7.2 waits for every unmap):
	# mapped stubs are never revoked here; dbr_vfio releases them.
	hook_snap
	vrun stub --revoke none
	check_eq "enforce: plain stub accepted" "$V_attach_err $(hook_moved)" "0 hits=1 refused=0 upstream=0"
	check_eq "stub attached as the edu device maps the BAR (P2P to itself)" \
		"$V_importer_dev/$V_map_err/$V_before_mapped/$V_before_maps/$V_release_err" "$B_bdf/0/1/1/0"
	vrun stub --nopci --revoke none
	check_eq "stub attached as the importer's misc device cannot map (no PCI: pci_p2pdma_map_type)" \
		"$V_importer_dev/$V_attach_err/$V_map_err/$V_before_mapped" "misc/0/EINVAL/0"
	vrun stub --nomap --revoke reset
	check_eq "enforce: unmapped stub notified by the reset, still attached" \
		"$V_attach_err/$(ge1 "$V_after_notifications" && echo n)/$V_after_attached" "0/n/1"
	cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' $D/registry | head -n1)
	echo "+$cb" >$P/deny
	hook_snap
	vrun stub --nomap
	check_eq "enforce: deny-listed stub ($cb) refused by the shim" "$V_attach_err $(hook_moved)" \
		"EOPNOTSUPP hits=1 refused=1 upstream=0"
	setpol off
	vrun stub --nomap --revoke none
	check_eq "off: deny-listed stub accepted (the shim is off)" "$V_attach_err" 0
	setpol enforce
	echo "" >$P/deny
	echo "+mod:dmabuf_revoke_importer" >$P/deny
	vrun compliant --nomap --revoke none
	check_eq "enforce: deny mod:dmabuf_revoke_importer refuses even compliant" "$V_attach_err" EOPNOTSUPP
	echo "" >$P/deny
	vrun compliant --revoke reset
	check_eq "enforce: compliant accepted" "$V_attach_err" 0
	check_eq "enforce: compliant (as the edu device) mapped the BAR before the reset" \
		"$V_importer_dev/$V_map_err/$V_before_mapped/$V_before_stale" "$B_bdf/0/1/0"
	check "enforce: compliant notified by the reset" ge1 "$V_after_notifications"
	check_eq "enforce: compliant holds nothing after the reset" \
		"$V_revoke_err/$V_after_mapped/$V_after_stale" "0/0/0"
	# The reset revokes only for its duration: vfio_pci_dma_buf_move(false).
	check_eq "after the reset vfio restores the buffer: compliant maps it again, not stale" \
		"$V_remap_err/$V_restored_mapped/$V_restored_stale" "0/1/0"
	vrun compliant --revoke close
	check_eq "enforce: compliant mapped, device closed: notified, holds nothing, cannot map again" \
		"$V_before_mapped/$(ge1 "$V_after_notifications" && echo n)/$V_after_mapped/$V_remap_err/$V_restored_mapped" \
		"1/n/0/ENODEV/0"
fi

check "no hook misses" [ "$(cat $H/missed)" = 0 ]
check "dmesg names the refused importer on vfio_pci_core" \
	sh -c "dmesg | grep -q 'dmabuf_revoke: refused: .* attaching to a vfio_pci_core buffer'"
vfio_unload
ktap_done
