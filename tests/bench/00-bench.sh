#!/bin/sh
# The bench (scripts/bench.sh), not a test: one run of dbr_bench, its table
# and csv: lines sent as diagnostics. The results only say that the bench
# module loaded and the bench ran to the end; nothing judges a time.
. /tests/ktap.sh
. /tests/helpers.sh
ktap_plan 2
args=$(cat /tests/expected/bench.args)
check "load the bench module" modprobe dmabuf_revoke_bench
# A real vfio-pci dma-buf where vfio-pci exports them (v6.19+).
if have HAVE_VFIO_DEVICE_FEATURE_DMA_BUF; then
	if modprobe vfio-pci && modprobe vfio_iommu_type1 && dbr_vfio bind >/dev/null; then
		args="$args -V"
	else
		ktap_diag "vfio-pci setup failed: no vfio-attach measurement"
	fi
fi
rc=0
# shellcheck disable=SC2086 # $args are dbr_bench's options, word-split on purpose
dbr_bench -k "$(cat /tests/expected/kernel)" $args >/tmp/bench.out 2>/tmp/bench.err || rc=$?
while IFS= read -r line; do ktap_diag "$line"; done </tmp/bench.out
while IFS= read -r line; do ktap_diag "stderr: $line"; done </tmp/bench.err
check_eq "dbr_bench $args ran to the end" "$rc" 0
ktap_done
