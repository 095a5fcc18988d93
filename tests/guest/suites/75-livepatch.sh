#!/bin/sh
# The livepatch hook backend (dmabuf_revoke_livepatch, src/livepatch.c):
# it loads only beside a shim loaded with backend=livepatch; it patches
# vfio_pci_core whether that loads before or after; it makes the kprobe
# backend's decisions on a real vfio-pci dma-buf (suite 70-vfio); it refuses
# to patch a vfio_pci_core whose BTF is not the one its layout was derived
# from; and it unloads by disable -> wait for the transition -> rmmod.
#
# Counters differ from the kprobe backend where vfio-pci's own checks refuse
# first (legacy: no peer2peer; v7.1+ nocb: dma_buf_attach_revocable()): the
# replacement makes those checks before asking the shim, as vfio-pci does,
# so the shim never sees those attaches (hits=0). The decisions are the same:
# dbr_vfio_test asserts them, its variants carry both backends' outcomes.
. /tests/ktap.sh
. /tests/helpers.sh
LPM=dmabuf_revoke_livepatch
LP=/sys/kernel/livepatch/$LPM
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"
ZERO=0000000000000000000000000000000000000000000000000000000000000000
ZERO_ID=0000000000000000000000000000000000000000

if ! have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	ktap_plan 1
	ktap_skip "livepatch backend" "$NOEXPORT"
	ktap_done
fi
if [ ! -f "/lib/modules/$(uname -r)/extra/$LPM.ko" ]; then
	ktap_plan 1
	ktap_diag "build: $(cat /tests/expected/vfio-btf.txt 2>/dev/null)"
	ktap_fail "vfio-pci exports dma-bufs here, but $LPM was not built"
	ktap_done
fi
if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
	kind=upstream; armed=upstream-enforced
else
	kind=exposed; armed=armed
fi
ktap_plan 50
ktap_diag "build: $(cat /tests/expected/vfio-btf.txt)"

# The documented way out: disable, wait until the patch is gone, rmmod.
lp_disable() {
	echo 0 >$LP/enabled || return 1
	_i=0
	while [ -e $LP ] && [ $_i -lt 120 ]; do sleep 0.5; _i=$((_i + 1)); done
	[ ! -e $LP ]
}
lp_unload() { lp_disable && rmmod $LPM; }
wait_transition() {
	_i=0
	while [ "$(cat $LP/transition)" != 0 ] && [ $_i -lt 120 ]; do sleep 0.5; _i=$((_i + 1)); done
	[ "$(cat $LP/transition)" = 0 ]
}
stub_cb() {
	sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' $D/registry | head -n1
}

# --- only beside a shim with backend=livepatch -------------------------------
modprobe dmabuf_revoke
check "refuses to load beside the kprobe backend" sh -c "! modprobe $LPM 2>/dev/null"
check "and says why" sh -c "dmesg | grep -q '$LPM: the dmabuf_revoke shim was not loaded with backend=livepatch'"
check "no patch was registered" sh -c "[ ! -d /sys/module/$LPM ] && [ ! -e $LP ]"
modprobe -r dmabuf_revoke
modprobe dmabuf_revoke backend=livepatch
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe of the test modules failed"
check_eq "shim: hook/backend livepatch" "$(cat $H/backend)" livepatch
check_eq "shim: waiting for the livepatch" "$(cat $H/state)" waiting

# --- a vfio_pci_core that is not the one built for: fail closed --------------
check "expect_btf=<other>: loads while vfio_pci_core is not there" modprobe $LPM expect_btf=$ZERO
check "vfio_pci_core refused to load" sh -c '! modprobe vfio-pci 2>/dev/null && [ ! -d /sys/module/vfio_pci_core ]'
check "dmesg: refused, and why" \
	sh -c "dmesg | grep -q \"$LPM: refusing to patch vfio_pci_core: vfio_pci_core's BTF differs\""
check "hook/state: failed, and why" grep -q "^failed: vfio_pci_core's BTF differs" $H/state
check "disable -> unload" lp_unload
modprobe -r vfio_iommu_type1 vfio 2>/dev/null

# --- load first, vfio_pci_core later -----------------------------------------
check "loads with backend=livepatch" modprobe $LPM
check_eq "patch enabled" "$(cat $LP/enabled)" 1
check "transition ends" wait_transition
check_eq "kernel tainted K (TAINT_LIVEPATCH)" $(($(cat /proc/sys/kernel/tainted) >> 15 & 1)) 1
check "module taint has K" grep -q K /sys/module/$LPM/taint
if [ $kind = upstream ]; then w=upstream-enforced; else w=waiting; fi
check_eq "hook/state with vfio_pci_core not loaded" "$(cat $H/state)" $w
check_eq "hook/target" "$(cat $H/target)" \
	"vfio_pci_core:vfio_pci_dma_buf_attach; vfio_pci_core not loaded"
