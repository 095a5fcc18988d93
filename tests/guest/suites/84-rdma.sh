#!/bin/sh
# shellcheck disable=SC2154 # V_*: set by eval of dbr_vfio run's key=value lines
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
#     revokes it (7.2, 7.3).
. /tests/ktap.sh
. /tests/helpers.sh
PLAN=10
NORDMA="RDMA user memory (CONFIG_INFINIBAND, CONFIG_INFINIBAND_USER_MEM; the debug kernel has no CONFIG_NET)"
NOREVOCABLE="no ib_umem_dmabuf_get_pinned_revocable_and_lock(), RDMA's revocable pinned import (Debian has it in 6.12.118, 7.2 and 7.3)"
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"

ktap_plan $PLAN
if ! find "/lib/modules/$(uname -r)" -name 'dmabuf_revoke_rdma.ko*' | grep -q .; then
	ktap_skip_n $PLAN "RDMA pinned import" "$NORDMA"
	ktap_done
fi

# ib_uverbs holds the pinned import while a callback is mandatory (the stub
# ib_umem_dmabuf_unsupported_move_notify, up to 7.0), ib_core from 7.1.
if have HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP; then RMOD=ib_core; else RMOD=ib_uverbs; fi
REVOCABLE=0
have HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK && REVOCABLE=1

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
modprobe dmabuf_revoke_rdma
check "modprobe dmabuf_revoke_rdma ($RMOD holds the pinned import)" \
	sh -c "[ -d /sys/module/dmabuf_revoke_rdma ] && [ -d /sys/module/$RMOD ]"
echo off >"$P/learn"

# --- test-exporter buffers: policy x pinned/revocable import ----------------
# (dbr_rdma's variants set the policy and put it back; the per-kernel
# class, callback and log line are decided there from the conftest results.)
ktap_harness "RDMA import of a guarded test-exporter buffer, policy x import" dbr_rdma

# --- a vfio-pci buffer (BAR0 of the edu device) -----------------------------
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
	vfio_bind || ktap_diag "edu not bound to vfio-pci"
	ktap_diag "edu ${BDF:-?} on vfio-pci; hook $(cat "$H/state")"
	# import VARIANT: the import is made by dbr_rdma in dbr_vfio's --exec,
	# kept across the revoke, looked at and released in --then.
	IMP="dbr_rdma import --fd \$DBR_VFIO_BUF_FD --pci ${BDF:-none}"
	THEN='id=$(sed -n "s/^id=//p" /tmp/84.imp); [ -z "$id" ] || { dbr_rdma status $id; dbr_rdma release $id; }'
	setpol enforce
	hook_snap
	vrun none --revoke none --exec "$IMP pinned | tee /tmp/84.imp" --then "$THEN"
	moved=$(hook_moved)
	ktap_diag "enforce, pinned import of vfio BAR0: ${V_import_err:-?}, hook $moved"
	check_eq "vfio: BAR0 exported as a dma-buf by vfio_pci_core" \
		"${V_export_err:-?}/${V_exp_name:-?}" 0/vfio_pci_core
	check_eq "vfio, enforce: pinned import refused with EOPNOTSUPP" "${V_import_err:-?}" EOPNOTSUPP
	if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
		check_eq "vfio, enforce: refused by vfio-pci itself (dma_buf_attach_revocable), the hook counted it upstream" \
			"$moved" "hits=1 refused=0 upstream=1"
	else
		check_eq "vfio, enforce: refused by the shim's hook (the stub is denied)" \
			"$moved" "hits=1 refused=1 upstream=0"
	fi
	if [ $REVOCABLE = 1 ]; then
		hook_snap
		vrun none --revoke reset --exec "$IMP revocable | tee /tmp/84.imp" --then "$THEN"
		ktap_diag "enforce, revocable import of vfio BAR0: ${V_import_err:-?} mapped=${V_before_mapped:-?} pinned=${V_before_pinned:-?}; reset ${V_revoke_err:-?}; after: revokes=${V_after_revokes:-?} revoked=${V_after_revoked:-?} mapped=${V_after_mapped:-?}; hook $(hook_moved)"
		check_eq "vfio, enforce: revocable pinned import accepted, BAR0 mapped (P2P to itself)" \
			"${V_import_err:-?}/${V_before_mapped:-?}/${V_before_dev:-?}" "0/1/${BDF:-none}"
		check_eq "vfio: VFIO_DEVICE_RESET revokes it (callback, revoked, unmapped) and completes; released" \
			"${V_revoke_err:-?} ${V_after_revokes:-?}/${V_after_revoked:-?}/${V_after_mapped:-?} ${V_release_err:-?}" \
			"0 1/1/0 0"
	else
		ktap_skip "vfio: revocable pinned import accepted" "$NOREVOCABLE"
		ktap_skip "vfio: VFIO_DEVICE_RESET revokes the revocable import" "$NOREVOCABLE"
	fi
else
	ktap_skip_n 5 "vfio: RDMA pinned import of a vfio-pci buffer" "$NOEXPORT"
fi

setpol enforce
echo audit >"$P/learn"
check_eq "policy, learn and exporters restored" \
	"$(cat "$P/policy") $(cat "$P/learn") $(cat "$P/exporters")" "enforce audit vfio_pci_core"
modprobe -r dmabuf_revoke_rdma
modprobe -r dmabuf_revoke_exporter dmabuf_revoke || ktap_diag "still loaded: $(lsmod | tr '\n' ';')"
check "the RDMA module, the exporter and the shim unload" \
	sh -c '[ ! -d /sys/module/dmabuf_revoke_rdma ] && [ ! -d /sys/module/dmabuf_revoke_exporter ] && [ ! -d /sys/module/dmabuf_revoke ]'
ktap_done
