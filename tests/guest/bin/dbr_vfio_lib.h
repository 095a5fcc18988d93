/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vfio-pci device's BAR0 as a dma-buf, for the guest programs that drive
 * one (dbr_vfio, dbr_vfio_test): open the container, group and device,
 * export BAR0, revoke it the ways vfio-pci does (reset, memory off, close),
 * import it into the test importer as the PCI device itself, and read what
 * the dma-buf core says of it. Every function returns 0 or -errno (the fd or
 * the id where it makes one); dbr_vfio_open() also says what failed.
 */
#ifndef DBR_VFIO_LIB_H
#define DBR_VFIO_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "dbr_ioctl.h"
#include "dbr_vfio_uapi.h"

struct dbr_vfio {
	int container, group, device;
	char bdf[64], groupname[64];
	uint64_t cfg_offset;		/* of the config region */
	uint64_t bar0_size;
};

/* How the buffer is revoked: what vfio-pci does on each of these. */
enum dbr_vfio_revoke {
	DBR_VFIO_NONE,
	DBR_VFIO_RESET,		/* VFIO_DEVICE_RESET: revoked for its duration */
	DBR_VFIO_COMMAND,	/* PCI_COMMAND memory bit cleared (then set again) */
	DBR_VFIO_CLOSE,		/* the device fd closed: for good */
	DBR_VFIO_REVOKES
};

static const char *const dbr_vfio_revoke_name[DBR_VFIO_REVOKES] = {
	"none", "reset", "command", "close",
};

static inline void dbr_vfio_close(struct dbr_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

/* Say in @why what failed; @err back. */
static inline int __attribute__((format(printf, 4, 5)))
dbr_vfio_why(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Open @v->bdf (bound to vfio-pci) through its group in a type1 container
 * and learn its BAR0 and config region: 0, or -errno with the failed step
 * in @why (fds opened so far stay in @v for dbr_vfio_close()).
 */
static inline int dbr_vfio_open(struct dbr_vfio *v, char *why, size_t len)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	char path[sizeof("/dev/vfio/") + sizeof(v->groupname)], driver[64];
	int api;

	v->container = v->group = v->device = -1;
	if (strcmp(dev_link(v->bdf, "driver", driver, sizeof(driver)), "vfio-pci"))
		return dbr_vfio_why(why, len, -ENODEV,
				    "%s is bound to '%s', not vfio-pci (run dbr_vfio bind)",
				    v->bdf, driver);
	if (!dev_link(v->bdf, "iommu_group", v->groupname, sizeof(v->groupname))[0])
		return dbr_vfio_why(why, len, -ENODEV, "%s has no IOMMU group (intel_iommu=on?)", v->bdf);

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return dbr_vfio_why(why, len, -errno, "open /dev/vfio/vfio: %m");
	api = ioctl(v->container, VFIO_GET_API_VERSION);
	if (api != VFIO_API_VERSION)
		return dbr_vfio_why(why, len, -EPROTO, "VFIO API version %d, want %d",
				    api, VFIO_API_VERSION);
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1)
		return dbr_vfio_why(why, len, -ENODEV,
				    "VFIO_TYPE1_IOMMU not supported (vfio_iommu_type1 loaded?)");

	snprintf(path, sizeof(path), "/dev/vfio/%s", v->groupname);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return dbr_vfio_why(why, len, -errno, "open %s: %m", path);
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs))
		return dbr_vfio_why(why, len, -errno, "VFIO_GROUP_GET_STATUS: %m");
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return dbr_vfio_why(why, len, -EBUSY,
				    "group %s is not viable (every device must be bound to vfio-pci)",
				    v->groupname);
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return dbr_vfio_why(why, len, -errno, "VFIO_GROUP_SET_CONTAINER: %m");
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		return dbr_vfio_why(why, len, -errno, "VFIO_SET_IOMMU(TYPE1): %m");
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	if (v->device < 0)
		return dbr_vfio_why(why, len, -errno, "VFIO_GROUP_GET_DEVICE_FD(%s): %m", v->bdf);

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return dbr_vfio_why(why, len, -errno, "VFIO_DEVICE_GET_REGION_INFO(BAR0): %m");
	v->bar0_size = ri.size;
	if (v->bar0_size < (uint64_t)sysconf(_SC_PAGESIZE))
		return dbr_vfio_why(why, len, -ERANGE, "BAR0 of %s is %llu bytes, less than a page",
				    v->bdf, (unsigned long long)v->bar0_size);
	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return dbr_vfio_why(why, len, -errno, "VFIO_DEVICE_GET_REGION_INFO(config): %m");
	v->cfg_offset = ri.offset;
	return 0;
}

