// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_stress [-t THREADS] [-n CYCLES] [-s SECONDS] [-v BDF [-M] [-w SECONDS]] [-u]
 *            [-- kselftest harness options]: hammer the shim.
 *
 * THREADS importer threads (default 8) each run CYCLES (default 10000)
 * import -> map -> unmap -> release cycles through the test importer, the
 * mode cycling legacy/stub/compliant (and nocb on 7.1+), on guarded and
 * unguarded test-exporter buffers; meanwhile one thread revokes and
 * restores the buffers and one flips policy and strict and edits the deny,
 * allow and exporters lists. Bounded: SECONDS (default 300) ends it early
 * and is a failure.
 *
 * -v BDF: meanwhile a vfio thread drives the PCI device BDF (bound to
 * vfio-pci, with vfio dma-buf export: v6.19+) round after round: export
 * one page of BAR0 as a dma-buf, attach two compliant importers and two
 * stubs as the device itself (DBR_IMP_PCI_DEV, attach only), map the
 * compliant ones (-M: mapping must work, 7.1+; without: it must fail with
 * EOPNOTSUPP at vfio's pin op, 7.0), never the stubs (7.2+ waits for every
 * mapping in a reset: a mapped stub would hang it), then VFIO_DEVICE_RESET
 * under a watchdog (alarm(), -w SECONDS, default 30: a reset that does not
 * return prints "# VFIO_DEVICE_RESET did not return..." and exits, failed;
 * the thread in the reset stays in D state, so the suite runs this in the
 * background and stops waiting at that line). After each reset every
 * importer must have been notified and hold no mapping. The shim's hook
 * sees these attaches (vfio_pci_core stays in exporters=): the counter
 * invariant below includes them.
 *
 * -u: meanwhile a thread unloads the importer module with
 * delete_module(O_NONBLOCK) (EBUSY/EAGAIN while a file is open: counted)
 * and reloads it with modprobe. Every 2 s it asks all threads to close
 * their importer file (the gate) so the unload can happen; workers also
 * reopen it every 256 cycles. An open that finds no importer (ENOENT,
 * ENODEV) is an "importer absent" retry, not a failure.
 *
 * Then it asserts, one kselftest harness test each (KTAP on stdout; the
 * first test to run does the run, in its fixture's setup, the others check
 * what it measured; the harness's per-test timeout is -s + -w + 60 s):
 *   - all THREADS x CYCLES cycles ran within SECONDS;
 *   - every import ended in 0, EOPNOTSUPP (refused) or ENODEV (revoked);
 *   - attach_checked moved by exactly allowed + audited + refused + upstream
 *     (the counter invariant; nothing else attaches meanwhile);
 *   - the imports refused with EOPNOTSUPP are exactly attach_refused's move;
 *   - no buffer is left with an attachment, mapping or pin;
 *   - with -v (fixture stress_vfio, left out without -v): at least one
 *     reset, each returned 0, each notified every importer and left the
 *     compliant ones unmapped and not stale; the compliant maps did (-M)
 *     or did not work;
 *   - with -u (fixture stress_modules, left out without -u): the module
 *     was unloaded and reloaded at least once while the workers ran,
 *     delete_module failed only with EBUSY/EAGAIN, it is loaded at the end.
 * and prints cycles/s. Exit 0 if all passed. Our options come before "--"
 * (the harness has its own -t, -v, -f...), the harness's after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "kselftest_harness.h"

#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"

#include "dbr_vfio_uapi.h"

#define P "/sys/module/dmabuf_revoke/parameters/"
#define C "/sys/kernel/dmabuf_revoke/counters/"
#define MAXT 64

static int nthreads = 8, exp_fd;
static long cycles = 10000, seconds = 300;
static int bufs[2 * MAXT];
static int nmodes;
static const unsigned int modes[] = { DBR_IMP_LEGACY, DBR_IMP_STUB, DBR_IMP_COMPLIANT,
				      DBR_IMP_NOCB };
static atomic_long done_cycles, n_ok, n_refused, n_revoked, n_other;
static atomic_int stop, first_bad_errno;
static double deadline;

/* -u: the module chaos. */
#define IMP_DEV "/dev/dmabuf_revoke_importer"
#define IMP_MOD "dmabuf_revoke_importer"
#define REOPEN_EVERY 256
static int modchaos;
static atomic_int gate;		/* set: close the importer file, wait */
static atomic_long n_absent, n_unloads, n_unloads_busy, n_reloads, n_busy, n_modfail;
static atomic_int modfail_errno;
static char modfail_what[160];

/* -v: the vfio thread. */
static const char *vfio_bdf;
static int vfio_maps, watchdog_s = 30;
static atomic_long n_resets, n_vfio_imports, n_vfio_maps, n_vfio_checked, n_vfio_fail;
static double max_reset;
static char vfio_fail_what[320];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long counter(const char *name)
{
	char path[128], v[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), C "%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(v, sizeof(v), f)) {
		fprintf(stderr, "dbr_stress: cannot read %s\n", path);
		exit(KSFT_FAIL);
	}
	fclose(f);
	return atoll(v);
}

