// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_v4l2 [kselftest harness options]: a real in-kernel legacy importer,
 * vivid (the V4L2 virtual driver) loaded with allocators=1: its queues use
 * videobuf2-dma-contig, whose attach_dmabuf calls dma_buf_attach() (no
 * importer ops) and maps at once, both inside VIDIOC_QBUF of a
 * V4L2_MEMORY_DMABUF buffer. KTAP on stdout.
 *
 * Each test sets a 16x16 YUYV capture format (one page), REQBUFS(DMABUF) 2,
 * QBUFs one buffer, with stream a second one, STREAMON, one frame dequeued,
 * STREAMOFF; frees the queue. One variant per case of suite 83-vivid:
 *   audit      a guarded test-exporter buffer: attached and mapped, counted
 *              audited, logged naming vivid's device
 *   off        vivid streams a frame into the exporter's pages
 *   unguarded  under enforce, but the shim never sees the buffer
 *   enforce    QBUF fails with EOPNOTSUPP, counted and logged as refused
 * From 6.12 vb2 leaks a dma-buf whose attach failed (__prepare_dmabuf()'s
 * error path skips its dma_buf_put()), and a leaked test-exporter buffer
 * would pin our modules for the rest of the boot: there, enforce refuses a
 * udmabuf that the shim's hook guards (exporters=+udmabuf) and shows the
 * leak. The kernel's release (uname) decides, as no conftest probe sees vb2.
 *
 * The test sets the variant's policy (and exporters=) and the teardown puts
 * them back. Counters: /sys/kernel/dmabuf_revoke/counters; the kernel log
 * is read from /dev/kmsg, only the records each test made.
 *
 * Needs dmabuf_revoke_exporter (so dmabuf_revoke) and vivid loaded with
 * n_devs=1 node_types=0x1 num_inputs=1 input_types=0x2 allocators=1; for
 * enforce from 6.12, /dev/udmabuf and debugfs (else that test is skipped).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include "kselftest_harness.h"
#include "dbr_ioctl.h"
#include "dbr_util.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define BUF_SIZE 4096u	/* one page: vb2-dma-contig needs it DMA-contiguous */
#define NBUF 2		/* vivid starts streaming with 2 buffers queued */

#define BUFINFO "/sys/kernel/debug/dma_buf/bufinfo"
#define EXP_REFCNT "/sys/module/dmabuf_revoke_exporter/refcnt"
#define HOOK_HITS "/sys/kernel/dmabuf_revoke/hook/hits"

/* The vivid video capture node, by driver name (not by number). */
static int open_vivid(char *name, size_t len)
{
	struct v4l2_capability cap;
	char path[300];
	struct dirent *d;
	DIR *dir = opendir("/dev");
	int fd = -1;

	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, "video", 5))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", d->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) && !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING)) {
			copy(name, len, d->d_name);
			break;
		}
		close(fd);
		fd = -1;
	}
	if (dir)
		closedir(dir);
	return fd;
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
	return dbr_ioctl(vfd, VIDIOC_QBUF, &b);
}

