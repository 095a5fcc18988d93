#!/bin/sh
# A second real in-kernel legacy importer (issue 10 item 7), after vgem in
# 40-scenarios: vivid, the V4L2 virtual driver, with allocators=1. Its
# queue is videobuf2-dma-contig, whose attach_dmabuf calls dma_buf_attach()
# (no importer ops: it never hears a revoke) and maps the buffer, both
# inside VIDIOC_QBUF of a V4L2_MEMORY_DMABUF buffer (every matrix kernel's
# videobuf2-dma-contig imports dma_buf_attach, not dma_buf_dynamic_attach).
# dbr_v4l2 asserts (kselftest harness, its KTAP nested here), one variant
# a case: guarded test-exporter buffers under audit (attached, mapped,
# logged naming vivid's device), under off (vivid streams a frame into
# them), an unguarded one under enforce (the shim never sees it), and
# enforce refusing QBUF with EOPNOTSUPP (counted, logged): on 6.1 for a
# guarded test-exporter buffer, from 6.12 (where vb2 leaks a refused
# dma-buf) for a udmabuf the hook guards. See README "Decision table".
# This suite loads vivid and the exporter, and checks they unload.
. /tests/ktap.sh
. /tests/helpers.sh
PLAN=6
NOVIVID="the V4L2 virtual driver vivid (CONFIG_VIDEO_VIVID)"
# One capture node, an S-Video input (vivid scales it to a 16x16 frame that
# fits one page; its webcam input has fixed sizes), videobuf2-dma-contig.
VIVID_OPTS="n_devs=1 node_types=0x1 num_inputs=1 input_types=0x2 allocators=1"

ktap_plan $PLAN
if ! find "/lib/modules/$(uname -r)" -name 'vivid.ko*' | grep -q . &&
	! grep -q '/vivid\.ko' "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then
	ktap_skip_n $PLAN "vivid legacy import" "$NOVIVID"
	ktap_done
fi

check "modprobe dmabuf_revoke_exporter" modprobe dmabuf_revoke_exporter
# shellcheck disable=SC2086 # the options are words
check "modprobe vivid $VIVID_OPTS" modprobe vivid $VIVID_OPTS
check "vivid's queue is videobuf2-dma-contig" [ -d /sys/module/videobuf2_dma_contig ]
ktap_harness "vivid: audit, off (a streamed frame), unguarded, enforce" dbr_v4l2

check_eq "dbr_v4l2 put policy, strict and exporters back" \
	"$(cat "$P/policy")/$(cat "$P/strict") $(cat "$P/exporters")" "enforce/N vfio_pci_core"
check "vivid, the exporter and the shim unload" unload vivid dmabuf_revoke_exporter dmabuf_revoke
ktap_done
