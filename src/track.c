// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke tracking: the buffers of guarded exporters, their
 * attachments (class, mapped or not) and whether they are revoked. This is
 * what the debugfs "buffers" table shows and what lets an importer learn
 * that the mapping it holds belongs to a revoked buffer.
 *
 * One table, one set of recorders, two ways in: probe_track.c's wrappers
 * for exporters that do not call us (vfio-pci; the test exporter's
 * DBR_EXP_UNTRACKED buffers), and the exported API below for an exporter
 * that does (the test exporter by default; where the hook cannot redirect:
 * the livepatch backend, other architectures). The API's functions are
 * the recorders the wrappers call.
 *
 * Recorders run from attach/detach (may sleep) and from map/unmap and
 * revoke with the buffer's resv held; one spinlock covers the table. The
 * kprobe handler only asks whether a buffer is self-guarded: it walks the
 * buffer hash under RCU, without the lock (a sleeping lock on PREEMPT_RT).
 *
 * The watchdog: an attachment still mapped stale_timeout_ms after a revoke
 * began (dmabuf_revoke_note_revoking()) is named in the log, once and then
 * at a slowing interval while it lasts, with its importer's callback and
 * module: an exporter that waits for every unmap (vfio-pci on 7.2+) would
 * otherwise hang with no hint of who holds it. It runs from a delayed work
 * item, armed only while an attachment is stale. The callback of an
 * attachment it names for the first time is learned (learn.c): it was
 * notified and kept its mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

#define CREATE_TRACE_POINTS
#include "dbr_trace.h"

struct dbr_tatt {
	struct list_head node;
	struct dma_buf_attachment *attach;
	enum dbr_class class;
	unsigned int mapped;
	/* Watchdog, under dbr_track_lock: 0 unless mapped at a revoke. */
	unsigned long stale_since;	/* jiffies the revoke began */
	unsigned long next_warn;	/* jiffies of the next log line */
	unsigned int warned;		/* log lines so far */
	char dev[32];
	char cb[DBR_SYM_MAX];
};

struct dbr_tbuf {
	struct hlist_node node;
	struct rcu_head rcu;
	struct dma_buf *dmabuf;
	char exp_name[DBR_NAME_MAX];
	size_t size;
	bool guarded;
	bool hooked;	/* tracked by probe_track.c, not by its exporter */
	bool revoked;
	unsigned int stale;
	struct list_head atts;
};

static DEFINE_HASHTABLE(dbr_tbufs, 6);
static DEFINE_SPINLOCK(dbr_track_lock);
/* Hooked buffers in the table: probe handlers return at once while 0. */
static atomic_t dbr_nr_hooked = ATOMIC_INIT(0);

static unsigned int stale_timeout_ms = 1000;
static void dbr_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(dbr_watchdog, dbr_watchdog_fn);
/*
 * Callbacks to learn, gathered under dbr_track_lock and learned after it
 * (learning sleeps). Only the watchdog uses it, and a work item never runs
 * twice at once.
 */
#define DBR_LEARN_BATCH 4
static char dbr_learn_batch[DBR_LEARN_BATCH][DBR_SYM_MAX];

static int stale_timeout_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 0, &ms) || (ms && (ms < 100 || ms > 3600000))) {
		pr_warn("stale_timeout_ms: '%.*s' is not 0 (watchdog off) or 100..3600000\n",
			(int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	WRITE_ONCE(stale_timeout_ms, ms);
	return 0;
}

static int stale_timeout_ms_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(stale_timeout_ms));
}

const struct kernel_param_ops dbr_stale_timeout_ms_ops = {
	.set = stale_timeout_ms_set,
	.get = stale_timeout_ms_get,
};

static struct dbr_tbuf *tbuf_find(struct dma_buf *dmabuf)
{
	struct dbr_tbuf *b;

	lockdep_assert_held(&dbr_track_lock);
	hash_for_each_possible(dbr_tbufs, b, node, (unsigned long)dmabuf)
		if (b->dmabuf == dmabuf)
			return b;
	return NULL;
}

static struct dbr_tatt *tatt_find(struct dbr_tbuf *b,
				  struct dma_buf_attachment *attach)
{
	struct dbr_tatt *a;

	lockdep_assert_held(&dbr_track_lock);
	list_for_each_entry(a, &b->atts, node)
		if (a->attach == attach)
			return a;
	return NULL;
}

static unsigned int ms_since(unsigned long since)
{
	return jiffies_to_msecs(jiffies - since);
}

