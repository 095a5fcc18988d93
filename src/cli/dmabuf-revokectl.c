// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl: load, configure and inspect the dmabuf-revoke modules.
 * Global options, then one command; each command parses its own options
 * (cmd_*.c). See dmabuf-revokectl(8).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kmodule.h"

static const char help_text[] =
	"Usage: " PROG " [--json] COMMAND [ARGS...]\n"
	"       " PROG " COMMAND --help\n"
	"\n"
	"Load, configure and inspect dmabuf-revoke, which refuses dma-buf importers\n"
	"that cannot be revoked.\n"
	"\n"
	"Commands:\n"
	"  status [--prometheus]      modules, policy, hook, counters (or as metrics)\n"
	"  enable [--policy P] [--strict] [--backend kprobe|livepatch]\n"
	"                             load dmabuf_revoke (or apply P if loaded)\n"
	"  disable [--timeout SEC]    unload the livepatch and dmabuf_revoke\n"
	"  policy get | set off|audit|enforce\n"
	"  strict get | set Y|N\n"
	"  deny list | add ENTRY... | del ENTRY... | clear\n"
	"  allow list | add ENTRY... | del ENTRY... | clear\n"
	"                             ENTRY: NAME, sym:NAME (callback symbol), mod:NAME\n"
	"  list                       guarded buffers and their attachments (debugfs)\n"
	"  selftest                   run the exporter/importer scenario (test modules)\n"
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (status, policy get, strict get, deny/allow list, list)\n"
	"  -h, --help     this help; COMMAND --help for a command's\n"
	"  -V, --version  print the version\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed (the kernel refused it, or a selftest case failed)\n"
	"  2  usage error: unknown command or option, invalid value; nothing was changed\n"
	"  3  not available: dmabuf_revoke not loaded, module not installed for this\n"
	"     kernel, or a kernel feature (livepatch, debugfs) missing\n"
	"\n"
	"Environment:\n"
	"  DMABUF_REVOKE_SYSROOT  prefix for /sys, /dev, debugfs and /lib/modules\n"
	"                         (tests); when set, no module is loaded or removed\n";

struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "status", cmd_status },
	{ "enable", cmd_enable },
	{ "disable", cmd_disable },
	{ "policy", cmd_policy },
	{ "strict", cmd_strict },
	{ "deny", cmd_deny },
	{ "allow", cmd_allow },
	{ "list", cmd_list },
	{ "selftest", cmd_selftest },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Global options; returns -1 to go on with the command at optind. */
static int parse_global(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "+hVj", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			printf(PROG " " DMABUF_REVOKE_VERSION "\n");
			return EXIT_OK;
		case 'j':
			c->json = true;
			break;
		default:
			return usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctx c = { .sysroot = getenv("DMABUF_REVOKE_SYSROOT") };
	const struct command *cmd;
	int ret;

	if (!c.sysroot)
		c.sysroot = "";
	ret = parse_global(&c, argc, argv);
	if (ret >= 0)
		goto out;
	if (optind >= argc) {
		ret = usage_error(NULL, "no command given");
		goto out;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		ret = usage_error(NULL, "unknown command '%s'", argv[optind]);
		goto out;
	}
	ret = cmd->fn(&c, argc - optind, argv + optind);
out:
	kmod_release(&c);
	if (fflush(stdout) && ret == EXIT_OK)
		ret = EXIT_FAIL;
	return ret;
}
