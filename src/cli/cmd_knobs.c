// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl policy | strict | deny | allow: the shim's module
 * parameters. Values are checked here with the shim's own parser
 * (src/core.c) before anything is written; the kernel checks them again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dmabuf_revoke_core.h"
#include "explain.h"
#include "json.h"

#define LIST_BUF 8192

static const char policy_help[] =
	"Usage: " PROG " policy get [--json]\n"
	"       " PROG " policy set off|audit|enforce\n"
	"\n"
	"What dmabuf_revoke does with an importer that cannot be revoked:\n"
	"  off      allow it, count nothing\n"
	"  audit    allow it, count and log it\n"
	"  enforce  refuse the attach (EOPNOTSUPP)\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused, 2 usage error, 3 dmabuf_revoke not loaded.\n";

static const char strict_help[] =
	"Usage: " PROG " strict get [--json]\n"
	"       " PROG " strict set Y|N\n"
	"\n"
	"Y: only explicitly allowed (allow list or registered) importers pass;\n"
	"having a revocation callback is not enough.\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused, 2 usage error, 3 dmabuf_revoke not loaded.\n";

static const char deny_help[] =
	"Usage: " PROG " deny list [--json]\n"
	"       " PROG " deny add ENTRY...\n"
	"       " PROG " deny del ENTRY...\n"
	"       " PROG " deny clear\n"
	"\n"
	"Importer callbacks known not to revoke: refused under enforce even though\n"
	"they have a callback. ENTRY is NAME or sym:NAME (the callback's symbol,\n"
	"letters, digits, _ . $) or mod:NAME (the module owning the callback).\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused or del of an absent entry, 2 usage error,\n"
	"3 dmabuf_revoke not loaded.\n";

static const char allow_help[] =
	"Usage: " PROG " allow list [--json]\n"
	"       " PROG " allow add ENTRY...\n"
	"       " PROG " allow del ENTRY...\n"
	"       " PROG " allow clear\n"
	"\n"
	"Importer callbacks trusted to revoke (needed under strict; deny wins).\n"
	"ENTRY is NAME or sym:NAME (callback symbol) or mod:NAME (owning module).\n"
	"\n"
	"Exit: 0 ok, 1 the kernel refused or del of an absent entry, 2 usage error,\n"
	"3 dmabuf_revoke not loaded.\n";

/* Write @value to parameter @knob, explaining a failure. */
int knob_set(const struct ctx *c, const char *knob, const char *value)
{
	char path[512], msg[512];
	int ret;

	ret = path_of(c, path, sizeof(path), P_PARAMS "/%s", knob);
	if (!ret)
		ret = write_value(path, value);
	if (!ret)
		return EXIT_OK;
	ret = explain_write(knob, value, -ret, msg, sizeof(msg));
	err_msg("%s", msg);
	return ret;
}

static int knob_read(const struct ctx *c, const char *knob, char *buf, size_t size)
{
	int ret = ctx_read(c, buf, size, P_PARAMS "/%s", knob);

	if (ret) {
		err_msg("cannot read %s: %s", knob, strerror(-ret));
		return ret == -EACCES ? EXIT_FAIL : EXIT_UNAVAIL;
	}
	return EXIT_OK;
}

static int print_scalar(const struct ctx *c, const char *knob, bool is_bool)
{
	struct json j;
	char val[64];
	int ret;

	ret = require_shim(c);
	if (!ret)
		ret = knob_read(c, knob, val, sizeof(val));
	if (ret)
		return ret;
	if (!c->json) {
		printf("%s\n", val);
		return EXIT_OK;
	}
	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	if (is_bool)
		json_bool(&j, knob, val[0] == 'Y');
	else
		json_str(&j, knob, val);
	json_end_obj(&j);
	json_finish(&j);
	return EXIT_OK;
}

/* Parse "get" | "set VALUE"; *value is NULL for get. -1 to go on. */
static int parse_get_set(struct ctx *c, int argc, char **argv, const char *help,
			 const char **value)
{
	int ret = parse_common(c, argc, argv, help, true, NULL);
	const char *sub;

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return usage_error(argv[0], "%s: missing 'get' or 'set'", argv[0]);
	sub = argv[optind++];
	if (!strcmp(sub, "get")) {
		if (optind < argc)
			return usage_error(argv[0], "%s get: unexpected '%s'", argv[0],
					   argv[optind]);
		*value = NULL;
		return -1;
	}
	if (strcmp(sub, "set"))
		return usage_error(argv[0], "%s: unknown subcommand '%s' (want get or set)",
				   argv[0], sub);
	if (c->json)
		return usage_error(argv[0], "%s set has no --json output", argv[0]);
	if (optind >= argc)
		return usage_error(argv[0], "%s set: missing value", argv[0]);
	if (optind + 1 < argc)
		return usage_error(argv[0], "%s set: one value only ('%s' is extra)",
				   argv[0], argv[optind + 1]);
	*value = argv[optind];
	return -1;
}

int cmd_policy(struct ctx *c, int argc, char **argv)
{
	enum dbr_policy p;
	const char *v;
	int ret;

	ret = parse_get_set(c, argc, argv, policy_help, &v);
	if (ret >= 0)
		return ret;
	if (!v)
		return print_scalar(c, "policy", false);
	if (strchr(v, '\n') || dbr_policy_parse(v, &p))
		return usage_error("policy", "policy: '%s' is not one of off, audit, enforce", v);
	ret = require_shim(c);
	return ret ? ret : knob_set(c, "policy", dbr_policy_name(p));
}

