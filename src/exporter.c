// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_exporter: a test dma-buf exporter that revokes its buffers
 * the way vfio-pci does, following the sequence documented for
 * dma_buf_invalidate_mappings() (v7.2): under the reservation lock mark the
 * buffer revoked, notify the importers and wait for fences; then wait for
 * every importer to unmap.
 *
 * Buffers are plain pages. Guarded buffers ask the dmabuf_revoke registry
 * at attach whether the importer is revocable; unguarded ones do not, like
 * vfio-pci. Pin-capable buffers have pin/unpin ops, others none. Buffers
 * tell the shim's tracking about attach, map and revoke, unless created
 * DBR_EXP_UNTRACKED: then, like vfio-pci's, they are tracked by the hook.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "dmabuf_revoke.h"
#include "uapi/dmabuf_revoke_exporter.h"
#include "dmabuf_revoke_compat.h"

static unsigned int revoke_timeout_ms = 500;

static int revoke_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret || !ms || ms > DBR_EXP_MAX_TIMEOUT_MS) {
		pr_warn("revoke_timeout_ms: '%.*s' is not a number of ms in 1..%u\n",
			(int)min_t(size_t, strcspn(val, "\n"), 32), val,
			DBR_EXP_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	WRITE_ONCE(revoke_timeout_ms, ms);
	return 0;
}

static const struct kernel_param_ops revoke_timeout_ops = {
	.set = revoke_timeout_set,
	.get = param_get_uint,
};
module_param_cb(revoke_timeout_ms, &revoke_timeout_ops, &revoke_timeout_ms,
		0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "default wait for importers to unmap on revoke, 1..60000 ms (500)");

/* exp_name of our buffers; its address also tells our buffers apart. */
static const char dbr_exp_name[] = KBUILD_MODNAME;

struct dbr_exp_buf {
	struct dma_buf *dmabuf;
	struct page **pages;
	pgoff_t nr_pages;
	u32 flags;
	bool tracked;
	/* Written under dmabuf->resv; READ_ONCE() where resv is not held. */
	bool revoked;
	/* Serialises revoke and restore. */
	struct mutex revoke_lock;
	/* Protects the counters below and every dbr_exp_attach. */
	spinlock_t lock;
	unsigned int nr_attach;
	unsigned int nr_mapped;
	unsigned int nr_pinned;
	unsigned int revokes;
	unsigned int stale;
	/* Revoke waits here for the last unmap. */
	wait_queue_head_t unmap_wq;
};

/* Per attachment, in attach->priv. */
struct dbr_exp_attach {
	unsigned int maps;	/* live sg_tables */
	unsigned int pins;
};

/*
 * The core calls map/unmap/pin with the reservation lock held, except that
 * before v6.16 (the attachment still caches an sg_table) it maps a dynamic
 * importer of a static exporter at attach, and 6.1 does that unlocked.
 */
static void dbr_exp_assert_resv(struct dma_buf_attachment *attach)
{
#ifdef HAVE_DMA_BUF_ATTACHMENT_SGT
	if (attach->importer_ops && !attach->dmabuf->ops->pin)
		return;
#endif
	dma_resv_assert_held(attach->dmabuf->resv);
}

static int dbr_exp_attach(struct dma_buf *dmabuf,
			  struct dma_buf_attachment *attach)
{
	struct dbr_exp_buf *buf = dmabuf->priv;
	struct dbr_exp_attach *a;
	int ret;

	if (buf->flags & DBR_EXP_GUARDED) {
		ret = dmabuf_revoke_check_attach(attach);
		if (ret)
			return ret;
	}

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	/* attach runs without resv; take it to order against revoke. */
	dma_resv_lock(dmabuf->resv, NULL);
	if (buf->revoked) {
		dma_resv_unlock(dmabuf->resv);
		kfree(a);
		return -ENODEV;
	}
	attach->priv = a;
	spin_lock(&buf->lock);
	buf->nr_attach++;
	spin_unlock(&buf->lock);
	dma_resv_unlock(dmabuf->resv);

	if (buf->tracked)
		dmabuf_revoke_note_attach(attach);
	return 0;
}

static void dbr_exp_detach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attach)
{
	struct dbr_exp_buf *buf = dmabuf->priv;
	struct dbr_exp_attach *a = attach->priv;

	if (buf->tracked)
		dmabuf_revoke_note_detach(attach);

	/* An importer that detaches still mapped or pinned is buggy. */
	if (a->maps || a->pins)
		pr_warn_ratelimited("detach: %s still holds %u maps, %u pins\n",
				    dev_name(attach->dev), a->maps, a->pins);
	spin_lock(&buf->lock);
	buf->nr_attach--;
	if (a->maps)
		buf->nr_mapped--;
	if (a->pins)
		buf->nr_pinned--;
	spin_unlock(&buf->lock);
	wake_up_all(&buf->unmap_wq);
	attach->priv = NULL;
	kfree(a);
}

