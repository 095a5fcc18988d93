// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_vfio: drive a real vfio-pci dma-buf (v6.19+) in the guest and assert
 * what happened, saying so by the exit status (run --expect: 72, 75, 78) or
 * by one answer a command (hold: 78), or print it as key=value lines (run
 * without --expect: only for make demo's table, tests/demo/00-demo.sh).
 * The assertions of 70, 82 and 84 are in dbr_vfio_test, dbr_vfio_watch_test
 * and dbr_rdma; the vfio mechanics, dbr_vfio_lib.h's, are shared.
 *
 *   dbr_vfio info [--bdf BDF]
 *	the device (default: the first QEMU edu, 1234:11e8): bdf=, group=,
 *	driver=, reset_method=
 *   dbr_vfio bind [--bdf BDF] [--reset METHOD]
 *	bind it to vfio-pci (driver_override + drivers_probe), check that
 *	it is bound, that its IOMMU group's /dev/vfio node exists and, with
 *	--reset, that its reset_method offers METHOD; print the BDF alone
 *	(exit 0), or say on stderr what is missing (exit 2)
 *   dbr_vfio unbind [--bdf BDF]
 *	unbind it from its driver and clear driver_override
 *   dbr_vfio run MODE [options]
 *	open the container, group and device; export BAR0 (one page) as a
 *	dma-buf with VFIO_DEVICE_FEATURE_DMA_BUF; import it into
 *	/dev/dmabuf_revoke_importer in MODE (attach only); try to map it
 *	(DBR_IMP_REMAP); revoke it for real; look again. The importer
 *	attaches as the exporting PCI device itself (DBR_IMP_PCI_DEV), the
 *	one importer vfio-pci's map (pci_p2pdma_map_type()) always has a P2P
 *	path to, unless --nopci.
 *
 * MODE: legacy | stub | nocb | compliant | none (export only, no import).
 * run options:
 *   --revoke reset|command|close|none
 *		VFIO_DEVICE_RESET (default); clear PCI_COMMAND's memory bit
 *		through the config region (then set it again); close the
 *		device fd (permanent); or do not revoke
 *   --nomap	do not try to map (the import is attach-only anyway)
 *   --nopci	attach as the importer's own non-PCI misc device instead
 *   --exec CMD	run `sh -c CMD` after the import, before the revoke
 *		(the buffer and the attachment are alive): exec_rc=
 *   --then CMD	run `sh -c CMD` after the revoke: then_rc=
 *   --late MODE
 *		after --then, import the buffer again in MODE through a new
 *		importer file: late_attach_err=, late_*
 *   --hang MS	with --revoke reset and a mapped import (7.2+ vfio-pci waits
 *		for every unmap): reset in a child process; wait up to MS ms
 *		for the shim's watchdog to name the holder (counters/
 *		stale_named moves): hang_named=, hang_named_ms=,
 *		hang_blocked= (the reset had not returned then); release the
 *		import from this process: hang_release_err=; wait up to 10 s
 *		for the reset: hang_reset_done=, hang_reset_ms=, revoke_err=
 *		(a reset still blocked is left behind, the exit is 0)
 *   --expect ERR
 *		check instead of print (the keys go to /dev/null, so does
 *		the output of --exec and --then): the attach returns ERR (an
 *		errno name, or 0; with MODE none only the export is tried),
 *		and every step taken succeeds: the export, the kernel's
 *		count of one attachment, --exec and --then (exit 0), the
 *		revoke, the memory bit set again (command), the release.
 *		Exit 0 iff all held, else 1 with each miss on stderr
 *   --notified	with --expect: the revoke notified the import at least once
 *   --late-expect ERR
 *		with --expect: the --late attach returns ERR (default 0)
 *   --bdf BDF	the device to use (must be bound to vfio-pci)
 *   dbr_vfio hold [--novfio] [--bdf BDF]
 *	hold live objects of every module until stdin closes (suite
 *	78-unload-order): two test-exporter buffers, a guarded pin-capable
 *	one imported compliant and stub (both mapped, the stub pinned) and
 *	an unguarded one imported legacy (mapped), the first also mmap()ed
 *	with a pattern written; unless --novfio, a vfio-pci dma-buf of BAR0
 *	imported compliant (attach, then DBR_IMP_REMAP, which fails: no PCI
 *	peer; "# ..." says how), with its device open. Prints "ready=1",
 *	then obeys one command a line, each answered by one line,
 *	"done=CMD ok" or "done=CMD fail: what differs, got vs want":
 *	  expect live   every object as made: imports mapped, the stub
 *	                pinned, buf0 2 attachments mapped, buf1 1, none
 *	                revoked, the mmap reads the pattern; the vfio
 *	                dma-buf exported, its import attached (the kernel
 *	                counts 1 attachment)
 *	  expect closed-device  the vfio import notified, unmapped, still
 *	                attached
 *	  expect released  every release returned 0, nothing attached
 *	  expect mmap   the mmap reads the pattern
 *	  close-device  close the vfio device, group and container fds
 *	  release       DBR_IMP_RELEASE every import
 *	  close-importer  close the importer file
 *	  close-bufs    close the test-exporter buffer fds (the mmap stays)
 *	On end of input it releases what is left, looks at the mmap one last
 *	time and answers "done=end ...": exit 0 iff that held, else 1.
 *
 * Keys of run, in order (those of steps not taken are left out):
 *   bdf group importer_dev(=BDF or misc) exp_name export_err attached(=kernel's count of attachments
 *   from debugfs dma_buf/bufinfo) attach_err map_err before_* exec_rc
 *   revoke revoke_err after_* after_attached restore_err remap_err
 *   restored_* then_rc late_attach_err late_map_err late_* release_err
 * where * is mapped, pinned, notifications, stale, maps, last_map_err.
 * Errors are errno names (strerrorname_np), 0 for success.
 *
 * Exit 0 if the scenario could be driven whatever its outcome (an export
 * the kernel refuses is an outcome: export_err=), 1 if a checked run
 * (--expect) or the holder's last look missed, 2 on a usage or setup error
 * (with a message on stderr).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbr_vfio_lib.h"
