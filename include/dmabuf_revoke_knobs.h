/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shim's knobs, the one list: every module parameter of dmabuf_revoke,
 * declared here and made in one place (src/policy.c, the policy room),
 * shown by dmabuf-revokectl (src/cli/cmd_status.c), handed to the checks
 * by scripts/names.sh (Documentation/ABI: scripts/abi-check.sh; the
 * modprobe.d conffile: tests/dkms/conf-test.sh; the guest's sysfs:
 * 25-shim-knobs). A knob's parser stays with what it steers.
 *
 * No include guard: define DBR_KNOB, include this, undefine it.
 *
 * DBR_KNOB(name, ops, arg, perm, status, desc)
 *   ops, arg  module_param_cb()'s (the module's expansion only)
 *   perm      sysfs mode; 0444: load time only
 *   status    1: `dmabuf-revokectl status` shows it, in this order (the
 *             lists deny, allow, exporters, learned last)
 *   desc      MODULE_PARM_DESC
 */
DBR_KNOB(policy, &dbr_policy_ops, NULL, 0644, 1,
	 "off | audit | enforce (default): what to do with importers that cannot be revoked")
DBR_KNOB(strict, &dbr_strict_ops, NULL, 0644, 1,
	 "Y: only explicitly allowed importers pass (revocable is not enough)")
DBR_KNOB(learn, &dbr_learn_ops, NULL, 0644, 1,
	 "off | audit (default) | deny: what an importer seen ignoring a revoke (stale_timeout_ms) becomes; deny refuses it under enforce")
DBR_KNOB(deny, &dbr_list_ops, (void *)DBR_LIST_DENY, 0644, 1,
	 "importer callbacks that do not revoke: NAME|sym:NAME (symbol) or mod:NAME (owning module), comma separated; +x/-x to edit")
DBR_KNOB(allow, &dbr_list_ops, (void *)DBR_LIST_ALLOW, 0644, 1,
	 "importer callbacks trusted to revoke (same syntax as deny; deny wins)")
DBR_KNOB(exporters, &dbr_list_ops, (void *)DBR_LIST_EXPORTERS, 0644, 1,
	 "dma-buf exporters (exp_name) whose buffers the hook guards, each NAME or NAME:off|audit|enforce (its own policy; default " DBR_DEFAULT_EXPORTERS ")")
DBR_KNOB(learned, &dbr_learned_ops, NULL, 0644, 1,
	 "importer callbacks the watchdog saw ignoring a revoke, \"symbol [module]\", comma separated (read); an empty write clears the set")
DBR_KNOB(stale_timeout_ms, &dbr_stale_timeout_ms_ops, NULL, 0644, 0,
	 "watchdog: name an importer still mapped this long after a revoke of a tracked buffer (ms, 100..3600000; 0: off; default 1000)")
DBR_KNOB(track_guarded, &param_ops_bool, &dbr_track_guarded, 0644, 0,
	 "track attachments, maps and revokes of guarded exporters' buffers through the hook (kprobe backend, x86-64), for the buffers table and the stale-mapping watchdog (default Y)")
DBR_KNOB(backend, &dbr_backend_ops, NULL, 0444, 0,
	 "how vfio-pci's dma-buf attach is hooked: kprobe (default), livepatch (load dmabuf_revoke_livepatch too) or none")
DBR_KNOB(fail_closed, &param_ops_bool, &dbr_hook.fail_closed, 0444, 0,
	 "Y: fail the load when the hook cannot be armed and proven by its self-test (default N: load with hook/state 'failed: <reason>')")
DBR_KNOB(canary_ms, &dbr_canary_ms_ops, NULL, 0644, 0,
	 "period of the kprobe hook's canary, which re-proves that refusals reach the caller (ms, 100..3600000; 0: only on reads of hook/state; default 2000)")
DBR_KNOB(hook_fault, &dbr_hook_fault_ops, NULL, 0600, 0,
	 "TEST ONLY: none (default), nofire or noredirect: break the hook's self-test/canary path to test the failure handling")
