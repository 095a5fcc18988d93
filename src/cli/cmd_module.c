// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl enable | disable: load and remove the shim (and the
 * livepatch backend) through libkmod, explaining failures in words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dmabuf_revoke_core.h"
#include "explain.h"
#include "kmodule.h"

#define DEFAULT_TIMEOUT 30
#define MAX_TIMEOUT 3600

static const char enable_help[] =
	"Usage: " PROG " enable [--policy off|audit|enforce] [--strict]\n"
	"                        [--backend kprobe|livepatch]\n"
	"\n"
	"Load dmabuf_revoke with the given policy (module parameters; options in\n"
	"/etc/modprobe.d apply too). If it is loaded already, apply --policy and\n"
	"--strict through sysfs. --backend livepatch also loads\n"
	MOD_LIVEPATCH " (needs CONFIG_LIVEPATCH); kprobe (default) does not.\n"
	"\n"
	"Options:\n"
	"  -p, --policy P     off, audit or enforce (module default: enforce)\n"
	"  -s, --strict       only explicitly allowed importers pass\n"
	"  -b, --backend B    kprobe (default) or livepatch\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused (signature, lockdown, parameters),\n"
	"2 usage error, 3 module not installed for this kernel or no livepatch support.\n";

static const char disable_help[] =
	"Usage: " PROG " disable [--timeout SECONDS]\n"
	"\n"
	"Disable and remove " MOD_LIVEPATCH " if loaded (write 0 to enabled,\n"
	"wait for the transition to finish), then remove dmabuf_revoke.\n"
	"Nothing loaded is not an error.\n"
	"\n"
	"Options:\n"
	"  -t, --timeout SEC  wait at most SEC seconds for the livepatch transition\n"
	"                     (default 30)\n"
	"  -h, --help         this help\n"
	"\n"
	"Exit: 0 ok (or nothing loaded), 1 failed (in use, transition timed out),\n"
	"2 usage error.\n";

struct enable_opts {
	const char *policy;	/* NULL: leave as it is */
	bool strict;
	bool livepatch;
};

static int parse_enable(int argc, char **argv, struct enable_opts *o)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "strict", no_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum dbr_policy p;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:sb:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (dbr_policy_parse(optarg, &p) || strchr(optarg, '\n'))
				return usage_error("enable", "enable: policy '%s' is not one of "
						   "off, audit, enforce", optarg);
			o->policy = dbr_policy_name(p);
			break;
		case 's':
			o->strict = true;
			break;
		case 'b':
			if (strcmp(optarg, "kprobe") && strcmp(optarg, "livepatch"))
				return usage_error("enable", "enable: backend '%s' is not kprobe "
						   "or livepatch", optarg);
			o->livepatch = !strcmp(optarg, "livepatch");
			break;
		case 'h':
			fputs(enable_help, stdout);
			return EXIT_OK;
		case ':':
			return usage_error("enable", "enable: '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("enable", "enable: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("enable", "enable: unexpected '%s'", argv[optind]);
	return -1;
}

static int load(struct ctx *c, const char *name, const char *options)
{
	char msg[EXPLAIN_MAX];
	int ret = module_load(c, name, options);

	if (!ret)
		return EXIT_OK;
	ret = explain_load(c, name, -ret, msg, sizeof(msg));
	err_msg("%s", msg);
	return ret;
}

static int unload(struct ctx *c, const char *name)
{
	char msg[EXPLAIN_MAX];
	int ret = module_unload(c, name);

	if (!ret)
		return EXIT_OK;
	ret = explain_unload(c, name, -ret, msg, sizeof(msg));
	err_msg("%s", msg);
	return ret;
}

static int apply_loaded(const struct ctx *c, const struct enable_opts *o)
{
	int ret = EXIT_OK;

	if (o->policy)
		ret = knob_set(c, "policy", o->policy);
	if (!ret && o->strict)
		ret = knob_set(c, "strict", "Y");
	if (!ret)
		printf(MOD_SHIM ": already loaded%s\n",
		       o->policy || o->strict ? "; policy applied" : "");
	return ret;
}

static void print_enabled(const struct ctx *c)
{
	char pol[16] = "-", strict[4] = "-", hook[128] = "-";

	ctx_read(c, pol, sizeof(pol), P_PARAMS "/policy");
	ctx_read(c, strict, sizeof(strict), P_PARAMS "/strict");
	if (ctx_read(c, hook, sizeof(hook), P_STATE "/hook/state"))
		snprintf(hook, sizeof(hook), "-");
	printf("enabled: policy=%s strict=%s hook=%s\n", pol, strict, hook);
}

