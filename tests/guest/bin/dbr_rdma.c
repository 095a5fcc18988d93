// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_rdma: RDMA's own pinned dma-buf import, through the guest-only module
 * dmabuf_revoke_rdma (tests/rdma, /dev/dmabuf_revoke_rdma), for suite 84-rdma.
 *
 *   dbr_rdma [kselftest harness options]
 *	KTAP on stdout. Fixture "exp": a guarded, pin-capable test-exporter
 *	buffer (one page) imported by RDMA, one variant per policy (off, audit,
 *	enforce) x import (pinned: ib_umem_dmabuf_get_pinned(); revocable:
 *	ib_umem_dmabuf_get_pinned_revocable_and_lock()). The setup sets the
 *	policy (strict=N, learn=off), the teardown puts the old knobs back and
 *	releases what the test left imported. Each test imports, checks the
 *	verdict, the counters (/sys/kernel/dmabuf_revoke/counters), the class
 *	the registry caches, the kernel log and what the exporter holds; an
 *	accepted import is then revoked by the exporter and released.
 *	Per kernel (conftest results, dbr_have): the pinned import's ops have
 *	the warning stub ib_umem_dmabuf_unsupported_move_notify (class denied,
 *	in ib_uverbs) up to 7.0 and no callback (class no-callback, ib_core)
 *	from 7.1; the revocable import exists where
 *	HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK (else skipped).
 *	The kernel log checks hold on the first run of a boot: the shim logs a
 *	verdict once per importer and exporter.
 *	Needs dmabuf_revoke, dmabuf_revoke_exporter and dmabuf_revoke_rdma
 *	loaded, debugfs mounted, the deny and allow lists as loaded.
 *
 *	Fixture "vfio": one page of BAR0 of QEMU's edu device, exported by
 *	vfio-pci (VFIO_DEVICE_FEATURE_DMA_BUF, else skipped), imported by RDMA
 *	with the edu device as DMA device (the one importer with a P2P path to
 *	it) under policy enforce, one variant per import. pinned: refused with
 *	EOPNOTSUPP, by the shim's hook (the denied stub, 7.0) or by vfio-pci
 *	itself (dma_buf_attach_revocable(), 7.2+: the hook counts it upstream).
 *	revocable: accepted and mapped; VFIO_DEVICE_RESET revokes it (the
 *	callback runs, it is unmapped) and completes. Needs also vfio-pci and
 *	vfio_iommu_type1 loaded, $DBR_VFIO_BDF bound to vfio-pci, the shim
 *	with exporters=vfio_pci_core and the kprobe backend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dbr_vfio_lib.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define RDMA_DEV "/dev/dmabuf_revoke_rdma"
#define REGISTRY "/sys/kernel/debug/dmabuf_revoke/registry"

/* How long the exporter waits for unmaps at revoke. */
#define REVOKE_MS 200

