#!/bin/sh
# Scenarios on guarded test-exporter buffers: every importer mode under every
# policy, with the attach outcome, what revocation leaves behind, and the
# counters (dbr_policy_test); the audit log; the deny and allow lists, the
# registration API, a real in-kernel legacy importer (vgem) and the
# exporter's view (dbr_lists_test); what an importer's unload does to its
# registrations. See README "Decision table".
. /tests/ktap.sh
. /tests/helpers.sh

ktap_plan 12
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe failed"
# The log checks below read only what this suite made the shim say.
LOG0=$(dmesg | wc -l)

# --- every mode x policy --------------------------------------------------
# dbr_policy_test asserts the table (kselftest harness, one variant per
# policy x mode; nocb skipped before v7.1), here under the kprobe backend;
# 75-livepatch runs it again under the livepatch backend.
ktap_harness "decision table (kprobe backend)" env DBR_EXPECT_BACKEND=kprobe dbr_policy_test

# --- audit logs once per importer/exporter pair ------------------------------
check "audit logged the legacy importer" sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: audit: legacy importer'"
check "enforce logged the refusal (audited before: a new verdict is logged again)" \
	sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: refused: legacy importer'"
setpol audit
n0=$(dmesg | grep -c 'dmabuf_revoke: audit: legacy importer')
check "audit: legacy accepted twice, the pair logged only once" sh -c "
	dbr_scenario attach legacy --expect 0 && dbr_scenario attach legacy --expect 0 &&
	[ \$(dmesg | grep -c 'dmabuf_revoke: audit: legacy importer') = $n0 ]"
setpol enforce

# --- deny list, allow list, registrations, vgem, the exporter's view ----------
# dbr_lists_test asserts them, counters included (kselftest harness; each
# fixture puts the knobs back and leaves no registration behind). Here: the
# logs they leave, and what unloading the importer does to registrations.
modprobe vgem
ktap_harness "deny and allow lists, registrations, vgem, exporter view" dbr_lists_test
check "vgem refusal logged with its class" \
	sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke: refused: legacy importer on vgem'"
modprobe -r vgem
check "stale mappings were reported in dmesg" \
	sh -c "dmesg | tail -n +$((LOG0 + 1)) | grep -q 'dmabuf_revoke_exporter buffer revoked with 1 attachment(s) still mapped'"

# --- the importer unloading drops its registrations -------------------------
check "register stub as revocable (kept for the unload)" dbr_scenario register stub 1
modprobe -r dmabuf_revoke_importer
check "importer unloaded" [ ! -d /sys/module/dmabuf_revoke_importer ]
check "its registrations vanished with it" \
	sh -c "! grep -q 'owner=dmabuf_revoke_importer' $D/registry"
check "and the shim said so" sh -c "dmesg | grep -q 'dmabuf_revoke_importer unloading: dropped its importer registration'"
modprobe dmabuf_revoke_importer

modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "all modules unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
