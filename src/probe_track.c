// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke probe tracking: the tracking table (track.c) for buffers of
 * guarded exporters that do not call us (vfio-pci), so that debugfs
 * "buffers" / `dmabuf-revokectl list` show them and the stale-mapping
 * watchdog names an importer that keeps a vfio-pci mapping after a revoke.
 *
 * Nothing is recorded from a kprobe handler: a handler runs with preemption
 * off (int3: NMI-like), so it could not allocate or take the table's
 * spinlock_t (a sleeping lock on PREEMPT_RT). Instead a handler that sees
 * a call worth recording redirects it, like a refusal, to a wrapper here
 * with the probed function's signature. The wrapper runs in the caller's
 * (process) context: it calls the original function, and records the
 * result with normal locking and allocation. The probe lets the wrapper's
 * own call through because the handler that redirected it claimed a slot
 * for (this task, this buffer or attachment) in a small lock-free table
 * first, which the wrapper frees when the original returns; without a free
 * slot nothing is redirected (and nothing recorded). Not the caller's
 * return address: a BPF trampoline on the function may be in between
 * (74-interference on 6.1 recursed until the stack overflowed). So a BPF
 * fentry/fexit program on a redirected function sees the call twice: the
 * caller's and the wrapper's. Redirected are:
 *
 *   dma_buf_dynamic_attach(), dma_buf_attach()
 *	attaches the hook allows to a guarded exporter's buffer (the hook's
 *	own probes; nothing more for unguarded exporters)
 *   the exporter's ops->map_dma_buf / ->unmap_dma_buf
 *	probed by address once its first buffer is tracked: only that
 *	exporter's maps ever reach them
 *   dma_buf_detach(), dma_buf_invalidate_mappings() (7.1+) or
 *   dma_buf_move_notify() (before)
 *	calls on a buffer tracked here. These probes are enabled only while
 *	an attachment is tracked here (enabled by the attach wrapper before
 *	it returns the attachment, disabled from a work item a second after
 *	the last one is gone): other exporters pay nothing for them until a guarded
 *	exporter's buffer is attached, then one RCU hash lookup per call
 *
 * A tracked buffer lives from its first recorded attach to its last
 * recorded detach: an importer detaches before it drops its reference, so
 * the buffer is alive meanwhile, and nothing here holds a reference.
 *
 * Returning into the wrapper after a sleep in the original function needs
 * our text: the redirecting handler takes a module reference the wrapper
 * drops when the original returns (rmmod meanwhile: "in use", no unbounded
 * wait at unload), and disarm's RCU-tasks grace period covers the few
 * instructions from there back to the caller.
 *
 * x86-64 only (where the redirect is tested). Elsewhere nothing is
 * redirected and only buffers whose exporter calls us are tracked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "hook.h"
#include "internal.h"
#include "dmabuf_revoke_compat.h"

MODULE_IMPORT_NS(DBR_NS(DMA_BUF));

#ifdef CONFIG_X86_64
#define DBR_PT_SUPPORTED 1
#else
#define DBR_PT_SUPPORTED 0
#endif

/* The knob track_guarded (src/policy.c). */
bool dbr_track_guarded = true;

#if defined(HAVE_DMA_BUF_INVALIDATE_MAPPINGS)
#define DBR_PT_NOTIFY "dma_buf_invalidate_mappings"
#else
#define DBR_PT_NOTIFY "dma_buf_move_notify"
#endif

static bool dbr_pt_armed;
/* Attachments recorded here; the detach/notify probes are on while > 0. */
static atomic_t dbr_pt_users = ATOMIC_INIT(0);
static bool dbr_pt_kp_enabled;	/* under dbr_pt_lock */

/*
 * Exporters whose map/unmap ops are probed. Written under dbr_pt_lock;
 * a slot is never reused while armed (a slot's probes die with the
 * exporter's module, see dbr_pt_module_notify()).
 */
#define DBR_PT_OPS_MAX 4
struct dbr_pt_ops {
	const struct dma_buf_ops *ops;
	struct module *owner;
	struct kprobe map, unmap;
	bool map_on, unmap_on;
};

static DEFINE_MUTEX(dbr_pt_lock);
static struct dbr_pt_ops dbr_pt_ops[DBR_PT_OPS_MAX];

/*
 * Tasks inside a wrapper, with what they called it for: written by the
 * handler that redirects (cmpxchg), read by the handler of the wrapper's
 * own call (the same task), freed by the wrapper. Lock-free for handlers.
 */
