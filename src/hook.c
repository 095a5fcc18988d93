// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke hook: the backend-neutral part of guarding exporters that
 * do not ask the registry themselves (vfio-pci above all).
 *
 * The backend is chosen at load time (backend=kprobe|livepatch|none); its
 * state is in /sys/kernel/dmabuf_revoke/hook/:
 *   backend  kprobe | livepatch | none
 *   target   what is hooked and whether vfio-pci exports dma-bufs here
 *   state    armed | waiting | upstream-enforced | failed: <reason> | disabled
 *   hits     attaches to guarded exporters the hook saw
 *   missed   probe hits the kprobe layer dropped (nmissed)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>

#include "hook.h"
#include "internal.h"
#include "dmabuf_revoke_compat.h"

struct dbr_hook dbr_hook = {
	.backend = DBR_BACKEND_KPROBE,
};

static const char *const backend_names[] = {
	[DBR_BACKEND_NONE] = "none",
	[DBR_BACKEND_KPROBE] = "kprobe",
	[DBR_BACKEND_LIVEPATCH] = "livepatch",
};

static DEFINE_MUTEX(dbr_hook_lock);
static struct kobject *dbr_hook_kobj;

static int backend_set(const char *val, const struct kernel_param *kp)
{
	size_t n = strcspn(val, "\n");
	int i;

	for (i = 0; i < ARRAY_SIZE(backend_names); i++) {
		if (strlen(backend_names[i]) == n &&
		    !strncmp(val, backend_names[i], n)) {
			dbr_hook.backend = i;
			return 0;
		}
	}
	pr_warn("backend: '%.*s' is not one of kprobe, livepatch, none\n",
		(int)min_t(size_t, n, 32), val);
	return -EINVAL;
}

static int backend_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", backend_names[dbr_hook.backend]);
}

static const struct kernel_param_ops backend_ops = {
	.set = backend_set,
	.get = backend_get,
};
/* Load time only: switching backends means unloading one hook first. */
module_param_cb(backend, &backend_ops, NULL, 0444);
MODULE_PARM_DESC(backend,
		 "how vfio-pci's dma-buf attach is hooked: kprobe (default), livepatch (load dmabuf_revoke_livepatch too) or none");

/*
 * The state a person wants to see: a failure first, then whether the
 * kernel's vfio-pci already checks importers itself, then whether the
 * target is there at all.
 */
static const char *state_locked(char *buf, size_t size)
{
	lockdep_assert_held(&dbr_hook_lock);
	if (dbr_hook.backend == DBR_BACKEND_NONE)
		return "disabled";
	if (dbr_hook.failed[0]) {
		snprintf(buf, size, "failed: %s", dbr_hook.failed);
		return buf;
	}
	if (dbr_hook.backend == DBR_BACKEND_LIVEPATCH && !dbr_hook.lp_enabled)
		return "waiting";
	if (DBR_HAS_DMA_BUF_ATTACH_REVOCABLE)
		return "upstream-enforced";
	return dbr_hook.vfio_loaded ? "armed" : "waiting";
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	char tmp[DBR_HOOK_REASON_MAX + 16];
	ssize_t n;

	mutex_lock(&dbr_hook_lock);
	n = sysfs_emit(buf, "%s\n", state_locked(tmp, sizeof(tmp)));
	mutex_unlock(&dbr_hook_lock);
	return n;
}

static ssize_t backend_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", backend_names[dbr_hook.backend]);
}

static ssize_t target_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	const char *what = dbr_hook.backend == DBR_BACKEND_LIVEPATCH ?
		"vfio_pci_core:vfio_pci_dma_buf_attach" :
		"dma_buf_dynamic_attach,dma_buf_attach (guarded exporters)";

	return sysfs_emit(buf, "%s; vfio_pci_core %s%s\n", what,
			  dbr_hook.vfio_loaded ? "loaded" : "not loaded",
			  DBR_HAS_VFIO_DEVICE_FEATURE_DMA_BUF ? "" :
			  ", exports no dma-bufs on this kernel");
}

static ssize_t hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&dbr_hook.hits));
}

static ssize_t missed_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%lu\n", dbr_kprobe_missed());
}

