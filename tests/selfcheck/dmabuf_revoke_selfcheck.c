// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_selfcheck: triggers one WARN on load so the harness's
 * dmesg scan can be shown to catch it. Test-only; never shipped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>

static int __init dmabuf_revoke_selfcheck_init(void)
{
	WARN(1, "deliberate warning for the harness self-check\n");
	return 0;
}

static void __exit dmabuf_revoke_selfcheck_exit(void)
{
}

module_init(dmabuf_revoke_selfcheck_init);
module_exit(dmabuf_revoke_selfcheck_exit);

MODULE_DESCRIPTION("dmabuf-revoke: harness self-check (WARNs on load)");
MODULE_LICENSE("GPL");
