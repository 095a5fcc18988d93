#!/bin/sh
# Hostile input, reproducibly: tests/guest/bin/dbr_fuzz writes seeded hostile
# values to every writable knob (checked against a model built from
# src/core.c itself) and sends malformed ioctls to the test devices, 2000 of
# each per seed (kselftest harness: one fixture variant per fixed seed, its
# KTAP nested here). Fixed seeds, so a failure replays with the command line
# it prints.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 4

modprobe dmabuf_revoke_exporter && modprobe dmabuf_revoke_importer
check "test modules loaded" [ -c /dev/dmabuf_revoke_exporter ]
ktap_harness "dbr_fuzz: knob writes and malformed ioctls, every seed" dbr_fuzz 2000
check_eq "knobs back to their defaults" \
	"$(cat $P/policy)/$(cat $P/strict)/$(cat $P/deny)/$(cat $P/exporters)/$(cat $P/hook_fault)/$(cat $P/stale_timeout_ms)/$(cat $P/learn)" \
	"enforce/N//vfio_pci_core/none/1000/audit"
modprobe -r dmabuf_revoke_importer dmabuf_revoke_exporter
check "test modules unload after the storm" [ ! -d /sys/module/dmabuf_revoke_exporter ]
ktap_done
