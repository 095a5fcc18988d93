// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_livepatch, stand-in: built where the kernel can livepatch
 * and vfio-pci exports dma-bufs, but scripts/vfio-btf.sh could not derive
 * or confirm vfio-pci's private layout from the kernel's BTF (for example:
 * bpftool missing on the DKMS host). A livepatch of an unconfirmed target
 * would be a guess, so this module only refuses to load and says why; the
 * kprobe backend (the default) still guards vfio-pci.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "dmabuf_revoke_compat.h"
#include "dmabuf_revoke_vfio_btf_skipped.h"

static int __init dbr_lp_unconfirmed_init(void)
{
	pr_err("not built against a confirmed vfio-pci layout (%s); refusing to load: use the kprobe backend, or install bpftool and rebuild (dkms build)\n",
	       DBR_VFIO_BTF_SKIPPED);
	return -ENOEXEC;
}

module_init(dbr_lp_unconfirmed_init);

MODULE_DESCRIPTION("dmabuf-revoke: livepatch backend (unavailable: vfio-pci layout not confirmed at build time)");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
