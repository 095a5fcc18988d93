// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl selftest: load the test exporter and importer, drive the
 * exporter/importer scenario through their ioctls (include/uapi) under
 * several policies, print PASS/FAIL per case, and put everything back.
 *
 * It never touches the global policy or strict: each case sets a policy for
 * the test exporter alone (exporters=+dmabuf_revoke_exporter:POLICY), so
 * real exporters stay enforced even if this run is killed half-way; then
 * only the test exporter's entry is left behind.
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

#include "cli.h"
#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"
#include "explain.h"
#include "kmodule.h"

static const char selftest_help[] =
	"Usage: " PROG " selftest\n"
	"\n"
	"Load " MOD_EXPORTER " and " MOD_IMPORTER " (and " MOD_SHIM "\n"
	"if needed), then check on guarded test buffers that:\n"
	"  enforce: a legacy import is refused with EOPNOTSUPP;\n"
	"  enforce: a compliant import is accepted, notified on revoke, and holds\n"
	"           nothing stale;\n"
	"  audit:   a legacy import is accepted and counted as audited;\n"
	"  off:     a stub import is accepted and left holding a stale mapping.\n"
	"Each case sets the policy of the test exporter alone (an exporters= entry\n"
	"'" MOD_EXPORTER ":POLICY'): the global policy and strict, and so every\n"
	"other exporter, are never changed, even if the run is killed.\n"
	"Prints PASS or FAIL per case and a summary, removes the test exporter's\n"
	"entry (a plain one the operator had is put back), and removes the modules\n"
	"it loaded. Needs root.\n"
	"\n"
	"Exit: 0 all passed, 1 a case failed, 2 usage error,\n"
	"3 the modules or their devices are not available.\n";

#define BUF_SIZE (4 * 4096)

struct st {
	struct ctx *c;
	int exp, imp;
	unsigned int pass, fail;
	bool loaded[3];		/* shim, exporter, importer: loaded by this run */
	bool touched;		/* the test exporter's entry was changed */
	char entry[128];	/* its entry before the run, "" if none */
};

static const char *const st_mods[3] = { MOD_SHIM, MOD_EXPORTER, MOD_IMPORTER };

