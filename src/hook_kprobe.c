// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke kprobe backend: refuse non-revocable importers of guarded
 * exporters' buffers at dma_buf_dynamic_attach() (and dma_buf_attach()).
 *
 * Why the dma-buf core and not vfio-pci's static vfio_pci_dma_buf_attach():
 * the core entry points are exported, built in, and kept the same
 * signature from 6.1 to 7.3, while vfio-pci's internals changed between
 * 6.19 and 7.2; they see the importer ops and the exporter before anything
 * is allocated, so a refusal has no side effect to undo; they need no
 * module notifier to arm; and the same probe guards any exporter named in
 * exporters= (the test exporter's unguarded buffers on 6.1/6.12 too). We do
 * not swap dmabuf->ops for a wrapper: vfio-pci compares that pointer
 * (vfio_pci_dma_buf_iommufd_map()), and a wrapper would dangle if we left.
 *
 * A refusal redirects the probed call to dbr_attach_refused(), which
 * returns ERR_PTR(-EOPNOTSUPP) to the caller: the pre-handler changes the
 * IP and returns 1. Upstream's rule for that (0bc11ed5ab60, and
 * kernel/fail_function.c) is a post_handler, even an empty one: it puts an
 * ftrace-based probe on the IPMODIFY ftrace ops, so a BPF trampoline or
 * another ftrace user on the same function cannot undo the redirect, and
 * it keeps an int3-based probe from being optimized (an optprobe ignores
 * IP changes). The price is exclusivity: a livepatch of the same function
 * is refused while we are armed (and arming fails, visibly, if one is
 * there first).
 *
 * Except before v6.12 (Debian's 6.1): there a BPF fexit trampoline on a
 * function that also has an IPMODIFY ftrace user trips the WARN in
 * arch_ftrace_ops_list_func() (an ops without a func), which kills ftrace
 * host-wide, and unregistering then crashes. So there the probes sit one
 * instruction past the ftrace site, as int3 probes: no ftrace user can
 * undo the redirect (a trampoline calls into the original, which we own),
 * the post_handler keeps them unoptimized, and a livepatch of the function
 * bypasses us, which the canary reports.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "hook.h"
#include "internal.h"
#include "dmabuf_revoke_compat.h"

MODULE_IMPORT_NS(DBR_NS(DMA_BUF));

static int dbr_attach_pre(struct kprobe *p, struct pt_regs *regs);

/* Never runs after a redirect; its presence is what claims IPMODIFY. */
static void dbr_attach_post(struct kprobe *p, struct pt_regs *regs,
			    unsigned long flags)
{
}

static struct kprobe dbr_kp_dyn = {
	.symbol_name = "dma_buf_dynamic_attach",
	.pre_handler = dbr_attach_pre,
	.post_handler = dbr_attach_post,
};

static struct kprobe dbr_kp_att = {
	.symbol_name = "dma_buf_attach",
	.pre_handler = dbr_attach_pre,
	.post_handler = dbr_attach_post,
};

/* See the head comment: off the ftrace site before v6.12 (x86 only). */
#if defined(CONFIG_X86_64) && defined(MCOUNT_INSN_SIZE) && \
	!defined(HAVE_SAFE_IPMODIFY_BESIDE_BPF)
#define DBR_KPROBE_OFF_FTRACE 1
#else
#define DBR_KPROBE_OFF_FTRACE 0
#endif

static bool dbr_kp_dyn_on, dbr_kp_att_on;
/* dma_buf_attach() reaches dma_buf_dynamic_attach()'s probe (self-test). */
static bool dbr_att_via_dyn;

/*
 * The self-test/canary buffer: private, exported at arm and released at
 * disarm; every attach to it is refused by the probe that sees it (while
 * learning, dma_buf_attach()'s probe only counts, so the other one can be
 * seen). Serialized by dbr_st_lock.
 */
static DEFINE_MUTEX(dbr_st_lock);
static struct device *dbr_st_dev;
static struct dma_buf *dbr_st_buf;
static bool dbr_st_learning;
static bool dbr_st_released;
static atomic_t dbr_st_dyn, dbr_st_att;

/* Where a refused attach goes: the probed function's own signature. */
static noinline struct dma_buf_attachment *
dbr_attach_refused(struct dma_buf *dmabuf, struct device *dev,
		   const struct dma_buf_attach_ops *ops, void *priv)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static int dbr_refuse(struct pt_regs *regs)
{
	instruction_pointer_set(regs, (unsigned long)dbr_attach_refused);
	return 1;
}

/* The self-test buffer: count, then refuse (or fail as hook_fault says). */
static int dbr_st_hit(struct kprobe *p, struct pt_regs *regs)
{
	enum dbr_hook_fault fault = READ_ONCE(dbr_hook.fault);

	if (fault == DBR_FAULT_NOFIRE)
		return 0;
	atomic_inc(p == &dbr_kp_att ? &dbr_st_att : &dbr_st_dyn);
	if (fault == DBR_FAULT_NOREDIRECT ||
	    (p == &dbr_kp_att && READ_ONCE(dbr_st_learning)))
		return 0;
	return dbr_refuse(regs);
}

/* Context: kprobe handler; never sleeps, allocates or takes a spinlock_t. */
static int dbr_attach_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf *dmabuf = (void *)regs_get_kernel_argument(regs, 0);
	struct device *dev = (void *)regs_get_kernel_argument(regs, 1);
	const struct dma_buf_attach_ops *ops = NULL;
	enum dbr_policy policy;
	bool upstream;

	if (p == &dbr_kp_dyn)
		ops = (void *)regs_get_kernel_argument(regs, 2);

	if (unlikely(dmabuf && dmabuf == READ_ONCE(dbr_st_buf)))
		return dbr_st_hit(p, regs);
	if (p == &dbr_kp_att && READ_ONCE(dbr_att_via_dyn))
		return 0;
	if (!dmabuf || !dbr_exporter_policy(dmabuf->exp_name, &policy) ||
	    dbr_track_self_guarded(dmabuf))
		return 0;
	/* A tracking wrapper's own call: the hook decided already. */
	if (dbr_ptrack_own_call(dmabuf))
		return 0;

	dbr_hot_inc(hits);
	/* v7.1+ vfio-pci refuses callback-less importers itself. */
	upstream = DBR_HAS_DMA_BUF_ATTACH_REVOCABLE &&
		   !strcmp(dmabuf->exp_name, DBR_VFIO_EXPORTER);
	if (!dbr_check(dmabuf, dev, ops, policy, upstream))
		return dbr_ptrack_attach(p == &dbr_kp_att, regs);
	return dbr_refuse(regs);
}

