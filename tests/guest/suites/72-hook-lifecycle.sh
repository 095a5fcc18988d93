#!/bin/sh
# The kprobe hook's life: the shim loaded before and after vfio-pci, the
# state following vfio_pci_core as it loads and unloads, the arm-time
# self-test, and unloading the shim while VFIO dma-bufs and importer
# attachments are alive. Where vfio-pci exports no dma-bufs (before v6.19)
# only the parts that need none run. The vfio dma-buf steps are dbr_vfio
# run --expect: it asserts each step and says so by its exit status.
. /tests/ktap.sh
. /tests/helpers.sh
NOEXPORT="vfio-pci dma-buf export (5d74781ebc86, v6.19)"

if have HAVE_DMA_BUF_ATTACH_REVOCABLE; then
	# v7.1+: vfio-pci checks callbacks itself; the state says so throughout.
	ARMED=upstream-enforced WAITING=upstream-enforced
else
	ARMED=armed WAITING=waiting
fi
have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF && export=1 || export=0
ktap_plan 22

loaded() { [ -d "/sys/module/$1" ]; }
vfio_target() {
	case $(cat $H/target) in
	*"vfio_pci_core not loaded"*) echo "not loaded" ;;
	*"vfio_pci_core loaded"*) echo loaded ;;
	esac
}
# Kernel log lines since this suite started (earlier suites load the shim too).
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
logged() { newlog | grep -q "$1"; }
strict() { echo enforce >$P/policy; echo Y >$P/strict; }
# The hook refuses a non-revocable importer of a buffer it guards: a stub
# on an unguarded test-exporter buffer with the test exporter guarded.
hook_refuses() {
	echo +dmabuf_revoke_exporter >$P/exporters
	_h=$(cat $H/hits)
	dbr_scenario attach stub --unguarded --nomap --expect EOPNOTSUPP
	_rc=$?
	echo -dmabuf_revoke_exporter >$P/exporters
	[ $_rc = 0 ] && [ "$(cat $H/hits)" -gt "$_h" ]
}

# --- shim first, then vfio-pci --------------------------------------------
LOG0=$(dmesg | wc -l)
modprobe -r vfio-pci vfio_iommu_type1 2>/dev/null
check "vfio_pci_core not loaded at the start" sh -c '! [ -d /sys/module/vfio_pci_core ]'
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe of the test modules failed"
check "hook self-test passed at load" \
	logged 'dmabuf_revoke: hook self-test passed'
check_eq "shim before vfio-pci: $WAITING" "$(cat $H/state)/$(vfio_target)" "$WAITING/not loaded"
modprobe vfio-pci && modprobe vfio_iommu_type1
check_eq "vfio_pci_core loads: $ARMED" "$(cat $H/state)/$(vfio_target)" "$ARMED/loaded"
rmmod vfio_pci vfio_pci_core
check "vfio_pci and vfio_pci_core unload under the shim" \
	sh -c '! [ -d /sys/module/vfio_pci_core ] && ! [ -d /sys/module/vfio_pci ]'
check_eq "vfio_pci_core gone: $WAITING" "$(cat $H/state)/$(vfio_target)" "$WAITING/not loaded"
check_eq "dmesg tells the state changes" \
	"$(newlog | sed -n 's/^.*dmabuf_revoke: hook kprobe: //p' | xargs)" "$WAITING $ARMED $WAITING"
modprobe vfio-pci
check_eq "vfio_pci_core back: $ARMED" "$(cat $H/state)/$(vfio_target)" "$ARMED/loaded"
strict
check "the hook still refuses" hook_refuses
dbr_vfio bind >/dev/null || ktap_diag "dbr_vfio bind failed"
if [ $export = 1 ]; then
	check "the hook still refuses on a vfio dma-buf (strict: stub)" \
		dbr_vfio run stub --nomap --revoke none --expect EOPNOTSUPP
else
	ktap_skip "the hook still refuses on a vfio dma-buf" "$NOEXPORT"
fi

# --- vfio-pci first, then the shim ----------------------------------------
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "shim unloads while vfio_pci_core stays" \
	sh -c '! [ -d /sys/module/dmabuf_revoke ] && [ -d /sys/module/vfio_pci_core ]'
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check_eq "shim after vfio-pci: $ARMED at once" "$(cat $H/state)/$(vfio_target)" "$ARMED/loaded"
check_eq "self-test passed again" "$(newlog | grep -c 'dmabuf_revoke: hook self-test passed')" 2
strict
check "the hook refuses after a late load" hook_refuses

# --- an open importer pins the importer module, which pins the shim -------
exec 3<>/dev/dmabuf_revoke_importer
rmmod dmabuf_revoke_importer 2>/dev/null
check "importer module in use while its device is open" loaded dmabuf_revoke_importer
rmmod dmabuf_revoke 2>/dev/null
check "shim in use while the importer is loaded" loaded dmabuf_revoke
exec 3>&-

# --- unloading around a live vfio dma-buf ---------------------------------
if [ $export = 1 ]; then
	echo enforce >$P/policy; echo N >$P/strict
	rm -f /tmp/rm1 /tmp/rm2
	check "stub attached to a live vfio dma-buf: revoked (reset) and released" \
		dbr_vfio run stub --nomap --revoke reset --expect 0 --notified --exec \
		'rmmod dmabuf_revoke_importer 2>/dev/null; echo $? >/tmp/rm1; rmmod dmabuf_revoke 2>/dev/null; echo $? >/tmp/rm2'
	check "rmmod of importer and shim fail cleanly while attached" \
		sh -c "[ \"\$(cat /tmp/rm1)\" != 0 ] && [ \"\$(cat /tmp/rm2)\" != 0 ] && [ -d /sys/module/dmabuf_revoke ] && [ -d /sys/module/dmabuf_revoke_importer ]"

	# Unloaded (--exec), the buffer still revoked; reloaded (--then), imported again (--late).
	check "shim unloads with only a vfio dma-buf alive; revocable (reset); usable after reload" \
		dbr_vfio run none --revoke reset --expect 0 \
		--exec 'rmmod dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke' \
		--then 'modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer' --late compliant

	check "revoked by memory-off without the shim; the reloaded shim refuses on it" \
		dbr_vfio run none --revoke command --expect 0 \
		--exec 'rmmod dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke' \
		--then 'modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer && echo Y >/sys/module/dmabuf_revoke/parameters/strict' \
		--late stub --late-expect EOPNOTSUPP
else
	for t in "stub attached to a live vfio dma-buf" "rmmod fails while attached" \
		"shim unloads with only a vfio dma-buf alive" "reloaded shim refuses on an old buffer"; do
		ktap_skip "$t" "$NOEXPORT"
	done
fi

check_eq "no probe hit missed" "$(cat $H/missed)" 0
dbr_vfio unbind >/dev/null
modprobe -r vfio-pci vfio_iommu_type1
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "all modules unload" \
	sh -c '! [ -d /sys/module/dmabuf_revoke ] && ! [ -d /sys/module/vfio_pci_core ]'
ktap_done
