// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke hook: the backend-neutral part of guarding exporters that
 * do not ask the registry themselves (vfio-pci above all).
 *
 * The backend is chosen at load time (backend=kprobe|livepatch|none); its
 * state is in /sys/kernel/dmabuf_revoke/hook/ (include/dmabuf_revoke_hook_files.h):
 *   backend  kprobe | livepatch | none
 *   target   what is hooked and whether vfio-pci exports dma-bufs here
 *   state    armed | waiting | upstream-enforced | failed: <reason> |
 *            lost: <reason> | disabled (kprobe: reading it runs the canary)
 *   hits     attaches to guarded exporters the hook saw
 *   missed   probe hits the kprobe layer dropped (nmissed)
 *   canary_runs, canary_failures   the kprobe backend's re-proofs
 *
 * fail_closed=Y makes the load fail when the hook cannot be armed and
 * proven; without it the module loads with state "failed: <reason>".
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
	.canary_ms = 2000,
};

static const char *const backend_names[] = {
	[DBR_BACKEND_NONE] = "none",
	[DBR_BACKEND_KPROBE] = "kprobe",
	[DBR_BACKEND_LIVEPATCH] = "livepatch",
};

static const char *const fault_names[DBR_FAULT_COUNT] = {
	[DBR_FAULT_NONE] = "none",
	[DBR_FAULT_NOFIRE] = "nofire",
	[DBR_FAULT_NOREDIRECT] = "noredirect",
};

static DEFINE_MUTEX(dbr_hook_lock);
static struct kobject *dbr_hook_kobj;

/* Index of @val (one trailing newline allowed) in @names, or -EINVAL. */
static int name_index(const char *val, const char *const *names, int n)
{
	size_t len = strcspn(val, "\n");
	int i;

	if (val[len] == '\n' && val[len + 1])
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(val, names[i], len))
			return i;
	return -EINVAL;
}

static int vlen(const char *val)
{
	return (int)min_t(size_t, strcspn(val, "\n"), 32);
}

static int backend_set(const char *val, const struct kernel_param *kp)
{
	int i = name_index(val, backend_names, ARRAY_SIZE(backend_names));

	if (i < 0) {
		pr_warn("backend: '%.*s' is not one of kprobe, livepatch, none\n",
			vlen(val), val);
		return -EINVAL;
	}
	dbr_hook.backend = i;
	return 0;
}

static int backend_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", backend_names[dbr_hook.backend]);
}

/* Load time only (0444): switching backends means unloading one hook first. */
const struct kernel_param_ops dbr_backend_ops = {
	.set = backend_set,
	.get = backend_get,
};

static int canary_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 0, &ms) || (ms && (ms < 100 || ms > 3600000))) {
		pr_warn("canary_ms: '%.*s' is not 0 (only on reads of hook/state) or 100..3600000\n",
			vlen(val), val);
		return -EINVAL;
	}
	WRITE_ONCE(dbr_hook.canary_ms, ms);
	if (dbr_hook.backend == DBR_BACKEND_KPROBE)
		dbr_kprobe_canary_period();
	return 0;
}

static int canary_ms_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(dbr_hook.canary_ms));
}

const struct kernel_param_ops dbr_canary_ms_ops = {
	.set = canary_ms_set,
	.get = canary_ms_get,
};

static int fault_set(const char *val, const struct kernel_param *kp)
{
	int i = name_index(val, fault_names, DBR_FAULT_COUNT);

	if (i < 0) {
		pr_warn("hook_fault: '%.*s' is not one of none, nofire, noredirect\n",
			vlen(val), val);
		return -EINVAL;
	}
	if (i != DBR_FAULT_NONE)
		pr_warn("hook_fault=%s: test-only fault injected into the hook self-test\n",
			fault_names[i]);
	WRITE_ONCE(dbr_hook.fault, i);
	return 0;
}

static int fault_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", fault_names[READ_ONCE(dbr_hook.fault)]);
}

