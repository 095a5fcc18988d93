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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>

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

static bool dbr_kp_dyn_on, dbr_kp_att_on;
/* dma_buf_attach() reaches dma_buf_dynamic_attach()'s probe (self-test). */
static bool dbr_att_via_dyn;

/* Self-test: the buffer whose attaches only count, and what fired. */
static struct dma_buf *dbr_st_buf;
static atomic_t dbr_st_dyn, dbr_st_att;

/* Redirected calls not yet returned; unload waits for them. */
static atomic_t dbr_inflight;

/* Where a refused attach goes: the probed function's own signature. */
static struct dma_buf_attachment *
dbr_attach_refused(struct dma_buf *dmabuf, struct device *dev,
		   const struct dma_buf_attach_ops *ops, void *priv)
{
	atomic_dec(&dbr_inflight);
	return ERR_PTR(-EOPNOTSUPP);
}

/* Context: kprobe handler, preemption off: must not sleep. */
static int dbr_attach_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct dma_buf *dmabuf = (void *)regs_get_kernel_argument(regs, 0);
	struct device *dev = (void *)regs_get_kernel_argument(regs, 1);
	const struct dma_buf_attach_ops *ops = NULL;
	bool upstream;

	if (p == &dbr_kp_dyn)
		ops = (void *)regs_get_kernel_argument(regs, 2);

	if (unlikely(dmabuf && dmabuf == READ_ONCE(dbr_st_buf))) {
		if (p == &dbr_kp_att) {
			atomic_inc(&dbr_st_att);
			return 0;
		}
		atomic_inc(&dbr_st_dyn);
		goto refuse;
	}
	if (p == &dbr_kp_att && READ_ONCE(dbr_att_via_dyn))
		return 0;
	if (!dmabuf || !dbr_exporter_guarded(dmabuf->exp_name) ||
	    dbr_track_self_guarded(dmabuf))
		return 0;

	atomic64_inc(&dbr_hook.hits);
	/* v7.1+ vfio-pci refuses callback-less importers itself. */
	upstream = DBR_HAS_DMA_BUF_ATTACH_REVOCABLE &&
		   !strcmp(dmabuf->exp_name, "vfio_pci_core");
	if (!dbr_check(dmabuf, dev, ops, upstream))
		return 0;
refuse:
	atomic_inc(&dbr_inflight);
	instruction_pointer_set(regs, (unsigned long)dbr_attach_refused);
	return 1;
}

/* A private exporter for the self-test; nothing ever maps its buffer. */
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

/*
 * Prove that the probes fire and that a refusal reaches the caller, and
 * learn whether dma_buf_attach() goes through dma_buf_dynamic_attach()'s
 * probe or has it inlined. Returns NULL or what went wrong.
 */
static const char *dbr_selftest(void)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_buf_attachment *a;
	const char *bad = NULL;
	struct device *dev;
	struct dma_buf *buf;

	dev = root_device_register("dmabuf_revoke_selftest");
	if (IS_ERR(dev))
		return "self-test: cannot create its device";
	exp.exp_name = "dmabuf_revoke_selftest";
	exp.ops = &dbr_st_ops;
	exp.priv = dev;	/* dma_buf_export() insists on non-NULL */
	exp.size = PAGE_SIZE;
	exp.flags = O_RDWR;
	buf = dma_buf_export(&exp);
	if (IS_ERR(buf)) {
		bad = "self-test: cannot export its buffer";
		goto out_dev;
	}
	WRITE_ONCE(dbr_st_buf, buf);

	a = dma_buf_dynamic_attach(buf, dev, &dbr_st_importer, NULL);
	if (!atomic_read(&dbr_st_dyn))
		bad = "probe on dma_buf_dynamic_attach did not fire";
	else if (a != ERR_PTR(-EOPNOTSUPP))
		bad = "refusal did not reach the caller of dma_buf_dynamic_attach";
	if (!IS_ERR(a))
		dma_buf_detach(buf, a);
	if (bad)
		goto out_buf;

	atomic_set(&dbr_st_dyn, 0);
	a = dma_buf_attach(buf, dev);
	if (atomic_read(&dbr_st_dyn))
		dbr_att_via_dyn = true;
	else if (!atomic_read(&dbr_st_att))
		bad = "dma_buf_attach is seen by neither probe";
	if (!IS_ERR(a))
		dma_buf_detach(buf, a);
	if (!bad)
		pr_info("hook self-test passed: probes fire, refusals reach the caller; dma_buf_attach %s\n",
			dbr_att_via_dyn ? "goes through dma_buf_dynamic_attach" :
			"has it inlined: probed on its own");
out_buf:
	WRITE_ONCE(dbr_st_buf, NULL);
	/* The release runs once the file's last reference goes (task work). */
	dma_buf_put(buf);
out_dev:
	root_device_unregister(dev);
	return bad;
}

void dbr_kprobe_arm(void)
{
	const char *bad;
	int ret;

	ret = register_kprobe(&dbr_kp_dyn);
	if (ret) {
		pr_err("register_kprobe(dma_buf_dynamic_attach) failed: %d\n", ret);
		dbr_hook_fail("register_kprobe(dma_buf_dynamic_attach) failed");
		return;
	}
	dbr_kp_dyn_on = true;
	ret = register_kprobe(&dbr_kp_att);
	if (ret)
		pr_info("no probe on dma_buf_attach (%d): relying on dma_buf_dynamic_attach\n",
			ret);
	else
		dbr_kp_att_on = true;

	bad = dbr_selftest();
	if (bad) {
		pr_err("hook self-test failed: %s\n", bad);
		dbr_hook_fail(bad);
		dbr_kprobe_disarm();
		return;
	}
	if (dbr_att_via_dyn && dbr_kp_att_on) {
		/* Redundant: every dma_buf_attach() reaches the other probe. */
		unregister_kprobe(&dbr_kp_att);
		dbr_kp_att_on = false;
	}
}

void dbr_kprobe_disarm(void)
{
	if (dbr_kp_att_on)
		unregister_kprobe(&dbr_kp_att);
	if (dbr_kp_dyn_on)
		unregister_kprobe(&dbr_kp_dyn);
	dbr_kp_att_on = dbr_kp_dyn_on = false;
	/*
	 * A redirected caller may have been preempted on its way through
	 * dbr_attach_refused(): wait for it to leave before our text goes.
	 */
	while (atomic_read(&dbr_inflight))
		schedule_timeout_uninterruptible(1);
	synchronize_rcu_tasks();
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
