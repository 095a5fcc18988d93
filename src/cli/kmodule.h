/* SPDX-License-Identifier: GPL-2.0 */
/* dmabuf-revokectl: kernel modules through libkmod. */
#ifndef DMABUF_REVOKECTL_KMODULE_H
#define DMABUF_REVOKECTL_KMODULE_H

#include <stddef.h>

#include "cli.h"

enum mod_state {
	MOD_NOT_LOADED,
	MOD_LIVE,
	MOD_COMING,
	MOD_GOING,
	MOD_BUILTIN,
};

/* Returned by module_load/unload when DMABUF_REVOKE_SYSROOT is set: a fake
 * tree never leads to loading or removing a real module. */
#define ERR_SYSROOT_NO_KMOD EXDEV

const char *mod_state_name(enum mod_state s);
enum mod_state module_state(struct ctx *c, const char *name);
int module_loaded_version(const struct ctx *c, const char *name, char *buf,
			  size_t size);
int module_installed_version(struct ctx *c, const char *name, char *buf,
			     size_t size);
int module_load(struct ctx *c, const char *name, const char *options);
int module_unload(struct ctx *c, const char *name);
/* "a b c" of the modules holding @name (its holders/ in sysfs), or "". */
void module_holders(const struct ctx *c, const char *name, char *buf,
		    size_t size);
void kmod_release(struct ctx *c);

#endif
