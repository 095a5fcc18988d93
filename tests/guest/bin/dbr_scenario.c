// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_scenario: drive one exporter/importer scenario in the guest and print
 * what happened as key=value lines for the shell suites to assert on.
 *
 *   dbr_scenario run MODE [--unguarded|--hooked] [--nopin] [--nomap]
 *	create a buffer, import it in MODE, revoke it, look, restore, look;
 *	--hooked: the exporter neither checks nor tracks it (like vfio-pci)
 *   dbr_scenario vgem [--unguarded]
 *	import a buffer into vgem with DRM_IOCTL_PRIME_FD_TO_HANDLE
 *   dbr_scenario register MODE CAP | unregister MODE
 *	(un)register the importer's ops for MODE with the registry
 *
 * MODE: legacy | stub | nocb | compliant. Exit 0 if the scenario could be
 * driven (whatever its outcome), 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dbr_ioctl.h"
#include "dbr_vgem.h"
#include "dbr_util.h"
#include "dbr_imp_print.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_scenario run MODE [--unguarded|--hooked] [--nopin] [--nomap] [--revoke-wait MS]\n"
		"       dbr_scenario vgem [--unguarded]\n"
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

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "dbr_scenario: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* unguarded: 1 no check at attach, 2 nor tracking calls either */
static int create_buf(int exp, int unguarded, int nopin)
{
	struct dbr_exp_create c = { .size = 4 * 4096 };

	if (!unguarded)
		c.flags |= DBR_EXP_GUARDED;
	if (unguarded == 2)
		c.flags |= DBR_EXP_UNTRACKED;
	if (!nopin)
		c.flags |= DBR_EXP_PIN_CAPABLE;
	if (ioctl(exp, DBR_EXP_CREATE, &c)) {
		fprintf(stderr, "dbr_scenario: create: %s\n", strerror(errno));
		exit(2);
	}
	return c.fd;
}

static void print_exp(int exp, int buf, const char *pfx)
{
	struct dbr_exp_status st = { .fd = buf };

	if (ioctl(exp, DBR_EXP_STATUS, &st)) {
		printf("%s_status=%s\n", pfx, ename(errno));
		return;
	}
	printf("%s_revoked=%u\n%s_attach=%u\n%s_mapped=%u\n%s_revokes=%u\n%s_stale=%u\n",
	       pfx, st.revoked, pfx, st.nr_attach, pfx, st.nr_mapped, pfx,
	       st.revokes, pfx, st.stale);
}

static int run(int argc, char **argv)
{
	int unguarded = 0, nopin = 0, nomap = 0, mode, exp, imp, buf, i;
	struct dbr_imp_import in = { 0 };
	struct dbr_exp_revoke rv = { .timeout_ms = 300 };

	if (argc < 1 || (mode = parse_mode(argv[0])) < 0)
		return usage();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unguarded"))
			unguarded = 1;
		else if (!strcmp(argv[i], "--hooked"))
			unguarded = 2;
		else if (!strcmp(argv[i], "--nopin"))
			nopin = 1;
		else if (!strcmp(argv[i], "--nomap"))
			nomap = 1;
		else if (!strcmp(argv[i], "--revoke-wait") && i + 1 < argc)
			/* how long the exporter waits for unmaps (its timeout_ms) */
			rv.timeout_ms = strtoul(argv[++i], NULL, 10);
		else
			return usage();
	}
	exp = open_dev(DBR_EXP_DEV);
	imp = open_dev(DBR_IMP_DEV);
	buf = create_buf(exp, unguarded, nopin);

	in.fd = buf;
	in.mode = mode;
	in.flags = nomap ? DBR_IMP_NO_MAP : 0;
	if (ioctl(imp, DBR_IMP_IMPORT, &in)) {
		printf("attach_err=%s\n", ename(errno));
		/* What a refused importer left on the buffer: nothing, we hope. */
		print_exp(exp, buf, "refused");
		return 0;
	}
	printf("attach_err=0\n");
	print_imp(imp, in.id, "before");

	rv.fd = buf;
	if (ioctl(exp, DBR_EXP_REVOKE, &rv)) {
		printf("revoke_err=%s\n", ename(errno));
		return 0;
	}
	printf("revoke_stale=%u\nrevoke_notified=%u\n", rv.stale, rv.notified);
	print_imp(imp, in.id, "revoked");
	print_exp(exp, buf, "exp");

	/* A compliant importer maps again only when the buffer is live. */
	printf("remap_revoked=%s\n",
	       ename(ioctl(imp, DBR_IMP_REMAP, &in.id) ? errno : 0));
	if (ioctl(exp, DBR_EXP_RESTORE, &buf))
		printf("restore_err=%s\n", ename(errno));
	printf("remap_restored=%s\n",
	       ename(ioctl(imp, DBR_IMP_REMAP, &in.id) ? errno : 0));
	print_imp(imp, in.id, "restored");
	printf("release=%s\n", ename(ioctl(imp, DBR_IMP_RELEASE, &in.id) ? errno : 0));
	return 0;
}

/* The vgem DRM device, by driver name (not by card number). */
static int vgem(int argc, char **argv)
{
	int unguarded = argc > 0 && !strcmp(argv[0], "--unguarded");
	struct drm_prime_handle_min ph = { 0 };
	int exp, drm;

	if (argc > 1 || (argc == 1 && !unguarded))
		return usage();
	exp = open_dev(DBR_EXP_DEV);
	drm = open_vgem();
	if (drm < 0) {
		fprintf(stderr, "dbr_scenario: no vgem device in /dev/dri\n");
		return 2;
	}
	ph.fd = create_buf(exp, unguarded, 0);
	if (ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE_MIN, &ph)) {
		printf("attach_err=%s\n", ename(errno));
		return 0;
	}
	printf("attach_err=0\n");
	{
		struct drm_gem_close_min gc = { .handle = ph.handle };

		printf("gem_close=%s\n",
		       ename(ioctl(drm, DRM_IOCTL_GEM_CLOSE_MIN, &gc) ? errno : 0));
	}
	return 0;
}

static int reg(int argc, char **argv, int on)
{
	unsigned long cap = 0;
	int imp, mode;
	char *end;

	if (argc != (on ? 2 : 1) || (mode = parse_mode(argv[0])) < 0)
		return usage();
	if (on) {
		cap = strtoul(argv[1], &end, 10);
		if (*end)
			return usage();
	}
	imp = open_dev(DBR_IMP_DEV);
	printf("register_err=%s\n",
	       ename(-(on ? dbr_register(imp, mode, cap) : dbr_unregister(imp, mode))));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "vgem"))
		return vgem(argc - 2, argv + 2);
	if (!strcmp(argv[1], "register"))
		return reg(argc - 2, argv + 2, 1);
	if (!strcmp(argv[1], "unregister"))
		return reg(argc - 2, argv + 2, 0);
	return usage();
}
