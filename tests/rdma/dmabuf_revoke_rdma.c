// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_rdma: RDMA's own pinned dma-buf import, for suite 84-rdma.
 * Guest only; never installed.
 *
 * Each import allocates an unregistered ib_device (ib_alloc_device(), no
 * driver, no ports) whose dma_device is this module's root device, or a
 * PCI device given by address (a vfio-pci buffer maps only for a PCI peer
 * with a P2P path, e.g. the exporting device itself), and calls the
 * kernel's pinned import on it:
 *
 *   pinned     ib_umem_dmabuf_get_pinned(): the importer ops
 *              ib_umem_dmabuf_attach_pinned_ops, whose callback up to v7.0
 *              is ib_umem_dmabuf_unsupported_move_notify (it only warns)
 *              and which have no callback from v7.1
 *   revocable  ib_umem_dmabuf_get_pinned_revocable_and_lock() (Debian
 *              6.12.118, 7.2, 7.3): ib_umem_dmabuf_attach_pinned_revocable_ops,
 *              callback ib_umem_dmabuf_revoke_locked, which unmaps, unpins
 *              and calls the revoke function set here (it counts)
 *
 * Imports outlive the file that made them (a vfio-pci reset run by another
 * process revokes them); they go on "release" or at unload.
 *
 * /dev/dmabuf_revoke_rdma takes one command per write(); a read returns
 * its result, then end of file until the next command:
 *
 *   import FD SIZE pinned|revocable [DDDD:BB:SS.F]
 *                     import SIZE bytes (page multiple) of the dma-buf FD
 *                     of the writer; "id=N". The write fails with the
 *                     import's errno.
 *   status ID         "exp=... dev=... mapped=0|1 pinned=0|1 revokes=N"
 *                     (+ " revoked=0|1" where the revocable import exists)
 *   release ID        ib_umem_release()
 *
 * Bad input fails the write() with -EINVAL and a message in dmesg.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>

#include "dmabuf_revoke_compat.h"

#define DBR_RDMA_CMD_MAX 96
#define DBR_RDMA_RES_MAX 192
#define DBR_RDMA_ARGS_MAX 6
#define DBR_RDMA_SIZE_MAX (64u << 20)

struct dbr_rdma_imp {
	struct ib_device ibdev;	/* first: ib_alloc_device(), freed with it */
	struct list_head node;
	u32 id;
	bool revocable;
	struct pci_dev *pdev;	/* the DMA device, if a PCI one */
	struct ib_umem_dmabuf *umem;
	unsigned int revokes;	/* revoke callbacks; under the buffer's resv */
};

static struct device *dbr_rdma_dev;
static LIST_HEAD(dbr_rdma_imps);
static DEFINE_MUTEX(dbr_rdma_lock);
static u32 dbr_rdma_next_id = 1;

#ifdef HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK
/* Called under the buffer's reservation lock, at most once. */
static void dbr_rdma_revoked(void *priv)
{
	struct dbr_rdma_imp *imp = priv;

	imp->revokes++;
	pr_info("import %u revoked by its exporter\n", imp->id);
}
#endif

static struct ib_umem_dmabuf *dbr_rdma_get(struct dbr_rdma_imp *imp,
					   unsigned long size, int fd)
{
#ifdef HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK
	struct ib_umem_dmabuf *umem;

	if (!imp->revocable)
		return ib_umem_dmabuf_get_pinned(&imp->ibdev, 0, size, fd,
						 IB_ACCESS_LOCAL_WRITE);
	umem = ib_umem_dmabuf_get_pinned_revocable_and_lock(&imp->ibdev, 0,
							   size, fd,
							   IB_ACCESS_LOCAL_WRITE);
	if (IS_ERR(umem))
		return umem;
	ib_umem_dmabuf_set_revoke_locked(umem, dbr_rdma_revoked, imp);
	ib_umem_dmabuf_revoke_unlock(umem);
	return umem;
#else
	return ib_umem_dmabuf_get_pinned(&imp->ibdev, 0, size, fd,
					 IB_ACCESS_LOCAL_WRITE);
#endif
}

/* The PCI device at @bdf (a reference), or NULL with a message. */
static struct pci_dev *dbr_rdma_pci(const char *bdf)
{
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev;
	char end;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &end) != 4 ||
	    bus > 0xff || slot > 0x1f || fn > 7) {
		pr_warn("import: '%s' is not a PCI address DDDD:BB:SS.F\n", bdf);
		return NULL;
	}
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		pr_warn("import: no PCI device %s\n", bdf);
	return pdev;
}

