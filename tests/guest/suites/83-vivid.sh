#!/bin/sh
# A second real in-kernel legacy importer (issue 10 item 7), after vgem in
# 40-scenarios: vivid, the V4L2 virtual driver, with allocators=1. Its
# queue is videobuf2-dma-contig, whose attach_dmabuf calls dma_buf_attach()
# (no importer ops: it never hears a revoke) and maps the buffer, both
# inside VIDIOC_QBUF of a V4L2_MEMORY_DMABUF buffer (every matrix kernel's
# videobuf2-dma-contig imports dma_buf_attach, not dma_buf_dynamic_attach).
# dbr_v4l2 queues test-exporter buffers: guarded, under audit it works and
# is logged naming vivid's device; under off vivid streams a frame into
# them; unguarded, the shim never sees it. Under enforce the QBUF fails with
# EOPNOTSUPP, counted and logged naming vivid's device: on 6.1 for a guarded
# test-exporter buffer; from 6.12 vb2 leaks a refused dma-buf (see below),
# so there for a udmabuf the hook guards. See README "Decision table".
. /tests/ktap.sh
. /tests/helpers.sh
PLAN=25
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
LOG0=$(dmesg | wc -l)
# newlog PATTERN: a kernel log line of this suite matches PATTERN.
newlog() { dmesg | tail -n +$((LOG0 + 1)) | grep -q "$1"; }

# shellcheck disable=SC2034 # read by snap and delta_is (helpers.sh)
COUNTERS="attach_checked attach_allowed attach_audited attach_refused attach_upstream class_legacy class_no_callback class_denied class_allowed class_revocable"
# snap, delta_is: helpers.sh, over $COUNTERS.

# --- audit: attached, mapped, logged ----------------------------------------
setpol audit
snap
kv Q dbr_v4l2
check_eq "audit: QBUF succeeds" "${Q_qbuf_err:-?}" 0
check_eq "audit: vivid attached and mapped the buffer in QBUF" "${Q_q_attach:-?}/${Q_q_mapped:-?}" 1/1
delta_is "audit: counted as an audited legacy importer" \
	"attach_checked=1 attach_audited=1 class_legacy=1"
check "audit: logged, naming vivid's device" \
	newlog 'dmabuf_revoke: audit: legacy importer on vivid\.0 .* dmabuf_revoke_exporter buffer'
check_eq "audit: freeing the queue detaches" "${Q_free_err:-?}/${Q_freed_attach:-?}" 0/0

# --- off: vivid streams a frame into the test exporter's pages -------------
setpol off
snap
kv Q dbr_v4l2 --stream
check_eq "off: QBUF succeeds, vivid attached and mapped" \
	"${Q_qbuf_err:-?}/${Q_q_attach:-?}/${Q_q_mapped:-?}" 0/1/1
check_eq "off: second QBUF, STREAMON, a frame dequeued" \
	"${Q_qbuf_next_err:-?}/${Q_streamon_err:-?}/${Q_dq_poll:-?}/${Q_dqbuf_err:-?}/${Q_dq_error:-?}" 0/0/0/0/0
ktap_diag "off: frame ${Q_dq_index:-?}: ${Q_dq_bytesused:-?} bytes used, ${Q_dq_nonzero:-?} non-zero"
check_eq "off: the frame fills its buffer" "${Q_dq_bytesused:-?}" "${Q_sizeimage:-none}"
check "off: vivid wrote the frame into the exporter's pages" ge1 "${Q_dq_nonzero:-0}"
check_eq "off: STREAMOFF, the queue frees, nothing attached" \
	"${Q_streamoff_err:-?}/${Q_free_err:-?}/${Q_freed_attach:-?}" 0/0/0
delta_is "off: both buffers counted as allowed legacy importers" \
	"attach_checked=2 attach_allowed=2 class_legacy=2"

# --- an unguarded buffer is not the shim's business -------------------------
setpol enforce
snap
kv Q dbr_v4l2 --unguarded
check_eq "enforce, unguarded buffer: QBUF succeeds" "${Q_qbuf_err:-?}/${Q_q_attach:-?}" 0/1
delta_is "enforce, unguarded buffer: the shim never saw it" ""