#include "dbr_util.h"
#include "dbr_imp_print.h"

#define MODE_NONE DBR_IMP_MODES

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_vfio info|unbind [--bdf BDF]\n"
		"       dbr_vfio bind [--bdf BDF] [--reset METHOD]\n"
		"       dbr_vfio run MODE [--revoke reset|command|close|none] [--nomap] [--nopci]\n"
		"                [--exec CMD] [--then CMD] [--late MODE] [--hang MS] [--bdf BDF]\n"
		"                [--expect ERR [--notified] [--late-expect ERR]]\n"
		"       dbr_vfio hold [--novfio] [--bdf BDF]\n"
		"MODE: legacy | stub | nocb | compliant | none\n");
	return 2;
}

static int parse_mode(const char *s)
{
	unsigned int i;

	if (!strcmp(s, "none"))
		return MODE_NONE;
	for (i = 0; i < DBR_IMP_MODES; i++)
		if (!strcmp(s, dbr_mode_name[i]))
			return (int)i;
	return -1;
}

static enum dbr_vfio_revoke parse_revoke(const char *s)
{
	unsigned int i;

	for (i = 0; i < DBR_VFIO_REVOKES; i++)
		if (!strcmp(s, dbr_vfio_revoke_name[i]))
			break;
	return (enum dbr_vfio_revoke)i;
}

/* The first edu device, or die. */
static void find_edu(char *bdf, size_t size)
{
	if (!dbr_find_edu(bdf, size))
		die("no edu PCI device (%04x:%04x) in %s", EDU_VENDOR, EDU_DEVICE, PCI_DEVS);
}

