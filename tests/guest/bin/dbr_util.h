/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every guest test program needs: errno names, dying with a message,
 * bounded string copies, reading sysfs.
 */
#ifndef DBR_UTIL_H
#define DBR_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "EINVAL" for EINVAL, "0" for 0, "?" for a number glibc does not name. */
static inline const char *ename(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "?";
}

/* "0" or an errno name ("EOPNOTSUPP"): the errno, or -1. */
static inline int parse_errno(const char *s)
{
	int e;

	for (e = 0; e < 256 && strcmp(s, "?"); e++)
		if (!strcmp(s, ename(e)))
			return e;
	return -1;
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

/* Copy @src into @dst (@size bytes), cut if too long. */
static inline void copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* First line of a sysfs file, without its newline; "" if unreadable. */
static inline const char *sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

#endif /* DBR_UTIL_H */