check "vfio_pci_core loads" sh -c 'modprobe vfio-pci && modprobe vfio_iommu_type1'
check "dmesg: vfio_pci_core matched the build-time BTF" \
	sh -c "dmesg | grep -q '$LPM: vfio_pci_core matches the BTF derived at build time'"
check_eq "vfio_pci_core object patched" "$(cat $LP/vfio_pci_core/patched)" 1
check_eq "hook/state with vfio_pci_core loaded" "$(cat $H/state)" $armed

check "edu bound to vfio-pci" vfio_bind

# --- the kprobe backend's decisions (70-vfio), asserted by dbr_vfio_test ----
# Its variants carry the livepatch's outcomes: what vfio-pci refuses itself
# (legacy; 7.1+ nocb; a closed device's buffer: the revoked bit read at the
# BTF-derived offset) the shim never sees.
ktap_harness "vfio-pci dma-buf (livepatch backend, patch applied at vfio_pci_core load)" \
	env DBR_EXPECT_BACKEND=livepatch DBR_VFIO_BDF="$BDF" dbr_vfio_test
check "dmesg names the refused importer on vfio_pci_core" \
	sh -c "dmesg | grep -q 'dmabuf_revoke: refused: .* attaching to a vfio_pci_core buffer'"

# --- rmmod needs the disable first -------------------------------------------
check "rmmod without disabling is refused" sh -c "! rmmod $LPM 2>/dev/null"
check_eq "and the patch stays enabled" "$(cat $LP/enabled)" 1
echo "+$(stub_cb)" >$P/deny
check "disable: the patch goes away" lp_disable
check_eq "hook/state: waiting (patch disabled)" "$(cat $H/state)" waiting
hook_snap
check "unpatched vfio-pci accepts the deny-listed stub" \
	dbr_vfio run stub --nomap --revoke none --expect 0
check_eq "unpatched vfio-pci: the shim not asked" "$(hook_moved)" "hits=0 refused=0 upstream=0"
check "then rmmod works" rmmod $LPM
check "module gone" sh -c "[ ! -d /sys/module/$LPM ] && [ ! -e $LP ]"

# --- vfio_pci_core first, the livepatch later ---------------------------------
check "loads with vfio_pci_core already there" modprobe $LPM
check_eq "vfio_pci_core object patched at once" "$(cat $LP/vfio_pci_core/patched)" 1
check "transition ends" wait_transition
check_eq "hook/state" "$(cat $H/state)" $armed
echo "" >$P/deny
# The same decisions with the patch applied to a loaded vfio_pci_core (the
# deny-listed stub refused again, the shim asked again).
ktap_harness "vfio-pci dma-buf (livepatch backend, vfio_pci_core patched while loaded)" \
	env DBR_EXPECT_BACKEND=livepatch DBR_VFIO_BDF="$BDF" dbr_vfio_test
# The decision table of 40-scenarios, the same expectations under this backend.
ktap_harness "decision table (livepatch backend)" env DBR_EXPECT_BACKEND=livepatch dbr_policy_test
check "disable -> unload" lp_unload

# --- a loaded vfio_pci_core that is not the one built for ---------------------
check "expect_btf=<other> with vfio_pci_core loaded: refused" \
	sh -c "! modprobe $LPM expect_btf=$ZERO 2>/dev/null && [ ! -d /sys/module/$LPM ]"
check "dmesg: both fingerprints and the refusal" \
	sh -c "dmesg | grep -q \"$LPM: vfio_pci_core's BTF is [0-9]* bytes, sha256 [0-9a-f]*; built for\" &&
		dmesg | grep -q 'livepatch: pre-patch callback failed for object .vfio_pci_core.'"
check "hook/state: failed, and why" grep -q "^failed: vfio_pci_core's BTF differs" $H/state
check "vfio_pci_core left as it was (loaded)" [ -d /sys/module/vfio_pci_core ]
# Same BTF, other build-id (a point release that changed only code).
check "expect_build_id=<other> with vfio_pci_core loaded: refused" \
	sh -c "! modprobe $LPM expect_build_id=$ZERO_ID 2>/dev/null && [ ! -d /sys/module/$LPM ]"
check "dmesg: the build-time build-id and the refusal" \
	sh -c "dmesg | grep -q \"$LPM: vfio_pci_core has the build-time BTF but not its build-id 0000\" &&
		dmesg | grep -q \"$LPM: refusing to patch vfio_pci_core: vfio_pci_core's build-id differs\""
check "hook/state: failed, and why" grep -q "^failed: vfio_pci_core's build-id differs" $H/state
check "expect_build_id=<not hex>: refused with a reason" \
	sh -c "! modprobe $LPM expect_build_id=xyz 2>/dev/null && dmesg | grep -q '$LPM: expect_build_id: not a 20-byte build-id in hex'"
modprobe $LPM && wait_transition
check_eq "a good load clears the failure" "$(cat $H/state)" $armed
check "disable -> unload" lp_unload

vfio_unload
ktap_done
