// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke learning: an importer callback the stale-mapping watchdog
 * (track.c) names, i.e. notified of a revoke and still mapped
 * stale_timeout_ms later, joins a learned deny set keyed like the deny
 * list: the callback's symbol and its module. learn= says what that set
 * does (off: nothing is learned or applied; audit: learned and logged,
 * attaches audited as "would deny (learned)"; deny: refused like a deny
 * entry under enforce). An entry stays until the set is cleared (an empty
 * write to the learned parameter) or its module unloads.
 *
 * Readers are the attach path (the kprobe handler, on a class cache miss):
 * RCU over two static slots, as the lists in policy.c, nothing allocated.
 * Writers (the watchdog's work item, a sysfs write, the module notifier)
 * serialize on a mutex, publish the other slot, bump the class cache
 * generation so no cached verdict outlives the change, and wait a grace
 * period before that slot's twin may be written again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "internal.h"
#include "dmabuf_revoke_compat.h"

struct dbr_learned_entry {
	char sym[DBR_NAME_MAX];
	char mod[DBR_NAME_MAX];	/* "" for a callback built into the kernel */
};

struct dbr_learned_set {
	unsigned int n;
	struct dbr_learned_entry e[DBR_LEARN_MAX];
};

static enum dbr_learn dbr_learn = DBR_LEARN_AUDIT;
static DEFINE_MUTEX(dbr_learn_lock);
static struct dbr_learned_set dbr_learned_slots[2];
static struct dbr_learned_set __rcu *dbr_learned;
/* Under dbr_learn_lock: the "set is full" line was logged (once per fill). */
static bool dbr_learned_full_logged;

enum dbr_learn dbr_learn_get(void)
{
	return READ_ONCE(dbr_learn);
}

static int learn_set(const char *val, const struct kernel_param *kp)
{
	enum dbr_learn l;

	if (dbr_learn_parse(val, &l)) {
		pr_warn("learn: '%.*s' is not one of off, audit, deny\n",
			(int)min_t(size_t, strcspn(val, "\n"), 64), val);
		return -EINVAL;
	}
	if (l != READ_ONCE(dbr_learn))
		pr_info("learn: %s -> %s\n", dbr_learn_name(READ_ONCE(dbr_learn)),
			dbr_learn_name(l));
	WRITE_ONCE(dbr_learn, l);
	return 0;
}

static int learn_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", dbr_learn_name(dbr_learn_get()));
}

const struct kernel_param_ops dbr_learn_ops = {
	.set = learn_set,
	.get = learn_get,
};

static struct dbr_learned_set *learned_cur(void)
{
	return rcu_dereference_protected(dbr_learned,
					 lockdep_is_held(&dbr_learn_lock));
}

static struct dbr_learned_set *learned_other(struct dbr_learned_set *cur)
{
	return cur == &dbr_learned_slots[0] ? &dbr_learned_slots[1] :
					      &dbr_learned_slots[0];
}

/* Publish @new, make cached classes stale, free the old slot for reuse. */
static void learned_publish(struct dbr_learned_set *new)
{
	lockdep_assert_held(&dbr_learn_lock);
	rcu_assign_pointer(dbr_learned, new);
	dbr_invalidate();
	synchronize_rcu();
}

/**
 * dbr_learned_match() - has the watchdog seen this callback ignore a revoke?
 * @sym: the callback's symbol
 * @mod: its module, "" if built in
 *
 * Context: any (the kprobe handler); lock-free, never sleeps or allocates.
 * Return: true if (@sym, @mod) is in the learned set.
 */
bool dbr_learned_match(const char *sym, const char *mod)
{
	struct dbr_learned_set *s;
	bool hit = false;
	unsigned int i;

	if (!sym[0])
		return false;
	rcu_read_lock();
	s = rcu_dereference(dbr_learned);
	for (i = 0; s && i < s->n; i++) {
		if (!strcmp(s->e[i].sym, sym) && !strcmp(s->e[i].mod, mod)) {
			hit = true;
			break;
		}
	}
	rcu_read_unlock();
	return hit;
}

/**
 * dbr_learn_add() - the watchdog saw an importer ignore a revoke
 * @cb: its callback as "symbol [module]" (sprint_symbol_no_offset())
 *
 * Adds it to the learned set unless learn=off, it is there already, or
 * the set is full (logged once, counted in learned_full).
 *
 * Context: process; may sleep (a grace period).
 */