/* One command to the module; its result in @res. 0 or errno. */
static int rdma_cmd(char *res, size_t size, const char *fmt, ...)
{
	char cmd[96];
	va_list ap;
	ssize_t n;
	int fd, err = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(RDMA_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s (modprobe dmabuf_revoke_rdma)", RDMA_DEV, strerror(errno));
	res[0] = '\0';
	if (write(fd, cmd, strlen(cmd)) < 0) {
		err = errno;
	} else {
		n = read(fd, res, size - 1);
		res[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return err;
}

/* Import @fd as @variant (DMA device @bdf, or the module's): 0 and *id, or errno. */
static int rdma_import(int fd, const char *variant, const char *bdf, unsigned int *id)
{
	char res[64];
	int err = rdma_cmd(res, sizeof(res), "import %d %ld %s%s%s", fd,
			   sysconf(_SC_PAGESIZE), variant, bdf ? " " : "",
			   bdf ? bdf : "");

	*id = 0;
	if (!err && (sscanf(res, "id=%u", id) != 1 || !*id))
		die("import: unexpected answer '%s'", res);
	return err;
}

static int rdma_release(unsigned int id)
{
	char res[16];

	return rdma_cmd(res, sizeof(res), "release %u", id);
}

/* ---- the harness tests: policy x import on a test-exporter buffer --------- */

/* The import's state as the module reports it; revoked -1 where it has none. */
struct rdma_st {
	char exp[64], dev[64];
	int mapped, pinned, revokes, revoked;
};

static int rdma_status(unsigned int id, struct rdma_st *st)
{
	char res[256], *tok, *save = NULL;
	int err = rdma_cmd(res, sizeof(res), "status %u", id);

	memset(st, 0, sizeof(*st));
	st->mapped = st->pinned = st->revokes = st->revoked = -1;
	if (err)
		return -err;
	for (tok = strtok_r(res, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save)) {
		if (!strncmp(tok, "exp=", 4))
			copy(st->exp, sizeof(st->exp), tok + 4);
		else if (!strncmp(tok, "dev=", 4))
			copy(st->dev, sizeof(st->dev), tok + 4);
		else if (sscanf(tok, "mapped=%d", &st->mapped) != 1 &&
			 sscanf(tok, "pinned=%d", &st->pinned) != 1 &&
			 sscanf(tok, "revokes=%d", &st->revokes) != 1)
			sscanf(tok, "revoked=%d", &st->revoked);
	}
	return 0;
}

/* Whether a line of the shim's registry starts with @prefix. */
static int registry_has(const char *prefix)
{
	FILE *f = fopen(REGISTRY, "re");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return found;
}

/* The kernel log since kmsg_open(@fd) (records read once) into klog. */
static char klog[1 << 16];
static size_t klog_len;

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a kernel log record since kmsg_open() holds @s. */
static int klog_has(int fd, const char *s)
{
	char rec[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		if (klog_len + n >= sizeof(klog))
			break;
		memcpy(klog + klog_len, rec, n);
		klog_len += n;
		klog[klog_len] = '\0';
	}
	return strstr(klog, s) != NULL;
}

/*
 * Save policy, strict and learn into @k, then set @policy with strict=N and
 * learn=off: nothing learned from an earlier variant may decide this one.
 */
static int knobs_set(struct dbr_knobs *k, const char *policy)
{
	int r = dbr_knobs_save(k, "policy strict learn");

	r = r ?: sysfs_set(DBR_PARAMS "policy", policy);
	r = r ?: sysfs_set(DBR_PARAMS "strict", "N");
	return r ?: sysfs_set(DBR_PARAMS "learn", "off");
}

#define REVOCABLE "HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK"
#define NOREVOCABLE "no ib_umem_dmabuf_get_pinned_revocable_and_lock(), RDMA's revocable " \
	"pinned import (Debian has it in 6.12.118, 7.2 and 7.3)"

FIXTURE(exp) {
	int exp, buf, kmsg;
	unsigned int id;	/* the import while the test holds it */
	struct dbr_knobs knobs;
	struct dbr_ctrs c0;
	/* This kernel's pinned import (see the header comment). */
	int nocb;		/* no callback (7.1+), else the denied stub */
	const char *pclass;	/* its class counter */
	const char *pclass_name, *rmod;
	char preason[160], pcache[160], rcache[160];
};

FIXTURE_VARIANT(exp) {
	const char *policy;
	int revocable;		/* the import: 0 pinned, 1 revocable */
	int refused;		/* the pinned import under enforce */
	const char *verdict;	/* the counter: attach_allowed, _audited or _refused */
	const char *log;	/* "refused", "audit" or NULL: the verdict's log line */
};

/* In the order the shell ran them. */
FIXTURE_VARIANT_ADD(exp, enforce_pinned) {
	.policy = "enforce", .refused = 1, .verdict = "attach_refused", .log = "refused",
};
FIXTURE_VARIANT_ADD(exp, enforce_revocable) {
	.policy = "enforce", .revocable = 1, .verdict = "attach_allowed",
};
FIXTURE_VARIANT_ADD(exp, audit_pinned) {
	.policy = "audit", .verdict = "attach_audited", .log = "audit",
};
FIXTURE_VARIANT_ADD(exp, audit_revocable) {
	.policy = "audit", .revocable = 1, .verdict = "attach_allowed",
};
FIXTURE_VARIANT_ADD(exp, off_pinned) {
	.policy = "off", .verdict = "attach_allowed",
};
FIXTURE_VARIANT_ADD(exp, off_revocable) {
	.policy = "off", .revocable = 1, .verdict = "attach_allowed",
};

FIXTURE_SETUP(exp)
{
	self->buf = self->kmsg = -1;
	self->nocb = dbr_have("HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP");
	self->pclass = self->nocb ? "class_no_callback" : "class_denied";
	self->pclass_name = self->nocb ? "no-callback" : "denied";
	self->rmod = self->nocb ? "ib_core" : "ib_uverbs";
	if (self->nocb) {
		copy(self->preason, sizeof(self->preason),
		     "importer ops without a revocation callback, callback -");
		snprintf(self->pcache, sizeof(self->pcache),
			 "cached ib_umem_dmabuf_attach_pinned_ops [%s] class=no-callback callback=- ",
			 self->rmod);
	} else {
		snprintf(self->preason, sizeof(self->preason),
			 "built-in deny entry (RDMA pinned importer stub), callback ib_umem_dmabuf_unsupported_move_notify [%s]",
			 self->rmod);
		snprintf(self->pcache, sizeof(self->pcache),
			 "cached ib_umem_dmabuf_attach_pinned_ops [%s] class=denied callback=ib_umem_dmabuf_unsupported_move_notify [%s] ",
			 self->rmod, self->rmod);
	}
	snprintf(self->rcache, sizeof(self->rcache),
		 "cached ib_umem_dmabuf_attach_pinned_revocable_ops [%s] class=revocable callback=ib_umem_dmabuf_revoke_locked [%s] ",
		 self->rmod, self->rmod);
	if (variant->revocable && !dbr_have(REVOCABLE))
		SKIP(return, NOREVOCABLE);

	ASSERT_EQ(0, access(RDMA_DEV, R_OK | W_OK))
		TH_LOG("no %s: modprobe dmabuf_revoke_rdma", RDMA_DEV);
	self->exp = dbr_open(DBR_EXP_DEV);
	ASSERT_LE(0, self->exp) TH_LOG("open %s: %s", DBR_EXP_DEV, strerror(-self->exp));
	ASSERT_EQ(0, knobs_set(&self->knobs, variant->policy));
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("open /dev/kmsg: %s", strerror(errno));
	ASSERT_EQ(0, dbr_ctrs_read(&self->c0));
	self->buf = dbr_create(self->exp, getpagesize(), DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
	ASSERT_LE(0, self->buf) TH_LOG("create: %s", strerror(-self->buf));
}

FIXTURE_TEARDOWN(exp)
{
	/* Imports outlive the file: one left by a failed test goes now. */
	if (self->id)
		EXPECT_EQ(0, rdma_release(self->id)) TH_LOG("release import %u", self->id);
	if (self->buf >= 0)
		close(self->buf);
	EXPECT_EQ(0, dbr_knobs_restore(&self->knobs)) TH_LOG("restore policy, strict, learn");
	if (self->kmsg >= 0)
		close(self->kmsg);
	if (self->exp > 0)
		close(self->exp);
}

TEST_F(exp, import_revoke_release)
{
	char line[512], want[160];
	const char *cache;
	const char *variant_name = variant->revocable ? "revocable" : "pinned";
	/* A revoke reaches the revocable import's callback, or the stub's. */
	unsigned int notified = variant->revocable || !self->nocb;
	unsigned int stale = !variant->revocable;
	struct dbr_exp_status es;
	struct dbr_exp_revoke rv;
	struct rdma_st st;
	int r;

	r = rdma_import(self->buf, variant_name, NULL, &self->id);
	EXPECT_EQ(variant->refused ? EOPNOTSUPP : 0, r)
		TH_LOG("%s import under %s: %s", variant_name, variant->policy, ename(r));
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	if (r) {
		EXPECT_EQ(0, es.nr_attach) TH_LOG("the exporter holds nothing of a refused import");
		EXPECT_EQ(0, es.nr_mapped) TH_LOG("the exporter maps nothing of a refused import");
	} else {
		ASSERT_EQ(0, rdma_status(self->id, &st));
		EXPECT_STREQ("dmabuf_revoke_exporter", st.exp);
		EXPECT_STREQ("dmabuf_revoke_rdma", st.dev) TH_LOG("its DMA device: the module's");
		EXPECT_EQ(1, st.mapped) TH_LOG("imported mapped");
		EXPECT_EQ(1, st.pinned) TH_LOG("imported pinned");
		EXPECT_EQ(1, es.nr_attach) TH_LOG("exporter: one attachment");
		EXPECT_EQ(1, es.nr_mapped) TH_LOG("exporter: mapped");
		EXPECT_EQ(1, es.nr_pinned) TH_LOG("exporter: pinned");

		ASSERT_EQ(0, dbr_revoke(self->exp, self->buf, REVOKE_MS, &rv)) TH_LOG("revoke");
		EXPECT_EQ(notified, rv.notified)
			TH_LOG("revoke: callbacks called (%s)", variant->revocable ?
			       "ib_umem_dmabuf_revoke_locked" : self->pclass_name);
		EXPECT_EQ(stale, rv.stale) TH_LOG("revoke: stale mappings (%s)", stale ?
			"HAZARD: the pinned import stays mapped" : "none wanted");
		ASSERT_EQ(0, rdma_status(self->id, &st));
		ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
		EXPECT_EQ(variant->revocable, st.revokes)
			TH_LOG("revoke callbacks seen by the import");
		if (variant->revocable || st.revoked >= 0)
			EXPECT_EQ(variant->revocable, st.revoked) TH_LOG("import revoked");
		EXPECT_EQ(stale, st.mapped) TH_LOG("import mapped after the revoke");
		EXPECT_EQ(stale, st.pinned) TH_LOG("import pinned after the revoke");
		EXPECT_EQ(stale, es.nr_mapped) TH_LOG("exporter: mapped after the revoke");
		EXPECT_EQ(stale, es.nr_pinned) TH_LOG("exporter: pinned after the revoke");
		if (!variant->revocable && !self->nocb)
			EXPECT_TRUE(klog_has(self->kmsg,
					     "Invalidate callback should not be called when memory is pinned"))
				TH_LOG("the stub only warned");

		r = rdma_release(self->id);
		EXPECT_EQ(0, r) TH_LOG("release: %s", ename(r));
		if (!r)
			self->id = 0;
	}
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	EXPECT_EQ(0, es.nr_attach) TH_LOG("released: the exporter has no attachment left");

	/* The class cached for the ops, keyed by ops and callback. */
	cache = variant->revocable ? self->rcache : self->pcache;
	EXPECT_TRUE(registry_has(cache)) TH_LOG("%s: no line '%s'", REGISTRY, cache);
	if (variant->log) {
		snprintf(line, sizeof(line),
			 "dmabuf_revoke: %s: %s importer on dmabuf_revoke_rdma (%s) attaching to a dmabuf_revoke_exporter buffer",
			 variant->log, self->pclass_name, self->preason);
		EXPECT_TRUE(klog_has(self->kmsg, line)) TH_LOG("no log line '%s'", line);
	}

	/* The counters moved exactly as predicted, and nothing else did. */
	snprintf(want, sizeof(want), "attach_checked=1 %s=1 %s=1 revocations=%d stale_mappings=%d",
		 variant->verdict, variant->revocable ? "class_revocable" : self->pclass,
		 !variant->refused, !variant->refused && stale);
	EXPECT_EQ(0, dbr_ctrs_wrong(&self->c0, want)) TH_LOG("counters moved as %s", want);
}

/* ---- a vfio-pci buffer: BAR0 of the edu device, under enforce ------------- */

#define NOEXPORT "vfio-pci dma-buf export (5d74781ebc86, v6.19)"

FIXTURE(vfio) {
	struct dbr_vfio v;
	int buf;
	unsigned int id;	/* the import while the test holds it */
	struct dbr_knobs knobs;
	struct dbr_hook h0;
};

FIXTURE_VARIANT(vfio) {
	int revocable;		/* the import: 0 pinned, 1 revocable */
};

FIXTURE_VARIANT_ADD(vfio, pinned) {
	.revocable = 0,
};
FIXTURE_VARIANT_ADD(vfio, revocable) {
	.revocable = 1,
};

FIXTURE_SETUP(vfio)
{
	const char *bdf = getenv("DBR_VFIO_BDF");
	char why[256];

	self->v.device = self->v.group = self->v.container = -1;
	self->buf = -1;
	if (!dbr_have("HAVE_VFIO_DEVICE_FEATURE_DMA_BUF"))
		SKIP(return, NOEXPORT);
	if (variant->revocable && !dbr_have(REVOCABLE))
		SKIP(return, NOREVOCABLE);

	ASSERT_EQ(0, access(RDMA_DEV, R_OK | W_OK))
		TH_LOG("no %s: modprobe dmabuf_revoke_rdma", RDMA_DEV);
	ASSERT_TRUE(bdf && *bdf) TH_LOG("set DBR_VFIO_BDF to the edu device bound to vfio-pci");
	copy(self->v.bdf, sizeof(self->v.bdf), bdf);
	ASSERT_EQ(0, dbr_vfio_open(&self->v, why, sizeof(why))) TH_LOG("%s", why);
	self->buf = dbr_vfio_export_bar0(self->v.device);
	ASSERT_LE(0, self->buf) TH_LOG("export BAR0 of %s: %s", bdf, strerror(-self->buf));
	ASSERT_EQ(0, knobs_set(&self->knobs, "enforce"));
	ASSERT_EQ(0, dbr_hook_read(&self->h0));
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->id)
		EXPECT_EQ(0, rdma_release(self->id)) TH_LOG("release import %u", self->id);
	EXPECT_EQ(0, dbr_knobs_restore(&self->knobs)) TH_LOG("restore policy, strict, learn");
	if (self->buf >= 0)
		close(self->buf);
	dbr_vfio_close(&self->v);
}

TEST_F(vfio, import_reset_release)
{
	const char *variant_name = variant->revocable ? "revocable" : "pinned";
	/* 7.2+: vfio-pci refuses importers without a callback before the shim decides. */
	int upstream = dbr_have("HAVE_DMA_BUF_ATTACH_REVOCABLE");
	struct dbr_hook h;
	struct rdma_st st;
	char name[64];
	int r;

	ASSERT_EQ(0, dbr_buf_exp_name(self->buf, name, sizeof(name)));
	EXPECT_STREQ("vfio_pci_core", name) TH_LOG("BAR0 exported as a dma-buf by vfio_pci_core");

	r = rdma_import(self->buf, variant_name, self->v.bdf, &self->id);
	ASSERT_EQ(0, dbr_hook_read(&h));
	ksft_print_msg("%s import of vfio BAR0 as %s: %s, hook hits=%lld refused=%lld upstream=%lld\n",
		       variant_name, self->v.bdf, ename(r), h.hits - self->h0.hits,
		       h.refused - self->h0.refused, h.upstream - self->h0.upstream);
	EXPECT_EQ(1, h.hits - self->h0.hits) TH_LOG("the hook saw the attach");
	if (!variant->revocable) {
		EXPECT_EQ(EOPNOTSUPP, r) TH_LOG("pinned import refused");
		EXPECT_EQ(!upstream, h.refused - self->h0.refused)
			TH_LOG("attach_refused: by the shim's hook (the stub is denied) up to 7.0");
		EXPECT_EQ(upstream, h.upstream - self->h0.upstream)
			TH_LOG("attach_upstream: 7.2+ vfio-pci refuses it (dma_buf_attach_revocable)");
		EXPECT_EQ(0, dbr_buf_attachments(self->buf)) TH_LOG("refused: nothing attached");
		return;
	}

	ASSERT_EQ(0, r) TH_LOG("revocable pinned import accepted: %s", ename(r));
	EXPECT_EQ(0, h.refused - self->h0.refused) TH_LOG("attach_refused");
	EXPECT_EQ(0, h.upstream - self->h0.upstream) TH_LOG("attach_upstream");
	EXPECT_EQ(1, dbr_buf_attachments(self->buf)) TH_LOG("attached");
	ASSERT_EQ(0, rdma_status(self->id, &st));
	ksft_print_msg("before the reset: mapped=%d pinned=%d\n", st.mapped, st.pinned);
	EXPECT_STREQ("vfio_pci_core", st.exp);
	EXPECT_STREQ(self->v.bdf, st.dev) TH_LOG("its DMA device: the edu device (P2P to itself)");
	EXPECT_EQ(1, st.mapped) TH_LOG("BAR0 mapped");
	EXPECT_EQ(1, st.pinned) TH_LOG("pinned");

	r = dbr_vfio_revoke(&self->v, DBR_VFIO_RESET);
	EXPECT_EQ(0, r) TH_LOG("VFIO_DEVICE_RESET: %s", ename(-r));
	ASSERT_EQ(0, rdma_status(self->id, &st));
	ksft_print_msg("after the reset: revokes=%d revoked=%d mapped=%d pinned=%d\n",
		       st.revokes, st.revoked, st.mapped, st.pinned);
	EXPECT_EQ(1, st.revokes) TH_LOG("the revoke callback ran");
	EXPECT_EQ(1, st.revoked) TH_LOG("import revoked");
	EXPECT_EQ(0, st.mapped) TH_LOG("import unmapped by the reset");
	EXPECT_EQ(0, st.pinned) TH_LOG("import unpinned by the reset");

	r = rdma_release(self->id);
	EXPECT_EQ(0, r) TH_LOG("release: %s", ename(r));
	if (!r)
		self->id = 0;
	EXPECT_EQ(0, dbr_buf_attachments(self->buf)) TH_LOG("released: nothing attached");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_harness_run(argc, argv);
}
