// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-revokectl: errno values turned into advice. Each function writes a
 * message (no program name, no newline) and returns the exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "dmabuf_revoke_core.h"
#include "explain.h"
#include "kmodule.h"

/* Where Debian's dkms keeps the key it signs modules with. */
#define DKMS_MOK "/var/lib/dkms/mok.pub"
/*
 * shim's request variable: 'mokutil --import' wrote it, MokManager takes it
 * at the next boot (owner SHIM_LOCK_GUID).
 */
#define P_MOKNEW "/sys/firmware/efi/efivars/MokNew-605dab50-e046-4300-abb6-3dd810dd8b23"

/* What MokManager (shim, before the kernel) asks, in its words. */
#define MOKMANAGER \
	"reboot: before the kernel, shim's blue MokManager screen asks to " \
	"\"Press any key to perform MOK management\" (10 s): choose \"Enroll MOK\", " \
	"\"Continue\", \"Yes\", type the password, \"Reboot\"; then run '" PROG \
	" enable' again"

/*
 * The way out of a signature the kernel does not trust: enroll the DKMS
 * key, or, when 'mokutil --import' was run already, the reboot into
 * MokManager that is still missing.
 */
static const char *enroll_advice(const struct ctx *c)
{
	char path[256];

	if (!path_of(c, path, sizeof(path), P_MOKNEW) && path_exists(path))
		return "an enrollment is waiting ('mokutil --import' was run): " MOKMANAGER;
	return "enroll the DKMS key once: run 'mokutil --import " DKMS_MOK "' (it asks for "
		"a one-time password), then " MOKMANAGER;
}

void lockdown_mode(const struct ctx *c, char *buf, size_t size)
{
	char raw[128], *open, *close;

	buf[0] = '\0';
	if (ctx_read(c, raw, sizeof(raw), P_LOCKDOWN))
		return;
	open = strchr(raw, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!open || !close)
		return;
	*close = '\0';
	snprintf(buf, size, "%s", open + 1);
}

/* Errors whose whole explanation is "MODULE: text", with their exit codes. */
struct plain_msg {
	int err;
	int exit;
	const char *text;
};

static const struct plain_msg load_plain[] = {
	{ EEXIST, EXIT_FAIL, "already loaded" },
	{ ERR_SYSROOT_NO_KMOD, EXIT_UNAVAIL,
	  "not loading a module while DMABUF_REVOKE_SYSROOT is set" },
};

static const struct plain_msg unload_plain[] = {
	{ ENOENT, EXIT_UNAVAIL, "not loaded" },
	{ EPERM, EXIT_FAIL, "operation not permitted: removing modules needs root" },
	{ ERR_SYSROOT_NO_KMOD, EXIT_UNAVAIL,
	  "not removing a module while DMABUF_REVOKE_SYSROOT is set" },
};

/* @err's line of @t, else "cannot @verb" and the errno's text. */
static int explain_plain(const struct plain_msg *t, size_t n, const char *verb,
			 const char *module, int err, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].err == err) {
			snprintf(buf, size, "%s: %s", module, t[i].text);
			return t[i].exit;
		}
	}
	snprintf(buf, size, "%s: cannot %s: %s", module, verb, strerror(err));
	return EXIT_FAIL;
}

static const char *release(struct utsname *u)
{
	return uname(u) ? "$(uname -r)" : u->release;
}

