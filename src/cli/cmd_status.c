// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl status: which modules are loaded (libkmod), the policy
 * knobs, the hook, the counters and whether the kernel enforces upstream.
 * Files that do not exist (yet) show as "-" (JSON: null).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "kmodule.h"

static const char status_help[] =
	"Usage: " PROG " status [--json]\n"
	"\n"
	"Show each dmabuf-revoke module (loaded? version), the policy knobs, the\n"
	"hook (backend, target, state, hits, missed), the livepatch state, whether\n"
	"the running kernel has dma_buf_attach_revocable() (v7.1+), and the counters.\n"
	"Values that are not available show as '-' (null in JSON).\n"
	"\n"
	"Exit: 0 dmabuf_revoke loaded, 1 loaded but its hook is not enforcing\n"
	"(hook state 'failed: ...' or 'lost: ...'), 2 usage error, 3 dmabuf_revoke\n"
	"not loaded.\n";

static const char *const modules[] = {
	MOD_SHIM, MOD_LIVEPATCH, MOD_EXPORTER, MOD_IMPORTER,
};

static const char *const knobs[] = {
	"policy", "strict", "learn", "deny", "allow", "exporters", "learned",
};
static const char *const hook_files[] = {
	"backend", "target", "state", "hits", "missed", "canary_runs",
	"canary_failures",
};
static const char *const counters[] = {
	"attach_checked", "attach_allowed", "attach_audited", "attach_refused",
	"attach_upstream", "attach_learned",
	"class_legacy", "class_no_callback", "class_denied", "class_allowed",
	"class_revocable", "revocations", "stale_mappings", "stale_named",
	"learned", "learned_full",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define VAL 1024

struct mod_info {
	enum mod_state state;
	char version[64];	/* loaded: /sys/module; else installed (modinfo) */
	bool installed;
};

struct status {
	struct mod_info mod[N(modules)];
	char knob[N(knobs)][VAL];	/* "" when unreadable */
	bool have_knob[N(knobs)];
	char hook[N(hook_files)][128];
	bool have_hook[N(hook_files)];
	char lp_enabled[8], lp_transition[8];
	bool have_lp_enabled, have_lp_transition;
	char shim_version[64], kar[8];
	bool have_shim_version, have_kar;
	char counter[N(counters)][24];
	bool have_counter[N(counters)];
};

static void gather_module(struct ctx *c, const char *name, struct mod_info *m)
{
	m->state = module_state(c, name);
	m->installed = false;
	m->version[0] = '\0';
	if (m->state != MOD_NOT_LOADED &&
	    !module_loaded_version(c, name, m->version, sizeof(m->version)))
		return;
	if (!module_installed_version(c, name, m->version, sizeof(m->version)))
		m->installed = true;
	else
		m->version[0] = '\0';
}

static void gather(struct ctx *c, struct status *s)
{
	size_t i;

	for (i = 0; i < N(modules); i++)
		gather_module(c, modules[i], &s->mod[i]);
	for (i = 0; i < N(knobs); i++)
		s->have_knob[i] = !ctx_read(c, s->knob[i], VAL, P_PARAMS "/%s", knobs[i]);
	for (i = 0; i < N(hook_files); i++)
		s->have_hook[i] = !ctx_read(c, s->hook[i], sizeof(s->hook[i]),
					    P_STATE "/hook/%s", hook_files[i]);
	s->have_lp_enabled = !ctx_read(c, s->lp_enabled, sizeof(s->lp_enabled),
				       P_LIVEPATCH "/" MOD_LIVEPATCH "/enabled");
	s->have_lp_transition = !ctx_read(c, s->lp_transition, sizeof(s->lp_transition),
					  P_LIVEPATCH "/" MOD_LIVEPATCH "/transition");
	s->have_shim_version = !ctx_read(c, s->shim_version, sizeof(s->shim_version),
					 P_STATE "/version");
	s->have_kar = !ctx_read(c, s->kar, sizeof(s->kar), P_STATE "/kernel_attach_revocable");
	for (i = 0; i < N(counters); i++)
		s->have_counter[i] = !ctx_read(c, s->counter[i], sizeof(s->counter[i]),
					       P_STATE "/counters/%s", counters[i]);
}

static const char *dash(bool have, const char *v)
{
	return have && *v ? v : "-";
}

static void print_text(const struct status *s)
{
	size_t i;

	printf(PROG " %s\n\nmodules:\n", DMABUF_REVOKE_VERSION);
	for (i = 0; i < N(modules); i++) {
		const struct mod_info *m = &s->mod[i];

		if (m->state != MOD_NOT_LOADED)
			printf("  %-24s %-10s %s\n", modules[i], mod_state_name(m->state),
			       *m->version ? m->version : "-");
		else if (m->installed)
			printf("  %-24s %-10s %s (installed)\n", modules[i], "not loaded",
			       *m->version ? m->version : "-");
		else
			printf("  %-24s %-10s - (not installed)\n", modules[i], "not loaded");
	}
	printf("\npolicy:\n");
	for (i = 0; i < N(knobs); i++)
		printf("  %-10s %s\n", knobs[i], dash(s->have_knob[i], s->knob[i]));
	printf("\nhook:\n");
	for (i = 0; i < N(hook_files); i++)
		printf("  %-16s %s\n", hook_files[i], dash(s->have_hook[i], s->hook[i]));
	printf("  %-16s enabled=%s transition=%s\n", "livepatch",
	       dash(s->have_lp_enabled, s->lp_enabled),
	       dash(s->have_lp_transition, s->lp_transition));
	printf("\nkernel:\n  upstream enforcement (dma_buf_attach_revocable): %s\n",
	       !s->have_kar ? "-" : !strcmp(s->kar, "1") ? "yes" : "no");
	printf("  shim version: %s\n", dash(s->have_shim_version, s->shim_version));
	printf("\ncounters:\n");
	for (i = 0; i < N(counters); i++)
		printf("  %-18s %s\n", counters[i], dash(s->have_counter[i], s->counter[i]));
}

static void json_opt_str(struct json *j, const char *key, bool have, const char *v)
{
	json_str(j, key, have ? v : NULL);
}

static void print_json_modules(struct json *j, const struct status *s)
{
	size_t i;

	json_begin_obj(j, "modules");
	for (i = 0; i < N(modules); i++) {
		const struct mod_info *m = &s->mod[i];

		json_begin_obj(j, modules[i]);
		json_bool(j, "loaded", m->state != MOD_NOT_LOADED);
		json_str(j, "state", mod_state_name(m->state));
		json_bool(j, "installed", m->installed || m->state != MOD_NOT_LOADED);
		json_str(j, "version", *m->version ? m->version : NULL);
		json_end_obj(j);
	}
	json_end_obj(j);
}

static void print_json(const struct status *s)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	json_str(&j, "cli_version", DMABUF_REVOKE_VERSION);
	json_opt_str(&j, "version", s->have_shim_version, s->shim_version);
	print_json_modules(&j, s);
	json_opt_str(&j, "policy", s->have_knob[0], s->knob[0]);
	if (s->have_knob[1])
		json_bool(&j, "strict", s->knob[1][0] == 'Y');
	else
		json_null(&j, "strict");
	json_opt_str(&j, "learn", s->have_knob[2], s->knob[2]);
	for (i = 3; i < N(knobs); i++) {
		if (s->have_knob[i])
			json_list(&j, knobs[i], s->knob[i]);
		else
			json_null(&j, knobs[i]);
	}
	json_begin_obj(&j, "hook");
	for (i = 0; i < N(hook_files); i++) {
		if (i >= 3)
			json_num_or_null(&j, hook_files[i], s->have_hook[i] ? s->hook[i] : NULL);
		else
			json_opt_str(&j, hook_files[i], s->have_hook[i], s->hook[i]);
	}
	json_end_obj(&j);
	json_begin_obj(&j, "livepatch");
	json_num_or_null(&j, "enabled", s->have_lp_enabled ? s->lp_enabled : NULL);
	json_num_or_null(&j, "transition", s->have_lp_transition ? s->lp_transition : NULL);
	json_end_obj(&j);
	if (s->have_kar)
		json_bool(&j, "kernel_attach_revocable", !strcmp(s->kar, "1"));
	else
		json_null(&j, "kernel_attach_revocable");
	json_begin_obj(&j, "counters");
	for (i = 0; i < N(counters); i++)
		json_num_or_null(&j, counters[i], s->have_counter[i] ? s->counter[i] : NULL);
	json_end_obj(&j);
	json_end_obj(&j);
	json_finish(&j);
}

int cmd_status(struct ctx *c, int argc, char **argv)
{
	struct status s;
	int ret = parse_common(c, argc, argv, status_help, true);

	if (ret >= 0)
		return ret;
	if (optind < argc)
		return usage_error(argv[0], "status: unexpected '%s'", argv[optind]);
	memset(&s, 0, sizeof(s));
	gather(c, &s);
	if (c->json)
		print_json(&s);
	else
		print_text(&s);
	if (s.mod[0].state == MOD_NOT_LOADED)
		return EXIT_UNAVAIL;
	/* hook_files[2] is the state: a hook that does not enforce is a failure. */
	if (s.have_hook[2] && (!strncmp(s.hook[2], "failed:", 7) ||
			       !strncmp(s.hook[2], "lost:", 5))) {
		err_msg("status: the hook is not enforcing: %s (see dmesg | grep dmabuf_revoke)",
			s.hook[2]);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