#define DBR_PT_SLOTS 64
struct dbr_pt_slot {
	struct task_struct *task;
	const void *key;
};

static struct dbr_pt_slot dbr_pt_slots[DBR_PT_SLOTS];
static atomic_t dbr_pt_nslots = ATOMIC_INIT(0);

/* Is current inside a wrapper for @key? Context: any; lock-free. */
static bool dbr_pt_inside(const void *key)
{
	struct dbr_pt_slot *s;

	if (!atomic_read(&dbr_pt_nslots))
		return false;
	for (s = dbr_pt_slots; s < dbr_pt_slots + DBR_PT_SLOTS; s++)
		if (READ_ONCE(s->task) == current && READ_ONCE(s->key) == key)
			return true;
	return false;
}

/* Claim a slot for current and @key; false if none is free. */
static bool dbr_pt_claim(const void *key)
{
	struct dbr_pt_slot *s;

	for (s = dbr_pt_slots; s < dbr_pt_slots + DBR_PT_SLOTS; s++) {
		if (READ_ONCE(s->task) || cmpxchg(&s->task, NULL, current))
			continue;
		WRITE_ONCE(s->key, key);
		atomic_inc(&dbr_pt_nslots);
		return true;
	}
	return false;
}

/* The wrapper's original call returned: its probe may redirect again. */
static void dbr_pt_leave(const void *key)
{
	struct dbr_pt_slot *s;

	for (s = dbr_pt_slots; s < dbr_pt_slots + DBR_PT_SLOTS; s++) {
		if (READ_ONCE(s->task) == current && READ_ONCE(s->key) == key) {
			atomic_dec(&dbr_pt_nslots);
			WRITE_ONCE(s->key, NULL);
			/* Pairs with the claimer's cmpxchg: key cleared first. */
			smp_store_release(&s->task, NULL);
			return;
		}
	}
	WARN_ON_ONCE(1);
}

/**
 * dbr_ptrack_own_call() - is this probed attach a wrapper's own call?
 * @dmabuf: the buffer dma_buf_(dynamic_)attach() was called for
 *
 * Context: kprobe handler; lock-free.
 * Return: true if current is inside our attach wrapper for @dmabuf, whose
 * attach the hook already allowed.
 */
bool dbr_ptrack_own_call(const struct dma_buf *dmabuf)
{
	return DBR_PT_SUPPORTED && dbr_pt_inside(dmabuf);
}

/*
 * The wrapper is done with the original: drop the module reference its
 * redirect took. Our text is still needed to return, which disarm's
 * RCU-tasks grace period covers.
 */
static void dbr_pt_put(void)
{
	module_put(THIS_MODULE);
}

static void dbr_pt_post(struct kprobe *p, struct pt_regs *regs,
			unsigned long flags)
{
}

/* Redirect to wrapper @to, which will call the original for @key. */
static int dbr_pt_redirect(struct pt_regs *regs, void *to, const void *key)
{
	if (!dbr_pt_claim(key))
		return 0;	/* not recorded: the call goes on as it is */
	/*
	 * A wrapper may sleep in the original (an exporter's op): a module
	 * reference, so rmmod says "in use" meanwhile instead of an unload
	 * waiting for it. Atomic, no lock: fine in a handler. Refused once
	 * we are going: then the call is not recorded.
	 */
	if (!try_module_get(THIS_MODULE)) {
		dbr_pt_leave(key);
		return 0;
	}
	instruction_pointer_set(regs, (unsigned long)to);
	return 1;
}

static void dbr_pt_probe_ops(const struct dma_buf *dmabuf);
static void dbr_pt_users_inc(void);
static void dbr_pt_users_dec(void);

/*
 * The attach wrappers: the hook allowed it; record what the exporter says,
 * after the original attach, then leave the redirect.
 */
static struct dma_buf_attachment *
dbr_pt_attached(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	dbr_pt_leave(dmabuf);
	if (!IS_ERR(attach) && dbr_track_hook_attach(attach)) {
		dbr_pt_users_inc();
		dbr_pt_probe_ops(dmabuf);
	}
	dbr_pt_put();
	return attach;
}

