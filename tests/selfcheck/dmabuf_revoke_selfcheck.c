// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_selfcheck: triggers one WARN on load so the harness's
 * dmesg scan can be shown to catch it; with uaf=1 also reads a freed
 * allocation, for KASAN on the debug kernels to report, and with leak=1
 * loses one, for kmemleak to find once the module is gone. Test-only;
 * never shipped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static bool uaf;
module_param(uaf, bool, 0444);
MODULE_PARM_DESC(uaf, "also read a freed allocation on load (for KASAN)");
static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "also lose an allocation on load (for kmemleak)");

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

/*
 * Several, and no pointer printed: the last one may survive in a stack
 * slot that kmemleak scans (a cached task stack), the others cannot.
 *
 * Small ones from a kmalloc cache, and large ones (past the largest
 * kmalloc cache, so from the page allocator). Only the large ones are
 * found every time: since v7.0 the kmalloc caches hand out objects from
 * per-CPU sheaves, arrays of object pointers that kmemleak scans as
 * ordinary kmalloc'd objects, and an array keeps the pointers it handed
 * out until a refill overwrites them, so a leaked small object can look
 * referenced (the small ones were missed in about 1 run in 6).
 */
#define DBR_SC_LARGE (3 * PAGE_SIZE)

static noinline void dmabuf_revoke_selfcheck_leak(void)
{
	void *p;
	int i;

	for (i = 0; i < 16; i++) {
		p = kzalloc(48, GFP_KERNEL);
		if (p)
			memset(p, 0xa5, 48);
		OPTIMIZER_HIDE_VAR(p);
	}
	for (i = 0; i < 4; i++) {
		p = kzalloc(DBR_SC_LARGE, GFP_KERNEL);
		if (p)
			memset(p, 0xa5, DBR_SC_LARGE);
		OPTIMIZER_HIDE_VAR(p);
	}
	pr_info("deliberately lost 16 small and 4 large allocations\n");
}

static int __init dmabuf_revoke_selfcheck_init(void)
{
	WARN(1, "deliberate warning for the harness self-check\n");
	if (uaf)
		dmabuf_revoke_selfcheck_uaf();
	if (leak)
		dmabuf_revoke_selfcheck_leak();
	return 0;
}

static void __exit dmabuf_revoke_selfcheck_exit(void)
{
}

module_init(dmabuf_revoke_selfcheck_init);
module_exit(dmabuf_revoke_selfcheck_exit);

MODULE_DESCRIPTION("dmabuf-revoke: harness self-check (WARNs on load; uaf=1, leak=1: memory bugs)");
MODULE_LICENSE("GPL");
