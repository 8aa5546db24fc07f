// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdirty - a mediated device that reports DMA writes scripted by user space
 *
 * VFIO's DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START, REPORT and
 * STOP) is served by migration drivers whose devices track the writes.
 * Testing what the VFIO core and iova_bitmap make of their reports needs
 * real hardware, so this device lets user space say which IOVA ranges it
 * "wrote" (MDIRTY_DMA_WRITE) and reports them the way a chosen real driver
 * would (MDIRTY_SET_MODE):
 *
 * MDIRTY_MODE_RANGES, like mlx5: one record per written range, in the
 *   order they were written, split in pieces of at most 2M.  A range that
 *   touches the queried window is reported whole, overshooting the window
 *   on either side; only its part inside the window leaves the log, so a
 *   caller that clips records to the window loses nothing.
 * MDIRTY_MODE_PAGES, like pds: one record per dirty page at the page size
 *   given to START, in ascending order.  Pages may overshoot the window;
 *   the written bytes inside the window leave the log.
 *
 * The device has no regions and no interrupts: it only exists to be opened
 * through its vfio device cdev, bound to iommufd and logged.  Create one
 * with:
 *   echo $UUID > /sys/class/mdev_bus/mdirty/mdev_supported_types/mdirty-1/create
 */
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/mdev.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vfio.h>

/*
 * Device-specific ioctls of the vfio device fd; numbers far above those of
 * the VFIO core.  This is test ABI with no uapi header: the selftest
 * (tools/testing/selftests/iommu/iommufd_vfio_dirty_report.c) has a copy.
 *
 * MDIRTY_DMA_WRITE takes a struct mdirty_dma: the device wrote
 * [iova, iova + length), which must lie inside one range given to START.
 * MDIRTY_SET_MODE takes an enum mdirty_mode as its argument.
 */
struct mdirty_dma {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 length;
};

enum mdirty_mode {
	MDIRTY_MODE_RANGES,
	MDIRTY_MODE_PAGES,
};

#define MDIRTY_DMA_WRITE	_IO(VFIO_TYPE, VFIO_BASE + 96)
#define MDIRTY_SET_MODE		_IO(VFIO_TYPE, VFIO_BASE + 97)

/* Most written ranges the log holds; more fail with ENOSPC. */
#define MDIRTY_MAX_WRITES	4096
/* Longest record of MDIRTY_MODE_RANGES, as mlx5's tracker reports. */
#define MDIRTY_MAX_RECORD	SZ_2M

struct mdirty_range {
	unsigned long first;
	unsigned long last;	/* inclusive: ranges may end at ULONG_MAX */
};

struct mdirty_state {
	struct vfio_device vdev;
	/* Serializes the log ops against each other and against writes. */
	struct mutex lock;
	enum mdirty_mode mode;
	bool logging;
	unsigned int pgshift;		/* of the page size START settled on */
	struct mdirty_range *tracked;	/* ranges given to START */
	u32 ntracked;
	struct mdirty_range *log;	/* written, not yet reported; in order */
	u32 nlog;
};

/* The class names the mdev type directory: mdev_supported_types/mdirty-1 */
static const struct class mdirty_class = {
	.name = "mdirty",
};

static struct device mdirty_parent_dev;
static struct mdev_parent mdirty_parent;

static struct mdirty_state *to_mdirty(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdirty_state, vdev);
}

static void mdirty_drop_log(struct mdirty_state *st)
{
	kvfree(st->log);
	st->log = NULL;
	st->nlog = 0;
	kfree(st->tracked);
	st->tracked = NULL;
	st->ntracked = 0;
	st->logging = false;
}

static int mdirty_log_start(struct vfio_device *vdev,
			    struct rb_root_cached *ranges, u32 nnodes,
			    u64 *page_size)
{
	struct mdirty_state *st = to_mdirty(vdev);
	struct interval_tree_node *node;
	u32 i = 0;
	int ret = 0;

	mutex_lock(&st->lock);
	if (st->logging) {
		ret = -EBUSY;
		goto out;
	}
	/* The size is a hint: replace one no device could track at. */
	if (*page_size < SZ_4K || !is_power_of_2(*page_size))
		*page_size = SZ_4K;
	st->tracked = kcalloc(nnodes, sizeof(*st->tracked), GFP_KERNEL);
	if (!st->tracked) {
		ret = -ENOMEM;
		goto out;
	}
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX);
	     node && i < nnodes; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		st->tracked[i].first = node->start;
		st->tracked[i++].last = node->last;
	}
	st->ntracked = i;
	st->pgshift = __ffs64(*page_size);
	st->logging = true;
out:
	mutex_unlock(&st->lock);
	return ret;
}

static int mdirty_log_stop(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	mdirty_drop_log(st);
	mutex_unlock(&st->lock);
	return 0;
}