static noinline struct dma_buf_attachment *
dbr_pt_attach(struct dma_buf *dmabuf, struct device *dev,
	      const struct dma_buf_attach_ops *ops, void *priv)
{
	return dbr_pt_attached(dmabuf, dma_buf_dynamic_attach(dmabuf, dev, ops, priv));
}

static noinline struct dma_buf_attachment *
dbr_pt_attach_legacy(struct dma_buf *dmabuf, struct device *dev)
{
	return dbr_pt_attached(dmabuf, dma_buf_attach(dmabuf, dev));
}

/**
 * dbr_ptrack_attach() - redirect an allowed attach to a guarded exporter
 * @legacy: the probe is dma_buf_attach()'s (two arguments)
 * @regs: the registers at its entry
 *
 * Context: kprobe handler; only sets the IP.
 * Return: the pre-handler's return value (1: redirected).
 */
int dbr_ptrack_attach(bool legacy, struct pt_regs *regs)
{
	const void *dmabuf = (void *)regs_get_kernel_argument(regs, 0);

	/* An exporter that tracks its buffers tells us itself. */
	if (!DBR_PT_SUPPORTED || !READ_ONCE(dbr_pt_armed) ||
	    !READ_ONCE(dbr_track_guarded) || dbr_track_by_exporter(dmabuf))
		return 0;
	return dbr_pt_redirect(regs, legacy ? (void *)dbr_pt_attach_legacy :
					      (void *)dbr_pt_attach, dmabuf);
}

static noinline void dbr_pt_detach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	if (attach && attach->dmabuf == dmabuf &&
	    dbr_track_hook_detach(attach))
		dbr_pt_users_dec();
	dma_buf_detach(dmabuf, attach);
	dbr_pt_leave(attach);
	dbr_pt_put();
}

static noinline void dbr_pt_notify(struct dma_buf *dmabuf)
{
	/* Before the importers hear it: the watchdog times from here. */
	dmabuf_revoke_note_revoking(dmabuf);
	dbr_dma_buf_notify(dmabuf);
	dbr_pt_leave(dmabuf);
	dbr_pt_put();
}

static noinline struct sg_table *
dbr_pt_map(struct dma_buf_attachment *attach, enum dma_data_direction dir)
{
	struct sg_table *sgt;

	sgt = attach->dmabuf->ops->map_dma_buf(attach, dir);
	dbr_pt_leave(attach);
	if (!IS_ERR_OR_NULL(sgt))
		dmabuf_revoke_note_mapped(attach, true);
	dbr_pt_put();
	return sgt;
}

static noinline void dbr_pt_unmap(struct dma_buf_attachment *attach,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	/*
	 * Before the exporter hears it: vfio-pci's revoke may complete, and
	 * restore the buffer (another notify), as soon as it does.
	 */
	dmabuf_revoke_note_mapped(attach, false);
	attach->dmabuf->ops->unmap_dma_buf(attach, sgt, dir);
	dbr_pt_leave(attach);
	dbr_pt_put();
}

/*
 * Context: kprobe handlers; lock-free, no allocation. The core's detach
 * and notify run for every exporter: leave at once while nothing hooked
 * is tracked, then only hooked buffers' calls are redirected to @to.
 */
static int dbr_pt_core_pre(struct pt_regs *regs, struct dma_buf *dmabuf,
			   const void *key, void *to)
{
	if (!dbr_track_nr_hooked() || dbr_pt_inside(key) ||
	    !dbr_track_hooked(dmabuf))
		return 0;
	return dbr_pt_redirect(regs, to, key);
}

static int dbr_pt_detach_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf_attachment *a = (void *)regs_get_kernel_argument(regs, 1);

	return dbr_pt_core_pre(regs, (void *)regs_get_kernel_argument(regs, 0),
			       a, dbr_pt_detach);
}

static int dbr_pt_notify_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf *dmabuf = (void *)regs_get_kernel_argument(regs, 0);

	return dbr_pt_core_pre(regs, dmabuf, dmabuf, dbr_pt_notify);
}

/* Only the probed exporter's maps come here; skip what we did not attach. */
static int dbr_pt_map_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf_attachment *a = (void *)regs_get_kernel_argument(regs, 0);

	if (!a || dbr_pt_inside(a) || !dbr_track_hooked(a->dmabuf))
		return 0;
	return dbr_pt_redirect(regs, dbr_pt_map, a);
}

