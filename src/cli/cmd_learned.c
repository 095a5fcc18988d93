// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl learned: the importer callbacks the shim's watchdog saw
 * ignoring a revoke (the learned parameter; learn= says what they become).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"


static const char learned_help[] =
	"Usage: " PROG " learned list [--json]\n"
	"       " PROG " learned clear\n"
	"\n"
	"Importer callbacks the stale-mapping watchdog saw ignoring a revoke\n"
	"(still mapped stale_timeout_ms after it began), as \"symbol [module]\".\n"
	"What they become is the learn knob: off (nothing learned or applied),\n"
	"audit (logged, attaches audited as 'would deny (learned)'), deny (refused\n"
	"under enforce). An entry stays until cleared or its module unloads.\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused, 2 usage error, 3 dmabuf_revoke not loaded\n"
	"(or a kernel without learning).\n";

int cmd_learned(struct ctx *c, int argc, char **argv)
{
	int ret = parse_common(c, argc, argv, learned_help, true, NULL);
	const char *sub;

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return usage_error("learned", "learned: missing 'list' or 'clear'");
	sub = argv[optind++];
	if (strcmp(sub, "list") && strcmp(sub, "clear"))
		return usage_error("learned", "learned: unknown subcommand '%s' (want list, clear)",
				   sub);
	if (optind < argc)
		return usage_error("learned", "learned %s: unexpected '%s'", sub, argv[optind]);
	if (!strcmp(sub, "list"))
		return knob_list_show(c, "learned");
	if (c->json)
		return usage_error("learned", "learned clear has no --json output");
	ret = require_shim(c);
	return ret ? ret : knob_set(c, "learned", "");
}
