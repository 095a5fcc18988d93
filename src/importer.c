// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_importer: a test dma-buf importer that behaves like each
 * kind of real importer:
 *
 *  legacy     dma_buf_attach(), map and hold (DRM PRIME, videobuf2)
 *  stub       dynamic with a callback that only counts, pins (RDMA <= 7.0)
 *  nocb       dynamic without a callback, pins (RDMA 7.1+; 7.1+ only)
 *  compliant  callback unmaps; maps again only when asked and not revoked
 *
 * Imports belong to the open file and go away with it. All mapping state
 * of an import is protected by its buffer's reservation lock, which the
 * exporter also holds when it calls our callback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmabuf_revoke.h"
#include "uapi/dmabuf_revoke_importer.h"
#include "dmabuf_revoke_compat.h"

static const char * const dbr_imp_mode_names[DBR_IMP_MODES] = {
	[DBR_IMP_LEGACY] = "legacy",
	[DBR_IMP_STUB] = "stub",
	[DBR_IMP_NOCB] = "nocb",
	[DBR_IMP_COMPLIANT] = "compliant",
};

struct dbr_imp_file {
	struct mutex lock;	/* protects imports */
	struct idr imports;
};

struct dbr_imp {
	u32 mode;
	bool reused_ops;	/* holds a dbr_imp_reused_ops user count */
	struct pci_dev *pdev;	/* DBR_IMP_PCI_DEV: attached as it (a ref) */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	/* Below: under dmabuf->resv. */
	struct sg_table *sgt;
	bool pinned;
	bool notified_since_map;
	u32 notifications;
	u32 maps;
	int last_map_err;
};

static struct miscdevice dbr_imp_misc;

/* Under resv: drop our mapping, if any. */
static void dbr_imp_unmap_locked(struct dbr_imp *imp)
{
	dma_resv_assert_held(imp->dmabuf->resv);
	if (!imp->sgt)
		return;
	dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
	imp->sgt = NULL;
}

/*
 * Under resv: map unless mapped. The _unlocked map is this same call
 * wrapped in the lock; we need the lock for our own state anyway.
 */
static int dbr_imp_map_locked(struct dbr_imp *imp)
{
	struct sg_table *sgt;

	dma_resv_assert_held(imp->dmabuf->resv);
	if (imp->sgt)
		return 0;

	if (dmabuf_revoke_buffer_state(imp->dmabuf) ==
	    DMABUF_REVOKE_STATE_REVOKED) {
		imp->last_map_err = -ENODEV;
		return -ENODEV;
	}
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		imp->last_map_err = PTR_ERR(sgt);
		return PTR_ERR(sgt);
	}
	imp->sgt = sgt;
	imp->maps++;
	imp->last_map_err = 0;
	imp->notified_since_map = false;
	return 0;
}

/* Before v6.16 the core may map at attach and cache it until detach. */
static bool dbr_imp_core_cached(struct dbr_imp *imp)
{
#ifdef HAVE_DMA_BUF_ATTACHMENT_SGT
	return imp->attach->sgt;
#else
	return false;
#endif
}

/* RDMA-like: hear the revocation, do nothing about it. */
static void dbr_imp_stub_cb(struct dma_buf_attachment *attach)
{
	struct dbr_imp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->notifications++;
	imp->notified_since_map = true;
}

/* Drop the mapping at once; DBR_IMP_REMAP maps again. */
static void dbr_imp_compliant_cb(struct dma_buf_attachment *attach)
{
	struct dbr_imp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->notifications++;
	imp->notified_since_map = true;
	dbr_imp_unmap_locked(imp);
}

static const struct dma_buf_attach_ops dbr_imp_stub_ops = {
	.allow_peer2peer = true,
	.DBR_ATTACH_OPS_CB = dbr_imp_stub_cb,
};

#ifdef HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP
/* Optional callback since v7.1; before, dma_buf_dynamic_attach() WARNs. */
static const struct dma_buf_attach_ops dbr_imp_nocb_ops = {
	.allow_peer2peer = true,
};
#endif

static const struct dma_buf_attach_ops dbr_imp_compliant_ops = {
	.allow_peer2peer = true,
	.DBR_ATTACH_OPS_CB = dbr_imp_compliant_cb,
};

static const struct dma_buf_attach_ops *const dbr_imp_ops[DBR_IMP_MODES] = {
	[DBR_IMP_STUB] = &dbr_imp_stub_ops,
#ifdef HAVE_DMA_BUF_INVALIDATE_MAPPINGS_OP
	[DBR_IMP_NOCB] = &dbr_imp_nocb_ops,
#endif
	[DBR_IMP_COMPLIANT] = &dbr_imp_compliant_ops,
};

