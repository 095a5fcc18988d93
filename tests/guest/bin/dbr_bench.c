// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_bench: what the shim costs against a kernel without it, in one run.
 *
 *   dbr_bench [-k LABEL] [-r ROUNDS] [-n ITERS] [-s SUBS] [-L MAXLIVE] [-V]
 *
 * The timing is done in the guest kernel by dmabuf_revoke_bench
 * (/dev/dmabuf_revoke_bench, tests/bench/): ktime_get_ns() around batches
 * of ITERS operations, SUBS batches per measurement; the first batch is a
 * warm-up and dropped, the measurement is the fastest of the others (host
 * preemption of a TCG guest only ever adds time). Five configurations,
 * one block each per round, in ABBA order (a b c d, d c b a, ...) after
 * one warm-up round that is not recorded:
 *   a  dmabuf_revoke not loaded (rmmod between blocks)
 *   b  loaded, policy=off, buffer of a guarded exporter
 *   c  loaded, policy=enforce, guarded exporter (exporters= names it),
 *      importer with a callback (accepted)
 *   d  loaded, policy=enforce, exporter not guarded
 *   e  as c with track_guarded=Y (b-d: N): the guarded exporter's buffers
 *      tracked through the hook (src/probe_track.c); also the unguarded
 *      exporter's cycle and map while one guarded attachment is tracked
 *      (dma_buf_detach and the notify probed, its map op not)
 * Each block measures the full importer cycle (attach, map, unmap,
 * detach) and map+unmap on a long-lived attachment; a and c also the
 * cycle with 1..MAXLIVE live attachments and with 10 and 100 importer
 * ops tables, revoke (move_notify / invalidate_mappings under the resv
 * lock) with 1..1000 attachments and, with -V, attach+detach of a real
 * vfio-pci dma-buf (BAR0 of the edu device, bound to vfio-pci).
 *
 * Each ratio is the median over rounds of (config / a in the same round),
 * with min and max. Prints a table, one "bench: LABEL CASE ratio=R
 * min=A max=B" line per ratio and "csv:" lines for scripts/bench.sh.
 * Nothing here judges: the targets column is information. Exit 2 on a
 * usage or setup error.
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
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "dbr_vfio_uapi.h"
#include "dbr_util.h"

#define DEV "/dev/dmabuf_revoke_bench"
#define SHIM "/sys/module/dmabuf_revoke"
#define PARAMS SHIM "/parameters/"
#define HOOK "/sys/kernel/dmabuf_revoke/hook/"
#define EXPORTERS "vfio_pci_core,dbr_bench_guarded"

enum { CFG_A, CFG_B, CFG_C, CFG_D, CFG_E, NCFG };
static const char cfg_names[NCFG] = { 'a', 'b', 'c', 'd', 'e' };

#define MAX_ROUNDS 64
#define MAX_MEAS 32

struct meas {
	char key[24];
	double v[NCFG][MAX_ROUNDS];	/* ns per operation */
	int have[NCFG];
};

static struct meas meas[MAX_MEAS];
static int nmeas;
static int bench_fd = -1, vfio_buf = -1;
static unsigned long iters = 200, subs = 5, rounds = 8, maxlive = 10000;
static const char *label;

static const unsigned int lives[] = { 1, 100, 1000, 10000 };
static const unsigned int nops[] = { 10, 100 };
static const unsigned int revokes[] = { 1, 10, 100, 1000 };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static int usage(const char *why)
{
	fprintf(stderr, "dbr_bench: %s\n"
		"usage: dbr_bench [-k LABEL] [-r ROUNDS 1..%d] [-n ITERS >= 1] [-s SUBS 1..32]\n"
		"                 [-L MAXLIVE 1..10000] [-V]\n", why, MAX_ROUNDS);
	return 2;
}

static unsigned long num(const char *opt, const char *s, unsigned long min,
			 unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max) {
		usage("bad number");
		die("%s: '%s' is not a number in %lu..%lu", opt, s, min, max);
	}
	return v;
}

