// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_modules_test [kselftest harness options]: dmabuf_revoke_exporter alone
 * and dmabuf_revoke_importer against it; KTAP on stdout, one result per test.
 *
 * Fixtures:
 *   dev        the exporter alone, guarded buffers, the registration API,
 *              imports owned by the open file, a RELEASE racing an IMPORT,
 *              bad ioctl input
 *   mode       one importer mode on an unpinnable or a pin-capable buffer
 *              (variants mode_pin|mode_nopin): import, revoke, restore
 *   reused_ops the shim's class cache and an ops table reused with another
 *              callback; its setup sets policy=enforce strict=N
 *              deny=sym:dbr_imp_stub_cb, its teardown puts them back
 *
 * A nocb variant is skipped, naming the kernel feature, where importer ops
 * without a callback cannot exist (before v7.1).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dbr_ioctl.h"

/* EXPECT_EQ compares typeof(expected) with typeof(seen) as they are. */
#pragma GCC diagnostic ignored "-Wsign-compare"

/* Legacy and stub importers never unmap: keep their revokes short. */
#define SHORT_MS 50


/* Touch p[0] in a child: 0 if fine, else the signal that killed it. */
static int child_access(uint8_t *p, uint8_t want)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* atomic: the compiler must not drop the access that faults */
		uint8_t v = __atomic_load_n(p, __ATOMIC_RELAXED);

		__atomic_store_n(p, v, __ATOMIC_RELAXED);
		_exit(v == want ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? 100 + WEXITSTATUS(status) : 0;
}

/* ---- the devices, nothing else ------------------------------------------ */

FIXTURE(dev) {
	int exp, imp;
	long page;
};

FIXTURE_SETUP(dev)
{
	self->page = sysconf(_SC_PAGESIZE);
	DBR_OPEN_DEVICES(self);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->imp >= 0)
		close(self->imp);
	if (self->exp >= 0)
		close(self->exp);
}

/* The exporter alone: mmap, revoke (SIGBUS), restore (data kept). */
TEST_F(dev, exporter_mmap_revoke_restore)
{
	struct dbr_exp_revoke rv;
	struct dbr_exp_status st;
	size_t size = 16 * self->page, i;
	uint8_t *p;
	void *q;
	int buf, ok;

	buf = dbr_create(self->exp, size, 0);
	ASSERT_LE(0, buf) TH_LOG("create 16 pages");
	ASSERT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_TRUE(st.flags == 0 && !st.revoked && !st.nr_attach && !st.revokes)
		TH_LOG("status of a new buffer");

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap shared");
	for (i = 0; i < size; i += self->page)
		p[i] = (uint8_t)(i / self->page + 1);
	for (ok = 1, i = 0; i < size; i += self->page)
		ok &= p[i] == (uint8_t)(i / self->page + 1);
	EXPECT_TRUE(ok) TH_LOG("mmap: write and read back every page");
	q = mmap(NULL, size, PROT_READ, MAP_PRIVATE, buf, 0);
	EXPECT_TRUE(q == MAP_FAILED && errno == EINVAL) TH_LOG("private mmap refused");

	EXPECT_EQ(0, dbr_revoke(self->exp, buf, 0, &rv)) TH_LOG("revoke (default timeout)");
	EXPECT_EQ(0, rv.stale) TH_LOG("revoke: no importer, nothing stale");
	EXPECT_EQ(0, rv.notified) TH_LOG("revoke: no importer, nobody notified");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_TRUE(st.revoked == 1 && st.revokes == 1) TH_LOG("status: revoked, 1 revoke");
	EXPECT_EQ(SIGBUS, child_access(p, 1)) TH_LOG("mmap access after revoke: SIGBUS");
	q = mmap(NULL, size, PROT_READ, MAP_SHARED, buf, 0);
	EXPECT_TRUE(q == MAP_FAILED && errno == ENODEV) TH_LOG("new mmap after revoke: ENODEV");
	EXPECT_EQ(0, dbr_revoke(self->exp, buf, SHORT_MS, &rv)) TH_LOG("revoke again");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_EQ(2, st.revokes) TH_LOG("revoke again: counted");

	EXPECT_EQ(0, dbr_restore(self->exp, buf)) TH_LOG("restore");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_EQ(0, st.revoked) TH_LOG("restore: not revoked");
	EXPECT_EQ(0, child_access(p, 1)) TH_LOG("mmap access after restore: data kept");
	munmap(p, size);
	close(buf);
}

