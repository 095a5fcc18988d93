// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_livepatch: the livepatch hook backend. It replaces vfio-pci's
 * static vfio_pci_dma_buf_attach() (vfio_pci_core module) with a copy that
 * makes vfio-pci's own checks and then asks the dmabuf_revoke registry, so a
 * VFIO dma-buf refuses the importers the kprobe backend refuses.
 *
 * Load it after the shim, which must have been loaded with backend=livepatch
 * (otherwise this module refuses to load: two hooks would check every attach):
 *
 *	modprobe dmabuf_revoke backend=livepatch
 *	modprobe dmabuf_revoke_livepatch
 *
 * vfio_pci_core may be loaded before or after: the livepatch core patches it
 * when it comes. Disable, then unload (rmmod alone is refused while the patch
 * exists, the livepatch core holds a reference on this module):
 *
 *	echo 0 > /sys/kernel/livepatch/dmabuf_revoke_livepatch/enabled
 *	while [ -e /sys/kernel/livepatch/dmabuf_revoke_livepatch ]; do
 *		sleep 1
 *	done
 *	rmmod dmabuf_revoke_livepatch
 *
 * While unpatching, .../transition reads 1 (tasks still in the replacement);
 * when every task has left it, the core frees the patch: the directory goes
 * and the module reference is dropped (an rmmod racing that last step says
 * "in use": retry).
 *
 * A patch that is disabled cannot be enabled again: load the module anew.
 *
 * The replacement cannot call the original, so it reimplements it, and it
 * reads one private field, struct vfio_pci_dma_buf's `revoked` bit. Nothing
 * of that is copied by hand: scripts/vfio-btf.sh derived the field's byte
 * and bit from the BTF of the kernel's own vfio-pci-core.ko at build time,
 * confirmed the function's prototype and that its body calls nothing but
 * dma_buf_attach_revocable() (exactly where the headers have it), and
 * recorded the SHA-256 of that module's BTF. Before patching (at enable, or
 * when vfio_pci_core loads later) the pre-patch callback compares the BTF
 * of the vfio_pci_core in memory with that fingerprint and refuses to patch
 * on any difference: a module whose BTF is byte-identical has the same type
 * layouts and the same function prototypes as the one we derived from. It
 * also wants that module's GNU build-id: same types can still be another
 * body (a point release), and the body is what we reimplement. A
 * refusal at enable fails this module's load; at a later load of
 * vfio_pci_core it fails that load (fail closed: no unguarded VFIO export
 * while the patch is enabled). Either way dmesg and the shim's
 * hook/state say why.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/sha2.h>
#include <linux/bits.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hex.h>
#include <linux/livepatch.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>
#include <linux/slab.h>

#include "dmabuf_revoke.h"
#include "dmabuf_revoke_compat.h"
#include "dmabuf_revoke_vfio_btf.h"

#ifndef CONFIG_DEBUG_INFO_BTF_MODULES
#error "dmabuf_revoke_livepatch checks vfio_pci_core's BTF: needs CONFIG_DEBUG_INFO_BTF_MODULES"
#endif

/* The body we reimplement must be the one the headers describe. */
#if defined(HAVE_DMA_BUF_ATTACH_REVOCABLE) != DBR_VFIO_ATTACH_REVOCABLE
#error "vfio_pci_dma_buf_attach() and the headers disagree on dma_buf_attach_revocable()"
#endif

#ifdef HAVE_DMA_BUF_ATTACH_REVOCABLE
MODULE_IMPORT_NS(DBR_NS(DMA_BUF));
#endif
MODULE_IMPORT_NS(DBR_NS(DMABUF_REVOKE));

#define DBR_LP_TARGET DBR_VFIO_EXPORTER
/* Where the kernel shows a loaded module's BTF (kernel/bpf/btf.c). */
#define DBR_LP_SYSFS_BTF "/sys/kernel/btf/" DBR_LP_TARGET
#define DBR_LP_WHY_MAX 128

