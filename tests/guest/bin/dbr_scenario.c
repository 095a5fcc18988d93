// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_scenario: drive one exporter/importer scenario in the guest, for the
 * shell suites that need an attach as an action between their own steps.
 * Needs dmabuf_revoke_exporter and dmabuf_revoke_importer loaded.
 *
 *   dbr_scenario attach MODE [--unguarded|--hooked] [--nopin] [--nomap]
 *		[--revoke-wait MS] --expect ERRNAME|0 [--stale N] [--notified N]
 *	create a buffer and import it in MODE. Refused: nothing may be left
 *	attached. Accepted: mapped (unless --nomap), revoke it (the exporter
 *	must find N mappings stale, --stale, and notify N importers,
 *	--notified), restore, release. Exit 0 iff all of that held, 1
 *	otherwise ("got X, want Y" on stderr).
 *   dbr_scenario run MODE [the same flags, no --expect/--stale/--notified]
 *	the same scenario, printed as key=value lines for make demo's table
 *	(tests/demo), which shows rather than asserts; exit 0 whatever
 *	happened.
 *   dbr_scenario register MODE CAP | unregister MODE
 *	(un)register the importer's ops for MODE; exit 0 iff that worked.
 *
 * --unguarded: the exporter does not check at attach; --hooked: nor does it
 * track the buffer (like vfio-pci). MODE: legacy | stub | nocb | compliant.
 * Exit 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dbr_ioctl.h"
#include "dbr_util.h"
#include "dbr_imp_print.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_scenario attach MODE [--unguarded|--hooked] [--nopin] [--nomap]\n"
		"                           [--revoke-wait MS] --expect ERRNAME|0 [--stale N] [--notified N]\n"
		"       dbr_scenario run MODE [--unguarded|--hooked] [--nopin] [--nomap] [--revoke-wait MS]\n"
		"       dbr_scenario register MODE CAP | unregister MODE\n"
		"MODE: legacy | stub | nocb | compliant; CAP: 1 revocable, 0 not\n");
	return 2;
}

static int parse_mode(const char *s)
{
	unsigned int i;

	for (i = 0; i < DBR_IMP_MODES; i++)
		if (!strcmp(s, dbr_mode_name[i]))
			return (int)i;
	return -1;
}

/* A whole decimal number, or -1. */
static long parse_num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return *s && !*end && !errno && v >= 0 ? v : -1;
}

struct opts {
	int mode;
	int unguarded;		/* 1 no check at attach, 2 nor tracking calls */
	int nopin, nomap;
	long revoke_ms;
	int expect;		/* attach: the errno wanted, -1 unset */
	long stale;		/* attach: stale mappings wanted, -1 unchecked */
	long notified;		/* attach: importers notified wanted, -1 unchecked */
};

/* MODE and flags into @o; 0, or -1 on a usage error. */
static int parse_opts(int argc, char **argv, int checks, struct opts *o)
{
	int i;

	*o = (struct opts){ .revoke_ms = 300, .expect = -1, .stale = -1, .notified = -1 };
	o->mode = argc < 1 ? -1 : parse_mode(argv[0]);
	if (o->mode < 0)
		return -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long *num = NULL;

		if (!strcmp(a, "--unguarded"))
			o->unguarded = 1;
		else if (!strcmp(a, "--hooked"))
			o->unguarded = 2;
		else if (!strcmp(a, "--nopin"))
			o->nopin = 1;
		else if (!strcmp(a, "--nomap"))
			o->nomap = 1;
		else if (!strcmp(a, "--revoke-wait"))
			/* how long the exporter waits for unmaps (its timeout_ms) */
			num = &o->revoke_ms;
		else if (checks && !strcmp(a, "--stale"))
			num = &o->stale;
		else if (checks && !strcmp(a, "--notified"))
			num = &o->notified;
		else if (checks && !strcmp(a, "--expect") && v && parse_errno(v) >= 0)
			o->expect = parse_errno(argv[++i]);
		else
			return -1;
		if (num) {
			*num = v ? parse_num(v) : -1;
			if (*num < 0)
				return -1;
			i++;
		}
	}
	/* Only an accepted import is revoked: --stale and --notified need 0. */
	if (checks && (o->expect < 0 || ((o->stale >= 0 || o->notified >= 0) && o->expect)))
		return -1;
	return 0;
}

/* The test devices and a new buffer as @o asks, or exit 2. */
static int setup(const struct opts *o, int *exp, int *imp)
{
	uint32_t flags = 0;
	int buf;

	*exp = dbr_open(DBR_EXP_DEV);
	if (*exp < 0)
		die("open %s: %s", DBR_EXP_DEV, strerror(-*exp));
	*imp = dbr_open(DBR_IMP_DEV);
	if (*imp < 0)
		die("open %s: %s", DBR_IMP_DEV, strerror(-*imp));
	if (!o->unguarded)
		flags |= DBR_EXP_GUARDED;
	if (o->unguarded == 2)
		flags |= DBR_EXP_UNTRACKED;
	if (!o->nopin)
		flags |= DBR_EXP_PIN_CAPABLE;
	buf = dbr_create(*exp, 4 * 4096, flags);
	if (buf < 0)
		die("create: %s", strerror(-buf));
	return buf;
}