/* Set or clear PCI_COMMAND's memory bit through the config region. */
static inline int dbr_vfio_command(struct dbr_vfio *v, int set_memory)
{
	uint16_t cmd;
	off_t off = (off_t)(v->cfg_offset + PCI_COMMAND);

	if (pread(v->device, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno ? -errno : -EIO;
	if (set_memory)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= (uint16_t)~PCI_COMMAND_MEMORY;
	if (pwrite(v->device, &cmd, sizeof(cmd), off) != sizeof(cmd))
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * Revoke the device's dma-bufs the way @how says; DBR_VFIO_CLOSE leaves
 * @v->device -1, DBR_VFIO_COMMAND the memory bit cleared.
 */
static inline int dbr_vfio_revoke(struct dbr_vfio *v, enum dbr_vfio_revoke how)
{
	int r = 0;

	switch (how) {
	case DBR_VFIO_RESET:
		r = ioctl(v->device, VFIO_DEVICE_RESET) ? -errno : 0;
		break;
	case DBR_VFIO_COMMAND:
		r = dbr_vfio_command(v, 0);
		break;
	case DBR_VFIO_CLOSE:
		r = close(v->device) ? -errno : 0;
		v->device = -1;
		break;
	default:
		break;
	}
	return r;
}

/* The exporter's name of dma-buf @buf, from its fdinfo, into @name. */
static inline int dbr_buf_exp_name(int buf, char *name, size_t len)
{
	char path[64], line[256];
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", buf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r && fgets(line, sizeof(line), f)) {
		char *p = line + 9;

		if (strncmp(line, "exp_name:", 9))
			continue;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		copy(name, len, p);
		r = 0;
	}
	fclose(f);
	return r;
}

/*
 * The kernel's own count of attachments of @buf, from debugfs
 * dma_buf/bufinfo (matched by inode number); -1 if unavailable.
 */
static inline int dbr_buf_attachments(int buf)
{
	struct stat st;
	char line[512];
	int in = 0, n = -1;
	FILE *f;

	if (fstat(buf, &st))
		return -1;
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL;
		int i = 0;

		if (in) {
			if (sscanf(line, "Total %d devices attached", &n) == 1)
				break;
			continue;
		}
		/* size flags mode count exp_name ino name */
		for (tok = strtok_r(line, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save), i++)
			if (i == 5 && strtoull(tok, NULL, 10) == st.st_ino)
				in = 1;
	}
	fclose(f);
	return n;
}

/*
 * Attach-only import of @buf in @mode, as the PCI device @bdf (the one
 * importer vfio-pci's map always has a P2P path to: itself) or, if NULL,
 * as the importer's own misc device: 0 and *id, or -errno.
 */
static inline int dbr_vfio_import(int imp, int buf, uint32_t mode, const char *bdf,
				  uint32_t *id)
{
	struct dbr_imp_import in = { .fd = buf, .mode = mode, .flags = DBR_IMP_NO_MAP };
	unsigned int dom, bus, slot, fn;
	char end;
	int r;

	*id = 0;
	if (bdf) {
		if (sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &end) != 4 ||
		    bus > 0xff || slot > 0x1f || fn > 7)
			return -EINVAL;
		in.flags |= DBR_IMP_PCI_DEV;
		in.pci_domain = dom;
		in.pci_bus = (__u8)bus;
		in.pci_devfn = (__u8)(slot << 3 | fn);
	}
	r = dbr_ioctl(imp, DBR_IMP_IMPORT, &in);
	if (!r)
		*id = in.id;
	return r;
}

