/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf-revokectl: errno values turned into advice, and an exit code. */
#ifndef DMABUF_REVOKECTL_EXPLAIN_H
#define DMABUF_REVOKECTL_EXPLAIN_H

#include <stddef.h>

#include "cli.h"

/* "none", "integrity" or "confidentiality" (the bracketed mode), or "". */
void lockdown_mode(const struct ctx *c, char *buf, size_t size);
/* Room for any message below (the Secure Boot advice is the longest). */
#define EXPLAIN_MAX 1024

/* Loading @module failed with -@err: a message in @buf; returns the exit code. */
int explain_load(const struct ctx *c, const char *module, int err, char *buf,
		 size_t size);
/* Removing @module failed with -@err. */
int explain_unload(const struct ctx *c, const char *module, int err, char *buf,
		   size_t size);
/* Writing @value to the knob @knob failed with -@err. */
int explain_write(const char *knob, const char *value, int err, char *buf,
		  size_t size);

#endif