/* Buffers remember the flags they were created with. */
TEST_F(dev, exporter_create_flags)
{
	static const uint32_t flags[] = {
		DBR_EXP_PIN_CAPABLE | DBR_EXP_GUARDED,
		DBR_EXP_PIN_CAPABLE | DBR_EXP_UNTRACKED,	/* left to the hook */
	};
	struct dbr_exp_status st;
	unsigned int i;
	int buf;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		buf = dbr_create(self->exp, self->page, flags[i]);
		ASSERT_LE(0, buf) TH_LOG("create with flags %#x", flags[i]);
		EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
		EXPECT_EQ(flags[i], st.flags) TH_LOG("status reports flags");
		close(buf);
	}
}

/* What the exporter sees as stale after revoke for this import. */
static unsigned int want_stale(uint32_t mode, const struct dbr_imp_status *st)
{
	/* A compliant importer unmaps; only a core-cached mapping stays. */
	return mode == DBR_IMP_COMPLIANT ? st->core_cached : 1;
}

/*
 * Guarded buffers: the registry decides at attach. Default policy (enforce):
 * legacy has no ops, stub and nocb are registered as not revocable.
 */
static void guarded_on(struct __test_metadata *_metadata, int exp, int imp,
		       long page, uint32_t pin, int nocb)
{
	uint32_t ids[DBR_IMP_MODES] = { 0 };
	struct dbr_imp_status ist;
	struct dbr_exp_status st;
	struct dbr_exp_revoke rv;
	unsigned int accepted = 0, stale = 0;
	uint32_t mode;
	int buf, r;

	buf = dbr_create(exp, 2 * page, DBR_EXP_GUARDED | pin);
	ASSERT_LE(0, buf) TH_LOG("create guarded, pin %u", pin);
	for (mode = 0; mode < DBR_IMP_MODES; mode++) {
		if (mode == DBR_IMP_NOCB && !nocb)
			continue;
		r = dbr_import(imp, buf, mode, 0, &ids[mode]);
		if (mode == DBR_IMP_COMPLIANT) {
			EXPECT_EQ(0, r) TH_LOG("pin %u: compliant import accepted", pin);
		} else {
			EXPECT_EQ(-EOPNOTSUPP, r)
				TH_LOG("pin %u: %s import refused", pin, dbr_mode_name[mode]);
		}
		if (r)
			continue;
		accepted++;
		EXPECT_EQ(0, dbr_imp_status(imp, ids[mode], &ist));
		stale += want_stale(mode, &ist);
	}
	EXPECT_EQ(0, dbr_exp_status(exp, buf, &st));
	EXPECT_EQ(accepted, st.nr_attach)
		TH_LOG("pin %u: exporter attachments = accepted imports", pin);
	EXPECT_EQ(0, dbr_revoke(exp, buf, SHORT_MS, &rv)) TH_LOG("pin %u: revoke", pin);
	EXPECT_EQ(stale, rv.stale) TH_LOG("pin %u: stale = accepted non-compliant", pin);
	for (mode = 0; mode < DBR_IMP_MODES; mode++)
		if (ids[mode])
			dbr_release(imp, ids[mode]);
	EXPECT_EQ(0, dbr_exp_status(exp, buf, &st));
	EXPECT_EQ(0, st.nr_attach) TH_LOG("pin %u: all released", pin);
	close(buf);
}

TEST_F(dev, guarded)
{
	int nocb = dbr_nocb_supported(self->exp, self->imp);

	if (!nocb)
		TH_LOG("nocb left out: " DBR_NOCB_SKIP);
	ASSERT_EQ(0, dbr_register(self->imp, DBR_IMP_COMPLIANT, 1))
		TH_LOG("register compliant as revocable");
	ASSERT_EQ(0, dbr_register(self->imp, DBR_IMP_STUB, 0))
		TH_LOG("register stub as not revocable");
	if (nocb)
		ASSERT_EQ(0, dbr_register(self->imp, DBR_IMP_NOCB, 0))
			TH_LOG("register nocb as not revocable");
	guarded_on(_metadata, self->exp, self->imp, self->page, 0, nocb);
	guarded_on(_metadata, self->exp, self->imp, self->page, DBR_EXP_PIN_CAPABLE, nocb);
	EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_COMPLIANT)) TH_LOG("unregister compliant");
	EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_STUB)) TH_LOG("unregister stub");
	if (nocb)
		EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_NOCB)) TH_LOG("unregister nocb");
}

