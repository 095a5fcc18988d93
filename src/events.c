// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring: the last DBR_EVENTS_MAX events the tracepoints report
 * (dbr_attach_verdict, dbr_revoke, dbr_unmapped, dbr_stale), kept whether
 * or not anyone traces, and shown in debugfs dmabuf_revoke/events.
 *
 * The attach verdict comes from the kprobe handler (an int3 handler runs
 * NMI-like on x86, and on PREEMPT_RT a spinlock_t sleeps), so a writer
 * never sleeps, locks or allocates: it claims a sequence number with one
 * atomic increment, its slot (seq modulo the ring) with a cmpxchg of the
 * slot's state, writes the event and publishes the state with release
 * semantics. The state is seq << 1, odd while a writer is at it, so a
 * reader skips a slot being written or overwritten under it (seqcount
 * style) and every event shown has the seq it was claimed with: a gap in
 * the sequence is an event lost, to wrapping or to a writer that found its
 * slot busy (counted in "dropped").
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

/* A power of two: the slot is the sequence number masked. */
#define DBR_EVENTS_MASK (DBR_EVENTS_MAX - 1)
static_assert((DBR_EVENTS_MAX & DBR_EVENTS_MASK) == 0);

struct dbr_event {
	u64 ns;			/* ktime_get_mono_fast_ns(): NMI-safe */
	enum dbr_event_kind kind;
	int class, verdict;	/* attach */
	unsigned int n;		/* revoke: mapped attachments; else ms */
	unsigned long ino;	/* the buffer's inode (fdinfo "ino:") */
	const void *dmabuf;
	const void *attach;	/* unmapped, stale */
	const void *callback;	/* attach: resolved (%ps) when read */
	char exporter[32];
	char importer[DBR_SYM_MAX];	/* unmapped, stale: "sym [module]" */
};

struct dbr_event_slot {
	atomic64_t state;	/* seq << 1, | 1 while being written */
	struct dbr_event ev;
};

static struct dbr_event_slot dbr_ring[DBR_EVENTS_MAX];
static atomic64_t dbr_ev_last;		/* last seq claimed; the first is 1 */
static atomic64_t dbr_ev_dropped;	/* writers that found their slot busy */

/*
 * Claim the next seq and its slot. NULL if the slot is being written by a
 * writer DBR_EVENTS_MAX events behind (preempted on PREEMPT_RT) or already
 * holds a newer event: this one is dropped, its seq left as a gap.
 */
static struct dbr_event *dbr_event_claim(enum dbr_event_kind kind,
					 const struct dma_buf *dmabuf,
					 const char *exp, u64 *seq)
{
	u64 s = atomic64_inc_return(&dbr_ev_last);
	struct dbr_event_slot *slot = &dbr_ring[(s - 1) & DBR_EVENTS_MASK];
	s64 old = atomic64_read(&slot->state);
	struct file *file = dmabuf ? READ_ONCE(dmabuf->file) : NULL;
	struct dbr_event *e = &slot->ev;

	do {
		if ((old & 1) || (u64)old >> 1 > s) {
			atomic64_inc(&dbr_ev_dropped);
			return NULL;
		}
	} while (!atomic64_try_cmpxchg(&slot->state, &old, (s64)(s << 1) | 1));
	*seq = s;
	/* Readers copy the slot racily and discard it if the state moved. */
	memset(e, 0, sizeof(*e));
	e->ns = ktime_get_mono_fast_ns();
	e->kind = kind;
	e->dmabuf = dmabuf;
	e->ino = file ? file_inode(file)->i_ino : 0;
	strscpy(e->exporter, exp ?: "?", sizeof(e->exporter));
	return e;
}

static void dbr_event_commit(struct dbr_event *e, u64 seq)
{
	struct dbr_event_slot *slot = container_of(e, struct dbr_event_slot, ev);

	atomic64_set_release(&slot->state, (s64)(seq << 1));
}

/**
 * dbr_event_attach() - record an attach verdict (next to dbr_attach_verdict)
 * @dmabuf: the buffer being attached to
 * @exp: its exporter's name
 * @callback: the importer's revocation callback, or NULL
 * @class: enum dbr_class
 * @verdict: enum dbr_verdict or DBR_EVENT_UPSTREAM
 *
 * Context: any, the kprobe handler included: no sleeping, lock or allocation.
 */
void dbr_event_attach(const struct dma_buf *dmabuf, const char *exp,
		      const void *callback, int class, int verdict)
{
	struct dbr_event *e;
	u64 seq;

	e = dbr_event_claim(DBR_EV_ATTACH, dmabuf, exp, &seq);
	if (!e)
		return;
	e->callback = callback;
	e->class = class;
	e->verdict = verdict;
	dbr_event_commit(e, seq);
}

