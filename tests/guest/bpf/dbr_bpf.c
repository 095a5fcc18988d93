// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_bpf: run a command while BPF fentry/fexit programs sit on the dma-buf
 * attach entry points that the shim's kprobes redirect, and assert what the
 * programs saw (suite 74-interference).
 *
 *   dbr_bpf [-e] [-x] [-a] [--cmd-rc N] [--want KEY=VALUE|KEY>=N]... -- CMD [ARG...]
 *	-e  fentry/dma_buf_dynamic_attach (PROG fentry_dyn)
 *	-x  fexit/dma_buf_dynamic_attach (PROG fexit_dyn)
 *	-a  fexit/dma_buf_attach (PROG fexit_att)
 *	--cmd-rc N  CMD must exit N (default 0)
 *	--want      repeatable; KEY is PROG_runs for any loaded program and,
 *		    for the fexit ones, PROG_eopnotsupp, PROG_err, PROG_ok (how
 *		    many returns were ERR_PTR(-EOPNOTSUPP), any ERR_PTR, an
 *		    attachment), PROG_last (the last return value: a number, or
 *		    an errno name for its ERR_PTR) and PROG_last_err (its errno
 *		    name, 0 if it was not an ERR_PTR). ">=" only on the counts.
 *
 * Exit 0 iff the programs loaded and attached, CMD exited as wanted and
 * every --want held; 1 otherwise, each miss on stderr (got vs want); 2 on a
 * usage error. What the programs saw goes to stderr as a "# " diagnostic.
 *
 * The BPF object is built in (.incbin of DBR_BPF_OBJ), so the guest needs
 * only this one file; /sys/kernel/btf/vmlinux gives the attach targets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
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
#include "../bin/dbr_util.h"

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
	const char *name;	/* the program's name, in the object and in KEYs */
	int fexit;
} progs[DBR_BPF_NPROGS] = {
	[DBR_BPF_FENTRY_DYN] = { "fentry_dyn", 0 },
	[DBR_BPF_FEXIT_DYN] = { "fexit_dyn", 1 },
	[DBR_BPF_FEXIT_ATT] = { "fexit_att", 1 },
};

/* What a KEY reads of a program's slot. */
enum field { K_RUNS, K_EOPNOTSUPP, K_ERR, K_OK, K_LAST, K_LAST_ERR, K_NFIELDS };

static const struct {
	const char *suffix;
	int fexit;	/* fexit programs only */
	int count;	/* a count: ">=" allowed */
} fields[K_NFIELDS] = {
	[K_RUNS] = { "runs", 0, 1 },
	[K_EOPNOTSUPP] = { "eopnotsupp", 1, 1 },
	[K_ERR] = { "err", 1, 1 },
	[K_OK] = { "ok", 1, 1 },
	[K_LAST] = { "last", 1, 0 },
	[K_LAST_ERR] = { "last_err", 1, 0 },
};

#define DBR_MAX_WANTS 16

static struct want {
	const char *arg;	/* as given, for the miss message */
	int prog;
	enum field field;
	int ge;			/* ">=", else "=" */
	long long value;
} wants[DBR_MAX_WANTS];
static int nwants;

static int usage(void)
{
	fprintf(stderr,
		"usage: dbr_bpf [-e] [-x] [-a] [--cmd-rc N] [--want KEY=VALUE|KEY>=N]... -- CMD [ARG...]\n"
		"  -e fentry/dma_buf_dynamic_attach (fentry_dyn)\n"
		"  -x fexit/dma_buf_dynamic_attach (fexit_dyn)  -a fexit/dma_buf_attach (fexit_att)\n"
		"  KEY: PROG_runs; fexit PROGs also PROG_eopnotsupp, _err, _ok, _last, _last_err\n");
	return 2;
}

/* The errno that the ERR_PTR @v stands for, or 0 if @v is not one. */
static int err_of(long long v)
{
	return v < 0 && v >= -4095 ? (int)-v : 0;
}

