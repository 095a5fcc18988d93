// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_modules_test GROUP: exercise dmabuf_revoke_exporter alone and
 * dmabuf_revoke_importer against it; print one KTAP (sub)test for GROUP.
 *
 * Exit status: 0 all passed, 1 something failed, 2 the group was skipped
 * (the plan line "1..0 # SKIP <reason>" names the missing kernel feature).
 *
 * Groups: exporter legacy stub nocb compliant guarded register release
 * release_race badinput reused_ops (the last one expects the suite to have
 * set policy=enforce, strict=N and deny=sym:dbr_imp_stub_cb).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"

#define EXP_DEV "/dev/dmabuf_revoke_exporter"
#define IMP_DEV "/dev/dmabuf_revoke_importer"
/* Legacy and stub importers never unmap: keep their revokes short. */
#define SHORT_MS 50

static const char *const mode_name[DBR_IMP_MODES] = {
	"legacy", "stub", "nocb", "compliant",
};

static FILE *out;
static char *outbuf;
static size_t outlen;
static int ntests, nfail;
static long page;
static int exp_fd = -1, imp_fd = -1;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!ok)
		nfail++;
	fprintf(out, "%sok %d ", ok ? "" : "not ", ntests);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/* check_eq(got, want, name...): one result, with a diagnostic on failure. */
#define check_eq(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_)							\
		diag("got %lld, want %lld", g_, w_);			\
	result(g_ == w_, __VA_ARGS__);					\
} while (0)

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int create(uint64_t size, uint32_t flags)
{
	struct dbr_exp_create c = { .size = size, .flags = flags };
	int r = xioctl(exp_fd, DBR_EXP_CREATE, &c);

	return r ? r : c.fd;
}

static struct dbr_exp_status exp_status(int buf)
{
	struct dbr_exp_status st = { .fd = buf };

	if (xioctl(exp_fd, DBR_EXP_STATUS, &st)) {
		diag("DBR_EXP_STATUS(%d): %s", buf, strerror(errno));
		memset(&st, 0xff, sizeof(st));
	}
	return st;
}

static int do_revoke(int buf, unsigned int ms, struct dbr_exp_revoke *rv)
{
	memset(rv, 0, sizeof(*rv));
	rv->fd = buf;
	rv->timeout_ms = ms;
	return xioctl(exp_fd, DBR_EXP_REVOKE, rv);
}

static int restore(int buf)
{
	int32_t fd = buf;

	return xioctl(exp_fd, DBR_EXP_RESTORE, &fd);
}

static int import(int buf, uint32_t mode, uint32_t flags, uint32_t *id)
{
	struct dbr_imp_import im = { .fd = buf, .mode = mode, .flags = flags };
	int r = xioctl(imp_fd, DBR_IMP_IMPORT, &im);

	*id = r ? 0 : im.id;
	return r;
}

static struct dbr_imp_status imp_status(uint32_t id)
{
	struct dbr_imp_status st = { .id = id };

	if (xioctl(imp_fd, DBR_IMP_STATUS, &st)) {
		diag("DBR_IMP_STATUS(%u): %s", id, strerror(errno));
		memset(&st, 0xff, sizeof(st));
	}
	return st;
}

static int imp_u32(unsigned long cmd, uint32_t v)
{
	return xioctl(imp_fd, cmd, &v);
}

static int reg(uint32_t mode, uint32_t cap)
{
	struct dbr_imp_register r = { .mode = mode, .cap = cap };

	return xioctl(imp_fd, DBR_IMP_REGISTER, &r);
}

/* Touch p[0] in a child: 0 if fine, else the signal that killed it. */
static int child_access(volatile uint8_t *p, uint8_t want)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		uint8_t v = p[0];

		p[0] = v;
		_exit(v == want ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? 100 + WEXITSTATUS(status) : 0;
}

static int nocb_supported(void)
{
	int buf = create(page, 0), r;
	uint32_t id;

	if (buf < 0)
		return 0;
	r = import(buf, DBR_IMP_NOCB, DBR_IMP_NO_MAP, &id);
	if (!r)
		imp_u32(DBR_IMP_RELEASE, id);
	close(buf);
	return r != -EOPNOTSUPP;
}

