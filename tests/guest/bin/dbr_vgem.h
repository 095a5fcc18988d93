/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few DRM ioctls the guest programs need (include/uapi/drm/drm.h), to
 * avoid libdrm, and finding the vgem device: one copy for every program.
 */
#ifndef DBR_VGEM_H
#define DBR_VGEM_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct drm_version_min {
	int version_major, version_minor, version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_prime_handle_min {
	uint32_t handle, flags;
	int32_t fd;
};

struct drm_gem_close_min {
	uint32_t handle, pad;
};

#define DRM_IOCTL_VERSION_MIN _IOWR('d', 0x00, struct drm_version_min)
#define DRM_IOCTL_GEM_CLOSE_MIN _IOW('d', 0x09, struct drm_gem_close_min)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE_MIN _IOWR('d', 0x2e, struct drm_prime_handle_min)

/* An fd of the vgem device in /dev/dri, or -1. */
static inline int open_vgem(void)
{
	char name[32], path[300];
	struct dirent *d;
	DIR *dir = opendir("/dev/dri");
	int fd;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		struct drm_version_min v = { .name = name, .name_len = sizeof(name) - 1 };

		if (strncmp(d->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", d->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION_MIN, &v) && !strcmp(name, "vgem")) {
			closedir(dir);
			return fd;
		}
		close(fd);
	}
	closedir(dir);
	return -1;
}

#endif /* DBR_VGEM_H */
