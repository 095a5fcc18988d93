/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/dmabuf_revoke_importer: a test dma-buf importer that can behave
 * like each kind of real importer, including ones that ignore revocation.
 */
#ifndef _UAPI_DMABUF_REVOKE_IMPORTER_H
#define _UAPI_DMABUF_REVOKE_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

enum dbr_imp_mode {
	DBR_IMP_LEGACY = 0,	/* dma_buf_attach(), map, hold (DRM PRIME-like) */
	DBR_IMP_STUB = 1,	/* dynamic, p2p, callback only counts (RDMA-like) */
	DBR_IMP_NOCB = 2,	/* importer ops without a callback (7.1+ only) */
	DBR_IMP_COMPLIANT = 3,	/* callback unmaps; maps again only if live */
	DBR_IMP_MODES,
};

/* Attach only; do not map (nor pin). */
#define DBR_IMP_NO_MAP		(1u << 0)
#define DBR_IMP_FLAGS_ALL	DBR_IMP_NO_MAP

struct dbr_imp_import {
	__s32 fd;		/* in: dma-buf fd */
	__u32 mode;		/* in: enum dbr_imp_mode */
	__u32 flags;		/* in: DBR_IMP_* */
	__u32 id;		/* out: handle for the calls below */
};

struct dbr_imp_status {
	__u32 id;		/* in */
	__u32 mode;		/* out */
	__u32 mapped;		/* out: holds a mapping now */
	__u32 pinned;		/* out: holds a pin now */
	__u32 notifications;	/* out: revocation callbacks received */
	__u32 stale;		/* out: holds a mapping of a revoked buffer */
	__u32 maps;		/* out: successful maps so far */
	__s32 last_map_err;	/* out: 0 or -errno of the last map attempt */
};

/* Register this module's ops for a mode with the registry (test of the
 * registration API): cap 1 = revocable, 0 = not revocable. */
struct dbr_imp_register {
	__u32 mode;		/* in */
	__u32 cap;		/* in */
};

#define DBR_IMP_IOC_MAGIC	'y'
#define DBR_IMP_IMPORT	_IOWR(DBR_IMP_IOC_MAGIC, 0x00, struct dbr_imp_import)
#define DBR_IMP_STATUS	_IOWR(DBR_IMP_IOC_MAGIC, 0x01, struct dbr_imp_status)
#define DBR_IMP_REMAP	_IOW(DBR_IMP_IOC_MAGIC, 0x02, __u32)
#define DBR_IMP_RELEASE	_IOW(DBR_IMP_IOC_MAGIC, 0x03, __u32)
#define DBR_IMP_REGISTER _IOW(DBR_IMP_IOC_MAGIC, 0x04, struct dbr_imp_register)
#define DBR_IMP_UNREGISTER _IOW(DBR_IMP_IOC_MAGIC, 0x05, __u32)

#endif /* _UAPI_DMABUF_REVOKE_IMPORTER_H */
