// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_revoke_bench: times the dma-buf paths the shim sits on, inside
 * the guest kernel (ktime_get_ns() around batches), for
 * tests/guest/bin/dbr_bench. Bench-only; never shipped.
 *
 * It is its own exporter and importer and uses none of the shim's symbols,
 * so dmabuf_revoke can be loaded and unloaded between measurement blocks.
 * Two buffers, one page each, differ only in exp_name: "dbr_bench_guarded"
 * (the bench names it in the shim's exporters=) and "dbr_bench_unguarded".
 * The exporter has pin/unpin (dynamic, like a GPU driver), so a dynamic
 * importer is never mapped at attach; map_dma_buf builds a one-entry
 * sg_table and maps it through the DMA API (dma-direct for this device).
 * The importer ops (DBR_BENCH_OPS_MAX tables, all with a callback, so the
 * shim classifies the importer as revocable) count notifications.
 *
 * /dev/dmabuf_revoke_bench takes one command per write(); reads return its
 * result, then end of file until the next command. The result is
 * "ns=T1,T2,...": the time of each of S sub-batches of N operations.
 * Commands (BUF: guarded | unguarded):
 *
 *   cycle BUF N S [OPS]  attach, map, unmap, detach; the importer ops
 *                        rotate over OPS tables (default 1)
 *   map BUF N S          map + unmap on one long-lived attachment
 *   live BUF COUNT       keep COUNT attachments on BUF (0 drops them)
 *   revoke BUF N S       the exporter's revoke under the reservation lock
 *                        (move_notify; invalidate_mappings on 7.1+) with
 *                        BUF's live attachments
 *   vfio FD N S          attach + detach on the dma-buf FD (vfio-pci's)
 *
 * A bad command fails the write() with -EINVAL and a message in dmesg.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "dmabuf_revoke_compat.h"

MODULE_IMPORT_NS(DBR_NS(DMA_BUF));

#define DBR_BENCH_OPS_MAX 100
#define DBR_BENCH_LIVE_MAX 100000
#define DBR_BENCH_SUB_MAX 32
#define DBR_BENCH_ITERS_MAX 10000000
#define DBR_BENCH_CMD_MAX 128
#define DBR_BENCH_RES_MAX (DBR_BENCH_SUB_MAX * 21 + 8)

enum { DBR_BENCH_GUARDED, DBR_BENCH_UNGUARDED, DBR_BENCH_NBUF };

static const char *const dbr_bench_buf_names[DBR_BENCH_NBUF] = {
	[DBR_BENCH_GUARDED] = "guarded",
	[DBR_BENCH_UNGUARDED] = "unguarded",
};

static const char *const dbr_bench_exp_names[DBR_BENCH_NBUF] = {
	[DBR_BENCH_GUARDED] = "dbr_bench_guarded",
	[DBR_BENCH_UNGUARDED] = "dbr_bench_unguarded",
};

struct dbr_bench_buf {
	struct dma_buf *dmabuf;
	struct page *page;
	struct dma_buf_attachment **live;
	unsigned int nr_live;
	bool released;
};

/* Serializes commands: one measurement at a time. */
static DEFINE_MUTEX(dbr_bench_lock);
static struct device *dbr_bench_dev;
static struct dbr_bench_buf dbr_bench_bufs[DBR_BENCH_NBUF];
static unsigned long dbr_bench_notified;

/* The importer: a callback that only counts (under the resv lock). */
static void dbr_bench_notify(struct dma_buf_attachment *attach)
{
	dbr_bench_notified++;
}

static const struct dma_buf_attach_ops dbr_bench_importers[DBR_BENCH_OPS_MAX] = {
	[0 ... DBR_BENCH_OPS_MAX - 1] = {
		.allow_peer2peer = true,
		.DBR_ATTACH_OPS_CB = dbr_bench_notify,
	},
};

/* The exporter. */
static int dbr_bench_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void dbr_bench_unpin(struct dma_buf_attachment *attach)
{
}

static struct sg_table *dbr_bench_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct dbr_bench_buf *b = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_free;
	sg_set_page(sgt->sgl, b->page, PAGE_SIZE, 0);
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void dbr_bench_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void dbr_bench_release(struct dma_buf *dmabuf)
{
	struct dbr_bench_buf *b = dmabuf->priv;

	WRITE_ONCE(b->released, true);
}

/*
 * Each exporter has map/unmap functions of its own, as vfio-pci has: the
 * shim probes a guarded exporter's map op by address once it tracks one of
 * its buffers (bench configuration e), and an unguarded exporter sharing
 * the function would pay for that probe too.
 */
static struct sg_table *dbr_bench_map_guarded(struct dma_buf_attachment *attach,
					      enum dma_data_direction dir)
{
	return dbr_bench_map(attach, dir);
}

static void dbr_bench_unmap_guarded(struct dma_buf_attachment *attach,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	dbr_bench_unmap(attach, sgt, dir);
}

static const struct dma_buf_ops dbr_bench_exp_ops[DBR_BENCH_NBUF] = {
	[DBR_BENCH_GUARDED] = {
		.pin = dbr_bench_pin,
		.unpin = dbr_bench_unpin,
		.map_dma_buf = dbr_bench_map_guarded,
		.unmap_dma_buf = dbr_bench_unmap_guarded,
		.release = dbr_bench_release,
	},
	[DBR_BENCH_UNGUARDED] = {
		.pin = dbr_bench_pin,
		.unpin = dbr_bench_unpin,
		.map_dma_buf = dbr_bench_map,
		.unmap_dma_buf = dbr_bench_unmap,
		.release = dbr_bench_release,
	},
};

static int dbr_bench_export(int which)
{
	struct dbr_bench_buf *b = &dbr_bench_bufs[which];
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dma_buf *dmabuf;

	b->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!b->page)
		return -ENOMEM;
	b->live = kvcalloc(DBR_BENCH_LIVE_MAX, sizeof(*b->live), GFP_KERNEL);
	if (!b->live) {
		__free_page(b->page);
		return -ENOMEM;
	}
	exp.exp_name = dbr_bench_exp_names[which];
	exp.ops = &dbr_bench_exp_ops[which];
	exp.size = PAGE_SIZE;
	exp.flags = O_RDWR;
	exp.priv = b;
	/*
	 * No module reference: the buffers live as long as the module and
	 * would otherwise pin it. dbr_bench_put_all() releases them before
	 * our text can go.
	 */
	exp.owner = NULL;
	dmabuf = dma_buf_export(&exp);
	if (IS_ERR(dmabuf)) {
		kvfree(b->live);
		__free_page(b->page);
		return PTR_ERR(dmabuf);
	}
	b->dmabuf = dmabuf;
	return 0;
}

static struct dma_buf_attachment *dbr_bench_attach(struct dma_buf *dmabuf,
						   unsigned int ops)
{
	return dma_buf_dynamic_attach(dmabuf, dbr_bench_dev,
				      &dbr_bench_importers[ops], NULL);
}

static int dbr_bench_map_unmap(struct dma_buf_attachment *a)
{
	struct sg_table *sgt;

	dma_resv_lock(a->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(a, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		dma_resv_unlock(a->dmabuf->resv);
		return PTR_ERR(sgt);
	}
	dma_buf_unmap_attachment(a, sgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(a->dmabuf->resv);
	return 0;
}

/* One operation of a measurement; 0 or a negative errno. */
struct dbr_bench_op {
	int (*fn)(struct dbr_bench_op *op, unsigned long i);
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	unsigned int nr_ops;
};

static int dbr_bench_op_cycle(struct dbr_bench_op *op, unsigned long i)
{
	struct dma_buf_attachment *a;
	int ret;

	a = dbr_bench_attach(op->dmabuf, i % op->nr_ops);
	if (IS_ERR(a))
		return PTR_ERR(a);
	ret = dbr_bench_map_unmap(a);
	dma_buf_detach(op->dmabuf, a);
	return ret;
}

static int dbr_bench_op_map(struct dbr_bench_op *op, unsigned long i)
{
	return dbr_bench_map_unmap(op->attach);
}

static int dbr_bench_op_revoke(struct dbr_bench_op *op, unsigned long i)
{
	dma_resv_lock(op->dmabuf->resv, NULL);
	dbr_dma_buf_notify(op->dmabuf);
	dma_resv_unlock(op->dmabuf->resv);
	return 0;
}

static int dbr_bench_op_attach(struct dbr_bench_op *op, unsigned long i)
{
	struct dma_buf_attachment *a = dbr_bench_attach(op->dmabuf, 0);

	if (IS_ERR(a))
		return PTR_ERR(a);
	dma_buf_detach(op->dmabuf, a);
	return 0;
}

/* S sub-batches of N operations; their times in ns into @res. */
static int dbr_bench_time(struct dbr_bench_op *op, unsigned long n,
			  unsigned int s, char *res, size_t size)
{
	unsigned long i;
	unsigned int k;
	size_t len;
	u64 t0, t;
	int ret;

	len = scnprintf(res, size, "ns=");
	for (k = 0; k < s; k++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		t0 = ktime_get_ns();
		for (i = 0; i < n; i++) {
			ret = op->fn(op, i);
			if (ret)
				return ret;
		}
		t = ktime_get_ns() - t0;
		len += scnprintf(res + len, size - len, "%s%llu", k ? "," : "",
				 (unsigned long long)t);
		cond_resched();
	}
	scnprintf(res + len, size - len, "\n");
	return 0;
}

static int dbr_bench_live(struct dbr_bench_buf *b, unsigned int count)
{
	struct dma_buf_attachment *a;

	while (b->nr_live > count)
		dma_buf_detach(b->dmabuf, b->live[--b->nr_live]);
	while (b->nr_live < count) {
		if (fatal_signal_pending(current))
			return -EINTR;
		a = dbr_bench_attach(b->dmabuf, 0);
		if (IS_ERR(a))
			return PTR_ERR(a);
		b->live[b->nr_live++] = a;
	}
	return 0;
}

static int dbr_bench_buf_parse(const char *s)
{
	int i;

	for (i = 0; i < DBR_BENCH_NBUF; i++)
		if (s && !strcmp(s, dbr_bench_buf_names[i]))
			return i;
	pr_warn("'%s' is not a buffer (guarded, unguarded)\n", s ?: "");
	return -EINVAL;
}

static int dbr_bench_uint(const char *what, const char *s, unsigned int min,
			  unsigned int max, unsigned int *v)
{
	if (!s || kstrtouint(s, 10, v) || *v < min || *v > max) {
		pr_warn("%s: '%s' is not a number in %u..%u\n", what, s ?: "",
			min, max);
		return -EINVAL;
	}
	return 0;
}

/* Run one command; its result into @res. */
static int dbr_bench_run(char *cmd, char *res, size_t size)
{
	char *argv[6] = { NULL }, *p = strim(cmd), *tok;
	struct dbr_bench_op op = { .nr_ops = 1 };
	unsigned int argc = 0, n, s, v;
	struct dbr_bench_buf *b = NULL;
	int which, fd, ret;

	while ((tok = strsep(&p, " \t")) != NULL) {
		if (!*tok)
			continue;
		if (argc == ARRAY_SIZE(argv)) {
			pr_warn("too many words in the command\n");
			return -EINVAL;
		}
		argv[argc++] = tok;
	}
	if (!argc) {
		pr_warn("empty command\n");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "vfio")) {
		if (argc != 4 ||
		    dbr_bench_uint("fd", argv[1], 0, INT_MAX, &v) ||
		    dbr_bench_uint("N", argv[2], 1, DBR_BENCH_ITERS_MAX, &n) ||
		    dbr_bench_uint("S", argv[3], 1, DBR_BENCH_SUB_MAX, &s))
			goto usage;
		fd = v;
		op.dmabuf = dma_buf_get(fd);
		if (IS_ERR(op.dmabuf)) {
			pr_warn("fd %d is not a dma-buf\n", fd);
			return PTR_ERR(op.dmabuf);
		}
		op.fn = dbr_bench_op_attach;
		ret = dbr_bench_time(&op, n, s, res, size);
		dma_buf_put(op.dmabuf);
		return ret;
	}

	if (argc < 3)
		goto usage;
	which = dbr_bench_buf_parse(argv[1]);
	if (which < 0)
		return which;
	b = &dbr_bench_bufs[which];
	op.dmabuf = b->dmabuf;

	if (!strcmp(argv[0], "live")) {
		if (argc != 3 ||
		    dbr_bench_uint("COUNT", argv[2], 0, DBR_BENCH_LIVE_MAX, &v))
			goto usage;
		ret = dbr_bench_live(b, v);
		scnprintf(res, size, "live=%u\n", b->nr_live);
		return ret;
	}
	if (argc < 4 ||
	    dbr_bench_uint("N", argv[2], 1, DBR_BENCH_ITERS_MAX, &n) ||
	    dbr_bench_uint("S", argv[3], 1, DBR_BENCH_SUB_MAX, &s))
		goto usage;
	if (!strcmp(argv[0], "cycle")) {
		if (argc == 5 && dbr_bench_uint("OPS", argv[4], 1,
						DBR_BENCH_OPS_MAX, &op.nr_ops))
			goto usage;
		if (argc > 5)
			goto usage;
		op.fn = dbr_bench_op_cycle;
		return dbr_bench_time(&op, n, s, res, size);
	}
	if (argc != 4)
		goto usage;
	if (!strcmp(argv[0], "revoke")) {
		op.fn = dbr_bench_op_revoke;
		return dbr_bench_time(&op, n, s, res, size);
	}
	if (!strcmp(argv[0], "map")) {
		op.attach = dbr_bench_attach(b->dmabuf, 0);
		if (IS_ERR(op.attach))
			return PTR_ERR(op.attach);
		op.fn = dbr_bench_op_map;
		ret = dbr_bench_time(&op, n, s, res, size);
		dma_buf_detach(b->dmabuf, op.attach);
		return ret;
	}
usage:
	pr_warn("usage: cycle BUF N S [OPS] | map BUF N S | live BUF COUNT | revoke BUF N S | vfio FD N S\n");
	return -EINVAL;
}

/* Per open file: the last command's result, and how much of it was read. */
struct dbr_bench_file {
	char res[DBR_BENCH_RES_MAX];
	loff_t rpos;
};

static int dbr_bench_open(struct inode *inode, struct file *file)
{
	struct dbr_bench_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int dbr_bench_close(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t dbr_bench_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct dbr_bench_file *f = file->private_data;
	char cmd[DBR_BENCH_CMD_MAX];
	int ret;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&dbr_bench_lock);
	f->res[0] = '\0';
	f->rpos = 0;
	ret = dbr_bench_run(cmd, f->res, sizeof(f->res));
	mutex_unlock(&dbr_bench_lock);
	return ret ? ret : len;
}

static ssize_t dbr_bench_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct dbr_bench_file *f = file->private_data;

	/* The result of the last command, then end of file until the next. */
	return simple_read_from_buffer(ubuf, len, &f->rpos, f->res,
				       strlen(f->res));
}

static const struct file_operations dbr_bench_fops = {
	.owner = THIS_MODULE,
	.open = dbr_bench_open,
	.release = dbr_bench_close,
	.write = dbr_bench_write,
	.read = dbr_bench_read,
};

static struct miscdevice dbr_bench_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dmabuf_revoke_bench",
	.fops = &dbr_bench_fops,
	.mode = 0600,
};

