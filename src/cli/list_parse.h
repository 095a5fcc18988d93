/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf-revokectl: one line of debugfs dmabuf_revoke/buffers, parsed. */
#ifndef DMABUF_REVOKECTL_LIST_PARSE_H
#define DMABUF_REVOKECTL_LIST_PARSE_H

#include <stdbool.h>

enum item_kind { ITEM_NONE, ITEM_BUFFER, ITEM_ATTACHMENT, ITEM_BAD };

struct list_item {
	enum item_kind kind;
	char ptr[32];
	/* buffer */
	char exporter[64];
	unsigned long long size;
	bool guarded;
	char state[16];
	unsigned int stale;
	/* attachment */
	char dev[64];
	char cls[24];
	unsigned int mapped;
	char cb_sym[128];	/* "" when the attachment has no callback */
	char cb_mod[64];	/* "" when built in or unknown */
};

/*
 * "buffer PTR exporter=E size=N guarded=0|1 state=live|revoked stale=N"
 * "  attachment PTR dev=D class=C mapped=N callback=SYM [MOD]|-"
 * Blank lines are ITEM_NONE; anything else ITEM_BAD.
 */
enum item_kind parse_buffers_line(const char *line, struct list_item *it);

#endif