/* --- sysfs and the shim ------------------------------------------------ */

static void sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (write(fd, val, strlen(val)) < 0)
		die("write '%s' to %s: %s", val, path, strerror(errno));
	close(fd);
}

static int shim_loaded(void)
{
	struct stat st;

	return !stat(SHIM "/parameters", &st);
}

static void sh(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("'%s' failed (status %d)", cmd, st);
}

static long hook_hits(void)
{
	char buf[32];

	return atol(sysfs_read(HOOK "hits", buf, sizeof(buf)));
}

static void shim_config(int cfg)
{
	static int last = CFG_A;
	char state[256];

	/*
	 * Tracking in e probes the guarded exporter's map op until the shim
	 * goes: b-d after it get a fresh shim.
	 */
	if (shim_loaded() && (cfg == CFG_A || (last == CFG_E) != (cfg == CFG_E)))
		sh("rmmod dmabuf_revoke");
	last = cfg;
	if (cfg == CFG_A)
		return;
	if (!shim_loaded()) {
		sh("modprobe dmabuf_revoke exporters=" EXPORTERS);
		sysfs_read(HOOK "state", state, sizeof(state));
		if (!strncmp(state, "failed", 6) || !strncmp(state, "lost", 4))
			die("dmabuf_revoke loaded, but its hook is '%s'", state);
	}
	sysfs_write(PARAMS "policy", cfg == CFG_B ? "off" : "enforce");
	sysfs_write(PARAMS "track_guarded", cfg == CFG_E ? "Y" : "N");
}

/* --- the bench module --------------------------------------------------- */

/* One command; its result ("ns=..." or "live=...") into @res. */
static void __attribute__((format(printf, 3, 4)))
cmd(char *res, size_t size, const char *fmt, ...)
{
	char c[128];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	if (write(bench_fd, c, strlen(c)) < 0)
		die("%s: '%s': %s (dmesg says why)", DEV, c, strerror(errno));
	n = read(bench_fd, res, size - 1);
	if (n < 0)
		die("%s: read after '%s': %s", DEV, c, strerror(errno));
	res[n] = '\0';
}

/*
 * The fastest sub-batch after the warm-up one, in ns per operation, of the
 * command @fmt with N and SUBS (and @ops if not 0) appended.
 */
static double __attribute__((format(printf, 3, 4)))
timed(unsigned long n, unsigned int ops, const char *fmt, ...)
{
	char c[128], res[1024], *p;
	double best = -1;
	unsigned long k = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	if (ops)
		cmd(res, sizeof(res), "%s %lu %lu %u", c, n, subs, ops);
	else
		cmd(res, sizeof(res), "%s %lu %lu", c, n, subs);
	if (strncmp(res, "ns=", 3))
		die("unexpected result of '%s': %s", c, res);
	for (p = res + 3; *p; k++) {
		double t = strtod(p, &p);

		if ((k > 0 || subs == 1) && (best < 0 || t < best))
			best = t;
		if (*p == ',')
			p++;
		else
			break;
	}
	if (best < 0)
		die("no timing in the result of '%s': %s", c, res);
	return best / (double)n;
}

static struct meas *meas_get(const char *key)
{
	int i;

	for (i = 0; i < nmeas; i++)
		if (!strcmp(meas[i].key, key))
			return &meas[i];
	if (nmeas == MAX_MEAS)
		die("too many measurements");
	copy(meas[nmeas].key, sizeof(meas[nmeas].key), key);
	return &meas[nmeas++];
}

static void record(const char *key, int cfg, long round, double v)
{
	struct meas *m;

	if (round < 0)
		return;
	m = meas_get(key);
	m->v[cfg][round] = v;
	m->have[cfg] = (int)round + 1;
}

static void live(const char *buf, unsigned int n)
{
	char res[64];

	cmd(res, sizeof(res), "live %s %u", buf, n);
}

static long hits_guarded = -1, hits_unguarded = -1;

