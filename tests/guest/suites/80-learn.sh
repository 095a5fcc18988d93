#!/bin/sh
# Learning from behaviour (every kernel, the test exporter): an importer
# the stale-mapping watchdog names (a stub: notified of the revoke, still
# mapped stale_timeout_ms later) joins the learned set; learn= says what it
# becomes: off nothing, audit an audited attach ("would deny (learned)"),
# deny a refusal under enforce, global or per exporter, self-guarded or
# through the hook. The set in sysfs, debugfs and the CLI; cleared by the
# CLI and by the importer module unloading; the knobs' bad values refused.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 45
CLI=dmabuf-revokectl
STUB='dbr_imp_stub_cb [dmabuf_revoke_importer]'

# write FILE VALUE: one write; the shell's error text in /tmp/learn.err
# (busybox echo names the errno, its printf does not).
write() { echo "$2" 2>/tmp/learn.err >"$1"; }
einval() { ! write "$1" "$2" && grep -q 'Invalid argument' /tmp/learn.err; }
mark() { LOG0=$(dmesg | wc -l); }
newlog() { dmesg | tail -n +$((LOG0 + 1)); }
logged() { newlog | grep -q -- "$1"; }
cnt() { cat $C/$1; }
# wait_learned N: up to 3 s for the learned counter to reach N (learning
# runs in the watchdog's work item, a grace period after it names).
wait_learned() {
	_i=0
	while [ "$(cnt learned)" -lt "$1" ] && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ "$(cnt learned)" -ge "$1" ]
}
# learn_stub: a stub maps, the buffer is revoked; the exporter waits 600 ms
# for the unmap that never comes (stale); the watchdog names it after 150 ms.
learn_stub() { dbr_scenario attach stub --revoke-wait 600 --expect 0 --stale 1; }
# attach MODE [--unguarded] --expect ERRNAME|0: an attach-only import.
attach() { dbr_scenario attach "$@" --nomap; }
invariant() {
	[ "$(cnt attach_checked)" = $(($(cnt attach_allowed) + $(cnt attach_audited) + $(cnt attach_refused) + $(cnt attach_upstream))) ]
}

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_importer ]
pol0=$(cat $P/policy) strict0=$(cat $P/strict) exp0=$(cat $P/exporters)
st0=$(cat $P/stale_timeout_ms)

# --- the knobs -------------------------------------------------------------
check_eq "learn defaults to audit" "$(cat $P/learn)" audit
check_eq "the learned set starts empty" "$(cat $P/learned)" ""
mark
for v in bogus enforce DENY "deny deny"; do
	check "learn='$v' refused with EINVAL" einval $P/learn "$v"
done
check_eq "and learn unchanged" "$(cat $P/learn)" audit
check "the log says what is accepted" logged "dmabuf_revoke: learn: 'bogus' is not one of off, audit, deny"
check "learned refuses anything but an empty write (EINVAL)" einval $P/learned "$STUB"
check "and says so" logged "dmabuf_revoke: learned: .*only an empty write (clear the set) is accepted"

echo 150 >$P/stale_timeout_ms
setpol enforce

# --- learn=off: the watchdog names the stub, nothing is learned ----------------
echo off >$P/learn
n0=$(cnt stale_named) l0=$(cnt learned)
check "off: the stub stays mapped through the revoke" learn_stub
check_eq "off: the watchdog named it" "$(($(cnt stale_named) - n0))" 1
sleep 0.3
check "off: nothing learned (set empty, counter still)" \
	sh -c "[ -z \"\$(cat $P/learned)\" ] && [ $(cnt learned) = $l0 ]"

# --- learn=audit: learned, attaches only audited ------------------------------
echo audit >$P/learn
mark
learn_stub || ktap_diag "learn_stub: exit $?"
check "audit: the stub is learned after the watchdog names it" wait_learned $((l0 + 1))
check_eq "audit: sysfs learned lists it" "$(cat $P/learned)" "$STUB"
check "audit: the log says it was learned and what it means" \
	logged "dmabuf_revoke: learned: importer callback dbr_imp_stub_cb \[dmabuf_revoke_importer\] ignores revocations: would deny (learned)"