static int dbr_exp_pin(struct dma_buf_attachment *attach)
{
	struct dbr_exp_buf *buf = attach->dmabuf->priv;
	struct dbr_exp_attach *a = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (buf->revoked)
		return -ENODEV;

	spin_lock(&buf->lock);
	if (!a->pins++)
		buf->nr_pinned++;
	spin_unlock(&buf->lock);
	return 0;
}

static void dbr_exp_unpin(struct dma_buf_attachment *attach)
{
	struct dbr_exp_buf *buf = attach->dmabuf->priv;
	struct dbr_exp_attach *a = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	spin_lock(&buf->lock);
	if (!WARN_ON_ONCE(!a->pins) && !--a->pins)
		buf->nr_pinned--;
	spin_unlock(&buf->lock);
}

static struct sg_table *dbr_exp_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct dbr_exp_buf *buf = attach->dmabuf->priv;
	struct dbr_exp_attach *a = attach->priv;
	struct sg_table *sgt;
	bool first;
	int ret;

	dbr_exp_assert_resv(attach);
	if (READ_ONCE(buf->revoked))
		return ERR_PTR(-ENODEV);

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, buf->pages, buf->nr_pages, 0,
					buf->nr_pages << PAGE_SHIFT,
					GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_free_table;

	spin_lock(&buf->lock);
	first = !a->maps++;
	if (first)
		buf->nr_mapped++;
	spin_unlock(&buf->lock);
	if (first && buf->tracked)
		dmabuf_revoke_note_mapped(attach, true);
	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void dbr_exp_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	struct dbr_exp_buf *buf = attach->dmabuf->priv;
	struct dbr_exp_attach *a = attach->priv;
	bool last = false;

	dbr_exp_assert_resv(attach);

	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);

	spin_lock(&buf->lock);
	if (!WARN_ON_ONCE(!a->maps) && !--a->maps) {
		buf->nr_mapped--;
		last = true;
	}
	spin_unlock(&buf->lock);
	if (last && buf->tracked)
		dmabuf_revoke_note_mapped(attach, false);
	wake_up_all(&buf->unmap_wq);
}

static vm_fault_t dbr_exp_fault(struct vm_fault *vmf)
{
	struct dbr_exp_buf *buf = vmf->vma->vm_private_data;
	struct dma_resv *resv = buf->dmabuf->resv;
	vm_fault_t ret;

	/* Under resv, so that a fault cannot slip in after revoke's zap. */
	dma_resv_lock(resv, NULL);
	if (buf->revoked || vmf->pgoff >= buf->nr_pages)
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     page_to_pfn(buf->pages[vmf->pgoff]));
	dma_resv_unlock(resv);
	return ret;
}

static const struct vm_operations_struct dbr_exp_vm_ops = {
	.fault = dbr_exp_fault,
};

static int dbr_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dbr_exp_buf *buf = dmabuf->priv;

	/* vmf_insert_pfn() cannot COW: shared mappings only. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (READ_ONCE(buf->revoked))
		return -ENODEV;

	dbr_vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &dbr_exp_vm_ops;
	vma->vm_private_data = buf;
	return 0;
}

static int dbr_exp_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dbr_exp_buf *buf = dmabuf->priv;
	void *vaddr;

	if (READ_ONCE(buf->revoked))
		return -ENODEV;
	vaddr = vmap(buf->pages, buf->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void dbr_exp_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	vunmap(map->vaddr);
}

static void dbr_exp_free_buf(struct dbr_exp_buf *buf)
{
	pgoff_t i;

	for (i = 0; i < buf->nr_pages; i++)
		if (buf->pages[i])
			__free_page(buf->pages[i]);
	kvfree(buf->pages);
	mutex_destroy(&buf->revoke_lock);
	kfree(buf);
}

static void dbr_exp_release(struct dma_buf *dmabuf)
{
	struct dbr_exp_buf *buf = dmabuf->priv;

	if (buf->tracked)
		dmabuf_revoke_untrack_buffer(dmabuf);
	dbr_exp_free_buf(buf);
}

/* The ops both tables share; they differ only in pin support. */
#define DBR_EXP_OPS_COMMON			\
	.attach = dbr_exp_attach,		\
	.detach = dbr_exp_detach,		\
	.map_dma_buf = dbr_exp_map,		\
	.unmap_dma_buf = dbr_exp_unmap,		\
	.mmap = dbr_exp_mmap,			\
	.vmap = dbr_exp_vmap,			\
	.vunmap = dbr_exp_vunmap,		\
	.release = dbr_exp_release

/* Like vfio-pci on 7.1+: no pin support. */
static const struct dma_buf_ops dbr_exp_ops = {
	DBR_EXP_OPS_COMMON,
};