#define NOCB_SKIP "importer ops without a callback need v7.1 (optional invalidate_mappings)"

/* ---- exporter alone ---------------------------------------------------- */

static void group_exporter(void)
{
	struct dbr_exp_revoke rv;
	struct dbr_exp_status st;
	size_t size = 16 * page, i;
	uint8_t *p;
	void *q;
	int buf, ok, sig;

	buf = create(size, 0);
	result(buf >= 0, "create 16 pages");
	if (buf < 0)
		return;
	st = exp_status(buf);
	result(st.flags == 0 && !st.revoked && !st.nr_attach && !st.revokes,
	       "status of a new buffer");

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	result(p != MAP_FAILED, "mmap shared");
	if (p == MAP_FAILED)
		return;
	for (i = 0; i < size; i += page)
		p[i] = (uint8_t)(i / page + 1);
	for (ok = 1, i = 0; i < size; i += page)
		ok &= p[i] == (uint8_t)(i / page + 1);
	result(ok, "mmap: write and read back every page");
	q = mmap(NULL, size, PROT_READ, MAP_PRIVATE, buf, 0);
	result(q == MAP_FAILED && errno == EINVAL, "private mmap refused");

	check_eq(do_revoke(buf, 0, &rv), 0, "revoke (default timeout)");
	check_eq(rv.stale, 0, "revoke: no importer, nothing stale");
	check_eq(rv.notified, 0, "revoke: no importer, nobody notified");
	st = exp_status(buf);
	result(st.revoked == 1 && st.revokes == 1, "status: revoked, 1 revoke");
	sig = child_access(p, 1);
	check_eq(sig, SIGBUS, "mmap access after revoke: SIGBUS");
	q = mmap(NULL, size, PROT_READ, MAP_SHARED, buf, 0);
	result(q == MAP_FAILED && errno == ENODEV, "new mmap after revoke: ENODEV");
	check_eq(do_revoke(buf, SHORT_MS, &rv), 0, "revoke again");
	check_eq(exp_status(buf).revokes, 2, "revoke again: counted");

	check_eq(restore(buf), 0, "restore");
	check_eq(exp_status(buf).revoked, 0, "restore: not revoked");
	check_eq(child_access(p, 1), 0, "mmap access after restore: data kept");
	munmap(p, size);
	close(buf);

	buf = create(page, DBR_EXP_PIN_CAPABLE | DBR_EXP_GUARDED);
	result(buf >= 0, "create pin-capable guarded");
	check_eq(exp_status(buf).flags, DBR_EXP_PIN_CAPABLE | DBR_EXP_GUARDED,
		 "status reports flags");
	close(buf);
	buf = create(page, DBR_EXP_PIN_CAPABLE | DBR_EXP_UNTRACKED);
	result(buf >= 0, "create pin-capable untracked (left to the hook)");
	check_eq(exp_status(buf).flags, DBR_EXP_PIN_CAPABLE | DBR_EXP_UNTRACKED,
		 "status reports flags");
	close(buf);
}

/* ---- one importer mode against both kinds of buffer --------------------- */

/* What the exporter sees as stale after revoke for this import. */
static int want_stale(uint32_t mode, const struct dbr_imp_status *st)
{
	/* A compliant importer unmaps; only a core-cached mapping stays. */
	return mode == DBR_IMP_COMPLIANT ? (int)st->core_cached : 1;
}

