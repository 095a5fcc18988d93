/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/dmabuf_revoke_importer: a test dma-buf importer that can behave
 * like each kind of real importer, including ones that ignore revocation.
 * Root only (mode 0600). Imports belong to the open file: closing it
 * unmaps, unpins and detaches them. open() fails with ENODEV while the
 * module is still loading (the node exists before the device is ready).
 *
 * Every ioctl returns 0 or -1 with errno: EINVAL for bad input (the kernel
 * log names the problem), ENOTTY for an unknown command, EOPNOTSUPP for a
 * mode this kernel cannot do; DBR_IMP_IMPORT also passes on the errno of a
 * failed attach, pin or map (e.g. ENODEV from a revoked buffer, EOPNOTSUPP
 * from an exporter that refuses the importer).
 */
#ifndef _UAPI_DMABUF_REVOKE_IMPORTER_H
#define _UAPI_DMABUF_REVOKE_IMPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

enum dbr_imp_mode {
	DBR_IMP_LEGACY = 0,	/* dma_buf_attach(), map, hold (DRM PRIME-like) */
	/*
	 * dynamic, p2p, pins where the exporter can,
	 * callback only counts (RDMA-like, <= 7.0)
	 */
	DBR_IMP_STUB = 1,
	/*
	 * dynamic, p2p, pins, no callback (RDMA on
	 * 7.1+); EOPNOTSUPP on older kernels
	 */
	DBR_IMP_NOCB = 2,
	/*
	 * callback unmaps; maps again only on
	 * DBR_IMP_REMAP and only if not revoked
	 */
	DBR_IMP_COMPLIANT = 3,
	DBR_IMP_MODES,
};

/* Attach only; do not map (nor pin). */
#define DBR_IMP_NO_MAP		(1u << 0)
/*
 * Attach with one module-wide ops table whose callback is set to the
 * mode's first, as if a freed ops table were reused at the same address by
 * another importer (a dynamic mode only; EBUSY while an import with another
 * callback still uses the table).
 */
#define DBR_IMP_REUSED_OPS	(1u << 1)
/*
 * Attach as the PCI device pci_domain:pci_bus:pci_devfn (a reference is held
 * until the import goes away) instead of as this module's own non-PCI
 * device, the way a PCI peer importer does. Exporters that map only for a
 * PCI peer with a P2P path (vfio-pci: pci_p2pdma_map_type()) then map; the
 * exporting device itself always has one. EINVAL (the kernel log names it)
 * if there is no such device. Needs the full struct: DBR_IMP_IMPORT, not
 * DBR_IMP_IMPORT_V1.
 */
#define DBR_IMP_PCI_DEV		(1u << 2)
#define DBR_IMP_FLAGS_ALL	(DBR_IMP_NO_MAP | DBR_IMP_REUSED_OPS | \
				 DBR_IMP_PCI_DEV)

struct dbr_imp_import {
	__s32 fd;		/* in: dma-buf fd */
	__u32 mode;		/* in: enum dbr_imp_mode */
	__u32 flags;		/* in: DBR_IMP_* */
	__u32 id;		/* out: handle for the calls below (> 0) */
	/*
	 * in: the device of DBR_IMP_PCI_DEV; all 0 without that flag. Not in
	 * the original 16-byte struct (DBR_IMP_IMPORT_V1).
	 */
	__u32 pci_domain;	/* PCI domain (segment) */
	__u8 pci_bus;
	__u8 pci_devfn;		/* (slot << 3) | function */
	__u16 reserved;		/* 0 */
};

struct dbr_imp_status {
	__u32 id;		/* in */
	__u32 mode;		/* out: enum dbr_imp_mode */
	__u32 mapped;		/* out: this importer holds a mapping now */
	/*
	 * out: holds a pin the exporter granted (an
	 * exporter without pin op grants none)
	 */
	__u32 pinned;
	__u32 notifications;	/* out: revocation callbacks received */
	/*
	 * out: holds a mapping (its own or the core's cached one) of a
	 * revoked buffer: notified after the mapping was made, or the
	 * registry says the buffer is revoked
	 */
	__u32 stale;
	__u32 maps;		/* out: successful maps so far */
	__s32 last_map_err;	/* out: 0 or -errno of the last map attempt */
	/*
	 * out: 1 if the dma-buf core itself mapped this attachment at attach
	 * and keeps that mapping until detach (kernels before v6.16, when
	 * importer and exporter differ in being dynamic); unmapping cannot
	 * release it
	 */
	__u32 core_cached;
};

/*
 * Register this module's ops for a mode with the registry (test of the
 * registration API). Legacy has no ops; nocb only exists on 7.1+.
 */
struct dbr_imp_register {
	__u32 mode;		/* in: enum dbr_imp_mode, not DBR_IMP_LEGACY */
	__u32 cap;		/* in: 1 = revocable, 0 = not revocable */
};

#define DBR_IMP_IOC_MAGIC	'y'
#define DBR_IMP_IMPORT	_IOWR(DBR_IMP_IOC_MAGIC, 0x00, struct dbr_imp_import)
/*
 * The same command as built against the original struct (fd, mode, flags,
 * id; 16 bytes): old binaries keep working, without DBR_IMP_PCI_DEV.
 */
#define DBR_IMP_IMPORT_V1_SIZE	16
#define DBR_IMP_IMPORT_V1 \
	_IOC(_IOC_READ | _IOC_WRITE, DBR_IMP_IOC_MAGIC, 0x00, DBR_IMP_IMPORT_V1_SIZE)
#define DBR_IMP_STATUS	_IOWR(DBR_IMP_IOC_MAGIC, 0x01, struct dbr_imp_status)
/*
 * Argument: id. Maps again if not mapped; fails (and records the error in
 * last_map_err) if the buffer is revoked or the map fails.
 */
#define DBR_IMP_REMAP	_IOW(DBR_IMP_IOC_MAGIC, 0x02, __u32)
/* Argument: id. Unmaps, unpins, detaches and forgets the import. */
#define DBR_IMP_RELEASE	_IOW(DBR_IMP_IOC_MAGIC, 0x03, __u32)
#define DBR_IMP_REGISTER _IOW(DBR_IMP_IOC_MAGIC, 0x04, struct dbr_imp_register)
/* Argument: mode registered with DBR_IMP_REGISTER; ENOENT if it is not. */
#define DBR_IMP_UNREGISTER _IOW(DBR_IMP_IOC_MAGIC, 0x05, __u32)

#endif /* _UAPI_DMABUF_REVOKE_IMPORTER_H */
