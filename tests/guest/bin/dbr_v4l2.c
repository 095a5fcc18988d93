// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_v4l2: a real in-kernel legacy importer, vivid (the V4L2 virtual
 * driver) loaded with allocators=1: its queues use videobuf2-dma-contig,
 * whose attach_dmabuf calls dma_buf_attach() (no importer ops) and maps
 * at once, both inside VIDIOC_QBUF of a V4L2_MEMORY_DMABUF buffer.
 *
 *   dbr_v4l2 [--unguarded] [--stream] [--udmabuf]
 *	set a 16x16 YUYV capture format (one page), REQBUFS(DMABUF), QBUF a
 *	test-exporter buffer; with --stream, when that worked, QBUF a second
 *	one, STREAMON, wait for one frame and DQBUF it; then free the queue.
 *	--udmabuf: the first buffer is a udmabuf instead (an in-tree exporter
 *	the shim's hook guards with exporters=+udmabuf): from 6.12, vb2 leaks
 *	the dma-buf whose attach failed, and a leaked test-exporter buffer
 *	would pin our modules for the rest of the boot
 *
 * Prints key=value lines for the shell suite (83-vivid) to assert on:
 * qbuf_err (the errno name user space sees, 0 if it worked), the
 * exporter's view of the buffer after QBUF (q_attach, q_mapped) and after
 * the queue is freed (freed_attach), and with --stream the frame
 * (dq_bytesused, dq_nonzero: bytes vivid wrote, read through an mmap of
 * the dma-buf). Exit 0 if the scenario could be driven (whatever its
 * outcome), 2 on a usage or setup error (the reason on stderr).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include "dmabuf_revoke_exporter.h"
#include "dbr_util.h"

#define BUF_SIZE 4096u	/* one page: vb2-dma-contig needs it DMA-contiguous */
#define NBUF 2		/* vivid starts streaming with 2 buffers queued */

static void setup_fail(const char *what)
{
	fprintf(stderr, "dbr_v4l2: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The vivid video capture node, by driver name (not by number). */
static int open_vivid(void)
{
	struct v4l2_capability cap;
	char path[300];
	struct dirent *d;
	DIR *dir = opendir("/dev");
	int fd;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING)) {
			printf("dev=%s\n", d->d_name);
			closedir(dir);
			return fd;
		}
		close(fd);
	}
	closedir(dir);
	return -1;
}

static void exp_status(int exp, int buf, unsigned int *attach, unsigned int *mapped)
{
	struct dbr_exp_status st = { .fd = buf };

	if (ioctl(exp, DBR_EXP_STATUS, &st))
		setup_fail("DBR_EXP_STATUS");
	*attach = st.nr_attach;
	*mapped = st.nr_mapped;
}

static int qbuf(int vfd, unsigned int index, int buf)
{
	struct v4l2_buffer b = {
		.index = index,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.length = BUF_SIZE,
	};

	b.m.fd = buf;
	return ioctl(vfd, VIDIOC_QBUF, &b) ? errno : 0;
}

/* A one-page udmabuf (memfd-backed), or exit 2. */
static int udmabuf_fd(void)
{
	struct udmabuf_create c = { .size = BUF_SIZE, .flags = UDMABUF_FLAGS_CLOEXEC };
	int memfd = memfd_create("dbr_v4l2", MFD_ALLOW_SEALING), udma, fd;

	if (memfd < 0 || ftruncate(memfd, BUF_SIZE) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		setup_fail("memfd");
	c.memfd = memfd;
	udma = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (udma < 0)
		setup_fail("open /dev/udmabuf");
	fd = ioctl(udma, UDMABUF_CREATE, &c);
	if (fd < 0)
		setup_fail("UDMABUF_CREATE");
	close(udma);
	close(memfd);
	return fd;
}

/* Wait for one frame, dequeue it, count the bytes vivid wrote into it. */
static void one_frame(int vfd, const int *bufs)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	struct pollfd pfd = { .fd = vfd, .events = POLLIN };
	unsigned int i, nonzero = 0;
	const unsigned char *p;
	int n;

	n = poll(&pfd, 1, 10000);
	printf("dq_poll=%s\n", n > 0 ? "0" : n == 0 ? "TIMEOUT" : ename(errno));
	if (n <= 0)
		return;
	if (ioctl(vfd, VIDIOC_DQBUF, &b)) {
		printf("dqbuf_err=%s\n", ename(errno));
		return;
	}
	printf("dqbuf_err=0\ndq_index=%u\ndq_bytesused=%u\ndq_error=%u\n",
	       b.index, b.bytesused, !!(b.flags & V4L2_BUF_FLAG_ERROR));
	if (b.index >= NBUF)
		return;
	p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, bufs[b.index], 0);
	if (p == MAP_FAILED)
		setup_fail("mmap of the dequeued dma-buf");
	for (i = 0; i < b.bytesused && i < BUF_SIZE; i++)
		nonzero += p[i] != 0;
	munmap((void *)p, BUF_SIZE);
	printf("dq_nonzero=%u\n", nonzero);
}

