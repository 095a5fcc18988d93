// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke tracking: the buffers exporters tell us about, their
 * attachments (class, mapped or not) and whether they are revoked. This is
 * what the debugfs "buffers" table shows and what lets an importer learn
 * that the mapping it holds belongs to a revoked buffer.
 *
 * Exporters call in from attach/detach (may sleep) and from map/unmap and
 * revoke with the buffer's resv held; one spinlock covers the table. The
 * kprobe handler only asks whether a buffer is self-guarded: it walks the
 * buffer hash under RCU, without the lock (a sleeping lock on PREEMPT_RT).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

struct dbr_tatt {
	struct list_head node;
	struct dma_buf_attachment *attach;
	enum dbr_class class;
	unsigned int mapped;
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
	bool revoked;
	unsigned int stale;
	struct list_head atts;
};

static DEFINE_HASHTABLE(dbr_tbufs, 6);
static DEFINE_SPINLOCK(dbr_track_lock);

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

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->dmabuf = dmabuf;
	b->size = dmabuf->size;
	b->guarded = guarded;
	strscpy(b->exp_name, dmabuf->exp_name ?: "?", sizeof(b->exp_name));
	INIT_LIST_HEAD(&b->atts);

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

/* @b is unhashed: its attachments are ours, @b itself may still be read. */
static void tbuf_free(struct dbr_tbuf *b)
{
	struct dbr_tatt *a, *tmp;

	list_for_each_entry_safe(a, tmp, &b->atts, node)
		kfree(a);
	kfree_rcu(b, rcu);
}

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
	struct dbr_tatt *a;
	struct dbr_tbuf *b;
	const char *reason;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return;	/* the table just misses a row */
	a->attach = attach;
	a->class = dbr_classify_importer(attach->importer_ops, &reason, a->cb,
					  sizeof(a->cb));
	strscpy(a->dev, attach->dev ? dev_name(attach->dev) : "?", sizeof(a->dev));

	spin_lock(&dbr_track_lock);
	b = tbuf_find(attach->dmabuf);
	if (b && !tatt_find(b, attach)) {
		list_add_tail(&a->node, &b->atts);
		a = NULL;
	}
	spin_unlock(&dbr_track_lock);
	kfree(a);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_attach, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_note_detach() - record a detach
 * @attach: an attachment passed to dmabuf_revoke_note_attach()
 */
void dmabuf_revoke_note_detach(struct dma_buf_attachment *attach)
{
	struct dbr_tatt *a = NULL;
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(attach->dmabuf);
	if (b) {
		a = tatt_find(b, attach);
		if (a)
			list_del(&a->node);
	}
	spin_unlock(&dbr_track_lock);
	kfree(a);
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
		if (mapped)
			a->mapped++;
		else if (a->mapped)
			a->mapped--;
	}
	spin_unlock(&dbr_track_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_mapped, DBR_NS(DMABUF_REVOKE));

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
		b->revoked = false;
	spin_unlock(&dbr_track_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_note_restore, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_buffer_state() - is this buffer revoked?
 * @dmabuf: any dma-buf
 *
 * Return: DMABUF_REVOKE_STATE_REVOKED or _LIVE for tracked buffers,
 * DMABUF_REVOKE_STATE_UNKNOWN otherwise.
 */
enum dmabuf_revoke_state dmabuf_revoke_buffer_state(struct dma_buf *dmabuf)
{
	enum dmabuf_revoke_state s = DMABUF_REVOKE_STATE_UNKNOWN;
	struct dbr_tbuf *b;

	spin_lock(&dbr_track_lock);
	b = tbuf_find(dmabuf);
	if (b)
		s = b->revoked ? DMABUF_REVOKE_STATE_REVOKED :
				 DMABUF_REVOKE_STATE_LIVE;
	spin_unlock(&dbr_track_lock);
	return s;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_buffer_state, DBR_NS(DMABUF_REVOKE));

/*
 * The hook leaves alone buffers whose exporter applies the check itself.
 * Context: any (the kprobe handler); lock-free.
 */
bool dbr_track_self_guarded(const struct dma_buf *dmabuf)
{
	struct dbr_tbuf *b;
	bool guarded = false;

	rcu_read_lock();
	hash_for_each_possible_rcu(dbr_tbufs, b, node, (unsigned long)dmabuf) {
		if (b->dmabuf == dmabuf) {
			guarded = b->guarded;
			break;
		}
	}
	rcu_read_unlock();
	return guarded;
}

/* debugfs "buffers": one line per buffer, one indented line per attachment. */
void dbr_track_show(struct seq_file *m)
{
	struct dbr_tbuf *b;
	struct dbr_tatt *a;
	int bkt;

	spin_lock(&dbr_track_lock);
	hash_for_each(dbr_tbufs, bkt, b, node) {
		seq_printf(m, "buffer %p exporter=%s size=%zu guarded=%d state=%s stale=%u\n",
			   b->dmabuf, b->exp_name, b->size, b->guarded,
			   b->revoked ? "revoked" : "live", b->stale);
		list_for_each_entry(a, &b->atts, node)
			seq_printf(m, "  attachment %p dev=%s class=%s mapped=%u callback=%s\n",
				   a->attach, a->dev, dbr_class_name(a->class),
				   a->mapped, a->cb);
	}
	spin_unlock(&dbr_track_lock);
}

void dbr_track_exit(void)
{
	struct dbr_tbuf *b;
	struct hlist_node *tmp;
	int bkt;

	/* Exporters that track depend on our symbols: they are gone. */
	hash_for_each_safe(dbr_tbufs, bkt, tmp, b, node) {
		hash_del_rcu(&b->node);
		tbuf_free(b);
	}
}