static const struct dma_buf_ops dbr_exp_pin_ops = {
	DBR_EXP_OPS_COMMON,
	.pin = dbr_exp_pin,
	.unpin = dbr_exp_unpin,
};

static struct dbr_exp_buf *dbr_exp_alloc_buf(u64 size, u32 flags)
{
	struct dbr_exp_buf *buf;
	pgoff_t i;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return NULL;
	buf->flags = flags;
	mutex_init(&buf->revoke_lock);
	spin_lock_init(&buf->lock);
	init_waitqueue_head(&buf->unmap_wq);

	buf->nr_pages = size >> PAGE_SHIFT;
	buf->pages = kvcalloc(buf->nr_pages, sizeof(*buf->pages), GFP_KERNEL);
	if (!buf->pages)
		goto err_free;
	for (i = 0; i < buf->nr_pages; i++) {
		buf->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!buf->pages[i])
			goto err_free;
	}
	return buf;

err_free:
	dbr_exp_free_buf(buf);
	return NULL;
}

static long dbr_exp_create(struct dbr_exp_create __user *uarg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dbr_exp_create args;
	struct dbr_exp_buf *buf;
	struct dma_buf *dmabuf;
	int fd, ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (!args.size || !PAGE_ALIGNED(args.size) ||
	    args.size > DBR_EXP_MAX_SIZE) {
		pr_warn_ratelimited("create: size %llu is not a non-zero multiple of %lu up to %u\n",
				    args.size, PAGE_SIZE, DBR_EXP_MAX_SIZE);
		return -EINVAL;
	}
	if (args.flags & ~DBR_EXP_FLAGS_ALL) {
		pr_warn_ratelimited("create: unknown flags %#x\n",
				    args.flags & ~DBR_EXP_FLAGS_ALL);
		return -EINVAL;
	}
	if ((args.flags & DBR_EXP_GUARDED) && (args.flags & DBR_EXP_UNTRACKED)) {
		pr_warn_ratelimited("create: DBR_EXP_GUARDED needs the shim's tracking: not with DBR_EXP_UNTRACKED\n");
		return -EINVAL;
	}

	buf = dbr_exp_alloc_buf(args.size, args.flags);
	if (!buf)
		return -ENOMEM;

	exp_info.exp_name = dbr_exp_name;
	exp_info.ops = args.flags & DBR_EXP_PIN_CAPABLE ?
		       &dbr_exp_pin_ops : &dbr_exp_ops;
	exp_info.size = args.size;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		dbr_exp_free_buf(buf);
		return PTR_ERR(dmabuf);
	}
	/* From here on, dma_buf_put() frees buf through release. */
	buf->dmabuf = dmabuf;

	/* Untracked: left to the hook, which tracks it like vfio-pci's. */
	if (!(args.flags & DBR_EXP_UNTRACKED)) {
		ret = dmabuf_revoke_track_buffer(dmabuf,
						 args.flags & DBR_EXP_GUARDED);
		if (ret)
			goto err_put;
		buf->tracked = true;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put;
	}
	args.fd = fd;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		ret = -EFAULT;
		goto err_put_fd;
	}
	fd_install(fd, dmabuf->file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put:
	dma_buf_put(dmabuf);
	return ret;
}

/* A reference to one of our buffers, or ERR_PTR(-EINVAL). */
static struct dma_buf *dbr_exp_get(const char *what, int fd)
{
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		pr_warn_ratelimited("%s: fd %d is not a dma-buf\n", what, fd);
		return ERR_PTR(-EINVAL);
	}
	/* Compare exp_name, not ops: a shim may wrap our ops table. */
	if (dmabuf->exp_name != dbr_exp_name) {
		pr_warn_ratelimited("%s: fd %d is a dma-buf of %s, not ours\n",
				    what, fd, dmabuf->exp_name);
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	return dmabuf;
}

/* Attachments the notification reaches: importer ops with a callback. */
static unsigned int dbr_exp_count_notified(struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *attach;
	unsigned int n = 0;

	dma_resv_assert_held(dmabuf->resv);
	list_for_each_entry(attach, &dmabuf->attachments, node)
		if (attach->importer_ops &&
		    attach->importer_ops->DBR_ATTACH_OPS_CB)
			n++;
	return n;
}

static unsigned int dbr_exp_nr_mapped(struct dbr_exp_buf *buf)
{
	unsigned int n;

	spin_lock(&buf->lock);
	n = buf->nr_mapped;
	spin_unlock(&buf->lock);
	return n;
}