/* ---- a reset held up by a mapped import (7.2+ vfio-pci waits for every unmap) ---- */

#include <poll.h>
#include <sys/wait.h>
#include <time.h>

static inline long dbr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The shim's counters/stale_named: the watchdog named a stale mapping. */
static inline long long dbr_stale_named(void)
{
	long long v = -1;

	dbr_counter("stale_named", &v);
	return v;
}

/* What dbr_vfio_reset_held() saw. */
struct dbr_vfio_hang {
	int named;		/* stale_named moved within the wait */
	long named_ms;		/* how long into the reset it moved */
	int blocked;		/* the reset had not returned by then */
	int release_err;	/* releasing the import: 0 or -errno */
	int reset_done;		/* the reset returned within 10 s of the release */
	long reset_ms;		/* how long after the release */
	int reset_err;		/* its result, 0 or -errno (if done) */
};

/*
 * VFIO_DEVICE_RESET in a child while import @id of @imp stays mapped; from
 * here wait up to @ms for the watchdog to name the holder, then release @id
 * and wait up to 10 s for the reset to return. 0 with *h filled in, or
 * -errno if the child could not be started. A reset still blocked is left
 * behind in its child (it holds neither @imp nor stdout).
 */
static inline int dbr_vfio_reset_held(struct dbr_vfio *v, int imp, uint32_t id, long ms,
				      struct dbr_vfio_hang *h)
{
	struct pollfd pfd = { .events = POLLIN };
	long long n0 = dbr_stale_named();
	int p[2], err, null;
	long t0;
	pid_t pid;

	memset(h, 0, sizeof(*h));
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	t0 = dbr_now_ms();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (!pid) {
		/* The parent releases the import, not our exit. */
		close(imp);
		null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) < 0 || dup2(1, 2) < 0)
			_exit(1);
		err = ioctl(v->device, VFIO_DEVICE_RESET) ? -errno : 0;
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	while (dbr_now_ms() - t0 < ms) {
		if (dbr_stale_named() > n0) {
			h->named = 1;
			h->named_ms = dbr_now_ms() - t0;
			break;
		}
		if (poll(&pfd, 1, 20) > 0)
			break;		/* the reset returned */
	}
	h->blocked = poll(&pfd, 1, 0) == 0;
	h->release_err = dbr_release(imp, id);
	t0 = dbr_now_ms();
	if (poll(&pfd, 1, 10000) > 0 && read(p[0], &err, sizeof(err)) == sizeof(err)) {
		h->reset_done = 1;
		h->reset_ms = dbr_now_ms() - t0;
		h->reset_err = err;
		waitpid(pid, NULL, 0);
	}
	close(p[0]);
	return 0;
}

/* Release import @id of @imp, close @imp and @buf (each where set), close @v. */
static inline void dbr_vfio_drop(struct dbr_vfio *v, int imp, int buf, uint32_t id)
{
	if (id)
		dbr_release(imp, id);
	if (imp >= 0)
		close(imp);
	if (buf >= 0)
		close(buf);
	dbr_vfio_close(v);
}

/* ---- what the shim's hook saw of the attaches ------------------------------ */

#define DBR_HOOK "/sys/kernel/dmabuf_revoke/hook/"

/* hook/hits, counters attach_refused (by the shim) and attach_upstream (left to vfio-pci). */
struct dbr_hook { long long hits, refused, upstream; };

static inline int dbr_hook_read(struct dbr_hook *h)
{
	char b[32];
	int r = sysfs_get(DBR_HOOK "hits", b, sizeof(b));

	if (r)
		return r;
	h->hits = strtoll(b, NULL, 10);
	r = dbr_counter("attach_refused", &h->refused);
	return r ? r : dbr_counter("attach_upstream", &h->upstream);
}

#endif /* DBR_VFIO_LIB_H */
