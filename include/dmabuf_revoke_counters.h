/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shim's counters, the one list: the module makes
 * /sys/kernel/dmabuf_revoke/counters/<file> from it (src/sysfs.c),
 * dmabuf-revokectl prints it (src/cli/cmd_status.c: text, JSON,
 * Prometheus), scripts/names.sh hands it to the checks (the ABI document
 * names each: scripts/abi-check.sh; the guest's sysfs has exactly these:
 * 25-shim-knobs). A counter added here reaches all of them.
 *
 * No include guard: define DBR_COUNTER, include this, undefine it (like
 * the kernel's kvm-x86-ops.h).
 *
 * DBR_COUNTER(file, where, metric, label, value, help)
 *   file    the sysfs file name
 *   where   the module's storage, read only by the module:
 *           hot(<field of struct dbr_hot_counters>) or
 *           atomic(<field of struct dbr_counters>)
 *   metric, label, value
 *           Prometheus: dmabuf_revoke_<metric>_total{<label>="<value>"}
 *           (label NULL: none; the entries of one metric are adjacent)
 *   help    the metric's HELP text, on the first entry of a metric
 */
DBR_COUNTER(attach_checked, hot(checked), attach_checked, NULL, NULL,
	    "Attaches to guarded buffers the shim classified.")
DBR_COUNTER(attach_allowed, hot(allowed), attach_verdict, "verdict", "allow",
	    "Classified attaches by verdict (upstream: left to the exporter's own check).")
DBR_COUNTER(attach_audited, hot(audited), attach_verdict, "verdict", "audit", NULL)
DBR_COUNTER(attach_refused, hot(refused), attach_verdict, "verdict", "refuse", NULL)
DBR_COUNTER(attach_upstream, hot(upstream), attach_verdict, "verdict", "upstream", NULL)
DBR_COUNTER(attach_learned, hot(learned), attach_learned, NULL, NULL,
	    "Attaches whose verdict the learned set changed (also counted by verdict).")
DBR_COUNTER(class_legacy, hot(by_class[DBR_CLASS_LEGACY]), attach_class,
	    "class", "legacy", "Classified attaches by importer class.")
DBR_COUNTER(class_no_callback, hot(by_class[DBR_CLASS_NO_CALLBACK]),
	    attach_class, "class", "no-callback", NULL)
DBR_COUNTER(class_denied, hot(by_class[DBR_CLASS_DENIED]), attach_class,
	    "class", "denied", NULL)
DBR_COUNTER(class_allowed, hot(by_class[DBR_CLASS_ALLOWED]), attach_class,
	    "class", "allowed", NULL)
DBR_COUNTER(class_revocable, hot(by_class[DBR_CLASS_REVOCABLE]),
	    attach_class, "class", "revocable", NULL)
DBR_COUNTER(revocations, atomic(revocations), revocations, NULL, NULL,
	    "Revocations of tracked buffers (reported by their exporter, or seen by the hook).")
DBR_COUNTER(stale_mappings, atomic(stale), stale_mappings, NULL, NULL,
	    "Attachments still mapped when an exporter stopped waiting after a revoke.")
DBR_COUNTER(stale_named, atomic(stale_named), stale_named, NULL, NULL,
	    "Attachments the watchdog named (still mapped stale_timeout_ms after a revoke began).")
DBR_COUNTER(learned, atomic(learned), learned, NULL, NULL,
	    "Importer callbacks added to the learned set (seen ignoring a revoke).")
DBR_COUNTER(learned_full, atomic(learned_full), learned_full, NULL, NULL,
	    "Callbacks left out of the learned set because it was full.")