static void print_dev(const char *bdf)
{
	char group[64], driver[64], path[PATH_MAX], rm[128];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/reset_method", bdf);
	sysfs_read(path, rm, sizeof(rm));
	for (char *p = rm; *p; p++)
		if (*p == ' ')
			*p = ',';
	printf("bdf=%s\ngroup=%s\ndriver=%s\nreset_method=%s\n", bdf,
	       dev_link(bdf, "iommu_group", group, sizeof(group)),
	       dev_link(bdf, "driver", driver, sizeof(driver)),
	       rm[0] ? rm : "none");
}

/* The IOMMU group's /dev/vfio node, once devtmpfs made it; "" if none. */
static const char *group_node(const char *bdf, char *dev, size_t len)
{
	char group[64];

	dev_link(bdf, "iommu_group", group, sizeof(group));
	snprintf(dev, len, "/dev/vfio/%s", group);
	return group[0] && !access(dev, F_OK) ? dev : "";
}

static int cmd_bind(const char *bdf, const char *reset)
{
	char path[PATH_MAX], driver[64], rm[128];
	int ret, i;

	dev_link(bdf, "driver", driver, sizeof(driver));
	if (strcmp(driver, "vfio-pci")) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
		ret = sysfs_set(path, "vfio-pci");
		if (ret)
			die("write vfio-pci to %s: %s (is vfio-pci loaded?)", path,
			    strerror(-ret));
		if (driver[0]) {
			snprintf(path, sizeof(path), PCI_DEVS "/%s/driver/unbind", bdf);
			ret = sysfs_set(path, bdf);
			if (ret)
				die("unbind %s from %s: %s", bdf, driver, strerror(-ret));
		}
		ret = sysfs_set("/sys/bus/pci/drivers_probe", bdf);
		if (ret)
			die("drivers_probe %s: %s (is vfio-pci loaded?)", bdf, strerror(-ret));
		dev_link(bdf, "driver", driver, sizeof(driver));
		if (strcmp(driver, "vfio-pci"))
			die("%s did not bind to vfio-pci (driver '%s')", bdf, driver);
	}
	/* /dev/vfio/<group> comes from devtmpfs; give it a moment. */
	for (i = 0; i < 100 && !group_node(bdf, path, sizeof(path))[0]; i++)
		usleep(10000);
	if (!group_node(bdf, path, sizeof(path))[0])
		die("%s is bound to vfio-pci but has no IOMMU group node (%s)", bdf, path);
	snprintf(path, sizeof(path), PCI_DEVS "/%s/reset_method", bdf);
	if (reset && !strstr(sysfs_read(path, rm, sizeof(rm)), reset))
		die("%s offers no %s reset (reset_method: '%s')", bdf, reset, rm);
	printf("%s\n", bdf);
	return 0;
}

static int cmd_unbind(const char *bdf)
{
	char path[PATH_MAX], driver[64];
	int ret;

	if (dev_link(bdf, "driver", driver, sizeof(driver))[0]) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver/unbind", bdf);
		ret = sysfs_set(path, bdf);
		if (ret)
			die("unbind %s from %s: %s", bdf, driver, strerror(-ret));
	}
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
	ret = sysfs_set(path, "");
	if (ret)
		die("clear %s: %s", path, strerror(-ret));
	return 0;
}

/* Open @v->bdf's container, group and device, or die. */
static void vfio_open(struct dbr_vfio *v)
{
	char why[256];

	if (dbr_vfio_open(v, why, sizeof(why)))
		die("%s", why);
}

/* exp_name from the dma-buf's fdinfo. */
static void print_exp_name(int buf)
{
	char name[128];

	printf("exp_name=%s\n", dbr_buf_exp_name(buf, name, sizeof(name)) ? "?" : name);
}

/* run's --expect checks: the mode, how many failed. */
static const char *chk_mode;
static int chk_bad;

/* One expectation of a checked run (@got, @want: errno names or numbers). */
static void want(const char *what, const char *got, const char *w)
{
	if (!chk_mode || !strcmp(got, w))
		return;
	fprintf(stderr, "# dbr_vfio run %s: %s: got %s, want %s\n", chk_mode, what, got, w);
	chk_bad++;
}