/*
 * DBR_IMP_REUSED_OPS: one writable table at a fixed address, its callback
 * set per import, as a heap ops table freed and reused would be. Users are
 * counted so a live attachment's callback never changes under it.
 */
static struct dma_buf_attach_ops dbr_imp_reused_ops = {
	.allow_peer2peer = true,
};
static DEFINE_MUTEX(dbr_imp_reused_lock);
static unsigned int dbr_imp_reused_users;

static const struct dma_buf_attach_ops *dbr_imp_reused_get(u32 mode)
{
	typeof(dbr_imp_reused_ops.DBR_ATTACH_OPS_CB) cb =
		dbr_imp_ops[mode]->DBR_ATTACH_OPS_CB;
	const struct dma_buf_attach_ops *ops = &dbr_imp_reused_ops;

	mutex_lock(&dbr_imp_reused_lock);
	if (dbr_imp_reused_users && dbr_imp_reused_ops.DBR_ATTACH_OPS_CB != cb) {
		ops = ERR_PTR(-EBUSY);
	} else {
		WRITE_ONCE(dbr_imp_reused_ops.DBR_ATTACH_OPS_CB, cb);
		dbr_imp_reused_users++;
	}
	mutex_unlock(&dbr_imp_reused_lock);
	return ops;
}

static void dbr_imp_reused_put(void)
{
	mutex_lock(&dbr_imp_reused_lock);
	dbr_imp_reused_users--;
	mutex_unlock(&dbr_imp_reused_lock);
}

/* Modes registered with the registry (module-wide, like the ops). */
static DEFINE_MUTEX(dbr_imp_reg_lock);
static unsigned long dbr_imp_registered;

