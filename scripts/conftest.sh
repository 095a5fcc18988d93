#!/usr/bin/env bash
# conftest.sh KDIR OUTDIR: feature probes against the target kernel headers.
#
# Each probe is a tiny C snippet compiled (with -Werror) against KDIR in one
# kbuild run; if it compiles, its macro is defined. The results and the shims
# built on them go into one generated header, OUTDIR/dmabuf_revoke_compat.h,
# which every source file includes last. Probe features, never versions.
set -euo pipefail

KDIR=${1:?usage: conftest.sh KDIR OUTDIR}
OUT=${2:?usage: conftest.sh KDIR OUTDIR}
# DKMS passes DKMS_KERNELVER (its ${kernelver}) so the message names the
# package; dkms copies this line into make.log.
[ -f "$KDIR/Makefile" ] || {
	echo "conftest: no kernel headers at $KDIR (install linux-headers-${DKMS_KERNELVER:-<release>})" >&2
	exit 1
}
# shellcheck source=scripts/kconfig.sh
. "$(dirname "$0")/kconfig.sh"
# The compiler the kernel was built with (CONFIG_CC_VERSION_TEXT) must exist.
cc_text=$(kernel_cc_text "$KDIR")
cc_bin=${cc_text%% *}
case $cc_text in *gcc*) ;; *) cc_bin= ;; esac
if [ -n "$cc_bin" ] && ! command -v "$cc_bin" >/dev/null 2>&1; then
	cc_pkg=$(echo "$cc_text" | sed -nE 's/.*gcc[^ ]* \(.*\) ([0-9]+)\..*/gcc-\1/p')
	echo "conftest: the kernel at $KDIR was built with '$cc_text'," \
		"but $cc_bin is not installed (install ${cc_pkg:-that compiler})" >&2
	exit 1
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d "$OUT/.conftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PROBES=()
# probe MACRO "upstream change it detects" <<< C-snippet
probe() {
	PROBES+=("$1")
	printf '%s\n' "$2" >"$TMP/$1.why"
	{
		echo '#include <linux/module.h>'
		cat
	} >"$TMP/$1.c"
}

# Must always compile: tells "broken headers" apart from "feature absent".
probe CONFTEST_BASELINE "sanity: the headers build a trivial object" <<'C'
#include <linux/dma-buf.h>
int conftest_baseline(struct dma_buf *d) { return d != NULL; }
C

probe HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP \
	"ef246da8e63c dma-buf: Rename .move_notify() callback to a clearer identifier (v7.1)" <<'C'
#include <linux/dma-buf.h>
static void cb(struct dma_buf_attachment *a) { }
const struct dma_buf_attach_ops conftest_ops = { .invalidate_mappings = cb };
C

probe HAVE_DMA_BUF_MOVE_NOTIFY_OP \
	"bb42df4662a4 dma-buf: add dynamic DMA-buf handling v15 (v5.7): .move_notify" <<'C'
#include <linux/dma-buf.h>
static void cb(struct dma_buf_attachment *a) { }
const struct dma_buf_attach_ops conftest_ops = { .move_notify = cb };
C

probe HAVE_DMA_BUF_INVALIDATE_MAPPINGS \
	"95308225e5ba dma-buf: Rename dma_buf_move_notify() to dma_buf_invalidate_mappings() (v7.1)" <<'C'
#include <linux/dma-buf.h>
void conftest(struct dma_buf *d) { dma_buf_invalidate_mappings(d); }
C

probe HAVE_DMA_BUF_MOVE_NOTIFY \
	"bb42df4662a4 dma-buf: add dynamic DMA-buf handling v15 (v5.7): dma_buf_move_notify()" <<'C'
#include <linux/dma-buf.h>
void conftest(struct dma_buf *d) { dma_buf_move_notify(d); }
C

probe HAVE_DMA_BUF_ATTACH_REVOCABLE \
	"be6d4c9e9d71 dma-buf: Add dma_buf_attach_revocable() (v7.1)" <<'C'