static int dbr_rdma_import(int fd, unsigned long size, bool revocable,
			   const char *bdf, char *res, size_t ressz)
{
	struct dbr_rdma_imp *imp;
	struct pci_dev *pdev = NULL;
	int ret;

	if (revocable && !DBR_HAS_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK) {
		pr_warn("import: no ib_umem_dmabuf_get_pinned_revocable_and_lock() in this kernel\n");
		return -EINVAL;
	}
	if (bdf) {
		pdev = dbr_rdma_pci(bdf);
		if (!pdev)
			return -EINVAL;
	}
	imp = ib_alloc_device(dbr_rdma_imp, ibdev);
	if (!imp) {
		ret = -ENOMEM;
		goto err_put_pci;
	}
	imp->id = dbr_rdma_next_id++;
	imp->revocable = revocable;
	imp->pdev = pdev;
	imp->ibdev.dma_device = pdev ? &pdev->dev : dbr_rdma_dev;
	/* For the stub's ibdev_warn(); freed with the device. */
	ret = dev_set_name(&imp->ibdev.dev, "dbr_rdma%u", imp->id);
	if (ret)
		goto err_dealloc;

	imp->umem = dbr_rdma_get(imp, size, fd);
	if (IS_ERR(imp->umem)) {
		ret = PTR_ERR(imp->umem);
		pr_info("import %u (%s, DMA device %s): %d\n", imp->id,
			revocable ? "revocable" : "pinned",
			dev_name(imp->ibdev.dma_device), ret);
		goto err_dealloc;
	}
	list_add_tail(&imp->node, &dbr_rdma_imps);
	pr_info("import %u (%s, DMA device %s): attached to a %s buffer\n",
		imp->id, revocable ? "revocable" : "pinned",
		dev_name(imp->ibdev.dma_device),
		imp->umem->attach->dmabuf->exp_name ?: "?");
	scnprintf(res, ressz, "id=%u\n", imp->id);
	return 0;

err_dealloc:
	ib_dealloc_device(&imp->ibdev);
err_put_pci:
	pci_dev_put(pdev);
	return ret;
}

static struct dbr_rdma_imp *dbr_rdma_find(u32 id)
{
	struct dbr_rdma_imp *imp;

	list_for_each_entry(imp, &dbr_rdma_imps, node)
		if (imp->id == id)
			return imp;
	pr_warn("no import %u\n", id);
	return NULL;
}

static void dbr_rdma_status(struct dbr_rdma_imp *imp, char *res, size_t ressz)
{
	struct ib_umem_dmabuf *umem = imp->umem;
	struct dma_resv *resv = umem->attach->dmabuf->resv;
	size_t n;

	dma_resv_lock(resv, NULL);
	n = scnprintf(res, ressz, "exp=%s dev=%s mapped=%d pinned=%d revokes=%u",
		      umem->attach->dmabuf->exp_name ?: "?",
		      dev_name(umem->attach->dev), !!umem->sgt,
		      (int)umem->pinned, imp->revokes);
#ifdef HAVE_IB_UMEM_DMABUF_GET_PINNED_REVOCABLE_AND_LOCK
	n += scnprintf(res + n, ressz - n, " revoked=%d", (int)umem->revoked);
#endif
	dma_resv_unlock(resv);
	scnprintf(res + n, ressz - n, "\n");
}

static void dbr_rdma_release(struct dbr_rdma_imp *imp)
{
	struct pci_dev *pdev = imp->pdev;

	list_del(&imp->node);
	ib_umem_release(&imp->umem->umem);
	ib_dealloc_device(&imp->ibdev);
	pci_dev_put(pdev);
}

static int dbr_rdma_uint(const char *what, const char *s, unsigned int max,
			 unsigned int *v)
{
	if (kstrtouint(s, 0, v) || *v > max) {
		pr_warn("%s: '%s' is not a number up to %u\n", what, s, max);
		return -EINVAL;
	}
	return 0;
}

