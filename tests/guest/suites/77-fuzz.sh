#!/bin/sh
# Hostile input, reproducibly: tests/guest/bin/dbr_fuzz writes seeded hostile
# values to every writable knob (checked against a model built from
# src/core.c itself) and sends malformed ioctls to the test devices. Fixed
# seeds, so a failure replays with the command line it prints.
. /tests/ktap.sh
. /tests/helpers.sh
SEEDS="0x5eed 0xd15ea5e"
set -- $SEEDS
ktap_plan $(($# + 3))

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_exporter ]
for s in $SEEDS; do
	echo "  # Subtest: fuzz $s"
	dbr_fuzz "$s" 2000 >/tmp/fuzz.out 2>&1
	rc=$?
	sed 's/^/  /' /tmp/fuzz.out
	check_eq "dbr_fuzz $s 2000" "$rc" 0
done
check_eq "knobs back to their defaults" \
	"$(cat $P/policy)/$(cat $P/strict)/$(cat $P/deny)/$(cat $P/exporters)/$(cat $P/hook_fault)/$(cat $P/stale_timeout_ms)/$(cat $P/learn)" \
	"enforce/N//vfio_pci_core/none/1000/audit"
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter
check "test modules unload after the storm" [ ! -d /sys/module/dmabuf_revoke_exporter ]
ktap_done
