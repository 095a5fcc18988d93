/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf-revokectl: a tiny streaming JSON writer (objects, arrays, scalars). */
#ifndef DMABUF_REVOKECTL_JSON_H
#define DMABUF_REVOKECTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void json_begin_obj(struct json *j, const char *key);
void json_begin_arr(struct json *j, const char *key);
void json_end_obj(struct json *j);
void json_end_arr(struct json *j);
void json_str(struct json *j, const char *key, const char *val); /* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* A number if val is all digits, else null (absent/unreadable files). */
void json_num_or_null(struct json *j, const char *key, const char *val);
/* "a,b,c" as ["a","b","c"]; "" as []. */
void json_list(struct json *j, const char *key, const char *csv);
void json_finish(struct json *j);

#endif