TEST_F(dev, register)
{
	EXPECT_EQ(0, dbr_register(self->imp, DBR_IMP_STUB, 0)) TH_LOG("register stub");
	EXPECT_EQ(0, dbr_register(self->imp, DBR_IMP_STUB, 1))
		TH_LOG("register stub again: updates the capability");
	EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_STUB)) TH_LOG("unregister stub");
	EXPECT_EQ(-ENOENT, dbr_unregister(self->imp, DBR_IMP_STUB))
		TH_LOG("unregister stub twice: ENOENT");
	EXPECT_EQ(0, dbr_register(self->imp, DBR_IMP_COMPLIANT, 1)) TH_LOG("register compliant");
	EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_COMPLIANT)) TH_LOG("unregister compliant");
	if (dbr_nocb_supported(self->exp, self->imp)) {
		EXPECT_EQ(0, dbr_register(self->imp, DBR_IMP_NOCB, 0)) TH_LOG("register nocb");
		EXPECT_EQ(0, dbr_unregister(self->imp, DBR_IMP_NOCB)) TH_LOG("unregister nocb");
	} else {
		EXPECT_EQ(-EOPNOTSUPP, dbr_register(self->imp, DBR_IMP_NOCB, 0))
			TH_LOG("register nocb: EOPNOTSUPP before v7.1");
	}
	/* Left registered on purpose: module unload must clean it up. */
	EXPECT_EQ(0, dbr_register(self->imp, DBR_IMP_COMPLIANT, 1))
		TH_LOG("register compliant, keep");
}

/* Imports belong to the open file. */
TEST_F(dev, release_on_close)
{
	struct dbr_exp_status st;
	uint32_t id;
	int buf;

	buf = dbr_create(self->exp, self->page, DBR_EXP_PIN_CAPABLE);
	ASSERT_LE(0, buf) TH_LOG("create");
	EXPECT_EQ(0, dbr_import(self->imp, buf, DBR_IMP_STUB, 0, &id)) TH_LOG("stub import");
	EXPECT_EQ(0, dbr_import(self->imp, buf, DBR_IMP_LEGACY, 0, &id)) TH_LOG("legacy import");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_EQ(2, st.nr_attach) TH_LOG("2 attachments");
	close(self->imp);
	self->imp = dbr_open(DBR_IMP_DEV);
	EXPECT_LE(0, self->imp) TH_LOG("reopen importer");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_TRUE(!st.nr_attach && !st.nr_mapped && !st.nr_pinned)
		TH_LOG("closing the importer released its imports");
	close(buf);
}

/*
 * A RELEASE of an import's id that lands while DBR_IMP_IMPORT is still
 * copying that id back to user space, and the copy then fails: the import
 * must be destroyed once, by the RELEASE. The args page is write-protected
 * with userfaultfd, so the import's copy_to_user() stops in a fault we
 * handle: RELEASE the id (visible in the idr by then), make the page
 * read-only, wake the copy, which fails. Deterministic, no timing.
 */
struct race {
	int uffd, imp;
	long page_size;
	void *page;
	int release_ret;
	int handled;
};

static void *race_handler(void *arg)
{
	struct race *r = arg;
	struct pollfd pfd = { .fd = r->uffd, .events = POLLIN };
	struct uffdio_range wake = { .start = (unsigned long)r->page, .len = r->page_size };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1 || read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	r->handled = 1;
	/* The first import of a fresh file gets id 1. */
	r->release_ret = dbr_release(r->imp, 1);
	mprotect(r->page, r->page_size, PROT_READ);
	ioctl(r->uffd, UFFDIO_WAKE, &wake);
	return NULL;
}

