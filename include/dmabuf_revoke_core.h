/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf-revoke core: the kernel-independent decisions of the shim.
 *
 * Classification of an importer from plain facts, the policy decision
 * table, and parsing of the deny/allow/exporter lists. Pure C: built into
 * dmabuf_revoke.ko and into the host unit tests (tests/unit), so it may not
 * use anything but the few libc/kernel-common calls below.
 */
#ifndef DMABUF_REVOKE_CORE_H
#define DMABUF_REVOKE_CORE_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#endif

/*
 * vfio-pci's exporter: the module and the dma-buf exp_name (both are
 * KBUILD_MODNAME of drivers/vfio/pci/vfio_pci_core.c), guarded by default.
 */
#define DBR_VFIO_EXPORTER "vfio_pci_core"

/* How far an importer can be trusted to stop using a revoked buffer. */
enum dbr_class {
	DBR_CLASS_LEGACY,	/* no importer ops: never hears a revoke */
	DBR_CLASS_NO_CALLBACK,	/* ops without a callback (7.1+) */
	DBR_CLASS_DENIED,	/* callback known not to revoke */
	DBR_CLASS_ALLOWED,	/* registered or allow-listed as revocable */
	DBR_CLASS_REVOCABLE,	/* has a callback, not denied */
	DBR_CLASS_COUNT,
};

enum dbr_policy {
	DBR_POLICY_OFF,		/* attach is never refused, nothing logged */
	DBR_POLICY_AUDIT,	/* non-revocable importers pass, counted and logged */
	DBR_POLICY_ENFORCE,	/* non-revocable importers are refused */
	DBR_POLICY_COUNT,
};

enum dbr_verdict {
	DBR_VERDICT_ALLOW,
	DBR_VERDICT_AUDIT,	/* allowed, but counted and logged */
	DBR_VERDICT_REFUSE,
};

/* learn=: what an importer seen ignoring a revoke (watchdog) turns into. */
enum dbr_learn {
	DBR_LEARN_OFF,		/* nothing is learned or applied */
	DBR_LEARN_AUDIT,	/* learned and logged; attaches only audited */
	DBR_LEARN_DENY,		/* learned importers are treated as denied */
	DBR_LEARN_COUNT,
};

/* What is known about one importer (its attach ops). */
struct dbr_facts {
	bool has_ops;		/* attach->importer_ops != NULL */
	bool has_callback;	/* the ops have move_notify/invalidate_mappings */
	bool denied;		/* deny list or registered as not revocable */
	bool allowed;		/* allow list or registered as revocable */
};

/* Longest entry name: a module name or a kallsyms symbol name. */
#define DBR_NAME_MAX 96
/* Most entries one list holds. */
#define DBR_LIST_MAX 32

enum dbr_match {
	DBR_MATCH_SYMBOL,	/* "NAME" or "sym:NAME": the callback's symbol */
	DBR_MATCH_MODULE,	/* "mod:NAME": the module owning the callback */
	DBR_MATCH_EXPORTER,	/* exporter list: a dma_buf exp_name */
};

/* An exporter entry without ":POLICY" follows the global policy. */
#define DBR_POLICY_DEFAULT (-1)

struct dbr_entry {
	enum dbr_match kind;
	int policy;		/* exporters: enum dbr_policy or DBR_POLICY_DEFAULT */
	char name[DBR_NAME_MAX];
};

struct dbr_list {
	unsigned int n;
	struct dbr_entry e[DBR_LIST_MAX];
};

const char *dbr_class_name(enum dbr_class c);
const char *dbr_policy_name(enum dbr_policy p);
const char *dbr_verdict_name(enum dbr_verdict v);
int dbr_policy_parse(const char *s, enum dbr_policy *out);
const char *dbr_learn_name(enum dbr_learn l);
int dbr_learn_parse(const char *s, enum dbr_learn *out);

enum dbr_class dbr_classify(const struct dbr_facts *f);
enum dbr_verdict dbr_decide(enum dbr_class c, enum dbr_policy p, bool strict);
enum dbr_verdict dbr_decide_learned(enum dbr_class c, enum dbr_policy p,
				    bool strict, enum dbr_learn l,
				    bool learned, bool *by_learning);

int dbr_entry_parse(const char *s, size_t len, bool exporter,
		    struct dbr_entry *e, const char **why);
int dbr_entry_format(const struct dbr_entry *e, char *buf, size_t size);
bool dbr_entry_matches(const struct dbr_entry *e, const char *sym,
		       const char *mod);

int dbr_list_apply(const struct dbr_list *cur, struct dbr_list *out,
		   const char *s, bool exporter, const char **why);
int dbr_list_format(const struct dbr_list *l, char *buf, size_t size);
bool dbr_list_match(const struct dbr_list *l, const char *sym,
		    const char *mod);
bool dbr_list_exporter(const struct dbr_list *l, const char *exp_name,
		       int *policy);

int dbr_split_symbol(const char *s, char *sym, size_t symsz,
		     char *mod, size_t modsz);

#endif /* DMABUF_REVOKE_CORE_H */
