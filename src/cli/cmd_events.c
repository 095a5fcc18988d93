// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl events: the shim's ring of recent events (attach
 * verdicts, revokes, unmaps, stale mappings) from debugfs
 * dmabuf_revoke/events, once or followed (--follow polls the file and
 * prints events with a sequence number above the last one printed).
 *
 * The file: "# size=N last_seq=S dropped=D", then one line per event,
 * oldest first: seq=... ns=... kind=... and key=value fields, values with
 * spaces in double quotes. A sequence number missing is an event lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"

#define EV_FILE		P_DEBUGFS "/events"
#define EV_POLL_MS	200
#define EV_MAX_FIELDS	16

static const char events_help[] =
	"Usage: " PROG " events [--follow] [--json]\n"
	"\n"
	"The last events dmabuf_revoke recorded (a ring of 256, oldest first):\n"
	"attach verdicts, revokes of tracked buffers, attachments that unmapped\n"
	"after a revoke and the ones the watchdog named stale. Each has a sequence\n"
	"number; a gap in it (the ring wrapped, or a writer found its slot busy)\n"
	"is reported as lost events.\n"
	"Reads " EV_FILE ": needs root and debugfs.\n"
	"\n"
	"Options:\n"
	"  -f, --follow   print the ring, then new events as they come (polls every\n"
	"                 200 ms) until SIGINT or SIGTERM\n"
	"  -j, --json     JSON: one object {size, last_seq, dropped, lost, events};\n"
	"                 with --follow one object per line (events, and {\"lost\": N})\n"
	"  -h, --help     this help\n"
	"\n"
	"Exit: 0 ok (and on SIGINT/SIGTERM with --follow), 1 unreadable or\n"
	"unparsable, 2 usage error, 3 dmabuf_revoke not loaded or debugfs not mounted.\n";

struct ev_field {
	const char *key, *val;
};

struct ev {
	uint64_t seq, ns;
	unsigned int n;
	struct ev_field f[EV_MAX_FIELDS];
};

struct ev_state {
	bool json, follow;
	uint64_t next;		/* the seq expected next; 0 before the first */
	uint64_t lost;
	unsigned int shown;
	struct json j;
	bool gone;		/* the file vanished while following */
};

static volatile sig_atomic_t ev_stop;

static void ev_on_signal(int sig)
{
	(void)sig;
	ev_stop = 1;
}

static const char *ev_get(const struct ev *e, const char *key)
{
	unsigned int i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->f[i].key, key))
			return e->f[i].val;
	return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* Split @line (modified) into key=value fields; false if malformed. */
static bool parse_event(char *line, struct ev *e)
{
	char *p = line;

	e->n = 0;
	line[strcspn(line, "\n")] = '\0';
	while (*p) {
		char *key, *val;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		key = p;
		p = strchr(p, '=');
		if (!p || p == key || e->n == EV_MAX_FIELDS)
			return false;
		*p++ = '\0';
		if (*p == '"') {
			val = ++p;
			p = strchr(p, '"');
			if (!p)
				return false;
			*p++ = '\0';
			if (*p && *p != ' ')
				return false;
		} else {
			val = p;
			p += strcspn(p, " ");
			if (*p)
				*p++ = '\0';
		}
		e->f[e->n].key = key;
		e->f[e->n++].val = val;
	}
	return e->n >= 3 && !strcmp(e->f[0].key, "seq") &&
	       parse_u64(e->f[0].val, &e->seq) && e->seq &&
	       !strcmp(e->f[1].key, "ns") && parse_u64(e->f[1].val, &e->ns) &&
	       !strcmp(e->f[2].key, "kind");
}

/* Numbers as JSON numbers; everything else a string. */
static bool is_num_key(const char *k)
{
	return !strcmp(k, "seq") || !strcmp(k, "ns") || !strcmp(k, "ino") ||
	       !strcmp(k, "mapped") || !strcmp(k, "ms");
}

static void json_event(struct json *j, const struct ev *e)
{
	unsigned int i;
	uint64_t v;

	json_begin_obj(j, NULL);
	for (i = 0; i < e->n; i++) {
		if (is_num_key(e->f[i].key) && parse_u64(e->f[i].val, &v))
			json_u64(j, e->f[i].key, v);
		else
			json_str(j, e->f[i].key, e->f[i].val);
	}
	json_end_obj(j);
}

static void text_event(const struct ev *e)
{
	unsigned int i;

	printf("%8" PRIu64 " %12" PRIu64 ".%06" PRIu64 " %-8s %-22s %8s",
	       e->seq, e->ns / 1000000000, e->ns % 1000000000 / 1000,
	       e->f[2].val, ev_get(e, "exporter") ?: "?",
	       ev_get(e, "ino") ?: "?");
	/* The rest as it came, but for what the columns show. */
	for (i = 3; i < e->n; i++) {
		const char *k = e->f[i].key;

		if (!strcmp(k, "exporter") || !strcmp(k, "ino"))
			continue;
		if (strchr(e->f[i].val, ' '))
			printf(" %s=\"%s\"", k, e->f[i].val);
		else
			printf(" %s=%s", k, e->f[i].val);
	}
	putchar('\n');
}

/* Events @from..@to are not in the ring; a line says so unless @quiet. */
static void note_lost(struct ev_state *s, uint64_t from, uint64_t to, bool quiet)
{
	uint64_t n = to - from + 1;

	s->lost += n;
	if (quiet || (s->json && !s->follow))
		return;	/* the summary counts them */
	if (s->json) {
		json_init(&s->j, stdout);
		json_begin_obj(&s->j, NULL);
		json_u64(&s->j, "lost", n);
		json_u64(&s->j, "first_seq", from);
		json_u64(&s->j, "last_seq", to);
		json_end_obj(&s->j);
		json_finish(&s->j);
	} else {
		printf("# lost %" PRIu64 " event%s (seq %" PRIu64 "..%" PRIu64 ")\n",
		       n, n == 1 ? "" : "s", from, to);
	}
}

