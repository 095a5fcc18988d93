#!/bin/sh
# The test exporter and importer against each other: every importer mode
# on guarded and unguarded, pin-capable and unpinnable buffers; revoke,
# SIGBUS, restore; bad ioctl input. Each group of dbr_modules_test is one
# result here, with the program's own KTAP nested under it.
. /tests/ktap.sh
DBR_GROUPS="exporter legacy stub nocb compliant guarded register release release_race badinput"
set -- $DBR_GROUPS
ktap_plan $(($# + 8))

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
check "modprobe dmabuf_revoke_importer" modprobe dmabuf_revoke_importer

P=/sys/module/dmabuf_revoke_exporter/parameters/revoke_timeout_ms
check "revoke_timeout_ms rejects 0" sh -c "! echo 0 >$P 2>/dev/null"
check "revoke_timeout_ms rejects junk" sh -c "! echo 5x >$P 2>/dev/null"
check "and says why" sh -c "dmesg | grep -q \"dmabuf_revoke_exporter: revoke_timeout_ms: '5x' is not a number of ms in 1..60000\""
check "revoke_timeout_ms accepts 200" sh -c "echo 200 >$P && [ \$(cat $P) = 200 ]"

for g in $DBR_GROUPS; do
	echo "  # Subtest: $g"
	dbr_modules_test "$g" >/tmp/dbr_modules_test.out 2>&1
	rc=$?
	sed 's/^/  /' /tmp/dbr_modules_test.out
	case $rc in
	0) ktap_ok "$g" ;;
	2) ktap_skip "$g" "$(sed -n 's/^1\.\.0 # SKIP //p' /tmp/dbr_modules_test.out)" ;;
	*) ktap_fail "$g" ;;
	esac
done

modprobe -r dmabuf_revoke_importer
check "importer unloads" [ ! -d /sys/module/dmabuf_revoke_importer ]
modprobe -r dmabuf_revoke_exporter
check "exporter unloads" [ ! -d /sys/module/dmabuf_revoke_exporter ]
ktap_done
