#!/bin/sh
# The real RDMA pinned importer (issue 10 item 6): the kernel's own
# ib_umem_dmabuf_get_pinned() and, where it exists,
# ib_umem_dmabuf_get_pinned_revocable_and_lock(), called by the guest-only
# module dmabuf_revoke_rdma (tests/rdma) on an unregistered ib_device whose
# DMA device is its own root device, or the exporting PCI device for a
# vfio-pci buffer (the one importer with a P2P path to it).
#
# Facts this suite pins down, per kernel (from each kernel's own ib_uverbs /
# ib_core; see README "What it does on each kernel"):
#   - the pinned import's ops are ib_umem_dmabuf_attach_pinned_ops: up to
#     7.0 with the stub ib_umem_dmabuf_unsupported_move_notify (it only
#     warns; in ib_uverbs): the shim's built-in deny entry, class denied;
#     from 7.1 without a callback (seen on 7.2, 7.3, in ib_core): class no-callback.
#     Either way refused under enforce on a guarded test-exporter buffer
#     (EOPNOTSUPP from the import), audited under audit, allowed under
#     off; where accepted, an exporter's revoke leaves it mapped (the hole);
#   - the revocable pinned import (ib_umem_dmabuf_attach_pinned_revocable_ops,
#     callback ib_umem_dmabuf_revoke_locked: Debian 6.12.118, 7.2, 7.3; not
#     6.1 or 7.0.13) is class revocable and accepted under every policy,
#     and an exporter's revoke unmaps and unpins it;
#   (on test-exporter buffers: dbr_rdma's harness variants, policy x import);
#   - on a vfio-pci buffer (7.0+): the pinned import is refused, by the
#     shim's hook on 7.0 (the stub), by vfio-pci itself from 7.2
#     (dma_buf_attach_revocable(); the hook counts it "upstream"); the
#     revocable one maps BAR0 (P2P to itself) and VFIO_DEVICE_RESET
#     revokes it (7.2, 7.3)
#   (dbr_rdma's fixture vfio, a variant per import).
. /tests/ktap.sh
. /tests/helpers.sh
PLAN=6
NORDMA="RDMA user memory (CONFIG_INFINIBAND, CONFIG_INFINIBAND_USER_MEM; the debug kernel has no CONFIG_NET)"

ktap_plan $PLAN
if ! find "/lib/modules/$(uname -r)" -name 'dmabuf_revoke_rdma.ko*' | grep -q .; then
	ktap_skip_n $PLAN "RDMA pinned import" "$NORDMA"
	ktap_done
fi

# ib_uverbs holds the pinned import while a callback is mandatory (the stub
# ib_umem_dmabuf_unsupported_move_notify, up to 7.0), ib_core from 7.1.
if have HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP; then RMOD=ib_core; else RMOD=ib_uverbs; fi

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
modprobe dmabuf_revoke_rdma
check "modprobe dmabuf_revoke_rdma ($RMOD holds the pinned import)" \
	sh -c "[ -d /sys/module/dmabuf_revoke_rdma ] && [ -d /sys/module/$RMOD ]"
echo off >"$P/learn"

# --- test-exporter buffers: policy x pinned/revocable import ----------------
# (dbr_rdma's variants set the policy and put it back; the per-kernel
# class, callback and log line are decided there from the conftest results.)
ktap_harness "RDMA import of a guarded test-exporter buffer, policy x import" dbr_rdma -F vfio

# --- a vfio-pci buffer (BAR0 of the edu device) -----------------------------
# (dbr_rdma's fixture sets enforce and puts the knobs back; before v6.19
# vfio-pci exports no dma-buf and it skips, naming that.)
BDF=
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
	vfio_bind || ktap_diag "edu not bound to vfio-pci"
	ktap_diag "edu ${BDF:-?} on vfio-pci; hook $(cat "$H/state")"
fi
ktap_harness "RDMA import of a vfio-pci buffer" env DBR_VFIO_BDF="$BDF" dbr_rdma -f vfio

# The fixtures put the policy back themselves: no setpol here.
echo audit >"$P/learn"
check_eq "policy, learn and exporters restored" \
	"$(cat "$P/policy") $(cat "$P/learn") $(cat "$P/exporters")" "enforce audit vfio_pci_core"
check "the RDMA module, the exporter and the shim unload" \
	unload dmabuf_revoke_rdma dmabuf_revoke_exporter dmabuf_revoke
ktap_done
