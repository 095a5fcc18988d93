/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/dmabuf_revoke_exporter: a test dma-buf exporter that revokes its
 * buffers the way vfio-pci does (around FLR/reset), so that importers can
 * be tested against revocation on every kernel. Root only (mode 0600).
 *
 * Every ioctl returns 0 or -1 with errno: EINVAL for bad input (the kernel
 * log names the problem), ENOTTY for an unknown command, EFAULT for a bad
 * pointer, ENOMEM when out of memory.
 */
#ifndef _UAPI_DMABUF_REVOKE_EXPORTER_H
#define _UAPI_DMABUF_REVOKE_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The exporter implements pin/unpin. Without it the buffer has no pin op,
 * like vfio-pci on 7.1+; the dma-buf core then treats the exporter as
 * static (before v6.16 that makes the core map dynamic importers at
 * attach and cache the mapping until detach).
 */
#define DBR_EXP_PIN_CAPABLE	(1u << 0)
/*
 * Its attach calls dmabuf_revoke_check_attach(); without it the buffer is
 * "unguarded", like vfio-pci's, and only the shim's hook can guard it.
 */
#define DBR_EXP_GUARDED		(1u << 1)
/*
 * The exporter does not call the shim for this buffer at all, like
 * vfio-pci: no check at attach (not with DBR_EXP_GUARDED) and no tracking
 * calls. With the test exporter in exporters=, the hook guards the buffer
 * and tracks it (track_guarded) the way it tracks vfio-pci's.
 */
#define DBR_EXP_UNTRACKED	(1u << 2)
#define DBR_EXP_FLAGS_ALL	(DBR_EXP_PIN_CAPABLE | DBR_EXP_GUARDED | \
				 DBR_EXP_UNTRACKED)

/* Largest buffer, in bytes; size must be a non-zero multiple of the page. */
#define DBR_EXP_MAX_SIZE	(64u << 20)

/*
 * Longest wait for unmaps in DBR_EXP_REVOKE (and the module parameter
 * revoke_timeout_ms), in milliseconds.
 */
#define DBR_EXP_MAX_TIMEOUT_MS	60000u

struct dbr_exp_create {
	__u64 size;		/* in: bytes, page multiple, <= DBR_EXP_MAX_SIZE */
	__u32 flags;		/* in: DBR_EXP_*; others are rejected */
	__s32 fd;		/* out: the dma-buf, O_RDWR | O_CLOEXEC */
};

/*
 * Revoke: under the buffer's reservation lock mark it revoked, notify the
 * importers (move_notify / invalidate_mappings) and wait for its fences;
 * then zap CPU mappings and wait up to timeout_ms for every attachment to
 * unmap. Afterwards attach and map fail with ENODEV, vmap fails and CPU
 * access through an mmap gets SIGBUS. Revoking a revoked buffer is allowed
 * and reports again.
 */
struct dbr_exp_revoke {
	__s32 fd;		/* in: a dma-buf of this exporter */
	/*
	 * in: wait for unmaps; 0 = module parameter
	 * revoke_timeout_ms; <= DBR_EXP_MAX_TIMEOUT_MS
	 */
	__u32 timeout_ms;
	__u32 stale;		/* out: attachments still mapped at the end */
	/*
	 * out: attachments whose importer callback
	 * was called (importer ops with a callback)
	 */
	__u32 notified;
};

struct dbr_exp_status {
	__s32 fd;		/* in: a dma-buf of this exporter */
	__u32 flags;		/* out: DBR_EXP_* it was created with */
	__u32 revoked;		/* out: 1 while revoked */
	__u32 nr_attach;	/* out: current attachments */
	__u32 nr_mapped;	/* out: attachments holding a mapping */
	__u32 nr_pinned;	/* out: attachments holding a pin */
	__u32 revokes;		/* out: revocations so far */
	__u32 stale;		/* out: stale attachments at the last revoke */
};

#define DBR_EXP_IOC_MAGIC	'x'
#define DBR_EXP_CREATE	_IOWR(DBR_EXP_IOC_MAGIC, 0x00, struct dbr_exp_create)
#define DBR_EXP_REVOKE	_IOWR(DBR_EXP_IOC_MAGIC, 0x01, struct dbr_exp_revoke)
/* Argument: the dma-buf fd. Clears "revoked"; importers may map again. */
#define DBR_EXP_RESTORE	_IOW(DBR_EXP_IOC_MAGIC, 0x02, __s32)
#define DBR_EXP_STATUS	_IOWR(DBR_EXP_IOC_MAGIC, 0x03, struct dbr_exp_status)

#endif /* _UAPI_DMABUF_REVOKE_EXPORTER_H */