void dbr_learn_add(const char *cb)
{
	char sym[DBR_NAME_MAX], mod[DBR_NAME_MAX];
	struct dbr_learned_set *cur, *new;
	enum dbr_learn l;
	unsigned int i;

	/* An address kallsyms does not know cannot be keyed. */
	if (dbr_split_symbol(cb, sym, sizeof(sym), mod, sizeof(mod)) || !sym[0])
		return;
	mutex_lock(&dbr_learn_lock);
	l = dbr_learn_get();
	if (l == DBR_LEARN_OFF)
		goto out;
	cur = learned_cur();
	for (i = 0; cur && i < cur->n; i++)
		if (!strcmp(cur->e[i].sym, sym) && !strcmp(cur->e[i].mod, mod))
			goto out;
	if (cur && cur->n >= DBR_LEARN_MAX) {
		atomic64_inc(&dbr_counters.learned_full);
		if (!dbr_learned_full_logged)
			pr_warn("learned: the set is full (%d entries): %s not learned; clear it or use the deny list\n",
				DBR_LEARN_MAX, cb);
		dbr_learned_full_logged = true;
		goto out;
	}
	new = learned_other(cur);
	if (cur)
		*new = *cur;
	else
		new->n = 0;
	strscpy(new->e[new->n].sym, sym, sizeof(new->e[0].sym));
	strscpy(new->e[new->n].mod, mod, sizeof(new->e[0].mod));
	new->n++;
	learned_publish(new);
	atomic64_inc(&dbr_counters.learned);
	pr_warn("learned: importer callback %s ignores revocations: %s\n", cb,
		l == DBR_LEARN_DENY ?
		"denied (learned) on guarded exporters under enforce" :
		"would deny (learned) (learn=audit: its attaches are only audited)");
out:
	mutex_unlock(&dbr_learn_lock);
}

/* Keep the entries for which @keep is true; true if any was dropped. */
static bool learned_filter(bool (*keep)(const struct dbr_learned_entry *e,
					const void *arg),
			   const void *arg)
{
	struct dbr_learned_set *cur = learned_cur(), *new;
	unsigned int i, n = 0;

	lockdep_assert_held(&dbr_learn_lock);
	if (!cur || !cur->n)
		return false;
	new = learned_other(cur);
	for (i = 0; i < cur->n; i++)
		if (keep(&cur->e[i], arg))
			new->e[n++] = cur->e[i];
	if (n == cur->n)
		return false;
	new->n = n;
	learned_publish(new);
	dbr_learned_full_logged = false;
	return true;
}

static bool keep_none(const struct dbr_learned_entry *e, const void *arg)
{
	return false;
}

static bool keep_other_module(const struct dbr_learned_entry *e,
			      const void *arg)
{
	return strcmp(e->mod, arg);
}

/**
 * dbr_learn_clear() - forget everything learned
 *
 * Context: process; may sleep.
 */
void dbr_learn_clear(void)
{
	mutex_lock(&dbr_learn_lock);
	if (learned_filter(keep_none, NULL))
		pr_info("learned: set cleared\n");
	mutex_unlock(&dbr_learn_lock);
}

/* A module is going: what was learned about its callbacks goes with it. */
void dbr_learn_module_going(struct module *mod)
{
	mutex_lock(&dbr_learn_lock);
	if (learned_filter(keep_other_module, module_name(mod)))
		pr_info("%s unloading: dropped what was learned about it\n",
			module_name(mod));
	mutex_unlock(&dbr_learn_lock);
}

/* "symbol [module]" or "symbol" of @e into @buf; as the log names it. */
static int entry_format(const struct dbr_learned_entry *e, char *buf,
			size_t size)
{
	return e->mod[0] ? scnprintf(buf, size, "%s [%s]", e->sym, e->mod) :
			   scnprintf(buf, size, "%s", e->sym);
}

/*
 * The learned parameter: reading lists the set, comma separated; the only
 * write accepted is an empty one, which clears it (entries are added by
 * the watchdog alone; the deny list is for an operator's own).
 */
static int learned_param_set(const char *val, const struct kernel_param *kp)
{
	if (val[strspn(val, " \t\n")]) {
		pr_warn("learned: '%.*s': only an empty write (clear the set) is accepted\n",
			(int)min_t(size_t, strcspn(val, "\n"), 64), val);
		return -EINVAL;
	}
	dbr_learn_clear();
	return 0;
}

static int learned_param_get(char *buf, const struct kernel_param *kp)
{
	char one[DBR_SYM_MAX];
	struct dbr_learned_set *s;
	unsigned int i;
	int n = 0, m;

	rcu_read_lock();
	s = rcu_dereference(dbr_learned);
	for (i = 0; s && i < s->n; i++) {
		m = entry_format(&s->e[i], one, sizeof(one));
		/* Whole entries only, and room for the newline. */
		if (n + m + 2 >= PAGE_SIZE)
			break;
		n += scnprintf(buf + n, PAGE_SIZE - n, "%s%s", n ? "," : "", one);
	}
	rcu_read_unlock();
	buf[n++] = '\n';
	return n;
}

const struct kernel_param_ops dbr_learned_ops = {
	.set = learned_param_set,
	.get = learned_param_get,
};

/* debugfs "learned": the mode, then one line per entry. */
void dbr_learn_show(struct seq_file *m)
{
	char one[DBR_SYM_MAX];
	unsigned int i, n = 0;

	seq_printf(m, "learn %s\n", dbr_learn_name(dbr_learn_get()));
	mutex_lock(&dbr_learn_lock);
	if (learned_cur()) {
		n = learned_cur()->n;
		for (i = 0; i < n; i++) {
			entry_format(&learned_cur()->e[i], one, sizeof(one));
			seq_printf(m, "learned %s\n", one);
		}
	}
	mutex_unlock(&dbr_learn_lock);
	seq_printf(m, "entries %u of %d\n", n, DBR_LEARN_MAX);
}