static int dbr_rdma_run(char *cmd, char *res, size_t ressz)
{
	char *argv[DBR_RDMA_ARGS_MAX], *tok;
	unsigned int fd, size, id;
	struct dbr_rdma_imp *imp;
	int argc = 0;

	while ((tok = strsep(&cmd, " \t\n"))) {
		if (!*tok)
			continue;
		if (argc == DBR_RDMA_ARGS_MAX)
			goto usage;
		argv[argc++] = tok;
	}
	if (!argc)
		goto usage;
	if (!strcmp(argv[0], "import") && (argc == 4 || argc == 5)) {
		if (dbr_rdma_uint("FD", argv[1], INT_MAX, &fd) ||
		    dbr_rdma_uint("SIZE", argv[2], DBR_RDMA_SIZE_MAX, &size))
			return -EINVAL;
		if (!size || !PAGE_ALIGNED(size)) {
			pr_warn("import: size %u is not a non-zero multiple of %lu\n",
				size, PAGE_SIZE);
			return -EINVAL;
		}
		if (strcmp(argv[3], "pinned") && strcmp(argv[3], "revocable"))
			goto usage;
		return dbr_rdma_import(fd, size, !strcmp(argv[3], "revocable"),
				       argc == 5 ? argv[4] : NULL, res, ressz);
	}
	if (argc != 2 || dbr_rdma_uint("ID", argv[1], UINT_MAX, &id))
		goto usage;
	if (!strcmp(argv[0], "status")) {
		imp = dbr_rdma_find(id);
		if (!imp)
			return -EINVAL;
		dbr_rdma_status(imp, res, ressz);
		return 0;
	}
	if (!strcmp(argv[0], "release")) {
		imp = dbr_rdma_find(id);
		if (!imp)
			return -EINVAL;
		dbr_rdma_release(imp);
		return 0;
	}
usage:
	pr_warn("usage: import FD SIZE pinned|revocable [DDDD:BB:SS.F] | status ID | release ID\n");
	return -EINVAL;
}

/* Per open file: the last command's result, and how much of it was read. */
struct dbr_rdma_file {
	char res[DBR_RDMA_RES_MAX];
	loff_t rpos;
};

static int dbr_rdma_open(struct inode *inode, struct file *file)
{
	struct dbr_rdma_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int dbr_rdma_close(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t dbr_rdma_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct dbr_rdma_file *f = file->private_data;
	char cmd[DBR_RDMA_CMD_MAX];
	int ret;

	if (len >= sizeof(cmd)) {
		pr_warn("command longer than %zu bytes\n", sizeof(cmd) - 1);
		return -EINVAL;
	}
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&dbr_rdma_lock);
	f->res[0] = '\0';
	f->rpos = 0;
	ret = dbr_rdma_run(cmd, f->res, sizeof(f->res));
	mutex_unlock(&dbr_rdma_lock);
	return ret ? ret : len;
}

static ssize_t dbr_rdma_read(struct file *file, char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct dbr_rdma_file *f = file->private_data;

	return simple_read_from_buffer(ubuf, len, &f->rpos, f->res,
				       strlen(f->res));
}

static const struct file_operations dbr_rdma_fops = {
	.owner = THIS_MODULE,
	.open = dbr_rdma_open,
	.release = dbr_rdma_close,
	.write = dbr_rdma_write,
	.read = dbr_rdma_read,
};

static struct miscdevice dbr_rdma_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmabuf_revoke_rdma",
	.fops = &dbr_rdma_fops,
	.mode = 0600,
};

static int __init dbr_rdma_init(void)
{
	int ret;

	dbr_rdma_dev = root_device_register(KBUILD_MODNAME);
	if (IS_ERR(dbr_rdma_dev))
		return PTR_ERR(dbr_rdma_dev);
	ret = dma_coerce_mask_and_coherent(dbr_rdma_dev, DMA_BIT_MASK(64));
	if (ret) {
		pr_err("cannot set a 64-bit DMA mask: %d\n", ret);
		goto err_unregister_dev;
	}
	ret = misc_register(&dbr_rdma_misc);
	if (ret) {
		pr_err("misc_register failed: %d\n", ret);
		goto err_unregister_dev;
	}
	return 0;

err_unregister_dev:
	root_device_unregister(dbr_rdma_dev);
	return ret;
}

static void __exit dbr_rdma_exit(void)
{
	struct dbr_rdma_imp *imp, *tmp;

	misc_deregister(&dbr_rdma_misc);
	list_for_each_entry_safe(imp, tmp, &dbr_rdma_imps, node) {
		pr_warn("import %u still held at unload: released\n", imp->id);
		dbr_rdma_release(imp);
	}
	root_device_unregister(dbr_rdma_dev);
}

module_init(dbr_rdma_init);
module_exit(dbr_rdma_exit);

MODULE_DESCRIPTION("dmabuf-revoke: RDMA's pinned dma-buf import on an unregistered ib_device (test only)");
MODULE_LICENSE("GPL");
