// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl list: the buffers dmabuf_revoke tracks and their
 * attachments, from debugfs dmabuf_revoke/buffers, as a table or JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "list_parse.h"

static const char list_help[] =
	"Usage: " PROG " list [--json]\n"
	"\n"
	"The dma-bufs dmabuf_revoke tracks (exporter, size, guarded, live or\n"
	"revoked, stale mappings left at revocation) and, under each, its\n"
	"attachments (device, importer class, mapped, revocation callback).\n"
	"Reads " P_DEBUGFS "/buffers: needs root and debugfs.\n"
	"\n"
	"Exit: 0 ok, 1 unreadable or unparsable, 2 usage error,\n"
	"3 dmabuf_revoke not loaded or debugfs not mounted.\n";

struct renderer {
	struct json j;
	bool json, in_buffer;
	unsigned int buffers, attachments;
};

static void text_item(struct renderer *r, const struct list_item *it)
{
	if (it->kind == ITEM_BUFFER) {
		if (!r->buffers)
			printf("%-18s %-24s %10s %-7s %-7s %5s\n"
			       "  %-16s %-24s %-11s %6s %s\n",
			       "BUFFER", "EXPORTER", "SIZE", "GUARDED", "STATE", "STALE",
			       "ATTACHMENT", "DEVICE", "CLASS", "MAPPED", "CALLBACK");
		printf("%-18s %-24s %10llu %-7s %-7s %5u\n", it->ptr, it->exporter,
		       it->size, it->guarded ? "yes" : "no", it->state, it->stale);
		return;
	}
	printf("  %-16s %-24s %-11s %6u %s%s%s%s\n", it->ptr, it->dev, it->cls,
	       it->mapped, *it->cb_sym ? it->cb_sym : "-",
	       *it->cb_mod ? " [" : "", it->cb_mod, *it->cb_mod ? "]" : "");
}

static void json_item(struct renderer *r, const struct list_item *it)
{
	struct json *j = &r->j;

	if (it->kind == ITEM_BUFFER) {
		if (r->in_buffer) {
			json_end_arr(j);
			json_end_obj(j);
		}
		r->in_buffer = true;
		json_begin_obj(j, NULL);
		json_str(j, "buffer", it->ptr);
		json_str(j, "exporter", it->exporter);
		json_u64(j, "size", it->size);
		json_bool(j, "guarded", it->guarded);
		json_str(j, "state", it->state);
		json_u64(j, "stale", it->stale);
		json_begin_arr(j, "attachments");
		return;
	}
	json_begin_obj(j, NULL);
	json_str(j, "attachment", it->ptr);
	json_str(j, "dev", it->dev);
	json_str(j, "class", it->cls);
	json_u64(j, "mapped", it->mapped);
	json_str(j, "callback", *it->cb_sym ? it->cb_sym : NULL);
	json_str(j, "callback_module", *it->cb_mod ? it->cb_mod : NULL);
	json_end_obj(j);
}

/* Why the table cannot be read; an exit code. */
static int open_error(const struct ctx *c, int err)
{
	char root[512];

	if (!shim_loaded(c))
		return require_shim(c);
	if (err == EACCES || err == EPERM) {
		err_msg("list: cannot read " P_DEBUGFS "/buffers: %s (needs root)",
			strerror(err));
		return EXIT_FAIL;
	}
	if (!path_of(c, root, sizeof(root), P_DEBUGFS_ROOT) && path_exists(root) &&
	    err == ENOENT) {
		err_msg("list: " P_DEBUGFS " missing: is debugfs mounted? "
			"(mount -t debugfs none " P_DEBUGFS_ROOT ")");
		return EXIT_UNAVAIL;
	}
	err_msg("list: cannot read " P_DEBUGFS "/buffers: %s", strerror(err));
	return err == ENOENT ? EXIT_UNAVAIL : EXIT_FAIL;
}

static int render(struct renderer *r, FILE *in)
{
	struct list_item it;
	char line[512];
	unsigned int n = 0;
	int ret = EXIT_OK;

	while (fgets(line, sizeof(line), in)) {
		n++;
		switch (parse_buffers_line(line, &it)) {
		case ITEM_NONE:
			continue;
		case ITEM_BAD:
			err_msg("list: cannot parse line %u of buffers: %.*s", n,
				(int)strcspn(line, "\n"), line);
			ret = EXIT_FAIL;
			continue;
		case ITEM_ATTACHMENT:
			if (!r->buffers) {
				err_msg("list: line %u: attachment before any buffer", n);
				ret = EXIT_FAIL;
				continue;
			}
			r->attachments++;
			break;
		case ITEM_BUFFER:
			break;
		}
		if (r->json)
			json_item(r, &it);
		else
			text_item(r, &it);
		r->buffers += it.kind == ITEM_BUFFER;
	}
	return ret;
}

int cmd_list(struct ctx *c, int argc, char **argv)
{
	struct renderer r = { .json = false };
	char path[512];
	FILE *in = NULL;
	int ret = parse_common(c, argc, argv, list_help, true, NULL);

	if (ret >= 0)
		return ret;
	if (optind < argc)
		return usage_error(argv[0], "list: unexpected '%s'", argv[optind]);
	r.json = c->json;
	if (path_of(c, path, sizeof(path), P_DEBUGFS "/buffers"))
		return open_error(c, ENAMETOOLONG);
	in = fopen(path, "re");
	if (!in)
		return open_error(c, errno);
	if (r.json) {
		json_init(&r.j, stdout);
		json_begin_obj(&r.j, NULL);
		json_begin_arr(&r.j, "buffers");
	}
	ret = render(&r, in);
	if (r.json) {
		if (r.in_buffer) {
			json_end_arr(&r.j);
			json_end_obj(&r.j);
		}
		json_end_arr(&r.j);
		json_end_obj(&r.j);
		json_finish(&r.j);
	} else {
		printf("%s%u buffer%s, %u attachment%s\n", r.buffers ? "\n" : "", r.buffers,
		       r.buffers == 1 ? "" : "s", r.attachments, r.attachments == 1 ? "" : "s");
	}
	fclose(in);
	return ret;
}
