#!/bin/sh
# A real vfio-pci dma-buf (BAR0 of the edu device) against the test
# importer, through the shim's kprobe hook: what VFIO itself refuses, what
# the shim refuses, and what an accepted importer still holds after VFIO
# revokes the buffer (VFIO_DEVICE_RESET, PCI_COMMAND memory off, close).
#
# Facts this suite pins down (dbr_vfio_test asserts them, see its header):
#  - v6.19/7.0 vfio-pci refuses only importers without peer2peer (legacy).
#    Debian builds with CONFIG_DMABUF_MOVE_NOTIFY=n, so the dma-buf core
#    pins every dynamic importer on map (dma_buf_pin_on_map()) and
#    vfio-pci's pin op fails: no importer ever maps, but a non-revocable
#    one is accepted and keeps its attachment across every revoke.
#  - v7.1+ vfio-pci refuses importers without a callback itself
#    (dma_buf_attach_revocable()); the shim adds the deny list and strict.
#    Its map needs a PCI importer with a P2P path (pci_p2pdma_map_type()):
#    dbr_vfio_test attaches as the edu device itself (DBR_IMP_PCI_DEV), so
#    stub and compliant importers really map the BAR there; as the
#    importer's own misc device the map fails EINVAL.
#  - Before v6.19 vfio-pci exports no dma-bufs; the hook then guards only
#    the exporters named in exporters= (the test exporter here).
. /tests/ktap.sh
. /tests/helpers.sh

if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	kind=noexport; ktap_plan 14
elif have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
	kind=upstream; ktap_plan 15
else
	kind=exposed; ktap_plan 15
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

check "edu bound to vfio-pci, in an IOMMU group, bus reset available" vfio_bind --reset bus
ktap_diag "edu: $(dbr_vfio info | xargs)"

# --- the test exporter's unguarded buffers, guarded by exporters= ---------
setpol strict
hook_snap
check "strict, exporters=vfio_pci_core: unguarded test buffer not guarded, stub accepted" \
	dbr_scenario attach stub --unguarded --nomap --expect 0
check_eq "strict, exporters=vfio_pci_core: the hook did not see it" \
	"$(hook_moved)" "hits=0 refused=0 upstream=0"
echo +dmabuf_revoke_exporter >$P/exporters
hook_snap
check "strict, exporters+=dmabuf_revoke_exporter: the hook refuses the stub" \
	dbr_scenario attach stub --unguarded --nomap --expect EOPNOTSUPP
check_eq "strict, exporters+=dmabuf_revoke_exporter: the hook saw it and refused it" \
	"$(hook_moved)" "hits=1 refused=1 upstream=0"
check "strict, hook-guarded: registered compliant importer accepted" \
	dbr_scenario attach compliant --unguarded --nomap --expect 0
echo -dmabuf_revoke_exporter >$P/exporters
check_eq "exporters back to the default" "$(cat $P/exporters)" vfio_pci_core

# --- the vfio-pci dma-buf: every assertion in dbr_vfio_test ---------------
# Its variants set policy, strict and deny themselves and put them back.
ktap_harness "vfio-pci dma-buf" env DBR_EXPECT_BACKEND=kprobe DBR_VFIO_BDF="$BDF" dbr_vfio_test

if [ $kind = noexport ]; then
	dbr_vfio unbind >/dev/null
	modprobe -r vfio-pci vfio_iommu_type1
	check_eq "vfio_pci_core unloaded: waiting again" "$(cat $H/state)" waiting
	modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
	check "all modules unload" [ ! -d /sys/module/dmabuf_revoke ]
	ktap_done
fi

check "no hook misses" [ "$(cat $H/missed)" = 0 ]
check "dmesg names the refused importer on vfio_pci_core" \
	sh -c "dmesg | grep -q 'dmabuf_revoke: refused: .* attaching to a vfio_pci_core buffer'"
vfio_unload
ktap_done