/* A whole number (decimal, or 0x... hex as the kernel's unsigned long). */
static int parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	if (!strncmp(s, "0x", 2))
		*v = (long long)strtoull(s, &end, 16);
	else
		*v = strtoll(s, &end, 10);
	return *s && !*end && !errno ? 0 : -1;
}

/* KEY=VALUE or KEY>=N (for a program in @loaded); dies with exit 2 if bad. */
static void parse_want(const char *arg, const int *loaded)
{
	const char *op = strchr(arg, '=');
	struct want *w = &wants[nwants];
	char key[64];
	size_t klen;
	int p, f, e;

	if (nwants == DBR_MAX_WANTS)
		die("more than %d --want", DBR_MAX_WANTS);
	if (!op || op == arg)
		die("--want %s: not KEY=VALUE or KEY>=N", arg);
	w->arg = arg;
	w->ge = op[-1] == '>';
	klen = op - arg - w->ge;
	if (!klen || klen >= sizeof(key))
		die("--want %s: no KEY", arg);
	memcpy(key, arg, klen);
	key[klen] = '\0';
	for (p = 0; p < DBR_BPF_NPROGS; p++) {
		size_t n = strlen(progs[p].name);

		if (strncmp(key, progs[p].name, n) || key[n] != '_')
			continue;
		for (f = 0; f < K_NFIELDS; f++)
			if (!strcmp(key + n + 1, fields[f].suffix))
				break;
		if (f == K_NFIELDS || (fields[f].fexit && !progs[p].fexit))
			die("--want %s: %s has no %s", arg, progs[p].name, key + n + 1);
		if (!loaded[p])
			die("--want %s: %s is not loaded (-e/-x/-a)", arg, progs[p].name);
		break;
	}
	if (p == DBR_BPF_NPROGS)
		die("--want %s: unknown KEY %s", arg, key);
	if (w->ge && !fields[f].count)
		die("--want %s: >= only on a count", arg);
	w->prog = p;
	w->field = f;
	/* An errno name: the ERR_PTR for _last, the errno for _last_err. */
	e = parse_errno(++op);
	if (f == K_LAST && e > 0)
		w->value = -e;
	else if (f == K_LAST_ERR && e >= 0)
		w->value = e;
	else if (f == K_LAST_ERR || parse_ll(op, &w->value) || (f != K_LAST && w->value < 0))
		die("--want %s: %s is not %s", arg, op,
		    f == K_LAST ? "a number or an errno name" :
		    f == K_LAST_ERR ? "0 or an errno name" : "a count");
	nwants++;
}

static long long field_of(const struct dbr_bpf_counts *c, int p, enum field f)
{
	switch (f) {
	case K_RUNS:
		return (long long)c->runs[p];
	case K_EOPNOTSUPP:
		return (long long)c->eopnotsupp[p];
	case K_ERR:
		return (long long)c->err[p];
	case K_OK:
		return (long long)c->ok[p];
	case K_LAST:
		return c->last[p];
	default:
		return err_of(c->last[p]);
	}
}

/* @v as the shell wrote it: "0xffffffffffffffa1 (EOPNOTSUPP)", a name, a count. */
static const char *show(enum field f, long long v, char *buf, size_t size)
{
	if (f == K_LAST)
		snprintf(buf, size, "0x%llx (%s)", (unsigned long long)v, ename(err_of(v)));
	else if (f == K_LAST_ERR)
		snprintf(buf, size, "%s", ename((int)v));
	else
		snprintf(buf, size, "%lld", v);
	return buf;
}

/* The wants that @c misses, each on stderr; how many. */
static int misses(const struct dbr_bpf_counts *c)
{
	char got[64], want[64];
	int i, n = 0;

	for (i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		long long v = field_of(c, w->prog, w->field);

		if (w->ge ? v >= w->value : v == w->value)
			continue;
		fprintf(stderr, "dbr_bpf: --want %s: got %s, want %s%s\n", w->arg,
			show(w->field, v, got, sizeof(got)), w->ge ? ">=" : "",
			show(w->field, w->value, want, sizeof(want)));
		n++;
	}
	return n;
}