# --- enforce: refused at QBUF -----------------------------------------------
# From 6.12 (6.1 is fine) vb2's __prepare_dmabuf() leaks the dma-buf whose
# attach failed: its error path skips the dma_buf_put() of the fd it took.
# A refused test-exporter buffer would then pin the exporter and the shim
# for the rest of the boot, so there the refused buffer is a udmabuf (built
# in from 6.12) that the shim's hook guards, and the leak is shown.
setpol enforce
IFS=. read -r kmaj kmin _ <<EOF2
$(uname -r)
EOF2
LEAKS=1
[ "$kmaj" -lt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -lt 12 ]; } && LEAKS=0
BUFINFO=/sys/kernel/debug/dma_buf/bufinfo
udmabufs() { awk -F'\t' '$5 == "udmabuf"' $BUFINFO | wc -l; }
if [ $LEAKS = 0 ]; then
	snap
	kv Q dbr_v4l2
	ktap_diag "enforce: ${Q_dev:-?} ${Q_fmt:-?} sizeimage=${Q_sizeimage:-?}, guarded test-exporter buffer: QBUF errno ${Q_qbuf_errno:-?} (${Q_qbuf_err:-?})"
	check_eq "enforce: QBUF of a guarded buffer fails with EOPNOTSUPP" "${Q_qbuf_err:-?}" EOPNOTSUPP
	check_eq "enforce: vivid holds nothing on the buffer" "${Q_q_attach:-?}/${Q_q_mapped:-?}" 0/0
	delta_is "enforce: counted as a refused legacy importer" \
		"attach_checked=1 attach_refused=1 class_legacy=1"
	check "enforce: the refusal names vivid's device" \
		newlog 'dmabuf_revoke: refused: legacy importer on vivid\.0 .* dmabuf_revoke_exporter buffer'
	check "enforce: videobuf2-dma-contig reports its failed attach" newlog 'failed to attach dmabuf'
	check_eq "enforce: the queue frees cleanly, nothing attached" "${Q_free_err:-?}/${Q_freed_attach:-?}" 0/0
	check_eq "enforce: vb2 let go of the refused buffer (exporter refcount)" \
		"$(cat /sys/module/dmabuf_revoke_exporter/refcnt)" 0
elif [ -c /dev/udmabuf ] && [ -r $BUFINFO ]; then
	echo +udmabuf >"$P/exporters"
	snap
	hook_snap
	n0=$(udmabufs)
	kv Q dbr_v4l2 --udmabuf
	ktap_diag "enforce: ${Q_dev:-?} ${Q_fmt:-?} sizeimage=${Q_sizeimage:-?}, udmabuf guarded by the hook: QBUF errno ${Q_qbuf_errno:-?} (${Q_qbuf_err:-?})"
	check_eq "enforce: QBUF of a guarded (udmabuf) buffer fails with EOPNOTSUPP" "${Q_qbuf_err:-?}" EOPNOTSUPP
	moved=$(hook_moved)
	ktap_diag "enforce: hook $moved"
	check "enforce: the hook saw the attach and refused it" \
		sh -c "echo '$moved' | grep -q '^hits=[1-9][0-9]* refused=1 upstream=0\$'"
	delta_is "enforce: counted as a refused legacy importer" \
		"attach_checked=1 attach_refused=1 class_legacy=1"
	check "enforce: the refusal names vivid's device" \
		newlog 'dmabuf_revoke: refused: legacy importer on vivid\.0 .* udmabuf buffer'
	check "enforce: videobuf2-dma-contig reports its failed attach" newlog 'failed to attach dmabuf'
	check_eq "enforce: the queue frees cleanly, nothing attached" "${Q_free_err:-?}/${Q_freed_attach:-?}" 0/0
	check_eq "enforce: vb2 leaks the refused dma-buf, a kernel bug (udmabufs alive after exit)" \
		"$(($(udmabufs) - n0))" 1
	echo -udmabuf >"$P/exporters"
else
	ktap_skip_n 7 "enforce: refused vivid QBUF" \
		"udmabuf (CONFIG_UDMABUF) and debugfs: vb2 leaks a refused dma-buf here, a test-exporter one would pin our modules"
fi

check_eq "policy and exporters restored" "$(cat "$P/policy") $(cat "$P/exporters")" "enforce vfio_pci_core"
modprobe -r vivid
modprobe -r dmabuf_revoke_exporter dmabuf_revoke || ktap_diag "still loaded: $(lsmod | tr '\n' ';')"
check "vivid, the exporter and the shim unload" \
	sh -c '[ ! -d /sys/module/vivid ] && [ ! -d /sys/module/dmabuf_revoke_exporter ] && [ ! -d /sys/module/dmabuf_revoke ]'
ktap_done