TEST_F(dev, release_race)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register rg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct race r = { .release_ret = 1, .page_size = self->page };
	struct dbr_exp_status st;
	struct dbr_imp_import *im;
	pthread_t t;
	int buf, ret;

	buf = dbr_create(self->exp, self->page, 0);
	ASSERT_LE(0, buf) TH_LOG("create");
	r.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	ASSERT_LE(0, r.uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	r.page = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r.page);
	ASSERT_EQ(0, ioctl(r.uffd, UFFDIO_API, &api))
		TH_LOG("UFFDIO_API with write-protect faults: %s", strerror(errno));
	im = r.page;
	*im = (struct dbr_imp_import){ .fd = buf, .mode = DBR_IMP_LEGACY,
				       .flags = DBR_IMP_NO_MAP };
	rg.range.start = wp.range.start = (unsigned long)r.page;
	rg.range.len = wp.range.len = self->page;
	ASSERT_EQ(0, ioctl(r.uffd, UFFDIO_REGISTER, &rg) ||
		     ioctl(r.uffd, UFFDIO_WRITEPROTECT, &wp))
		TH_LOG("setup: args page write-protected through userfaultfd");
	close(self->imp);
	self->imp = r.imp = dbr_open(DBR_IMP_DEV);
	ASSERT_LE(0, self->imp) TH_LOG("reopen importer");
	ASSERT_EQ(0, pthread_create(&t, NULL, race_handler, &r));
	ret = dbr_ioctl(self->imp, DBR_IMP_IMPORT, im);
	pthread_join(t, NULL);
	EXPECT_TRUE(r.handled) TH_LOG("the import stopped in copy_to_user (userfaultfd fault)");
	EXPECT_EQ(0, r.release_ret) TH_LOG("RELEASE of its id meanwhile destroyed the import");
	EXPECT_EQ(-EFAULT, ret) TH_LOG("the import then fails with EFAULT");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &st));
	EXPECT_EQ(0, st.nr_attach) TH_LOG("nothing left attached (destroyed exactly once)");
	EXPECT_EQ(-EINVAL, dbr_release(self->imp, 1)) TH_LOG("its id is gone");
	close(r.uffd);
	munmap(r.page, self->page);
	close(buf);
}

/* Bad input: EINVAL (ENOTTY for unknown commands), no state change. */
TEST_F(dev, badinput_exporter)
{
	struct dbr_exp_create c;
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	int buf, null_fd;
	int32_t fd;

	buf = dbr_create(self->exp, self->page, 0);
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_TRUE(buf >= 0 && null_fd >= 0) TH_LOG("setup");

	c = (struct dbr_exp_create){ .size = 0 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_CREATE, &c)) TH_LOG("create: size 0");
	c = (struct dbr_exp_create){ .size = self->page + 1 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_CREATE, &c))
		TH_LOG("create: size not a page multiple");
	c = (struct dbr_exp_create){ .size = (uint64_t)DBR_EXP_MAX_SIZE + self->page };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_CREATE, &c))
		TH_LOG("create: size over the maximum");
	c = (struct dbr_exp_create){ .size = self->page, .flags = 1u << 31 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_CREATE, &c)) TH_LOG("create: unknown flag");
	c = (struct dbr_exp_create){ .size = self->page,
				     .flags = DBR_EXP_GUARDED | DBR_EXP_UNTRACKED };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_CREATE, &c))
		TH_LOG("create: guarded and untracked exclude each other");

	EXPECT_EQ(-EINVAL, dbr_revoke(self->exp, -1, 0, &rv)) TH_LOG("revoke: fd -1");
	EXPECT_EQ(-EINVAL, dbr_revoke(self->exp, null_fd, 0, &rv)) TH_LOG("revoke: not a dma-buf");
	EXPECT_EQ(-EINVAL, dbr_revoke(self->exp, buf, DBR_EXP_MAX_TIMEOUT_MS + 1, &rv))
		TH_LOG("revoke: timeout too long");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &es));
	EXPECT_TRUE(!es.revoked && !es.revokes) TH_LOG("bad revoke changed nothing");
	fd = null_fd;
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->exp, DBR_EXP_RESTORE, &fd)) TH_LOG("restore: not a dma-buf");
	EXPECT_EQ(-EINVAL, dbr_exp_status(self->exp, -1, &es)) TH_LOG("status: fd -1");
	EXPECT_EQ(-ENOTTY, dbr_ioctl(self->exp, _IO(DBR_EXP_IOC_MAGIC, 0x7f), NULL))
		TH_LOG("exporter: unknown ioctl ENOTTY");
	close(null_fd);
	close(buf);
}

