// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl status: which modules are loaded (libkmod), the policy
 * knobs, the hook, the counters and whether the kernel enforces upstream.
 * Files that do not exist (yet) show as "-" (JSON: null; Prometheus: no
 * sample). Text, JSON and --prometheus all print from one gather() and
 * the tables below, made from include/dmabuf_revoke_counters.h and
 * dmabuf_revoke_hook_files.h: a counter added there shows in all three.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dmabuf_revoke_core.h"
#include "json.h"
#include "kmodule.h"

static const char status_help[] =
	"Usage: " PROG " status [--json | --prometheus]\n"
	"\n"
	"Show each dmabuf-revoke module (loaded? version), the policy knobs, the\n"
	"hook (backend, target, state, hits, missed), the livepatch state, whether\n"
	"the running kernel has dma_buf_attach_revocable() (v7.1+), and the counters.\n"
	"Values that are not available show as '-' (null in JSON).\n"
	"\n"
	"Options:\n"
	"  -j, --json        JSON output\n"
	"      --prometheus  Prometheus text exposition format (metrics named\n"
	"                    dmabuf_revoke_*), for node_exporter's textfile collector\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit: 0 dmabuf_revoke loaded, 1 loaded but its hook is not enforcing\n"
	"(hook state 'failed: ...' or 'lost: ...'), 2 usage error, 3 dmabuf_revoke\n"
	"not loaded.\n"
	"With --prometheus: 0 whenever the exposition was written, also when the\n"
	"module is not loaded (dmabuf_revoke_loaded 0) or the hook is not enforcing\n"
	"(dmabuf_revoke_hook_state), so that 'status --prometheus > f.$$ && mv f.$$ f'\n"
	"never leaves a stale file; 1 if writing it failed, 2 usage error.\n";

static const char *const modules[] = {
	MOD_SHIM, MOD_LIVEPATCH, MOD_EXPORTER, MOD_IMPORTER,
};

/*
 * The knobs status shows, in the module's list's order (the lists deny,
 * allow, exporters, learned last); K_* index knobs[].
 */
#define KNOB_SHOWN_0(_name)
#define KNOB_SHOWN_1(_name) _name,
enum {
#define DBR_KNOB(_name, _ops, _arg, _perm, _status, _desc) KNOB_SHOWN_##_status(K_##_name)
#include "dmabuf_revoke_knobs.h"
#undef DBR_KNOB
};
static const char *const knobs[] = {
#define DBR_KNOB(_name, _ops, _arg, _perm, _status, _desc) KNOB_SHOWN_##_status(#_name)
#include "dmabuf_revoke_knobs.h"
#undef DBR_KNOB
};
/* /sys/kernel/dmabuf_revoke/hook/<file>: the module's own list. */
static const struct {
	const char *file;
	const char *help;
} hook_files[] = {
#define DBR_HOOK_FILE(_file, _help) { #_file, _help },
#include "dmabuf_revoke_hook_files.h"
#undef DBR_HOOK_FILE
};
enum {
#define DBR_HOOK_FILE(_file, _help) HOOK_##_file,
#include "dmabuf_revoke_hook_files.h"
#undef DBR_HOOK_FILE
};

/*
 * /sys/kernel/dmabuf_revoke/counters/<file>: the module's own list. Text
 * and JSON show them by file name; --prometheus as the counter
 * dmabuf_revoke_<metric>_total, with label="value" when the entry has one
 * (entries of one metric are adjacent; the first one's help is the HELP).
 */