/* A knob write; refusals (EINVAL for an edit that does not apply) are fine. */
static void knob(const char *name, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), P "%s", name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, val, strlen(val)) < 0 && errno != EINVAL)
			fprintf(stderr, "dbr_stress: %s=%s: %s\n", name, val, strerror(errno));
		close(fd);
	}
}


static void fail_once(char *what, size_t size, atomic_long *count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Count a failure; the first one's description is kept in @what. */
static void fail_once(char *what, size_t size, atomic_long *count, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(count, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(what, size, fmt, ap);
		va_end(ap);
	}
}

/*
 * Open the importer; while its module is away (ENOENT: no node, ENODEV:
 * no device behind it) retry, counted as "importer absent". -1 when asked
 * to stop or after another errno (a failure, counted).
 */
static int imp_open(void)
{
	for (;;) {
		int fd = open(IMP_DEV, O_RDWR | O_CLOEXEC), e = errno;

		if (fd >= 0)
			return fd;
		/* Not stop: the module thread reloads it promptly whatever happens. */
		if ((e != ENOENT && e != ENODEV) || now() > deadline) {
			atomic_store(&first_bad_errno, e);
			atomic_fetch_add(&n_other, 1);
			return -1;
		}
		atomic_fetch_add(&n_absent, 1);
		usleep(10000);
	}
}

/* While the module thread holds the gate, stay out (importer file closed). */
static void gate_wait(void)
{
	while (atomic_load(&gate) && !atomic_load(&stop) && now() < deadline)
		usleep(10000);
}

/* modprobe the importer again: 0 or -1 with modfail_what set. */
static int reload(void)
{
	char *const argv[] = { "modprobe", IMP_MOD, NULL };
	extern char **environ;
	int st, i, err;
	pid_t pid;

	err = posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ);
	if (err || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fail_once(modfail_what, sizeof(modfail_what), &n_modfail,
			  "modprobe %s failed (spawn %s, status %#x)", IMP_MOD, strerror(err), st);
		return -1;
	}
	for (i = 0; i < 2000 && access(IMP_DEV, F_OK); i++)
		usleep(1000);
	if (access(IMP_DEV, F_OK)) {
		fail_once(modfail_what, sizeof(modfail_what), &n_modfail,
			  "%s did not come back within 2 s of modprobe", IMP_DEV);
		return -1;
	}
	atomic_fetch_add(&n_reloads, 1);
	return 0;
}

/* One delete_module(O_NONBLOCK): 1 unloaded (and reloaded), 0 busy, -1 failed. */
static int try_unload(void)
{
	int e;

	if (!syscall(SYS_delete_module, IMP_MOD, O_NONBLOCK)) {
		atomic_fetch_add(&n_unloads, 1);
		/* Not just once the workers are done and have let go. */
		if (atomic_load(&done_cycles) < nthreads * cycles)
			atomic_fetch_add(&n_unloads_busy, 1);
		return reload() ? -1 : 1;
	}
	e = errno;
	if (e == EBUSY || e == EAGAIN) {
		atomic_fetch_add(&n_busy, 1);
		return 0;
	}
	atomic_store(&modfail_errno, e);
	fail_once(modfail_what, sizeof(modfail_what), &n_modfail,
		  "delete_module(%s, O_NONBLOCK): %s", IMP_MOD, strerror(e));
	return -1;
}