TEST_F(dev, badinput_importer)
{
	struct dbr_imp_register rg;
	struct dbr_imp_status is;
	struct dbr_exp_status es;
	struct dbr_imp_import im;
	int buf, null_fd;

	buf = dbr_create(self->exp, self->page, 0);
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_TRUE(buf >= 0 && null_fd >= 0) TH_LOG("setup");

	im = (struct dbr_imp_import){ .fd = buf, .mode = DBR_IMP_MODES };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im)) TH_LOG("import: unknown mode");
	im = (struct dbr_imp_import){ .fd = buf, .flags = 1u << 31 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im)) TH_LOG("import: unknown flag");
	im = (struct dbr_imp_import){ .fd = null_fd };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im)) TH_LOG("import: not a dma-buf");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP,
				      .pci_domain = 0xfffe, .pci_bus = 0xff, .pci_devfn = 0xff };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im))
		TH_LOG("import: DBR_IMP_PCI_DEV naming no PCI device");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_NO_MAP, .pci_bus = 1 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im))
		TH_LOG("import: a PCI device without DBR_IMP_PCI_DEV");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP,
				      .reserved = 1 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT, &im))
		TH_LOG("import: reserved field not 0");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_IMPORT_V1, &im))
		TH_LOG("import: DBR_IMP_PCI_DEV through the old 16-byte struct");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &es));
	EXPECT_EQ(0, es.nr_attach) TH_LOG("bad imports attached nothing");
	{
		/* An old binary's DBR_IMP_IMPORT: 16 bytes, nothing after. */
		struct {
			struct { int32_t fd; uint32_t mode, flags, id; } v1;
			uint32_t canary[2];
		} old = { { buf, DBR_IMP_LEGACY, DBR_IMP_NO_MAP, 0 },
			  { 0xdeadbeef, 0xdeadbeef } };

		EXPECT_EQ(0, dbr_ioctl(self->imp, DBR_IMP_IMPORT_V1, &old.v1))
			TH_LOG("import: old 16-byte struct (DBR_IMP_IMPORT_V1) still imports");
		EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &es));
		EXPECT_EQ(1, es.nr_attach) TH_LOG("old import attached");
		EXPECT_TRUE(old.v1.id > 0 && old.canary[0] == 0xdeadbeef &&
			    old.canary[1] == 0xdeadbeef)
			TH_LOG("old import: id %u returned, nothing written past 16 bytes",
			       old.v1.id);
		EXPECT_EQ(0, dbr_release(self->imp, old.v1.id)) TH_LOG("old import released");
		EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &es));
		EXPECT_EQ(0, es.nr_attach) TH_LOG("old import detached");
	}
	EXPECT_EQ(-EINVAL, dbr_imp_status(self->imp, 12345, &is)) TH_LOG("status: unknown id");
	EXPECT_EQ(-EINVAL, dbr_remap(self->imp, 12345)) TH_LOG("remap: unknown id");
	EXPECT_EQ(-EINVAL, dbr_release(self->imp, 0)) TH_LOG("release: id 0");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_MODES };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_REGISTER, &rg)) TH_LOG("register: unknown mode");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_LEGACY };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_REGISTER, &rg))
		TH_LOG("register: legacy has no ops");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_STUB, .cap = 2 };
	EXPECT_EQ(-EINVAL, dbr_ioctl(self->imp, DBR_IMP_REGISTER, &rg)) TH_LOG("register: bad cap");
	EXPECT_EQ(-ENOENT, dbr_unregister(self->imp, DBR_IMP_STUB))
		TH_LOG("bad register registered nothing");
	EXPECT_EQ(-EINVAL, dbr_unregister(self->imp, 99)) TH_LOG("unregister: unknown mode");
	EXPECT_EQ(-ENOTTY, dbr_ioctl(self->imp, _IO(DBR_IMP_IOC_MAGIC, 0x7f), NULL))
		TH_LOG("importer: unknown ioctl ENOTTY");
	close(null_fd);
	close(buf);
}