/* -EINVAL or -EOPNOTSUPP (with a message) if @mode cannot be used. */
static int dbr_imp_check_mode(const char *what, u32 mode)
{
	if (mode >= DBR_IMP_MODES) {
		pr_warn_ratelimited("%s: unknown mode %u\n", what, mode);
		return -EINVAL;
	}
	if (mode == DBR_IMP_NOCB && !dbr_imp_ops[mode]) {
		pr_warn_ratelimited("%s: nocb: importer ops without a callback need v7.1 (optional invalidate_mappings); this kernel requires move_notify\n",
				    what);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void dbr_imp_destroy(struct dbr_imp *imp)
{
	struct dma_resv *resv = imp->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	dbr_imp_unmap_locked(imp);
	if (imp->pinned)
		dma_buf_unpin(imp->attach);
	imp->pinned = false;
	dma_resv_unlock(resv);
	dma_buf_detach(imp->dmabuf, imp->attach);
	dma_buf_put(imp->dmabuf);
	if (imp->reused_ops)
		dbr_imp_reused_put();
	pci_dev_put(imp->pdev);
	kfree(imp);
}

/* Under resv: pin if the exporter can; -EOPNOTSUPP means "not pinned". */
static int dbr_imp_pin_locked(struct dbr_imp *imp)
{
	int ret;

	dma_resv_assert_held(imp->dmabuf->resv);
	/* Without a pin op dma_buf_pin() succeeds but pins nothing. */
	if (!imp->dmabuf->ops->pin)
		return 0;
	ret = dma_buf_pin(imp->attach);
	if (ret == -EOPNOTSUPP)
		return 0;
	if (ret)
		return ret;
	imp->pinned = true;
	return 0;
}

/*
 * DBR_IMP_PCI_DEV's fields: 0 without the flag, a struct that has them (not
 * DBR_IMP_IMPORT_V1) with it, no reserved bits.
 */
static int dbr_imp_check_pci_args(const struct dbr_imp_import *args,
				  size_t size)
{
	bool given = args->pci_domain || args->pci_bus || args->pci_devfn;

	if (args->reserved) {
		pr_warn_ratelimited("import: reserved field is %#x, not 0\n",
				    args->reserved);
		return -EINVAL;
	}
	if (!(args->flags & DBR_IMP_PCI_DEV)) {
		if (!given)
			return 0;
		pr_warn_ratelimited("import: PCI device %04x:%02x:%02x.%d given without DBR_IMP_PCI_DEV\n",
				    args->pci_domain, args->pci_bus,
				    PCI_SLOT(args->pci_devfn),
				    PCI_FUNC(args->pci_devfn));
		return -EINVAL;
	}
	if (size < sizeof(*args)) {
		pr_warn_ratelimited("import: DBR_IMP_PCI_DEV needs the %zu-byte struct (DBR_IMP_IMPORT), got %zu bytes\n",
				    sizeof(*args), size);
		return -EINVAL;
	}
	if (args->pci_domain > INT_MAX) {
		pr_warn_ratelimited("import: PCI domain %#x out of range\n",
				    args->pci_domain);
		return -EINVAL;
	}
	return 0;
}

/*
 * @size: the struct the caller passed, from the command number: the full
 * one or the original 16 bytes (DBR_IMP_IMPORT_V1, fields after id are 0).
 */
static long dbr_imp_import(struct dbr_imp_file *f,
			   struct dbr_imp_import __user *uarg, size_t size)
{
	struct device *dev = dbr_imp_misc.this_device;
	struct dbr_imp_import args = {};
	const struct dma_buf_attach_ops *ops;
	struct dma_buf_attachment *attach;
	struct dbr_imp *imp;
	int id, ret;

	if (copy_from_user(&args, uarg, size))
		return -EFAULT;
	ret = dbr_imp_check_mode("import", args.mode);
	if (ret)
		return ret;
	if (args.flags & ~DBR_IMP_FLAGS_ALL) {
		pr_warn_ratelimited("import: unknown flags %#x\n",
				    args.flags & ~DBR_IMP_FLAGS_ALL);
		return -EINVAL;
	}
	ret = dbr_imp_check_pci_args(&args, size);
	if (ret)
		return ret;

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return -ENOMEM;
	imp->mode = args.mode;

	if (args.flags & DBR_IMP_PCI_DEV) {
		imp->pdev = pci_get_domain_bus_and_slot(args.pci_domain,
							args.pci_bus,
							args.pci_devfn);
		if (!imp->pdev) {
			pr_warn_ratelimited("import: no PCI device %04x:%02x:%02x.%d\n",
					    args.pci_domain, args.pci_bus,
					    PCI_SLOT(args.pci_devfn),
					    PCI_FUNC(args.pci_devfn));
			ret = -EINVAL;
			goto err_free;
		}
		dev = &imp->pdev->dev;
	}

	imp->dmabuf = dma_buf_get(args.fd);
	if (IS_ERR(imp->dmabuf)) {
		pr_warn_ratelimited("import: fd %d is not a dma-buf\n",
				    args.fd);
		ret = -EINVAL;
		goto err_free;
	}

	ops = args.mode == DBR_IMP_LEGACY ? NULL : dbr_imp_ops[args.mode];
	if (args.flags & DBR_IMP_REUSED_OPS) {
		ops = ops ? dbr_imp_reused_get(args.mode) : ERR_PTR(-EINVAL);
		if (IS_ERR(ops)) {
			ret = PTR_ERR(ops);
			pr_warn_ratelimited("import: reused ops: %s\n", ret == -EINVAL ?
					    "a legacy import has no ops" :
					    "the table is in use with another callback");
			goto err_put;
		}
		imp->reused_ops = true;
	}
	if (!ops)
		attach = dma_buf_attach(imp->dmabuf, dev);
	else
		attach = dma_buf_dynamic_attach(imp->dmabuf, dev, ops, imp);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		pr_info_ratelimited("import: %s attach as %s to %s refused: %d\n",
				    dbr_imp_mode_names[args.mode], dev_name(dev),
				    imp->dmabuf->exp_name, ret);
		goto err_put;
	}
	imp->attach = attach;

	if (!(args.flags & DBR_IMP_NO_MAP)) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		ret = 0;
		if (args.mode == DBR_IMP_STUB || args.mode == DBR_IMP_NOCB)
			ret = dbr_imp_pin_locked(imp);
		if (!ret)
			ret = dbr_imp_map_locked(imp);
		dma_resv_unlock(imp->dmabuf->resv);
		if (ret)
			goto err_destroy;
	}

	mutex_lock(&f->lock);
	id = idr_alloc(&f->imports, imp, 1, 0, GFP_KERNEL);
	mutex_unlock(&f->lock);
	if (id < 0) {
		ret = id;
		goto err_destroy;
	}
	args.id = id;
	if (copy_to_user(uarg, &args, size)) {
		/*
		 * The id was visible: a RELEASE of it may have raced us here
		 * and destroyed the import already. Only the one who removes
		 * it from the idr destroys it.
		 */
		mutex_lock(&f->lock);
		if (idr_remove(&f->imports, id) != imp)
			imp = NULL;
		mutex_unlock(&f->lock);
		if (imp)
			dbr_imp_destroy(imp);
		return -EFAULT;
	}
	return 0;

err_destroy:
	/* Unmaps, unpins, detaches and puts: everything done above. */
	dbr_imp_destroy(imp);
	return ret;
err_put:
	if (imp->reused_ops)
		dbr_imp_reused_put();
	dma_buf_put(imp->dmabuf);
err_free:
	pci_dev_put(imp->pdev);
	kfree(imp);
	return ret;
}