/*
 * Unload attempts every 50 ms with the files open (busy, unless by chance
 * every file is closed), and now and then one under the gate: all threads
 * close their importer file and wait, the attempts go on for up to 10 s
 * until one unloads. The gate stalls the workers, so it comes again only
 * after 2 s or 30 times as long as it took, whichever is longer (a module
 * load on the debug kernel takes seconds). Runs until stopped and at least
 * one reload is done.
 */
static void *modules(void *arg)
{
	double next_gate = now() + 0.2;

	(void)arg;
	while ((!atomic_load(&stop) || !atomic_load(&n_reloads)) && now() < deadline &&
	       !atomic_load(&n_modfail)) {
		int r = 0;

		if (now() >= next_gate) {
			double t = now(), until = t + 10;

			atomic_store(&gate, 1);
			while (!(r = try_unload()) && now() < until && now() < deadline)
				usleep(2000);
			atomic_store(&gate, 0);
			t = now() - t;
			next_gate = now() + (t * 30 > 2 ? t * 30 : 2);
		} else {
			try_unload();
			usleep(50000);
		}
	}
	return NULL;
}

/* -v */
struct vfio {
	int container, group, device;
};

static int vfio_open(struct vfio *v, const char *bdf)
{
	char path[128], target[128], *grp;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(vfio_fail_what, sizeof(vfio_fail_what), "%.120s: %s", path,
			 strerror(errno));
		return -1;
	}
	target[n] = '\0';
	grp = strrchr(target, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%.64s", grp ? grp + 1 : target);
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->container < 0 || v->group < 0 ||
	    ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)) {
		snprintf(vfio_fail_what, sizeof(vfio_fail_what),
			 "open vfio container/group %.80s of %.32s: %s", path, bdf, strerror(errno));
		return -1;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0) {
		snprintf(vfio_fail_what, sizeof(vfio_fail_what),
			 "VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf, strerror(errno));
		return -1;
	}
	return 0;
}

/* One page of BAR0 as a dma-buf: the fd, or -errno. */
static int vfio_export(struct vfio *v)
{
	return dbr_vfio_export_bar0(v->device);
}