/* The self-test exporter; nothing ever maps its buffer. */
static struct sg_table *dbr_st_map(struct dma_buf_attachment *a,
				   enum dma_data_direction dir)
{
	return ERR_PTR(-EINVAL);
}

static void dbr_st_unmap(struct dma_buf_attachment *a, struct sg_table *sgt,
			 enum dma_data_direction dir)
{
}

static void dbr_st_release(struct dma_buf *dmabuf)
{
	WRITE_ONCE(dbr_st_released, true);
}

static const struct dma_buf_ops dbr_st_ops = {
	.map_dma_buf = dbr_st_map,
	.unmap_dma_buf = dbr_st_unmap,
	.release = dbr_st_release,
};

static void dbr_st_move(struct dma_buf_attachment *a)
{
}

static const struct dma_buf_attach_ops dbr_st_importer = {
	.DBR_ATTACH_OPS_CB = dbr_st_move,
};

static int dbr_st_create(void)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_buf *buf;

	dbr_st_dev = root_device_register("dmabuf_revoke_selftest");
	if (IS_ERR(dbr_st_dev)) {
		dbr_st_dev = NULL;
		return -ENODEV;
	}
	exp.exp_name = "dmabuf_revoke_selftest";
	exp.ops = &dbr_st_ops;
	exp.priv = dbr_st_dev;	/* dma_buf_export() insists on non-NULL */
	exp.size = PAGE_SIZE;
	exp.flags = O_RDWR;
	/*
	 * No module reference: the buffer lives as long as the hook is armed
	 * and would otherwise pin us. dbr_st_destroy() releases it before our
	 * text can go.
	 */
	exp.owner = NULL;
	buf = dma_buf_export(&exp);
	if (IS_ERR(buf)) {
		root_device_unregister(dbr_st_dev);
		dbr_st_dev = NULL;
		return PTR_ERR(buf);
	}
	dbr_st_released = false;
	WRITE_ONCE(dbr_st_buf, buf);
	return 0;
}

