// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke registry: what kind of importer is behind an attachment,
 * and whether the policy lets it attach.
 *
 * An importer is known by its attach ops table and its callback. The first
 * attach through a table resolves the callback's symbol and owning module
 * (kallsyms) and caches the class; later attaches are one lookup. Any
 * change that could alter a class (list edit, registration, a module going
 * away whose address could be reused, the learned set) bumps a generation
 * that makes cached entries stale.
 *
 * The attach path runs in the kprobe handler: preemption off, and for an
 * int3-based probe in NMI-like context. So it never sleeps, allocates or
 * takes a spinlock_t (a sleeping lock on PREEMPT_RT): the cache and the
 * log-once table are static arrays written with cmpxchg, read lock-free.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kallsyms.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"
#include "dbr_trace.h"

/*
 * RDMA's pinned importer (ib_umem_dmabuf_attach_pinned_ops): a callback that
 * only warns (<= v7.0); 7.1+ has none (class no-callback). Its revocable
 * variant (ib_umem_dmabuf_revoke_locked: Debian 6.12.118, 7.2, 7.3) revokes
 * for real and must stay revocable. Suite 84-rdma checks all three.
 */
#define DBR_BUILTIN_DENY "ib_umem_dmabuf_unsupported_move_notify"
/* Sizes of the attach path's static tables (powers of two). */
#define DBR_CACHE_SLOTS 256
/* Slots an importer may take from its hash on (a probe window, wrapping). */
#define DBR_CACHE_WAYS 8
#define DBR_AUDIT_PAIRS_MAX 512

struct dbr_counters dbr_counters;
DEFINE_PER_CPU(struct dbr_hot_counters, dbr_hot);

/* The sum over CPUs of the u64 at @offset in struct dbr_hot_counters. */
u64 dbr_hot_sum(size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(&dbr_hot, cpu) + offset);
	return sum;
}

static atomic_long_t dbr_gen = ATOMIC_LONG_INIT(1);

/*
 * One cache slot, a seqcount written by whoever wins a cmpxchg on @seq
 * (odd while written). A reader that sees @seq move discards what it read.
 * Keyed by ops and callback: a freed ops table reused at the same address
 * for another importer does not inherit a class.
 */
struct dbr_cached {
	unsigned long seq;
	const struct dma_buf_attach_ops *ops;
	const void *cb_fn;
	unsigned long gen;
	enum dbr_class class;
	bool learned;		/* in the learned set (learn.c) */
	const char *reason;
	char cb[DBR_SYM_MAX];	/* "symbol [module]" of the callback */
};

static struct dbr_cached dbr_cache[DBR_CACHE_SLOTS];

struct dbr_reg {
	struct list_head node;
	struct rcu_head rcu;
	const struct dma_buf_attach_ops *ops;
	enum dmabuf_revoke_cap cap;
	struct module *owner;
};

static LIST_HEAD(dbr_regs);
static DEFINE_MUTEX(dbr_regs_lock);

/* Importer/exporter pairs already logged: open addressing, 0 is empty. */
static u64 dbr_pairs[DBR_AUDIT_PAIRS_MAX];

/*
 * Acquire pairs with the release in dbr_invalidate(): whoever sees a new
 * generation also sees the list or registration published before it.
 */
unsigned long dbr_generation(void)
{
	return atomic_long_read_acquire(&dbr_gen);
}

void dbr_invalidate(void)
{
	atomic_long_add_return_release(1, &dbr_gen);
}

static const struct dbr_reg *reg_find_rcu(const struct dma_buf_attach_ops *ops)
{
	struct dbr_reg *r;

	list_for_each_entry_rcu(r, &dbr_regs, node)
		if (r->ops == ops)
			return r;
	return NULL;
}