/* One record per range touching [first, last], whole, at most 2M each. */
static void mdirty_report_ranges(struct mdirty_state *st, unsigned long first,
				 unsigned long last, struct iova_bitmap *dirty)
{
	u32 i;

	for (i = 0; i < st->nlog; i++) {
		struct mdirty_range r = st->log[i];
		unsigned long len;

		if (r.last < first || r.first > last)
			continue;
		for (;;) {
			/* r.last - r.first + 1 cannot wrap: START ranges end below ULONG_MAX */
			len = min_t(unsigned long, r.last - r.first + 1, MDIRTY_MAX_RECORD);
			iova_bitmap_set(dirty, r.first, len);
			if (r.last - r.first < len)
				break;
			r.first += len;
		}
		cond_resched();
	}
}

static int mdirty_cmp_range(const void *a, const void *b)
{
	const struct mdirty_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* One record per dirty page touching [first, last], ascending. */
static int mdirty_report_pages(struct mdirty_state *st, unsigned long first,
			       unsigned long last, struct iova_bitmap *dirty)
{
	unsigned int shift = st->pgshift;
	struct mdirty_range *in;
	u64 pg, next = 0;
	u32 i, n = 0;

	in = kvmalloc_array(st->nlog, sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	for (i = 0; i < st->nlog; i++) {
		if (st->log[i].last < first || st->log[i].first > last)
			continue;
		in[n].first = max(st->log[i].first, first) >> shift;
		in[n++].last = min(st->log[i].last, last) >> shift;
	}
	sort(in, n, sizeof(*in), mdirty_cmp_range, NULL);
	/* Page numbers, so that a page at the top of the IOVA space cannot wrap. */
	for (i = 0; i < n; i++) {
		for (pg = max_t(u64, in[i].first, next); pg <= in[i].last; pg++) {
			iova_bitmap_set(dirty, pg << shift, 1UL << shift);
			if (!(pg % 1024))
				cond_resched();
		}
		next = max_t(u64, next, (u64)in[i].last + 1);
	}
	kvfree(in);
	return 0;
}

/*
 * Drops [first, last] from the log; what is left of each range stays.
 * @left has room for two pieces of each range.
 */
static void mdirty_clear(struct mdirty_state *st, unsigned long first,
			 unsigned long last, struct mdirty_range *left)
{
	u32 i, n = 0;

	for (i = 0; i < st->nlog; i++) {
		struct mdirty_range r = st->log[i];

		if (r.last < first || r.first > last) {
			left[n++] = r;
			continue;
		}
		if (r.first < first)
			left[n++] = (struct mdirty_range){ r.first, first - 1 };
		if (r.last > last)
			left[n++] = (struct mdirty_range){ last + 1, r.last };
	}
	kvfree(st->log);
	st->log = left;
	st->nlog = n;
}

static int mdirty_log_read_and_clear(struct vfio_device *vdev,
				     unsigned long iova, unsigned long length,
				     struct iova_bitmap *dirty)
{
	struct mdirty_state *st = to_mdirty(vdev);
	struct mdirty_range *left;
	unsigned long last;
	int ret = 0;

	if (!length || check_add_overflow(iova, length - 1, &last))
		return -EINVAL;
	mutex_lock(&st->lock);
	if (!st->logging) {
		ret = -EINVAL;
		goto out;
	}
	if (!st->nlog)
		goto out;
	/* Allocated first: what was reported must leave the log. */
	left = kvmalloc_array(st->nlog, 2 * sizeof(*left), GFP_KERNEL);
	if (!left) {
		ret = -ENOMEM;
		goto out;
	}
	if (st->mode == MDIRTY_MODE_PAGES)
		ret = mdirty_report_pages(st, iova, last, dirty);
	else
		mdirty_report_ranges(st, iova, last, dirty);
	if (ret)
		kvfree(left);
	else
		mdirty_clear(st, iova, last, left);
out:
	mutex_unlock(&st->lock);
	return ret;
}

static const struct vfio_log_ops mdirty_log_ops = {
	.log_start = mdirty_log_start,
	.log_stop = mdirty_log_stop,
	.log_read_and_clear = mdirty_log_read_and_clear,
};

static bool mdirty_tracked(struct mdirty_state *st, unsigned long first,
			   unsigned long last)
{
	u32 i;

	for (i = 0; i < st->ntracked; i++)
		if (first >= st->tracked[i].first && last <= st->tracked[i].last)
			return true;
	return false;
}

static int mdirty_dma_write(struct mdirty_state *st, void __user *arg)
{
	struct mdirty_dma dma;
	struct mdirty_range *log;
	unsigned long last;
	int ret = 0;

	if (copy_from_user(&dma, arg, sizeof(dma)))
		return -EFAULT;
	if (dma.argsz < sizeof(dma) || dma.flags || !dma.length ||
	    dma.iova > ULONG_MAX || dma.length - 1 > ULONG_MAX - dma.iova)
		return -EINVAL;
	last = dma.iova + dma.length - 1;

	mutex_lock(&st->lock);
	if (!st->logging || !mdirty_tracked(st, dma.iova, last)) {
		ret = -EINVAL;
		goto out;
	}
	if (st->nlog >= MDIRTY_MAX_WRITES) {
		ret = -ENOSPC;
		goto out;
	}
	log = kvrealloc(st->log, (st->nlog + 1) * sizeof(*log), GFP_KERNEL);
	if (!log) {
		ret = -ENOMEM;
		goto out;
	}
	log[st->nlog].first = dma.iova;
	log[st->nlog++].last = last;
	st->log = log;
out:
	mutex_unlock(&st->lock);
	return ret;
}

static long mdirty_ioctl(struct vfio_device *vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct mdirty_state *st = to_mdirty(vdev);

	switch (cmd) {
	case MDIRTY_DMA_WRITE:
		return mdirty_dma_write(st, (void __user *)arg);
	case MDIRTY_SET_MODE:
		if (arg != MDIRTY_MODE_RANGES && arg != MDIRTY_MODE_PAGES)
			return -EINVAL;
		mutex_lock(&st->lock);
		st->mode = arg;
		mutex_unlock(&st->lock);
		return 0;
	}
	return -ENOTTY;
}

static int mdirty_init_dev(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_init(&st->lock);
	vdev->log_ops = &mdirty_log_ops;
	return 0;
}

static void mdirty_release_dev(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mdirty_drop_log(st);
	mutex_destroy(&st->lock);
}

/* Logging does not outlive the file: the next user starts afresh. */
static void mdirty_close_device(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	mdirty_drop_log(st);
	st->mode = MDIRTY_MODE_RANGES;
	mutex_unlock(&st->lock);
}

static const struct vfio_device_ops mdirty_dev_ops = {
	.name = "vfio-mdirty",
	.init = mdirty_init_dev,
	.release = mdirty_release_dev,
	.close_device = mdirty_close_device,
	.ioctl = mdirty_ioctl,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static int mdirty_probe(struct mdev_device *mdev)
{
	struct mdirty_state *st;
	int ret;

	st = vfio_alloc_device(mdirty_state, vdev, &mdev->dev, &mdirty_dev_ops);
	if (IS_ERR(st))
		return PTR_ERR(st);
	ret = vfio_register_emulated_iommu_dev(&st->vdev);
	if (ret) {
		vfio_put_device(&st->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, st);
	return 0;
}

static void mdirty_remove(struct mdev_device *mdev)
{
	struct mdirty_state *st = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&st->vdev);
	vfio_put_device(&st->vdev);
}

static struct mdev_type mdirty_type = {
	.sysfs_name = "1",
	.pretty_name = "DMA dirty logging test device",
};

static struct mdev_type *mdirty_types[] = { &mdirty_type };

static struct mdev_driver mdirty_driver = {
	/* Only shown in sysfs: the device has no PCI regions. */
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = 16,
	.driver = {
		.name = "mdirty",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = mdirty_probe,
	.remove = mdirty_remove,
};

static void mdirty_parent_release(struct device *dev)
{
}

static int __init mdirty_init(void)
{
	int ret;

	ret = mdev_register_driver(&mdirty_driver);
	if (ret)
		return ret;
	ret = class_register(&mdirty_class);
	if (ret)
		goto err_driver;
	mdirty_parent_dev.class = &mdirty_class;
	mdirty_parent_dev.release = mdirty_parent_release;
	dev_set_name(&mdirty_parent_dev, "mdirty");
	ret = device_register(&mdirty_parent_dev);
	if (ret)
		goto err_put;
	ret = mdev_register_parent(&mdirty_parent, &mdirty_parent_dev,
				   &mdirty_driver, mdirty_types,
				   ARRAY_SIZE(mdirty_types));
	if (ret)
		goto err_device;
	return 0;

err_device:
	device_del(&mdirty_parent_dev);
err_put:
	put_device(&mdirty_parent_dev);
	class_unregister(&mdirty_class);
err_driver:
	mdev_unregister_driver(&mdirty_driver);
	return ret;
}

static void __exit mdirty_exit(void)
{
	mdev_unregister_parent(&mdirty_parent);
	device_unregister(&mdirty_parent_dev);
	class_unregister(&mdirty_class);
	mdev_unregister_driver(&mdirty_driver);
}

module_init(mdirty_init);
module_exit(mdirty_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated device reporting scripted DMA writes to VFIO dirty logging");
MODULE_IMPORT_NS("IOMMUFD");