static int reqbufs(int vfd, unsigned int *count)
{
	struct v4l2_requestbuffers rb = {
		.count = *count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int r = dbr_ioctl(vfd, VIDIOC_REQBUFS, &rb);

	*count = rb.count;
	return r;
}

/* A one-page udmabuf (memfd-backed): its fd, or -errno. */
static int udmabuf_create(void)
{
	struct udmabuf_create c = { .size = BUF_SIZE, .flags = UDMABUF_FLAGS_CLOEXEC };
	int memfd, udma, fd;

	memfd = memfd_create("dbr_v4l2", MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	c.memfd = memfd;
	if (ftruncate(memfd, BUF_SIZE) || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		fd = -errno;
	} else {
		fd = udma = dbr_open("/dev/udmabuf");
		if (udma >= 0) {
			fd = ioctl(udma, UDMABUF_CREATE, &c);	/* the new dma-buf's fd */
			if (fd < 0)
				fd = -errno;
			close(udma);
		}
	}
	close(memfd);
	return fd;
}

/* udmabufs alive (debugfs bufinfo: the exporter is the 5th field), or -errno. */
static int udmabufs(void)
{
	char line[512], *f;
	FILE *bi = fopen(BUFINFO, "re");
	int n = 0, i;

	if (!bi)
		return -errno;
	while (fgets(line, sizeof(line), bi)) {
		for (f = line, i = 0; f && i < 4; i++)
			f = strchr(f, '\t') ? strchr(f, '\t') + 1 : NULL;
		n += f && !strncmp(f, "udmabuf\t", 8);
	}
	fclose(bi);
	return n;
}

/* From 6.12 vb2 leaks a dma-buf whose attach failed (see the top). */
static int vb2_leaks_refused(void)
{
	unsigned int maj = 0, min = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return 1;	/* unknown: do not risk pinning our modules */
	return maj > 6 || (maj == 6 && min >= 12);
}

/* The kernel log records since *fd was opened at its end, a line each. */
static void kmsg_read(int fd, char *log, size_t len)
{
	char rec[8192], *msg, *nl;
	size_t n = 0, m;
	ssize_t r;

	log[0] = '\0';
	for (;;) {
		r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile: the next one */
		if (r <= 0)
			break;		/* EAGAIN: all read */
		rec[r] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		m = strlen(msg);
		if (n + m + 2 > len)
			break;
		memcpy(log + n, msg, m);
		n += m;
		log[n++] = '\n';
		log[n] = '\0';
	}
}

/* A line of @log matches the basic regex @re (as grep): 1, 0, or -1. */
static int log_has(const char *log, const char *re)
{
	regex_t rx;
	int hit;

	if (regcomp(&rx, re, REG_NOSUB | REG_NEWLINE))
		return -1;
	hit = !regexec(&rx, log, 0, NULL, 0);
	regfree(&rx);
	return hit;
}

/* Close *fd if open; the teardown then leaves it. */
static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

FIXTURE(vivid) {
	int exp, vfd, kmsg;
	int bufs[NBUF];
	int udmabuf;		/* bufs[0] is a udmabuf the hook guards */
	int udmabufs0;		/* udmabufs alive before it */
	char dev[64];
	unsigned int sizeimage;
	struct dbr_knobs knobs;
	struct dbr_ctrs c0;
	char log[65536];
};

/*
 * One case: the policy, the buffer, and what must happen at QBUF (errno,
 * the exporter's attachments and mappings), which counters move, and the
 * shim's log line for it ("audit" or "refused": the kernel log must name
 * vivid's device and the buffer's exporter; NULL: not checked).
 */
FIXTURE_VARIANT(vivid) {
	const char *policy;
	uint32_t flags;		/* DBR_EXP_GUARDED or 0 */
	int stream;
	int qbuf_err;		/* 0 or -EOPNOTSUPP */
	unsigned int held;	/* attached and mapped after QBUF */
	const char *counters;	/* "name=n ...": these moved by n, no other */
	const char *log;
};

FIXTURE_VARIANT_ADD(vivid, audit) {
	.policy = "audit", .flags = DBR_EXP_GUARDED, .held = 1,
	.counters = "attach_checked=1 attach_audited=1 class_legacy=1", .log = "audit",
};

FIXTURE_VARIANT_ADD(vivid, off) {
	.policy = "off", .flags = DBR_EXP_GUARDED, .stream = 1, .held = 1,
	.counters = "attach_checked=2 attach_allowed=2 class_legacy=2",
};

FIXTURE_VARIANT_ADD(vivid, unguarded) {
	.policy = "enforce", .flags = 0, .held = 1, .counters = "",
};

FIXTURE_VARIANT_ADD(vivid, enforce) {
	.policy = "enforce", .flags = DBR_EXP_GUARDED, .qbuf_err = -EOPNOTSUPP, .held = 0,
	.counters = "attach_checked=1 attach_refused=1 class_legacy=1", .log = "refused",
};

FIXTURE_SETUP(vivid)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned int count = NBUF;
	int i;

	self->vfd = self->kmsg = self->bufs[0] = self->bufs[1] = -1;
	/* What vb2 refuses from 6.12 on, it leaks: a udmabuf, not ours. */
	self->udmabuf = variant->qbuf_err && vb2_leaks_refused();
	if (self->udmabuf && (access("/dev/udmabuf", R_OK | W_OK) || access(BUFINFO, R_OK)))
		SKIP(return, "udmabuf (CONFIG_UDMABUF) and debugfs: vb2 leaks what it refuses");
	self->exp = dbr_open(DBR_EXP_DEV);
	ASSERT_LE(0, self->exp) TH_LOG("open %s: %s", DBR_EXP_DEV, strerror(-self->exp));
	self->vfd = open_vivid(self->dev, sizeof(self->dev));
	ASSERT_LE(0, self->vfd) TH_LOG("no vivid video capture node in /dev");
	self->udmabufs0 = self->udmabuf ? udmabufs() : 0;
	ASSERT_LE(0, self->udmabufs0) TH_LOG(BUFINFO);
	for (i = 0; i < NBUF; i++) {
		if (i == 0 && self->udmabuf)
			self->bufs[i] = udmabuf_create();
		else
			self->bufs[i] = dbr_create(self->exp, BUF_SIZE, variant->flags);
		ASSERT_LE(0, self->bufs[i]) TH_LOG("buffer %d: %s", i, strerror(-self->bufs[i]));
	}

	/* A frame that fits one page: the input must be one vivid can scale. */
	f.fmt.pix.width = 16;
	f.fmt.pix.height = 16;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_ANY;
	ASSERT_EQ(0, dbr_ioctl(self->vfd, VIDIOC_S_FMT, &f)) TH_LOG("VIDIOC_S_FMT");
	self->sizeimage = f.fmt.pix.sizeimage;
	ASSERT_GE(BUF_SIZE, self->sizeimage)
		TH_LOG("a %ux%u frame needs more than one page", f.fmt.pix.width,
		       f.fmt.pix.height);
	ASSERT_EQ(0, reqbufs(self->vfd, &count)) TH_LOG("VIDIOC_REQBUFS(V4L2_MEMORY_DMABUF)");
	ASSERT_LE(NBUF, count) TH_LOG("REQBUFS gave %u buffers", count);
	ksft_print_msg("%s %ux%u sizeimage=%u, %s\n", self->dev,
		       f.fmt.pix.width, f.fmt.pix.height, self->sizeimage,
		       self->udmabuf ? "a udmabuf the hook guards" :
		       variant->flags ? "guarded test-exporter buffers" :
		       "unguarded test-exporter buffers");

	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->kmsg) TH_LOG("open /dev/kmsg: %s", strerror(errno));
	ASSERT_EQ(0, dbr_knobs_save(&self->knobs, "policy strict exporters"));
}

