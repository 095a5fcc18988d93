/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf-revokectl: shared declarations. Every command gets a struct ctx
 * (the options and the sysfs root); nothing else is global.
 */
#ifndef DMABUF_REVOKECTL_CLI_H
#define DMABUF_REVOKECTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifndef DMABUF_REVOKE_VERSION
#error "DMABUF_REVOKE_VERSION must come from dkms.conf (see src/cli/Makefile)"
#endif

#define PROG "dmabuf-revokectl"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes (documented in --help and dmabuf-revokectl(8)). */
enum {
	EXIT_OK = 0,		/* success */
	EXIT_FAIL = 1,		/* the operation failed (or a selftest case) */
	EXIT_USAGE = 2,		/* bad command, option or value: nothing done */
	EXIT_UNAVAIL = 3,	/* module not loaded / not installed / no kernel support */
};

/* Module names. */
#define MOD_SHIM	"dmabuf_revoke"
#define MOD_EXPORTER	"dmabuf_revoke_exporter"
#define MOD_IMPORTER	"dmabuf_revoke_importer"
#define MOD_LIVEPATCH	"dmabuf_revoke_livepatch"

/* Paths below the root prefix ($DMABUF_REVOKE_SYSROOT). */
#define P_PARAMS	"/sys/module/" MOD_SHIM "/parameters"
#define P_STATE		"/sys/kernel/dmabuf_revoke"
#define P_DEBUGFS	"/sys/kernel/debug/dmabuf_revoke"
#define P_DEBUGFS_ROOT	"/sys/kernel/debug"
#define P_LIVEPATCH	"/sys/kernel/livepatch"
#define P_LOCKDOWN	"/sys/kernel/security/lockdown"
#define P_DEV_EXPORTER	"/dev/dmabuf_revoke_exporter"
#define P_DEV_IMPORTER	"/dev/dmabuf_revoke_importer"

struct kmod_ctx;

struct ctx {
	const char *sysroot;	/* "" for the real system */
	bool json;		/* --json */
	struct kmod_ctx *kmod;	/* opened on first use (kmodule.c) */
};

/* sysfs.c: paths under the root prefix */
int path_of(const struct ctx *c, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* sysfs.c: one value per file; trailing newline removed. 0 or -errno. */
int read_value(const char *path, char *buf, size_t size);
int write_value(const char *path, const char *value);
bool path_exists(const char *path);
int ctx_read(const struct ctx *c, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* util.c */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool shim_loaded(const struct ctx *c);
int require_shim(const struct ctx *c);
/*
 * Options every command takes: -h/--help, -j/--json if @json_ok, and
 * --prometheus where @prometheus is not NULL (status). Returns -1 to go on
 * (optind at the first operand), else an exit code.
 */
int parse_common(struct ctx *c, int argc, char **argv, const char *help,
		 bool json_ok, bool *prometheus);

/* cmd_knobs.c: write a knob (module parameter), explaining a failure. */
int knob_set(const struct ctx *c, const char *knob, const char *value);
/* A comma-separated knob, one entry a line (or a JSON list under --json). */
int knob_list_show(const struct ctx *c, const char *knob);

/* Commands: each parses its own argv (argv[0] is the command name). */
int cmd_status(struct ctx *c, int argc, char **argv);
int cmd_enable(struct ctx *c, int argc, char **argv);
int cmd_disable(struct ctx *c, int argc, char **argv);
int cmd_policy(struct ctx *c, int argc, char **argv);
int cmd_strict(struct ctx *c, int argc, char **argv);
int cmd_deny(struct ctx *c, int argc, char **argv);
int cmd_allow(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);
int cmd_learned(struct ctx *c, int argc, char **argv);
int cmd_selftest(struct ctx *c, int argc, char **argv);
int cmd_events(struct ctx *c, int argc, char **argv);

#endif
