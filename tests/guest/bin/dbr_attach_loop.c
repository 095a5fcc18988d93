// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_attach_loop N: N times, export a fresh udmabuf and import it into vgem
 * (DRM PRIME: a legacy dma_buf_attach() importer). In-tree modules on both
 * sides, so nothing of ours is pinned while this runs: the suites unload
 * and reload the shim under it.
 *
 * Prints "refused=R accepted=A". Exit 0 if every import was either refused
 * with EOPNOTSUPP or accepted, 1 on any other outcome, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/udmabuf.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dbr_vgem.h"

int main(int argc, char **argv)
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	long i, refused = 0, accepted = 0;
	long page = sysconf(_SC_PAGESIZE);
	int memfd, udma, drm;

	if (n <= 0) {
		fprintf(stderr, "usage: dbr_attach_loop N\n");
		return 2;
	}
	memfd = memfd_create("dbr_attach_loop", MFD_ALLOW_SEALING);
	udma = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	drm = open_vgem();
	if (memfd < 0 || udma < 0 || drm < 0 || ftruncate(memfd, page) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		fprintf(stderr, "dbr_attach_loop: setup (memfd %d, udmabuf %d, vgem %d): %s\n",
			memfd, udma, drm, strerror(errno));
		return 2;
	}
	for (i = 0; i < n; i++) {
		struct udmabuf_create c = { .memfd = memfd, .size = page };
		struct drm_prime_handle_min ph = { 0 };
		struct drm_gem_close_min gc = { 0 };

		ph.fd = ioctl(udma, UDMABUF_CREATE, &c);
		if (ph.fd < 0) {
			fprintf(stderr, "dbr_attach_loop: UDMABUF_CREATE: %s\n", strerror(errno));
			return 2;
		}
		if (ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE_MIN, &ph)) {
			if (errno != EOPNOTSUPP) {
				fprintf(stderr, "dbr_attach_loop: import %ld: %s\n", i,
					strerror(errno));
				printf("refused=%ld accepted=%ld\n", refused, accepted);
				return 1;
			}
			refused++;
		} else {
			accepted++;
			gc.handle = ph.handle;
			if (ioctl(drm, DRM_IOCTL_GEM_CLOSE_MIN, &gc)) {
				fprintf(stderr, "dbr_attach_loop: GEM_CLOSE: %s\n", strerror(errno));
				return 1;
			}
		}
		close(ph.fd);
	}
	printf("refused=%ld accepted=%ld\n", refused, accepted);
	return 0;
}
