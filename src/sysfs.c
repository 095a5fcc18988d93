// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/dmabuf_revoke: read-only state, one value per file.
 *   version, kernel_attach_revocable
 *   counters/{attach_checked,attach_allowed,attach_audited,attach_refused,
 *             attach_upstream,attach_learned,
 *             class_<class>,revocations,stale_mappings,stale_named,
 *             learned,learned_full}
 * The knobs are module parameters (/sys/module/dmabuf_revoke/parameters).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

static struct kobject *dbr_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", DMABUF_REVOKE_VERSION);
}
static struct kobj_attribute version_attr = __ATTR_RO(version);

/* Does this kernel have v7.1's dma_buf_attach_revocable()? (build-time probe) */
static ssize_t kernel_attach_revocable_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	return sysfs_emit(buf, "%d\n", DBR_HAS_DMA_BUF_ATTACH_REVOCABLE);
}
static struct kobj_attribute kernel_attach_revocable_attr =
	__ATTR_RO(kernel_attach_revocable);

static struct attribute *dbr_attrs[] = {
	&version_attr.attr,
	&kernel_attach_revocable_attr.attr,
	NULL,
};

static const struct attribute_group dbr_group = {
	.attrs = dbr_attrs,
};

struct dbr_counter_attr {
	struct kobj_attribute kattr;
	atomic64_t *v;		/* or, if NULL: */
	size_t hot;		/* offset in struct dbr_hot_counters */
};

static ssize_t counter_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct dbr_counter_attr *c = container_of(attr, struct dbr_counter_attr,
						  kattr);

	if (!c->v)
		return sysfs_emit(buf, "%llu\n",
				  (unsigned long long)dbr_hot_sum(c->hot));
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(c->v));
}

#define DBR_COUNTER(_name, _v) \
	{ .kattr = __ATTR(_name, 0444, counter_show, NULL), .v = (_v) }
#define DBR_HOT_COUNTER(_name, _field) \
	{ .kattr = __ATTR(_name, 0444, counter_show, NULL), \
	  .hot = offsetof(struct dbr_hot_counters, _field) }

static struct dbr_counter_attr dbr_counter_attrs[] = {
	DBR_HOT_COUNTER(attach_checked, checked),
	DBR_HOT_COUNTER(attach_allowed, allowed),
	DBR_HOT_COUNTER(attach_audited, audited),
	DBR_HOT_COUNTER(attach_refused, refused),
	DBR_HOT_COUNTER(attach_upstream, upstream),
	DBR_HOT_COUNTER(attach_learned, learned),
	DBR_HOT_COUNTER(class_legacy, by_class[DBR_CLASS_LEGACY]),
	DBR_HOT_COUNTER(class_no_callback, by_class[DBR_CLASS_NO_CALLBACK]),
	DBR_HOT_COUNTER(class_denied, by_class[DBR_CLASS_DENIED]),
	DBR_HOT_COUNTER(class_allowed, by_class[DBR_CLASS_ALLOWED]),
	DBR_HOT_COUNTER(class_revocable, by_class[DBR_CLASS_REVOCABLE]),
	DBR_COUNTER(revocations, &dbr_counters.revocations),
	DBR_COUNTER(stale_mappings, &dbr_counters.stale),
	DBR_COUNTER(stale_named, &dbr_counters.stale_named),
	DBR_COUNTER(learned, &dbr_counters.learned),
	DBR_COUNTER(learned_full, &dbr_counters.learned_full),
};

static struct attribute *dbr_counter_list[ARRAY_SIZE(dbr_counter_attrs) + 1];

static const struct attribute_group dbr_counter_group = {
	.name = "counters",
	.attrs = dbr_counter_list,
};

struct kobject *dbr_sysfs_kobj(void)
{
	return dbr_kobj;
}

int dbr_sysfs_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(dbr_counter_attrs); i++)
		dbr_counter_list[i] = &dbr_counter_attrs[i].kattr.attr;

	dbr_kobj = kobject_create_and_add("dmabuf_revoke", kernel_kobj);
	if (!dbr_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dbr_kobj, &dbr_group);
	if (ret)
		goto err_put;
	ret = sysfs_create_group(dbr_kobj, &dbr_counter_group);
	if (ret)
		goto err_group;
	return 0;

err_group:
	sysfs_remove_group(dbr_kobj, &dbr_group);
err_put:
	kobject_put(dbr_kobj);
	return ret;
}

void dbr_sysfs_exit(void)
{
	sysfs_remove_group(dbr_kobj, &dbr_counter_group);
	sysfs_remove_group(dbr_kobj, &dbr_group);
	kobject_put(dbr_kobj);
}
