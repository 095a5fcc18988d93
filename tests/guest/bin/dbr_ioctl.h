/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test exporter's and test importer's ioctls, one wrapper each, for the
 * guest test programs. Every wrapper returns 0 or -errno (the fd or the id
 * where the ioctl makes one), never sets errno for the caller to read.
 */
#ifndef DBR_IOCTL_H
#define DBR_IOCTL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"

#define DBR_EXP_DEV "/dev/dmabuf_revoke_exporter"
#define DBR_IMP_DEV "/dev/dmabuf_revoke_importer"
#define DBR_PARAMS "/sys/module/dmabuf_revoke/parameters/"

static const char *const dbr_mode_name[DBR_IMP_MODES] = {
	"legacy", "stub", "nocb", "compliant",
};

/* ioctl(), 0 or -errno. */
static inline int dbr_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The exporter's or the importer's device: an fd, or -errno. */
static inline int dbr_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A new buffer of size bytes (DBR_EXP_* flags): its dma-buf fd, or -errno. */
static inline int dbr_create(int exp, uint64_t size, uint32_t flags)
{
	struct dbr_exp_create c = { .size = size, .flags = flags };
	int r = dbr_ioctl(exp, DBR_EXP_CREATE, &c);

	return r ? r : c.fd;
}

static inline int dbr_exp_status(int exp, int buf, struct dbr_exp_status *st)
{
	memset(st, 0, sizeof(*st));
	st->fd = buf;
	return dbr_ioctl(exp, DBR_EXP_STATUS, st);
}

/* Revoke buf, waiting up to ms for the importers to unmap (0: default). */
static inline int dbr_revoke(int exp, int buf, unsigned int ms,
			     struct dbr_exp_revoke *rv)
{
	memset(rv, 0, sizeof(*rv));
	rv->fd = buf;
	rv->timeout_ms = ms;
	return dbr_ioctl(exp, DBR_EXP_REVOKE, rv);
}

static inline int dbr_restore(int exp, int buf)
{
	int32_t fd = buf;

	return dbr_ioctl(exp, DBR_EXP_RESTORE, &fd);
}

/* Import buf in mode (DBR_IMP_* flags): 0 and *id, or -errno and *id = 0. */
static inline int dbr_import(int imp, int buf, uint32_t mode, uint32_t flags,
			     uint32_t *id)
{
	struct dbr_imp_import im = { .fd = buf, .mode = mode, .flags = flags };
	int r = dbr_ioctl(imp, DBR_IMP_IMPORT, &im);

	*id = r ? 0 : im.id;
	return r;
}

static inline int dbr_imp_status(int imp, uint32_t id, struct dbr_imp_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return dbr_ioctl(imp, DBR_IMP_STATUS, st);
}

/* DBR_IMP_RELEASE, DBR_IMP_REMAP, DBR_IMP_UNREGISTER: one u32 argument. */
static inline int dbr_imp_u32(int imp, unsigned long cmd, uint32_t v)
{
	return dbr_ioctl(imp, cmd, &v);
}

static inline int dbr_release(int imp, uint32_t id)
{
	return dbr_imp_u32(imp, DBR_IMP_RELEASE, id);
}

static inline int dbr_remap(int imp, uint32_t id)
{
	return dbr_imp_u32(imp, DBR_IMP_REMAP, id);
}

/* Register the importer's ops for mode with the shim (cap 1: revocable). */
static inline int dbr_register(int imp, uint32_t mode, uint32_t cap)
{
	struct dbr_imp_register r = { .mode = mode, .cap = cap };

	return dbr_ioctl(imp, DBR_IMP_REGISTER, &r);
}

static inline int dbr_unregister(int imp, uint32_t mode)
{
	return dbr_imp_u32(imp, DBR_IMP_UNREGISTER, mode);
}

/*
 * Whether the test importer can make importer ops without a move_notify
 * callback (v7.1, optional invalidate_mappings): an attach-only nocb import
 * of an unguarded buffer is refused with EOPNOTSUPP where it cannot.
 */
static inline int dbr_nocb_supported(int exp, int imp)
{
	int buf = dbr_create(exp, getpagesize(), 0), r;
	uint32_t id;

	if (buf < 0)
		return 0;
	r = dbr_import(imp, buf, DBR_IMP_NOCB, DBR_IMP_NO_MAP, &id);
	if (!r)
		dbr_release(imp, id);
	close(buf);
	return r != -EOPNOTSUPP;
}

#define DBR_NOCB_SKIP \
	"importer ops without a callback need v7.1 (optional invalidate_mappings, ef246da8e63c)"

/*
 * For a kselftest_harness FIXTURE_SETUP whose fixture has int exp, imp:
 * open the test exporter and importer, or fail the test.
 */
#define DBR_OPEN_DEVICES(self) do {						\
	(self)->exp = dbr_open(DBR_EXP_DEV);					\
	ASSERT_LE(0, (self)->exp)						\
		TH_LOG("open %s: %s", DBR_EXP_DEV, strerror(-(self)->exp));	\
	(self)->imp = dbr_open(DBR_IMP_DEV);					\
	ASSERT_LE(0, (self)->imp)						\
		TH_LOG("open %s: %s", DBR_IMP_DEV, strerror(-(self)->imp));	\
} while (0)