static void mode_on(uint32_t mode, uint32_t pin)
{
	const char *m = mode_name[mode];
	const char *b = pin ? "pin" : "nopin";
	int cb = mode == DBR_IMP_STUB || mode == DBR_IMP_COMPLIANT;
	int pins = (mode == DBR_IMP_STUB || mode == DBR_IMP_NOCB) && pin;
	struct dbr_imp_status st;
	struct dbr_exp_status es;
	struct dbr_exp_revoke rv;
	uint32_t id, id2;
	unsigned int mapped0;
	int buf, r;

	buf = create(4 * page, pin);
	if (buf < 0) {
		result(0, "%s/%s: create: %s", m, b, strerror(-buf));
		return;
	}
	r = import(buf, mode, 0, &id);
	check_eq(r, 0, "%s/%s: import", m, b);
	if (r) {
		close(buf);
		return;
	}
	st = imp_status(id);
	if (st.core_cached)
		diag("%s/%s: the core mapped at attach and caches it (pre-6.16)",
		     m, b);
	result(st.mode == mode && st.mapped == 1 && st.maps == 1 &&
	       !st.stale && !st.notifications && !st.last_map_err,
	       "%s/%s: importer status after import", m, b);
	check_eq(st.pinned, pins, "%s/%s: pinned where the exporter can", m, b);
	es = exp_status(buf);
	result(es.nr_attach == 1 && es.nr_mapped == 1,
	       "%s/%s: exporter sees 1 attachment, mapped", m, b);
	if (pins)
		check_eq(es.nr_pinned, 1, "%s/%s: exporter sees the pin", m, b);

	check_eq(do_revoke(buf, SHORT_MS, &rv), 0, "%s/%s: revoke", m, b);
	check_eq(rv.notified, cb, "%s/%s: revoke notified", m, b);
	check_eq(rv.stale, want_stale(mode, &st), "%s/%s: revoke stale", m, b);
	st = imp_status(id);
	check_eq(st.notifications, cb, "%s/%s: importer notifications", m, b);
	check_eq(st.mapped, mode != DBR_IMP_COMPLIANT,
		 "%s/%s: importer still mapped unless compliant", m, b);
	if (cb)
		check_eq(st.stale, want_stale(mode, &st),
			 "%s/%s: importer reports stale", m, b);
	else
		diag("%s/%s: importer-side stale %u (known only from the registry)",
		     m, b, st.stale);

	r = import(buf, mode, 0, &id2);
	check_eq(r, -ENODEV, "%s/%s: new import after revoke: ENODEV", m, b);
	if (!r)
		imp_u32(DBR_IMP_RELEASE, id2);
	check_eq(exp_status(buf).nr_attach, 1,
		 "%s/%s: refused attach leaves nothing", m, b);

	if (mode == DBR_IMP_COMPLIANT) {
		r = imp_u32(DBR_IMP_REMAP, id);
		st = imp_status(id);
		if (st.core_cached) {
			/* The core hands back its cached (revoked) mapping. */
			diag("%s/%s: remap after revoke: %d (core-cached mapping)",
			     m, b, r);
			result(r == 0 || r == -ENODEV,
			       "%s/%s: remap after revoke: cached or ENODEV",
			       m, b);
		} else {
			check_eq(r, -ENODEV, "%s/%s: remap after revoke: ENODEV",
				 m, b);
			check_eq(st.last_map_err, -ENODEV,
				 "%s/%s: last_map_err ENODEV", m, b);
		}
	}

	check_eq(restore(buf), 0, "%s/%s: restore", m, b);
	if (mode == DBR_IMP_COMPLIANT) {
		check_eq(imp_u32(DBR_IMP_REMAP, id), 0,
			 "%s/%s: remap after restore", m, b);
		st = imp_status(id);
		result(st.mapped && !st.stale && !st.last_map_err,
		       "%s/%s: mapped again, not stale", m, b);
	}

	mapped0 = exp_status(buf).nr_mapped;
	r = import(buf, mode, DBR_IMP_NO_MAP, &id2);
	check_eq(r, 0, "%s/%s: attach-only import after restore", m, b);
	if (!r) {
		st = imp_status(id2);
		result(!st.mapped && !st.pinned && !st.maps,
		       "%s/%s: attach-only: not mapped", m, b);
		es = exp_status(buf);
		result(es.nr_attach == 2 &&
		       es.nr_mapped == mapped0 + st.core_cached,
		       "%s/%s: exporter sees 2 attachments", m, b);
		check_eq(imp_u32(DBR_IMP_RELEASE, id2), 0,
			 "%s/%s: release attach-only", m, b);
	}

	check_eq(imp_u32(DBR_IMP_RELEASE, id), 0, "%s/%s: release", m, b);
	es = exp_status(buf);
	result(!es.nr_attach && !es.nr_mapped && !es.nr_pinned,
	       "%s/%s: exporter sees nothing left", m, b);
	close(buf);
}

static void group_mode(uint32_t mode)
{
	mode_on(mode, 0);
	mode_on(mode, DBR_EXP_PIN_CAPABLE);
}

