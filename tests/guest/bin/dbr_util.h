/* SPDX-License-Identifier: GPL-2.0 */
/* What every guest test program needs: errno names, dying with a message. */
#ifndef DBR_UTIL_H
#define DBR_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "EINVAL" for EINVAL, "0" for 0, "?" for a number glibc does not name. */
static inline const char *ename(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "?";
}

/* "PROGRAM: message" on stderr, after what stdout holds; exit 2 (setup). */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

#endif /* DBR_UTIL_H */