static char *expect_btf;
module_param(expect_btf, charp, 0444);
MODULE_PARM_DESC(expect_btf,
		 "SHA-256 (hex) that vfio_pci_core's BTF must have (default: the one derived at build time; for testing the refusal)");

static char *expect_build_id;
module_param(expect_build_id, charp, 0444);
MODULE_PARM_DESC(expect_build_id,
		 "GNU build-id (hex) that vfio_pci_core must have (default: the one read at build time; for testing the refusal)");

static u8 dbr_lp_want[SHA256_DIGEST_SIZE] = DBR_VFIO_BTF_SHA256;
static u8 dbr_lp_want_id[] = DBR_VFIO_BUILD_ID;
static size_t dbr_lp_want_size = DBR_VFIO_BTF_SIZE;
static struct klp_patch dbr_lp_patch;
/* Why the last pre-patch refused, for the shim's hook/state. */
static char dbr_lp_why[DBR_LP_WHY_MAX];

/*
 * vfio_pci_dma_buf_attach() as vfio-pci has it (drivers/vfio/pci/
 * vfio_pci_dmabuf.c, 5d74781ebc86 v6.19; v7.1+ adds the revocable check),
 * then the registry's decision. VFIO has no detach op and its attach no side
 * effect, so refusing here leaves nothing to undo.
 */
static int dbr_lp_vfio_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attachment)
{
	/* struct vfio_pci_dma_buf, known only through its BTF */
	const u8 *priv = dmabuf->priv;

	if (!attachment->peer2peer)
		return -EOPNOTSUPP;

	if (READ_ONCE(priv[DBR_VFIO_REVOKED_BYTE]) & BIT(DBR_VFIO_REVOKED_BIT))
		return -ENODEV;

#ifdef HAVE_DMA_BUF_ATTACH_REVOCABLE
	if (!dma_buf_attach_revocable(attachment))
		return -EOPNOTSUPP;

	return dmabuf_revoke_hook_check(attachment, true);
#else
	return dmabuf_revoke_hook_check(attachment, false);
#endif
}

/* SHA-256 of what the kernel keeps as @mod's BTF; NULL or why not. */
static const char *dbr_lp_btf_sha256(struct module *mod, u8 *digest,
				     size_t *size)
{
	struct file *file;
	const char *why = NULL;
	loff_t pos = 0;
	ssize_t n;
	void *buf;

	/*
	 * Live: the kernel's copy of the module's BTF is in sysfs. Coming (we
	 * run from klp_module_coming(), before the module notifiers create that
	 * file): the loader still holds the .BTF section itself, until
	 * do_init_module() drops btf_data after the module's init.
	 */
	file = filp_open(DBR_LP_SYSFS_BTF, O_RDONLY, 0);
	if (IS_ERR(file)) {
		if (PTR_ERR(file) == -ENOENT &&
		    mod->state == MODULE_STATE_COMING && mod->btf_data) {
			*size = mod->btf_data_size;
			sha256(mod->btf_data, *size, digest);
			return NULL;
		}
		return "cannot open " DBR_LP_SYSFS_BTF " (no module BTF, or sysfs not mounted)";
	}
	*size = i_size_read(file_inode(file));
	if (!*size || *size > SZ_64M) {
		why = "unexpected size of " DBR_LP_SYSFS_BTF;
		goto out_file;
	}
	buf = kvmalloc(*size, GFP_KERNEL);
	if (!buf) {
		why = "out of memory reading " DBR_LP_SYSFS_BTF;
		goto out_file;
	}
	while (pos < *size) {
		n = kernel_read(file, buf + pos, *size - pos, &pos);
		if (n <= 0)
			break;
	}
	if (pos != *size)
		why = "short read of " DBR_LP_SYSFS_BTF;
	else
		sha256(buf, *size, digest);
	kvfree(buf);
out_file:
	filp_close(file, NULL);
	return why;
}

/* ELF note type of the GNU build-id (binutils' elf/common.h; not in the kernel headers). */
#define DBR_NT_GNU_BUILD_ID 3

