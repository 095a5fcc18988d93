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
 * For dbr_vfio's --exec/--then (key=value lines, suite 84's vfio part):
 *   dbr_rdma import --fd FD [--pci DDDD:BB:SS.F] VARIANT
 *	import the dma-buf FD (inherited, e.g. dbr_vfio's DBR_VFIO_BUF_FD)
 *	with the PCI device as DMA device; the import stays until release.
 *	Keys: import_err, id, before_*
 *   dbr_rdma status [--pfx P] ID
 *	P_exp, P_dev, P_mapped, P_pinned, P_revokes (revoke callbacks seen),
 *	P_revoked (where the revocable import exists); P is "after" unless set
 *   dbr_rdma release ID
 *	release_err
 *
 * VARIANT: pinned | revocable. Errors are errno names, 0 for success. Exit
 * 0 if the import could be driven whatever its outcome, 2 on a usage or
 * setup error (with a message on stderr).
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
#include "dbr_ioctl.h"
#include "dbr_util.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define RDMA_DEV "/dev/dmabuf_revoke_rdma"
#define REGISTRY "/sys/kernel/debug/dmabuf_revoke/registry"

/* How long the exporter waits for unmaps at revoke. */
#define REVOKE_MS 200

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_rdma [kselftest harness options]\n"
		"       dbr_rdma import --fd FD [--pci DDDD:BB:SS.F] VARIANT\n"
		"       dbr_rdma status [--pfx P] ID | release ID\n"
		"VARIANT: pinned | revocable\n");
	return 2;
}

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

/* ---- the subcommands dbr_vfio runs: key=value lines ---------------------- */

/* "k=v k=v ..." of status as PFX_k=v lines. */
static void status(const char *pfx, unsigned int id)
{
	char res[256], *tok, *save = NULL;
	int err = rdma_cmd(res, sizeof(res), "status %u", id);

	if (err) {
		printf("%s_status=%s\n", pfx, ename(err));
		return;
	}
	for (tok = strtok_r(res, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save))
		printf("%s_%s\n", pfx, tok);
}

static int variant_ok(const char *v)
{
	return !strcmp(v, "pinned") || !strcmp(v, "revocable");
}

static int cmd_import(int argc, char **argv)
{
	const char *bdf = NULL;
	unsigned int id;
	int i, err, fd = -1;
	char *end;

	for (i = 0; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--fd") && i + 1 < argc - 1) {
			fd = (int)strtol(argv[++i], &end, 10);
			if (*end || fd < 0)
				return usage();
		} else if (!strcmp(argv[i], "--pci") && i + 1 < argc - 1) {
			bdf = argv[++i];
		} else {
			return usage();
		}
	}
	if (fd < 0 || argc < 1 || !variant_ok(argv[argc - 1]))
		return usage();
	err = rdma_import(fd, argv[argc - 1], bdf, &id);
	printf("import_err=%s\n", ename(err));
	if (!err) {
		printf("id=%u\n", id);
		status("before", id);
	}
	return 0;
}

static unsigned int parse_id(const char *s)
{
	char *end;
	unsigned long id = strtoul(s, &end, 10);

	if (*end || !id || id > 0xffffffffUL)
		die("'%s' is not an import id", s);
	return (unsigned int)id;
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
	if (variant->revocable && !dbr_have("HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK"))
		SKIP(return, NOREVOCABLE);

	ASSERT_EQ(0, access(RDMA_DEV, R_OK | W_OK))
		TH_LOG("no %s: modprobe dmabuf_revoke_rdma", RDMA_DEV);
	self->exp = dbr_open(DBR_EXP_DEV);
	ASSERT_LE(0, self->exp) TH_LOG("open %s: %s", DBR_EXP_DEV, strerror(-self->exp));
	ASSERT_EQ(0, dbr_knobs_save(&self->knobs, "policy strict learn"));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "policy", variant->policy));
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "strict", "N"));
	/* Nothing learned from an earlier variant may decide this one. */
	ASSERT_EQ(0, sysfs_set(DBR_PARAMS "learn", "off"));
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

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "import"))
		return cmd_import(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "status")) {
		status("after", parse_id(argv[2]));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "status") && !strcmp(argv[2], "--pfx")) {
		status(argv[3], parse_id(argv[4]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "release")) {
		printf("release_err=%s\n", ename(rdma_release(parse_id(argv[2]))));
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-')
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_harness_run(argc, argv);
}