/* ---- guarded buffers: the registry decides at attach -------------------- */

static void guarded_on(uint32_t pin, int nocb)
{
	const char *b = pin ? "pin" : "nopin";
	uint32_t ids[DBR_IMP_MODES] = { 0 };
	struct dbr_imp_status st;
	struct dbr_exp_revoke rv;
	unsigned int accepted = 0, stale = 0;
	uint32_t mode;
	int buf, r;

	buf = create(2 * page, DBR_EXP_GUARDED | pin);
	if (buf < 0) {
		result(0, "guarded/%s: create: %s", b, strerror(-buf));
		return;
	}
	for (mode = 0; mode < DBR_IMP_MODES; mode++) {
		if (mode == DBR_IMP_NOCB && !nocb)
			continue;
		r = import(buf, mode, 0, &ids[mode]);
		if (mode == DBR_IMP_COMPLIANT) {
			check_eq(r, 0, "guarded/%s: compliant import accepted", b);
		} else {
			/* Default policy (enforce): legacy has no ops, stub
			 * and nocb were registered as not revocable. */
			check_eq(r, -EOPNOTSUPP, "guarded/%s: %s import refused",
				 b, mode_name[mode]);
		}
		if (r)
			continue;
		accepted++;
		st = imp_status(ids[mode]);
		stale += want_stale(mode, &st);
	}
	check_eq(exp_status(buf).nr_attach, accepted,
		 "guarded/%s: exporter attachments = accepted imports", b);
	check_eq(do_revoke(buf, SHORT_MS, &rv), 0, "guarded/%s: revoke", b);
	check_eq(rv.stale, stale, "guarded/%s: stale = accepted non-compliant", b);
	for (mode = 0; mode < DBR_IMP_MODES; mode++)
		if (ids[mode])
			imp_u32(DBR_IMP_RELEASE, ids[mode]);
	check_eq(exp_status(buf).nr_attach, 0, "guarded/%s: all released", b);
	close(buf);
}

static void group_guarded(void)
{
	int nocb = nocb_supported();

	check_eq(reg(DBR_IMP_COMPLIANT, 1), 0, "register compliant as revocable");
	check_eq(reg(DBR_IMP_STUB, 0), 0, "register stub as not revocable");
	if (nocb)
		check_eq(reg(DBR_IMP_NOCB, 0), 0, "register nocb as not revocable");
	guarded_on(0, nocb);
	guarded_on(DBR_EXP_PIN_CAPABLE, nocb);
	check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_COMPLIANT), 0,
		 "unregister compliant");
	check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_STUB), 0, "unregister stub");
	if (nocb)
		check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_NOCB), 0,
			 "unregister nocb");
}

static void group_register(void)
{
	check_eq(reg(DBR_IMP_STUB, 0), 0, "register stub");
	check_eq(reg(DBR_IMP_STUB, 1), 0, "register stub again: updates the capability");
	check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_STUB), 0, "unregister stub");
	check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_STUB), -ENOENT,
		 "unregister stub twice: ENOENT");
	check_eq(reg(DBR_IMP_COMPLIANT, 1), 0, "register compliant");
	check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_COMPLIANT), 0,
		 "unregister compliant");
	if (nocb_supported()) {
		check_eq(reg(DBR_IMP_NOCB, 0), 0, "register nocb");
		check_eq(imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_NOCB), 0,
			 "unregister nocb");
	} else {
		check_eq(reg(DBR_IMP_NOCB, 0), -EOPNOTSUPP,
			 "register nocb: EOPNOTSUPP before v7.1");
	}
	/* Left registered on purpose: module unload must clean it up. */
	check_eq(reg(DBR_IMP_COMPLIANT, 1), 0, "register compliant, keep");
}

/* Imports belong to the open file. */
static void group_release(void)
{
	uint32_t id;
	int buf, r;

	buf = create(page, DBR_EXP_PIN_CAPABLE);
	result(buf >= 0, "create");
	r = import(buf, DBR_IMP_STUB, 0, &id);
	check_eq(r, 0, "stub import");
	r = import(buf, DBR_IMP_LEGACY, 0, &id);
	check_eq(r, 0, "legacy import");
	check_eq(exp_status(buf).nr_attach, 2, "2 attachments");
	close(imp_fd);
	imp_fd = open(IMP_DEV, O_RDWR);
	result(imp_fd >= 0, "reopen importer");
	{
		struct dbr_exp_status es = exp_status(buf);

		result(!es.nr_attach && !es.nr_mapped && !es.nr_pinned,
		       "closing the importer released its imports");
	}
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
	int uffd;
	void *page;
	int release_ret;
	int handled;
};

