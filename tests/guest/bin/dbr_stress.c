// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_stress [-t THREADS] [-n CYCLES] [-s SECONDS]: hammer the shim.
 *
 * THREADS importer threads (default 8) each run CYCLES (default 10000)
 * import -> map -> unmap -> release cycles through the test importer, the
 * mode cycling legacy/stub/compliant (and nocb on 7.1+), on guarded and
 * unguarded test-exporter buffers; meanwhile one thread revokes and
 * restores the buffers and one flips policy and strict and edits the deny,
 * allow and exporters lists. Bounded: SECONDS (default 300) ends it early
 * and is a failure. Then it asserts, as KTAP:
 *   - every import ended in 0, EOPNOTSUPP (refused) or ENODEV (revoked);
 *   - attach_checked moved by exactly allowed + audited + refused + upstream
 *     (the counter invariant; nothing else attaches meanwhile);
 *   - the imports refused with EOPNOTSUPP are exactly attach_refused's move;
 *   - no buffer is left with an attachment, mapping or pin.
 * and prints cycles/s. Exit 0 if all passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"

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
		exit(2);
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

static void *importer(void *arg)
{
	long id = (long)arg, i;
	int imp = open("/dev/dmabuf_revoke_importer", O_RDWR | O_CLOEXEC);

	if (imp < 0) {
		atomic_store(&first_bad_errno, errno);
		atomic_fetch_add(&n_other, 1);
		return NULL;
	}
	for (i = 0; i < cycles && !atomic_load(&stop); i++) {
		struct dbr_imp_import in = {
			.fd = bufs[2 * id + (i & 1)],
			.mode = modes[(i / 2) % nmodes],
		};

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

int main(int argc, char **argv)
{
	static const char *const names[] = { "attach_checked", "attach_allowed",
		"attach_audited", "attach_refused", "attach_upstream" };
	long long c0[5], c1[5];
	pthread_t t[MAXT], tr, tc;
	int opt, i, n = 0, bad = 0, left = 0;
	double t0, dt;

	while ((opt = getopt(argc, argv, "t:n:s:")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 'n': cycles = atol(optarg); break;
		case 's': seconds = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAXT || cycles < 1 || seconds < 1) {
usage:
		fprintf(stderr, "usage: dbr_stress [-t THREADS (1..%d)] [-n CYCLES] [-s SECONDS]\n", MAXT);
		return 2;
	}
	exp_fd = open("/dev/dmabuf_revoke_exporter", O_RDWR | O_CLOEXEC);
	if (exp_fd < 0) {
		perror("dbr_stress: /dev/dmabuf_revoke_exporter");
		return 2;
	}
	for (i = 0; i < 2 * nthreads; i++) {
		struct dbr_exp_create cr = { .size = 4096,
			.flags = DBR_EXP_PIN_CAPABLE | (i & 1 ? 0 : DBR_EXP_GUARDED) };

		if (ioctl(exp_fd, DBR_EXP_CREATE, &cr)) {
			perror("dbr_stress: create");
			return 2;
		}
		bufs[i] = cr.fd;
	}
	nmodes = nocb_supported() ? 4 : 3;
	for (i = 0; i < 5; i++)
		c0[i] = counter(names[i]);

	t0 = now();
	pthread_create(&tr, NULL, revoker, NULL);
	pthread_create(&tc, NULL, chaos, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, importer, (void *)(long)i);
	while (atomic_load(&done_cycles) < nthreads * cycles && now() - t0 < seconds &&
	       atomic_load(&n_other) == 0)
		usleep(100000);
	dt = now() - t0;
	if (atomic_load(&done_cycles) < nthreads * cycles)
		atomic_store(&stop, 1);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(tr, NULL);
	pthread_join(tc, NULL);
	for (i = 0; i < 5; i++)
		c1[i] = counter(names[i]);

	printf("KTAP version 1\n1..5\n");
	printf("# %d threads x %ld cycles, %d modes: %ld done in %.1f s, %.0f cycles/s\n",
	       nthreads, cycles, nmodes, atomic_load(&done_cycles), dt,
	       atomic_load(&done_cycles) / dt);
	printf("# imports: %ld ok, %ld refused, %ld on a revoked buffer, %ld other\n",
	       atomic_load(&n_ok), atomic_load(&n_refused), atomic_load(&n_revoked),
	       atomic_load(&n_other));
#define RESULT(ok, ...) do { n++; bad |= !(ok); \
	printf("%sok %d ", (ok) ? "" : "not ", n); printf(__VA_ARGS__); putchar('\n'); } while (0)
	RESULT(atomic_load(&done_cycles) == nthreads * cycles,
	       "all %ld cycles ran within %ld s", nthreads * cycles, seconds);
	if (atomic_load(&n_other))
		printf("# first unexpected errno: %s\n", strerror(atomic_load(&first_bad_errno)));
	RESULT(atomic_load(&n_other) == 0, "every import ended in 0, EOPNOTSUPP or ENODEV");
	printf("# checked %lld = allowed %lld + audited %lld + refused %lld + upstream %lld\n",
	       c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2], c1[3] - c0[3], c1[4] - c0[4]);
	RESULT(c1[0] - c0[0] == (c1[1] - c0[1]) + (c1[2] - c0[2]) + (c1[3] - c0[3]) + (c1[4] - c0[4]) &&
	       c1[0] - c0[0] > 0, "counters add up: checked = allowed + audited + refused + upstream");
	RESULT(c1[3] - c0[3] == atomic_load(&n_refused),
	       "imports refused with EOPNOTSUPP (%ld) = attach_refused's move (%lld)",
	       atomic_load(&n_refused), c1[3] - c0[3]);
	for (i = 0; i < 2 * nthreads; i++) {
		struct dbr_exp_status st = { .fd = bufs[i] };

		if (ioctl(exp_fd, DBR_EXP_STATUS, &st) || st.nr_attach || st.nr_mapped ||
		    st.nr_pinned)
			left++;
		close(bufs[i]);
	}
	RESULT(left == 0, "no buffer left with an attachment, mapping or pin (%d)", left);
	return bad;
}