/* Read a sysfs file into @buf (trailing newline dropped); 0 or -errno. */
static inline int sysfs_get(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Write @val to a sysfs file ("" as a lone newline: clears a list); 0 or -errno. */
static inline int sysfs_set(const char *path, const char *val)
{
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, *val ? val : "\n", *val ? strlen(val) : 1) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * What the kernel under test has, as conftest.sh found it when the modules
 * were built (guest.sh copies its results): 1 if "conftest: NAME  yes".
 */
static inline int dbr_have(const char *name)
{
	char line[256], *p;
	size_t n = strlen(name);
	FILE *f = fopen("/tests/expected/conftest.txt", "re");
	int yes = 0;

	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "conftest: ", 10) || strncmp(line + 10, name, n))
			continue;
		p = line + 10 + n;
		if (*p != ' ' && *p != '\t')
			continue;
		p += strspn(p, " \t");
		yes = !strncmp(p, "yes", 3);
	}
	fclose(f);
	return yes;
}

/* A counter of /sys/kernel/dmabuf_revoke/counters/ into *v; 0 or -errno. */
static inline int dbr_counter(const char *name, long long *v)
{
	char path[128], buf[32];
	int r;

	snprintf(path, sizeof(path), "/sys/kernel/dmabuf_revoke/counters/%s", name);
	r = sysfs_get(path, buf, sizeof(buf));
	if (!r)
		*v = strtoll(buf, NULL, 10);
	return r;
}

/*
 * The counters a test predicts (the shell's snap and delta_is): the attach
 * verdicts and classes, revocations and stale mappings, read all at once.
 */
#define DBR_NR_CTRS 12

struct dbr_ctrs {
	long long v[DBR_NR_CTRS];
};

static inline const char *dbr_ctr_name(int i)
{
	static const char *const name[DBR_NR_CTRS] = {
		"attach_checked", "attach_allowed", "attach_audited", "attach_refused",
		"attach_upstream", "class_legacy", "class_no_callback", "class_denied",
		"class_allowed", "class_revocable", "revocations", "stale_mappings",
	};

	return name[i];
}

/* Every counter of dbr_ctr_name() into *c; 0 or -errno. */
static inline int dbr_ctrs_read(struct dbr_ctrs *c)
{
	int i, r = 0;

	for (i = 0; i < DBR_NR_CTRS && !r; i++)
		r = dbr_counter(dbr_ctr_name(i), &c->v[i]);
	return r;
}

/*
 * How many counters moved from @c0 otherwise than @want says ("name=n ...",
 * n for each one named, 0 for the others), each named on stderr as a KTAP
 * diagnostic; -1 if they cannot be read.
 */
static inline int dbr_ctrs_wrong(const struct dbr_ctrs *c0, const char *want)
{
	struct dbr_ctrs c1;
	const char *name, *p;
	long long w;
	int i, bad = 0;
	size_t n;

	if (dbr_ctrs_read(&c1))
		return -1;
	for (i = 0; i < DBR_NR_CTRS; i++) {
		name = dbr_ctr_name(i);
		n = strlen(name);
		w = 0;
		for (p = strstr(want, name); p; p = strstr(p + n, name)) {
			if ((p == want || p[-1] == ' ') && p[n] == '=') {
				w = strtoll(p + n + 1, NULL, 10);
				break;
			}
		}
		if (c1.v[i] - c0->v[i] == w)
			continue;
		fprintf(stderr, "# counter %s moved by %lld, want %lld\n", name,
			c1.v[i] - c0->v[i], w);
		bad++;
	}
	return bad;
}

/*
 * The dmabuf_revoke knobs a test changes: dbr_knobs_save() reads them (names
 * separated by spaces, policy first), dbr_knobs_restore() writes them back
 * in reverse order, lists before the policy (a list entry may refuse to go
 * under the policy it names). Restoring a set never saved does nothing.
 */
#define DBR_KNOBS_MAX 6

struct dbr_knobs {
	char name[DBR_KNOBS_MAX][24];
	char val[DBR_KNOBS_MAX][512];
	int n;
};

static inline int dbr_knob_path(char *path, size_t len, const char *name)
{
	return snprintf(path, len, DBR_PARAMS "%s", name);
}

/* 0, or -errno with nothing saved. */
static inline int dbr_knobs_save(struct dbr_knobs *k, const char *names)
{
	char path[96];
	size_t len;
	int r;

	k->n = 0;
	for (names += strspn(names, " "); *names; names += strspn(names, " ")) {
		len = strcspn(names, " ");
		if (k->n == DBR_KNOBS_MAX || len >= sizeof(k->name[0])) {
			k->n = 0;
			return -EINVAL;
		}
		memcpy(k->name[k->n], names, len);
		k->name[k->n][len] = 0;
		names += len;
		dbr_knob_path(path, sizeof(path), k->name[k->n]);
		r = sysfs_get(path, k->val[k->n], sizeof(k->val[0]));
		if (r) {
			k->n = 0;
			return r;
		}
		k->n++;
	}
	return 0;
}

/* 0, or the first -errno (every knob is still tried, each failure named). */
static inline int dbr_knobs_restore(const struct dbr_knobs *k)
{
	char path[96];
	int i, r, err = 0;

	for (i = k->n - 1; i >= 0; i--) {
		dbr_knob_path(path, sizeof(path), k->name[i]);
		r = sysfs_set(path, k->val[i]);
		if (r)
			fprintf(stderr, "# restore %s=\"%s\": %s\n", k->name[i], k->val[i],
				strerror(-r));
		err = err ?: r;
	}
	return err;
}

#endif /* DBR_IOCTL_H */