static void show_event(struct ev_state *s, const struct ev *e)
{
	if (s->next && e->seq > s->next)
		note_lost(s, s->next, e->seq - 1, false);
	else if (!s->next && e->seq > 1 && !s->follow)
		note_lost(s, 1, e->seq - 1, true);	/* overwritten before we looked */
	s->next = e->seq + 1;
	s->shown++;
	if (!s->json) {
		if (s->shown == 1)
			printf("%8s %19s %-8s %-22s %8s %s\n", "SEQ", "TIME", "KIND",
			       "EXPORTER", "INODE", "DETAILS");
		text_event(e);
	} else if (s->follow) {
		json_init(&s->j, stdout);
		json_event(&s->j, e);
		json_finish(&s->j);
	} else {
		json_event(&s->j, e);
	}
}

/* Why the file cannot be read; an exit code. */
static int open_error(const struct ctx *c, int err)
{
	char root[512];

	if (!shim_loaded(c))
		return require_shim(c);
	if (err == EACCES || err == EPERM) {
		err_msg("events: cannot read " EV_FILE ": %s (needs root)", strerror(err));
		return EXIT_FAIL;
	}
	if (err == ENOENT && !path_of(c, root, sizeof(root), P_DEBUGFS) &&
	    !path_exists(root)) {
		err_msg("events: " P_DEBUGFS " missing: is debugfs mounted? "
			"(mount -t debugfs none " P_DEBUGFS_ROOT ")");
		return EXIT_UNAVAIL;
	}
	if (err == ENOENT) {
		err_msg("events: " EV_FILE " missing: dmabuf_revoke older than this "
			"command, or loaded without debugfs");
		return EXIT_UNAVAIL;
	}
	err_msg("events: cannot read " EV_FILE ": %s", strerror(err));
	return EXIT_FAIL;
}

/* One read of the file (closes @in): events from s->next on are shown. */
static int read_ring(struct ev_state *s, FILE *in, uint64_t *size,
		     uint64_t *last, uint64_t *dropped)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	bool header = false;
	int ret = EXIT_OK;

	while (getline(&line, &cap, in) > 0) {
		struct ev e;

		n++;
		if (line[0] == '#') {
			header = sscanf(line, "# size=%" SCNu64 " last_seq=%" SCNu64
					" dropped=%" SCNu64, size, last, dropped) == 3;
			/* The module was reloaded: its ring starts again at 1. */
			if (header && s->next > *last + 1) {
				s->next = 0;
				if (s->json)
					puts("{\"restarted\":true}");
				else
					puts("# dmabuf_revoke reloaded: its ring starts again");
			}
			continue;
		}
		if (!parse_event(line, &e)) {
			err_msg("events: cannot parse line %u of " EV_FILE, n);
			ret = EXIT_FAIL;
			continue;
		}
		if (s->next && e.seq < s->next)
			continue;	/* shown by an earlier read */
		show_event(s, &e);
	}
	if (!header) {
		err_msg("events: no header line in " EV_FILE);
		ret = EXIT_FAIL;
	}
	free(line);
	fclose(in);
	return ret;
}

static int follow(struct ev_state *s, const char *path)
{
	const struct timespec poll = { 0, EV_POLL_MS * 1000000L };
	uint64_t size, last, dropped;
	FILE *in;
	struct sigaction sa = { .sa_handler = ev_on_signal };

	/* No SA_RESTART: a signal cuts the sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!ev_stop) {
		fflush(stdout);
		nanosleep(&poll, NULL);
		if (ev_stop)
			break;
		in = fopen(path, "re");
		if (!in) {
			if (!s->gone)
				err_msg("events: " EV_FILE " gone (%s); waiting for it",
					strerror(errno));
			s->gone = true;
			continue;
		}
		s->gone = false;
		read_ring(s, in, &size, &last, &dropped);
	}
	return EXIT_OK;
}

int cmd_events(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ev_state s = { .json = c->json };
	uint64_t size = 0, last = 0, dropped = 0;
	char path[512];
	FILE *in;
	int o, ret;

	optind = 0;	/* glibc: full re-initialisation for this argv */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "fjh", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			s.follow = true;
			break;
		case 'j':
			s.json = true;
			break;
		case 'h':
			fputs(events_help, stdout);
			return EXIT_OK;
		default:
			return usage_error(argv[0], "events: unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(argv[0], "events: unexpected '%s'", argv[optind]);
	if (path_of(c, path, sizeof(path), EV_FILE))
		return open_error(c, ENAMETOOLONG);
	in = fopen(path, "re");
	if (!in)
		return open_error(c, errno);
	if (s.json && !s.follow) {
		json_init(&s.j, stdout);
		json_begin_obj(&s.j, NULL);
		json_begin_arr(&s.j, "events");
	}
	ret = read_ring(&s, in, &size, &last, &dropped);
	if (s.follow)
		return ret == EXIT_OK ? follow(&s, path) : ret;
	if (s.json) {
		json_end_arr(&s.j);
		json_u64(&s.j, "size", size);
		json_u64(&s.j, "last_seq", last);
		json_u64(&s.j, "dropped", dropped);
		json_u64(&s.j, "lost", s.lost);
		json_end_obj(&s.j);
		json_finish(&s.j);
	} else {
		printf("%s%u event%s (ring of %" PRIu64 ", last seq %" PRIu64 "), %" PRIu64
		       " lost\n", s.shown ? "\n" : "", s.shown, s.shown == 1 ? "" : "s",
		       size, last, s.lost);
	}
	return ret;
}
