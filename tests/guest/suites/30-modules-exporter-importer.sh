#!/bin/sh
# The test exporter and importer against each other: every importer mode
# on unpinnable and pin-capable buffers, guarded buffers; revoke, SIGBUS,
# restore; bad ioctl input; the class cache. dbr_modules_test asserts
# (kselftest harness, its KTAP nested here); this suite loads the modules
# and checks the exporter's module parameter.
. /tests/ktap.sh
ktap_plan 9

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
check "modprobe dmabuf_revoke_importer" modprobe dmabuf_revoke_importer

P=/sys/module/dmabuf_revoke_exporter/parameters/revoke_timeout_ms
check "revoke_timeout_ms rejects 0" sh -c "! echo 0 >$P 2>/dev/null"
check "revoke_timeout_ms rejects junk" sh -c "! echo 5x >$P 2>/dev/null"
check "and says why" sh -c "dmesg | grep -q \"dmabuf_revoke_exporter: revoke_timeout_ms: '5x' is not a number of ms in 1..60000\""
check "revoke_timeout_ms accepts 200" sh -c "echo 200 >$P && [ \$(cat $P) = 200 ]"

ktap_harness modules_test dbr_modules_test

modprobe -r dmabuf_revoke_importer
check "importer unloads" [ ! -d /sys/module/dmabuf_revoke_importer ]
modprobe -r dmabuf_revoke_exporter
check "exporter unloads" [ ! -d /sys/module/dmabuf_revoke_exporter ]
ktap_done