static void *race_handler(void *arg)
{
	struct race *r = arg;
	struct pollfd pfd = { .fd = r->uffd, .events = POLLIN };
	struct uffdio_range wake = { .start = (unsigned long)r->page, .len = page };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 10000) != 1 || read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	r->handled = 1;
	/* The first import of a fresh file gets id 1. */
	r->release_ret = imp_u32(DBR_IMP_RELEASE, 1);
	mprotect(r->page, page, PROT_READ);
	ioctl(r->uffd, UFFDIO_WAKE, &wake);
	return NULL;
}

static void group_release_race(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register rg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct race r = { .release_ret = 1 };
	struct dbr_imp_import *im;
	pthread_t t;
	int buf, ret;

	buf = create(page, 0);
	r.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	r.page = mmap(NULL, page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf < 0 || r.uffd < 0 || r.page == MAP_FAILED ||
	    ioctl(r.uffd, UFFDIO_API, &api)) {
		diag("setup: buf %d uffd %d: %s", buf, r.uffd, strerror(errno));
		result(0, "setup: buffer, userfaultfd with write-protect faults");
		return;
	}
	im = r.page;
	*im = (struct dbr_imp_import){ .fd = buf, .mode = DBR_IMP_LEGACY,
				       .flags = DBR_IMP_NO_MAP };
	rg.range.start = wp.range.start = (unsigned long)r.page;
	rg.range.len = wp.range.len = page;
	ret = ioctl(r.uffd, UFFDIO_REGISTER, &rg) ||
	      ioctl(r.uffd, UFFDIO_WRITEPROTECT, &wp);
	result(!ret, "setup: args page write-protected through userfaultfd");
	if (ret)
		return;
	close(imp_fd);
	imp_fd = open(IMP_DEV, O_RDWR);
	pthread_create(&t, NULL, race_handler, &r);
	ret = xioctl(imp_fd, DBR_IMP_IMPORT, im);
	pthread_join(t, NULL);
	result(r.handled, "the import stopped in copy_to_user (userfaultfd fault)");
	check_eq(r.release_ret, 0, "RELEASE of its id meanwhile destroyed the import");
	check_eq(ret, -EFAULT, "the import then fails with EFAULT");
	check_eq(exp_status(buf).nr_attach, 0, "nothing left attached (destroyed exactly once)");
	check_eq(imp_u32(DBR_IMP_RELEASE, 1), -EINVAL, "its id is gone");
	close(r.uffd);
	munmap(r.page, page);
	close(buf);
}

/*
 * The shim's class cache must not hand a table's class to another importer
 * that reuses the table's address with a different callback.
 */
static void group_reused_ops(void)
{
	const uint32_t f = DBR_IMP_NO_MAP | DBR_IMP_REUSED_OPS;
	uint32_t id, id2;
	int buf, r;

	buf = create(page, DBR_EXP_GUARDED);
	result(buf >= 0, "create a guarded buffer");
	r = import(buf, DBR_IMP_STUB, f, &id);
	check_eq(r, -EOPNOTSUPP, "stub callback in the table: refused (deny-listed)");
	r = import(buf, DBR_IMP_COMPLIANT, f, &id);
	check_eq(r, 0, "compliant callback in the same table: accepted, not the cached class");
	check_eq(import(buf, DBR_IMP_STUB, f, &id2), -EBUSY,
		 "the table cannot change callback while in use");
	check_eq(imp_u32(DBR_IMP_RELEASE, id), 0, "release the compliant import");
	check_eq(import(buf, DBR_IMP_STUB, f, &id2), -EOPNOTSUPP,
		 "stub callback again: refused again");
	check_eq(import(buf, DBR_IMP_LEGACY, f, &id2), -EINVAL,
		 "a legacy import has no table to reuse: EINVAL");
	check_eq(exp_status(buf).nr_attach, 0, "nothing left attached");
	close(buf);
}

