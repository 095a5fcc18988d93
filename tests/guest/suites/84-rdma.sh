#!/bin/sh
# shellcheck disable=SC2154 # R_*, V_*, B_*: set by eval of a test program's key=value lines
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
#     off, where an exporter's revoke leaves it mapped (the hole);
#   - the revocable pinned import (ib_umem_dmabuf_attach_pinned_revocable_ops,
#     callback ib_umem_dmabuf_revoke_locked: Debian 6.12.118, 7.2, 7.3; not
#     6.1 or 7.0.13) is class revocable and accepted under enforce, and an
#     exporter's revoke unmaps and unpins it;
#   - on a vfio-pci buffer (7.0+): the pinned import is refused, by the
#     shim's hook on 7.0 (the stub), by vfio-pci itself from 7.2
#     (dma_buf_attach_revocable(); the hook counts it "upstream"); the
#     revocable one maps BAR0 (P2P to itself) and VFIO_DEVICE_RESET
#     revokes it (7.2, 7.3).
. /tests/ktap.sh
. /tests/helpers.sh
PLAN=29
NORDMA="RDMA user memory (CONFIG_INFINIBAND, CONFIG_INFINIBAND_USER_MEM; the debug kernel has no CONFIG_NET)"
NOREVOCABLE="no ib_umem_dmabuf_get_pinned_revocable_and_lock(), RDMA's revocable pinned import (Debian has it in 6.12.118, 7.2 and 7.3)"
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"

ktap_plan $PLAN
if ! find "/lib/modules/$(uname -r)" -name 'dmabuf_revoke_rdma.ko*' | grep -q .; then
	ktap_skip_n $PLAN "RDMA pinned import" "$NORDMA"
	ktap_done
fi

# The class of RDMA's plain pinned import: the stub callback while a
# callback is mandatory (move_notify, up to 7.0), none from 7.1.
if have HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP; then
	PCLASS=no-callback PCOUNT=class_no_callback RMOD=ib_core
	PREASON='importer ops without a revocation callback, callback -'
	PCACHE='class=no-callback callback=- '
else
	PCLASS=denied PCOUNT=class_denied RMOD=ib_uverbs
	PREASON="built-in deny entry (RDMA pinned importer stub), callback ib_umem_dmabuf_unsupported_move_notify \\[$RMOD\\]"
	PCACHE="class=denied callback=ib_umem_dmabuf_unsupported_move_notify \\[$RMOD\\] "
fi
REVOCABLE=0
have HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK && REVOCABLE=1

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
modprobe dmabuf_revoke_rdma
check "modprobe dmabuf_revoke_rdma ($RMOD holds the pinned import)" \
	sh -c "[ -d /sys/module/dmabuf_revoke_rdma ] && [ -d /sys/module/$RMOD ]"
echo off >"$P/learn"
LOG0=$(dmesg | wc -l)
# newlog PATTERN: a kernel log line of this suite matches PATTERN.
newlog() { dmesg | tail -n +$((LOG0 + 1)) | grep -q "$1"; }
# cached PATTERN: the registry caches an importer matching PATTERN.
cached() { grep -q "$1" "$D/registry"; }

# shellcheck disable=SC2034 # read by snap and delta_is (helpers.sh)
COUNTERS="attach_checked attach_allowed attach_audited attach_refused attach_upstream class_legacy class_no_callback class_denied class_allowed class_revocable"
# snap, delta_is: helpers.sh, over $COUNTERS.
rdma() { kv R dbr_rdma "$@"; }

# --- enforce: the plain pinned import is refused ----------------------------
setpol enforce
snap
rdma exp pinned
ktap_diag "enforce, pinned import of a guarded test-exporter buffer: ${R_import_err:-?} ($PCLASS)"
check_eq "enforce: pinned import of a guarded buffer fails with EOPNOTSUPP" "${R_import_err:-?}" EOPNOTSUPP
delta_is "enforce: counted as a refused $PCLASS importer" \
	"attach_checked=1 attach_refused=1 $PCOUNT=1"
check "enforce: the refusal is logged: $PCLASS, naming the callback" \
	newlog "dmabuf_revoke: refused: $PCLASS importer on dmabuf_revoke_rdma ($PREASON) attaching to a dmabuf_revoke_exporter buffer"
check "enforce: the registry caches ib_umem_dmabuf_attach_pinned_ops [$RMOD] as $PCLASS" \
	cached "^cached ib_umem_dmabuf_attach_pinned_ops \\[$RMOD\\] $PCACHE"
check_eq "enforce: the exporter holds nothing of the refused import" \
	"${R_exp_attach:-?}/${R_final_exp_attach:-?}" 0/0