static void watchdog(int sig)
{
	static const char msg[] =
		"# VFIO_DEVICE_RESET did not return within the watchdog's bound (-w): hung reset, an importer still maps the BAR?\n";

	(void)sig;
	/*
	 * Exits (a failure: KSFT_FAIL), but the thread stuck in the reset
	 * stays (D state); 76-stress.sh stops waiting on this line.
	 */
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

#define VFIO_IMPS 4	/* even: compliant, odd: stub */

#define VFAIL(...) fail_once(vfio_fail_what, sizeof(vfio_fail_what), &n_vfio_fail, __VA_ARGS__)

/* One round: export, attach (and map the compliant importers), reset, check. */
static void vfio_round(struct vfio *v, unsigned int pci_domain, unsigned int bus,
		       unsigned int devfn)
{
	unsigned int id[VFIO_IMPS] = { 0 }, n0[VFIO_IMPS] = { 0 };
	int imp, buf, j;
	double t;

	imp = imp_open();
	if (imp < 0)
		return;
	buf = vfio_export(v);
	if (buf < 0) {
		VFAIL("VFIO_DEVICE_FEATURE_DMA_BUF: %s", strerror(-buf));
		close(imp);
		return;
	}
	for (j = 0; j < VFIO_IMPS; j++) {
		int compliant = !(j & 1);
		struct dbr_imp_import in = {
			.fd = buf,
			.mode = compliant ? DBR_IMP_COMPLIANT : DBR_IMP_STUB,
			.flags = DBR_IMP_NO_MAP | DBR_IMP_PCI_DEV,
			.pci_domain = pci_domain, .pci_bus = (__u8)bus, .pci_devfn = (__u8)devfn,
		};
		struct dbr_imp_status st;

		atomic_fetch_add(&n_vfio_imports, 1);
		if (ioctl(imp, DBR_IMP_IMPORT, &in)) {
			if (errno == EOPNOTSUPP)	/* the shim's policy of the moment */
				atomic_fetch_add(&n_refused, 1);
			else
				VFAIL("import %s as %s: %s", compliant ? "compliant" : "stub",
				      vfio_bdf, strerror(errno));
			continue;
		}
		id[j] = in.id;
		if (compliant) {
			int r = ioctl(imp, DBR_IMP_REMAP, &in.id) ? errno : 0;

			if (vfio_maps && r)
				VFAIL("compliant as %s could not map the BAR: %s", vfio_bdf,
				      strerror(r));
			else if (!vfio_maps && r != EOPNOTSUPP)
				VFAIL("compliant map: %s, want EOPNOTSUPP (vfio's pin op)",
				      r ? strerror(r) : "mapped");
			else if (!r)
				atomic_fetch_add(&n_vfio_maps, 1);
		}
		st = (struct dbr_imp_status){ .id = in.id };
		if (ioctl(imp, DBR_IMP_STATUS, &st)) {
			VFAIL("status: %s", strerror(errno));
		} else if (!compliant && (st.mapped || st.core_cached)) {
			/* Never reset with it: 7.2+ would wait forever. */
			VFAIL("stub attached with DBR_IMP_NO_MAP holds a mapping");
			goto out;
		}
		n0[j] = st.notifications;
	}

	alarm(watchdog_s);
	t = now();
	if (ioctl(v->device, VFIO_DEVICE_RESET))
		VFAIL("VFIO_DEVICE_RESET: %s", strerror(errno));
	t = now() - t;
	alarm(0);
	atomic_fetch_add(&n_resets, 1);
	if (t > max_reset)
		max_reset = t;

	for (j = 0; j < VFIO_IMPS; j++) {
		struct dbr_imp_status st = { .id = id[j] };

		if (!id[j])
			continue;
		if (ioctl(imp, DBR_IMP_STATUS, &st)) {
			VFAIL("status after reset: %s", strerror(errno));
		} else if (st.notifications <= n0[j] || st.mapped || st.stale) {
			VFAIL("%s after reset %ld: notifications %u -> %u, mapped %u, stale %u",
			      j & 1 ? "stub" : "compliant", atomic_load(&n_resets), n0[j],
			      st.notifications, st.mapped, st.stale);
		} else if (!(j & 1)) {
			atomic_fetch_add(&n_vfio_checked, 1);
		}
	}
out:
	for (j = 0; j < VFIO_IMPS; j++)
		if (id[j] && ioctl(imp, DBR_IMP_RELEASE, &id[j]))
			VFAIL("release: %s", strerror(errno));
	close(buf);
	close(imp);
}

/* Rounds until stopped (and at least one reset done) or a failure. */
static void *vfio_thread(void *arg)
{
	unsigned int dom, bus, slot, fn;
	struct vfio v;
	char end;

	(void)arg;
	if (sscanf(vfio_bdf, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &end) != 4 ||
	    bus > 0xff || slot > 0x1f || fn > 7) {
		VFAIL("cannot parse PCI address '%s' (want DDDD:BB:SS.F)", vfio_bdf);
		return NULL;
	}
	if (vfio_open(&v, vfio_bdf)) {
		atomic_fetch_add(&n_vfio_fail, 1);
		return NULL;
	}
	while ((!atomic_load(&stop) || !atomic_load(&n_resets)) && now() < deadline &&
	       !atomic_load(&n_vfio_fail)) {
		double t, pause;

		gate_wait();
		t = now();
		vfio_round(&v, dom, bus, slot << 3 | fn);
		/*
		 * Leave the workers ~90% of the time: TCG runs all vCPUs on
		 * one host thread, and a reset takes seconds on the debug kernel.
		 */
		pause = 10 * (now() - t);
		pause = pause < 0.05 ? 0.05 : pause > 30 ? 30 : pause;
		for (t = now() + pause; now() < t && !atomic_load(&stop);)
			usleep(10000);
	}
	close(v.device);
	close(v.group);
	close(v.container);
	return NULL;
}

static void *importer(void *arg)
{
	long id = (long)arg, i;
	int imp = -1;

	for (i = 0; i < cycles && !atomic_load(&stop); i++) {
		struct dbr_imp_import in = {
			.fd = bufs[2 * id + (i & 1)],
			.mode = modes[(i / 2) % nmodes],
		};

		/* With -u: let the module go now and then (the gate, reopening). */
		if (imp >= 0 && modchaos && (atomic_load(&gate) || !(i % REOPEN_EVERY))) {
			close(imp);
			imp = -1;
		}
		if (imp < 0) {
			gate_wait();
			imp = imp_open();
			if (imp < 0)
				break;
		}
		if (ioctl(imp, DBR_IMP_IMPORT, &in)) {
			int e = errno;

			if (e == EOPNOTSUPP) {
				atomic_fetch_add(&n_refused, 1);
			} else if (e == ENODEV) {
				atomic_fetch_add(&n_revoked, 1);
			} else {
				atomic_fetch_add(&n_other, 1);
				atomic_store(&first_bad_errno, e);
			}
		} else {
			atomic_fetch_add(&n_ok, 1);
			if (ioctl(imp, DBR_IMP_RELEASE, &in.id)) {
				atomic_fetch_add(&n_other, 1);
				atomic_store(&first_bad_errno, errno);
			}
		}
		atomic_fetch_add(&done_cycles, 1);
	}
	if (imp >= 0)
		close(imp);
	return NULL;
}

static void *revoker(void *arg)
{
	unsigned long i = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct dbr_exp_revoke rv = { .fd = bufs[i % (2 * nthreads)], .timeout_ms = 1 };
		int32_t fd = rv.fd;

		ioctl(exp_fd, DBR_EXP_REVOKE, &rv);
		usleep(500);
		ioctl(exp_fd, DBR_EXP_RESTORE, &fd);
		i++;
	}
	return NULL;
}

