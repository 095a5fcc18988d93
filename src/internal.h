/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf_revoke.ko internals shared between its files:
 *   main.c      module init/exit, module notifier
 *   policy.c    the knobs: every module parameter (include/dmabuf_revoke_knobs.h),
 *               writable in sysfs; the parsers live with what they steer
 *   hook.c      hook state and backend choice; hook_kprobe.c the kprobes
 *   registry.c  classification, ops cache, registration, check_attach
 *   track.c     tracked buffers and attachments, revocation state
 *   learn.c     importers the watchdog saw ignoring a revoke (learn=)
 *   probe_track.c  tracking guarded exporters' buffers through the hook
 *   sysfs.c     /sys/kernel/dmabuf_revoke: version and counters
 *   debugfs.c   /sys/kernel/debug/dmabuf_revoke: live tables
 *   events.c    the ring of the last DBR_EVENTS_MAX events (debugfs events)
 */
#ifndef DMABUF_REVOKE_INTERNAL_H
#define DMABUF_REVOKE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "dmabuf_revoke.h"

/* Longest "symbol [module]" we keep for logs and tables. */
#define DBR_SYM_MAX (2 * DBR_NAME_MAX + 4)

/*
 * Bumped on every attach to a guarded exporter: per CPU (one incq, no
 * shared cache line), summed when sysfs reads them.
 */
struct dbr_hot_counters {
	u64 hits;	/* attaches to guarded exporters the hook saw */
	u64 checked;	/* attaches seen by check_attach */
	u64 allowed;
	u64 audited;	/* allowed, but would be refused by enforce */
	u64 refused;
	u64 upstream;	/* left to the exporter's own upstream check */
	u64 learned;	/* audited or refused because of the learned set */
	u64 by_class[DBR_CLASS_COUNT];
};

DECLARE_PER_CPU(struct dbr_hot_counters, dbr_hot);
#define dbr_hot_inc(field) this_cpu_inc(dbr_hot.field)
u64 dbr_hot_sum(size_t offset);

struct dbr_counters {
	atomic64_t revocations;
	atomic64_t stale;	/* attachments still mapped after a revoke */
	atomic64_t stale_named;	/* attachments the watchdog named */
	atomic64_t learned;	/* importers added to the learned set */
	atomic64_t learned_full; /* not added: the learned set was full */
};

extern struct dbr_counters dbr_counters;

/* policy.c */
enum dbr_policy dbr_policy_get(void);
bool dbr_strict_get(void);
bool dbr_list_deny_match(const char *sym, const char *mod);
bool dbr_list_allow_match(const char *sym, const char *mod);
bool dbr_exporter_guarded(const char *exp_name);
bool dbr_exporter_policy(const char *exp_name, enum dbr_policy *policy);
int dbr_list_edit(int which, const char *edit);
void dbr_policy_show(struct seq_file *m);
int dbr_policy_init(void);
void dbr_policy_exit(void);
enum { DBR_LIST_DENY, DBR_LIST_ALLOW, DBR_LIST_EXPORTERS };

/* registry.c */
unsigned long dbr_generation(void);
void dbr_invalidate(void);
void dbr_registry_module_going(struct module *mod);
void dbr_registry_show(struct seq_file *m);
void dbr_registry_exit(void);
enum dbr_class dbr_classify_importer(const struct dma_buf_attach_ops *ops,
				     const char **reason, char *cb, size_t cbsz,
				     bool *learned);
int dbr_check(const struct dma_buf *dmabuf, struct device *dev,
	      const struct dma_buf_attach_ops *ops, enum dbr_policy policy,
	      bool upstream);

/*
 * The knobs' parsers, for the module parameters src/policy.c makes from
 * include/dmabuf_revoke_knobs.h.
 */
struct kernel_param_ops;
extern const struct kernel_param_ops dbr_policy_ops, dbr_strict_ops,
	dbr_list_ops, dbr_learn_ops, dbr_learned_ops, dbr_stale_timeout_ms_ops,
	dbr_backend_ops, dbr_canary_ms_ops, dbr_hook_fault_ops;
extern bool dbr_track_guarded;

/* learn.c */
#define DBR_LEARN_MAX 32
enum dbr_learn dbr_learn_get(void);
bool dbr_learned_match(const char *sym, const char *mod);
void dbr_learn_add(const char *cb);
void dbr_learn_clear(void);
void dbr_learn_module_going(struct module *mod);
void dbr_learn_show(struct seq_file *m);

/* track.c */
void dbr_track_show(struct seq_file *m);
bool dbr_track_self_guarded(const struct dma_buf *dmabuf);
bool dbr_track_hooked(const struct dma_buf *dmabuf);
bool dbr_track_by_exporter(const struct dma_buf *dmabuf);
int dbr_track_nr_hooked(void);
bool dbr_track_hook_attach(struct dma_buf_attachment *attach);
bool dbr_track_hook_detach(struct dma_buf_attachment *attach);
void dbr_track_exit(void);

/* probe_track.c */
struct pt_regs;
bool dbr_ptrack_own_call(const struct dma_buf *dmabuf);
int dbr_ptrack_attach(bool legacy, struct pt_regs *regs);
void dbr_ptrack_arm(void);
void dbr_ptrack_disarm(void);

/* sysfs.c, debugfs.c */
int dbr_sysfs_init(void);
struct kobject *dbr_sysfs_kobj(void);
void dbr_sysfs_exit(void);
void dbr_debugfs_init(void);
void dbr_debugfs_exit(void);

/*
 * events.c: the ring of the last DBR_EVENTS_MAX events, one next to each
 * trace_dbr_*() call. Context: any (the kprobe handler included).
 */
#define DBR_EVENTS_MAX 256
/* An attach verdict beyond enum dbr_verdict: left to upstream. */
#define DBR_EVENT_UPSTREAM 3
enum dbr_event_kind { DBR_EV_ATTACH, DBR_EV_REVOKE, DBR_EV_UNMAPPED, DBR_EV_STALE };
struct dentry;
void dbr_event_attach(const struct dma_buf *dmabuf, const char *exp,
		      const void *callback, int class, int verdict);
void dbr_event_revoke(const struct dma_buf *dmabuf, const char *exp,
		      unsigned int mapped);
void dbr_event_importer(enum dbr_event_kind kind, const struct dma_buf *dmabuf,
			const char *exp, const void *attach,
			const char *importer, unsigned int ms);
void dbr_events_debugfs_init(struct dentry *dir);

#endif /* DMABUF_REVOKE_INTERNAL_H */
