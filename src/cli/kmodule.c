// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl: kernel modules through libkmod. The module directory
 * is /lib/modules/$(uname -r), below DMABUF_REVOKE_SYSROOT when that is
 * set; libkmod reads /sys/module itself, so with a root prefix the state is
 * read from the prefixed tree instead, and nothing is loaded or removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include <libkmod.h>

#include "kmodule.h"

static struct kmod_ctx *kctx(struct ctx *c)
{
	char dir[512];
	struct utsname u;

	if (c->kmod)
		return c->kmod;
	if (!*c->sysroot) {
		c->kmod = kmod_new(NULL, NULL);
	} else {
		const char *const no_config[] = { NULL };

		if (uname(&u) || path_of(c, dir, sizeof(dir), "/lib/modules/%s", u.release))
			return NULL;
		c->kmod = kmod_new(dir, no_config);
	}
	if (c->kmod)
		kmod_set_log_priority(c->kmod, 2); /* LOG_CRIT: we explain errors */
	return c->kmod;
}

void kmod_release(struct ctx *c)
{
	if (c->kmod)
		kmod_unref(c->kmod);
	c->kmod = NULL;
}

const char *mod_state_name(enum mod_state s)
{
	switch (s) {
	case MOD_LIVE:
		return "live";
	case MOD_COMING:
		return "coming";
	case MOD_GOING:
		return "going";
	case MOD_BUILTIN:
		return "builtin";
	case MOD_NOT_LOADED:
		break;
	}
	return "not loaded";
}

static enum mod_state state_from_sysfs(const struct ctx *c, const char *name)
{
	char buf[32], dir[512];

	if (path_of(c, dir, sizeof(dir), "/sys/module/%s", name) || !path_exists(dir))
		return MOD_NOT_LOADED;
	if (ctx_read(c, buf, sizeof(buf), "/sys/module/%s/initstate", name))
		return MOD_BUILTIN;
	if (!strcmp(buf, "live"))
		return MOD_LIVE;
	if (!strcmp(buf, "coming"))
		return MOD_COMING;
	if (!strcmp(buf, "going"))
		return MOD_GOING;
	return MOD_NOT_LOADED;
}

enum mod_state module_state(struct ctx *c, const char *name)
{
	struct kmod_module *m = NULL;
	enum mod_state s = MOD_NOT_LOADED;
	struct kmod_ctx *k;

	if (*c->sysroot)
		return state_from_sysfs(c, name);
	k = kctx(c);
	if (!k || kmod_module_new_from_name(k, name, &m) < 0)
		return state_from_sysfs(c, name);
	switch (kmod_module_get_initstate(m)) {
	case KMOD_MODULE_LIVE:
		s = MOD_LIVE;
		break;
	case KMOD_MODULE_COMING:
		s = MOD_COMING;
		break;
	case KMOD_MODULE_GOING:
		s = MOD_GOING;
		break;
	case KMOD_MODULE_BUILTIN:
		s = MOD_BUILTIN;
		break;
	default:
		break;
	}
	kmod_module_unref(m);
	return s;
}

int module_loaded_version(const struct ctx *c, const char *name, char *buf,
			  size_t size)
{
	return ctx_read(c, buf, size, "/sys/module/%s/version", name);
}

/* The module's file for this kernel, through modules.dep; NULL if none. */
static struct kmod_module *lookup(struct ctx *c, const char *name)
{
	struct kmod_module *m = NULL;
	struct kmod_ctx *k = kctx(c);

	if (!k || kmod_module_new_from_name(k, name, &m) < 0)
		return NULL;
	if (!kmod_module_get_path(m)) {
		kmod_module_unref(m);
		return NULL;
	}
	return m;
}

int module_installed_version(struct ctx *c, const char *name, char *buf,
			     size_t size)
{
	struct kmod_list *info = NULL, *l;
	struct kmod_module *m = lookup(c, name);
	int ret = -ENODATA;

	if (!m)
		return -ENOENT;
	if (kmod_module_get_info(m, &info) < 0) {
		kmod_module_unref(m);
		return -EIO;
	}
	kmod_list_foreach(l, info) {
		if (strcmp(kmod_module_info_get_key(l), "version"))
			continue;
		snprintf(buf, size, "%s", kmod_module_info_get_value(l));
		ret = 0;
		break;
	}
	kmod_module_info_free_list(info);
	kmod_module_unref(m);
	return ret;
}

int module_load(struct ctx *c, const char *name, const char *options)
{
	struct kmod_module *m;
	int ret;

	if (*c->sysroot)
		return -ERR_SYSROOT_NO_KMOD;
	m = lookup(c, name);
	if (!m)
		return -ENOENT;
	/* Dependencies first, /etc/modprobe.d options merged with ours. */
	ret = kmod_module_probe_insert_module(m, KMOD_PROBE_FAIL_ON_LOADED,
					      options, NULL, NULL, NULL);
	kmod_module_unref(m);
	if (ret > 0)	/* blacklisted or an install command refused it */
		ret = -EPERM;
	return ret;
}

int module_unload(struct ctx *c, const char *name)
{
	struct kmod_module *m = NULL;
	struct kmod_ctx *k;
	int ret;

	if (*c->sysroot)
		return -ERR_SYSROOT_NO_KMOD;
	k = kctx(c);
	if (!k)
		return -ENOMEM;
	ret = kmod_module_new_from_name(k, name, &m);
	if (ret < 0)
		return ret;
	ret = kmod_module_remove_module(m, 0);
	kmod_module_unref(m);
	return ret;
}

void module_holders(const struct ctx *c, const char *name, char *buf,
		    size_t size)
{
	char dir[512];
	struct dirent *d;
	size_t pos = 0;
	DIR *dh;

	buf[0] = '\0';
	if (path_of(c, dir, sizeof(dir), "/sys/module/%s/holders", name))
		return;
	dh = opendir(dir);
	if (!dh)
		return;
	while ((d = readdir(dh))) {
		int n;

		if (d->d_name[0] == '.')
			continue;
		n = snprintf(buf + pos, size - pos, "%s%s", pos ? " " : "", d->d_name);
		if (n < 0 || (size_t)n >= size - pos)
			break;
		pos += n;
	}
	closedir(dh);
}