/*
 * @a, mapped when a revoke began, is not stale any more (@how): it let its
 * mapping go (dbr_unmapped), or the buffer is live again. The log says so
 * if the watchdog named it.
 */
static void tatt_unstale(struct dbr_tbuf *b, struct dbr_tatt *a,
			 const char *how, bool unmapped)
{
	unsigned int ms = ms_since(a->stale_since);

	lockdep_assert_held(&dbr_track_lock);
	if (unmapped) {
		trace_dbr_unmapped(b->exp_name, b->dmabuf, a->attach, a->cb, ms);
		dbr_event_importer(DBR_EV_UNMAPPED, b->dmabuf, b->exp_name,
				   a->attach, a->cb, ms);
	}
	if (a->warned)
		pr_info_ratelimited("stale: %s buffer %p: importer %s (device %s) %s %u ms after the revoke\n",
				    b->exp_name, b->dmabuf, a->cb, a->dev, how, ms);
	a->stale_since = 0;
	a->warned = 0;
}

/*
 * One table, two feeders: exporters that call the API below (the test
 * exporter) and probe_track.c for those that do not (vfio-pci), through
 * dbr_track_hook_attach()/_detach() and the same note_* calls. These two
 * make every row either way.
 */
static struct dbr_tbuf *tbuf_new(struct dma_buf *dmabuf, bool guarded,
				 bool hooked)
{
	struct dbr_tbuf *b = kzalloc(sizeof(*b), GFP_KERNEL);

	if (!b)
		return NULL;
	b->dmabuf = dmabuf;
	b->size = dmabuf->size;
	b->guarded = guarded;
	b->hooked = hooked;
	strscpy(b->exp_name, dmabuf->exp_name ?: "?", sizeof(b->exp_name));
	INIT_LIST_HEAD(&b->atts);
	return b;
}

static struct dbr_tatt *tatt_new(struct dma_buf_attachment *attach)
{
	struct dbr_tatt *a = kzalloc(sizeof(*a), GFP_KERNEL);
	const char *reason;

	if (!a)
		return NULL;
	a->attach = attach;
	a->class = dbr_classify_importer(attach->importer_ops, &reason, a->cb,
					  sizeof(a->cb), NULL);
	strscpy(a->dev, attach->dev ? dev_name(attach->dev) : "?", sizeof(a->dev));
	return a;
}

/*
 * Record @attach; @hooked: seen by probe_track.c, whose buffers come with
 * their first attachment and go with their last. Return: true if recorded.
 */
static bool tatt_record(struct dma_buf_attachment *attach, bool hooked)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	struct dbr_tbuf *nb = NULL, *b;
	struct dbr_tatt *a;
	bool ret = false;

	a = tatt_new(attach);
	if (hooked)
		nb = tbuf_new(dmabuf, false, true);
	if (!a || (hooked && !nb))
		goto out;	/* the table just misses a row */

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	if (!b && nb) {
		b = nb;
		nb = NULL;
		hash_add_rcu(dbr_tbufs, &b->node, (unsigned long)dmabuf);
		atomic_inc(&dbr_nr_hooked);
	}
	if (b && b->hooked == hooked && !tatt_find(b, attach)) {
		list_add_tail(&a->node, &b->atts);
		a = NULL;
		ret = true;
	}
	spin_unlock(&dbr_track_lock);
out:
	kfree(nb);	/* never in the table */
	kfree(a);
	return ret;
}

/* @b is unhashed: its attachments are ours, @b itself may still be read. */
static void tbuf_free(struct dbr_tbuf *b)
{
	struct dbr_tatt *a, *tmp;

	list_for_each_entry_safe(a, tmp, &b->atts, node)
		kfree(a);
	kfree_rcu(b, rcu);
}

/* Forget @attach (and a hooked buffer with its last one). */
static bool tatt_forget(struct dma_buf_attachment *attach, bool hooked)
{
	struct dbr_tatt *a = NULL;
	struct dbr_tbuf *b;
	bool found;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(attach->dmabuf);
	if (b && b->hooked == hooked) {
		a = tatt_find(b, attach);
		if (a) {
			if (a->stale_since)
				tatt_unstale(b, a, "detached", true);
			list_del(&a->node);
		}
	}
	if (b && hooked && b->hooked && list_empty(&b->atts)) {
		hash_del_rcu(&b->node);
		atomic_dec(&dbr_nr_hooked);
	} else {
		b = NULL;
	}
	spin_unlock(&dbr_track_lock);
	if (b)
		tbuf_free(b);
	found = a;
	kfree(a);
	return found;
}