int explain_load(const struct ctx *c, const char *module, int err, char *buf,
		 size_t size)
{
	char lock[32];
	struct utsname u;

	switch (err) {
	case ENOENT:
		snprintf(buf, size,
			 "%s: module not installed for kernel %s: install the dmabuf-revoke DKMS "
			 "package and linux-headers-%s, then run 'dkms autoinstall'",
			 module, release(&u), release(&u));
		return EXIT_UNAVAIL;
	case EKEYREJECTED:
	case ENOKEY:
		snprintf(buf, size,
			 "%s: module signature rejected (%s): with Secure Boot the kernel loads "
			 "only modules signed by a key it trusts, and DKMS signed this one with "
			 "its own key (" DKMS_MOK "), which is not enrolled; %s",
			 module, strerror(err), enroll_advice(c));
		return EXIT_FAIL;
	case EPERM:
		lockdown_mode(c, lock, sizeof(lock));
		if (!strcmp(lock, "integrity") || !strcmp(lock, "confidentiality")) {
			snprintf(buf, size,
				 "%s: refused by kernel lockdown (%s, Secure Boot): only modules "
				 "signed by a key the kernel trusts load, and DKMS signed this one "
				 "with its own key (" DKMS_MOK "), which is not enrolled; %s",
				 module, lock, enroll_advice(c));
			return EXIT_FAIL;
		}
		snprintf(buf, size,
			 "%s: operation not permitted: loading modules needs root (CAP_SYS_MODULE), "
			 "and the module must not be blacklisted", module);
		return EXIT_FAIL;
	case ENOEXEC:
		if (!strcmp(module, MOD_LIVEPATCH)) {
			/* src/livepatch_unconfirmed.c: the stand-in refuses so. */
			snprintf(buf, size,
				 "%s: refused to load (Exec format error): built as the stand-in "
				 "that refuses, because dkms could not confirm vfio-pci's layout "
				 "(no bpftool or binutils when it built; 'dmesg | grep %s' says "
				 "why), or built for another kernel; install bpftool and binutils "
				 "and rebuild: 'dkms install --force dmabuf-revoke/"
				 DMABUF_REVOKE_VERSION " -k %s'; or use --backend kprobe",
				 module, module, release(&u));
			return EXIT_FAIL;
		}
		snprintf(buf, size,
			 "%s: built for another kernel (Exec format error): rebuild it for %s "
			 "with 'dkms autoinstall'", module, release(&u));
		return EXIT_FAIL;
	case EINVAL:
		snprintf(buf, size,
			 "%s: the kernel refused a module parameter (Invalid argument); the reason "
			 "is in the kernel log: dmesg | grep %s", module, module);
		return EXIT_FAIL;
	}
	return explain_plain(load_plain, ARRAY_SIZE(load_plain), "load", module, err, buf,
			     size);
}

int explain_unload(const struct ctx *c, const char *module, int err, char *buf,
		   size_t size)
{
	char holders[256];

	switch (err) {
	case EBUSY:
	case EAGAIN:
		module_holders(c, module, holders, sizeof(holders));
		if (*holders)
			snprintf(buf, size, "%s: in use by %s: remove those first", module,
				 holders);
		else
			snprintf(buf, size,
				 "%s: in use (dma-bufs or attachments are still open): close "
				 "them and retry", module);
		return EXIT_FAIL;
	}
	return explain_plain(unload_plain, ARRAY_SIZE(unload_plain), "remove", module, err,
			     buf, size);
}

int explain_write(const char *knob, const char *value, int err, char *buf,
		  size_t size)
{
	switch (err) {
	case EINVAL:
		snprintf(buf, size,
			 "%s: the kernel refused '%s' (Invalid argument); nothing was changed; "
			 "the reason is in the kernel log: dmesg | grep 'dmabuf_revoke: %s'",
			 knob, value, knob);
		return EXIT_FAIL;
	case EACCES:
	case EPERM:
		snprintf(buf, size, "%s: permission denied: changing the policy needs root",
			 knob);
		return EXIT_FAIL;
	case ENOSPC:
		snprintf(buf, size, "%s: the kernel refused '%s': the list is full (%d entries)",
			 knob, value, DBR_LIST_MAX);
		return EXIT_FAIL;
	case ENOENT:
		snprintf(buf, size, "%s: dmabuf_revoke is not loaded (run '" PROG " enable')",
			 knob);
		return EXIT_UNAVAIL;
	}
	snprintf(buf, size, "%s: cannot write '%s': %s", knob, value, strerror(err));
	return EXIT_FAIL;
}
