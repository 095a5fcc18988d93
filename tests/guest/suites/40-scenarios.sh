#!/bin/sh
# shellcheck disable=SC2154 # V_*, S_*, B_*, R_*: set by eval of a test program's key=value lines
# Scenarios on guarded test-exporter buffers: every importer mode under every
# policy, with the attach outcome, what revocation leaves behind, and the
# counters (dbr_policy_test); the audit log; the deny list; a real in-kernel
# legacy importer (vgem); the registration API. See README "Decision table".
. /tests/ktap.sh
. /tests/helpers.sh

ktap_plan 34
modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer ||
	ktap_diag "modprobe failed"
# The log checks below read only what this suite made the shim say.
LOG0=$(dmesg | wc -l)

# shellcheck disable=SC2034 # read by snap and delta_is (helpers.sh)
COUNTERS="attach_checked attach_allowed attach_audited attach_refused attach_upstream class_legacy class_no_callback class_denied class_allowed class_revocable revocations stale_mappings"
# snap, delta_is: helpers.sh, over $COUNTERS.

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
scen legacy
scen legacy
check_eq "audit logs a pair only once" "$(dmesg | grep -c 'dmabuf_revoke: audit: legacy importer')" "$n0"

# --- the deny list turns the stub from accepted to refused -----------------
setpol enforce
scen stub
check_eq "enforce: stub accepted before deny-listing" "$S_attach_err" 0
cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' $D/registry | head -n1)
check "stub callback symbol is known to the registry" [ -n "$cb" ]
ktap_diag "stub callback: $cb"
check "deny-list the stub's callback through sysfs" sh -c "echo +$cb >$P/deny"
snap
scen stub
check_eq "enforce: deny-listed stub refused" "$S_attach_err" EOPNOTSUPP
delta_is "deny-listed stub counted as denied and refused" \
	"attach_checked=1 attach_refused=1 class_denied=1"
setpol audit
snap
scen stub
check_eq "audit: deny-listed stub attaches" "$S_attach_err" 0
delta_is "audit: deny-listed stub audited" \
	"attach_checked=1 attach_audited=1 class_denied=1 revocations=1 stale_mappings=1"
setpol enforce
echo "-$cb" >$P/deny
scen stub
check_eq "removed from the deny list: accepted again" "$S_attach_err" 0
echo "+mod:dmabuf_revoke_importer" >$P/deny
scen stub
check_eq "deny by owning module: refused" "$S_attach_err" EOPNOTSUPP
scen compliant
check_eq "a deny entry beats a registration (compliant refused)" "$S_attach_err" EOPNOTSUPP
echo "" >$P/deny
check_eq "deny list cleared" "$(cat $P/deny)" ""

# --- allow list and strict ---------------------------------------------------
setpol strict
scen stub
check_eq "strict: stub refused" "$S_attach_err" EOPNOTSUPP
echo "+$cb" >$P/allow
scen stub
check_eq "strict: allow-listed stub accepted" "$S_attach_err" 0
echo "" >$P/allow

# --- registration API --------------------------------------------------------
check "compliant ops are registered at load" \
	sh -c "grep -q '^registered .* cap=revocable owner=dmabuf_revoke_importer' $D/registry"
kv R dbr_scenario register stub 1
check_eq "register stub as revocable" "$R_register_err" 0
scen stub
check_eq "strict: registered-revocable stub accepted" "$S_attach_err" 0
setpol enforce
kv R dbr_scenario register stub 0
check_eq "register stub as not revocable" "$R_register_err" 0
snap
scen stub
check_eq "enforce: registered-not-revocable stub refused" "$S_attach_err" EOPNOTSUPP
delta_is "counted as denied" "attach_checked=1 attach_refused=1 class_denied=1"
kv R dbr_scenario unregister stub
check_eq "unregister" "$R_register_err" 0
scen stub
check_eq "unregistered stub is plain revocable again" "$S_attach_err" 0
kv R dbr_scenario register stub 1
modprobe -r dmabuf_revoke_importer
check "importer unloaded" [ ! -d /sys/module/dmabuf_revoke_importer ]
check "its registrations vanished with it" \
	sh -c "! grep -q 'owner=dmabuf_revoke_importer' $D/registry"
check "and the shim said so" sh -c "dmesg | grep -q 'dmabuf_revoke_importer unloading: dropped its importer registration'"
modprobe dmabuf_revoke_importer

# --- a real in-kernel legacy importer: vgem (DRM PRIME) ---------------------
modprobe vgem
for pol in enforce off; do
	setpol $pol
	eval "$(dbr_scenario vgem | sed 's/^/V_/')"
	if [ $pol = enforce ]; then
		check_eq "vgem import refused under enforce" "$V_attach_err" EOPNOTSUPP
	else
		check_eq "vgem import accepted under off" "$V_attach_err" 0
	fi
done
setpol enforce
check "vgem refusal logged with its class" \
	sh -c "dmesg | grep -q 'dmabuf_revoke: refused: legacy importer on vgem'"
modprobe -r vgem

# --- the exporter's own view -------------------------------------------------
setpol off
scen stub
check_eq "exporter status after revoke: revoked, 1 attachment, 1 stale" \
	"$S_exp_revoked/$S_exp_attach/$S_exp_stale" "1/1/1"
check "stale mappings were reported in dmesg" \
	sh -c "dmesg | grep -q 'dmabuf_revoke_exporter buffer revoked with 1 attachment(s) still mapped'"

modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "all modules unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
