/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf_revoke hook state shared by hook.c and its backends. */
#ifndef DMABUF_REVOKE_HOOK_H
#define DMABUF_REVOKE_HOOK_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/kprobes.h>
#include <linux/module.h>

#define DBR_HOOK_REASON_MAX 128

enum dbr_backend {
	DBR_BACKEND_NONE,
	DBR_BACKEND_KPROBE,
	DBR_BACKEND_LIVEPATCH,
};

/* hook_fault=: test-only faults in the self-test path (Documentation/ABI). */
enum dbr_hook_fault {
	DBR_FAULT_NONE,
	DBR_FAULT_NOFIRE,	/* the probe ignores the self-test buffer */
	DBR_FAULT_NOREDIRECT,	/* it sees it, but lets the call through */
	DBR_FAULT_COUNT,
};

struct dbr_hook {
	enum dbr_backend backend;
	enum dbr_hook_fault fault;
	bool fail_closed;
	unsigned int canary_ms;
	bool vfio_loaded;
	bool lp_enabled;
	char failed[DBR_HOOK_REASON_MAX];	/* empty unless arming failed */
	char lost[DBR_HOOK_REASON_MAX];		/* empty unless the canary fails */
	atomic64_t canary_runs;
	atomic64_t canary_failures;
};

extern struct dbr_hook dbr_hook;

/* hook.c */
int dbr_hook_init(struct kobject *parent);
void dbr_hook_exit(void);
void dbr_hook_fail(const char *reason);
void dbr_hook_lost(const char *reason);
void dbr_hook_module_event(struct module *mod, unsigned long action);

/* hook_kprobe.c */
int dbr_kprobe_arm(void);
void dbr_kprobe_disarm(void);
void dbr_kprobe_canary(void);
void dbr_kprobe_canary_period(void);
const char *dbr_kprobe_site(void);
int dbr_register_one(struct kprobe *kp);
unsigned long dbr_kprobe_missed(void);
bool dbr_vfio_loaded(void);

#endif /* DMABUF_REVOKE_HOOK_H */