/**
 * dmabuf_revoke_track_buffer() - start tracking an exported buffer
 * @dmabuf: the buffer, right after dma_buf_export()
 * @guarded: whether its attach applies dmabuf_revoke_check_attach()
 *
 * Call dmabuf_revoke_untrack_buffer() from the exporter's release.
 *
 * Return: 0, -EEXIST if already tracked, -ENOMEM.
 */
int dmabuf_revoke_track_buffer(struct dma_buf *dmabuf, bool guarded)
{
	struct dbr_tbuf *b;
	int ret = 0;

	b = tbuf_new(dmabuf, guarded, false);
	if (!b)
		return -ENOMEM;
	spin_lock(&dbr_track_lock);
	if (tbuf_find(dmabuf)) {
		ret = -EEXIST;
		kfree(b);
	} else {
		hash_add_rcu(dbr_tbufs, &b->node, (unsigned long)dmabuf);
	}
	spin_unlock(&dbr_track_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_track_buffer, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_untrack_buffer() - stop tracking a buffer
 * @dmabuf: a buffer passed to dmabuf_revoke_track_buffer(); others are ignored
 */
void dmabuf_revoke_untrack_buffer(struct dma_buf *dmabuf)
{
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	if (b)
		hash_del_rcu(&b->node);
	spin_unlock(&dbr_track_lock);
	if (b)
		tbuf_free(b);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_untrack_buffer, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_note_attach() - record a successful attach
 * @attach: the new attachment of a tracked buffer (others are ignored)
 *
 * Context: may sleep (classification result is cached).
 */
void dmabuf_revoke_note_attach(struct dma_buf_attachment *attach)
{
	tatt_record(attach, false);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_attach, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_note_detach() - record a detach
 * @attach: an attachment passed to dmabuf_revoke_note_attach()
 */
void dmabuf_revoke_note_detach(struct dma_buf_attachment *attach)
{
	tatt_forget(attach, false);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_detach, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_note_mapped() - record a map or an unmap
 * @attach: a recorded attachment
 * @mapped: true from map_dma_buf, false from unmap_dma_buf
 */
void dmabuf_revoke_note_mapped(struct dma_buf_attachment *attach, bool mapped)
{
	struct dbr_tatt *a;
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(attach->dmabuf);
	a = b ? tatt_find(b, attach) : NULL;
	if (a) {
		/*
		 * The exporter refuses maps while revoked: a hooked buffer
		 * mapped is live (in case a notify was not seen).
		 */
		if (mapped && b->hooked)
			b->revoked = false;
		if (mapped)
			a->mapped++;
		else if (a->mapped)
			a->mapped--;
		if (!a->mapped && a->stale_since)
			tatt_unstale(b, a, "unmapped", true);
	}
	spin_unlock(&dbr_track_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_mapped, DBR_NS(DMABUF_REVOKE));

/* @b is live again: a mapping of it is not stale any more. */
static void tbuf_restored(struct dbr_tbuf *b)
{
	struct dbr_tatt *a;

	lockdep_assert_held(&dbr_track_lock);
	b->revoked = false;
	list_for_each_entry(a, &b->atts, node)
		if (a->stale_since)
			tatt_unstale(b, a, "kept its mapping until the restore,",
				     false);
}

/**
 * dmabuf_revoke_note_revoking() - a revocation of a tracked buffer begins
 * @dmabuf: the buffer (others are ignored)
 *
 * Call it before notifying the importers: from here the watchdog
 * times every attachment that is still mapped (stale_timeout_ms), and the
 * dbr_unmapped tracepoint reports when each lets go.
 * dmabuf_revoke_note_revoke() still reports the outcome.
 */
void dmabuf_revoke_note_revoking(struct dma_buf *dmabuf)
{
	unsigned int ms = READ_ONCE(stale_timeout_ms), n = 0;
	unsigned long now = jiffies;
	struct dbr_tbuf *b;
	struct dbr_tatt *a;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	/*
	 * No exporter reports a hooked buffer's revoke and restore
	 * (note_revoke, note_restore), and vfio-pci notifies its importers
	 * of both: a notify of a hooked buffer seen revoked is its restore.
	 */
	if (b && b->hooked && b->revoked) {
		tbuf_restored(b);
		b = NULL;
	}
	if (b) {
		if (b->hooked) {
			b->revoked = true;
			atomic64_inc(&dbr_counters.revocations);
		}
		list_for_each_entry(a, &b->atts, node) {
			if (!a->mapped || a->stale_since)
				continue;
			a->stale_since = now ?: 1;
			a->next_warn = now + msecs_to_jiffies(ms);
			a->warned = 0;
			n++;
		}
		trace_dbr_revoke(b->exp_name, dmabuf, n);
		dbr_event_revoke(dmabuf, b->exp_name, n);
	}
	spin_unlock(&dbr_track_lock);
	/*
	 * The watchdog itself works out its next run from every deadline:
	 * a delay set from here could postpone an earlier one.
	 */
	if (n && ms)
		mod_delayed_work(dbr_wq, &dbr_watchdog, 0);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_revoking, DBR_NS(DMABUF_REVOKE));

/*
 * Every stale attachment whose time has come is named; the next line comes
 * after twice the previous wait (at most 64x stale_timeout_ms). Re-arms for
 * the earliest one left.
 */
static void dbr_watchdog_fn(struct work_struct *work)
{
	unsigned int ms = READ_ONCE(stale_timeout_ms), nlearn = 0, i;
	bool learn = dbr_learn_get() != DBR_LEARN_OFF;
	unsigned long now = jiffies, next = 0;
	struct dbr_tbuf *b;
	struct dbr_tatt *a;
	int bkt;

	if (!ms)
		return;
	spin_lock(&dbr_track_lock);
	hash_for_each(dbr_tbufs, bkt, b, node) {
		list_for_each_entry(a, &b->atts, node) {
			if (!a->stale_since)
				continue;
			if (time_after_eq(now, a->next_warn)) {
				unsigned int held = ms_since(a->stale_since);

				/*
				 * Only an importer that has a callback was
				 * notified and ignored it. A full batch: name
				 * it on the next run, at once.
				 */
				if (!a->warned && learn &&
				    (a->class == DBR_CLASS_REVOCABLE ||
				     a->class == DBR_CLASS_ALLOWED ||
				     a->class == DBR_CLASS_DENIED)) {
					if (nlearn == DBR_LEARN_BATCH) {
						next = now + 1;
						continue;
					}
					strscpy(dbr_learn_batch[nlearn++], a->cb,
						DBR_SYM_MAX);
				}
				if (!a->warned)
					atomic64_inc(&dbr_counters.stale_named);
				trace_dbr_stale(b->exp_name, b->dmabuf,
						a->attach, a->cb, held);
				dbr_event_importer(DBR_EV_STALE, b->dmabuf,
						   b->exp_name, a->attach,
						   a->cb, held);
				pr_warn_ratelimited("stale: %s buffer %p (%zu bytes): importer %s (device %s) still mapped %u ms after the revoke: it ignores revocations\n",
						    b->exp_name, b->dmabuf,
						    b->size, a->cb, a->dev, held);
				a->warned++;
				a->next_warn = now + msecs_to_jiffies(ms) *
					(1UL << min(a->warned, 6U));
			}
			if (!next || time_before(a->next_warn, next))
				next = a->next_warn;
		}
	}
	/* Under the lock: a revoke noted after it re-runs us at once. */
	if (next)
		mod_delayed_work(dbr_wq, &dbr_watchdog,
				 time_after(next, now) ? next - now : 1);
	spin_unlock(&dbr_track_lock);
	for (i = 0; i < nlearn; i++)
		dbr_learn_add(dbr_learn_batch[i]);
}

/**
 * dmabuf_revoke_note_revoke() - record a revocation and its outcome
 * @dmabuf: the revoked buffer (counted even if not tracked)
 * @stale: attachments still mapped when the exporter stopped waiting
 */
void dmabuf_revoke_note_revoke(struct dma_buf *dmabuf, unsigned int stale)
{
	struct dbr_tbuf *b;

	atomic64_inc(&dbr_counters.revocations);
	atomic64_add(stale, &dbr_counters.stale);
	if (stale)
		pr_warn_ratelimited("%s buffer revoked with %u attachment(s) still mapped: stale mappings\n",
				    dmabuf->exp_name ?: "?", stale);
	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	if (b) {
		b->revoked = true;
		b->stale = stale;
	}
	spin_unlock(&dbr_track_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_revoke, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_note_restore() - record that a revoked buffer is usable again
 * @dmabuf: the buffer
 */
void dmabuf_revoke_note_restore(struct dma_buf *dmabuf)
{
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	if (b)
		tbuf_restored(b);
	spin_unlock(&dbr_track_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_restore, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_buffer_state() - is this buffer revoked?
 * @dmabuf: any dma-buf
 *
 * Return: DMABUF_REVOKE_STATE_REVOKED or _LIVE for buffers their exporter
 * tracks, DMABUF_REVOKE_STATE_UNKNOWN otherwise (the hook's only infer it).
 */
enum dmabuf_revoke_state dmabuf_revoke_buffer_state(struct dma_buf *dmabuf)
{
	enum dmabuf_revoke_state s = DMABUF_REVOKE_STATE_UNKNOWN;
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	/* A hooked buffer's state is our inference: ask its exporter. */
	if (b && !b->hooked)
		s = b->revoked ? DMABUF_REVOKE_STATE_REVOKED :
				 DMABUF_REVOKE_STATE_LIVE;
	spin_unlock(&dbr_track_lock);
	return s;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_buffer_state, DBR_NS(DMABUF_REVOKE));

enum { TB_GUARDED, TB_HOOKED, TB_BY_EXPORTER };

/* Context: any (kprobe handlers); lock-free. @what: TB_*. */
static bool tbuf_flag_rcu(const struct dma_buf *dmabuf, int what)
{
	struct dbr_tbuf *b;
	bool ret = false;

	rcu_read_lock();
	hash_for_each_possible_rcu(dbr_tbufs, b, node, (unsigned long)dmabuf) {
		if (b->dmabuf == dmabuf) {
			ret = what == TB_GUARDED ? b->guarded :
			      what == TB_HOOKED ? READ_ONCE(b->hooked) :
			      !READ_ONCE(b->hooked);
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

/*
 * The hook leaves alone buffers whose exporter applies the check itself.
 * Context: any (the kprobe handler); lock-free.
 */
bool dbr_track_self_guarded(const struct dma_buf *dmabuf)
{
	return tbuf_flag_rcu(dmabuf, TB_GUARDED);
}

/* Is @dmabuf tracked by probe_track.c? Context: any; lock-free. */
bool dbr_track_hooked(const struct dma_buf *dmabuf)
{
	return tbuf_flag_rcu(dmabuf, TB_HOOKED);
}

/* Does @dmabuf's exporter track it itself? Context: any; lock-free. */
bool dbr_track_by_exporter(const struct dma_buf *dmabuf)
{
	return tbuf_flag_rcu(dmabuf, TB_BY_EXPORTER);
}

int dbr_track_nr_hooked(void)
{
	return atomic_read(&dbr_nr_hooked);
}

/**
 * dbr_track_hook_attach() - record an attach probe_track.c saw succeed
 * @attach: an attachment to a guarded exporter's buffer
 *
 * The buffer is tracked from its first such attachment to its last
 * detach (dbr_track_hook_detach()) unless its exporter tracks it itself.
 *
 * Context: process; may sleep.
 * Return: true if @attach is now in the table as a hooked one.
 */
bool dbr_track_hook_attach(struct dma_buf_attachment *attach)
{
	return tatt_record(attach, true);
}

/**
 * dbr_track_hook_detach() - record a detach probe_track.c saw coming
 * @attach: an attachment of a hooked buffer, not detached yet
 *
 * The buffer leaves the table with its last recorded attachment.
 *
 * Context: process.
 * Return: true if @attach was in the table.
 */
bool dbr_track_hook_detach(struct dma_buf_attachment *attach)
{
	return tatt_forget(attach, true);
}

/* debugfs "buffers": one line per buffer, one indented line per attachment. */
void dbr_track_show(struct seq_file *m)
{
	struct dbr_tbuf *b;
	struct dbr_tatt *a;
	int bkt;

	spin_lock(&dbr_track_lock);
	hash_for_each(dbr_tbufs, bkt, b, node) {
		seq_printf(m, "buffer %p exporter=%s size=%zu guarded=%d state=%s stale=%u tracked=%s\n",
			   b->dmabuf, b->exp_name, b->size, b->guarded,
			   b->revoked ? "revoked" : "live", b->stale,
			   b->hooked ? "hook" : "exporter");
		list_for_each_entry(a, &b->atts, node)
			seq_printf(m, "  attachment %p dev=%s class=%s mapped=%u callback=%s stale_ms=%u\n",
				   a->attach, a->dev, dbr_class_name(a->class),
				   a->mapped, a->cb,
				   a->stale_since ? ms_since(a->stale_since) : 0);
	}
	spin_unlock(&dbr_track_lock);
}

void dbr_track_exit(void)
{
	struct dbr_tbuf *b;
	struct hlist_node *tmp;
	int bkt;

	cancel_delayed_work_sync(&dbr_watchdog);
	/* Exporters that track depend on our symbols: they are gone. */
	hash_for_each_safe(dbr_tbufs, bkt, tmp, b, node) {
		hash_del_rcu(&b->node);
		tbuf_free(b);
	}
}