#include <linux/dma-buf.h>
bool conftest(struct dma_buf_attachment *a) { return dma_buf_attach_revocable(a); }
C

probe HAVE_MODULE_IMPORT_NS_TOKEN \
	"cdd30ebb1b9f module: Convert symbol namespace to string literal (v6.13) makes this fail" <<'C'
MODULE_IMPORT_NS(DMA_BUF);
C

probe HAVE_DMA_BUF_ATTACHMENT_IS_DYNAMIC \
	"de68b17d5d07 dma-buf: stop mapping sg_tables on attach v2 (v6.16) moved dma_buf_attachment_is_dynamic() out of <linux/dma-buf.h>" <<'C'
#include <linux/dma-buf.h>
bool conftest(struct dma_buf_attachment *a) { return dma_buf_attachment_is_dynamic(a); }
C

probe HAVE_DMA_BUF_ATTACHMENT_SGT \
	"b72f66f22c0e dma-buf: drop caching of sg_tables (v6.16) removed dma_buf_attachment.sgt" <<'C'
#include <linux/dma-buf.h>
void *conftest(struct dma_buf_attachment *a) { return a->sgt; }
C

probe HAVE_DMA_BUF_ATTACHMENT_DIR \
	"b72f66f22c0e dma-buf: drop caching of sg_tables (v6.16) removed dma_buf_attachment.dir" <<'C'
#include <linux/dma-buf.h>
int conftest(struct dma_buf_attachment *a) { return a->dir; }
C

probe HAVE_VFIO_DEVICE_FEATURE_DMA_BUF \
	"5d74781ebc86 vfio/pci: Add dma-buf export support for MMIO regions (v6.19)" <<'C'
#include <uapi/linux/vfio.h>
int conftest(void) { return VFIO_DEVICE_FEATURE_DMA_BUF + sizeof(struct vfio_device_feature_dma_buf); }
C

probe HAVE_VM_FLAGS_SET \
	"bc292ab00f6c mm: introduce vma->vm_flags wrapper functions (v6.3): vm_flags_set(); vm_flags became read-only" <<'C'
#include <linux/mm.h>
void conftest(struct vm_area_struct *v) { vm_flags_set(v, VM_DONTDUMP); }
C

probe HAVE_SYSTEM_DFL_WQ \
	"workqueue: Add system_percpu_wq and system_dfl_wq (v6.17, in 6.12.y too); system_wq and system_unbound_wq warn once used since 64d8eae3f895 (v7.2)" <<'C'
#include <linux/workqueue.h>
struct workqueue_struct *conftest(void) { return system_dfl_wq; }
C

# Guest-only: tests/rdma drives RDMA's revocable pinned import where the
# kernel has it (and RDMA user memory is built: the header has stubs).
probe HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK \
	"RDMA/umem: revocable pinned dma-buf import (Debian 6.12.118, 7.2.12, 7.3.4; not 6.1.192, 7.0.13)" <<'C'
#include <rdma/ib_umem.h>
#ifndef CONFIG_INFINIBAND_USER_MEM
#error "no RDMA user memory"
#endif
struct ib_umem_dmabuf *conftest(struct ib_device *d, int fd)
{
	return ib_umem_dmabuf_get_pinned_revocable_and_lock(d, 0, 4096, fd, 0);
}
C

# Not a feature but a bug, so a version: the kprobe backend takes the
# IPMODIFY ftrace path only where that is safe beside BPF trampolines.
probe HAVE_SAFE_IPMODIFY_BESIDE_BPF \
	"v6.1 (Debian 6.1.192): a BPF fexit beside an IPMODIFY kprobe trips arch_ftrace_ops_list_func()'s WARN (ftrace off host-wide); fine by v6.12" <<'C'
#include <linux/version.h>
_Static_assert(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0), "before v6.12");
C