static void want_ok(const char *what, int err)
{
	want(what, ename(err), "0");
}

static void want_n(const char *what, long got, long w)
{
	char g[24], s[24];

	snprintf(g, sizeof(g), "%ld", got);
	snprintf(s, sizeof(s), "%ld", w);
	want(what, g, s);
}

/* The importer's device: a PCI device (BDF) or its own (NULL). */
static const char *imp_bdf;

/*
 * Attach-only import, as imp_bdf if set; the id, or 0 with <pfx>attach_err
 * printed; checked against @expect (an errno name or 0) if a check is on.
 */
static unsigned int import(int imp, int buf, int mode, const char *pfx, const char *expect)
{
	uint32_t id;
	int r = dbr_vfio_import(imp, buf, (uint32_t)mode, imp_bdf, &id);

	printf("%sattach_err=%s\n", pfx, ename(-r));
	want(*pfx ? "late attach" : "attach", ename(-r), expect);
	return r ? 0 : id;
}

static const char *map(int imp, unsigned int id)
{
	return ename(-dbr_remap(imp, id));
}

static int run_sh(const char *cmd)
{
	int st;

	fflush(stdout);
	st = system(cmd);
	if (st == -1)
		die("system(%s): %s", cmd, strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int open_importer(void)
{
	int fd = open("/dev/dmabuf_revoke_importer", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/dmabuf_revoke_importer: %s (modprobe dmabuf_revoke_importer)",
		    strerror(errno));
	return fd;
}

/* --hang: the reset held up by the mapped import @id, as keys. */
static int reset_held(struct dbr_vfio *v, int imp, unsigned int id, long ms)
{
	struct dbr_vfio_hang h;
	int r = dbr_vfio_reset_held(v, imp, id, ms, &h);

	if (r)
		die("reset in a child: %s", strerror(-r));
	printf("hang_named=%d\n", h.named);
	if (h.named)
		printf("hang_named_ms=%ld\n", h.named_ms);
	printf("hang_blocked=%d\nhang_release_err=%s\nhang_reset_done=%d\n", h.blocked,
	       ename(-h.release_err), h.reset_done);
	if (!h.reset_done)
		return -1;
	printf("hang_reset_ms=%ld\n", h.reset_ms);
	return -h.reset_err;
}

/* The import's notifications so far (0 if they cannot be read). */
static unsigned int notifications(int imp, unsigned int id)
{
	struct dbr_imp_status st;

	return dbr_imp_status(imp, id, &st) ? 0 : st.notifications;
}

static int cmd_run(int argc, char **argv, const char *bdf)
{
	const char *exec_cmd = NULL, *then_cmd = NULL, *expect = NULL, *late_expect = "0";
	int mode, late = -1, nomap = 0, nopci = 0, notified = 0, imp = -1, buf, i, err;
	enum dbr_vfio_revoke how = DBR_VFIO_RESET;
	long hang = 0;
	unsigned int id = 0;
	struct dbr_vfio v = { 0 };

	mode = argc < 1 ? -1 : parse_mode(argv[0]);
	if (mode < 0)
		return usage();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--nomap")) {
			nomap = 1;
		} else if (!strcmp(argv[i], "--nopci")) {
			nopci = 1;
		} else if (!strcmp(argv[i], "--notified")) {
			notified = 1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--revoke")) {
			how = parse_revoke(argv[++i]);
			if (how == DBR_VFIO_REVOKES)
				return usage();
		} else if (i + 1 < argc && !strcmp(argv[i], "--hang")) {
			hang = strtol(argv[++i], NULL, 10);
			if (hang <= 0)
				return usage();
		} else if (i + 1 < argc && !strcmp(argv[i], "--exec")) {
			exec_cmd = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--then")) {
			then_cmd = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--late")) {
			late = parse_mode(argv[++i]);
			if (late < 0 || late == MODE_NONE)
				return usage();
		} else if (i + 1 < argc && !strcmp(argv[i], "--expect")) {
			expect = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--late-expect")) {
			late_expect = argv[++i];
		} else {
			return usage();
		}
	}
	if ((notified || strcmp(late_expect, "0")) && !expect)
		return usage();
	/* An ERR no errno has would only ever "fail": refuse it as bad usage. */
	if ((expect && parse_errno(expect) < 0) || parse_errno(late_expect) < 0)
		return usage();
	if (expect) {
		/* Checked: the verdict is the exit status, the keys go nowhere. */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, 1) < 0)
			die("stdout to /dev/null: %s", strerror(errno));
		close(null);
		chk_mode = argv[0];
	}
	copy(v.bdf, sizeof(v.bdf), bdf);
	vfio_open(&v);
	printf("bdf=%s\ngroup=%s\n", v.bdf, v.groupname);
	imp_bdf = nopci ? NULL : v.bdf;
	printf("importer_dev=%s\n", imp_bdf ? imp_bdf : "misc");

	buf = dbr_vfio_export_bar0(v.device);
	if (buf < 0) {
		printf("export_err=%s\n", ename(-buf));
		want_ok("export", -buf);
		return !!chk_bad;
	}
	printf("export_err=0\n");
	print_exp_name(buf);

	if (mode != MODE_NONE) {
		imp = open_importer();
		id = import(imp, buf, mode, "", expect);
		if (!id)
			return !!chk_bad;
		i = dbr_buf_attachments(buf);
		printf("attached=%d\n", i);
		want_n("attachments the dma-buf core counts", i, 1);
		if (!nomap)
			printf("map_err=%s\n", map(imp, id));
		print_imp(imp, id, "before");
	} else {
		printf("attached=%d\n", dbr_buf_attachments(buf));
	}

	if (exec_cmd) {
		i = run_sh(exec_cmd);
		printf("exec_rc=%d\n", i);
		want_n("--exec exit status", i, 0);
	}

	printf("revoke=%s\n", dbr_vfio_revoke_name[how]);
	if (how == DBR_VFIO_RESET && hang && id) {
		err = reset_held(&v, imp, id, hang);
		id = 0;		/* released */
		if (err < 0) {
			printf("revoke_err=BLOCKED\n");
			want("reset", "BLOCKED", "0");
			return !!chk_bad;
		}
	} else {
		err = -dbr_vfio_revoke(&v, how);
	}
	printf("revoke_err=%s\n", ename(err));
	want_ok("revoke", err);
	if (id)
		print_imp(imp, id, "after");
	if (id && notified)
		want_n("notified by the revoke", notifications(imp, id) >= 1, 1);
	printf("after_attached=%d\n", dbr_buf_attachments(buf));

	if (how == DBR_VFIO_COMMAND) {
		err = -dbr_vfio_command(&v, 1);
		printf("restore_err=%s\n", ename(err));
		want_ok("memory bit set again", err);
	}
	if (id && !nomap) {
		printf("remap_err=%s\n", map(imp, id));
		print_imp(imp, id, "restored");
	}

	if (then_cmd) {
		i = run_sh(then_cmd);
		printf("then_rc=%d\n", i);
		want_n("--then exit status", i, 0);
	}

	if (late >= 0) {
		int limp = open_importer();
		unsigned int lid = import(limp, buf, late, "late_", late_expect);

		if (lid) {
			if (!nomap)
				printf("late_map_err=%s\n", map(limp, lid));
			print_imp(limp, lid, "late");
		}
		close(limp);
	}

	if (id) {
		err = -dbr_release(imp, id);
		printf("release_err=%s\n", ename(err));
		want_ok("release", err);
	}
	return !!chk_bad;
}