/*
 * @n bytes at @p equal @want (@n >= sizeof(long))? Read without KASAN's
 * checks: a module's read-only data has the redzones of its globals in
 * between (a memcmp() over it is a global-out-of-bounds report, the debug
 * kernel showed). Word loads; x86 takes them unaligned.
 */
static bool dbr_lp_equal_nocheck(const u8 *p, const u8 *want, size_t n)
{
	size_t i;

	for (i = 0; i + sizeof(long) <= n; i += sizeof(long))
		if (READ_ONCE_NOCHECK(*(const unsigned long *)(p + i)) !=
		    get_unaligned((const unsigned long *)(want + i)))
			return false;
	/* The tail: the last word, overlapping the one before. */
	i = n - sizeof(long);
	return READ_ONCE_NOCHECK(*(const unsigned long *)(p + i)) ==
	       get_unaligned((const unsigned long *)(want + i));
}

/*
 * Does @mod carry the build-id note of the vfio-pci-core.ko we were built
 * against? Same BTF can still mean other code (a point release that changed
 * a body, no type). Debian has no CONFIG_STACKTRACE_BUILD_ID, so
 * mod->build_id is not filled in, and at COMING the notes are not in sysfs
 * yet: the note is looked for where the loader put it, in the module's
 * read-only data (SHF_ALLOC notes; the sysfs notes point there too).
 */
static bool dbr_lp_has_build_id(struct module *mod)
{
	const struct module_memory *ro = &mod->mem[MOD_RODATA];
	struct {
		u32 namesz, descsz, type;
		char name[4];
		u8 id[sizeof(dbr_lp_want_id)];
	} note = {
		.namesz = sizeof(note.name),
		.descsz = sizeof(note.id),
		.type = DBR_NT_GNU_BUILD_ID,
		.name = "GNU",
	};
	size_t off;

	memcpy(note.id, dbr_lp_want_id, sizeof(note.id));
	/* Notes are 4-byte aligned. */
	for (off = 0; off + sizeof(note) <= ro->size; off += 4)
		if (dbr_lp_equal_nocheck((u8 *)ro->base + off, (u8 *)&note,
					 sizeof(note)))
			return true;
	return false;
}

/* Is @mod the vfio_pci_core the layout was derived from? NULL or why not. */
static const char *dbr_lp_confirm(struct module *mod)
{
	u8 got[SHA256_DIGEST_SIZE];
	const char *why;
	size_t size;

	why = dbr_lp_btf_sha256(mod, got, &size);
	if (why)
		return why;
	if (size != dbr_lp_want_size ||
	    memcmp(got, dbr_lp_want, sizeof(got))) {
		pr_err("vfio_pci_core's BTF is %zu bytes, sha256 %*phN; built for %zu bytes, sha256 %*phN\n",
		       size, (int)sizeof(got), got,
		       dbr_lp_want_size, (int)sizeof(dbr_lp_want), dbr_lp_want);
		return "vfio_pci_core's BTF differs from the build-time one (rebuild dmabuf_revoke for this kernel)";
	}
	if (!dbr_lp_has_build_id(mod)) {
		pr_err("vfio_pci_core has the build-time BTF but not its build-id %*phN\n",
		       (int)sizeof(dbr_lp_want_id), dbr_lp_want_id);
		return "vfio_pci_core's build-id differs from the build-time one (rebuild dmabuf_revoke for this kernel)";
	}
	return NULL;
}

/*
 * Context: klp_mutex held; at enable (the patch not enabled yet) or when
 * vfio_pci_core comes later (the patch enabled).
 */
static int dbr_lp_pre_patch(struct klp_object *obj)
{
	const char *why = dbr_lp_confirm(obj->mod);
	bool enabled = READ_ONCE(dbr_lp_patch.enabled);

	if (why) {
		pr_err("refusing to patch %s: %s\n", DBR_LP_TARGET, why);
		if (enabled)
			pr_err("%s cannot load while the patch is enabled: disable it first\n",
			       DBR_LP_TARGET);
		strscpy(dbr_lp_why, why, sizeof(dbr_lp_why));
		dmabuf_revoke_hook_livepatch_state(enabled, dbr_lp_why);
		return -EINVAL;
	}
	dbr_lp_why[0] = '\0';
	dmabuf_revoke_hook_livepatch_state(enabled, NULL);
	pr_info("%s matches the BTF derived at build time (%zu bytes, sha256 %*phN) and its build-id: patching vfio_pci_dma_buf_attach (vfio_pci_dma_buf.revoked at byte %d bit %d)\n",
		DBR_LP_TARGET, dbr_lp_want_size, 8, dbr_lp_want,
		DBR_VFIO_REVOKED_BYTE, DBR_VFIO_REVOKED_BIT);
	return 0;
}