{
	echo "obj-m :="
	echo "ccflags-y := -Werror -Wno-missing-prototypes -Wno-missing-declarations"
} >"$TMP/Kbuild"
targets=()
for p in "${PROBES[@]}"; do targets+=("$p.o"); done
make -C "$KDIR" M="$TMP" -k "${targets[@]}" >"$TMP/build.log" 2>&1 || true

have() { [ -f "$TMP/$1.o" ]; }
if ! have CONFTEST_BASELINE; then
	cat "$TMP/build.log" >&2
	echo "conftest: the headers at $KDIR cannot build a trivial module;" \
		"are the linux-headers and its compiler installed?" >&2
	exit 1
fi

hdr=$OUT/dmabuf_revoke_compat.h.tmp
{
	echo "/* SPDX-License-Identifier: GPL-2.0 */"
	echo "/* Generated by scripts/conftest.sh for $KDIR. Do not edit. */"
	echo "#ifndef DMABUF_REVOKE_COMPAT_H"
	echo "#define DMABUF_REVOKE_COMPAT_H"
	echo
	for p in "${PROBES[@]}"; do
		[ "$p" = CONFTEST_BASELINE ] && continue
		echo "/* $(cat "$TMP/$p.why") */"
		# HAVE_X for #ifdef, DBR_HAS_X (0/1) for C expressions.
		if have "$p"; then echo "#define $p 1"; else echo "#undef $p"; fi
		echo "#define DBR_HAS_${p#HAVE_} $(have "$p" && echo 1 || echo 0)"
	done
	cat <<'H'

/*
 * Namespaces: a bare token before v6.13, a string literal after.
 * Use as MODULE_IMPORT_NS(DBR_NS(DMA_BUF)).
 */
#ifdef HAVE_MODULE_IMPORT_NS_TOKEN
#define DBR_NS(ns) ns
#else
#define DBR_NS(ns) #ns
#endif

/* The importer's revocation callback, by its name on this kernel. */
#if defined(HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP)
#define DBR_ATTACH_OPS_CB invalidate_mappings
#elif defined(HAVE_DMA_BUF_MOVE_NOTIFY_OP)
#define DBR_ATTACH_OPS_CB move_notify
#else
#error "struct dma_buf_attach_ops has neither invalidate_mappings nor move_notify"
#endif

/* The exporter's call that tells importers to drop their mappings. */
#if defined(HAVE_DMA_BUF_INVALIDATE_MAPPINGS)
#define dbr_dma_buf_notify(dmabuf) dma_buf_invalidate_mappings(dmabuf)
#elif defined(HAVE_DMA_BUF_MOVE_NOTIFY)
#define dbr_dma_buf_notify(dmabuf) dma_buf_move_notify(dmabuf)
#else
#error "neither dma_buf_invalidate_mappings() nor dma_buf_move_notify() exists"
#endif

/* Set VMA flags: through the wrapper from v6.3, directly before. */
#ifdef HAVE_VM_FLAGS_SET
#define dbr_vm_flags_set(vma, flags) vm_flags_set(vma, flags)
#else
#define dbr_vm_flags_set(vma, flags) ((vma)->vm_flags |= (flags))
#endif

/* The unbound system workqueue, by its name on this kernel. */
#ifdef HAVE_SYSTEM_DFL_WQ
#define dbr_wq system_dfl_wq
#else
#define dbr_wq system_unbound_wq
#endif

/* A legacy (static) importer is one that attached without importer ops. */
#define dbr_attachment_is_dynamic(attach) (!!(attach)->importer_ops)

#endif /* DMABUF_REVOKE_COMPAT_H */
H
} >"$hdr"
mv "$hdr" "$OUT/dmabuf_revoke_compat.h"
for p in "${PROBES[@]}"; do
	[ "$p" = CONFTEST_BASELINE ] && continue
	printf 'conftest: %-40s %s\n' "$p" "$(have "$p" && echo yes || echo no)"
done