static int dbr_pt_unmap_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf_attachment *a = (void *)regs_get_kernel_argument(regs, 0);

	if (!a || dbr_pt_inside(a) || !dbr_track_hooked(a->dmabuf))
		return 0;
	return dbr_pt_redirect(regs, dbr_pt_unmap, a);
}

static struct kprobe dbr_pt_kp_detach = {
	.symbol_name = "dma_buf_detach",
	.pre_handler = dbr_pt_detach_pre,
	.post_handler = dbr_pt_post,
};

static struct kprobe dbr_pt_kp_notify = {
	.symbol_name = DBR_PT_NOTIFY,
	.pre_handler = dbr_pt_notify_pre,
	.post_handler = dbr_pt_post,
};

static bool dbr_pt_detach_on, dbr_pt_notify_on;

static int dbr_pt_register_addr(struct kprobe *kp, void *addr,
				kprobe_pre_handler_t pre)
{
	memset(kp, 0, sizeof(*kp));
	kp->addr = addr;
	kp->pre_handler = pre;
	kp->post_handler = dbr_pt_post;
	return dbr_register_one(kp);	/* where the hook's probes sit */
}

/* Caller holds dbr_pt_lock. */
static void dbr_pt_kp_set(bool on)
{
	lockdep_assert_held(&dbr_pt_lock);
	if (on == dbr_pt_kp_enabled)
		return;
	if (on) {
		enable_kprobe(&dbr_pt_kp_detach);
		enable_kprobe(&dbr_pt_kp_notify);
	} else {
		disable_kprobe(&dbr_pt_kp_notify);
		disable_kprobe(&dbr_pt_kp_detach);
	}
	dbr_pt_kp_enabled = on;
}

/*
 * Before a recorded attachment is returned to its importer. Under the lock
 * with dbr_pt_off_fn(): one of them sees the other's count.
 */
static void dbr_pt_users_inc(void)
{
	atomic_inc(&dbr_pt_users);
	mutex_lock(&dbr_pt_lock);
	if (dbr_pt_armed)
		dbr_pt_kp_set(true);
	mutex_unlock(&dbr_pt_lock);
}

static void dbr_pt_off_fn(struct work_struct *w)
{
	mutex_lock(&dbr_pt_lock);
	if (!atomic_read(&dbr_pt_users) && dbr_pt_armed)
		dbr_pt_kp_set(false);
	mutex_unlock(&dbr_pt_lock);
}

static DECLARE_DELAYED_WORK(dbr_pt_off_work, dbr_pt_off_fn);

/*
 * Off from a work item, a second after the last detach: the detach path
 * patches no text, and an importer that detaches and imports again (a
 * loop of them: bench configuration e) does not turn the probes off and
 * on each time (ftrace text patching, milliseconds under TCG).
 */
static void dbr_pt_users_dec(void)
{
	if (atomic_dec_and_test(&dbr_pt_users))
		mod_delayed_work(dbr_wq, &dbr_pt_off_work, HZ);
}

/*
 * The first tracked buffer of an exporter: probe its map and unmap ops, so
 * the table knows what is mapped. Context: process (the attach wrapper).
 */
static void dbr_pt_probe_ops(const struct dma_buf *dmabuf)
{
	const struct dma_buf_ops *ops = dmabuf->ops;
	struct dbr_pt_ops *s, *free = NULL;
	int ret;

	mutex_lock(&dbr_pt_lock);
	if (!dbr_pt_armed)
		goto out;
	for (s = dbr_pt_ops; s < dbr_pt_ops + DBR_PT_OPS_MAX; s++) {
		if (s->ops == ops)
			goto out;
		if (!s->ops && !free)
			free = s;
	}
	if (!free) {
		pr_warn_once("%s: more than %d exporters tracked: its maps are not seen\n",
			     dmabuf->exp_name ?: "?", DBR_PT_OPS_MAX);
		goto out;
	}
	free->ops = ops;
	free->owner = dmabuf->owner;
	ret = dbr_pt_register_addr(&free->map, ops->map_dma_buf,
				   dbr_pt_map_pre);
	free->map_on = !ret;
	if (!ret) {
		ret = dbr_pt_register_addr(&free->unmap, ops->unmap_dma_buf,
					   dbr_pt_unmap_pre);
		free->unmap_on = !ret;
	}
	if (ret)
		pr_warn("%s: cannot probe its map/unmap ops (%d): mappings not tracked\n",
			dmabuf->exp_name ?: "?", ret);
	else
		pr_info("%s: tracking its attachments, maps and revokes (%ps, %ps)\n",
			dmabuf->exp_name ?: "?", ops->map_dma_buf,
			ops->unmap_dma_buf);
out:
	mutex_unlock(&dbr_pt_lock);
}

