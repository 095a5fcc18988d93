#!/bin/sh
# Stress: 8 importer threads x 10,000 import/map/unmap/release cycles in
# every mode on guarded and unguarded buffers, while buffers are revoked and
# restored and policy, strict, deny, allow and exporters change underneath
# (tests/guest/bin/dbr_stress.c asserts, nested here). Then the knobs are put
# back and the shim must still refuse as before.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 4

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_importer ]
echo "  # Subtest: stress"
dbr_stress -t 8 -n 10000 -s 600 >/tmp/stress.out 2>&1
rc=$?
sed 's/^/  /' /tmp/stress.out
check_eq "dbr_stress: 8 threads x 10000 cycles under chaos" "$rc" 0
setpol enforce
echo "" >$P/deny
echo "" >$P/allow
echo vfio_pci_core >$P/exporters
scen legacy --nomap
check_eq "afterwards, enforce still refuses a legacy importer" "${S_attach_err:-unset}" EOPNOTSUPP
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter
check "and the test modules unload" [ ! -d /sys/module/dmabuf_revoke_importer ]
ktap_done