/*
 * The last dma_buf_put() of our buffers queues their release as task work
 * of the caller (after our text may be gone, at rmmod); from a kernel
 * thread it goes to the delayed list, which flush_delayed_fput() runs.
 */
static void dbr_bench_put_fn(struct work_struct *w)
{
	int i;

	for (i = 0; i < DBR_BENCH_NBUF; i++)
		if (dbr_bench_bufs[i].dmabuf)
			dma_buf_put(dbr_bench_bufs[i].dmabuf);
	flush_delayed_fput();
}

static void dbr_bench_put_all(void)
{
	struct work_struct put_work;
	int i;

	for (i = 0; i < DBR_BENCH_NBUF; i++)
		if (dbr_bench_bufs[i].dmabuf)
			dbr_bench_live(&dbr_bench_bufs[i], 0);
	INIT_WORK_ONSTACK(&put_work, dbr_bench_put_fn);
	queue_work(system_unbound_wq, &put_work);
	flush_work(&put_work);
	destroy_work_on_stack(&put_work);
	for (i = 0; i < DBR_BENCH_NBUF; i++) {
		struct dbr_bench_buf *b = &dbr_bench_bufs[i];

		if (!b->dmabuf)
			continue;
		if (!READ_ONCE(b->released))
			pr_err("%s still referenced at unload\n",
			       dbr_bench_exp_names[i]);
		kvfree(b->live);
		__free_page(b->page);
		b->dmabuf = NULL;
	}
}