/* Policy, strict and the lists change under the importers' feet. */
static void *chaos(void *arg)
{
	static const char *const pol[] = { "off\n", "audit\n", "enforce\n" };
	unsigned long i = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		knob("policy", pol[i % 3]);
		knob("strict", (i / 3) & 1 ? "Y\n" : "N\n");
		knob("deny", i & 1 ? "-sym:dbr_imp_stub_cb\n" : "+sym:dbr_imp_stub_cb\n");
		knob("allow", i & 2 ? "-mod:dmabuf_revoke_importer\n" : "+mod:dmabuf_revoke_importer\n");
		knob("exporters", i & 4 ? "-dmabuf_revoke_exporter\n" :
		     i & 8 ? "+dmabuf_revoke_exporter:audit\n" : "+dmabuf_revoke_exporter\n");
		usleep(2000);
		i++;
	}
	return NULL;
}

static int nocb_supported(void)
{
	int imp = open("/dev/dmabuf_revoke_importer", O_RDWR | O_CLOEXEC);
	struct dbr_imp_register r = { .mode = DBR_IMP_NOCB, .cap = 1 };
	int ok = imp >= 0 && !ioctl(imp, DBR_IMP_REGISTER, &r);

	if (ok)
		ioctl(imp, DBR_IMP_UNREGISTER, &r.mode);
	if (imp >= 0)
		close(imp);
	return ok;
}

/*
 * What the run measured, for the tests to check: MAP_SHARED (made in main),
 * since every test runs in a child of its own and only the first one that
 * runs does the stress run.
 */
struct run {
	int attempted, finished;
	long done, ok, refused, revoked, other, total;
	int bad_errno, left;
	long long d[5];	/* checked, allowed, audited, refused, upstream */
	long resets, vfio_checked, vfio_maps, vfio_fail;
	long unloads, unloads_busy, reloads, modfail;
};
static struct run *R;

