// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_bpf: run a command while BPF fentry/fexit programs sit on the dma-buf
 * attach entry points that the shim's kprobes redirect, and say what the
 * programs saw, as key=value lines (the suites' kv helper reads them).
 *
 *   dbr_bpf [-e] [-x] [-a] -- CMD [ARG...]
 *	-e  fentry/dma_buf_dynamic_attach
 *	-x  fexit/dma_buf_dynamic_attach
 *	-a  fexit/dma_buf_attach
 *
 * Prints bpf_load=0 (or the errno name and bpf_load_step= where it failed),
 * then CMD's own output, then bpf_cmd_rc= and for each program
 * bpf_<prog>_runs=, and for the fexit ones bpf_<prog>_last= (the last
 * return value, hex), bpf_<prog>_last_err= (its errno name, 0 if it was
 * not an ERR_PTR), bpf_<prog>_eopnotsupp=, bpf_<prog>_err=, bpf_<prog>_ok=.
 * Exit 0 if the programs were attached and CMD ran (whatever CMD's exit
 * status), 1 if loading or attaching failed, 2 on a usage error.
 *
 * The BPF object is built in (.incbin of DBR_BPF_OBJ), so the guest needs
 * only this one file; /sys/kernel/btf/vmlinux gives the attach targets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "dbr_bpf.h"

#ifndef DBR_BPF_OBJ
#error "DBR_BPF_OBJ: path of the compiled BPF object"
#endif

__asm__(".section .rodata\n"
	".balign 8\n"
	".global dbr_bpf_obj\n"
	"dbr_bpf_obj:\n"
	".incbin \"" DBR_BPF_OBJ "\"\n"
	".global dbr_bpf_obj_end\n"
	"dbr_bpf_obj_end:\n"
	".previous\n");
extern const char dbr_bpf_obj[], dbr_bpf_obj_end[];

static const struct {
	const char *prog;	/* the program's name in the object */
	const char *key;	/* its name in our output */
	int fexit;
} progs[DBR_BPF_NPROGS] = {
	[DBR_BPF_FENTRY_DYN] = { "fentry_dyn", "fentry_dyn", 0 },
	[DBR_BPF_FEXIT_DYN] = { "fexit_dyn", "fexit_dyn", 1 },
	[DBR_BPF_FEXIT_ATT] = { "fexit_att", "fexit_att", 1 },
};

static const char *ename(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "?";
}

/* libbpf's own warnings go to stderr: they say why a load failed. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int usage(void)
{
	fprintf(stderr, "usage: dbr_bpf [-e] [-x] [-a] -- CMD [ARG...]\n"
		"  -e fentry/dma_buf_dynamic_attach  -x fexit/dma_buf_dynamic_attach\n"
		"  -a fexit/dma_buf_attach\n");
	return 2;
}

static int failed(const char *step, int err)
{
	printf("bpf_load=%s\nbpf_load_step=%s\n", ename(err), step);
	fflush(stdout);
	return 1;
}

static int run_cmd(char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "dbr_bpf: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "dbr_attach_trace");
	struct bpf_link *links[DBR_BPF_NPROGS] = { 0 };
	int want[DBR_BPF_NPROGS] = { 0 }, any = 0, i, c, rc, key = 0, err;
	struct dbr_bpf_counts counts;
	struct bpf_object *obj;
	struct bpf_map *map;

	while ((c = getopt(argc, argv, "+exa")) != -1) {
		switch (c) {
		case 'e':
			want[DBR_BPF_FENTRY_DYN] = any = 1;
			break;
		case 'x':
			want[DBR_BPF_FEXIT_DYN] = any = 1;
			break;
		case 'a':
			want[DBR_BPF_FEXIT_ATT] = any = 1;
			break;
		default:
			return usage();
		}
	}
	if (!any || optind >= argc)
		return usage();

	libbpf_set_print(print_libbpf);
	obj = bpf_object__open_mem(dbr_bpf_obj, dbr_bpf_obj_end - dbr_bpf_obj, &oopts);
	if (!obj)
		return failed("open", errno);
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i].prog);

		if (!p)
			return failed("find_program", ENOENT);
		bpf_program__set_autoload(p, want[i]);
	}
	err = bpf_object__load(obj);
	if (err)
		return failed("load", -err);
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		if (!want[i])
			continue;
		links[i] = bpf_program__attach(bpf_object__find_program_by_name(obj, progs[i].prog));
		if (!links[i]) {
			char step[64];

			snprintf(step, sizeof(step), "attach_%s", progs[i].key);
			return failed(step, errno);
		}
	}
	map = bpf_object__find_map_by_name(obj, "dbr_counts");
	if (!map || bpf_map__value_size(map) != sizeof(counts))
		return failed("map", ENOENT);
	printf("bpf_load=0\n");

	rc = run_cmd(argv + optind);

	/* Read while still attached, then detach: the counts are final. */
	memset(&counts, 0, sizeof(counts));
	err = bpf_map__lookup_elem(map, &key, sizeof(key), &counts, sizeof(counts), 0);
	for (i = 0; i < DBR_BPF_NPROGS; i++)
		bpf_link__destroy(links[i]);
	printf("bpf_cmd_rc=%d\n", rc);
	if (err) {
		printf("bpf_read=%s\n", ename(-err));
		bpf_object__close(obj);
		return 1;
	}
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		long long last = counts.last[i];

		if (!want[i])
			continue;
		printf("bpf_%s_runs=%llu\n", progs[i].key, (unsigned long long)counts.runs[i]);
		if (!progs[i].fexit)
			continue;
		printf("bpf_%s_last=0x%llx\n", progs[i].key, (unsigned long long)last);
		printf("bpf_%s_last_err=%s\n", progs[i].key,
		       last < 0 && last >= -4095 ? ename((int)-last) : "0");
		printf("bpf_%s_eopnotsupp=%llu\nbpf_%s_err=%llu\nbpf_%s_ok=%llu\n",
		       progs[i].key, (unsigned long long)counts.eopnotsupp[i],
		       progs[i].key, (unsigned long long)counts.err[i],
		       progs[i].key, (unsigned long long)counts.ok[i]);
	}
	bpf_object__close(obj);
	return 0;
}