FIXTURE_TEARDOWN(vivid)
{
	int i;

	EXPECT_EQ(0, dbr_knobs_restore(&self->knobs)) TH_LOG("restore policy, strict, exporters");
	for (i = 0; i < NBUF; i++)
		fd_close(&self->bufs[i]);
	fd_close(&self->vfd);
	fd_close(&self->kmsg);
	fd_close(&self->exp);
}

/* Second QBUF, STREAMON, one frame dequeued and read back, STREAMOFF. */
static void one_frame(struct __test_metadata *_metadata, int vfd, const int *bufs,
		      unsigned int sizeimage)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	struct pollfd pfd = { .fd = vfd, .events = POLLIN };
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE, n, r;
	unsigned int i, nonzero = 0;
	const unsigned char *p;

	EXPECT_EQ(0, qbuf(vfd, 1, bufs[1])) TH_LOG("second QBUF");
	ASSERT_EQ(0, dbr_ioctl(vfd, VIDIOC_STREAMON, &type)) TH_LOG("STREAMON");
	n = poll(&pfd, 1, 10000);
	EXPECT_EQ(1, n) TH_LOG("a frame within 10 s: poll %d (%s)", n, n < 0 ? ename(errno) : "");
	r = n == 1 ? dbr_ioctl(vfd, VIDIOC_DQBUF, &b) : -ETIMEDOUT;
	EXPECT_EQ(0, r) TH_LOG("DQBUF: %s", ename(-r));
	if (!r) {
		EXPECT_FALSE(b.flags & V4L2_BUF_FLAG_ERROR) TH_LOG("frame flagged as an error");
		EXPECT_EQ(sizeimage, b.bytesused) TH_LOG("the frame fills its buffer");
		ASSERT_GT(NBUF, b.index) TH_LOG("dequeued buffer index");
		p = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, bufs[b.index], 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap of the dequeued dma-buf");
		for (i = 0; i < b.bytesused && i < BUF_SIZE; i++)
			nonzero += p[i] != 0;
		munmap((void *)p, BUF_SIZE);
		ksft_print_msg("off: frame %u: %u bytes used, %u non-zero\n", b.index,
			       b.bytesused, nonzero);
		EXPECT_LE(1, nonzero) TH_LOG("vivid wrote the frame into the exporter's pages");
	}
	EXPECT_EQ(0, dbr_ioctl(vfd, VIDIOC_STREAMOFF, &type)) TH_LOG("STREAMOFF");
}