/* What dbr_vfio hold holds, and what its steps returned (errno, 0: success). */
struct hold {
	int exp, imp, vbuf;
	int buf[2];			/* guarded pin-capable; unguarded */
	unsigned int id[4];		/* compliant, stub (buf[0]); legacy (buf[1]); vfio */
	int attach_err[4], release_err[4], export_err;
	unsigned char *map;		/* mmap of buf[0] */
	size_t size;
	struct dbr_vfio v;
	int have_vfio;
};

static const char *const hold_name[4] = { "compliant", "stub", "legacy", "vfio" };

/* What the current command found wrong, "what got X, want Y; ...". */
static char miss[1024];

static void __attribute__((format(printf, 1, 2))) missed(const char *fmt, ...)
{
	size_t n = strlen(miss);
	va_list ap;

	if (n)
		n += (size_t)snprintf(miss + n, sizeof(miss) - n, "; ");
	if (n >= sizeof(miss))
		return;
	va_start(ap, fmt);
	vsnprintf(miss + n, sizeof(miss) - n, fmt, ap);
	va_end(ap);
}

static void hold_want(const char *what, long got, long w)
{
	if (got != w)
		missed("%s %ld, want %ld", what, got, w);
}

/* The one answer of a command: "done=CMD ok" or "done=CMD fail: misses". */
static int answer(const char *cmd)
{
	int bad = !!miss[0];

	if (bad)
		printf("done=%s fail: %s\n", cmd, miss);
	else
		printf("done=%s ok\n", cmd);
	miss[0] = '\0';
	return bad;
}

