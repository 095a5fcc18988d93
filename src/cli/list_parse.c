// SPDX-License-Identifier: GPL-2.0
/* dmabuf-revokectl: parse debugfs dmabuf_revoke/buffers (src/track.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_parse.h"

/* Copy the value of " KEY=" (up to the next space) into @buf. */
static bool field(const char *line, const char *key, char *buf, size_t size)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strcspn(p, " \n");
	if (!n || n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool field_ull(const char *line, const char *key, unsigned long long *v)
{
	char buf[24], *end;

	if (!field(line, key, buf, sizeof(buf)))
		return false;
	*v = strtoull(buf, &end, 10);
	return *end == '\0' && buf[0] != '-';
}

static bool field_uint(const char *line, const char *key, unsigned int *v)
{
	unsigned long long u;

	if (!field_ull(line, key, &u) || u > 0xffffffffULL)
		return false;
	*v = (unsigned int)u;
	return true;
}

/* The word after the leading keyword. */
static bool ptr_after(const char *line, const char *kw, char *buf, size_t size)
{
	size_t k = strlen(kw), n;

	if (strncmp(line, kw, k) || line[k] != ' ')
		return false;
	line += k + 1;
	n = strcspn(line, " \n");
	if (!n || n >= size)
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return true;
}

static enum item_kind parse_buffer(const char *line, struct list_item *it)
{
	unsigned long long g;

	if (!ptr_after(line, "buffer", it->ptr, sizeof(it->ptr)) ||
	    !field(line, "exporter", it->exporter, sizeof(it->exporter)) ||
	    !field_ull(line, "size", &it->size) ||
	    !field_ull(line, "guarded", &g) || g > 1 ||
	    !field(line, "state", it->state, sizeof(it->state)) ||
	    !field_uint(line, "stale", &it->stale))
		return ITEM_BAD;
	it->guarded = g;
	return ITEM_BUFFER;
}

/* "callback=SYM [MOD]" or "callback=SYM" or "callback=-": rest of the line. */
static bool callback(const char *line, struct list_item *it)
{
	const char *p = strstr(line, " callback="), *open, *close;
	size_t n;

	if (!p)
		return false;
	p += strlen(" callback=");
	if (!strcmp(p, "-") || !strcmp(p, "-\n"))
		return true;
	n = strcspn(p, " \n");
	if (!n || n >= sizeof(it->cb_sym))
		return false;
	memcpy(it->cb_sym, p, n);
	it->cb_sym[n] = '\0';
	open = strchr(p + n, '[');
	if (!open)
		return true;
	close = strchr(open, ']');
	n = close ? (size_t)(close - open - 1) : 0;
	if (!n || n >= sizeof(it->cb_mod))
		return false;
	memcpy(it->cb_mod, open + 1, n);
	it->cb_mod[n] = '\0';
	return true;
}

static enum item_kind parse_attachment(const char *line, struct list_item *it)
{
	if (!ptr_after(line, "attachment", it->ptr, sizeof(it->ptr)) ||
	    !field(line, "dev", it->dev, sizeof(it->dev)) ||
	    !field(line, "class", it->cls, sizeof(it->cls)) ||
	    !field_uint(line, "mapped", &it->mapped) ||
	    !callback(line, it))
		return ITEM_BAD;
	return ITEM_ATTACHMENT;
}

enum item_kind parse_buffers_line(const char *line, struct list_item *it)
{
	enum item_kind k = ITEM_BAD;

	memset(it, 0, sizeof(*it));
	if (line[strspn(line, " \t\n")] == '\0')
		k = ITEM_NONE;
	else if (!strncmp(line, "buffer ", 7))
		k = parse_buffer(line, it);
	else if (!strncmp(line, "  attachment ", 13))
		k = parse_attachment(line + 2, it);
	it->kind = k;
	return k;
}