/* One block of configuration @cfg; round -1 is the warm-up. */
static void block(int cfg, long round)
{
	const char *buf = cfg == CFG_D ? "unguarded" : "guarded";
	char key[24];
	unsigned int i;
	long h0;

	shim_config(cfg);
	h0 = cfg == CFG_A ? 0 : hook_hits();
	record("cycle", cfg, round, timed(iters, 0, "cycle %s", buf));
	if (round == 0 && cfg == CFG_C)
		hits_guarded = hook_hits() - h0;
	if (round == 0 && cfg == CFG_D)
		hits_unguarded = hook_hits() - h0;
	record("map", cfg, round, timed(iters, 0, "map %s", buf));
	if (cfg == CFG_E) {
		/* One tracked guarded attachment turns the core probes on. */
		live("guarded", 1);
		record("cycle-ug", cfg, round, timed(iters, 0, "cycle unguarded"));
		record("map-ug", cfg, round, timed(iters, 0, "map unguarded"));
		live("guarded", 0);
		return;
	}
	if (cfg != CFG_A && cfg != CFG_C)
		return;
	for (i = 0; i < N(lives) && lives[i] <= maxlive; i++) {
		live(buf, lives[i] - 1);
		snprintf(key, sizeof(key), "scale-%u", lives[i]);
		record(key, cfg, round, timed(iters, 0, "cycle %s", buf));
	}
	live(buf, 0);
	for (i = 0; i < N(nops); i++) {
		snprintf(key, sizeof(key), "ops-%u", nops[i]);
		record(key, cfg, round, timed(iters, nops[i], "cycle %s", buf));
	}
	for (i = 0; i < N(revokes) && revokes[i] <= maxlive; i++) {
		unsigned long n = 20 * iters / revokes[i];

		live(buf, revokes[i]);
		snprintf(key, sizeof(key), "revoke-%u", revokes[i]);
		record(key, cfg, round, timed(n ? n : 1, 0, "revoke %s", buf));
	}
	live(buf, 0);
	if (vfio_buf >= 0)
		record("vfio", cfg, round, timed(iters, 0, "vfio %d", vfio_buf));
}

/* --- vfio-pci: BAR0 of the edu device as a dma-buf ----------------------- */

/* The dma-buf fd of one page of BAR0 of the edu device (bound to vfio-pci). */
static int vfio_dmabuf(void)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char bdf[64] = "", path[PATH_MAX], buf[64], group[64];
	int container, grp, device, fd;

	if (!dbr_find_edu(bdf, sizeof(bdf)))
		die("-V: no edu PCI device (%04x:%04x)", EDU_VENDOR, EDU_DEVICE);
	if (strcmp(dev_link(bdf, "driver", buf, sizeof(buf)), "vfio-pci"))
		die("-V: %s is bound to '%s', not vfio-pci (run dbr_vfio bind)", bdf, buf);
	if (!dev_link(bdf, "iommu_group", group, sizeof(group))[0])
		die("-V: %s has no IOMMU group (intel_iommu=on?)", bdf);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		die("open /dev/vfio/vfio: %s", strerror(errno));
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (grp < 0)
		die("open %s: %s", path, strerror(errno));
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %s is not viable", group);
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		die("VFIO container setup: %s (vfio_iommu_type1 loaded?)", strerror(errno));
	device = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		die("VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf, strerror(errno));
	fd = dbr_vfio_export_bar0(device);
	if (fd < 0)
		die("VFIO_DEVICE_FEATURE_DMA_BUF: %s", strerror(-fd));
	return fd;	/* container, group and device stay open until exit */
}

/* --- results ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, sizeof(*v) * n);
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * One ratio: @key in @cfg against @base_key in configuration a, round by
 * round. Prints the table row, the bench: line and a csv: line; an absent
 * measurement prints n/a with @why.
 */
