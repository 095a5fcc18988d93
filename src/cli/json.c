// SPDX-License-Identifier: GPL-2.0
/* dmabuf-revokectl: a tiny streaming JSON writer. */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void put_escaped(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator and key before a value at the current level. */
static void prefix(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key) {
		put_escaped(j->f, key);
		fputc(':', j->f);
	}
}

static void begin(struct json *j, const char *key, char open)
{
	prefix(j, key);
	fputc(open, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void end(struct json *j, char close)
{
	fputc(close, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_begin_obj(struct json *j, const char *key) { begin(j, key, '{'); }
void json_begin_arr(struct json *j, const char *key) { begin(j, key, '['); }
void json_end_obj(struct json *j) { end(j, '}'); }
void json_end_arr(struct json *j) { end(j, ']'); }

void json_str(struct json *j, const char *key, const char *val)
{
	prefix(j, key);
	if (val)
		put_escaped(j->f, val);
	else
		fputs("null", j->f);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	prefix(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	prefix(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

void json_num_or_null(struct json *j, const char *key, const char *val)
{
	size_t n = val ? strlen(val) : 0;

	if (n && n < 20 && strspn(val, "0123456789") == n) {
		prefix(j, key);
		fputs(val, j->f);
	} else {
		json_null(j, key);
	}
}

void json_list(struct json *j, const char *key, const char *csv)
{
	char item[256];

	json_begin_arr(j, key);
	while (csv && *csv) {
		size_t n = strcspn(csv, ",");

		if (n && n < sizeof(item)) {
			memcpy(item, csv, n);
			item[n] = '\0';
			json_str(j, NULL, item);
		}
		csv += n;
		if (*csv == ',')
			csv++;
	}
	json_end_arr(j);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
