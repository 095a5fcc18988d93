// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_bench: what the shim's hook costs per attach.
 *
 *   dbr_bench [-n ITERS] [-r ROUNDS] [-m MODE]
 *
 * One operation = DBR_IMP_IMPORT with DBR_IMP_NO_MAP (dma_buf_get +
 * dma_buf_dynamic_attach, through the kprobe) + DBR_IMP_RELEASE (detach +
 * put), on one unguarded test-exporter buffer. Two configurations,
 * interleaved ROUNDS times (ABBA order), ITERS operations each per round:
 *   plain    exporters= without dmabuf_revoke_exporter: the probe fires
 *            and returns at once (exporter not guarded)
 *   guarded  exporters= with it: the probe classifies the importer
 *            (cached), decides, counts
 * The importer is accepted in both (MODE, default stub, under enforce,
 * not strict), so both do the same attach. Prints key=value lines:
 *   iters rounds mode plain_ns_per_op guarded_ns_per_op ratio
 * and restores the policy knobs it touched. Timing is not asserted
 * anywhere; TCG guests are noisy. Exit 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_importer.h"

#define PARAMS "/sys/module/dmabuf_revoke/parameters/"

static const char *const modes[] = { "legacy", "stub", "nocb", "compliant" };

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "dbr_bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int usage(void)
{
	fprintf(stderr, "usage: dbr_bench [-n ITERS] [-r ROUNDS] [-m stub|compliant|nocb]\n");
	return 2;
}

static void param_read(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = read(fd, buf, size - 1);
	if (n < 0)
		die(path);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

static void param_write(const char *name, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	/* An empty list is written as a newline. */
	if (write(fd, *val ? val : "\n", *val ? strlen(val) : 1) < 0)
		die(path);
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ITERS attach+detach; the time taken in ns. */
static uint64_t loop(int imp, int buf, unsigned int mode, unsigned long iters)
{
	uint64_t t0 = now_ns();
	unsigned long i;

	for (i = 0; i < iters; i++) {
		struct dbr_imp_import in = { .fd = buf, .mode = mode,
					     .flags = DBR_IMP_NO_MAP };

		if (ioctl(imp, DBR_IMP_IMPORT, &in))
			die("import (is the importer refused under this policy?)");
		if (ioctl(imp, DBR_IMP_RELEASE, &in.id))
			die("release");
	}
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	unsigned long iters = 2000, rounds = 5, r;
	struct dbr_exp_create c = { .size = 4096, .flags = DBR_EXP_PIN_CAPABLE };
	char exporters[4096], plain[4096], guarded[4200], policy[32], strict[8];
	uint64_t t_plain = 0, t_guarded = 0;
	unsigned int mode = 1;	/* stub */
	int opt, exp, imp;
	double p, g;

	while ((opt = getopt(argc, argv, "n:r:m:")) != -1) {
		switch (opt) {
		case 'n':
			iters = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			for (mode = 0; mode < 4 && strcmp(optarg, modes[mode]); mode++)
				;
			if (mode == 0 || mode == 4)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !iters || !rounds)
		return usage();

	exp = open("/dev/dmabuf_revoke_exporter", O_RDWR | O_CLOEXEC);
	if (exp < 0)
		die("open /dev/dmabuf_revoke_exporter");
	imp = open("/dev/dmabuf_revoke_importer", O_RDWR | O_CLOEXEC);
	if (imp < 0)
		die("open /dev/dmabuf_revoke_importer");
	if (ioctl(exp, DBR_EXP_CREATE, &c))
		die("create");

	param_read("exporters", exporters, sizeof(exporters));
	param_read("policy", policy, sizeof(policy));
	param_read("strict", strict, sizeof(strict));
	param_write("policy", "enforce");
	param_write("strict", "N");
	/* "plain": the list without us; "guarded": with us. */
	{
		char copy[sizeof(exporters)], *tok, *save = NULL;

		plain[0] = '\0';
		memcpy(copy, exporters, sizeof(copy));
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "dmabuf_revoke_exporter"))
				continue;
			if (*plain)
				strcat(plain, ",");
			strcat(plain, tok);
		}
	}
	snprintf(guarded, sizeof(guarded), "%s%sdmabuf_revoke_exporter",
		 plain, *plain ? "," : "");

	/* Warm up both paths (the registry caches the importer's class). */
	param_write("exporters", guarded);
	loop(imp, c.fd, mode, 50);
	param_write("exporters", plain);
	loop(imp, c.fd, mode, 50);

	/* ABBA: which configuration goes first alternates, so drift cancels. */
	for (r = 0; r < rounds; r++) {
		int k;

		for (k = 0; k < 2; k++) {
			if ((k == 0) == (r % 2 == 0)) {
				param_write("exporters", plain);
				t_plain += loop(imp, c.fd, mode, iters);
			} else {
				param_write("exporters", guarded);
				t_guarded += loop(imp, c.fd, mode, iters);
			}
		}
	}

	param_write("exporters", exporters);
	param_write("policy", policy);
	param_write("strict", strict);

	p = (double)t_plain / (double)(iters * rounds);
	g = (double)t_guarded / (double)(iters * rounds);
	printf("iters=%lu\nrounds=%lu\nmode=%s\nplain_ns_per_op=%.0f\n"
	       "guarded_ns_per_op=%.0f\nratio=%.3f\n",
	       iters, rounds, modes[mode], p, g, g / p);
	return 0;
}