static void ratio(const char *name, const char *what, const char *key, int cfg,
		  const char *base_key, const char *target, double lo, double hi,
		  int machine, const char *why)
{
	struct meas *m = NULL, *b = NULL;
	double r[MAX_ROUNDS] = { 0 }, med, mn, mx, ns, bns;
	int i, n = 0;

	for (i = 0; key && i < nmeas; i++) {
		if (!strcmp(meas[i].key, key))
			m = &meas[i];
		if (!strcmp(meas[i].key, base_key))
			b = &meas[i];
	}
	if (m && b)
		n = m->have[cfg] < b->have[CFG_A] ? m->have[cfg] : b->have[CFG_A];
	if (!n) {
		printf("%-16s %-44s %9s %9s %7s %-13s %-8s n/a: %s\n", name, what,
		       "-", "-", "n/a", "-", target, why);
		if (machine)
			printf("bench: %s %s ratio=n/a min=n/a max=n/a reason=\"%s\"\n",
			       label, name, why);
		printf("csv:ratio,%s,,,,,,\n", name);
		return;
	}
	for (i = 0; i < n; i++)
		r[i] = m->v[cfg][i] / b->v[CFG_A][i];
	med = median(r, n);
	mn = mx = r[0];
	for (i = 1; i < n; i++) {
		mn = r[i] < mn ? r[i] : mn;
		mx = r[i] > mx ? r[i] : mx;
	}
	ns = median(m->v[cfg], n);
	bns = median(b->v[CFG_A], n);
	printf("%-16s %-44s %9.0f %9.0f %7.3f %5.3f-%-7.3f %-8s %s\n", name, what,
	       bns, ns, med, mn, mx, target,
	       !*target ? "" : (med >= lo && med <= hi) ? "ok" : "MISS");
	if (machine)
		printf("bench: %s %s ratio=%.3f min=%.3f max=%.3f\n", label, name,
		       med, mn, mx);
	printf("csv:ratio,%s,%.1f,%.1f,%.4f,%.4f,%.4f,%d\n", name, bns, ns, med,
	       mn, mx, n);
}