/* The stress run: the workers, and the chaos that runs alongside them. */
static void run_stress(struct __test_metadata *_metadata)
{
	static const char *const names[] = { "attach_checked", "attach_allowed",
		"attach_audited", "attach_refused", "attach_upstream" };
	long long c0[5], c1[5];
	pthread_t t[MAXT], tr, tc, tv, tm;
	int i, left = 0;
	double t0, dt;

	signal(SIGALRM, watchdog);
	exp_fd = open("/dev/dmabuf_revoke_exporter", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, exp_fd) TH_LOG("/dev/dmabuf_revoke_exporter: %s", strerror(errno));
	for (i = 0; i < 2 * nthreads; i++) {
		struct dbr_exp_create cr = { .size = 4096,
			.flags = DBR_EXP_PIN_CAPABLE | (i & 1 ? 0 : DBR_EXP_GUARDED) };

		ASSERT_EQ(0, ioctl(exp_fd, DBR_EXP_CREATE, &cr))
			TH_LOG("create: %s", strerror(errno));
		bufs[i] = cr.fd;
	}
	nmodes = nocb_supported() ? 4 : 3;
	for (i = 0; i < 5; i++)
		c0[i] = counter(names[i]);

	R->attempted = 1;
	t0 = now();
	deadline = t0 + seconds;
	pthread_create(&tr, NULL, revoker, NULL);
	pthread_create(&tc, NULL, chaos, NULL);
	if (vfio_bdf)
		pthread_create(&tv, NULL, vfio_thread, NULL);
	if (modchaos)
		pthread_create(&tm, NULL, modules, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, importer, (void *)(long)i);
	while (atomic_load(&done_cycles) < nthreads * cycles && now() < deadline &&
	       atomic_load(&n_other) == 0 && !atomic_load(&n_vfio_fail) &&
	       !atomic_load(&n_modfail))
		usleep(100000);
	dt = now() - t0;
	if (atomic_load(&done_cycles) < nthreads * cycles)
		atomic_store(&stop, 1);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	/* These two go on (bounded by -s) until they have done one round. */
	if (vfio_bdf)
		pthread_join(tv, NULL);
	if (modchaos)
		pthread_join(tm, NULL);
	pthread_join(tr, NULL);
	pthread_join(tc, NULL);
	for (i = 0; i < 5; i++)
		c1[i] = counter(names[i]);
	for (i = 0; i < 2 * nthreads; i++) {
		struct dbr_exp_status st = { .fd = bufs[i] };

		if (ioctl(exp_fd, DBR_EXP_STATUS, &st) || st.nr_attach || st.nr_mapped ||
		    st.nr_pinned)
			left++;
		close(bufs[i]);
	}
	close(exp_fd);

	ksft_print_msg("%d threads x %ld cycles, %d modes: %ld done in %.1f s, %.0f cycles/s\n",
		       nthreads, cycles, nmodes, atomic_load(&done_cycles), dt,
		       atomic_load(&done_cycles) / dt);
	ksft_print_msg("imports: %ld ok, %ld refused, %ld on a revoked buffer, %ld other\n",
		       atomic_load(&n_ok), atomic_load(&n_refused), atomic_load(&n_revoked),
		       atomic_load(&n_other));
	if (atomic_load(&n_other))
		ksft_print_msg("first unexpected errno: %s\n",
			       strerror(atomic_load(&first_bad_errno)));
	ksft_print_msg("checked %lld = allowed %lld + audited %lld + refused %lld + upstream %lld\n",
		       c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2], c1[3] - c0[3], c1[4] - c0[4]);
	if (vfio_bdf) {
		ksft_print_msg("vfio %s: %ld resets (longest %.2f s), %ld imports, %ld compliant maps, %ld compliant importers notified and unmapped\n",
			       vfio_bdf,
			       atomic_load(&n_resets), max_reset, atomic_load(&n_vfio_imports),
			       atomic_load(&n_vfio_maps), atomic_load(&n_vfio_checked));
		if (atomic_load(&n_vfio_fail))
			ksft_print_msg("vfio: %ld failures, the first: %s\n",
				       atomic_load(&n_vfio_fail), vfio_fail_what);
	}
	if (modchaos) {
		ksft_print_msg("importer module: %ld unloads (%ld while the workers ran), %ld reloads, %ld busy (EBUSY/EAGAIN), %ld importer-absent retries\n",
			       atomic_load(&n_unloads), atomic_load(&n_unloads_busy),
			       atomic_load(&n_reloads), atomic_load(&n_busy), atomic_load(&n_absent));
		if (atomic_load(&n_modfail))
			ksft_print_msg("module chaos failed: %s\n", modfail_what);
	}

	R->done = atomic_load(&done_cycles);
	R->total = nthreads * cycles;
	R->ok = atomic_load(&n_ok);
	R->refused = atomic_load(&n_refused);
	R->revoked = atomic_load(&n_revoked);
	R->other = atomic_load(&n_other);
	R->bad_errno = atomic_load(&first_bad_errno);
	R->left = left;
	for (i = 0; i < 5; i++)
		R->d[i] = c1[i] - c0[i];
	R->resets = atomic_load(&n_resets);
	R->vfio_checked = atomic_load(&n_vfio_checked);
	R->vfio_maps = atomic_load(&n_vfio_maps);
	R->vfio_fail = atomic_load(&n_vfio_fail);
	R->unloads = atomic_load(&n_unloads);
	R->unloads_busy = atomic_load(&n_unloads_busy);
	R->reloads = atomic_load(&n_reloads);
	R->modfail = atomic_load(&n_modfail);
	R->finished = 1;
}