/* Compute a class from scratch: kallsyms plus lists; no sleeping. */
static enum dbr_class classify_ops(const struct dma_buf_attach_ops *ops,
				   const char **reason, char *cb, size_t cbsz,
				   bool *learned)
{
	char sym[DBR_NAME_MAX] = "", mod[DBR_NAME_MAX] = "";
	char buf[KSYM_SYMBOL_LEN];
	struct dbr_facts f = { .has_ops = true };
	const struct dbr_reg *r;
	void *fn = ops->DBR_ATTACH_OPS_CB;

	f.has_callback = fn;
	strscpy(cb, "-", cbsz);
	if (fn) {
		sprint_symbol_no_offset(buf, (unsigned long)fn);
		strscpy(cb, buf, cbsz);
		if (dbr_split_symbol(buf, sym, sizeof(sym), mod, sizeof(mod)))
			sym[0] = mod[0] = '\0';
	}

	rcu_read_lock();
	r = reg_find_rcu(ops);
	if (r && r->cap == DMABUF_REVOKE_CAP_NOT_REVOCABLE) {
		f.denied = true;
		*reason = "registered as not revocable";
	} else if (!strcmp(sym, DBR_BUILTIN_DENY)) {
		f.denied = true;
		*reason = "built-in deny entry (RDMA pinned importer stub)";
	} else if (dbr_list_deny_match(sym, mod)) {
		f.denied = true;
		*reason = "deny list";
	} else if (r) {
		f.allowed = true;
		*reason = "registered as revocable";
	} else if (dbr_list_allow_match(sym, mod)) {
		f.allowed = true;
		*reason = "allow list";
	} else {
		*reason = fn ? "has a revocation callback" : "";
	}
	rcu_read_unlock();
	*learned = fn && dbr_learned_match(sym, mod);

	if (!fn)
		*reason = "importer ops without a revocation callback";
	return dbr_classify(&f);
}

/*
 * The first slot an importer may be cached in. A full-avalanche hash: ops
 * tables of one driver sit at a fixed stride, and hash_64()'s Fibonacci
 * hashing maps such strides onto few slots.
 */
static unsigned int cache_idx(const void *ops, const void *cb_fn)
{
	u64 a = (unsigned long)ops, b = (unsigned long)cb_fn;

	return jhash_3words((u32)a, (u32)(a >> 32), (u32)b ^ (u32)(b >> 32), 0) &
	       (DBR_CACHE_SLOTS - 1);
}

static struct dbr_cached *cache_way(unsigned int idx, int w)
{
	return &dbr_cache[(idx + w) & (DBR_CACHE_SLOTS - 1)];
}

static bool cache_load_slot(struct dbr_cached *e,
			    const struct dma_buf_attach_ops *ops,
			    const void *cb_fn, unsigned long gen,
			    enum dbr_class *class, const char **reason,
			    bool *learned, char *cb, size_t cbsz)
{
	/* Pairs with the release in cache_store(): fields after seq. */
	unsigned long seq = smp_load_acquire(&e->seq);
	char name[DBR_SYM_MAX];
	bool hit;

	if (seq & 1)
		return false;
	hit = READ_ONCE(e->ops) == ops && READ_ONCE(e->cb_fn) == cb_fn &&
	      READ_ONCE(e->gen) == gen;
	if (!hit)
		return false;
	*class = READ_ONCE(e->class);
	*reason = READ_ONCE(e->reason);
	*learned = READ_ONCE(e->learned);
	if (cb)
		memcpy(name, e->cb, sizeof(name));
	smp_rmb();	/* the copy above before the re-check */
	if (READ_ONCE(e->seq) != seq)
		return false;
	if (cb) {
		name[sizeof(name) - 1] = '\0';
		strscpy(cb, name, cbsz);
	}
	return true;
}

static bool cache_load(const struct dma_buf_attach_ops *ops, const void *cb_fn,
		       unsigned long gen, enum dbr_class *class,
		       const char **reason, bool *learned, char *cb, size_t cbsz)
{
	unsigned int idx = cache_idx(ops, cb_fn);
	int w;

	for (w = 0; w < DBR_CACHE_WAYS; w++)
		if (cache_load_slot(cache_way(idx, w), ops, cb_fn, gen, class,
				    reason, learned, cb, cbsz))
			return true;
	return false;
}

/*
 * Best effort: a slot being written by someone else is left to them. The
 * slot: this importer's, else an empty or stale one, else the one written
 * least often (lowest seq).
 */