static long dbr_exp_revoke(struct dbr_exp_revoke __user *uarg)
{
	struct dbr_exp_revoke args;
	struct dbr_exp_buf *buf;
	struct dma_buf *dmabuf;
	unsigned int timeout_ms;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.timeout_ms > DBR_EXP_MAX_TIMEOUT_MS) {
		pr_warn_ratelimited("revoke: timeout_ms %u exceeds %u\n",
				    args.timeout_ms, DBR_EXP_MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	timeout_ms = args.timeout_ms ?: READ_ONCE(revoke_timeout_ms);
	dmabuf = dbr_exp_get("revoke", args.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	buf = dmabuf->priv;

	mutex_lock(&buf->revoke_lock);
	dma_resv_lock(dmabuf->resv, NULL);
	WRITE_ONCE(buf->revoked, true);
	args.notified = dbr_exp_count_notified(dmabuf);
	/* From here the shim times every mapping until it goes (watchdog). */
	if (buf->tracked)
		dmabuf_revoke_note_revoking(dmabuf);
	dbr_dma_buf_notify(dmabuf);
	dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
	dma_resv_unlock(dmabuf->resv);

	/* CPU mappings: the fault handler now sees revoked and SIGBUSes. */
	unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);

	wait_event_timeout(buf->unmap_wq, !dbr_exp_nr_mapped(buf),
			   msecs_to_jiffies(timeout_ms));

	spin_lock(&buf->lock);
	args.stale = buf->nr_mapped;
	buf->stale = args.stale;
	buf->revokes++;
	spin_unlock(&buf->lock);
	if (buf->tracked)
		dmabuf_revoke_note_revoke(dmabuf, args.stale);
	mutex_unlock(&buf->revoke_lock);

	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	dma_buf_put(dmabuf);
	return ret;
}

static long dbr_exp_restore(s32 __user *uarg)
{
	struct dbr_exp_buf *buf;
	struct dma_buf *dmabuf;
	s32 fd;

	if (get_user(fd, uarg))
		return -EFAULT;
	dmabuf = dbr_exp_get("restore", fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	buf = dmabuf->priv;

	mutex_lock(&buf->revoke_lock);
	dma_resv_lock(dmabuf->resv, NULL);
	/*
	 * Untracked buffers do as vfio-pci does: its importers hear the
	 * restore too, and so the hook tells it from a revoke.
	 */
	if (!buf->tracked && buf->revoked)
		dbr_dma_buf_notify(dmabuf);
	WRITE_ONCE(buf->revoked, false);
	dma_resv_unlock(dmabuf->resv);
	if (buf->tracked)
		dmabuf_revoke_note_restore(dmabuf);
	mutex_unlock(&buf->revoke_lock);

	dma_buf_put(dmabuf);
	return 0;
}

static long dbr_exp_status(struct dbr_exp_status __user *uarg)
{
	struct dbr_exp_status args;
	struct dbr_exp_buf *buf;
	struct dma_buf *dmabuf;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	dmabuf = dbr_exp_get("status", args.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	buf = dmabuf->priv;

	args.flags = buf->flags;
	args.revoked = READ_ONCE(buf->revoked);
	spin_lock(&buf->lock);
	args.nr_attach = buf->nr_attach;
	args.nr_mapped = buf->nr_mapped;
	args.nr_pinned = buf->nr_pinned;
	args.revokes = buf->revokes;
	args.stale = buf->stale;
	spin_unlock(&buf->lock);

	if (copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
	dma_buf_put(dmabuf);
	return ret;
}

static long dbr_exp_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DBR_EXP_CREATE:
		return dbr_exp_create(uarg);
	case DBR_EXP_REVOKE:
		return dbr_exp_revoke(uarg);
	case DBR_EXP_RESTORE:
		return dbr_exp_restore(uarg);
	case DBR_EXP_STATUS:
		return dbr_exp_status(uarg);
	}
	pr_warn_ratelimited("unknown ioctl %#x\n", cmd);
	return -ENOTTY;
}

static const struct file_operations dbr_exp_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = dbr_exp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice dbr_exp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmabuf_revoke_exporter",
	.fops = &dbr_exp_fops,
	.mode = 0600,
};

static int __init dmabuf_revoke_exporter_init(void)
{
	int ret;

	ret = misc_register(&dbr_exp_misc);
	if (ret)
		return ret;
	pr_info("version %s loaded\n", DMABUF_REVOKE_VERSION);
	return 0;
}

static void __exit dmabuf_revoke_exporter_exit(void)
{
	misc_deregister(&dbr_exp_misc);
	pr_info("unloaded\n");
}

module_init(dmabuf_revoke_exporter_init);
module_exit(dmabuf_revoke_exporter_exit);

MODULE_IMPORT_NS(DBR_NS(DMABUF_REVOKE));
MODULE_IMPORT_NS(DBR_NS(DMA_BUF));
MODULE_DESCRIPTION("dmabuf-revoke: test dma-buf exporter");
MODULE_AUTHOR("dmabuf-revoke developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMABUF_REVOKE_VERSION);