/* Import @buf in @mode; @late_map: attach only, then map (DBR_IMP_REMAP). */
static void hold_import(struct hold *h, int slot, int buf, int mode, int late_map)
{
	int r = dbr_import(h->imp, buf, (uint32_t)mode, late_map ? DBR_IMP_NO_MAP : 0,
			   &h->id[slot]);

	h->attach_err[slot] = -r;
	/*
	 * Not asserted: vfio-pci maps only for a PCI peer (7.0: no pin op,
	 * EOPNOTSUPP; 7.2+: pci_p2pdma_map_type, EINVAL), the importer is none.
	 */
	if (!r && late_map)
		printf("# %s import: map_err=%s (no PCI peer)\n", hold_name[slot],
		       map(h->imp, h->id[slot]));
}

/* 1 if every byte of the mmap still carries the pattern. */
static int hold_pattern_ok(struct hold *h)
{
	size_t i;

	for (i = 0; i < h->size; i++)
		if (h->map[i] != (unsigned char)(i * 7 + 1))
			return 0;
	return 1;
}

/* The importer's view of @slot's import; 0, or -1 with the miss noted. */
static int hold_status(struct hold *h, int slot, struct dbr_imp_status *st)
{
	int r;

	if (h->attach_err[slot]) {
		missed("%s attach %s, want 0", hold_name[slot], ename(h->attach_err[slot]));
		return -1;
	}
	r = dbr_imp_status(h->imp, h->id[slot], st);
	if (r)
		missed("%s DBR_IMP_STATUS %s", hold_name[slot], ename(-r));
	return r ? -1 : 0;
}

/* The exporter's view of buf[@b]: not revoked, @attach attachments, @mapped mapped. */
static void hold_buf(struct hold *h, int b, long attach, long mapped)
{
	struct dbr_exp_status es;
	char what[32];
	int r = dbr_exp_status(h->exp, h->buf[b], &es);

	if (r) {
		missed("buf%d DBR_EXP_STATUS %s", b, ename(-r));
		return;
	}
	snprintf(what, sizeof(what), "buf%d revoked", b);
	hold_want(what, es.revoked, 0);
	snprintf(what, sizeof(what), "buf%d attachments", b);
	hold_want(what, es.nr_attach, attach);
	if (mapped < 0)
		return;
	snprintf(what, sizeof(what), "buf%d mapped", b);
	hold_want(what, es.nr_mapped, mapped);
}

/*
 * expect live: every object as first made. The imports mapped (the stub
 * also pinned), buf0 with two mapped attachments, buf1 one, the mmap
 * reading the pattern; the vfio dma-buf exported and imported (attach
 * only: no PCI peer), the kernel counting its one attachment.
 */
