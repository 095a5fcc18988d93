// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_asuser ID CMD [ARG...]: run CMD as user and group ID, without
 * supplementary groups or capabilities (busybox's setpriv cannot change
 * ids, its su needs a passwd entry). Used by the suites to check what an
 * unprivileged user gets.
 *
 * Exit 125 (with a message) if the ids cannot be set or root could be got
 * back; 127 if CMD cannot be run; else CMD's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long id;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: dbr_asuser ID CMD [ARG...]\n");
		return 125;
	}
	errno = 0;
	id = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || !id || id > 65535) {
		fprintf(stderr, "dbr_asuser: '%s' is not an id in 1..65535\n", argv[1]);
		return 125;
	}
	if (setgroups(0, NULL) || setresgid((gid_t)id, (gid_t)id, (gid_t)id) ||
	    setresuid((uid_t)id, (uid_t)id, (uid_t)id)) {
		fprintf(stderr, "dbr_asuser: cannot become %lu: %s\n", id, strerror(errno));
		return 125;
	}
	/* The point is to be unprivileged: prove root cannot come back. */
	if (!setuid(0) || !geteuid() || getegid() != (gid_t)id) {
		fprintf(stderr, "dbr_asuser: still privileged after dropping to %lu\n", id);
		return 125;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "dbr_asuser: cannot run %s: %s\n", argv[2], strerror(errno));
	return 127;
}