/* Caller holds dbr_pt_lock. */
static void dbr_pt_ops_clear(struct dbr_pt_ops *s)
{
	lockdep_assert_held(&dbr_pt_lock);
	if (s->unmap_on)
		unregister_kprobe(&s->unmap);
	if (s->map_on)
		unregister_kprobe(&s->map);
	memset(s, 0, sizeof(*s));
}

/*
 * An exporter module going: its probed ops go with it. Its buffers are gone
 * already (each holds a reference on it); so are our wrappers' calls.
 */
static int dbr_pt_module_notify(struct notifier_block *nb,
				unsigned long action, void *data)
{
	struct module *mod = data;
	struct dbr_pt_ops *s;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&dbr_pt_lock);
	for (s = dbr_pt_ops; s < dbr_pt_ops + DBR_PT_OPS_MAX; s++)
		if (s->ops && s->owner == mod)
			dbr_pt_ops_clear(s);
	mutex_unlock(&dbr_pt_lock);
	return NOTIFY_DONE;
}

static struct notifier_block dbr_pt_module_nb = {
	.notifier_call = dbr_pt_module_notify,
};

/**
 * dbr_ptrack_arm() - probe detach and revoke; attaches come from the hook
 *
 * Called once the hook's self-test passed. A failure leaves tracking off
 * (logged); enforcement does not depend on it.
 */
void dbr_ptrack_arm(void)
{
	int ret;

	if (!DBR_PT_SUPPORTED)
		return;
	ret = register_module_notifier(&dbr_pt_module_nb);
	if (ret)
		goto fail;
	ret = dbr_register_one(&dbr_pt_kp_detach);
	if (ret)
		goto fail_nb;
	dbr_pt_detach_on = true;
	ret = dbr_register_one(&dbr_pt_kp_notify);
	if (ret) {
		unregister_kprobe(&dbr_pt_kp_detach);
		dbr_pt_detach_on = false;
		goto fail_nb;
	}
	dbr_pt_notify_on = true;
	mutex_lock(&dbr_pt_lock);
	/* Off until an attachment is recorded here. */
	dbr_pt_kp_enabled = true;
	dbr_pt_kp_set(false);
	atomic_set(&dbr_pt_users, 0);
	WRITE_ONCE(dbr_pt_armed, true);
	mutex_unlock(&dbr_pt_lock);
	return;

fail_nb:
	unregister_module_notifier(&dbr_pt_module_nb);
fail:
	pr_warn("tracking of guarded exporters' buffers off: probe on dma_buf_detach/" DBR_PT_NOTIFY " failed: %d\n",
		ret);
}

/**
 * dbr_ptrack_disarm() - unprobe, then wait for every wrapper to return
 *
 * Called after the attach probes are gone. The wait is bounded by the
 * exporter calls the wrappers make (attach, map, unmap, detach, notify:
 * none of them waits for an importer); it says so every 10 s if not.
 */
void dbr_ptrack_disarm(void)
{
	struct dbr_pt_ops *s;

	if (!DBR_PT_SUPPORTED)
		return;
	mutex_lock(&dbr_pt_lock);
	if (!dbr_pt_armed) {
		mutex_unlock(&dbr_pt_lock);
		return;
	}
	WRITE_ONCE(dbr_pt_armed, false);
	for (s = dbr_pt_ops; s < dbr_pt_ops + DBR_PT_OPS_MAX; s++)
		if (s->ops)
			dbr_pt_ops_clear(s);
	mutex_unlock(&dbr_pt_lock);
	cancel_delayed_work_sync(&dbr_pt_off_work);
	if (dbr_pt_notify_on)
		unregister_kprobe(&dbr_pt_kp_notify);
	if (dbr_pt_detach_on)
		unregister_kprobe(&dbr_pt_kp_detach);
	dbr_pt_notify_on = false;
	dbr_pt_detach_on = false;
	unregister_module_notifier(&dbr_pt_module_nb);
	/*
	 * At unload no wrapper holds its reference any more (or rmmod would
	 * have failed), but one that dropped it may still be on its way
	 * back through our text, as may a caller of the refusal stub.
	 */
	synchronize_rcu_tasks();
}