static void hold_expect_live(struct hold *h)
{
	struct dbr_imp_status st;
	int slot;

	for (slot = 0; slot < 3; slot++) {
		char what[32];

		if (hold_status(h, slot, &st))
			continue;
		snprintf(what, sizeof(what), "%s mapped", hold_name[slot]);
		hold_want(what, st.mapped, 1);
		if (slot == 1)
			hold_want("stub pinned", st.pinned, 1);
	}
	hold_buf(h, 0, 2, 2);
	hold_buf(h, 1, 1, 1);
	hold_want("mmap reads the pattern", hold_pattern_ok(h), 1);
	if (!h->have_vfio)
		return;
	if (h->export_err) {
		missed("vfio export %s, want 0", ename(h->export_err));
		return;
	}
	if (!hold_status(h, 3, &st))
		hold_want("vfio attachments", dbr_buf_attachments(h->vbuf), 1);
}

/* expect closed-device: the vfio import notified and unmapped, still attached. */
static void hold_expect_closed(struct hold *h)
{
	struct dbr_imp_status st;

	if (!h->have_vfio || h->export_err) {
		missed("no vfio import (--novfio or export %s)", ename(h->export_err));
		return;
	}
	if (hold_status(h, 3, &st))
		return;
	if (st.notifications < 1)
		missed("vfio notifications 0, want >= 1");
	hold_want("vfio mapped", st.mapped, 0);
	hold_want("vfio attachments", dbr_buf_attachments(h->vbuf), 1);
}

/* release: DBR_IMP_RELEASE every import; expect released judges the errors. */
static void hold_release(struct hold *h)
{
	int slot;

	for (slot = 0; slot < 4; slot++) {
		if (!h->id[slot] || h->imp < 0)
			continue;
		h->release_err[slot] = -dbr_release(h->imp, h->id[slot]);
		h->id[slot] = 0;
	}
}

/* expect released: every release returned 0, nothing attached any more. */
static void hold_expect_released(struct hold *h)
{
	int slot;

	for (slot = 0; slot < 4; slot++) {
		if (h->id[slot])
			missed("%s not released", hold_name[slot]);
		if (h->release_err[slot])
			missed("%s release %s, want 0", hold_name[slot],
			       ename(h->release_err[slot]));
	}
	hold_buf(h, 0, 0, -1);
	hold_buf(h, 1, 0, -1);
	if (h->vbuf >= 0)
		hold_want("vfio attachments", dbr_buf_attachments(h->vbuf), 0);
}

/* Close *@fd if open (a miss if close fails), mark it closed. */
static void close_fd(int *fd)
{
	if (*fd >= 0 && close(*fd))
		missed("close fd %d: %s", *fd, ename(errno));
	*fd = -1;
}

static void hold_command(struct hold *h, const char *cmd)
{
	if (!strcmp(cmd, "expect live")) {
		hold_expect_live(h);
	} else if (!strcmp(cmd, "expect closed-device")) {
		hold_expect_closed(h);
	} else if (!strcmp(cmd, "expect released")) {
		hold_expect_released(h);
	} else if (!strcmp(cmd, "expect mmap")) {
		hold_want("mmap reads the pattern", hold_pattern_ok(h), 1);
	} else if (!strcmp(cmd, "close-device") && h->v.device >= 0) {
		close_fd(&h->v.device);
		close_fd(&h->v.group);
		close_fd(&h->v.container);
	} else if (!strcmp(cmd, "release")) {
		hold_release(h);
	} else if (!strcmp(cmd, "close-importer") && h->imp >= 0) {
		close_fd(&h->imp);
	} else if (!strcmp(cmd, "close-bufs") && h->buf[0] >= 0) {
		close_fd(&h->buf[0]);
		close_fd(&h->buf[1]);
	} else {
		missed("unknown command, or its object is gone");
	}
	answer(cmd);
}

