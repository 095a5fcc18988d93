// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl: paths under the root prefix, and one-value files.
 * Every /sys, /dev and debugfs path goes through path_of(), so that
 * DMABUF_REVOKE_SYSROOT can point the tool at a fake tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int vpath_of(const struct ctx *c, char *buf, size_t size,
		    const char *fmt, va_list ap)
{
	size_t n = strlen(c->sysroot);
	int m;

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(buf, c->sysroot, n);
	m = vsnprintf(buf + n, size - n, fmt, ap);
	if (m < 0 || (size_t)m >= size - n)
		return -ENAMETOOLONG;
	return 0;
}

int path_of(const struct ctx *c, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath_of(c, buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

int read_value(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, ret = 0;

	if (!size)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		ret = -errno;
		n = 0;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return ret;
}

/* One write(2) with a trailing newline, as `echo VALUE >FILE` does: sysfs
 * hands the whole value to the parameter's set() and returns its error. */
int write_value(const char *path, const char *value)
{
	char buf[4096];
	size_t n = strlen(value);
	ssize_t w;
	int fd, ret = 0;

	if (n + 2 > sizeof(buf))
		return -E2BIG;
	memcpy(buf, value, n);
	buf[n++] = '\n';
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, buf, n);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != n)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int ctx_read(const struct ctx *c, char *buf, size_t size, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath_of(c, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	return read_value(path, buf, size);
}