static struct kobj_attribute backend_attr = __ATTR_RO(backend);
static struct kobj_attribute target_attr = __ATTR_RO(target);
static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute hits_attr = __ATTR_RO(hits);
static struct kobj_attribute missed_attr = __ATTR_RO(missed);

static struct attribute *dbr_hook_attrs[] = {
	&backend_attr.attr,
	&target_attr.attr,
	&state_attr.attr,
	&hits_attr.attr,
	&missed_attr.attr,
	NULL,
};

static const struct attribute_group dbr_hook_group = {
	.name = "hook",
	.attrs = dbr_hook_attrs,
};

/* Log state changes, so dmesg tells the story too. */
static void dbr_hook_log_state(void)
{
	char tmp[DBR_HOOK_REASON_MAX + 16];

	mutex_lock(&dbr_hook_lock);
	pr_info("hook %s: %s\n", backend_names[dbr_hook.backend],
		state_locked(tmp, sizeof(tmp)));
	mutex_unlock(&dbr_hook_lock);
}

void dbr_hook_fail(const char *reason)
{
	mutex_lock(&dbr_hook_lock);
	strscpy(dbr_hook.failed, reason, sizeof(dbr_hook.failed));
	mutex_unlock(&dbr_hook_lock);
}

/* Module notifier: vfio_pci_core coming and going moves the state. */
void dbr_hook_module_event(struct module *mod, unsigned long action)
{
	bool loaded;

	if (strcmp(mod->name, "vfio_pci_core"))
		return;
	if (action == MODULE_STATE_LIVE)
		loaded = true;
	else if (action == MODULE_STATE_GOING)
		loaded = false;
	else
		return;
	mutex_lock(&dbr_hook_lock);
	dbr_hook.vfio_loaded = loaded;
	mutex_unlock(&dbr_hook_lock);
	dbr_hook_log_state();
}

/**
 * dmabuf_revoke_hook_livepatch_state() - the livepatch backend reports in
 * @enabled: its patch is enabled (vfio_pci_core patched or will be on load)
 * @failed: NULL, or why it refused to patch
 *
 * Return: 0, or -EBUSY if the shim was not loaded with backend=livepatch
 * (two hooks would check every attach twice).
 */
int dmabuf_revoke_hook_livepatch_state(bool enabled, const char *failed)
{
	if (dbr_hook.backend != DBR_BACKEND_LIVEPATCH)
		return -EBUSY;
	mutex_lock(&dbr_hook_lock);
	dbr_hook.lp_enabled = enabled;
	strscpy(dbr_hook.failed, failed ?: "", sizeof(dbr_hook.failed));
	mutex_unlock(&dbr_hook_lock);
	dbr_hook_log_state();
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_hook_livepatch_state, DBR_NS(DMABUF_REVOKE));

/**
 * dmabuf_revoke_hook_check() - the livepatch backend's attach check
 * @attach: the attachment vfio_pci_dma_buf_attach() is deciding on
 * @upstream: the patched function already refused importers without a
 *            callback (v7.1+): add only deny-list and strict refusals
 *
 * Return: 0 or -EOPNOTSUPP.
 */
int dmabuf_revoke_hook_check(struct dma_buf_attachment *attach, bool upstream)
{
	if (!dbr_exporter_guarded(attach->dmabuf->exp_name))
		return 0;
	atomic64_inc(&dbr_hook.hits);
	return dbr_check(attach->dmabuf, attach->dev, attach->importer_ops,
			 upstream);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_hook_check, DBR_NS(DMABUF_REVOKE));

int dbr_hook_init(struct kobject *parent)
{
	int ret;

	dbr_hook.vfio_loaded = dbr_vfio_loaded();
	ret = sysfs_create_group(parent, &dbr_hook_group);
	if (ret)
		return ret;
	dbr_hook_kobj = parent;
	if (dbr_hook.backend == DBR_BACKEND_KPROBE)
		dbr_kprobe_arm();	/* failures end up in state */
	dbr_hook_log_state();
	return 0;
}

void dbr_hook_exit(void)
{
	if (dbr_hook.backend == DBR_BACKEND_KPROBE)
		dbr_kprobe_disarm();
	if (dbr_hook_kobj)
		sysfs_remove_group(dbr_hook_kobj, &dbr_hook_group);
}