/* ---- one importer mode against one kind of buffer -------------------------- */

FIXTURE(mode) {
	int exp, imp, buf;
	long page;
	uint32_t id;
	struct dbr_imp_status st;	/* right after the import */
};

FIXTURE_VARIANT(mode) {
	uint32_t mode;
	uint32_t pin;	/* DBR_EXP_PIN_CAPABLE or 0 */
};

#define PIN .pin = DBR_EXP_PIN_CAPABLE

FIXTURE_VARIANT_ADD(mode, legacy_nopin)		{ .mode = DBR_IMP_LEGACY };
FIXTURE_VARIANT_ADD(mode, legacy_pin)		{ .mode = DBR_IMP_LEGACY, PIN };
FIXTURE_VARIANT_ADD(mode, stub_nopin)		{ .mode = DBR_IMP_STUB };
FIXTURE_VARIANT_ADD(mode, stub_pin)		{ .mode = DBR_IMP_STUB, PIN };
FIXTURE_VARIANT_ADD(mode, nocb_nopin)		{ .mode = DBR_IMP_NOCB };
FIXTURE_VARIANT_ADD(mode, nocb_pin)		{ .mode = DBR_IMP_NOCB, PIN };
FIXTURE_VARIANT_ADD(mode, compliant_nopin)	{ .mode = DBR_IMP_COMPLIANT };
FIXTURE_VARIANT_ADD(mode, compliant_pin)	{ .mode = DBR_IMP_COMPLIANT, PIN };

/* A buffer of 4 pages, imported (and mapped) in the variant's mode. */
FIXTURE_SETUP(mode)
{
	int r;

	self->page = sysconf(_SC_PAGESIZE);
	self->buf = -1;
	DBR_OPEN_DEVICES(self);
	if (variant->mode == DBR_IMP_NOCB && !dbr_nocb_supported(self->exp, self->imp))
		SKIP(return, DBR_NOCB_SKIP);
	self->buf = dbr_create(self->exp, 4 * self->page, variant->pin);
	ASSERT_LE(0, self->buf) TH_LOG("create: %s", strerror(-self->buf));
	r = dbr_import(self->imp, self->buf, variant->mode, 0, &self->id);
	ASSERT_EQ(0, r) TH_LOG("import");
	ASSERT_EQ(0, dbr_imp_status(self->imp, self->id, &self->st));
	if (self->st.core_cached)
		TH_LOG("the core mapped at attach and caches it (pre-6.16)");
}

FIXTURE_TEARDOWN(mode)
{
	if (self->buf >= 0)
		close(self->buf);
	if (self->imp >= 0)
		close(self->imp);
	if (self->exp >= 0)
		close(self->exp);
}

/* Importers with a move_notify callback get told about revocations. */
static int has_cb(uint32_t mode)
{
	return mode == DBR_IMP_STUB || mode == DBR_IMP_COMPLIANT;
}

TEST_F(mode, import)
{
	int pins = (variant->mode == DBR_IMP_STUB || variant->mode == DBR_IMP_NOCB) &&
		   variant->pin;
	struct dbr_imp_status *st = &self->st;
	struct dbr_exp_status es;

	EXPECT_TRUE(st->mode == variant->mode && st->mapped == 1 && st->maps == 1 &&
		    !st->stale && !st->notifications && !st->last_map_err)
		TH_LOG("importer status after import");
	EXPECT_EQ(pins, st->pinned) TH_LOG("pinned where the exporter can");
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	EXPECT_TRUE(es.nr_attach == 1 && es.nr_mapped == 1)
		TH_LOG("exporter sees 1 attachment, mapped");
	if (pins)
		EXPECT_EQ(1, es.nr_pinned) TH_LOG("exporter sees the pin");
}

