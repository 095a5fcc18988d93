/* SPDX-License-Identifier: GPL-2.0 */
/* The vfio dma-buf uAPI for the guest programs, where the headers lack it. */
#ifndef DBR_VFIO_UAPI_H
#define DBR_VFIO_UAPI_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "dbr_util.h"

/* v6.19 uAPI (5d74781ebc86); the host's 6.1 headers predate it. */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

#define PCI_DEVS "/sys/bus/pci/devices"
/* QEMU's edu device: the vfio-pci test device. */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/* PCI device @bdf's sysfs attribute @attr as a number (0 if unreadable). */
static inline unsigned long dev_attr(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[32] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strtoul(buf, NULL, 0);
}

/* The first edu device's address into @bdf: 1, or 0 if there is none. */
static inline int dbr_find_edu(char *bdf, size_t size)
{
	DIR *dir = opendir(PCI_DEVS);
	struct dirent *d;
	int found = 0;

	while (dir && !found && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || dev_attr(d->d_name, "vendor") != EDU_VENDOR ||
		    dev_attr(d->d_name, "device") != EDU_DEVICE)
			continue;
		copy(bdf, size, d->d_name);
		found = 1;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Basename of the PCI device @bdf's sysfs symlink @link ("" if none). */
static inline const char *dev_link(const char *bdf, const char *link,
				   char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX], *base;
	size_t len;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), PCI_DEVS "/%s/%s", bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return buf;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	/* Truncated to @size: names here are short ("vfio-pci", "12"). */
	len = strlen(base);
	if (len >= size)
		len = size - 1;
	memcpy(buf, base, len);
	buf[len] = '\0';
	return buf;
}

/*
 * Export the first page of @device's BAR0 as a dma-buf
 * (VFIO_DEVICE_FEATURE_DMA_BUF): the fd, or -errno.
 */
static inline int dbr_vfio_export_bar0(int device)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf db;
		struct vfio_region_dma_range r;
	} __attribute__((packed)) req;
	int fd;

	memset(&req, 0, sizeof(req));
	req.f.argsz = sizeof(req);
	req.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	req.db.region_index = VFIO_PCI_BAR0_REGION_INDEX;
	req.db.open_flags = O_RDWR | O_CLOEXEC;
	req.db.nr_ranges = 1;
	req.r.length = (__u64)sysconf(_SC_PAGESIZE);
	fd = ioctl(device, VFIO_DEVICE_FEATURE, &req);
	return fd < 0 ? -errno : fd;
}

#endif /* DBR_VFIO_UAPI_H */