static const struct counter_def {
	const char *file;
	const char *metric;
	const char *label, *value;
	const char *help;
} counters[] = {
#define DBR_COUNTER(_file, _where, _metric, _label, _value, _help) \
	{ #_file, #_metric, _label, _value, _help },
#include "dmabuf_revoke_counters.h"
#undef DBR_COUNTER
};

#define VAL 1024

struct mod_info {
	enum mod_state state;
	char version[64];	/* loaded: /sys/module; else installed (modinfo) */
	bool installed;
};

struct status {
	struct mod_info mod[ARRAY_SIZE(modules)];
	char knob[ARRAY_SIZE(knobs)][VAL];	/* "" when unreadable */
	bool have_knob[ARRAY_SIZE(knobs)];
	char hook[ARRAY_SIZE(hook_files)][128];
	bool have_hook[ARRAY_SIZE(hook_files)];
	char lp_enabled[8], lp_transition[8];
	bool have_lp_enabled, have_lp_transition;
	char shim_version[64], kar[8];
	bool have_shim_version, have_kar;
	char counter[ARRAY_SIZE(counters)][24];
	bool have_counter[ARRAY_SIZE(counters)];
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

	for (i = 0; i < ARRAY_SIZE(modules); i++)
		gather_module(c, modules[i], &s->mod[i]);
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		s->have_knob[i] = !ctx_read(c, s->knob[i], VAL, P_PARAMS "/%s", knobs[i]);
	for (i = 0; i < ARRAY_SIZE(hook_files); i++)
		s->have_hook[i] = !ctx_read(c, s->hook[i], sizeof(s->hook[i]),
					    P_STATE "/hook/%s", hook_files[i].file);
	s->have_lp_enabled = !ctx_read(c, s->lp_enabled, sizeof(s->lp_enabled),
				       P_LIVEPATCH "/" MOD_LIVEPATCH "/enabled");
	s->have_lp_transition = !ctx_read(c, s->lp_transition, sizeof(s->lp_transition),
					  P_LIVEPATCH "/" MOD_LIVEPATCH "/transition");
	s->have_shim_version = !ctx_read(c, s->shim_version, sizeof(s->shim_version),
					 P_STATE "/version");
	s->have_kar = !ctx_read(c, s->kar, sizeof(s->kar), P_STATE "/kernel_attach_revocable");
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		s->have_counter[i] = !ctx_read(c, s->counter[i], sizeof(s->counter[i]),
					       P_STATE "/counters/%s", counters[i].file);
}

static const char *dash(bool have, const char *v)
{
	return have && *v ? v : "-";
}

static void print_text(const struct status *s)
{
	size_t i;

	printf(PROG " %s\n\nmodules:\n", DMABUF_REVOKE_VERSION);
	for (i = 0; i < ARRAY_SIZE(modules); i++) {
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
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		printf("  %-10s %s\n", knobs[i], dash(s->have_knob[i], s->knob[i]));
	printf("\nhook:\n");
	for (i = 0; i < ARRAY_SIZE(hook_files); i++)
		printf("  %-16s %s\n", hook_files[i].file, dash(s->have_hook[i], s->hook[i]));
	printf("  %-16s enabled=%s transition=%s\n", "livepatch",
	       dash(s->have_lp_enabled, s->lp_enabled),
	       dash(s->have_lp_transition, s->lp_transition));
	printf("\nkernel:\n  upstream enforcement (dma_buf_attach_revocable): %s\n",
	       !s->have_kar ? "-" : !strcmp(s->kar, "1") ? "yes" : "no");
	printf("  shim version: %s\n", dash(s->have_shim_version, s->shim_version));
	printf("\ncounters:\n");
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		printf("  %-18s %s\n", counters[i].file, dash(s->have_counter[i], s->counter[i]));
}

static void json_opt_str(struct json *j, const char *key, bool have, const char *v)
{
	json_str(j, key, have ? v : NULL);
}

static void print_json_modules(struct json *j, const struct status *s)
{
	size_t i;

	json_begin_obj(j, "modules");
	for (i = 0; i < ARRAY_SIZE(modules); i++) {
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
	json_opt_str(&j, "policy", s->have_knob[K_policy], s->knob[K_policy]);
	if (s->have_knob[K_strict])
		json_bool(&j, "strict", s->knob[K_strict][0] == 'Y');
	else
		json_null(&j, "strict");
	json_opt_str(&j, "learn", s->have_knob[K_learn], s->knob[K_learn]);
	for (i = K_deny; i < ARRAY_SIZE(knobs); i++) {
		if (s->have_knob[i])
			json_list(&j, knobs[i], s->knob[i]);
		else
			json_null(&j, knobs[i]);
	}
	json_begin_obj(&j, "hook");
	for (i = 0; i < ARRAY_SIZE(hook_files); i++) {
		if (hook_files[i].help)
			json_num_or_null(&j, hook_files[i].file, s->have_hook[i] ? s->hook[i] : NULL);
		else
			json_opt_str(&j, hook_files[i].file, s->have_hook[i], s->hook[i]);
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
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		json_num_or_null(&j, counters[i].file, s->have_counter[i] ? s->counter[i] : NULL);
	json_end_obj(&j);
	json_end_obj(&j);
	json_finish(&j);
}

/*
 * --prometheus: the text exposition format (version 0.0.4) as node_exporter's
 * textfile collector reads it. Every family has # HELP and # TYPE, printed
 * before its first sample; a family without samples (the file is missing)
 * is left out. Counters are dmabuf_revoke_*_total.
 */
struct prom {
	char name[96];		/* family pending or being printed */
	const char *type, *help;
	bool header_done;
	int err;		/* a value that is not a number: EXIT_FAIL */
};

static void prom_family(struct prom *p, const char *type, const char *help,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void prom_family(struct prom *p, const char *type, const char *help,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->name, sizeof(p->name), fmt, ap);
	va_end(ap);
	p->type = type;
	p->help = help;
	p->header_done = false;
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label_value(const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
}

static bool is_uint(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isdigit((unsigned char)*v))
			return false;
	return true;
}

/*
 * One sample of the current family: VALUE (digits) and label pairs
 * "name", "value", ..., NULL. A value that is not a number is reported on
 * stderr and left out (the exposition stays valid), and the exit is 1.
 */
static void prom_sample(struct prom *p, const char *value, ...)
{
	const char *k, *sep = "{";
	va_list ap;

	if (!is_uint(value)) {
		err_msg("status: %s: '%s' is not a number; sample left out", p->name, value);
		p->err = EXIT_FAIL;
		return;
	}
	if (!p->header_done) {
		printf("# HELP %s %s\n# TYPE %s %s\n", p->name, p->help, p->name, p->type);
		p->header_done = true;
	}
	fputs(p->name, stdout);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		printf("%s%s=\"", sep, k);
		prom_label_value(va_arg(ap, const char *));
		putchar('"');
		sep = ",";
	}
	va_end(ap);
	printf("%s %s\n", *sep == ',' ? "}" : "", value);
}

#define B(x) ((x) ? "1" : "0")

/* States hook/state can be in (src/hook.c); "failed: why" is "failed". */
static const char *const hook_states[] = {
	"armed", "waiting", "upstream-enforced", "failed", "lost", "disabled",
};

static void prom_hook(struct prom *p, const struct status *s)
{
	char state[128];
	bool known = false;
	size_t i;

	if (s->have_hook[HOOK_state]) {
		snprintf(state, sizeof(state), "%s", s->hook[HOOK_state]);
		state[strcspn(state, ":")] = '\0';
		prom_family(p, "gauge", "1 for the hook's current state (hook/state), 0 for the others.",
			    "dmabuf_revoke_hook_state");
		for (i = 0; i < ARRAY_SIZE(hook_states); i++) {
			known |= !strcmp(state, hook_states[i]);
			prom_sample(p, B(!strcmp(state, hook_states[i])), "state", hook_states[i], NULL);
		}
		if (!known)
			prom_sample(p, "1", "state", state, NULL);
	}
	prom_family(p, "gauge", "The hook: backend, target and full state (with the reason), value always 1.",
		    "dmabuf_revoke_hook_info");
	if (s->have_hook[HOOK_backend] || s->have_hook[HOOK_target] || s->have_hook[HOOK_state])
		prom_sample(p, "1", "backend", s->have_hook[HOOK_backend] ? s->hook[HOOK_backend] : "",
			    "target", s->have_hook[HOOK_target] ? s->hook[HOOK_target] : "",
			    "state", s->have_hook[HOOK_state] ? s->hook[HOOK_state] : "", NULL);
	for (i = 0; i < ARRAY_SIZE(hook_files); i++) {
		if (!hook_files[i].help || !s->have_hook[i])
			continue;
		prom_family(p, "counter", hook_files[i].help, "dmabuf_revoke_hook_%s_total",
			    hook_files[i].file);
		prom_sample(p, s->hook[i], NULL);
	}
}

/* The knobs as gauges; the lists as entry counts. */
static void prom_knobs(struct prom *p, const struct status *s)
{
	static struct dbr_list empty, l;
	char num[16];
	const char *why;
	size_t i;
	int pol;

	if (s->have_knob[K_policy]) {
		prom_family(p, "gauge", "1 for the global policy (off, audit, enforce), 0 for the others.",
			    "dmabuf_revoke_policy");
		for (pol = 0; pol < DBR_POLICY_COUNT; pol++)
			prom_sample(p, B(!strcmp(s->knob[K_policy], dbr_policy_name(pol))),
				    "policy", dbr_policy_name(pol), NULL);
	}
	if (s->have_knob[K_strict]) {
		prom_family(p, "gauge", "1 if strict mode is on (only allowed importers pass).",
			    "dmabuf_revoke_strict");
		prom_sample(p, B(s->knob[K_strict][0] == 'Y'), NULL);
	}
	if (s->have_knob[K_learn]) {
		prom_family(p, "gauge", "1 for the learn mode (off, audit, deny), 0 for the others.",
			    "dmabuf_revoke_learn");
		for (i = 0; i < DBR_LEARN_COUNT; i++)
			prom_sample(p, B(!strcmp(s->knob[K_learn], dbr_learn_name(i))),
				    "mode", dbr_learn_name(i), NULL);
	}
	if (s->have_knob[K_learned]) {
		const char *e = s->knob[K_learned];
		unsigned int n = *e ? 1 : 0;

		while ((e = strchr(e, ',')))
			n++, e++;
		snprintf(num, sizeof(num), "%u", n);
		prom_family(p, "gauge", "Importer callbacks in the learned set.",
			    "dmabuf_revoke_learned_entries");
		prom_sample(p, num, NULL);
	}
	prom_family(p, "gauge", "Entries in the deny and allow lists (the built-in deny entry not counted).",
		    "dmabuf_revoke_list_entries");
	for (i = K_deny; i <= K_allow; i++) {
		if (!s->have_knob[i])
			continue;
		if (dbr_list_apply(&empty, &l, s->knob[i], false, &why)) {
			err_msg("status: cannot parse %s '%s': %s", knobs[i], s->knob[i], why);
			p->err = EXIT_FAIL;
			continue;
		}
		snprintf(num, sizeof(num), "%u", l.n);
		prom_sample(p, num, "list", knobs[i], NULL);
	}
	if (!s->have_knob[K_exporters])
		return;
	if (dbr_list_apply(&empty, &l, s->knob[K_exporters], true, &why)) {
		err_msg("status: cannot parse exporters '%s': %s", s->knob[K_exporters], why);
		p->err = EXIT_FAIL;
		return;
	}
	prom_family(p, "gauge",
		    "Guarded exporters and the policy that applies to their buffers (their own or the global one), value always 1.",
		    "dmabuf_revoke_exporter_policy");
	for (i = 0; i < l.n; i++) {
		const char *ep = l.e[i].policy != DBR_POLICY_DEFAULT ?
			dbr_policy_name(l.e[i].policy) : s->have_knob[K_policy] ? s->knob[K_policy] : "";

		prom_sample(p, "1", "exporter", l.e[i].name, "policy", ep,
			    "source", l.e[i].policy != DBR_POLICY_DEFAULT ? "exporter" : "global",
			    NULL);
	}
}

static int print_prometheus(const struct status *s)
{
	struct prom p = { .err = EXIT_OK };
	size_t i;

	prom_family(&p, "gauge", "1 if the dmabuf_revoke module is loaded, else 0.",
		    "dmabuf_revoke_loaded");
	prom_sample(&p, B(s->mod[0].state != MOD_NOT_LOADED), NULL);
	prom_family(&p, "gauge", "1 if the module is loaded, else 0.", "dmabuf_revoke_module_loaded");
	for (i = 0; i < ARRAY_SIZE(modules); i++)
		prom_sample(&p, B(s->mod[i].state != MOD_NOT_LOADED), "module", modules[i], NULL);
	if (s->have_shim_version) {
		prom_family(&p, "gauge", "Versions of the loaded module and of this CLI, value always 1.",
			    "dmabuf_revoke_info");
		prom_sample(&p, "1", "version", s->shim_version,
			    "cli_version", DMABUF_REVOKE_VERSION, NULL);
	}
	prom_knobs(&p, s);
	prom_hook(&p, s);
	if (s->have_lp_enabled) {
		prom_family(&p, "gauge", "1 if the livepatch backend's patch is enabled.",
			    "dmabuf_revoke_livepatch_enabled");
		prom_sample(&p, s->lp_enabled, NULL);
	}
	if (s->have_lp_transition) {
		prom_family(&p, "gauge", "1 while the livepatch transition runs.",
			    "dmabuf_revoke_livepatch_transition");
		prom_sample(&p, s->lp_transition, NULL);
	}
	if (s->have_kar) {
		prom_family(&p, "gauge",
			    "1 if the kernel has dma_buf_attach_revocable() (v7.1+: upstream enforcement).",
			    "dmabuf_revoke_kernel_attach_revocable");
		prom_sample(&p, s->kar, NULL);
	}
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		const struct counter_def *d = &counters[i];

		if (!i || strcmp(d->metric, counters[i - 1].metric))
			prom_family(&p, "counter", d->help, "dmabuf_revoke_%s_total", d->metric);
		if (!s->have_counter[i])
			continue;
		if (d->label)
			prom_sample(&p, s->counter[i], d->label, d->value, NULL);
		else
			prom_sample(&p, s->counter[i], NULL);
	}
	return p.err;
}

int cmd_status(struct ctx *c, int argc, char **argv)
{
	struct status s;
	bool prometheus = false;
	int ret = parse_common(c, argc, argv, status_help, true, &prometheus);

	if (ret >= 0)
		return ret;
	if (optind < argc)
		return usage_error(argv[0], "status: unexpected '%s'", argv[optind]);
	memset(&s, 0, sizeof(s));
	gather(c, &s);
	if (prometheus)
		return print_prometheus(&s);
	if (c->json)
		print_json(&s);
	else
		print_text(&s);
	if (s.mod[0].state == MOD_NOT_LOADED)
		return EXIT_UNAVAIL;
	/* A hook that does not enforce is a failure. */
	if (s.have_hook[HOOK_state] && (!strncmp(s.hook[HOOK_state], "failed:", 7) ||
					!strncmp(s.hook[HOOK_state], "lost:", 5))) {
		err_msg("status: the hook is not enforcing: %s (see dmesg | grep dmabuf_revoke)",
			s.hook[HOOK_state]);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