const struct kernel_param_ops dbr_hook_fault_ops = {
	.set = fault_set,
	.get = fault_get,
};

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
	if (dbr_hook.lost[0]) {
		snprintf(buf, size, "lost: %s", dbr_hook.lost);
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

	/* A state that says armed has just been proven to be. */
	if (dbr_hook.backend == DBR_BACKEND_KPROBE)
		dbr_kprobe_canary();
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
	const char *site = dbr_hook.backend == DBR_BACKEND_KPROBE ?
		dbr_kprobe_site() : NULL;

	return sysfs_emit(buf, "%s%s%s; vfio_pci_core %s%s\n", what,
			  site ? ", " : "", site ?: "",
			  dbr_hook.vfio_loaded ? "loaded" : "not loaded",
			  DBR_HAS_VFIO_DEVICE_FEATURE_DMA_BUF ? "" :
			  ", exports no dma-bufs on this kernel");
}

static ssize_t hits_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)
			  dbr_hot_sum(offsetof(struct dbr_hot_counters, hits)));
}

static ssize_t missed_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%lu\n", dbr_kprobe_missed());
}

static ssize_t canary_runs_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&dbr_hook.canary_runs));
}

static ssize_t canary_failures_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&dbr_hook.canary_failures));
}

/* One <file>_show above per entry of dmabuf_revoke_hook_files.h. */
static struct kobj_attribute dbr_hook_kattrs[] = {
#define DBR_HOOK_FILE(_file, ...) __ATTR_RO(_file),
#include "dmabuf_revoke_hook_files.h"
#undef DBR_HOOK_FILE
};

/* Filled by dbr_hook_init(). */
static struct attribute *dbr_hook_attrs[ARRAY_SIZE(dbr_hook_kattrs) + 1];

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

/**
 * dbr_hook_lost() - the canary's verdict
 * @reason: why refusals no longer reach callers, or NULL: they do
 *
 * Logs each transition once: losing enforcement at KERN_CRIT (what
 * operators alert on), getting it back at KERN_WARNING.
 */
void dbr_hook_lost(const char *reason)
{
	bool was, now = reason;

	mutex_lock(&dbr_hook_lock);
	was = dbr_hook.lost[0];
	strscpy(dbr_hook.lost, reason ?: "", sizeof(dbr_hook.lost));
	mutex_unlock(&dbr_hook_lock);
	if (now && !was)
		pr_crit("enforcement lost: %s; no attach is refused until this clears (hook/state)\n",
			reason);
	else if (!now && was)
		pr_warn("enforcement restored: the canary's refusal reaches the caller again\n");
}

/* Module notifier: vfio_pci_core coming and going moves the state. */
void dbr_hook_module_event(struct module *mod, unsigned long action)
{
	bool loaded;

	if (strcmp(mod->name, DBR_VFIO_EXPORTER))
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
	enum dbr_policy policy;

	if (!dbr_exporter_policy(attach->dmabuf->exp_name, &policy))
		return 0;
	dbr_hot_inc(hits);
	return dbr_check(attach->dmabuf, attach->dev, attach->importer_ops,
			 policy, upstream);
}
EXPORT_SYMBOL_NS_GPL(dmabuf_revoke_hook_check, DBR_NS(DMABUF_REVOKE));

int dbr_hook_init(struct kobject *parent)
{
	int i, ret;

	if (dbr_hook.fail_closed && dbr_hook.backend == DBR_BACKEND_NONE) {
		pr_err("fail_closed=Y with backend=none: there is no hook to arm\n");
		return -EINVAL;
	}
	dbr_hook.vfio_loaded = dbr_vfio_loaded();
	for (i = 0; i < ARRAY_SIZE(dbr_hook_kattrs); i++)
		dbr_hook_attrs[i] = &dbr_hook_kattrs[i].attr;
	ret = sysfs_create_group(parent, &dbr_hook_group);
	if (ret)
		return ret;
	dbr_hook_kobj = parent;
	if (dbr_hook.backend == DBR_BACKEND_KPROBE) {
		ret = dbr_kprobe_arm();	/* failures end up in state */
		if (ret && dbr_hook.fail_closed) {
			pr_err("fail_closed=Y: not loading, the hook failed: %s\n",
			       dbr_hook.failed);
			sysfs_remove_group(parent, &dbr_hook_group);
			dbr_hook_kobj = NULL;
			return ret;
		}
	}
	dbr_hook_log_state();
	return 0;
}

void dbr_hook_exit(void)
{
	/* No reader can start a canary once the files are gone. */
	if (dbr_hook_kobj)
		sysfs_remove_group(dbr_hook_kobj, &dbr_hook_group);
	if (dbr_hook.backend == DBR_BACKEND_KPROBE)
		dbr_kprobe_disarm();
}