/**
 * dbr_event_revoke() - record the start of a revoke (next to dbr_revoke)
 * @dmabuf: the tracked buffer
 * @exp: its exporter's name
 * @mapped: attachments mapped when it began
 *
 * Context: any.
 */
void dbr_event_revoke(const struct dma_buf *dmabuf, const char *exp,
		      unsigned int mapped)
{
	struct dbr_event *e;
	u64 seq;

	e = dbr_event_claim(DBR_EV_REVOKE, dmabuf, exp, &seq);
	if (!e)
		return;
	e->n = mapped;
	dbr_event_commit(e, seq);
}

/**
 * dbr_event_importer() - record an attachment's fate after a revoke
 * @kind: DBR_EV_UNMAPPED (next to dbr_unmapped) or DBR_EV_STALE (dbr_stale)
 * @dmabuf: the tracked buffer
 * @exp: its exporter's name
 * @attach: the attachment
 * @importer: its callback, "symbol [module]"
 * @ms: since the revoke began
 *
 * Context: any.
 */
void dbr_event_importer(enum dbr_event_kind kind, const struct dma_buf *dmabuf,
			const char *exp, const void *attach,
			const char *importer, unsigned int ms)
{
	struct dbr_event *e;
	u64 seq;

	e = dbr_event_claim(kind, dmabuf, exp, &seq);
	if (!e)
		return;
	e->attach = attach;
	strscpy(e->importer, importer ?: "?", sizeof(e->importer));
	e->n = ms;
	dbr_event_commit(e, seq);
}

/* A consistent copy of event @seq, false if it is not (or no more) there. */
static bool dbr_event_read(u64 seq, struct dbr_event *e)
{
	struct dbr_event_slot *slot = &dbr_ring[(seq - 1) & DBR_EVENTS_MASK];

	if (atomic64_read_acquire(&slot->state) != (s64)(seq << 1))
		return false;
	memcpy(e, &slot->ev, sizeof(*e));
	smp_rmb();	/* the copy before the second look at the state */
	if (atomic64_read(&slot->state) != (s64)(seq << 1))
		return false;
	e->exporter[sizeof(e->exporter) - 1] = '\0';
	e->importer[sizeof(e->importer) - 1] = '\0';
	return true;
}

static const char *const dbr_event_kinds[] = {
	[DBR_EV_ATTACH] = "attach",
	[DBR_EV_REVOKE] = "revoke",
	[DBR_EV_UNMAPPED] = "unmapped",
	[DBR_EV_STALE] = "stale",
};

static const char *verdict_name(int v)
{
	if (v == DBR_EVENT_UPSTREAM)
		return "upstream";
	if (v < DBR_VERDICT_ALLOW || v > DBR_VERDICT_REFUSE)
		return "?";
	return dbr_verdict_name(v);
}

static void dbr_event_show(struct seq_file *m, u64 seq, const struct dbr_event *e)
{
	seq_printf(m, "seq=%llu ns=%llu kind=%s exporter=\"%s\" dmabuf=%p ino=%lu",
		   seq, e->ns, dbr_event_kinds[e->kind], e->exporter, e->dmabuf,
		   e->ino);
	switch (e->kind) {
	case DBR_EV_ATTACH:
		if (e->callback)
			seq_printf(m, " importer=\"%ps\"", e->callback);
		else
			seq_puts(m, " importer=\"-\"");
		seq_printf(m, " class=%s verdict=%s\n",
			   e->class >= 0 && e->class < DBR_CLASS_COUNT ?
			   dbr_class_name(e->class) : "?",
			   verdict_name(e->verdict));
		break;
	case DBR_EV_REVOKE:
		seq_printf(m, " mapped=%u\n", e->n);
		break;
	case DBR_EV_UNMAPPED:
	case DBR_EV_STALE:
		seq_printf(m, " attachment=%p importer=\"%s\" ms=%u\n",
			   e->attach, e->importer, e->n);
		break;
	}
}

/*
 * debugfs "events": a header, then the events still in the ring, oldest
 * first. The window is taken once per read: events claimed after it wait
 * for the next read; a seq missing inside it was lost.
 */
static int events_show(struct seq_file *m, void *v)
{
	u64 last = atomic64_read(&dbr_ev_last), first, seq;
	struct dbr_event e;

	first = last > DBR_EVENTS_MAX ? last - DBR_EVENTS_MAX + 1 : 1;
	seq_printf(m, "# size=%u last_seq=%llu dropped=%lld\n", DBR_EVENTS_MAX,
		   last, atomic64_read(&dbr_ev_dropped));
	for (seq = first; seq <= last; seq++)
		if (dbr_event_read(seq, &e) && e.kind <= DBR_EV_STALE)
			dbr_event_show(m, seq, &e);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(events);

void dbr_events_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("events", 0400, dir, NULL, &events_fops);
}
