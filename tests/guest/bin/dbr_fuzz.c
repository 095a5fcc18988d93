// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_fuzz [COUNT] [kselftest harness options]: hostile input, reproducibly.
 *
 * One fixture variant per fixed seed (seed_5eed, seed_d15ea5e; the
 * environment's DBR_FUZZ_SEED, if set, replaces them all). Each test
 * starts its seeded xorshift from the variant's seed, so the line it
 * prints ("dbr_fuzz COUNT -r fuzz.seed_5eed.knobs") replays it exactly.
 *
 * knobs: COUNT (default 2000) times write a hostile value to one of the
 * shim's writable knobs: empty, 5,000 bytes, embedded newline and NUL,
 * non-ASCII, 40 entries, 96+ character entries, lone + - , and mod:/sym:
 * with nothing after, and random mixes of entries, edits and exporter
 * policies. The expected outcome comes from a model: the list and policy
 * parsing of src/core.c itself (compiled in), kstrtobool/kstrtouint as the
 * kernel has them, and what sysfs does to a write (nothing for 0 bytes, the
 * first 4096 bytes, the string up to the first NUL). A refusal must be an
 * error with the value unchanged; an acceptance must leave exactly the
 * value the model predicts. ioctls: COUNT malformed ioctls to the test
 * exporter and importer: wrong sizes, bad flags, huge sizes, bad, closed
 * and foreign fds, and two threads releasing the same import id, each with
 * its documented errno; no attachment may be left. The fixture resets the
 * knobs to their defaults before and after each test (the ioctls expect
 * them: the test exporter in exporters= under enforce would refuse their
 * imports). KTAP on stdout (kselftest harness).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"
#include "dbr_ioctl.h"
#include "../../../src/core.c"

#define P "/sys/module/dmabuf_revoke/parameters/"

static uint64_t rng;
static long count = 2000;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static int kopen(const char *knob, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), P "%s", knob);
	return open(path, flags);
}

static int readk(const char *knob, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), P "%s", knob);
	return sysfs_get(path, buf, size);
}