/* Revoke: who is notified, what stays stale; no new import meanwhile. */
static void revoke_checked(struct __test_metadata *_metadata, int exp, int imp, int buf,
			   uint32_t id, const struct dbr_imp_status *st0, uint32_t mode)
{
	unsigned int cb = has_cb(mode);
	struct dbr_exp_revoke rv;
	struct dbr_imp_status st;
	struct dbr_exp_status es;
	uint32_t id2;
	int r;

	ASSERT_EQ(0, dbr_revoke(exp, buf, SHORT_MS, &rv)) TH_LOG("revoke");
	EXPECT_EQ(cb, rv.notified) TH_LOG("revoke notified");
	EXPECT_EQ(want_stale(mode, st0), rv.stale) TH_LOG("revoke stale");
	ASSERT_EQ(0, dbr_imp_status(imp, id, &st));
	EXPECT_EQ(cb, st.notifications) TH_LOG("importer notifications");
	EXPECT_EQ(mode != DBR_IMP_COMPLIANT, st.mapped)
		TH_LOG("importer still mapped unless compliant");
	/* Without a callback it cannot know: only the registry counts it. */
	if (cb)
		EXPECT_EQ(want_stale(mode, &st), st.stale) TH_LOG("importer reports stale");

	r = dbr_import(imp, buf, mode, 0, &id2);
	EXPECT_EQ(-ENODEV, r) TH_LOG("new import after revoke: ENODEV");
	if (!r)
		dbr_release(imp, id2);
	EXPECT_EQ(0, dbr_exp_status(exp, buf, &es));
	EXPECT_EQ(1, es.nr_attach) TH_LOG("refused attach leaves nothing");
}

TEST_F(mode, revoke)
{
	struct dbr_imp_status st;
	int r;

	revoke_checked(_metadata, self->exp, self->imp, self->buf, self->id, &self->st,
		       variant->mode);
	if (variant->mode != DBR_IMP_COMPLIANT)
		return;
	r = dbr_remap(self->imp, self->id);
	ASSERT_EQ(0, dbr_imp_status(self->imp, self->id, &st));
	if (st.core_cached) {
		/* The core hands back its cached (revoked) mapping. */
		TH_LOG("remap after revoke: %d (core-cached mapping)", r);
		EXPECT_TRUE(r == 0 || r == -ENODEV)
			TH_LOG("remap after revoke: cached or ENODEV");
	} else {
		EXPECT_EQ(-ENODEV, r) TH_LOG("remap after revoke: ENODEV");
		EXPECT_EQ(-ENODEV, st.last_map_err) TH_LOG("last_map_err ENODEV");
	}
}

TEST_F(mode, restore)
{
	struct dbr_imp_status st;

	revoke_checked(_metadata, self->exp, self->imp, self->buf, self->id, &self->st,
		       variant->mode);
	if (variant->mode == DBR_IMP_COMPLIANT)
		dbr_remap(self->imp, self->id);	/* refused: the test above */
	EXPECT_EQ(0, dbr_restore(self->exp, self->buf)) TH_LOG("restore");
	if (variant->mode != DBR_IMP_COMPLIANT)
		return;
	EXPECT_EQ(0, dbr_remap(self->imp, self->id)) TH_LOG("remap after restore");
	ASSERT_EQ(0, dbr_imp_status(self->imp, self->id, &st));
	EXPECT_TRUE(st.mapped && !st.stale && !st.last_map_err)
		TH_LOG("mapped again, not stale");
}

/* After revoke and restore: attach-only imports, then release all. */
TEST_F(mode, attach_only_release)
{
	struct dbr_imp_status st;
	struct dbr_exp_status es;
	unsigned int mapped0;
	uint32_t id2;

	revoke_checked(_metadata, self->exp, self->imp, self->buf, self->id, &self->st,
		       variant->mode);
	if (variant->mode == DBR_IMP_COMPLIANT)
		dbr_remap(self->imp, self->id);	/* refused */
	ASSERT_EQ(0, dbr_restore(self->exp, self->buf)) TH_LOG("restore");
	if (variant->mode == DBR_IMP_COMPLIANT)
		ASSERT_EQ(0, dbr_remap(self->imp, self->id)) TH_LOG("remap after restore");
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	mapped0 = es.nr_mapped;
	ASSERT_EQ(0, dbr_import(self->imp, self->buf, variant->mode, DBR_IMP_NO_MAP, &id2))
		TH_LOG("attach-only import after restore");
	ASSERT_EQ(0, dbr_imp_status(self->imp, id2, &st));
	EXPECT_TRUE(!st.mapped && !st.pinned && !st.maps) TH_LOG("attach-only: not mapped");
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	EXPECT_TRUE(es.nr_attach == 2 && es.nr_mapped == mapped0 + st.core_cached)
		TH_LOG("exporter sees 2 attachments");
	EXPECT_EQ(0, dbr_release(self->imp, id2)) TH_LOG("release attach-only");

	EXPECT_EQ(0, dbr_release(self->imp, self->id)) TH_LOG("release");
	ASSERT_EQ(0, dbr_exp_status(self->exp, self->buf, &es));
	EXPECT_TRUE(!es.nr_attach && !es.nr_mapped && !es.nr_pinned)
		TH_LOG("exporter sees nothing left");
}