/* ---- bad input: EINVAL (ENOTTY for unknown commands), no state change -- */

static void group_badinput(void)
{
	struct dbr_exp_create c;
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	struct dbr_imp_import im;
	struct dbr_imp_status is;
	struct dbr_imp_register rg;
	int buf, null_fd, st_before;
	int32_t fd;

	buf = create(page, 0);
	null_fd = open("/dev/null", O_RDWR);
	result(buf >= 0 && null_fd >= 0, "setup");

	c = (struct dbr_exp_create){ .size = 0 };
	check_eq(xioctl(exp_fd, DBR_EXP_CREATE, &c), -EINVAL, "create: size 0");
	c = (struct dbr_exp_create){ .size = page + 1 };
	check_eq(xioctl(exp_fd, DBR_EXP_CREATE, &c), -EINVAL,
		 "create: size not a page multiple");
	c = (struct dbr_exp_create){ .size = (uint64_t)DBR_EXP_MAX_SIZE + page };
	check_eq(xioctl(exp_fd, DBR_EXP_CREATE, &c), -EINVAL,
		 "create: size over the maximum");
	c = (struct dbr_exp_create){ .size = page, .flags = 1u << 31 };
	check_eq(xioctl(exp_fd, DBR_EXP_CREATE, &c), -EINVAL,
		 "create: unknown flag");
	c = (struct dbr_exp_create){ .size = page,
				     .flags = DBR_EXP_GUARDED | DBR_EXP_UNTRACKED };
	check_eq(xioctl(exp_fd, DBR_EXP_CREATE, &c), -EINVAL,
		 "create: guarded and untracked exclude each other");

	check_eq(do_revoke(-1, 0, &rv), -EINVAL, "revoke: fd -1");
	check_eq(do_revoke(null_fd, 0, &rv), -EINVAL, "revoke: not a dma-buf");
	check_eq(do_revoke(buf, DBR_EXP_MAX_TIMEOUT_MS + 1, &rv), -EINVAL,
		 "revoke: timeout too long");
	es = exp_status(buf);
	result(!es.revoked && !es.revokes, "bad revoke changed nothing");
	fd = null_fd;
	check_eq(xioctl(exp_fd, DBR_EXP_RESTORE, &fd), -EINVAL,
		 "restore: not a dma-buf");
	es = (struct dbr_exp_status){ .fd = -1 };
	check_eq(xioctl(exp_fd, DBR_EXP_STATUS, &es), -EINVAL, "status: fd -1");
	check_eq(xioctl(exp_fd, _IO(DBR_EXP_IOC_MAGIC, 0x7f), NULL), -ENOTTY,
		 "exporter: unknown ioctl ENOTTY");

	im = (struct dbr_imp_import){ .fd = buf, .mode = DBR_IMP_MODES };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: unknown mode");
	im = (struct dbr_imp_import){ .fd = buf, .flags = 1u << 31 };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: unknown flag");
	im = (struct dbr_imp_import){ .fd = null_fd };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: not a dma-buf");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP,
				      .pci_domain = 0xfffe, .pci_bus = 0xff, .pci_devfn = 0xff };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: DBR_IMP_PCI_DEV naming no PCI device");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_NO_MAP, .pci_bus = 1 };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: a PCI device without DBR_IMP_PCI_DEV");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP,
				      .reserved = 1 };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT, &im), -EINVAL,
		 "import: reserved field not 0");
	im = (struct dbr_imp_import){ .fd = buf, .flags = DBR_IMP_PCI_DEV | DBR_IMP_NO_MAP };
	check_eq(xioctl(imp_fd, DBR_IMP_IMPORT_V1, &im), -EINVAL,
		 "import: DBR_IMP_PCI_DEV through the old 16-byte struct");
	check_eq(exp_status(buf).nr_attach, 0, "bad imports attached nothing");
	{
		/* An old binary's DBR_IMP_IMPORT: 16 bytes, nothing after. */
		struct {
			struct { int32_t fd; uint32_t mode, flags, id; } v1;
			uint32_t canary[2];
		} old = { { buf, DBR_IMP_LEGACY, DBR_IMP_NO_MAP, 0 },
			  { 0xdeadbeef, 0xdeadbeef } };

		check_eq(xioctl(imp_fd, DBR_IMP_IMPORT_V1, &old.v1), 0,
			 "import: old 16-byte struct (DBR_IMP_IMPORT_V1) still imports");
		check_eq(exp_status(buf).nr_attach, 1, "old import attached");
		result(old.v1.id > 0 && old.canary[0] == 0xdeadbeef &&
		       old.canary[1] == 0xdeadbeef,
		       "old import: id %u returned, nothing written past 16 bytes",
		       old.v1.id);
		check_eq(imp_u32(DBR_IMP_RELEASE, old.v1.id), 0,
			 "old import released");
		check_eq(exp_status(buf).nr_attach, 0, "old import detached");
	}
	is = (struct dbr_imp_status){ .id = 12345 };
	check_eq(xioctl(imp_fd, DBR_IMP_STATUS, &is), -EINVAL,
		 "status: unknown id");
	check_eq(imp_u32(DBR_IMP_REMAP, 12345), -EINVAL, "remap: unknown id");
	check_eq(imp_u32(DBR_IMP_RELEASE, 0), -EINVAL, "release: id 0");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_MODES };
	check_eq(xioctl(imp_fd, DBR_IMP_REGISTER, &rg), -EINVAL,
		 "register: unknown mode");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_LEGACY };
	check_eq(xioctl(imp_fd, DBR_IMP_REGISTER, &rg), -EINVAL,
		 "register: legacy has no ops");
	rg = (struct dbr_imp_register){ .mode = DBR_IMP_STUB, .cap = 2 };
	check_eq(xioctl(imp_fd, DBR_IMP_REGISTER, &rg), -EINVAL,
		 "register: bad cap");
	st_before = imp_u32(DBR_IMP_UNREGISTER, DBR_IMP_STUB);
	check_eq(st_before, -ENOENT, "bad register registered nothing");
	check_eq(imp_u32(DBR_IMP_UNREGISTER, 99), -EINVAL,
		 "unregister: unknown mode");
	check_eq(xioctl(imp_fd, _IO(DBR_IMP_IOC_MAGIC, 0x7f), NULL), -ENOTTY,
		 "importer: unknown ioctl ENOTTY");
	close(null_fd);
	close(buf);
}

