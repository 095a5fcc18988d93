// SPDX-License-Identifier: GPL-2.0
/* dmabuf-revokectl: messages and the option parsing every command shares. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG "%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

bool shim_loaded(const struct ctx *c)
{
	char p[512];

	return !path_of(c, p, sizeof(p), P_PARAMS "/policy") && path_exists(p);
}

int require_shim(const struct ctx *c)
{
	if (shim_loaded(c))
		return EXIT_OK;
	err_msg(MOD_SHIM " is not loaded (run '" PROG " enable')");
	return EXIT_UNAVAIL;
}

int parse_common(struct ctx *c, int argc, char **argv, const char *help,
		 bool json_ok, bool *prometheus)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 0;	/* glibc: full re-initialisation for this argv */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "hj", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case 'j':
			if (!json_ok)
				return usage_error(argv[0], "'%s' has no --json output", argv[0]);
			c->json = true;
			break;
		case 'P':
			if (prometheus) {
				*prometheus = true;
				break;
			}
			__attribute__((fallthrough));
		default:
			return usage_error(argv[0], "%s: unknown option '%s'", argv[0],
					   argv[optind - 1]);
		}
	}
	if (prometheus && *prometheus && c->json)
		return usage_error(argv[0], "%s: --json and --prometheus exclude each other: pick one output format",
				   argv[0]);
	return -1;
}