/*
 * The vmlinux object patches nothing: it is always loaded, so its callbacks
 * tell when the whole patch has finished (un)patching.
 */
static void dbr_lp_post_patch(struct klp_object *obj)
{
	dmabuf_revoke_hook_livepatch_state(true, dbr_lp_why[0] ? dbr_lp_why : NULL);
}

static void dbr_lp_post_unpatch(struct klp_object *obj)
{
	dmabuf_revoke_hook_livepatch_state(false, dbr_lp_why[0] ? dbr_lp_why : NULL);
}

static struct klp_func dbr_lp_vmlinux_funcs[] = {
	{ }
};

static struct klp_func dbr_lp_vfio_funcs[] = {
	{
		.old_name = "vfio_pci_dma_buf_attach",
		.new_func = dbr_lp_vfio_attach,
	},
	{ }
};

static struct klp_object dbr_lp_objs[] = {
	{
		/* name NULL: vmlinux */
		.funcs = dbr_lp_vmlinux_funcs,
		.callbacks = {
			.post_patch = dbr_lp_post_patch,
			.post_unpatch = dbr_lp_post_unpatch,
		},
	},
	{
		.name = DBR_LP_TARGET,
		.funcs = dbr_lp_vfio_funcs,
		.callbacks = {
			.pre_patch = dbr_lp_pre_patch,
		},
	},
	{ }
};

static struct klp_patch dbr_lp_patch = {
	.mod = THIS_MODULE,
	.objs = dbr_lp_objs,
};

static int __init dbr_lp_init(void)
{
	int ret;

	if (expect_btf) {
		if (strlen(expect_btf) != 2 * SHA256_DIGEST_SIZE ||
		    hex2bin(dbr_lp_want, expect_btf, SHA256_DIGEST_SIZE)) {
			pr_err("expect_btf: not a SHA-256 in hex\n");
			return -EINVAL;
		}
		pr_warn("expect_btf: checking vfio_pci_core against %s, not the build-time fingerprint\n",
			expect_btf);
	}

	if (expect_build_id) {
		if (strlen(expect_build_id) != 2 * sizeof(dbr_lp_want_id) ||
		    hex2bin(dbr_lp_want_id, expect_build_id, sizeof(dbr_lp_want_id))) {
			pr_err("expect_build_id: not a %zu-byte build-id in hex\n",
			       sizeof(dbr_lp_want_id));
			return -EINVAL;
		}
		pr_warn("expect_build_id: checking vfio_pci_core against %s, not the build-time build-id\n",
			expect_build_id);
	}

	ret = dmabuf_revoke_hook_livepatch_state(false, NULL);
	if (ret) {
		pr_err("the dmabuf_revoke shim was not loaded with backend=livepatch: refusing to load (its kprobe hook would check every attach too); load it with 'modprobe dmabuf_revoke backend=livepatch'\n");
		return ret;
	}

	ret = klp_enable_patch(&dbr_lp_patch);
	if (ret) {
		pr_err("cannot enable the patch: %d\n", ret);
		dmabuf_revoke_hook_livepatch_state(false, dbr_lp_why[0] ?
						   dbr_lp_why : "livepatch could not be enabled");
		return ret;
	}
	return 0;
}

static void __exit dbr_lp_exit(void)
{
	/* The patch is disabled and unpatched: post_unpatch said so. */
}

module_init(dbr_lp_init);
module_exit(dbr_lp_exit);

MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("dmabuf-revoke: livepatch hook on vfio-pci's dma-buf attach");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