/* libbpf's own warnings go to stderr: they say why a load failed. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int failed(const char *step, const char *prog, int err)
{
	fflush(stdout);
	fprintf(stderr, "dbr_bpf: %s%s%s failed: %s\n", step, prog ? " " : "", prog ? prog : "",
		ename(err));
	return 1;
}

static int run_cmd(char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
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
	static const struct option lopts[] = {
		{ "want", required_argument, NULL, 'w' },
		{ "cmd-rc", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = "dbr_attach_trace");
	struct bpf_link *links[DBR_BPF_NPROGS] = { 0 };
	int loaded[DBR_BPF_NPROGS] = { 0 }, any = 0, i, c, rc, key = 0, err, bad = 0;
	const char *want_args[DBR_MAX_WANTS];
	struct dbr_bpf_counts counts;
	struct bpf_object *obj;
	struct bpf_map *map;
	long long cmd_rc = 0;
	int nargs = 0;

	while ((c = getopt_long(argc, argv, "+exa", lopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			loaded[DBR_BPF_FENTRY_DYN] = any = 1;
			break;
		case 'x':
			loaded[DBR_BPF_FEXIT_DYN] = any = 1;
			break;
		case 'a':
			loaded[DBR_BPF_FEXIT_ATT] = any = 1;
			break;
		case 'w':
			if (nargs == DBR_MAX_WANTS)
				die("more than %d --want", DBR_MAX_WANTS);
			want_args[nargs++] = optarg;
			break;
		case 'r':
			if (parse_ll(optarg, &cmd_rc) || cmd_rc < 0 || cmd_rc > 255)
				die("--cmd-rc %s: not an exit status (0-255)", optarg);
			break;
		default:
			return usage();
		}
	}
	if (!any || optind >= argc)
		return usage();
	/* After the options: a --want may name a program given after it. */
	for (i = 0; i < nargs; i++)
		parse_want(want_args[i], loaded);

	libbpf_set_print(print_libbpf);
	obj = bpf_object__open_mem(dbr_bpf_obj, dbr_bpf_obj_end - dbr_bpf_obj, &oopts);
	if (!obj)
		return failed("open", NULL, errno);
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i].name);

		if (!p)
			return failed("find_program", progs[i].name, ENOENT);
		bpf_program__set_autoload(p, loaded[i]);
	}
	err = bpf_object__load(obj);
	if (err)
		return failed("load", NULL, -err);
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		if (!loaded[i])
			continue;
		links[i] = bpf_program__attach(bpf_object__find_program_by_name(obj,
										progs[i].name));
		if (!links[i])
			return failed("attach", progs[i].name, errno);
	}
	map = bpf_object__find_map_by_name(obj, "dbr_counts");
	if (!map || bpf_map__value_size(map) != sizeof(counts))
		return failed("map", NULL, ENOENT);

	rc = run_cmd(argv + optind);

	/* Read while still attached, then detach: the counts are final. */
	memset(&counts, 0, sizeof(counts));
	err = bpf_map__lookup_elem(map, &key, sizeof(key), &counts, sizeof(counts), 0);
	for (i = 0; i < DBR_BPF_NPROGS; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	if (err)
		return failed("reading the counts", NULL, -err);
	for (i = 0; i < DBR_BPF_NPROGS; i++) {
		char last[64];

		if (!loaded[i])
			continue;
		if (!progs[i].fexit) {
			fprintf(stderr, "# dbr_bpf: %s: runs=%llu\n", progs[i].name,
				(unsigned long long)counts.runs[i]);
			continue;
		}
		fprintf(stderr, "# dbr_bpf: %s: runs=%llu last=%s eopnotsupp=%llu err=%llu ok=%llu\n",
			progs[i].name, (unsigned long long)counts.runs[i],
			show(K_LAST, counts.last[i], last, sizeof(last)),
			(unsigned long long)counts.eopnotsupp[i],
			(unsigned long long)counts.err[i], (unsigned long long)counts.ok[i]);
	}
	if (rc != cmd_rc) {
		fprintf(stderr, "dbr_bpf: %s exited %d, want %lld\n", argv[optind], rc, cmd_rc);
		bad = 1;
	}
	if (misses(&counts))
		bad = 1;
	return bad;
}
