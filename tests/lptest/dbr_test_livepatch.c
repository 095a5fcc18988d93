// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_test_livepatch: a test-only livepatch (modeled on
 * samples/livepatch/livepatch-sample.c) of vmlinux's
 * dma_buf_dynamic_attach(), the function the shim's kprobe redirects.
 * Guest suite 74-interference loads it beside the armed shim and before
 * it, to show what the kernel does when two IPMODIFY users want the same
 * function. Never shipped.
 *
 * A livepatch cannot call the function it replaces, so the replacement is
 * a copy of the original's behaviour, with one simplification: before
 * v6.16 the original maps and caches the buffer at attach when importer
 * and exporter differ in being dynamic; this copy refuses that case with
 * -EOPNOTSUPP instead (the suite attaches a dynamic importer to a dynamic
 * exporter). "calls" counts the replacement's runs, so the suite can tell
 * that the patch really took over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/version.h>

static unsigned int calls;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "times the replacement dma_buf_dynamic_attach() ran");

static struct dma_buf_attachment *
dbr_lpt_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
		       const struct dma_buf_attach_ops *importer_ops,
		       void *importer_priv)
{
	struct dma_buf_attachment *attach;
	int ret;

	WRITE_ONCE(calls, READ_ONCE(calls) + 1);
	if (WARN_ON(!dmabuf || !dev))
		return ERR_PTR(-EINVAL);
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 16, 0)
	/* The mapping cached at attach: not copied (see above). */
	if (!!importer_ops != !!dmabuf->ops->pin)
		return ERR_PTR(-EOPNOTSUPP);
#endif
	attach = kzalloc(sizeof(*attach), GFP_KERNEL);
	if (!attach)
		return ERR_PTR(-ENOMEM);
	attach->dev = dev;
	attach->dmabuf = dmabuf;
	if (importer_ops)
		attach->peer2peer = importer_ops->allow_peer2peer;
	attach->importer_ops = importer_ops;
	attach->importer_priv = importer_priv;

	if (dmabuf->ops->attach) {
		ret = dmabuf->ops->attach(dmabuf, attach);
		if (ret) {
			kfree(attach);
			return ERR_PTR(ret);
		}
	}
	dma_resv_lock(dmabuf->resv, NULL);
	list_add(&attach->node, &dmabuf->attachments);
	dma_resv_unlock(dmabuf->resv);
	return attach;
}

static struct klp_func dbr_lpt_funcs[] = {
	{
		.old_name = "dma_buf_dynamic_attach",
		.new_func = dbr_lpt_dynamic_attach,
	}, { }
};

static struct klp_object dbr_lpt_objs[] = {
	{
		/* name NULL: vmlinux */
		.funcs = dbr_lpt_funcs,
	}, { }
};

static struct klp_patch dbr_lpt_patch = {
	.mod = THIS_MODULE,
	.objs = dbr_lpt_objs,
};

static int __init dbr_lpt_init(void)
{
	return klp_enable_patch(&dbr_lpt_patch);
}

static void __exit dbr_lpt_exit(void)
{
}

module_init(dbr_lpt_init);
module_exit(dbr_lpt_exit);
MODULE_DESCRIPTION("dmabuf-revoke: test livepatch of dma_buf_dynamic_attach (guest tests only)");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