static void result(struct st *s, bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s", ok ? "PASS" : "FAIL", name);
	if (!ok && fmt) {
		fputs(": ", stdout);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
	if (ok)
		s->pass++;
	else
		s->fail++;
}

/* The test exporter's own policy (exporters=+NAME:POLICY). */
static int set_policy(struct st *s, const char *policy)
{
	char edit[64];

	snprintf(edit, sizeof(edit), "+%s:%s", MOD_EXPORTER, policy);
	s->touched = true;
	return knob_set(s->c, "exporters", edit);
}

/* Remember the test exporter's entry in the exporters list, if any. */
static void save_entry(struct st *s, const char *list)
{
	size_t n = strlen(MOD_EXPORTER);
	const char *p = list;

	s->entry[0] = '\0';
	while (*p) {
		size_t len = strcspn(p, ",\n");

		if (len >= n && !strncmp(p, MOD_EXPORTER, n) &&
		    (len == n || p[n] == ':') && len < sizeof(s->entry)) {
			memcpy(s->entry, p, len);
			s->entry[len] = '\0';
			return;
		}
		p += len;
		p += strspn(p, ",\n");
	}
}

/*
 * Put back a plain entry the operator had; one with a policy can only be
 * what a killed run left behind, so it goes like our own.
 */
static int restore_entry(struct st *s)
{
	char edit[160];

	if (!s->touched)
		return 0;
	if (strchr(s->entry, ':'))
		s->entry[0] = '\0';
	snprintf(edit, sizeof(edit), "%c%s", *s->entry ? '+' : '-',
		 *s->entry ? s->entry : MOD_EXPORTER);
	return knob_set(s->c, "exporters", edit);
}

static unsigned long long counter(const struct st *s, const char *name)
{
	char v[24];

	if (ctx_read(s->c, v, sizeof(v), P_STATE "/counters/%s", name))
		return 0;
	return strtoull(v, NULL, 10);
}

/* A guarded, pinnable test buffer; its fd or -errno. */
static int create_buffer(const struct st *s)
{
	struct dbr_exp_create cr = {
		.size = BUF_SIZE,
		.flags = DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE,
	};

	if (ioctl(s->exp, DBR_EXP_CREATE, &cr))
		return -errno;
	return cr.fd;
}

/* Import @buf in @mode: 0 and *id, or -errno. */
static int import(const struct st *s, int buf, unsigned int mode, unsigned int *id)
{
	struct dbr_imp_import in = { .fd = buf, .mode = mode };

	if (ioctl(s->imp, DBR_IMP_IMPORT, &in))
		return -errno;
	*id = in.id;
	return 0;
}

static void release(const struct st *s, unsigned int id)
{
	ioctl(s->imp, DBR_IMP_RELEASE, &id);
}

static int revoke_buffer(const struct st *s, int buf, struct dbr_exp_revoke *rv)
{
	memset(rv, 0, sizeof(*rv));
	rv->fd = buf;
	rv->timeout_ms = 300;
	return ioctl(s->exp, DBR_EXP_REVOKE, rv) ? -errno : 0;
}

static int imp_status(const struct st *s, unsigned int id, struct dbr_imp_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	return ioctl(s->imp, DBR_IMP_STATUS, st) ? -errno : 0;
}

/*
 * Create a buffer, import it as a legacy importer, release whatever that
 * got and close the buffer. Returns non-zero (reported as @name failing)
 * when no buffer could be created; else *ret is the import's result.
 */
static int legacy_import_once(struct st *s, const char *name, int *ret)
{
	unsigned int id = 0;
	int buf;

	buf = create_buffer(s);
	if (buf < 0) {
		result(s, false, name, "create buffer: %s", strerror(-buf));
		return -1;
	}
	*ret = import(s, buf, DBR_IMP_LEGACY, &id);
	if (!*ret)
		release(s, id);
	close(buf);
	return 0;
}

/*
 * One legacy import under the policy the case set: it returns @want (0 or
 * a negative errno) and the counter @counted moves by one.
 */
static void case_legacy(struct st *s, const char *name, int want,
			const char *counted)
{
	unsigned long long before = counter(s, counted);
	int ret;

	if (legacy_import_once(s, name, &ret))
		return;
	if (ret != want) {
		result(s, false, name, "import returned %s",
			      ret ? strerror(-ret) : "success");
		return;
	}
	result(s, counter(s, counted) == before + 1, name,
	       "%s did not count it", counted);
}

/*
 * Create a buffer, import it in @mode (reporting @acc) and revoke it.
 * Returns the buffer fd with @id, @rv and @st filled, or -1 after
 * reporting @rev as failed.
 */
static int import_and_revoke(struct st *s, unsigned int mode, const char *acc,
			     const char *rev, unsigned int *id,
			     struct dbr_exp_revoke *rv, struct dbr_imp_status *st)
{
	int buf, ret;

	buf = create_buffer(s);
	if (buf < 0) {
		result(s, false, acc, "create buffer: %s", strerror(-buf));
		result(s, false, rev, "no buffer");
		return -1;
	}
	ret = import(s, buf, mode, id);
	result(s, !ret, acc, "import returned %s", strerror(-ret));
	if (ret) {
		close(buf);
		result(s, false, rev, "not imported");
		return -1;
	}
	ret = revoke_buffer(s, buf, rv);
	if (!ret)
		ret = imp_status(s, *id, st);
	if (ret) {
		result(s, false, rev, "revoke/status: %s", strerror(-ret));
		release(s, *id);
		close(buf);
		return -1;
	}
	return buf;
}

/*
 * A @mode import accepted, then revoked by the exporter: a compliant one is
 * notified and holds nothing after; a stub under "off" (@stale) ignores the
 * revoke and is left stale, still mapped: the hazard the shim exists for.
 */
static void case_revoke(struct st *s, unsigned int mode, const char *accepted,
			const char *rev, bool stale)
{
	struct dbr_exp_revoke rv;
	struct dbr_imp_status st;
	unsigned int id = 0;
	bool ok;
	int buf;

	buf = import_and_revoke(s, mode, accepted, rev, &id, &rv, &st);
	if (buf < 0)
		return;
	if (stale)
		ok = rv.stale == 1 && st.stale == 1 && st.mapped == 1;
	else
		ok = st.notifications >= 1 && rv.notified >= 1 && !rv.stale && !st.stale &&
		     !st.mapped;
	result(s, ok, rev, "notifications=%u notified=%u stale=%u/%u mapped=%u",
	       st.notifications, rv.notified, rv.stale, st.stale, st.mapped);
	release(s, id);
	close(buf);
}

/* Load what is missing; open the devices. An exit code. */
static int setup(struct st *s)
{
	char path[512], msg[EXPLAIN_MAX];
	int i, ret;

	for (i = 0; i < 3; i++) {
		if (module_state(s->c, st_mods[i]) != MOD_NOT_LOADED)
			continue;
		ret = module_load(s->c, st_mods[i], NULL);
		if (ret) {
			ret = explain_load(s->c, st_mods[i], -ret, msg, sizeof(msg));
			err_msg("selftest: %s", msg);
			return ret;
		}
		s->loaded[i] = true;
	}
	{
		char list[1024];

		if (ctx_read(s->c, list, sizeof(list), P_PARAMS "/exporters")) {
			err_msg("selftest: cannot read the exporters knob");
			return EXIT_UNAVAIL;
		}
		save_entry(s, list);
	}
	path_of(s->c, path, sizeof(path), P_DEV_EXPORTER);
	s->exp = open(path, O_RDWR | O_CLOEXEC);
	if (s->exp < 0) {
		err_msg("selftest: cannot open %s: %s", path, strerror(errno));
		return EXIT_UNAVAIL;
	}
	path_of(s->c, path, sizeof(path), P_DEV_IMPORTER);
	s->imp = open(path, O_RDWR | O_CLOEXEC);
	if (s->imp < 0) {
		err_msg("selftest: cannot open %s: %s", path, strerror(errno));
		return EXIT_UNAVAIL;
	}
	return EXIT_OK;
}

static void teardown(struct st *s)
{
	int i;

	if (s->exp >= 0)
		close(s->exp);
	if (s->imp >= 0)
		close(s->imp);
	if (restore_entry(s))
		err_msg("selftest: could not restore the exporters entry of %s (%s)",
			MOD_EXPORTER, *s->entry ? s->entry : "none");
	for (i = 2; i >= 0; i--) {
		char msg[EXPLAIN_MAX];
		int ret;

		if (!s->loaded[i])
			continue;
		ret = module_unload(s->c, st_mods[i]);
		if (ret) {
			explain_unload(s->c, st_mods[i], -ret, msg, sizeof(msg));
			err_msg("selftest: %s", msg);
		}
	}
}

static int run_cases(struct st *s)
{
	if (set_policy(s, "enforce"))
		return EXIT_FAIL;
	case_legacy(s, "enforce: legacy import refused with EOPNOTSUPP",
		    -EOPNOTSUPP, "attach_refused");
	case_revoke(s, DBR_IMP_COMPLIANT, "enforce: compliant import accepted",
		    "enforce: compliant importer notified on revoke, nothing stale", false);
	if (set_policy(s, "audit"))
		return EXIT_FAIL;
	case_legacy(s, "audit: legacy import accepted and counted as audited",
		    0, "attach_audited");
	if (set_policy(s, "off"))
		return EXIT_FAIL;
	case_revoke(s, DBR_IMP_STUB, "off: stub import accepted",
		    "off: stub importer ignores the revoke and is left stale", true);
	return EXIT_OK;
}

int cmd_selftest(struct ctx *c, int argc, char **argv)
{
	struct st s = { .c = c, .exp = -1, .imp = -1 };
	int ret = parse_common(c, argc, argv, selftest_help, false, NULL);

	if (ret >= 0)
		return ret;
	if (optind < argc)
		return usage_error(argv[0], "selftest: unexpected '%s'", argv[optind]);
	ret = setup(&s);
	if (ret)
		goto cleanup;
	ret = run_cases(&s);
	printf("selftest: %u passed, %u failed\n", s.pass, s.fail);
	if (!ret && s.fail)
		ret = EXIT_FAIL;
cleanup:
	teardown(&s);
	return ret;
}
