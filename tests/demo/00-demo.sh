#!/bin/sh
# The demo: one buffer per row, exported by the test exporter (which revokes
# like vfio-pci does around a reset), imported by each kind of importer,
# then revoked. What does each importer still hold afterwards?
. /tests/ktap.sh
P=/sys/module/dmabuf_revoke/parameters
ktap_plan 3
check "load the shim, the test exporter and the test importer" \
	sh -c 'modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer'
ktap_diag "dmabuf_revoke $(cat /sys/kernel/dmabuf_revoke/version) on $(uname -r)"
ktap_diag ""
row() {	# row POLICY MODE
	out=$(dbr_scenario run "$2")
	err=$(echo "$out" | sed -n 's/^attach_err=//p')
	if [ "$err" != 0 ]; then
		verdict="REFUSED ($err)"
		after="-"
	else
		verdict="accepted"
		stale=$(echo "$out" | sed -n 's/^revoked_stale=//p')
		notes=$(echo "$out" | sed -n 's/^revoked_notifications=//p')
		if [ "$stale" = 1 ]; then
			after="STALE mapping kept (notified ${notes:-0}x): use-after-free"
		else
			after="notified ${notes}x, mapping dropped: safe"
		fi
	fi
	ktap_diag "$(printf '%-18s %-10s %-22s %s' "$1" "$2" "$verdict" "$after")"
}
ktap_diag "$(printf '%-18s %-10s %-22s %s' POLICY IMPORTER ATTACH 'AFTER THE EXPORTER REVOKES')"
for pol in off enforce; do
	echo $pol >$P/policy
	for m in legacy stub compliant; do row $pol $m; done
done
cb=$(sed -n 's/.* class=revocable callback=\([^ ]*\) \[dmabuf_revoke_importer\].*/\1/p' \
	/sys/kernel/debug/dmabuf_revoke/registry | head -n1)
echo "+$cb" >$P/deny
row "enforce+deny stub" stub
echo "" >$P/deny
echo Y >$P/strict
row "enforce+strict" stub
row "enforce+strict" compliant
echo N >$P/strict
ktap_diag ""
ktap_diag "counters: $(cd /sys/kernel/dmabuf_revoke/counters && for f in attach_checked attach_refused revocations stale_mappings; do printf '%s=%s ' $f "$(cat $f)"; done)"
check "refusals were counted" [ "$(cat /sys/kernel/dmabuf_revoke/counters/attach_refused)" -gt 0 ]
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter dmabuf_revoke
check "unload" [ ! -d /sys/module/dmabuf_revoke ]
ktap_done
