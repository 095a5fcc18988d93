// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_selfcheck: triggers one WARN on load so the harness's
 * dmesg scan can be shown to catch it; with uaf=1 also reads a freed
 * allocation, for KASAN on the debug kernels to report. Test-only; never
 * shipped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

static bool uaf;
module_param(uaf, bool, 0444);
MODULE_PARM_DESC(uaf, "also read a freed allocation on load (for KASAN)");

static noinline void dmabuf_revoke_selfcheck_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	/* Hidden from the compiler, so it neither warns nor drops the read. */
	OPTIMIZER_HIDE_VAR(p);
	pr_info("deliberate use-after-free read: %d\n", READ_ONCE(p[8]));
}

static int __init dmabuf_revoke_selfcheck_init(void)
{
	WARN(1, "deliberate warning for the harness self-check\n");
	if (uaf)
		dmabuf_revoke_selfcheck_uaf();
	return 0;
}

static void __exit dmabuf_revoke_selfcheck_exit(void)
{
}

module_init(dmabuf_revoke_selfcheck_init);
module_exit(dmabuf_revoke_selfcheck_exit);

MODULE_DESCRIPTION("dmabuf-revoke: harness self-check (WARNs on load, uaf=1: a use-after-free)");
MODULE_LICENSE("GPL");
