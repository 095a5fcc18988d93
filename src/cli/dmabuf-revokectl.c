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

/*
 * The commands: one table, from which the top-level help and the
 * completion's word lists (--commands) are generated. @words: what may
 * follow the command (subcommands and values), for completion only.
 */
struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *words;
};

static const struct command commands[] = {
	{ "status", cmd_status, "status [--prometheus]",
	  "modules, policy, hook, counters (or as metrics)", "" },
	{ "enable", cmd_enable,
	  "enable [--policy P] [--strict] [--backend kprobe|livepatch]",
	  "load dmabuf_revoke (or apply P if loaded)", "" },
	{ "disable", cmd_disable, "disable [--timeout SEC]",
	  "unload the livepatch and dmabuf_revoke", "" },
	{ "policy", cmd_policy, "policy get | set off|audit|enforce",
	  "the default policy of guarded exporters", "get set off audit enforce" },
	{ "strict", cmd_strict, "strict get | set Y|N",
	  "only allow-listed importers pass", "get set Y N" },
	{ "deny", cmd_deny, "deny list | add ENTRY... | del ENTRY... | clear",
	  "importers refused (ENTRY: NAME, sym:NAME, mod:NAME)",
	  "list add del clear" },
	{ "allow", cmd_allow, "allow list | add ENTRY... | del ENTRY... | clear",
	  "importers accepted (same ENTRY; a deny entry wins)",
	  "list add del clear" },
	{ "learned", cmd_learned, "learned list | clear",
	  "callbacks the watchdog saw ignoring a revoke", "list clear" },
	{ "list", cmd_list, "list",
	  "guarded buffers and their attachments (debugfs)", "" },
	{ "selftest", cmd_selftest, "selftest",
	  "run the exporter/importer scenario (test modules)", "" },
	{ "events", cmd_events, "events [--follow]",
	  "recent verdicts, revokes, unmaps, stale (debugfs)", "" },
};

#define N_COMMANDS ARRAY_SIZE(commands)

static const char help_head[] =
	"Usage: " PROG " [--json] COMMAND [ARGS...]\n"
	"       " PROG " COMMAND --help\n"
	"\n"
	"Load, configure and inspect dmabuf-revoke, which refuses dma-buf importers\n"
	"that cannot be revoked.\n"
	"\n"
	"Commands:\n";

static const char help_tail[] =
	"\n"
	"Options:\n"
	"  -j, --json     JSON output (status, policy get, strict get, deny/allow list,\n"
	"                 learned list, list, events)\n"
	"  -h, --help     this help; COMMAND --help for a command's\n"
	"  -V, --version  print the version\n"
	"      --commands the commands and the words they take, one per line\n"
	"                 (for shell completion)\n"
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

#define SYNOPSIS_WIDTH 26

static void print_help(void)
{
	size_t i;

	fputs(help_head, stdout);
	for (i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];

		/* A synopsis too long for the column gets a line of its own. */
		if (strlen(cmd->synopsis) > SYNOPSIS_WIDTH)
			printf("  %s\n  %-*s %s\n", cmd->synopsis,
			       SYNOPSIS_WIDTH, "", cmd->summary);
		else
			printf("  %-*s %s\n", SYNOPSIS_WIDTH, cmd->synopsis,
			       cmd->summary);
	}
	fputs(help_tail, stdout);
}

static void print_commands(void)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		printf("%s%s%s\n", commands[i].name,
		       *commands[i].words ? " " : "", commands[i].words);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
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
		{ "commands", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "+hVj", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			print_help();
			return EXIT_OK;
		case 'C':
			print_commands();
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
