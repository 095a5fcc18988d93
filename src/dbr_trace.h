/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf_revoke tracepoints (events/dmabuf_revoke/ in tracefs), for
 * trace-cmd, perf and bpftrace: what the shim decided at attach, and what
 * happened to each tracked attachment after a revoke. Callback symbols are
 * kept as pointers and resolved (%ps) when the trace is read; only an
 * enabled event copies the exporter's name.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dmabuf_revoke

#if !defined(DBR_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define DBR_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>

#include "dmabuf_revoke_core.h"

/*
 * Fixed arrays, not __string(): __assign_str() lost its second argument in
 * v6.10 (2c92ca849fcc), and one spelling must build on 6.1 and 7.x.
 */
#define DBR_TRACE_NAME	32
#define DBR_TRACE_SYM	128
/* dbr_attach_verdict's verdict beyond enum dbr_verdict: left to upstream. */
#define DBR_TRACE_UPSTREAM	3

/* Called from the kprobe handler: no sleeping, no lock, no allocation. */
TRACE_EVENT(dbr_attach_verdict,
	TP_PROTO(const char *exp_name, const void *dmabuf, const void *callback,
		 int class, int verdict),
	TP_ARGS(exp_name, dmabuf, callback, class, verdict),
	TP_STRUCT__entry(
		__array(char, exporter, DBR_TRACE_NAME)
		__field(const void *, dmabuf)
		__field(const void *, callback)
		__field(int, class)
		__field(int, verdict)
	),
	TP_fast_assign(
		strscpy(__entry->exporter, exp_name ?: "?", DBR_TRACE_NAME);
		__entry->dmabuf = dmabuf;
		__entry->callback = callback;
		__entry->class = class;
		__entry->verdict = verdict;
	),
	TP_printk("exporter=%s dmabuf=%p callback=%ps class=%s verdict=%s",
		  __entry->exporter, __entry->dmabuf, __entry->callback,
		  __print_symbolic(__entry->class,
				   { DBR_CLASS_LEGACY, "legacy" },
				   { DBR_CLASS_NO_CALLBACK, "no-callback" },
				   { DBR_CLASS_DENIED, "denied" },
				   { DBR_CLASS_ALLOWED, "allowed" },
				   { DBR_CLASS_REVOCABLE, "revocable" }),
		  __print_symbolic(__entry->verdict,
				   { DBR_VERDICT_ALLOW, "allow" },
				   { DBR_VERDICT_AUDIT, "audit" },
				   { DBR_VERDICT_REFUSE, "refuse" },
				   { DBR_TRACE_UPSTREAM, "upstream" }))
);

TRACE_EVENT(dbr_revoke,
	TP_PROTO(const char *exp_name, const void *dmabuf, unsigned int mapped),
	TP_ARGS(exp_name, dmabuf, mapped),
	TP_STRUCT__entry(
		__array(char, exporter, DBR_TRACE_NAME)
		__field(const void *, dmabuf)
		__field(unsigned int, mapped)
	),
	TP_fast_assign(
		strscpy(__entry->exporter, exp_name ?: "?", DBR_TRACE_NAME);
		__entry->dmabuf = dmabuf;
		__entry->mapped = mapped;
	),
	TP_printk("exporter=%s dmabuf=%p mapped_attachments=%u",
		  __entry->exporter, __entry->dmabuf, __entry->mapped)
);

DECLARE_EVENT_CLASS(dbr_importer_class,
	TP_PROTO(const char *exp_name, const void *dmabuf, const void *attach,
		 const char *importer, unsigned int ms),
	TP_ARGS(exp_name, dmabuf, attach, importer, ms),
	TP_STRUCT__entry(
		__array(char, exporter, DBR_TRACE_NAME)
		__field(const void *, dmabuf)
		__field(const void *, attach)
		__array(char, importer, DBR_TRACE_SYM)
		__field(unsigned int, ms)
	),
	TP_fast_assign(
		strscpy(__entry->exporter, exp_name ?: "?", DBR_TRACE_NAME);
		__entry->dmabuf = dmabuf;
		__entry->attach = attach;
		strscpy(__entry->importer, importer, DBR_TRACE_SYM);
		__entry->ms = ms;
	),
	TP_printk("exporter=%s dmabuf=%p attachment=%p importer=\"%s\" ms=%u",
		  __entry->exporter, __entry->dmabuf, __entry->attach,
		  __entry->importer, __entry->ms)
);

/* An attachment mapped at a revoke let its mapping go, @ms after it. */
DEFINE_EVENT(dbr_importer_class, dbr_unmapped,
	TP_PROTO(const char *exp_name, const void *dmabuf, const void *attach,
		 const char *importer, unsigned int ms),
	TP_ARGS(exp_name, dmabuf, attach, importer, ms));

/* The watchdog: still mapped @ms after a revoke (stale_timeout_ms). */
DEFINE_EVENT(dbr_importer_class, dbr_stale,
	TP_PROTO(const char *exp_name, const void *dmabuf, const void *attach,
		 const char *importer, unsigned int ms),
	TP_ARGS(exp_name, dmabuf, attach, importer, ms));

#endif /* DBR_TRACE_H */

/* Out of the kernel tree: the header is found through -I$(src)/src. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE dbr_trace
#include <trace/define_trace.h>