int cmd_strict(struct ctx *c, int argc, char **argv)
{
	static const char *const yes[] = { "Y", "y", "1", "yes", "on" };
	static const char *const no[] = { "N", "n", "0", "no", "off" };
	const char *v, *w = NULL;
	size_t i;
	int ret;

	ret = parse_get_set(c, argc, argv, strict_help, &v);
	if (ret >= 0)
		return ret;
	if (!v)
		return print_scalar(c, "strict", true);
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]))
			w = "Y";
		if (!strcmp(v, no[i]))
			w = "N";
	}
	if (!w)
		return usage_error("strict", "strict: '%s' is not Y or N", v);
	ret = require_shim(c);
	return ret ? ret : knob_set(c, "strict", w);
}

/*
 * One list entry as the kernel stores it ("mod:a-b" -> "mod:a_b",
 * "sym:x" -> "x"), or a usage message. Whitespace, commas and +/- are the
 * list syntax, not part of an entry, so they are refused here.
 */
static int entry_normalize(const char *list, const char *s, char *out, size_t size)
{
	struct dbr_entry e;
	const char *why = "invalid";

	if (*s == '+' || *s == '-')
		return usage_error(list, "%s: '%s': give the entry without +/- "
				   "('%s add NAME', '%s del NAME')", list, s, list, list);
	if (strpbrk(s, " \t\n,") || dbr_entry_parse(s, strlen(s), false, &e, &why)) {
		if (strpbrk(s, " \t\n,"))
			why = "one entry per argument, no spaces or commas";
		return usage_error(list, "%s: invalid entry '%s': %s", list, s, why);
	}
	if (dbr_entry_format(&e, out, size) < 0)
		return usage_error(list, "%s: entry '%s' too long", list, s);
	return -1;
}

/* Is @entry (normalized) in the kernel's "a,b,c"? */
static bool csv_has(const char *csv, const char *entry)
{
	size_t n = strlen(entry);

	while (*csv) {
		size_t m = strcspn(csv, ",");

		if (m == n && !strncmp(csv, entry, n))
			return true;
		csv += m;
		if (*csv == ',')
			csv++;
	}
	return false;
}

int knob_list_show(const struct ctx *c, const char *list)
{
	char buf[LIST_BUF];
	const char *p;
	struct json j;
	int ret;

	ret = require_shim(c);
	if (!ret)
		ret = knob_read(c, list, buf, sizeof(buf));
	if (ret)
		return ret;
	if (c->json) {
		json_init(&j, stdout);
		json_begin_obj(&j, NULL);
		json_list(&j, list, buf);
		json_end_obj(&j);
		json_finish(&j);
		return EXIT_OK;
	}
	for (p = buf; *p;) {
		size_t m = strcspn(p, ",");

		printf("%.*s\n", (int)m, p);
		p += m + (p[m] == ',');
	}
	return EXIT_OK;
}

/* "add"/"del" with entries argv[first..argc): one "+a +b" / "-a" write. */
static int list_edit(const struct ctx *c, const char *list, char op, int argc,
		     char **argv, int first)
{
	char edit[LIST_BUF], cur[LIST_BUF], e[DBR_NAME_MAX + 8];
	size_t pos = 0;
	int i, ret;

	if (first >= argc)
		return usage_error(list, "%s %s: missing ENTRY", list, op == '+' ? "add" : "del");
	for (i = first; i < argc; i++) {
		ret = entry_normalize(list, argv[i], e, sizeof(e));
		if (ret >= 0)
			return ret;
		ret = snprintf(edit + pos, sizeof(edit) - pos, "%s%c%s", pos ? " " : "", op, e);
		if (ret < 0 || (size_t)ret >= sizeof(edit) - pos)
			return usage_error(list, "%s: too many entries", list);
		pos += ret;
	}
	ret = require_shim(c);
	if (ret)
		return ret;
	if (op == '-') {
		ret = knob_read(c, list, cur, sizeof(cur));
		if (ret)
			return ret;
		for (i = first; i < argc; i++) {
			entry_normalize(list, argv[i], e, sizeof(e));
			if (!csv_has(cur, e)) {
				err_msg("%s: '%s' is not in the list; nothing was changed", list, e);
				return EXIT_FAIL;
			}
		}
	}
	return knob_set(c, list, edit);
}

static int cmd_list_knob(struct ctx *c, int argc, char **argv, const char *help)
{
	const char *list = argv[0], *sub;
	int ret = parse_common(c, argc, argv, help, true, NULL);

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return usage_error(list, "%s: missing 'list', 'add', 'del' or 'clear'", list);
	sub = argv[optind++];
	if (c->json && strcmp(sub, "list"))
		return usage_error(list, "%s %s has no --json output", list, sub);
	if (!strcmp(sub, "add"))
		return list_edit(c, list, '+', argc, argv, optind);
	if (!strcmp(sub, "del"))
		return list_edit(c, list, '-', argc, argv, optind);
	if (strcmp(sub, "list") && strcmp(sub, "clear"))
		return usage_error(list, "%s: unknown subcommand '%s' (want list, add, del, clear)",
				   list, sub);
	if (optind < argc)
		return usage_error(list, "%s %s: unexpected '%s'", list, sub, argv[optind]);
	if (!strcmp(sub, "list"))
		return knob_list_show(c, list);
	ret = require_shim(c);
	return ret ? ret : knob_set(c, list, "");
}

int cmd_deny(struct ctx *c, int argc, char **argv)
{
	return cmd_list_knob(c, argc, argv, deny_help);
}

int cmd_allow(struct ctx *c, int argc, char **argv)
{
	return cmd_list_knob(c, argc, argv, allow_help);
}