/* write(2) of exactly @len bytes; 0 or -errno. */
static int writek(const char *knob, const char *val, size_t len)
{
	int fd = kopen(knob, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	return n < 0 ? -errno : 0;
}

/* --- the model ------------------------------------------------------------ */

static int kstrtobool_(const char *s, bool *b)
{
	switch (s[0]) {
	case 'y': case 'Y': case '1':
		*b = true;
		return 0;
	case 'n': case 'N': case '0':
		*b = false;
		return 0;
	}
	/* Other first letters differ between kernels: the generator avoids them. */
	return -EINVAL;
}

/* kstrtouint(s, 0, ...): [+]digits in base 0, one optional trailing \n. */
static int kstrtouint_(const char *s, unsigned int *out)
{
	unsigned long long v = 0;
	unsigned int base = 10, d, n = 0;

	if (*s == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (; *s; s++, n++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			return -EINVAL;
		v = v * base + d;
		if (v > 0xffffffffULL)
			return -ERANGE;
	}
	if (*s == '\n')
		s++;
	if (!n || *s)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/*
 * What the knob should read after writing @s (already cut as sysfs cuts
 * it) over the value @cur: 0 and @want, or -EINVAL (unchanged).
 */
static int model(const char *knob, const char *cur, const char *s, char *want,
		 size_t size)
{
	int list = !strcmp(knob, "deny") ? 0 : !strcmp(knob, "allow") ? 1 :
		   !strcmp(knob, "exporters") ? 2 : -1;

	if (list >= 0) {
		static struct dbr_list c, out;
		const char *why;

		memset(&c, 0, sizeof(c));
		if (dbr_list_apply(&c, &c, cur, list == 2, &why) ||
		    dbr_list_apply(&c, &out, s, list == 2, &why))
			return -EINVAL;
		return dbr_list_format(&out, want, size) < 0 ? -EINVAL : 0;
	}
	if (!strcmp(knob, "policy")) {
		enum dbr_policy p;

		if (dbr_policy_parse(s, &p))
			return -EINVAL;
		snprintf(want, size, "%s", dbr_policy_name(p));
		return 0;
	}
	if (!strcmp(knob, "learn")) {
		enum dbr_learn l;

		if (dbr_learn_parse(s, &l))
			return -EINVAL;
		snprintf(want, size, "%s", dbr_learn_name(l));
		return 0;
	}
	if (!strcmp(knob, "strict")) {
		bool b;

		if (kstrtobool_(s, &b))
			return -EINVAL;
		snprintf(want, size, "%c", b ? 'Y' : 'N');
		return 0;
	}
	if (!strcmp(knob, "canary_ms") || !strcmp(knob, "stale_timeout_ms")) {
		unsigned int ms;

		if (kstrtouint_(s, &ms) || (ms && (ms < 100 || ms > 3600000)))
			return -EINVAL;
		snprintf(want, size, "%u", ms);
		return 0;
	}
	if (!strcmp(knob, "hook_fault")) {
		size_t n = strcspn(s, "\n");

		if ((s[n] == '\n' && s[n + 1]) || n != 4 || strncmp(s, "none", 4))
			return -EINVAL;
		snprintf(want, size, "none");
		return 0;
	}
	return -EINVAL;
}

/* --- the generator ----------------------------------------------------------- */

static const char *const knobs[] = {
	"deny", "allow", "exporters", "policy", "strict", "canary_ms", "hook_fault",
	"stale_timeout_ms", "learn",
};
static const char *const names[] = {
	"foo", "bar_cb", "sym:baz", "mod:ib-core", "mod:x", "dbr_imp_stub_cb",
	"vfio_pci_core", "dmabuf_revoke_exporter", "a.b", "q$1",
};
static const char *const scalars[] = {
	"", "\n", "off", "audit\n", "enforce", "Enforce", "audit\nx", "on", "y",
	"N\n", "1", "0", "2", "yes", "-1", "+200", "0x64", "99", "100", "3600000",
	"3600001", "4294967296", "1e3", " 5", "5 ", "none", "none\n", "nofire!",
	"nonex", "\xc3\xa9", "\xff\xfe", "deny", "deny\n", "Deny", "deny\n\n",
};

/* Build one hostile value into @v; returns its length (NULs included). */
static size_t gen(const char *knob, char *v, size_t size)
{
	int is_list = !strcmp(knob, "deny") || !strcmp(knob, "allow") ||
		      !strcmp(knob, "exporters");
	size_t n = 0, i, k;

	switch (pick(is_list ? 12 : 4)) {
	case 0:	/* 5,000 bytes */
		n = 5000;
		memset(v, "a,+-"[pick(4)], n);
		return n;
	case 1:	/* embedded NUL */
		n = (size_t)snprintf(v, size, "%s", scalars[pick(sizeof(scalars) / sizeof(*scalars))]);
		v[n++] = '\0';
		n += (size_t)snprintf(v + n, size - n, "%s", is_list ? "+evil" : "audit");
		return n;
	case 2:	/* non-ASCII */
		return (size_t)snprintf(v, size, "%s\xc3\xa4\xff", is_list ? "+x" : "au");
	case 3:
		if (!is_list)
			return (size_t)snprintf(v, size, "%s",
						scalars[pick(sizeof(scalars) / sizeof(*scalars))]);
		/* fall through */
	case 4:	/* 40 entries */
		for (i = 0; i < 40; i++)
			n += (size_t)snprintf(v + n, size - n, "%se%zu", i ? "," : "", i);
		return n;
	case 5:	/* 96+ characters */
		k = 90 + pick(20);
		n = (size_t)snprintf(v, size, "%s", pick(2) ? "mod:" : "+");
		memset(v + n, 'x', k);
		return n + k;
	case 6: {	/* lone separators and prefixes */
		static const char *const lone[] = { "+", "-", ",", "+,", "-,", " , ",
			"mod:", "sym:", "mod:,", "+mod:", "-sym:", "::", ":audit", "x:",
			"x:bogus", "x:enforce:off" };
		return (size_t)snprintf(v, size, "%s", lone[pick(sizeof(lone) / sizeof(*lone))]);
	}
	case 7:	/* newline inside */
		return (size_t)snprintf(v, size, "%s\n%s", names[pick(10)], names[pick(10)]);
	default: {	/* a random mix of entries and edits */
		int edits = pick(2), cnt = 1 + pick(5);
		static const char *const sep[] = { ",", " ", "\t", ", ", ",," };
		static const char *const pol[] = { "", "", ":audit", ":off", ":enforce", ":x" };

		for (i = 0; i < (size_t)cnt; i++)
			n += (size_t)snprintf(v + n, size - n, "%s%s%s%s",
					      i ? sep[pick(5)] : "",
					      edits ? (pick(3) ? "+" : "-") : "",
					      names[pick(10)],
					      strcmp(knob, "exporters") ? "" : pol[pick(6)]);
		if (pick(2))
			v[n++] = '\n';
		return n;
	}
	}
}

/* The defaults, whatever the knob writes left behind. */
static void reset_knobs(void)
{
	writek("policy", "enforce", 7);
	writek("strict", "N", 1);
	writek("deny", "\n", 1);
	writek("allow", "\n", 1);
	writek("exporters", "vfio_pci_core", 13);
	writek("canary_ms", "2000", 4);
	writek("stale_timeout_ms", "1000", 4);
	writek("hook_fault", "none", 4);
	writek("learn", "audit", 5);
}

/*
 * Each variant is one fixed seed; DBR_FUZZ_SEED replaces it (replaying
 * another run). The knobs start and end at their defaults.
 */
FIXTURE(fuzz) {
	uint64_t seed;
};

FIXTURE_VARIANT(fuzz) {
	const char *name;
	uint64_t seed;
};

FIXTURE_VARIANT_ADD(fuzz, seed_5eed) { "seed_5eed", 0x5eed };
FIXTURE_VARIANT_ADD(fuzz, seed_d15ea5e) { "seed_d15ea5e", 0xd15ea5e };

FIXTURE_SETUP(fuzz)
{
	const char *env = getenv("DBR_FUZZ_SEED");

	self->seed = env ? strtoull(env, NULL, 0) : variant->seed;
	ASSERT_NE(0ULL, (unsigned long long)self->seed)
		TH_LOG("DBR_FUZZ_SEED must be a nonzero number");
	rng = self->seed;
	ksft_print_msg("seed %#llx, %ld %s: replay with DBR_FUZZ_SEED=%#llx dbr_fuzz %ld -r fuzz.%s.%s\n",
		       (unsigned long long)self->seed, count, _metadata->name,
		       (unsigned long long)self->seed, count, variant->name, _metadata->name);
	reset_knobs();
}

FIXTURE_TEARDOWN(fuzz)
{
	reset_knobs();
}

/* 2000 writes take ~20 s on the debug kernel under TCG (a shared core). */
TEST_F_TIMEOUT(fuzz, knobs, 300)
{
	static char v[6000], cut[4097], before[4096], after[4096], want[4096];
	long i, bad = 0, refused = 0, accepted = 0;

	for (i = 0; i < count; i++) {
		const char *knob = knobs[pick(sizeof(knobs) / sizeof(*knobs))];
		size_t len = gen(knob, v, sizeof(v)), c;
		int exp, got;

		c = len > 4096 ? 4096 : len;
		memcpy(cut, v, c);
		cut[c] = '\0';	/* the kernel sees up to the first NUL */
		/*
		 * kstrtobool() grew forms over the kernels we run on (on/off,
		 * t/f, e/d...): strict is fuzzed only where all of them agree.
		 */
		if (!strcmp(knob, "strict") && strchr("eEdDtTfFoO", cut[0]) && cut[0]) {
			i--;
			continue;
		}
		if (readk(knob, before, sizeof(before))) {
			printf("# %s: cannot read\n", knob);
			bad++;
			continue;
		}
		exp = len ? model(knob, before, cut, want, sizeof(want)) : 0;
		if (!len)
			snprintf(want, sizeof(want), "%s", before);
		got = writek(knob, v, len);
		readk(knob, after, sizeof(after));
		if (exp ? got == 0 || strcmp(after, before) : got != 0 || strcmp(after, want)) {
			bad++;
			if (bad <= 10)
				printf("# #%ld %s <- %zu bytes '%.60s': got %s '%.60s', want %s '%.60s'\n",
				       i, knob, len, cut, got ? strerror(-got) : "accepted", after,
				       exp ? "refused, unchanged" : "accepted", exp ? before : want);
		}
		exp ? refused++ : accepted++;
	}
	printf("# %ld writes: %ld accepted, %ld refused as predicted, %ld not\n",
	       count, accepted, refused, bad);
	EXPECT_EQ(0, bad)
		TH_LOG("every knob write must do what the model predicts (refused: error, unchanged)");
}

/* --- ioctls -------------------------------------------------------------------- */

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

struct race {
	int imp;
	uint32_t id;
	int ret;
};

static void *release_thread(void *arg)
{
	struct race *r = arg;

	r->ret = xioctl(r->imp, DBR_IMP_RELEASE, &r->id);
	return NULL;
}

/* The malformed ioctls; ~20 s on the debug kernel as well. */
TEST_F_TIMEOUT(fuzz, ioctls, 300)
{
	int exp = open("/dev/dmabuf_revoke_exporter", O_RDWR);
	int imp = open("/dev/dmabuf_revoke_importer", O_RDWR);
	int null = open("/dev/null", O_RDWR), pfd[2], closed, buf;
	struct dbr_exp_create cr = { .size = 4096 };
	long i, bad = 0, races = 0;

	ASSERT_LE(0, exp) TH_LOG("/dev/dmabuf_revoke_exporter: %s", strerror(errno));
	ASSERT_LE(0, imp) TH_LOG("/dev/dmabuf_revoke_importer: %s", strerror(errno));
	ASSERT_LE(0, null);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, xioctl(exp, DBR_EXP_CREATE, &cr)) TH_LOG("a 4 KiB test buffer");
	buf = cr.fd;
	closed = dup(null);
	close(closed);
	for (i = 0; i < count; i++) {
		int fds[] = { -1, 9999, closed, null, pfd[0], exp, imp, buf };
		int fd = fds[pick(8)], want, got;
		uint64_t big[8] = { 0 };

		switch (pick(6)) {
		case 0: {	/* wrong sizes in the command number: unknown, ENOTTY */
			unsigned int sz = 1 + pick(64);

			got = xioctl(pick(2) ? exp : imp,
				     _IOC(_IOC_READ | _IOC_WRITE, pick(2) ? 'x' : 'y', pick(6), sz), big);
			want = -ENOTTY;
			if (sz == sizeof(struct dbr_exp_create) || sz == sizeof(struct dbr_imp_import) ||
			    sz == DBR_IMP_IMPORT_V1_SIZE ||
			    sz == sizeof(struct dbr_exp_revoke) || sz == sizeof(struct dbr_exp_status) ||
			    sz == sizeof(struct dbr_imp_status) || sz == 4)
				continue;	/* may be a real command */
			break;
		}
		case 1: {	/* create: bad flags / sizes */
			struct dbr_exp_create c = { .size = rnd(), .flags = (uint32_t)rnd() };

			if (pick(2))
				c.flags &= DBR_EXP_FLAGS_ALL;
			if (c.flags & ~DBR_EXP_FLAGS_ALL || !c.size || c.size % 4096 ||
			    c.size > DBR_EXP_MAX_SIZE)
				want = -EINVAL;
			else
				continue;	/* a valid (huge) create: not the point */
			got = xioctl(exp, DBR_EXP_CREATE, &c);
			break;
		}
		case 2: {	/* import: foreign, bad or closed fds, bad mode or flags */
			struct dbr_imp_import in = { .fd = fd, .mode = pick(8), .flags = pick(2) ? 0 : (uint32_t)rnd() };

			if (fd == buf && in.mode < DBR_IMP_MODES && !(in.flags & ~DBR_IMP_FLAGS_ALL))
				continue;	/* a real import */
			got = xioctl(imp, DBR_IMP_IMPORT, &in);
			want = -EINVAL;
			if (in.mode == DBR_IMP_NOCB && got == -EOPNOTSUPP)
				want = got;	/* nocb before 7.1 */
			break;
		}
		case 3: {	/* revoke/status on what is not our buffer */
			struct dbr_exp_revoke rv = { .fd = fd, .timeout_ms = pick(2) ? 1 : (uint32_t)rnd() };
			struct dbr_exp_status st = { .fd = fd };

			if (fd == buf)
				continue;
			got = pick(2) ? xioctl(exp, DBR_EXP_REVOKE, &rv) : xioctl(exp, DBR_EXP_STATUS, &st);
			want = -EINVAL;
			break;
		}
		case 4: {	/* bad pointers */
			void *bp = (void *)(uintptr_t)(pick(2) ? 16 : 0xdead0000);

			got = pick(2) ? xioctl(exp, DBR_EXP_CREATE, bp) : xioctl(imp, DBR_IMP_IMPORT, bp);
			want = -EFAULT;
			break;
		}
		default: {	/* two threads release the same id */
			struct dbr_imp_import in = { .fd = buf, .mode = DBR_IMP_LEGACY,
						     .flags = DBR_IMP_NO_MAP };
			struct race a = { .imp = imp }, b = { .imp = imp };
			pthread_t ta, tb;

			if (xioctl(imp, DBR_IMP_IMPORT, &in)) {
				got = -1;
				want = 0;
				break;
			}
			a.id = b.id = in.id;
			pthread_create(&ta, NULL, release_thread, &a);
			pthread_create(&tb, NULL, release_thread, &b);
			pthread_join(ta, NULL);
			pthread_join(tb, NULL);
			races++;
			/* exactly one wins */
			got = (a.ret == 0) + (b.ret == 0) == 1 &&
			      (a.ret == -EINVAL || b.ret == -EINVAL) ? 0 : -1;
			want = 0;
			break;
		}
		}
		if (got != want && ++bad <= 10)
			printf("# ioctl #%ld: got %d, want %d\n", i, got, want);
	}
	{
		struct dbr_exp_status st = { .fd = buf };

		EXPECT_EQ(0, xioctl(exp, DBR_EXP_STATUS, &st));
		EXPECT_EQ(0U, st.nr_attach)
			TH_LOG("the buffer must have no attachment left after the ioctl storm");
	}
	printf("# %ld ioctls (%ld concurrent double releases), %ld unexpected\n", count, races, bad);
	EXPECT_EQ(0, bad) TH_LOG("every malformed ioctl must get its documented errno");
	close(buf);
	close(exp);
	close(imp);
}

/* dbr_fuzz [COUNT] [harness options]: COUNT, if given, comes first. */
int main(int argc, char **argv)
{
	char *end;

	if (argc > 1 && argv[1][0] != '-') {
		count = strtol(argv[1], &end, 0);
		if (*end || count <= 0) {
			fprintf(stderr, "usage: dbr_fuzz [COUNT (> 0)] [kselftest harness options]\n");
			return 2;
		}
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_harness_run(argc, argv);
}