static int __init dbr_bench_init(void)
{
	int ret, i;

	dbr_bench_dev = root_device_register(KBUILD_MODNAME);
	if (IS_ERR(dbr_bench_dev))
		return PTR_ERR(dbr_bench_dev);
	ret = dma_coerce_mask_and_coherent(dbr_bench_dev, DMA_BIT_MASK(64));
	if (ret) {
		pr_err("cannot set a 64-bit DMA mask: %d\n", ret);
		goto err_dev;
	}
	for (i = 0; i < DBR_BENCH_NBUF; i++) {
		ret = dbr_bench_export(i);
		if (ret) {
			pr_err("cannot export %s: %d\n", dbr_bench_exp_names[i],
			       ret);
			goto err_bufs;
		}
	}
	ret = misc_register(&dbr_bench_misc);
	if (ret) {
		pr_err("misc_register failed: %d\n", ret);
		goto err_bufs;
	}
	return 0;

err_bufs:
	dbr_bench_put_all();
err_dev:
	root_device_unregister(dbr_bench_dev);
	return ret;
}

static void __exit dbr_bench_exit(void)
{
	misc_deregister(&dbr_bench_misc);
	mutex_lock(&dbr_bench_lock);
	dbr_bench_put_all();
	mutex_unlock(&dbr_bench_lock);
	root_device_unregister(dbr_bench_dev);
}

module_init(dbr_bench_init);
module_exit(dbr_bench_exit);

MODULE_DESCRIPTION("dmabuf-revoke: in-kernel timing of dma-buf attach, map and revoke (bench only)");
MODULE_LICENSE("GPL");