static void cache_store(const struct dma_buf_attach_ops *ops, const void *cb_fn,
			unsigned long gen, enum dbr_class class,
			const char *reason, bool learned, const char *cb)
{
	unsigned int idx = cache_idx(ops, cb_fn);
	struct dbr_cached *e = cache_way(idx, 0);
	unsigned long seq, oldest = ULONG_MAX;
	int w;

	for (w = 0; w < DBR_CACHE_WAYS; w++) {
		struct dbr_cached *x = cache_way(idx, w);
		const void *xops = READ_ONCE(x->ops);

		if ((xops == ops && READ_ONCE(x->cb_fn) == cb_fn) || !xops ||
		    READ_ONCE(x->gen) != gen) {
			e = x;
			break;
		}
		seq = READ_ONCE(x->seq);
		if (seq < oldest) {
			oldest = seq;
			e = x;
		}
	}
	seq = READ_ONCE(e->seq);

	if ((seq & 1) || cmpxchg(&e->seq, seq, seq + 1) != seq)
		return;
	smp_wmb();	/* odd seq before the fields change */
	WRITE_ONCE(e->ops, ops);
	WRITE_ONCE(e->cb_fn, cb_fn);
	WRITE_ONCE(e->gen, gen);
	WRITE_ONCE(e->class, class);
	WRITE_ONCE(e->learned, learned);
	WRITE_ONCE(e->reason, reason);
	strscpy(e->cb, cb, sizeof(e->cb));
	/* Pairs with the acquire in cache_load(): fields before seq. */
	smp_store_release(&e->seq, seq + 2);
}

/**
 * dbr_classify_importer() - classify an importer by its attach ops
 * @ops: the importer's attach ops; NULL for a legacy importer
 * @reason: set to a static string saying why
 * @cb: filled with "symbol [module]" of the callback, or "-"; may be NULL
 *      (the attach path: no string work on a cache hit)
 * @cbsz: size of @cb
 * @learned: if not NULL, set to whether the watchdog saw the callback
 *           ignore a revoke (the learned set; cached with the class)
 *
 * Context: any; never sleeps.
 * Return: the class.
 */
enum dbr_class dbr_classify_importer(const struct dma_buf_attach_ops *ops,
				     const char **reason, char *cb, size_t cbsz,
				     bool *learned)
{
	unsigned long gen = dbr_generation();
	char name[DBR_SYM_MAX];
	enum dbr_class class;
	const void *cb_fn;
	bool l;

	if (!learned)
		learned = &l;
	*learned = false;
	if (!ops) {
		*reason = "no importer ops (dma_buf_attach)";
		if (cb)
			strscpy(cb, "-", cbsz);
		return DBR_CLASS_LEGACY;
	}
	cb_fn = READ_ONCE(ops->DBR_ATTACH_OPS_CB);
	if (cache_load(ops, cb_fn, gen, &class, reason, learned, cb, cbsz))
		return class;
	class = classify_ops(ops, reason, name, sizeof(name), learned);
	cache_store(ops, cb_fn, gen, class, *reason, *learned, name);
	if (cb)
		strscpy(cb, name, cbsz);
	return class;
}

/**
 * dmabuf_revoke_classify() - how far an importer can be trusted to revoke
 * @attach: an attachment (its importer_ops identify the importer)
 * @reason: if not NULL, set to a static string saying why
 *
 * Classes: legacy (no importer ops), no-callback (ops without a callback),
 * denied (deny list, built-in deny entry, or registered as not revocable),
 * allowed (allow list or registered as revocable), revocable (otherwise).
 * Safe in atomic context; O(1) after the first attach through an ops table.
 *
 * Return: the class.
 */