static int cmd_hold(int argc, char **argv, const char *bdf)
{
	struct hold h = { .exp = -1, .imp = -1, .vbuf = -1, .buf = { -1, -1 },
			  .size = 4 * 4096, .have_vfio = 1 };
	char line[64];
	size_t i;
	int b;

	if (argc == 1 && !strcmp(argv[0], "--novfio"))
		h.have_vfio = 0;
	else if (argc)
		return usage();
	h.v.device = h.v.group = h.v.container = -1;

	h.exp = dbr_open(DBR_EXP_DEV);
	if (h.exp < 0)
		die("open " DBR_EXP_DEV ": %s", strerror(-h.exp));
	h.imp = open_importer();
	for (b = 0; b < 2; b++) {
		h.buf[b] = dbr_create(h.exp, h.size,
				      b ? 0 : DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE);
		if (h.buf[b] < 0)
			die("DBR_EXP_CREATE: %s", strerror(-h.buf[b]));
	}
	h.map = mmap(NULL, h.size, PROT_READ | PROT_WRITE, MAP_SHARED, h.buf[0], 0);
	if (h.map == MAP_FAILED)
		die("mmap of the exporter's buffer: %s", strerror(errno));
	for (i = 0; i < h.size; i++)
		h.map[i] = (unsigned char)(i * 7 + 1);
	hold_import(&h, 0, h.buf[0], DBR_IMP_COMPLIANT, 0);
	hold_import(&h, 1, h.buf[0], DBR_IMP_STUB, 0);
	hold_import(&h, 2, h.buf[1], DBR_IMP_LEGACY, 0);

	if (h.have_vfio) {
		copy(h.v.bdf, sizeof(h.v.bdf), bdf);
		vfio_open(&h.v);
		h.vbuf = dbr_vfio_export_bar0(h.v.device);
		if (h.vbuf < 0) {
			h.export_err = -h.vbuf;
			h.vbuf = -1;
		} else {
			hold_import(&h, 3, h.vbuf, DBR_IMP_COMPLIANT, 1);
		}
	}
	printf("ready=1\n");

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		hold_command(&h, line);
	}
	/* The last look: whatever is left released, the mmap still intact. */
	hold_release(&h);
	for (b = 0; b < 4; b++)
		if (h.release_err[b])
			missed("%s release %s, want 0", hold_name[b], ename(h.release_err[b]));
	hold_want("mmap reads the pattern", hold_pattern_ok(&h), 1);
	munmap(h.map, h.size);
	close_fd(&h.vbuf);
	close_fd(&h.v.device);
	close_fd(&h.v.group);
	close_fd(&h.v.container);
	close_fd(&h.imp);
	close_fd(&h.buf[0]);
	close_fd(&h.buf[1]);
	close_fd(&h.exp);
	return answer("end");
}

int main(int argc, char **argv)
{
	char bdf[64] = "";
	const char *cmd;
	int i, j;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	cmd = argv[1];
	/* --bdf BDF anywhere after the subcommand. */
	for (i = 2, j = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--bdf") && i + 1 < argc) {
			copy(bdf, sizeof(bdf), argv[++i]);
			continue;
		}
		argv[j++] = argv[i];
	}
	argc = j;
	if (!bdf[0])
		find_edu(bdf, sizeof(bdf));

	if (!strcmp(cmd, "info")) {
		if (argc != 2)
			return usage();
		print_dev(bdf);
		return 0;
	}
	if (!strcmp(cmd, "bind")) {
		if (argc == 4 && !strcmp(argv[2], "--reset"))
			return cmd_bind(bdf, argv[3]);
		return argc == 2 ? cmd_bind(bdf, NULL) : usage();
	}
	if (!strcmp(cmd, "unbind"))
		return argc == 2 ? cmd_unbind(bdf) : usage();
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 2, argv + 2, bdf);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(argc - 2, argv + 2, bdf);
	return usage();
}
