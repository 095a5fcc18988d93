// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke: the dma-buf revocation shim.
 *
 * Exporters that may revoke a buffer (vfio-pci around FLR/reset) must not
 * let importers attach that will keep using it afterwards. This module is
 * the registry that tells them apart (registry.c), the policy an operator
 * sets (policy.c), the hook that guards exporters which do not ask
 * (hook.c, hook_kprobe.c), and the tables that show what happens (sysfs.c,
 * debugfs.c, track.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "hook.h"
#include "internal.h"
#include "dmabuf_revoke_compat.h"

static int dbr_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	if (action == MODULE_STATE_GOING) {
		dbr_learn_module_going(data);
		dbr_registry_module_going(data);
	}
	dbr_hook_module_event(data, action);
	return NOTIFY_DONE;
}

static struct notifier_block dbr_module_nb = {
	.notifier_call = dbr_module_notify,
};

static int __init dmabuf_revoke_init(void)
{
	int ret;

	ret = dbr_policy_init();
	if (ret)
		goto err_policy;
	ret = register_module_notifier(&dbr_module_nb);
	if (ret)
		goto err_policy;
	ret = dbr_sysfs_init();
	if (ret)
		goto err_notifier;
	ret = dbr_hook_init(dbr_sysfs_kobj());
	if (ret)
		goto err_sysfs;
	dbr_debugfs_init();
	pr_info("version %s loaded: policy %s, strict %s\n", DMABUF_REVOKE_VERSION,
		dbr_policy_name(dbr_policy_get()), dbr_strict_get() ? "Y" : "N");
	return 0;

err_sysfs:
	dbr_sysfs_exit();
err_notifier:
	unregister_module_notifier(&dbr_module_nb);
err_policy:
	dbr_policy_exit();
	return ret;
}

static void __exit dmabuf_revoke_exit(void)
{
	dbr_debugfs_exit();
	dbr_hook_exit();
	dbr_sysfs_exit();
	unregister_module_notifier(&dbr_module_nb);
	dbr_track_exit();
	dbr_registry_exit();
	dbr_policy_exit();
	pr_info("unloaded\n");
}

module_init(dmabuf_revoke_init);
module_exit(dmabuf_revoke_exit);

MODULE_DESCRIPTION("dmabuf-revoke: refuse dma-buf importers that cannot be revoked");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