/* The import @id of @f, or NULL with a message; f->lock held. */
static struct dbr_imp *dbr_imp_find(struct dbr_imp_file *f,
				    const char *what, u32 id)
{
	struct dbr_imp *imp;

	lockdep_assert_held(&f->lock);
	imp = id <= INT_MAX ? idr_find(&f->imports, id) : NULL;
	if (!imp)
		pr_warn_ratelimited("%s: no import %u on this file\n", what, id);
	return imp;
}

static long dbr_imp_status(struct dbr_imp_file *f,
			   struct dbr_imp_status __user *uarg)
{
	struct dbr_imp_status args;
	struct dbr_imp *imp;
	bool held;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;

	mutex_lock(&f->lock);
	imp = dbr_imp_find(f, "status", args.id);
	if (!imp) {
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	dma_resv_lock(imp->dmabuf->resv, NULL);
	args.mode = imp->mode;
	args.mapped = !!imp->sgt;
	args.pinned = imp->pinned;
	args.notifications = imp->notifications;
	args.maps = imp->maps;
	args.last_map_err = imp->last_map_err;
	args.core_cached = dbr_imp_core_cached(imp);
	held = imp->sgt || args.core_cached;
	args.stale = held && (imp->notified_since_map ||
			      dmabuf_revoke_buffer_state(imp->dmabuf) ==
			      DMABUF_REVOKE_STATE_REVOKED);
	dma_resv_unlock(imp->dmabuf->resv);
	mutex_unlock(&f->lock);

	if (copy_to_user(uarg, &args, sizeof(args)))
		return -EFAULT;
	return 0;
}

static long dbr_imp_remap(struct dbr_imp_file *f, u32 __user *uarg)
{
	struct dbr_imp *imp;
	u32 id;
	int ret;

	if (get_user(id, uarg))
		return -EFAULT;

	mutex_lock(&f->lock);
	imp = dbr_imp_find(f, "remap", id);
	if (!imp) {
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	dma_resv_lock(imp->dmabuf->resv, NULL);
	ret = dbr_imp_map_locked(imp);
	dma_resv_unlock(imp->dmabuf->resv);
	mutex_unlock(&f->lock);
	return ret;
}

static long dbr_imp_release_one(struct dbr_imp_file *f, u32 __user *uarg)
{
	struct dbr_imp *imp;
	u32 id;

	if (get_user(id, uarg))
		return -EFAULT;

	mutex_lock(&f->lock);
	imp = dbr_imp_find(f, "release", id);
	if (imp)
		idr_remove(&f->imports, id);
	mutex_unlock(&f->lock);
	if (!imp)
		return -EINVAL;
	dbr_imp_destroy(imp);
	return 0;
}

static long dbr_imp_register(struct dbr_imp_register __user *uarg)
{
	struct dbr_imp_register args;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = dbr_imp_check_mode("register", args.mode);
	if (ret)
		return ret;
	if (args.mode == DBR_IMP_LEGACY) {
		pr_warn_ratelimited("register: legacy importers have no ops to register\n");
		return -EINVAL;
	}
	if (args.cap > DMABUF_REVOKE_CAP_REVOCABLE) {
		pr_warn_ratelimited("register: cap %u is neither 0 nor 1\n",
				    args.cap);
		return -EINVAL;
	}

	/* Registering again updates the capability. */
	mutex_lock(&dbr_imp_reg_lock);
	ret = dmabuf_revoke_register_importer(dbr_imp_ops[args.mode],
					      args.cap, THIS_MODULE);
	if (!ret)
		__set_bit(args.mode, &dbr_imp_registered);
	mutex_unlock(&dbr_imp_reg_lock);
	return ret;
}

static long dbr_imp_unregister(u32 __user *uarg)
{
	u32 mode;
	int ret;

	if (get_user(mode, uarg))
		return -EFAULT;
	ret = dbr_imp_check_mode("unregister", mode);
	if (ret)
		return ret;
	if (mode == DBR_IMP_LEGACY) {
		pr_warn_ratelimited("unregister: legacy importers have no ops\n");
		return -EINVAL;
	}

	mutex_lock(&dbr_imp_reg_lock);
	if (__test_and_clear_bit(mode, &dbr_imp_registered))
		dmabuf_revoke_unregister_importer(dbr_imp_ops[mode]);
	else
		ret = -ENOENT;
	mutex_unlock(&dbr_imp_reg_lock);
	return ret;
}

static long dbr_imp_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct dbr_imp_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DBR_IMP_IMPORT:
	case DBR_IMP_IMPORT_V1:
		return dbr_imp_import(f, uarg, _IOC_SIZE(cmd));
	case DBR_IMP_STATUS:
		return dbr_imp_status(f, uarg);
	case DBR_IMP_REMAP:
		return dbr_imp_remap(f, uarg);
	case DBR_IMP_RELEASE:
		return dbr_imp_release_one(f, uarg);
	case DBR_IMP_REGISTER:
		return dbr_imp_register(uarg);
	case DBR_IMP_UNREGISTER:
		return dbr_imp_unregister(uarg);
	}
	pr_warn_ratelimited("unknown ioctl %#x\n", cmd);
	return -ENOTTY;
}

