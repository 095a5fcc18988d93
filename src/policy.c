// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke's knobs, the policy room: every module parameter of the
 * module is made here, from include/dmabuf_revoke_knobs.h, so that
 * `modprobe dmabuf_revoke policy=enforce` and /etc/modprobe.d work and the
 * same value is writable at runtime (root only) in
 * /sys/module/dmabuf_revoke/parameters/. The policy's own knobs are parsed
 * here; the others where what they steer lives. Bad values are refused
 * with -EINVAL and a message, and change nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hook.h"
#include "internal.h"
#include "dmabuf_revoke_compat.h"

/* Exporters guarded by the hook when the exporters= parameter is not given. */
#define DBR_DEFAULT_EXPORTERS DBR_VFIO_EXPORTER

static enum dbr_policy dbr_policy = DBR_POLICY_ENFORCE;
static bool dbr_strict;

/*
 * Readers use RCU; writers serialize on dbr_lists_lock. Each list has two
 * static slots: a writer fills the one readers cannot see, publishes it,
 * and waits a grace period before that slot's twin may be written again.
 * Nothing is allocated, so a parameter that fails the load after another
 * was accepted (the module never initialises, never exits) leaks nothing.
 */
static DEFINE_MUTEX(dbr_lists_lock);
static struct dbr_list dbr_list_slots[3][2];
static struct dbr_list __rcu *dbr_lists[3];
static bool dbr_exporters_given;
static const char *const dbr_list_names[3] = {
	[DBR_LIST_DENY] = "deny",
	[DBR_LIST_ALLOW] = "allow",
	[DBR_LIST_EXPORTERS] = "exporters",
};

enum dbr_policy dbr_policy_get(void)
{
	return READ_ONCE(dbr_policy);
}

bool dbr_strict_get(void)
{
	return READ_ONCE(dbr_strict);
}

/* Length of a user value without its trailing newline, for messages. */
static int vlen(const char *val)
{
	size_t n = strcspn(val, "\n");

	return n > 64 ? 64 : (int)n;
}

static int policy_set(const char *val, const struct kernel_param *kp)
{
	enum dbr_policy p;

	if (dbr_policy_parse(val, &p)) {
		pr_warn("policy: '%.*s' is not one of off, audit, enforce\n",
			vlen(val), val);
		return -EINVAL;
	}
	if (p != READ_ONCE(dbr_policy))
		pr_info("policy: %s -> %s\n", dbr_policy_name(dbr_policy),
			dbr_policy_name(p));
	WRITE_ONCE(dbr_policy, p);
	return 0;
}

static int policy_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", dbr_policy_name(dbr_policy_get()));
}

const struct kernel_param_ops dbr_policy_ops = {
	.set = policy_set,
	.get = policy_get,
};

static int strict_set(const char *val, const struct kernel_param *kp)
{
	bool b;

	if (kstrtobool(val, &b)) {
		pr_warn("strict: '%.*s' is not a boolean (Y/N/1/0)\n",
			vlen(val), val);
		return -EINVAL;
	}
	if (b != READ_ONCE(dbr_strict))
		pr_info("strict: %s\n", b ? "on" : "off");
	WRITE_ONCE(dbr_strict, b);
	return 0;
}

static int strict_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%c\n", dbr_strict_get() ? 'Y' : 'N');
}

const struct kernel_param_ops dbr_strict_ops = {
	.set = strict_set,
	.get = strict_get,
};

static int list_edit_locked(int which, const char *val)
{
	static const struct dbr_list empty;
	struct dbr_list *cur, *new;
	const char *why = "invalid";
	int ret;

	lockdep_assert_held(&dbr_lists_lock);
	cur = rcu_dereference_protected(dbr_lists[which],
					lockdep_is_held(&dbr_lists_lock));
	new = cur == &dbr_list_slots[which][0] ? &dbr_list_slots[which][1] :
						 &dbr_list_slots[which][0];
	ret = dbr_list_apply(cur ?: &empty, new, val,
			     which == DBR_LIST_EXPORTERS, &why);
	if (ret) {
		pr_warn("%s: %s in '%.*s'\n", dbr_list_names[which], why,
			vlen(val), val);
		return ret;
	}
	rcu_assign_pointer(dbr_lists[which], new);
	/* Cached classifications may now be wrong. */
	dbr_invalidate();
	/* Readers of the old slot are gone before the next edit reuses it. */
	synchronize_rcu();
	return 0;
}

/**
 * dbr_list_edit() - change the deny, allow or exporters list
 * @which: DBR_LIST_DENY, DBR_LIST_ALLOW or DBR_LIST_EXPORTERS
 * @edit: "a,b" replaces the list, "+a -b" edits it (see dbr_list_apply())
 *
 * Return: 0, or -EINVAL (message logged) and the list unchanged.
 */
