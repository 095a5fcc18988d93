// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_rdma: drive RDMA's own pinned dma-buf import (the guest-only module
 * dmabuf_revoke_rdma, /dev/dmabuf_revoke_rdma) and print what happened as
 * key=value lines for suite 84-rdma.
 *
 *   dbr_rdma exp VARIANT [--revoke]
 *	create a guarded, pin-capable test-exporter buffer (one page), import
 *	it as VARIANT; with --revoke, revoke it (the exporter waits 200 ms for
 *	unmaps) and look again; release the import. Keys: import_err, id,
 *	before_* (import), exp_attach, exp_mapped, exp_pinned, revoke_err,
 *	revoke_notified, revoke_stale, after_* (import), after_exp_mapped,
 *	release_err, final_exp_attach
 *   dbr_rdma import --fd FD [--pci DDDD:BB:SS.F] VARIANT
 *	import the dma-buf FD (inherited, e.g. dbr_vfio's DBR_VFIO_BUF_FD)
 *	with the PCI device as DMA device; the import stays until release.
 *	Keys: import_err, id, before_*
 *   dbr_rdma status [--pfx P] ID
 *	P_exp, P_dev, P_mapped, P_pinned, P_revokes (revoke callbacks seen),
 *	P_revoked (where the revocable import exists); P is "after" unless set
 *   dbr_rdma release ID
 *	release_err
 *
 * VARIANT: pinned (ib_umem_dmabuf_get_pinned) | revocable
 * (ib_umem_dmabuf_get_pinned_revocable_and_lock). Errors are errno names,
 * 0 for success. Exit 0 if the scenario could be driven whatever its
 * outcome, 2 on a usage or setup error (with a message on stderr).
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

#include "dmabuf_revoke_exporter.h"
#include "dbr_util.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_rdma exp VARIANT [--revoke]\n"
		"       dbr_rdma import --fd FD [--pci DDDD:BB:SS.F] VARIANT\n"
		"       dbr_rdma status [--pfx P] ID | release ID\n"
		"VARIANT: pinned | revocable\n");
	return 2;
}

static int open_dev(const char *path, const char *module)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s (modprobe %s)", path, strerror(errno), module);
	return fd;
}

/* One command to the module; its result in @res. 0 or errno. */
static int rdma_cmd(char *res, size_t size, const char *fmt, ...)
{
	char cmd[96];
	va_list ap;
	ssize_t n;
	int fd, err = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open_dev("/dev/dmabuf_revoke_rdma", "dmabuf_revoke_rdma");
	res[0] = '\0';
	if (write(fd, cmd, strlen(cmd)) < 0) {
		err = errno;
	} else {
		n = read(fd, res, size - 1);
		res[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return err;
}

/* "k=v k=v ..." of status as PFX_k=v lines. */
static void status(const char *pfx, unsigned int id)
{
	char res[256], *tok, *save = NULL;
	int err = rdma_cmd(res, sizeof(res), "status %u", id);

	if (err) {
		printf("%s_status=%s\n", pfx, ename(err));
		return;
	}
	for (tok = strtok_r(res, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		printf("%s_%s\n", pfx, tok);
}

/* Import @fd: the id, or 0 with import_err printed. */
static unsigned int import(int fd, const char *variant, const char *bdf)
{
	char res[64];
	unsigned int id = 0;
	int err = rdma_cmd(res, sizeof(res), "import %d %ld %s%s%s", fd,
			   sysconf(_SC_PAGESIZE), variant, bdf ? " " : "",
			   bdf ? bdf : "");

	printf("import_err=%s\n", ename(err));
	if (err)
		return 0;
	if (sscanf(res, "id=%u", &id) != 1 || !id)
		die("import: unexpected answer '%s'", res);
	printf("id=%u\n", id);
	status("before", id);
	return id;
}

static void release(unsigned int id)
{
	char res[16];

	printf("release_err=%s\n", ename(rdma_cmd(res, sizeof(res), "release %u", id)));
}

static void exp_status(int exp, int buf, const char *pfx)
{
	struct dbr_exp_status st = { .fd = buf };

	if (ioctl(exp, DBR_EXP_STATUS, &st)) {
		printf("%sexp_status=%s\n", pfx, ename(errno));
		return;
	}
	printf("%sexp_attach=%u\n%sexp_mapped=%u\n%sexp_pinned=%u\n", pfx,
	       st.nr_attach, pfx, st.nr_mapped, pfx, st.nr_pinned);
}

static int variant_ok(const char *v)
{
	return !strcmp(v, "pinned") || !strcmp(v, "revocable");
}

static int cmd_exp(int argc, char **argv)
{
	struct dbr_exp_create c = { .size = (__u64)sysconf(_SC_PAGESIZE),
				    .flags = DBR_EXP_GUARDED | DBR_EXP_PIN_CAPABLE };
	struct dbr_exp_revoke r = { .timeout_ms = 200 };
	int exp, revoke = 0;
	unsigned int id;

	if (argc < 1 || argc > 2 || !variant_ok(argv[0]))
		return usage();
	if (argc == 2) {
		if (strcmp(argv[1], "--revoke"))
			return usage();
		revoke = 1;
	}
	exp = open_dev("/dev/dmabuf_revoke_exporter", "dmabuf_revoke_exporter");
	if (ioctl(exp, DBR_EXP_CREATE, &c))
		die("DBR_EXP_CREATE: %s", strerror(errno));
	id = import(c.fd, argv[0], NULL);
	exp_status(exp, c.fd, "");
	if (id && revoke) {
		r.fd = c.fd;
		printf("revoke_err=%s\n", ename(ioctl(exp, DBR_EXP_REVOKE, &r) ? errno : 0));
		printf("revoke_notified=%u\nrevoke_stale=%u\n", r.notified, r.stale);
		status("after", id);
		exp_status(exp, c.fd, "after_");
	}
	if (id)
		release(id);
	exp_status(exp, c.fd, "final_");
	close(c.fd);
	close(exp);
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	const char *bdf = NULL;
	int i, fd = -1;
	char *end;

	for (i = 0; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--fd") && i + 1 < argc - 1) {
			fd = (int)strtol(argv[++i], &end, 10);
			if (*end || fd < 0)
				return usage();
		} else if (!strcmp(argv[i], "--pci") && i + 1 < argc - 1) {
			bdf = argv[++i];
		} else {
			return usage();
		}
	}
	if (fd < 0 || argc < 1 || !variant_ok(argv[argc - 1]))
		return usage();
	import(fd, argv[argc - 1], bdf);
	return 0;
}

static unsigned int parse_id(const char *s)
{
	char *end;
	unsigned long id = strtoul(s, &end, 10);

	if (*end || !id || id > 0xffffffffUL)
		die("'%s' is not an import id", s);
	return (unsigned int)id;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "exp"))
		return cmd_exp(argc - 2, argv + 2);
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 2, argv + 2);
	if (!strcmp(argv[1], "status") && argc == 3) {
		status("after", parse_id(argv[2]));
		return 0;
	}
	if (!strcmp(argv[1], "status") && argc == 5 && !strcmp(argv[2], "--pfx")) {
		status(argv[3], parse_id(argv[4]));
		return 0;
	}
	if (!strcmp(argv[1], "release") && argc == 3) {
		release(parse_id(argv[2]));
		return 0;
	}
	return usage();
}
