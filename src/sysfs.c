// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/dmabuf_revoke: read-only state, one value per file.
 *   version, kernel_attach_revocable
 *   counters/<file>, one per entry of dmabuf_revoke_counters.h
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

#define DBR_CTR_hot(_field) .hot = offsetof(struct dbr_hot_counters, _field)
#define DBR_CTR_atomic(_field) .v = &dbr_counters._field

static struct dbr_counter_attr dbr_counter_attrs[] = {
#define DBR_COUNTER(_file, _where, ...) \
	{ .kattr = __ATTR(_file, 0444, counter_show, NULL), DBR_CTR_##_where },
#include "dmabuf_revoke_counters.h"
#undef DBR_COUNTER
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