/*
 * The last fput() of a file queues its release as task work of the caller
 * (after our module may be gone, on a failed load or at rmmod); from a
 * kernel thread it goes to the delayed list, which flush_delayed_fput()
 * runs synchronously.
 */
static void dbr_st_put_fn(struct work_struct *w)
{
	dma_buf_put(dbr_st_buf);
	flush_delayed_fput();
}

static void dbr_st_destroy(void)
{
	struct work_struct put_work;

	if (!dbr_st_buf)
		return;
	INIT_WORK_ONSTACK(&put_work, dbr_st_put_fn);
	queue_work(dbr_wq, &put_work);
	flush_work(&put_work);
	destroy_work_on_stack(&put_work);
	if (!READ_ONCE(dbr_st_released))
		pr_err("self-test buffer still referenced at disarm: its release may run late\n");
	WRITE_ONCE(dbr_st_buf, NULL);
	root_device_unregister(dbr_st_dev);
	dbr_st_dev = NULL;
}

/* Why the dma_buf_dynamic_attach() probe did not fire, as far as we know. */
static const char *dbr_nofire_reason(void)
{
	if (kprobe_gone(&dbr_kp_dyn))
		return "probe on dma_buf_dynamic_attach is gone";
	if (kprobe_disabled(&dbr_kp_dyn))
		return "probe on dma_buf_dynamic_attach is disabled";
	return "probe on dma_buf_dynamic_attach did not fire (kprobes disabled in debugfs, or kernel.ftrace_enabled=0?)";
}

/*
 * One proof on the self-test buffer: a dynamic and a legacy attach must
 * both come back refused, seen by our probes. While learning, also find out
 * whether dma_buf_attach() goes through dma_buf_dynamic_attach()'s probe.
 * Returns NULL or what went wrong. Caller holds dbr_st_lock.
 */
static const char *dbr_st_prove(bool learn)
{
	struct dma_buf_attachment *a;
	const char *bad = NULL;
	int dyn0, att0;

	lockdep_assert_held(&dbr_st_lock);
	dyn0 = atomic_read(&dbr_st_dyn);
	a = dma_buf_dynamic_attach(dbr_st_buf, dbr_st_dev, &dbr_st_importer, NULL);
	if (atomic_read(&dbr_st_dyn) == dyn0)
		bad = dbr_nofire_reason();
	else if (a != ERR_PTR(-EOPNOTSUPP))
		bad = "refusal did not reach the caller of dma_buf_dynamic_attach";
	if (!IS_ERR(a))
		dma_buf_detach(dbr_st_buf, a);
	if (bad)
		return bad;

	WRITE_ONCE(dbr_st_learning, learn);
	dyn0 = atomic_read(&dbr_st_dyn);
	att0 = atomic_read(&dbr_st_att);
	a = dma_buf_attach(dbr_st_buf, dbr_st_dev);
	if (learn) {
		if (atomic_read(&dbr_st_dyn) != dyn0)
			dbr_att_via_dyn = true;
		else if (atomic_read(&dbr_st_att) == att0)
			bad = "dma_buf_attach is seen by neither probe";
	} else if (atomic_read(&dbr_st_dyn) == dyn0 &&
		   atomic_read(&dbr_st_att) == att0) {
		bad = "no probe saw dma_buf_attach";
	} else if (a != ERR_PTR(-EOPNOTSUPP)) {
		bad = "refusal did not reach the caller of dma_buf_attach";
	}
	WRITE_ONCE(dbr_st_learning, false);
	if (!IS_ERR(a))
		dma_buf_detach(dbr_st_buf, a);
	return bad;
}