/*
 * Set at the end of init. misc_register() makes the node openable before
 * our device has its DMA mask (an exporter's dma_map_sgtable() would warn
 * on a NULL mask): until then there is no importer yet.
 */
static bool dbr_imp_ready;

static int dbr_imp_open(struct inode *inode, struct file *file)
{
	struct dbr_imp_file *f;

	/* Pairs with the store-release at the end of init. */
	if (!smp_load_acquire(&dbr_imp_ready))
		return -ENODEV;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	idr_init(&f->imports);
	file->private_data = f;
	return 0;
}

static int dbr_imp_release(struct inode *inode, struct file *file)
{
	struct dbr_imp_file *f = file->private_data;
	struct dbr_imp *imp;
	int id;

	/* Last reference: nobody else can reach f any more. */
	idr_for_each_entry(&f->imports, imp, id)
		dbr_imp_destroy(imp);
	idr_destroy(&f->imports);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations dbr_imp_fops = {
	.owner = THIS_MODULE,
	.open = dbr_imp_open,
	.release = dbr_imp_release,
	.unlocked_ioctl = dbr_imp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice dbr_imp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmabuf_revoke_importer",
	.fops = &dbr_imp_fops,
	.mode = 0600,
};

static int __init dmabuf_revoke_importer_init(void)
{
	int ret;

	/* Old binaries pass the struct up to and including id. */
	BUILD_BUG_ON(offsetof(struct dbr_imp_import, pci_domain) !=
		     DBR_IMP_IMPORT_V1_SIZE);
	BUILD_BUG_ON(DBR_IMP_IMPORT == DBR_IMP_IMPORT_V1);

	/*
	 * A well-behaved importer declares itself, so "strict" lets it in:
	 * before the node exists, so that no import runs unregistered.
	 */
	ret = dmabuf_revoke_register_importer(dbr_imp_ops[DBR_IMP_COMPLIANT],
					      DMABUF_REVOKE_CAP_REVOCABLE,
					      THIS_MODULE);
	if (ret)
		return ret;
	__set_bit(DBR_IMP_COMPLIANT, &dbr_imp_registered);
	ret = misc_register(&dbr_imp_misc);
	if (ret)
		goto err_unregister;
	/* Exporters dma_map_*() for our device: it needs a DMA mask. */
	ret = dma_coerce_mask_and_coherent(dbr_imp_misc.this_device,
					   DMA_BIT_MASK(64));
	if (ret)
		goto err_deregister;
	/* Pairs with open(): the mask is set before anyone can import. */
	smp_store_release(&dbr_imp_ready, true);
	pr_info("version %s loaded\n", DMABUF_REVOKE_VERSION);
	return 0;

err_deregister:
	misc_deregister(&dbr_imp_misc);
err_unregister:
	__clear_bit(DBR_IMP_COMPLIANT, &dbr_imp_registered);
	dmabuf_revoke_unregister_importer(dbr_imp_ops[DBR_IMP_COMPLIANT]);
	return ret;
}

static void __exit dmabuf_revoke_importer_exit(void)
{
	misc_deregister(&dbr_imp_misc);
	/*
	 * Registrations are deliberately left to the shim, which drops a
	 * module's entries when it unloads: the suites prove that it does.
	 */
	pr_info("unloaded\n");
}

module_init(dmabuf_revoke_importer_init);
module_exit(dmabuf_revoke_importer_exit);

MODULE_IMPORT_NS(DBR_NS(DMABUF_REVOKE));
MODULE_IMPORT_NS(DBR_NS(DMA_BUF));
MODULE_DESCRIPTION("dmabuf-revoke: test dma-buf importer");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
