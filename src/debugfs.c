// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/dmabuf_revoke: live tables for people, not programs.
 *   buffers   tracked buffers and their attachments (class, mapped)
 *   registry  built-in deny entry, registrations, cached classifications
 *   policy    the effective knobs
 *   events    the last DBR_EVENTS_MAX events (events.c)
 *   learned   learn= and the importers the watchdog saw ignoring a revoke
 */
#include <linux/debugfs.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

static struct dentry *dbr_dir;

static int buffers_show(struct seq_file *m, void *v)
{
	dbr_track_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(buffers);

static int registry_show(struct seq_file *m, void *v)
{
	dbr_registry_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(registry);

static int policy_show(struct seq_file *m, void *v)
{
	dbr_policy_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(policy);

static int learned_show(struct seq_file *m, void *v)
{
	dbr_learn_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(learned);

/* debugfs is best effort: failures only lose the tables. */
void dbr_debugfs_init(void)
{
	dbr_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("buffers", 0400, dbr_dir, NULL, &buffers_fops);
	debugfs_create_file("registry", 0400, dbr_dir, NULL, &registry_fops);
	debugfs_create_file("policy", 0400, dbr_dir, NULL, &policy_fops);
	dbr_events_debugfs_init(dbr_dir);
	debugfs_create_file("learned", 0400, dbr_dir, NULL, &learned_fops);
}

void dbr_debugfs_exit(void)
{
	debugfs_remove_recursive(dbr_dir);
}