check_eq "audit: CLI learned list shows it" "$($CLI learned list)" "$STUB"
check "audit: debugfs learned shows it" grep -qxF "learned $STUB" $D/learned
check "CLI status shows learn and the set" \
	sh -c "$CLI status >/tmp/learn.st; grep -q '^  learn  *audit\$' /tmp/learn.st && grep -q '^  learned  *dbr_imp_stub_cb' /tmp/learn.st"
a0=$(cnt attach_audited) r0=$(cnt attach_refused) k0=$(cnt attach_learned)
check "audit + enforce: the stub's next attach is allowed" attach stub --expect 0
check_eq "and audited as learned (audited +1, learned attaches +1, refused +0)" \
	"$(($(cnt attach_audited) - a0))/$(($(cnt attach_learned) - k0))/$(($(cnt attach_refused) - r0))" 1/1/0
check "and logged as would deny (learned)" \
	logged "dmabuf_revoke: audit: would deny (learned): revocable importer on dmabuf_revoke_importer (callback dbr_imp_stub_cb \[dmabuf_revoke_importer\], seen ignoring a revoke)"
check_eq "a second revoke does not learn it twice" "$(learn_stub && sleep 0.3 && cnt learned)" $((l0 + 1))

# --- learn=deny + enforce: refused ------------------------------------------
echo deny >$P/learn
mark
r0=$(cnt attach_refused) k0=$(cnt attach_learned)
check "deny + enforce: the stub's next attach is refused" attach stub --expect EOPNOTSUPP
check_eq "counted as a refusal and as learned" \
	"$(($(cnt attach_refused) - r0))/$(($(cnt attach_learned) - k0))" 1/1
check "logged as denied (learned)" \
	logged "dmabuf_revoke: denied (learned): revocable importer on dmabuf_revoke_importer (callback dbr_imp_stub_cb \[dmabuf_revoke_importer\]"
check "deny + enforce: a compliant importer is still allowed" attach compliant --expect 0
# Through the hook (the exporter does not call the registry): per-exporter
# enforce under a global audit.
setpol audit
echo +dmabuf_revoke_exporter:enforce >$P/exporters
hook_snap
check "hook, exporter:enforce under global audit: learned stub refused" \
	attach stub --unguarded --expect EOPNOTSUPP
check_eq "by the hook" "$(hook_moved)" "hits=1 refused=1 upstream=0"
check "hook: compliant allowed" attach compliant --unguarded --expect 0
echo "$exp0" >$P/exporters
check "deny + global audit: only audited" attach stub --expect 0
setpol enforce
check "the counter invariant holds (checked = allowed + audited + refused + upstream)" invariant

# --- clear --------------------------------------------------------------------
mark
check "CLI learned clear" $CLI learned clear
check_eq "the set is empty (sysfs, CLI)" "$(cat $P/learned)/$($CLI learned list)" /
check "and the log says so" logged "dmabuf_revoke: learned: set cleared"
check "after clear the stub attaches again (deny + enforce)" attach stub --expect 0

# --- the importer module unloading drops what was learned about it -----------
learn_stub || ktap_diag "learn_stub: exit $?"
check "learned again" wait_learned $((l0 + 2))
check "deny: refused again" attach stub --expect EOPNOTSUPP
mark
modprobe -r dmabuf_revoke_importer
check_eq "importer unloaded: its entry is gone" "$(cat $P/learned)" ""
check "and the log says so" logged "dmabuf_revoke: dmabuf_revoke_importer unloading: dropped what was learned about it"
modprobe dmabuf_revoke_importer
check "reloaded: the stub attaches (deny + enforce)" attach stub --expect 0
check "the counter invariant still holds" invariant

# --- restore ---------------------------------------------------------------
echo audit >$P/learn
echo "$st0" >$P/stale_timeout_ms
echo "$pol0" >$P/policy
echo "$strict0" >$P/strict
echo "$exp0" >$P/exporters
echo >$P/learned
check_eq "knobs restored" "$(cat $P/learn)/$(cat $P/stale_timeout_ms)/$(cat $P/policy)/$(cat $P/strict)/$(cat $P/exporters)" \
	"audit/$st0/$pol0/$strict0/$exp0"
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "modules unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