int main(int argc, char **argv)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers rb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int unguarded = 0, stream = 0, udmabuf = 0, exp, vfd, err, i, type;
	int bufs[NBUF];
	unsigned int a, m, total = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unguarded"))
			unguarded = 1;
		else if (!strcmp(argv[i], "--stream"))
			stream = 1;
		else if (!strcmp(argv[i], "--udmabuf"))
			udmabuf = 1;
		else {
			fprintf(stderr, "usage: dbr_v4l2 [--unguarded] [--stream] [--udmabuf]\n");
			return 2;
		}
	}
	exp = open("/dev/dmabuf_revoke_exporter", O_RDWR | O_CLOEXEC);
	if (exp < 0)
		setup_fail("open /dev/dmabuf_revoke_exporter");
	vfd = open_vivid();
	if (vfd < 0) {
		fprintf(stderr, "dbr_v4l2: no vivid video capture node in /dev\n");
		return 2;
	}
	for (i = 0; i < NBUF; i++) {
		struct dbr_exp_create c = { .size = BUF_SIZE };

		if (!unguarded)
			c.flags |= DBR_EXP_GUARDED;
		if (ioctl(exp, DBR_EXP_CREATE, &c))
			setup_fail("DBR_EXP_CREATE");
		bufs[i] = c.fd;
	}
	if (udmabuf) {
		close(bufs[0]);
		bufs[0] = udmabuf_fd();
	}

	/* A frame that fits one page: the input must be one vivid can scale. */
	f.fmt.pix.width = 16;
	f.fmt.pix.height = 16;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_ANY;
	if (ioctl(vfd, VIDIOC_S_FMT, &f))
		setup_fail("VIDIOC_S_FMT");
	printf("fmt=%ux%u\nsizeimage=%u\n", f.fmt.pix.width, f.fmt.pix.height,
	       f.fmt.pix.sizeimage);
	if (f.fmt.pix.sizeimage > BUF_SIZE) {
		fprintf(stderr, "dbr_v4l2: a %ux%u frame needs %u bytes, more than one page\n",
			f.fmt.pix.width, f.fmt.pix.height, f.fmt.pix.sizeimage);
		return 2;
	}

	rb.count = NBUF;
	if (ioctl(vfd, VIDIOC_REQBUFS, &rb))
		setup_fail("VIDIOC_REQBUFS(V4L2_MEMORY_DMABUF)");
	printf("reqbufs_count=%u\n", rb.count);
	if (rb.count < NBUF) {
		fprintf(stderr, "dbr_v4l2: REQBUFS gave %u buffers\n", rb.count);
		return 2;
	}

	/* vb2 attaches (dma_buf_attach()) and maps the dma-buf in QBUF. */
	err = qbuf(vfd, 0, bufs[0]);
	printf("qbuf_err=%s\nqbuf_errno=%d\n", ename(err), err);
	if (!udmabuf) {
		exp_status(exp, bufs[0], &a, &m);
		printf("q_attach=%u\nq_mapped=%u\n", a, m);
	}

	if (stream && !err) {
		printf("qbuf_next_err=%s\n", ename(qbuf(vfd, 1, bufs[1])));
		type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		err = ioctl(vfd, VIDIOC_STREAMON, &type) ? errno : 0;
		printf("streamon_err=%s\n", ename(err));
		if (!err) {
			one_frame(vfd, bufs);
			printf("streamoff_err=%s\n",
			       ename(ioctl(vfd, VIDIOC_STREAMOFF, &type) ? errno : 0));
		}
	}

	/* Freeing the queue detaches whatever vivid attached. */
	rb.count = 0;
	printf("free_err=%s\n", ename(ioctl(vfd, VIDIOC_REQBUFS, &rb) ? errno : 0));
	for (i = udmabuf; i < NBUF; i++) {
		exp_status(exp, bufs[i], &a, &m);
		total += a;
	}
	printf("freed_attach=%u\n", total);
	close(vfd);
	return 0;
}
