/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf_revoke hook state shared by hook.c and its backends. */
#ifndef DMABUF_REVOKE_HOOK_H
#define DMABUF_REVOKE_HOOK_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/module.h>

#define DBR_HOOK_REASON_MAX 128

enum dbr_backend {
	DBR_BACKEND_NONE,
	DBR_BACKEND_KPROBE,
	DBR_BACKEND_LIVEPATCH,
};

struct dbr_hook {
	enum dbr_backend backend;
	bool vfio_loaded;
	bool lp_enabled;
	char failed[DBR_HOOK_REASON_MAX];	/* empty unless failed */
	atomic64_t hits;
};

extern struct dbr_hook dbr_hook;

/* hook.c */
int dbr_hook_init(struct kobject *parent);
void dbr_hook_exit(void);
void dbr_hook_fail(const char *reason);
void dbr_hook_module_event(struct module *mod, unsigned long action);

/* hook_kprobe.c */
void dbr_kprobe_arm(void);
void dbr_kprobe_disarm(void);
unsigned long dbr_kprobe_missed(void);
bool dbr_vfio_loaded(void);

#endif /* DMABUF_REVOKE_HOOK_H */