int cmd_enable(struct ctx *c, int argc, char **argv)
{
	struct enable_opts o = { .policy = NULL };
	char opts[96], lp[EXPLAIN_MAX], backend[16] = "";
	bool loaded_shim = false;
	int ret = parse_enable(argc, argv, &o);

	if (ret >= 0)
		return ret;
	if (c->json)
		return usage_error("enable", "'enable' has no --json output");
	if (o.livepatch && (path_of(c, lp, sizeof(lp), P_LIVEPATCH) || !path_exists(lp))) {
		err_msg("enable: this kernel has no livepatch support (" P_LIVEPATCH
			" missing: CONFIG_LIVEPATCH is off); use --backend kprobe");
		return EXIT_UNAVAIL;
	}
	if (o.livepatch && module_state(c, MOD_LIVEPATCH) == MOD_NOT_LOADED &&
	    module_installed_version(c, MOD_LIVEPATCH, lp, sizeof(lp)) == -ENOENT) {
		/* Say what is missing before touching anything. */
		ret = explain_load(c, MOD_LIVEPATCH, ENOENT, lp, sizeof(lp));
		err_msg("%s", lp);
		return ret;
	}
	if (module_state(c, MOD_SHIM) == MOD_NOT_LOADED) {
		snprintf(opts, sizeof(opts), "%s%s%s%s", o.policy ? "policy=" : "",
			 o.policy ? o.policy : "", o.strict ? " strict=Y" : "",
			 o.livepatch ? " backend=livepatch" : "");
		ret = load(c, MOD_SHIM, opts);
		if (ret)
			return ret;
		loaded_shim = true;
	} else {
		/* The backend is chosen when the shim loads (backend= is 0444). */
		ctx_read(c, backend, sizeof(backend), P_PARAMS "/backend");
		if (o.livepatch && strcmp(backend, "livepatch")) {
			err_msg("enable: " MOD_SHIM " is loaded with backend=%s; run "
				"'dmabuf-revokectl disable' first to switch to livepatch",
				backend[0] ? backend : "?");
			return EXIT_FAIL;
		}
		ret = apply_loaded(c, &o);
		if (ret)
			return ret;
	}
	if (o.livepatch && module_state(c, MOD_LIVEPATCH) == MOD_NOT_LOADED) {
		ret = load(c, MOD_LIVEPATCH, NULL);
		if (ret) {
			if (loaded_shim && module_unload(c, MOD_SHIM))
				err_msg("enable: could not remove " MOD_SHIM " again");
			return ret;
		}
	}
	print_enabled(c);
	return EXIT_OK;
}

static int parse_disable(int argc, char **argv, unsigned int *timeout)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-' || v > MAX_TIMEOUT)
				return usage_error("disable", "disable: timeout '%s' is not a "
						   "number of seconds (0..%d)", optarg, MAX_TIMEOUT);
			*timeout = (unsigned int)v;
			break;
		case 'h':
			fputs(disable_help, stdout);
			return EXIT_OK;
		case ':':
			return usage_error("disable", "disable: '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("disable", "disable: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("disable", "disable: unexpected '%s'", argv[optind]);
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until the livepatch's transition is over (or its directory gone). */
static int wait_transition(const struct ctx *c, unsigned int timeout)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	double end = now() + timeout;
	char v[8];

	for (;;) {
		if (ctx_read(c, v, sizeof(v), P_LIVEPATCH "/" MOD_LIVEPATCH "/transition") ||
		    strcmp(v, "1"))
			return EXIT_OK;
		if (now() >= end)
			break;
		nanosleep(&tick, NULL);
	}
	err_msg("disable: the livepatch transition is still running after %u s (a task "
		"sleeps in a patched function?); see /proc/*/patch_state and retry",
		timeout);
	return EXIT_FAIL;
}

/*
 * A disabled patch holds its module until the kernel frees the patch, from
 * a work item after the transition: its sysfs directory goes then. An
 * rmmod before that fails as in use (seen on slow kernels).
 */
static int wait_patch_freed(const struct ctx *c, unsigned int timeout)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
	double end = now() + timeout;
	char v[8];

	while (!ctx_read(c, v, sizeof(v), P_LIVEPATCH "/" MOD_LIVEPATCH "/enabled")) {
		if (strcmp(v, "0"))
			return EXIT_OK;	/* enabled again by someone: unload says so */
		if (now() >= end) {
			err_msg("disable: the livepatch is disabled but not freed after %u s; retry",
				timeout);
			return EXIT_FAIL;
		}
		nanosleep(&tick, NULL);
	}
	return EXIT_OK;
}

static int disable_livepatch(struct ctx *c, unsigned int timeout)
{
	char path[512], v[8], msg[512];
	int ret;

	if (!ctx_read(c, v, sizeof(v), P_LIVEPATCH "/" MOD_LIVEPATCH "/enabled") &&
	    !strcmp(v, "1")) {
		path_of(c, path, sizeof(path), P_LIVEPATCH "/" MOD_LIVEPATCH "/enabled");
		ret = write_value(path, "0");
		if (ret) {
			ret = explain_write(MOD_LIVEPATCH "/enabled", "0", -ret, msg, sizeof(msg));
			err_msg("disable: %s", msg);
			return ret;
		}
	}
	ret = wait_transition(c, timeout);
	/* Under a fake root nothing frees the patch; unload refuses anyway. */
	if (!ret && !(c->sysroot && *c->sysroot))
		ret = wait_patch_freed(c, timeout);
	if (ret)
		return ret;
	ret = unload(c, MOD_LIVEPATCH);
	if (!ret)
		printf(MOD_LIVEPATCH ": disabled and removed\n");
	return ret;
}

int cmd_disable(struct ctx *c, int argc, char **argv)
{
	unsigned int timeout = DEFAULT_TIMEOUT;
	bool did = false;
	int ret = parse_disable(argc, argv, &timeout);

	if (ret >= 0)
		return ret;
	if (c->json)
		return usage_error("disable", "'disable' has no --json output");
	if (module_state(c, MOD_LIVEPATCH) != MOD_NOT_LOADED) {
		ret = disable_livepatch(c, timeout);
		if (ret)
			return ret;
		did = true;
	}
	if (module_state(c, MOD_SHIM) != MOD_NOT_LOADED) {
		ret = unload(c, MOD_SHIM);
		if (ret)
			return ret;
		printf(MOD_SHIM ": removed\n");
		did = true;
	}
	if (!did)
		printf(MOD_SHIM ": not loaded; nothing to do\n");
	return EXIT_OK;
}
