/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/dmabuf_revoke_exporter: a test dma-buf exporter that revokes its
 * buffers the way vfio-pci does (around FLR/reset), so that importers can
 * be tested against revocation on every kernel.
 */
#ifndef _UAPI_DMABUF_REVOKE_EXPORTER_H
#define _UAPI_DMABUF_REVOKE_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The exporter implements pin/unpin (else pin fails, as on vfio-pci 7.0). */
#define DBR_EXP_PIN_CAPABLE	(1u << 0)
/* Its attach calls dmabuf_revoke_check_attach(); without it the buffer is
 * "unguarded", like vfio-pci's, and only the shim's hook can guard it. */
#define DBR_EXP_GUARDED		(1u << 1)
#define DBR_EXP_FLAGS_ALL	(DBR_EXP_PIN_CAPABLE | DBR_EXP_GUARDED)

/* Largest buffer, in bytes; size must be a non-zero multiple of the page. */
#define DBR_EXP_MAX_SIZE	(64u << 20)

struct dbr_exp_create {
	__u64 size;		/* in */
	__u32 flags;		/* in: DBR_EXP_* */
	__s32 fd;		/* out: the dma-buf, O_RDWR | O_CLOEXEC */
};

struct dbr_exp_revoke {
	__s32 fd;		/* in: a dma-buf of this exporter */
	__u32 timeout_ms;	/* in: wait for unmaps; 0 = module default */
	__u32 stale;		/* out: attachments still mapped at the end */
	__u32 notified;		/* out: dynamic attachments notified */
};

struct dbr_exp_status {
	__s32 fd;		/* in */
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
#define DBR_EXP_RESTORE	_IOW(DBR_EXP_IOC_MAGIC, 0x02, __s32)
#define DBR_EXP_STATUS	_IOWR(DBR_EXP_IOC_MAGIC, 0x03, struct dbr_exp_status)

#endif /* _UAPI_DMABUF_REVOKE_EXPORTER_H */