/*
 * Every fixture's setup: the first test to run does the stress run, the
 * others check what it measured. A run that began and did not finish (a
 * hung reset, a timeout) fails every test after it instead of running again.
 */
static void stress_once(struct __test_metadata *_metadata)
{
	if (!R->attempted)
		run_stress(_metadata);
	ASSERT_TRUE(R->finished) TH_LOG("the stress run did not finish (see the first test)");
}

/*
 * The checks on any run: -t THREADS x -n CYCLES under the knob and revoke
 * chaos. The harness's timeout for each test is set in main from -s and -w
 * (it must outlast the run's own bound); 660 s is the suite's.
 */
FIXTURE(stress) {};
FIXTURE_SETUP(stress) { stress_once(_metadata); }
FIXTURE_TEARDOWN(stress) {}

TEST_F_TIMEOUT(stress, cycles, 660)
{
	EXPECT_EQ(R->total, R->done)
		TH_LOG("all %ld cycles must run within %ld s", R->total, seconds);
}

TEST_F_TIMEOUT(stress, imports, 660)
{
	EXPECT_EQ(0, R->other)
		TH_LOG("every import must end in 0, EOPNOTSUPP or ENODEV; the first other: %s",
		       strerror(R->bad_errno));
}

TEST_F_TIMEOUT(stress, counters_add_up, 660)
{
	EXPECT_LT(0, R->d[0]) TH_LOG("attach_checked did not move");
	EXPECT_EQ(R->d[0], R->d[1] + R->d[2] + R->d[3] + R->d[4])
		TH_LOG("checked = allowed + audited + refused + upstream");
}

TEST_F_TIMEOUT(stress, refused_counted, 660)
{
	EXPECT_EQ(R->refused, R->d[3])
		TH_LOG("imports refused with EOPNOTSUPP = attach_refused's move");
}

TEST_F_TIMEOUT(stress, buffers_released, 660)
{
	EXPECT_EQ(0, R->left) TH_LOG("buffers left with an attachment, mapping or pin");
}

/* -v BDF: the vfio thread's resets. */
FIXTURE(stress_vfio) {};
FIXTURE_SETUP(stress_vfio) { stress_once(_metadata); }
FIXTURE_TEARDOWN(stress_vfio) {}

TEST_F_TIMEOUT(stress_vfio, resets, 660)
{
	EXPECT_LT(0, R->resets) TH_LOG("no VFIO_DEVICE_RESET done");
	EXPECT_LT(0, R->vfio_checked) TH_LOG("no compliant importer checked after a reset");
	EXPECT_EQ(0, R->vfio_fail)
		TH_LOG("each reset must return 0 within %d s, notify every importer and leave none mapped: %s",
		       watchdog_s, vfio_fail_what);
}

