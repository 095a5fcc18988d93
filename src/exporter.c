// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_exporter: test dma-buf exporter.
 *
 * Skeleton: loads and unloads; its features arrive with later changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "dmabuf_revoke_compat.h"

static int __init dmabuf_revoke_exporter_init(void)
{
	pr_info("version %s loaded\n", DMABUF_REVOKE_VERSION);
	return 0;
}

static void __exit dmabuf_revoke_exporter_exit(void)
{
	pr_info("unloaded\n");
}

module_init(dmabuf_revoke_exporter_init);
module_exit(dmabuf_revoke_exporter_exit);

MODULE_DESCRIPTION("dmabuf-revoke: test dma-buf exporter");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