static void report(void)
{
	char name[32], what[64];
	struct utsname u;
	unsigned int i;
	int j, c;

	uname(&u);
	printf("dmabuf-revoke bench on %s (%s): %lu rounds (+1 warm-up) of blocks a b c d e in ABBA order,\n"
	       "%lu batches x %lu ops per measurement (first dropped, fastest kept), ns/op are medians\n",
	       label, u.release, rounds, subs, iters);
	printf("hook hits during one guarded cycle batch: %ld (want > 0); unguarded: %ld (want 0)\n",
	       hits_guarded, hits_unguarded);
	printf("%-16s %-44s %9s %9s %7s %-13s %-8s\n", "CASE", "WHAT (vs a: shim not loaded)",
	       "a ns/op", "ns/op", "ratio", "min-max", "target");
	ratio("cycle-off", "attach+map+unmap+detach, b: policy=off", "cycle", CFG_B,
	      "cycle", "<=1.01", 0, 1.01, 1, "");
	ratio("cycle-guarded", "attach+map+unmap+detach, c: enforce, guarded", "cycle",
	      CFG_C, "cycle", "<=1.05", 0, 1.05, 1, "");
	ratio("cycle-unguarded", "attach+map+unmap+detach, d: enforce, unguarded",
	      "cycle", CFG_D, "cycle", "<=1.01", 0, 1.01, 1, "");
	ratio("cycle-watch", "attach+map+unmap+detach, e: tracked, guarded", "cycle",
	      CFG_E, "cycle", "", 0, 0, 1, "");
	ratio("cycle-ug-watch", "cycle, unguarded, while e tracks a guarded one",
	      "cycle-ug", CFG_E, "cycle", "", 0, 0, 1, "");
	ratio("map-off", "map+unmap, long-lived attachment, b", "map", CFG_B, "map",
	      "<=1.01", 0, 1.01, 1, "");
	ratio("map-guarded", "map+unmap, long-lived attachment, c", "map", CFG_C, "map",
	      "<=1.01", 0, 1.01, 1, "");
	ratio("map-unguarded", "map+unmap, long-lived attachment, d", "map", CFG_D,
	      "map", "<=1.01", 0, 1.01, 1, "");
	ratio("map-watch", "map+unmap, long-lived attachment, e: tracked", "map",
	      CFG_E, "map", "", 0, 0, 1, "");
	ratio("map-ug-watch", "map+unmap, unguarded, while e tracks one", "map-ug",
	      CFG_E, "map", "<=1.01", 0, 1.01, 1, "");
	for (i = 0; i < N(lives); i++) {
		snprintf(name, sizeof(name), "scale-%u", lives[i]);
		snprintf(what, sizeof(what), "cycle, c, %u live attachments (vs a, 1)",
			 lives[i]);
		ratio(name, what, lives[i] <= maxlive ? name : NULL, CFG_C, "scale-1",
		      "", 0, 0, 1, "more than -L live attachments");
	}
	for (i = 0; i < N(nops); i++) {
		snprintf(name, sizeof(name), "ops-%u", nops[i]);
		snprintf(what, sizeof(what), "cycle, c, %u importer ops tables (vs a, 1)",
			 nops[i]);
		ratio(name, what, name, CFG_C, "scale-1", "", 0, 0, 0, "");
	}
	for (i = 0; i < N(revokes); i++) {
		snprintf(name, sizeof(name), "revoke-%u", revokes[i]);
		snprintf(what, sizeof(what), "revoke, %u attachments, c vs a", revokes[i]);
		ratio(name, what, revokes[i] <= maxlive ? name : NULL, CFG_C, name,
		      "<=1.10", 0, 1.10, revokes[i] == 1 || revokes[i] == 1000,
		      "more than -L attachments");
	}
	ratio("vfio-attach", "vfio-pci dma-buf attach+detach, c vs a",
	      vfio_buf >= 0 ? "vfio" : NULL, CFG_C, "vfio", "", 0, 0, 1,
	      "no vfio-pci dma-buf export on this kernel (v6.19+), or no -V");
	/* Median ns/op of every measurement per configuration (0: not measured). */
	for (j = 0; j < nmeas; j++) {
		printf("csv:ns,%s", meas[j].key);
		for (c = 0; c < NCFG; c++)
			printf(",%.1f", meas[j].have[c] ?
			       median(meas[j].v[c], meas[j].have[c]) : 0);
		printf("\n");
	}
	/* Every block's value, for the record. */
	for (j = 0; j < nmeas; j++)
		for (c = 0; c < NCFG; c++)
			for (i = 0; i < (unsigned int)meas[j].have[c]; i++)
				printf("csv:raw,%s,%c,%u,%.1f\n", meas[j].key, cfg_names[c],
				       i, meas[j].v[c][i]);
}

int main(int argc, char **argv)
{
	static struct utsname u;
	int opt, use_vfio = 0;
	long r;
	int k;

	while ((opt = getopt(argc, argv, "k:r:n:s:L:V")) != -1) {
		switch (opt) {
		case 'k':
			label = optarg;
			break;
		case 'r':
			rounds = num("-r", optarg, 1, MAX_ROUNDS);
			break;
		case 'n':
			iters = num("-n", optarg, 1, 1000000);
			break;
		case 's':
			subs = num("-s", optarg, 1, 32);
			break;
		case 'L':
			maxlive = num("-L", optarg, 1, 10000);
			break;
		case 'V':
			use_vfio = 1;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	if (!label) {
		uname(&u);
		label = u.release;
	}
	bench_fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (bench_fd < 0)
		die("open %s: %s (modprobe dmabuf_revoke_bench)", DEV, strerror(errno));
	if (use_vfio)
		vfio_buf = vfio_dmabuf();

	for (r = -1; r < (long)rounds; r++)
		for (k = 0; k < NCFG; k++)
			block((r & 1) ? NCFG - 1 - k : k, r);
	shim_config(CFG_A);
	report();
	return 0;
}