TEST_F_TIMEOUT(stress_vfio, compliant_maps, 660)
{
	if (vfio_maps) {
		EXPECT_LT(0, R->vfio_maps)
			TH_LOG("compliant importers (as %s) must map the BAR (-M)", vfio_bdf);
	} else {
		EXPECT_EQ(0, R->vfio_maps)
			TH_LOG("compliant importers (as %s) must not map (vfio's pin op: EOPNOTSUPP)",
			       vfio_bdf);
	}
}

/* -u: the importer module unloaded and reloaded meanwhile. */
FIXTURE(stress_modules) {};
FIXTURE_SETUP(stress_modules) { stress_once(_metadata); }
FIXTURE_TEARDOWN(stress_modules) {}

TEST_F_TIMEOUT(stress_modules, reloaded, 660)
{
	EXPECT_LT(0, R->unloads_busy) TH_LOG("never unloaded while the workers ran");
	EXPECT_EQ(R->unloads, R->reloads) TH_LOG("every unload must be followed by a reload");
	EXPECT_EQ(0, R->modfail)
		TH_LOG("delete_module must fail only with EBUSY/EAGAIN, modprobe not at all");
}

TEST_F_TIMEOUT(stress_modules, loaded_at_end, 660)
{
	EXPECT_EQ(0, access(IMP_DEV, F_OK)) TH_LOG("%s: %s", IMP_DEV, strerror(errno));
	EXPECT_EQ(0, access("/sys/module/" IMP_MOD, F_OK))
		TH_LOG("/sys/module/%s: %s", IMP_MOD, strerror(errno));
}

/*
 * dbr_stress [-t THREADS] [-n CYCLES] [-s SECONDS] [-v BDF [-M] [-w SECONDS]] [-u]
 *            [-- kselftest harness options]
 * Ours come first (the harness has its own -t, -v...): what follows "--"
 * goes to the harness. Without -v or -u their fixtures are left out.
 */
int main(int argc, char **argv)
{
	struct __test_metadata **tests[] = {
		&_stress_cycles_object, &_stress_imports_object, &_stress_counters_add_up_object,
		&_stress_refused_counted_object, &_stress_buffers_released_object,
		&_stress_vfio_resets_object, &_stress_vfio_compliant_maps_object,
		&_stress_modules_reloaded_object, &_stress_modules_loaded_at_end_object,
	};
	char *hargv[64] = { argv[0] };
	int opt, hargc = 1, i;

	while ((opt = getopt(argc, argv, "+t:n:s:v:Mw:u")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'n':
			cycles = atol(optarg);
			break;
		case 's':
			seconds = atol(optarg);
			break;
		case 'v':
			vfio_bdf = optarg;
			break;
		case 'M':
			vfio_maps = 1;
			break;
		case 'w':
			watchdog_s = atoi(optarg);
			break;
		case 'u':
			modchaos = 1;
			break;
		default:
			goto usage;
		}
	}
	if ((optind < argc && strcmp(argv[optind - 1], "--")) || argc - optind > 56 ||
	    nthreads < 1 || nthreads > MAXT || cycles < 1 || seconds < 1 || watchdog_s < 1) {
usage:
		fprintf(stderr, "usage: dbr_stress [-t THREADS (1..%d)] [-n CYCLES] [-s SECONDS]\n"
			"                  [-v BDF [-M] [-w SECONDS]] [-u] [-- harness options]\n",
			MAXT);
		return 2;
	}
	if (!vfio_bdf) {
		hargv[hargc++] = "-F";
		hargv[hargc++] = "stress_vfio";
	}
	if (!modchaos) {
		hargv[hargc++] = "-F";
		hargv[hargc++] = "stress_modules";
	}
	for (i = optind; i < argc; i++)
		hargv[hargc++] = argv[i];
	/* Outlast the run's own bounds: -s, then a last reset (-w), then the checks. */
	for (i = 0; i < (int)(sizeof(tests) / sizeof(*tests)); i++)
		(*tests[i])->timeout = (int)seconds + watchdog_s + 60;
	R = mmap(NULL, sizeof(*R), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (R == MAP_FAILED) {
		perror("dbr_stress: mmap");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	optind = 1;
	return test_harness_run(hargc, hargv);
}
