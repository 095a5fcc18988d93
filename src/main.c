// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke: the dma-buf revocation shim.
 *
 * Skeleton: loads and unloads; its features arrive with later changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "dmabuf_revoke_compat.h"

static int __init dmabuf_revoke_init(void)
{
	pr_info("version %s loaded\n", DMABUF_REVOKE_VERSION);
	return 0;
}

static void __exit dmabuf_revoke_exit(void)
{
	pr_info("unloaded\n");
}

module_init(dmabuf_revoke_init);
module_exit(dmabuf_revoke_exit);

MODULE_DESCRIPTION("dmabuf-revoke: the dma-buf revocation shim");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