/* Up to 10 s for a frame, on a slow TCG guest: more than the default 30 s. */
TEST_F_TIMEOUT(vivid, qbuf, 90)
{
	const char *exp_name = self->udmabuf ? "udmabuf" : "dmabuf_revoke_exporter";
	long long hits0 = 0, hits1 = 0;
	struct dbr_exp_status st;
	unsigned int i, count = 0, attached = 0;
	char re[160], val[32];
	int r;

	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", variant->policy));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", "N"));
	if (self->udmabuf) {
		ASSERT_EQ(0, sysfs_set(DBR_PARAMS "exporters", "+udmabuf"));
		ASSERT_EQ(0, sysfs_get(HOOK_HITS, val, sizeof(val)));
		hits0 = atoll(val);
	}
	ASSERT_EQ(0, dbr_ctrs_read(&self->c0));
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END)) TH_LOG("/dev/kmsg: seek to its end");

	/* vb2 attaches (dma_buf_attach()) and maps the dma-buf in QBUF. */
	r = qbuf(self->vfd, 0, self->bufs[0]);
	ksft_print_msg("policy %s: QBUF: %s\n", variant->policy, ename(-r));
	EXPECT_EQ(variant->qbuf_err, r) TH_LOG("QBUF");
	if (!self->udmabuf) {
		ASSERT_EQ(0, dbr_exp_status(self->exp, self->bufs[0], &st));
		EXPECT_EQ(variant->held, st.nr_attach) TH_LOG("vivid attached in QBUF");
		EXPECT_EQ(variant->held, st.nr_mapped) TH_LOG("vivid mapped in QBUF");
	}
	if (variant->stream && !r)
		one_frame(_metadata, self->vfd, self->bufs, self->sizeimage);

	/* Freeing the queue detaches whatever vivid attached. */
	EXPECT_EQ(0, reqbufs(self->vfd, &count)) TH_LOG("free the queue");
	for (i = self->udmabuf; i < NBUF; i++) {
		ASSERT_EQ(0, dbr_exp_status(self->exp, self->bufs[i], &st));
		attached += st.nr_attach;
	}
	EXPECT_EQ(0, attached) TH_LOG("nothing attached once the queue is freed");

	EXPECT_EQ(0, dbr_ctrs_wrong(&self->c0, variant->counters))
		TH_LOG("counters moved by exactly \"%s\"", variant->counters);
	kmsg_read(self->kmsg, self->log, sizeof(self->log));
	if (variant->log) {
		snprintf(re, sizeof(re),
			 "dmabuf_revoke: %s: legacy importer on vivid\\.0 .* %s buffer",
			 variant->log, exp_name);
		EXPECT_EQ(1, log_has(self->log, re)) TH_LOG("kernel log: %s", re);
	}
	if (variant->qbuf_err)
		EXPECT_EQ(1, log_has(self->log, "failed to attach dmabuf"))
			TH_LOG("videobuf2-dma-contig reports its failed attach");

	if (self->udmabuf) {
		ASSERT_EQ(0, sysfs_get(HOOK_HITS, val, sizeof(val)));
		hits1 = atoll(val);
		EXPECT_LE(1, hits1 - hits0) TH_LOG("the hook saw the attach");
		/* Ours closed, the udmabuf stays: vb2's reference, a kernel bug. */
		fd_close(&self->bufs[0]);
		r = udmabufs();
		ksft_print_msg("hook hits +%lld; udmabufs alive %d before, %d after\n",
			       hits1 - hits0, self->udmabufs0, r);
		EXPECT_EQ(self->udmabufs0 + 1, r) TH_LOG("vb2 leaks the refused dma-buf");
	} else if (variant->qbuf_err) {
		/* Nothing of ours open: the exporter's refcount shows what vb2 kept. */
		for (i = 0; i < NBUF; i++)
			fd_close(&self->bufs[i]);
		fd_close(&self->vfd);
		fd_close(&self->exp);
		ASSERT_EQ(0, sysfs_get(EXP_REFCNT, val, sizeof(val)));
		EXPECT_STREQ("0", val) TH_LOG("vb2 let go of the refused buffer (exporter refcount)");
	}
}

TEST_HARNESS_MAIN