enum dbr_class dmabuf_revoke_classify(const struct dma_buf_attachment *attach,
				      const char **reason)
{
	char cb[DBR_SYM_MAX];
	const char *r;
	enum dbr_class c = dbr_classify_importer(attach->importer_ops, &r, cb,
						 sizeof(cb), NULL);

	if (reason)
		*reason = r;
	return c;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_classify, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_attach_revocable() - upstream's question, with the deny list
 * @attach: an attachment
 *
 * Like v7.1's dma_buf_attach_revocable() (importer ops with a callback),
 * but also false for importers whose callback is known not to revoke.
 *
 * Return: true if the importer will stop using a revoked buffer.
 */
bool dmabuf_revoke_attach_revocable(const struct dma_buf_attachment *attach)
{
	enum dbr_class c = dmabuf_revoke_classify(attach, NULL);

	return c == DBR_CLASS_ALLOWED || c == DBR_CLASS_REVOCABLE;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_attach_revocable, DBR_NS(DMABUF_REVOKE));

/*
 * First sight of this importer/exporter pair with this verdict? A pair
 * audited before is logged again when first refused (policy switched to
 * enforce). Lock-free; never sleeps.
 */
static bool pair_first_sight(const void *importer, const char *exp_name,
			     u32 v)
{
	u64 key = ((u64)jhash(exp_name, strlen(exp_name), v) << 32 |
		   hash_ptr(importer, 32)) | 1;
	unsigned int i, slot = hash_64(key, ilog2(DBR_AUDIT_PAIRS_MAX));
	u64 old;

	for (i = 0; i < DBR_AUDIT_PAIRS_MAX; i++) {
		u64 *p = &dbr_pairs[(slot + i) & (DBR_AUDIT_PAIRS_MAX - 1)];

		old = READ_ONCE(*p);
		if (old == key)
			return false;
		if (!old) {
			old = cmpxchg64(p, 0, key);
			if (!old)
				return true;
			if (old == key)
				return false;
		}
	}
	return true;	/* table full: every sight is a first one */
}

static DEFINE_RATELIMIT_STATE(dbr_log_rs, 5 * HZ, 10);

/**
 * dbr_check() - classify, decide, count and log one attach
 * @dmabuf: the buffer being attached to
 * @dev: the importing device
 * @ops: the importer's attach ops (NULL: legacy)
 * @policy: the policy for @dmabuf's exporter (see dbr_exporter_policy())
 * @upstream: the exporter itself refuses importers without a callback
 *            (v7.1+ vfio-pci): leave those to it, add only what it lacks
 *
 * Context: any; never sleeps, allocates or takes a spinlock_t (the kprobe
 * hook calls it from its handler).
 * Return: 0 to let the attach go on, -EOPNOTSUPP to refuse it.
 */
int dbr_check(const struct dma_buf *dmabuf, struct device *dev,
	      const struct dma_buf_attach_ops *ops, enum dbr_policy policy,
	      bool upstream)
{
	const char *exp = dmabuf->exp_name ?: "?";
	bool strict = dbr_strict_get();
	bool learned, by_learning;
	const void *importer;
	enum dbr_verdict v;
	enum dbr_class c;
	char cb[DBR_SYM_MAX];
	const char *reason;

	c = dbr_classify_importer(ops, &reason, NULL, 0, &learned);
	dbr_hot_inc(checked);
	dbr_hot_inc(by_class[c]);
	if (upstream && (c == DBR_CLASS_LEGACY || c == DBR_CLASS_NO_CALLBACK)) {
		dbr_hot_inc(upstream);
		trace_dbr_attach_verdict(exp, dmabuf, ops ? ops->DBR_ATTACH_OPS_CB : NULL,
					 c, DBR_TRACE_UPSTREAM);
		dbr_event_attach(dmabuf, exp, ops ? ops->DBR_ATTACH_OPS_CB : NULL,
				 c, DBR_EVENT_UPSTREAM);
		return 0;
	}

	v = dbr_decide_learned(c, policy, strict, dbr_learn_get(), learned,
			       &by_learning);
	if (by_learning)
		dbr_hot_inc(learned);
	trace_dbr_attach_verdict(exp, dmabuf, ops ? ops->DBR_ATTACH_OPS_CB : NULL,
				 c, v);
	dbr_event_attach(dmabuf, exp, ops ? ops->DBR_ATTACH_OPS_CB : NULL, c, v);
	switch (v) {
	case DBR_VERDICT_ALLOW:
		dbr_hot_inc(allowed);
		return 0;
	case DBR_VERDICT_AUDIT:
		dbr_hot_inc(audited);
		break;
	case DBR_VERDICT_REFUSE:
		dbr_hot_inc(refused);
		break;
	}

	importer = ops ?: (const void *)dev;
	/* A learned verdict is a verdict of its own for the log-once table. */
	if (!pair_first_sight(importer, exp, v + (by_learning ? 3 : 0)) ||
	    !__ratelimit(&dbr_log_rs))
		return v == DBR_VERDICT_REFUSE ? -EOPNOTSUPP : 0;
	/* The callback's name only for the log: no string work per attach. */
	dbr_classify_importer(ops, &reason, cb, sizeof(cb), NULL);
	if (by_learning)
		pr_warn("%s: %s importer on %s (callback %s, seen ignoring a revoke) attaching to a %s buffer\n",
			v == DBR_VERDICT_REFUSE ? "denied (learned)" :
						  "audit: would deny (learned)",
			dbr_class_name(c), dev ? dev_name(dev) : "?", cb, exp);
	else
		pr_warn("%s: %s importer on %s (%s, callback %s) attaching to a %s buffer\n",
			v == DBR_VERDICT_REFUSE ? "refused" : "audit",
			dbr_class_name(c), dev ? dev_name(dev) : "?",
			reason, cb, exp);
	return v == DBR_VERDICT_REFUSE ? -EOPNOTSUPP : 0;
}

/**
 * dmabuf_revoke_check_attach() - apply the policy to a new attachment
 * @attach: the attachment, called from the exporter's attach callback
 *
 * Counts the attach by class and verdict. Under "audit" a non-revocable
 * importer passes and is logged; under "enforce" it is refused. "strict"
 * makes only allowed importers trusted. The policy is the exporter's own
 * when exporters= gives it one ("NAME:POLICY"), the global one otherwise.
 * Logs once per importer/exporter pair and verdict, ratelimited. Safe in
 * atomic context.
 *
 * Return: 0 to let the attach go on, -EOPNOTSUPP to refuse it.
 */
int dmabuf_revoke_check_attach(struct dma_buf_attachment *attach)
{
	enum dbr_policy policy;

	dbr_exporter_policy(attach->dmabuf->exp_name, &policy);
	return dbr_check(attach->dmabuf, attach->dev, attach->importer_ops,
			 policy, false);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_check_attach, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_register_importer() - declare an importer's capability
 * @ops: the importer's attach ops, as passed to dma_buf_dynamic_attach()
 * @cap: DMABUF_REVOKE_CAP_REVOCABLE (class "allowed") or
 *       DMABUF_REVOKE_CAP_NOT_REVOCABLE (class "denied")
 * @owner: the module owning @ops; the entry goes away when it unloads
 *
 * Registering again from the same owner updates the capability.
 *
 * Return: 0, -EINVAL for bad arguments, -EEXIST if another module
 * registered @ops, -ENOMEM.
 */
int dmabuf_revoke_register_importer(const struct dma_buf_attach_ops *ops,
				    enum dmabuf_revoke_cap cap,
				    struct module *owner)
{
	struct dbr_reg *r, *new;
	int ret = 0;

	if (!ops || (cap != DMABUF_REVOKE_CAP_REVOCABLE &&
		     cap != DMABUF_REVOKE_CAP_NOT_REVOCABLE))
		return -EINVAL;
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->ops = ops;
	new->cap = cap;
	new->owner = owner;

	mutex_lock(&dbr_regs_lock);
	list_for_each_entry(r, &dbr_regs, node) {
		if (r->ops != ops)
			continue;
		if (r->owner != owner) {
			ret = -EEXIST;
			kfree(new);
			goto out;
		}
		list_replace_rcu(&r->node, &new->node);
		kfree_rcu(r, rcu);
		goto done;
	}
	list_add_tail_rcu(&new->node, &dbr_regs);
done:
	dbr_invalidate();
	pr_info("registered importer ops %ps (%s) of %s\n", ops,
		cap == DMABUF_REVOKE_CAP_REVOCABLE ? "revocable" : "not revocable",
		owner ? module_name(owner) : "kernel");
out:
	mutex_unlock(&dbr_regs_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_register_importer, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_unregister_importer() - forget a registration
 * @ops: the ops passed to dmabuf_revoke_register_importer()
 */
void dmabuf_revoke_unregister_importer(const struct dma_buf_attach_ops *ops)
{
	struct dbr_reg *r;

	mutex_lock(&dbr_regs_lock);
	list_for_each_entry(r, &dbr_regs, node) {
		if (r->ops == ops) {
			list_del_rcu(&r->node);
			kfree_rcu(r, rcu);
			dbr_invalidate();
			break;
		}
	}
	mutex_unlock(&dbr_regs_lock);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_unregister_importer, DBR_NS(DMABUF_REVOKE));

/* A module is going: drop its registrations; its addresses may be reused. */
void dbr_registry_module_going(struct module *mod)
{
	struct dbr_reg *r, *tmp;

	mutex_lock(&dbr_regs_lock);
	list_for_each_entry_safe(r, tmp, &dbr_regs, node) {
		if (r->owner == mod) {
			pr_info("%s unloading: dropped its importer registration\n",
				module_name(mod));
			list_del_rcu(&r->node);
			kfree_rcu(r, rcu);
		}
	}
	mutex_unlock(&dbr_regs_lock);
	dbr_invalidate();
}

static int list_entry_edit(int which, char op, const char *entry)
{
	char edit[DBR_NAME_MAX + 8];

	if (!entry || strpbrk(entry, ", \t\n") ||
	    snprintf(edit, sizeof(edit), "%c%s", op, entry) >= sizeof(edit))
		return -EINVAL;
	return dbr_list_edit(which, edit);
}

/**
 * dmabuf_revoke_deny_add() - add an entry to the deny list
 * @entry: NAME or sym:NAME (callback symbol) or mod:NAME (owning module)
 *
 * Same list and syntax as the deny= parameter.
 *
 * Return: 0 or -EINVAL (logged).
 */
int dmabuf_revoke_deny_add(const char *entry)
{
	return list_entry_edit(DBR_LIST_DENY, '+', entry);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_deny_add, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_deny_del() - remove an entry from the deny list
 * @entry: as given to dmabuf_revoke_deny_add()
 *
 * Return: 0 or -EINVAL (not in the list, or malformed).
 */
int dmabuf_revoke_deny_del(const char *entry)
{
	return list_entry_edit(DBR_LIST_DENY, '-', entry);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_deny_del, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_allow_add() - add an entry to the allow list
 * @entry: as for dmabuf_revoke_deny_add(); a deny entry still wins
 *
 * Return: 0 or -EINVAL.
 */
int dmabuf_revoke_allow_add(const char *entry)
{
	return list_entry_edit(DBR_LIST_ALLOW, '+', entry);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_allow_add, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_allow_del() - remove an entry from the allow list
 * @entry: as given to dmabuf_revoke_allow_add()
 *
 * Return: 0 or -EINVAL.
 */
int dmabuf_revoke_allow_del(const char *entry)
{
	return list_entry_edit(DBR_LIST_ALLOW, '-', entry);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_allow_del, DBR_NS(DMABUF_REVOKE));

void dbr_registry_show(struct seq_file *m)
{
	unsigned long gen = dbr_generation();
	struct dbr_reg *r;
	int i;

	seq_printf(m, "builtin-deny %s\n", DBR_BUILTIN_DENY);
	mutex_lock(&dbr_regs_lock);
	list_for_each_entry(r, &dbr_regs, node)
		seq_printf(m, "registered %ps cap=%s owner=%s\n", r->ops,
			   r->cap == DMABUF_REVOKE_CAP_REVOCABLE ?
			   "revocable" : "not-revocable",
			   r->owner ? module_name(r->owner) : "kernel");
	mutex_unlock(&dbr_regs_lock);

	for (i = 0; i < DBR_CACHE_SLOTS; i++) {
		const struct dma_buf_attach_ops *ops = READ_ONCE(dbr_cache[i].ops);
		enum dbr_class class;
		char cb[DBR_SYM_MAX];
		const char *reason;
		bool learned;

		if (ops && cache_load_slot(&dbr_cache[i], ops,
					   READ_ONCE(dbr_cache[i].cb_fn), gen,
					   &class, &reason, &learned, cb,
					   sizeof(cb)))
			seq_printf(m, "cached %ps class=%s callback=%s reason=\"%s\"%s\n",
				   ops, dbr_class_name(class), cb, reason,
				   learned ? " learned" : "");
	}
}

void dbr_registry_exit(void)
{
	struct dbr_reg *r, *rt;

	/* Nothing can look up any more: users of our symbols are gone. */
	list_for_each_entry_safe(r, rt, &dbr_regs, node) {
		list_del(&r->node);
		kfree(r);
	}
	/* Wait for kfree_rcu() callbacks queued by this module. */
	rcu_barrier();
}