# --- enforce: the revocable pinned import is accepted and revoked -----------
if [ $REVOCABLE = 1 ]; then
	snap
	rdma exp revocable --revoke
	ktap_diag "enforce, revocable: import ${R_import_err:-?}, revoke notified=${R_revoke_notified:-?} stale=${R_revoke_stale:-?}, after: mapped=${R_after_mapped:-?} revokes=${R_after_revokes:-?} revoked=${R_after_revoked:-?}"
	check_eq "enforce: revocable pinned import accepted" "${R_import_err:-?}" 0
	delta_is "enforce: counted as an allowed revocable importer" \
		"attach_checked=1 attach_allowed=1 class_revocable=1"
	check "enforce: the registry caches its ops as revocable (callback ib_umem_dmabuf_revoke_locked)" \
		cached "^cached ib_umem_dmabuf_attach_pinned_revocable_ops \\[$RMOD\\] class=revocable callback=ib_umem_dmabuf_revoke_locked \\[$RMOD\\] "
	check_eq "enforce: imported pinned and mapped (importer; exporter attach/mapped/pinned)" \
		"${R_before_mapped:-?}/${R_before_pinned:-?} ${R_exp_attach:-?}/${R_exp_mapped:-?}/${R_exp_pinned:-?}" "1/1 1/1/1"
	check_eq "enforce: the exporter's revoke reaches it and nothing stays mapped (notified/stale)" \
		"${R_revoke_err:-?} ${R_revoke_notified:-?}/${R_revoke_stale:-?}" "0 1/0"
	check_eq "enforce: it revoked itself: revoke callback, revoked, unmapped, unpinned (exporter mapped/pinned)" \
		"${R_after_revokes:-?}/${R_after_revoked:-?}/${R_after_mapped:-?}/${R_after_pinned:-?} ${R_after_exp_mapped:-?}/${R_after_exp_pinned:-?}" \
		"1/1/0/0 0/0"
	check_eq "enforce: released, the exporter has no attachment left" \
		"${R_release_err:-?}/${R_final_exp_attach:-?}" 0/0
else
	ktap_skip_n 7 "enforce: revocable pinned import" "$NOREVOCABLE"
fi

# --- audit: the plain pinned import passes, logged --------------------------
setpol audit
snap
rdma exp pinned
check_eq "audit: pinned import accepted, released" "${R_import_err:-?}/${R_release_err:-?}" 0/0
delta_is "audit: counted as an audited $PCLASS importer" \
	"attach_checked=1 attach_audited=1 $PCOUNT=1"
check "audit: logged, naming the callback" \
	newlog "dmabuf_revoke: audit: $PCLASS importer on dmabuf_revoke_rdma ($PREASON) attaching to a dmabuf_revoke_exporter buffer"

# --- off: allowed, and a revoke leaves it mapped (the hole) ------------------
setpol off
snap
rdma exp pinned --revoke
ktap_diag "off, pinned: import ${R_import_err:-?}, revoke notified=${R_revoke_notified:-?} stale=${R_revoke_stale:-?}, after: mapped=${R_after_mapped:-?} pinned=${R_after_pinned:-?}"
check_eq "off: pinned import accepted" "${R_import_err:-?}" 0
delta_is "off: counted as an allowed $PCLASS importer" \
	"attach_checked=1 attach_allowed=1 $PCOUNT=1"
if [ $PCLASS = denied ]; then
	check "off: the revoke called the stub, which only warned" \
		sh -c "[ '${R_revoke_notified:-?}' = 1 ] && dmesg | tail -n +$((LOG0 + 1)) | grep -q 'Invalidate callback should not be called when memory is pinned'"
else
	check_eq "off: the revoke reached no callback (it has none)" "${R_revoke_notified:-?}" 0
fi
check_eq "off: HAZARD: the pinned import stays mapped and pinned after the revoke (stale; importer; exporter)" \
	"${R_revoke_stale:-?} ${R_after_mapped:-?}/${R_after_pinned:-?} ${R_after_exp_mapped:-?}" "1 1/1 1"
check_eq "off: released, the exporter has no attachment left" \
	"${R_release_err:-?}/${R_final_exp_attach:-?}" 0/0

# --- a vfio-pci buffer (BAR0 of the edu device) -----------------------------
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	modprobe vfio-pci && modprobe vfio_iommu_type1 || ktap_diag "modprobe vfio-pci failed"
	eval "$(dbr_vfio bind | sed -n 's/^\([a-z_]*\)=\([A-Za-z0-9_:.,-]*\)$/B_\1=\2/p')"
	ktap_diag "edu ${B_bdf:-?} on ${B_driver:-?}; hook $(cat "$H/state")"
	# import VARIANT: the import is made by dbr_rdma in dbr_vfio's --exec,
	# kept across the revoke, looked at and released in --then.
	IMP="dbr_rdma import --fd \$DBR_VFIO_BUF_FD --pci ${B_bdf:-none}"
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
			"${V_import_err:-?}/${V_before_mapped:-?}/${V_before_dev:-?}" "0/1/${B_bdf:-none}"
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