int main(int argc, char **argv)
{
	const char *g = argc > 1 ? argv[1] : "";
	const char *skip = NULL;
	int mode = -1;

	page = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	out = open_memstream(&outbuf, &outlen);
	exp_fd = open(EXP_DEV, O_RDWR);
	imp_fd = open(IMP_DEV, O_RDWR);
	if (!out || exp_fd < 0 || imp_fd < 0) {
		printf("KTAP version 1\n1..1\nnot ok 1 open %s and %s: %s\n",
		       EXP_DEV, IMP_DEV, strerror(errno));
		return 1;
	}

	for (int m = 0; m < DBR_IMP_MODES; m++)
		if (!strcmp(g, mode_name[m]))
			mode = m;
	if (!strcmp(g, "exporter")) {
		group_exporter();
	} else if (mode == DBR_IMP_NOCB && !nocb_supported()) {
		skip = NOCB_SKIP;
	} else if (mode >= 0) {
		group_mode(mode);
	} else if (!strcmp(g, "guarded")) {
		group_guarded();
	} else if (!strcmp(g, "register")) {
		group_register();
	} else if (!strcmp(g, "release")) {
		group_release();
	} else if (!strcmp(g, "release_race")) {
		group_release_race();
	} else if (!strcmp(g, "reused_ops")) {
		group_reused_ops();
	} else if (!strcmp(g, "badinput")) {
		group_badinput();
	} else {
		fprintf(stderr, "usage: %s exporter|legacy|stub|nocb|compliant|guarded|register|release|release_race|badinput|reused_ops\n",
			argv[0]);
		return 1;
	}

	fclose(out);
	printf("KTAP version 1\n");
	if (skip) {
		printf("1..0 # SKIP %s\n", skip);
		return 2;
	}
	printf("1..%d\n%s", ntests, outbuf);
	free(outbuf);
	return nfail ? 1 : 0;
}