static void print_exp(int exp, int buf, const char *pfx)
{
	struct dbr_exp_status st;
	int r = dbr_exp_status(exp, buf, &st);

	if (r) {
		printf("%s_status=%s\n", pfx, ename(-r));
		return;
	}
	printf("%s_revoked=%u\n%s_attach=%u\n%s_mapped=%u\n%s_revokes=%u\n%s_stale=%u\n",
	       pfx, st.revoked, pfx, st.nr_attach, pfx, st.nr_mapped, pfx,
	       st.revokes, pfx, st.stale);
}

static int run(int argc, char **argv)
{
	struct dbr_exp_revoke rv;
	struct opts o;
	int exp, imp, buf, r;
	uint32_t id;

	if (parse_opts(argc, argv, 0, &o))
		return usage();
	buf = setup(&o, &exp, &imp);
	r = dbr_import(imp, buf, o.mode, o.nomap ? DBR_IMP_NO_MAP : 0, &id);
	printf("attach_err=%s\n", ename(-r));
	if (r) {
		/* What a refused importer left on the buffer: nothing, we hope. */
		print_exp(exp, buf, "refused");
		return 0;
	}
	print_imp(imp, id, "before");
	r = dbr_revoke(exp, buf, o.revoke_ms, &rv);
	if (r) {
		printf("revoke_err=%s\n", ename(-r));
		return 0;
	}
	printf("revoke_stale=%u\nrevoke_notified=%u\n", rv.stale, rv.notified);
	print_imp(imp, id, "revoked");
	print_exp(exp, buf, "exp");
	/* A compliant importer maps again only when the buffer is live. */
	printf("remap_revoked=%s\n", ename(-dbr_remap(imp, id)));
	r = dbr_restore(exp, buf);
	if (r)
		printf("restore_err=%s\n", ename(-r));
	printf("remap_restored=%s\n", ename(-dbr_remap(imp, id)));
	print_imp(imp, id, "restored");
	printf("release=%s\n", ename(-dbr_release(imp, id)));
	return 0;
}

/* One expectation: 0 if @got is @want, else 1 and why on stderr. */
static int want(const char *mode, const char *what, const char *got, const char *want)
{
	if (!strcmp(got, want))
		return 0;
	fprintf(stderr, "dbr_scenario: attach %s: %s: got %s, want %s\n", mode, what, got, want);
	return 1;
}

static int want_u(const char *mode, const char *what, unsigned long got, unsigned long w)
{
	char g[24], s[24];

	snprintf(g, sizeof(g), "%lu", got);
	snprintf(s, sizeof(s), "%lu", w);
	return want(mode, what, g, s);
}

static int attach(int argc, char **argv)
{
	struct dbr_exp_revoke rv;
	struct dbr_exp_status es;
	struct dbr_imp_status st;
	int exp, imp, buf, r, bad;
	const char *m;
	struct opts o;
	uint32_t id;

	if (parse_opts(argc, argv, 1, &o))
		return usage();
	m = dbr_mode_name[o.mode];
	buf = setup(&o, &exp, &imp);
	r = dbr_import(imp, buf, o.mode, o.nomap ? DBR_IMP_NO_MAP : 0, &id);
	bad = want(m, "attach", ename(-r), ename(o.expect));
	if (r) {
		/* What a refused importer left on the buffer: nothing. */
		r = dbr_exp_status(exp, buf, &es);
		if (r)
			return want(m, "exporter status", ename(-r), "0");
		bad |= want_u(m, "attachments left after the refusal", es.nr_attach, 0);
		return bad | want_u(m, "mappings left after the refusal", es.nr_mapped, 0);
	}
	if (!o.nomap) {
		r = dbr_imp_status(imp, id, &st);
		bad |= want(m, "importer status", ename(-r), "0");
		if (!r)
			bad |= want_u(m, "mapped after the import", st.mapped, 1);
	}
	r = dbr_revoke(exp, buf, o.revoke_ms, &rv);
	bad |= want(m, "revoke", ename(-r), "0");
	if (!r && o.stale >= 0)
		bad |= want_u(m, "stale mappings at the revoke", rv.stale, o.stale);
	if (!r && o.notified >= 0)
		bad |= want_u(m, "importers notified at the revoke", rv.notified, o.notified);
	bad |= want(m, "restore", ename(-dbr_restore(exp, buf)), "0");
	return bad | want(m, "release", ename(-dbr_release(imp, id)), "0");
}

static int reg(int argc, char **argv, int on)
{
	int imp, mode, r;
	long cap = 0;

	if (argc != (on ? 2 : 1))
		return usage();
	mode = parse_mode(argv[0]);
	if (on)
		cap = parse_num(argv[1]);
	if (mode < 0 || cap < 0)
		return usage();
	imp = dbr_open(DBR_IMP_DEV);
	if (imp < 0)
		die("open %s: %s", DBR_IMP_DEV, strerror(-imp));
	r = on ? dbr_register(imp, mode, cap) : dbr_unregister(imp, mode);
	if (r)
		fprintf(stderr, "dbr_scenario: %sregister %s: %s\n", on ? "" : "un", argv[0],
			ename(-r));
	return !!r;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "attach"))
		return attach(argc - 2, argv + 2);
	if (!strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "register"))
		return reg(argc - 2, argv + 2, 1);
	if (!strcmp(argv[1], "unregister"))
		return reg(argc - 2, argv + 2, 0);
	return usage();
}
