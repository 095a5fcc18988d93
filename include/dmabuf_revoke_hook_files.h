/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files of /sys/kernel/dmabuf_revoke/hook/, the one list: the module
 * makes them (src/hook.c: one <file>_show each), dmabuf-revokectl prints
 * them (src/cli/cmd_status.c), scripts/names.sh hands them to the checks
 * (scripts/abi-check.sh, 25-shim-knobs).
 *
 * No include guard: define DBR_HOOK_FILE, include this, undefine it.
 *
 * DBR_HOOK_FILE(file, help): files with a help text are numbers (JSON
 * numbers; Prometheus counters dmabuf_revoke_hook_<file>_total), the
 * others words.
 */
DBR_HOOK_FILE(backend, NULL)
DBR_HOOK_FILE(target, NULL)
DBR_HOOK_FILE(state, NULL)
DBR_HOOK_FILE(hits, "Attaches to guarded exporters the hook saw.")
DBR_HOOK_FILE(missed, "Probe hits the kprobe layer dropped (nmissed).")
DBR_HOOK_FILE(canary_runs, "Re-proofs of the hook by its canary.")
DBR_HOOK_FILE(canary_failures, "Canary runs that failed.")