/* ---- the class cache: an ops table reused with another callback ---------- */

/* A shim parameter: sysfs_get/sysfs_set (dbr_ioctl.h) under DBR_PARAMS. */
static int param_get(const char *name, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), DBR_PARAMS "%s", name);
	return sysfs_get(path, buf, len);
}

static int param_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DBR_PARAMS "%s", name);
	return sysfs_set(path, val);
}

FIXTURE(reused_ops) {
	int exp, imp;
	char policy[32], strict[8], deny[256];
	int saved;
};

FIXTURE_SETUP(reused_ops)
{
	DBR_OPEN_DEVICES(self);
	ASSERT_EQ(0, param_get("policy", self->policy, sizeof(self->policy)));
	ASSERT_EQ(0, param_get("strict", self->strict, sizeof(self->strict)));
	ASSERT_EQ(0, param_get("deny", self->deny, sizeof(self->deny)));
	self->saved = 1;
	ASSERT_EQ(0, param_set("policy", "enforce"));
	ASSERT_EQ(0, param_set("strict", "N"));
	ASSERT_EQ(0, param_set("deny", "sym:dbr_imp_stub_cb"));
}

FIXTURE_TEARDOWN(reused_ops)
{
	if (self->saved) {
		EXPECT_EQ(0, param_set("deny", self->deny)) TH_LOG("restore deny");
		EXPECT_EQ(0, param_set("strict", self->strict)) TH_LOG("restore strict");
		EXPECT_EQ(0, param_set("policy", self->policy)) TH_LOG("restore policy");
	}
	if (self->imp >= 0)
		close(self->imp);
	if (self->exp >= 0)
		close(self->exp);
}

/*
 * The shim's class cache must not hand a table's class to another importer
 * that reuses the table's address with a different callback.
 */
TEST_F(reused_ops, class_per_callback)
{
	const uint32_t f = DBR_IMP_NO_MAP | DBR_IMP_REUSED_OPS;
	struct dbr_exp_status es;
	uint32_t id, id2;
	int buf;

	buf = dbr_create(self->exp, getpagesize(), DBR_EXP_GUARDED);
	ASSERT_LE(0, buf) TH_LOG("create a guarded buffer");
	EXPECT_EQ(-EOPNOTSUPP, dbr_import(self->imp, buf, DBR_IMP_STUB, f, &id))
		TH_LOG("stub callback in the table: refused (deny-listed)");
	ASSERT_EQ(0, dbr_import(self->imp, buf, DBR_IMP_COMPLIANT, f, &id))
		TH_LOG("compliant callback in the same table: accepted, not the cached class");
	EXPECT_EQ(-EBUSY, dbr_import(self->imp, buf, DBR_IMP_STUB, f, &id2))
		TH_LOG("the table cannot change callback while in use");
	EXPECT_EQ(0, dbr_release(self->imp, id)) TH_LOG("release the compliant import");
	EXPECT_EQ(-EOPNOTSUPP, dbr_import(self->imp, buf, DBR_IMP_STUB, f, &id2))
		TH_LOG("stub callback again: refused again");
	EXPECT_EQ(-EINVAL, dbr_import(self->imp, buf, DBR_IMP_LEGACY, f, &id2))
		TH_LOG("a legacy import has no table to reuse: EINVAL");
	EXPECT_EQ(0, dbr_exp_status(self->exp, buf, &es));
	EXPECT_EQ(0, es.nr_attach) TH_LOG("nothing left attached");
	close(buf);
}

TEST_HARNESS_MAIN