static void dbr_canary_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(dbr_canary_work, dbr_canary_work_fn);

static void dbr_canary_schedule(void)
{
	unsigned int ms = READ_ONCE(dbr_hook.canary_ms);

	if (ms && READ_ONCE(dbr_kp_dyn_on))
		mod_delayed_work(dbr_wq, &dbr_canary_work,
				 msecs_to_jiffies(ms));
}

/**
 * dbr_kprobe_canary() - prove again that a refusal reaches the caller
 *
 * Runs the self-test on the armed probes; a failure moves hook/state to
 * "lost: <reason>", a pass after one back. A disabled probe of ours is
 * enabled again (the global kprobes switch is never touched: while it is
 * off, enabling does not arm).
 *
 * Context: process; sleeps.
 */
void dbr_kprobe_canary(void)
{
	const char *bad;

	mutex_lock(&dbr_st_lock);
	if (!dbr_kp_dyn_on || !dbr_st_buf) {
		mutex_unlock(&dbr_st_lock);
		return;
	}
	bad = dbr_st_prove(false);
	atomic64_inc(&dbr_hook.canary_runs);
	if (bad) {
		atomic64_inc(&dbr_hook.canary_failures);
		if (kprobe_disabled(&dbr_kp_dyn) && !kprobe_gone(&dbr_kp_dyn))
			enable_kprobe(&dbr_kp_dyn);
		if (dbr_kp_att_on && kprobe_disabled(&dbr_kp_att) &&
		    !kprobe_gone(&dbr_kp_att))
			enable_kprobe(&dbr_kp_att);
	}
	dbr_hook_lost(bad);
	mutex_unlock(&dbr_st_lock);
}

static void dbr_canary_work_fn(struct work_struct *w)
{
	dbr_kprobe_canary();
	dbr_canary_schedule();
}

/* canary_ms changed: apply the new period now. */
void dbr_kprobe_canary_period(void)
{
	mutex_lock(&dbr_st_lock);
	if (!READ_ONCE(dbr_hook.canary_ms))
		cancel_delayed_work(&dbr_canary_work);
	else if (dbr_kp_dyn_on)
		mod_delayed_work(dbr_wq, &dbr_canary_work, 0);
	mutex_unlock(&dbr_st_lock);
}

/*
 * register_kprobe(), moved one instruction past the ftrace site where
 * DBR_KPROBE_OFF_FTRACE says so: the registers there are still those of
 * the function's entry (the site is a 5-byte call/nop, nothing else ran).
 */
int dbr_register_one(struct kprobe *kp)
{
	kprobe_opcode_t *addr;
	int ret = register_kprobe(kp);

	if (ret || !DBR_KPROBE_OFF_FTRACE || !kprobe_ftrace(kp))
		return ret;
	addr = (kprobe_opcode_t *)((unsigned long)kp->addr + MCOUNT_INSN_SIZE);
	unregister_kprobe(kp);
	kp->addr = addr;
	kp->symbol_name = NULL;
	kp->offset = 0;
	kp->flags = 0;
	ret = register_kprobe(kp);
	if (!ret && kprobe_ftrace(kp)) {
		unregister_kprobe(kp);
		ret = -EINVAL;	/* not where we meant to be: do not guess */
	}
	return ret;
}

/* Where the dma_buf_dynamic_attach() probe sits, for hook/target. */
const char *dbr_kprobe_site(void)
{
	if (!dbr_kp_dyn_on)
		return "not registered";
	return kprobe_ftrace(&dbr_kp_dyn) ? "ftrace site, IPMODIFY" :
	       "int3 past the ftrace site";
}