int dbr_list_edit(int which, const char *edit)
{
	int ret;

	mutex_lock(&dbr_lists_lock);
	ret = list_edit_locked(which, edit);
	if (!ret && which == DBR_LIST_EXPORTERS)
		dbr_exporters_given = true;
	mutex_unlock(&dbr_lists_lock);
	return ret;
}

static int list_param_set(const char *val, const struct kernel_param *kp)
{
	return dbr_list_edit((int)(long)kp->arg, val);
}

static int list_param_get(char *buf, const struct kernel_param *kp)
{
	struct dbr_list *l;
	int n = 0;

	rcu_read_lock();
	l = rcu_dereference(dbr_lists[(long)kp->arg]);
	if (l)
		n = dbr_list_format(l, buf, PAGE_SIZE - 1);
	rcu_read_unlock();
	if (n < 0)
		return n;
	buf[n++] = '\n';
	return n;
}

const struct kernel_param_ops dbr_list_ops = {
	.set = list_param_set,
	.get = list_param_get,
};

/*
 * Every knob of the module, from the one list: the parsers above and in
 * learn.c, track.c, probe_track.c and hook.c, the names and texts there.
 * DBR_KNOB_STATUS_<status> only checks that status is 0 or 1.
 */
#define DBR_KNOB_STATUS_0
#define DBR_KNOB_STATUS_1
#define DBR_KNOB(_name, _ops, _arg, _perm, _status, _desc)	\
	module_param_cb(_name, _ops, _arg, _perm);		\
	MODULE_PARM_DESC(_name, _desc);				\
	DBR_KNOB_STATUS_##_status
#include "dmabuf_revoke_knobs.h"
#undef DBR_KNOB

static bool list_match(int which, const char *sym, const char *mod)
{
	struct dbr_list *l;
	bool hit = false;

	rcu_read_lock();
	l = rcu_dereference(dbr_lists[which]);
	if (l)
		hit = dbr_list_match(l, sym, mod);
	rcu_read_unlock();
	return hit;
}

bool dbr_list_deny_match(const char *sym, const char *mod)
{
	return list_match(DBR_LIST_DENY, sym, mod);
}

bool dbr_list_allow_match(const char *sym, const char *mod)
{
	return list_match(DBR_LIST_ALLOW, sym, mod);
}

/**
 * dbr_exporter_policy() - is an exporter guarded, and under which policy
 * @exp_name: a dma_buf's exp_name (may be NULL)
 * @policy: set to the exporter's own policy, or the global one
 *
 * Context: any; lock-free (RCU).
 * Return: true if @exp_name is in the exporters list.
 */
bool dbr_exporter_policy(const char *exp_name, enum dbr_policy *policy)
{
	struct dbr_list *l;
	bool hit = false;
	int p = DBR_POLICY_DEFAULT;

	if (exp_name) {
		rcu_read_lock();
		l = rcu_dereference(dbr_lists[DBR_LIST_EXPORTERS]);
		if (l)
			hit = dbr_list_exporter(l, exp_name, &p);
		rcu_read_unlock();
	}
	*policy = p == DBR_POLICY_DEFAULT ? dbr_policy_get() : p;
	return hit;
}

bool dbr_exporter_guarded(const char *exp_name)
{
	enum dbr_policy p;

	return dbr_exporter_policy(exp_name, &p);
}

/* For debugfs: the effective knobs in one place. */
void dbr_policy_show(struct seq_file *m)
{
	struct dbr_list *l;
	char *buf;
	int i;

	seq_printf(m, "policy %s\nstrict %s\nlearn %s\n",
		   dbr_policy_name(dbr_policy_get()), dbr_strict_get() ? "Y" : "N",
		   dbr_learn_name(dbr_learn_get()));
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return;
	for (i = 0; i < ARRAY_SIZE(dbr_lists); i++) {
		buf[0] = '\0';
		rcu_read_lock();
		l = rcu_dereference(dbr_lists[i]);
		if (l && dbr_list_format(l, buf, PAGE_SIZE) < 0)
			strscpy(buf, "?", PAGE_SIZE);
		rcu_read_unlock();
		seq_printf(m, "%s %s\n", dbr_list_names[i], buf);
	}
	kfree(buf);
}

int dbr_policy_init(void)
{
	int ret = 0;

	mutex_lock(&dbr_lists_lock);
	if (!dbr_exporters_given)
		ret = list_edit_locked(DBR_LIST_EXPORTERS, DBR_DEFAULT_EXPORTERS);
	mutex_unlock(&dbr_lists_lock);
	return ret;
}

void dbr_policy_exit(void)
{
	/* The lists are static: nothing to free. */
}