static int dbr_kprobe_register(void)
{
	int ret;

	ret = dbr_register_one(&dbr_kp_dyn);
	if (ret) {
		pr_err("register_kprobe(dma_buf_dynamic_attach) failed: %d%s\n",
		       ret, ret == -EBUSY ?
		       " (another IPMODIFY user, e.g. a livepatch, owns the function)" : "");
		return ret;
	}
	dbr_kp_dyn_on = true;
	ret = dbr_register_one(&dbr_kp_att);
	if (ret)
		pr_info("no probe on dma_buf_attach (%d): relying on dma_buf_dynamic_attach\n",
			ret);
	else
		dbr_kp_att_on = true;
	return 0;
}

/**
 * dbr_kprobe_arm() - register the probes and prove them
 *
 * Return: 0, or a negative errno with hook/state "failed: <reason>" (the
 * probes are then unregistered again).
 */
int dbr_kprobe_arm(void)
{
	const char *bad = NULL;
	int ret;

	ret = dbr_st_create();
	if (ret) {
		dbr_hook_fail("self-test: cannot create its buffer");
		return ret;
	}
	ret = dbr_kprobe_register();
	if (ret) {
		dbr_hook_fail(ret == -EBUSY ?
			      "register_kprobe(dma_buf_dynamic_attach): -EBUSY, another IPMODIFY user (livepatch?) owns it" :
			      "register_kprobe(dma_buf_dynamic_attach) failed");
		dbr_st_destroy();
		return ret;
	}
	mutex_lock(&dbr_st_lock);
	bad = dbr_st_prove(true);
	mutex_unlock(&dbr_st_lock);
	if (bad) {
		pr_err("hook self-test failed: %s\n", bad);
		dbr_hook_fail(bad);
		dbr_kprobe_disarm();
		return -EIO;
	}
	if (dbr_att_via_dyn && dbr_kp_att_on) {
		/* Redundant: every dma_buf_attach() reaches the other probe. */
		unregister_kprobe(&dbr_kp_att);
		dbr_kp_att_on = false;
	}
	pr_info("hook self-test passed: probes fire, refusals reach the caller; dma_buf_attach %s\n",
		dbr_att_via_dyn ? "goes through dma_buf_dynamic_attach" :
		"has it inlined: probed on its own");
	dbr_canary_schedule();
	dbr_ptrack_arm();
	return 0;
}

/**
 * dbr_kprobe_disarm() - stop the canary, unregister, release the buffer
 *
 * Bounded: unregister_kprobe() waits for running handlers;
 * synchronize_rcu_tasks() for tasks preempted between a redirect and the
 * return from dbr_attach_refused() (they pass no voluntary context switch
 * before leaving it), after which our text may go.
 */
void dbr_kprobe_disarm(void)
{
	mutex_lock(&dbr_st_lock);
	if (dbr_kp_att_on)
		unregister_kprobe(&dbr_kp_att);
	if (dbr_kp_dyn_on)
		unregister_kprobe(&dbr_kp_dyn);
	WRITE_ONCE(dbr_kp_att_on, false);
	WRITE_ONCE(dbr_kp_dyn_on, false);
	mutex_unlock(&dbr_st_lock);
	/* No attach is redirected to a tracking wrapper any more. */
	dbr_ptrack_disarm();
	/* Not armed any more: the canary neither runs nor queues itself. */
	cancel_delayed_work_sync(&dbr_canary_work);
	synchronize_rcu_tasks();
	mutex_lock(&dbr_st_lock);
	dbr_st_destroy();
	mutex_unlock(&dbr_st_lock);
}

unsigned long dbr_kprobe_missed(void)
{
	return dbr_kp_dyn.nmissed + dbr_kp_att.nmissed;
}

/* Is vfio_pci_core loaded now? (Its notifier events keep this current.) */
bool dbr_vfio_loaded(void)
{
	void *sym = __symbol_get("vfio_pci_core_register_device");

	if (!sym)
		return false;
	symbol_put_addr(sym);
	return true;
}
