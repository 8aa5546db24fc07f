// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdirty - a mediated device whose DMA writes a test scripts, for VFIO's
 * DMA logging
 *
 * VFIO's DMA logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_START, REPORT and
 * STOP) is served by migration drivers whose devices track their writes.
 * What the VFIO core and iova_bitmap make of a driver's report can be tested
 * only with such hardware, so this device lets a test say which IOVA ranges
 * it "wrote" and reports them the way a chosen real driver would: mdirty.h
 * has its two ioctls, mdirty_log.h the log.
 *
 * It does no DMA and has no regions or interrupts: no VMM can use it, and
 * it needs no migration states, as VFIO takes DMA logging without them.
 * mdirty_vmm.c is the device a VMM migrates.
 *
 * Create one with:
 *   echo $UUID > /sys/class/mdev_bus/mdirty/mdev_supported_types/mdirty-1/create
 */
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/vfio.h>

#include "mdirty.h"
#include "mdirty_log.h"

struct mdirty_state {
	struct vfio_device vdev;
	struct mutex lock;	/* the log, against the log ops and the ioctls */
	struct mdirty_log log;
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

static int mdirty_log_start(struct vfio_device *vdev,
			    struct rb_root_cached *ranges, u32 nnodes,
			    u64 *page_size)
{
	struct mdirty_state *st = to_mdirty(vdev);
	int ret;

	mutex_lock(&st->lock);
	ret = mdirty_log_begin(&st->log, ranges, nnodes, page_size);
	mutex_unlock(&st->lock);
	return ret;
}

static int mdirty_log_stop(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	mdirty_log_end(&st->log);
	mutex_unlock(&st->lock);
	return 0;
}

static int mdirty_log_read_and_clear(struct vfio_device *vdev,
				     unsigned long iova, unsigned long length,
				     struct iova_bitmap *dirty)
{
	struct mdirty_state *st = to_mdirty(vdev);
	struct mdirty_tally tally = {};
	int ret;

	mutex_lock(&st->lock);
	ret = mdirty_log_report(&st->log, iova, length, dirty, &tally);
	mutex_unlock(&st->lock);
	return ret;
}

static const struct vfio_log_ops mdirty_log_ops = {
	.log_start = mdirty_log_start,
	.log_stop = mdirty_log_stop,
	.log_read_and_clear = mdirty_log_read_and_clear,
};

static int mdirty_dma_write(struct mdirty_state *st, void __user *arg)
{
	struct mdirty_dma dma;
	int ret;

	if (copy_from_user(&dma, arg, sizeof(dma)))
		return -EFAULT;
	if (dma.argsz < sizeof(dma) || dma.flags || !dma.length ||
	    dma.iova > ULONG_MAX || dma.length - 1 > ULONG_MAX - dma.iova)
		return -EINVAL;

	mutex_lock(&st->lock);
	ret = mdirty_log_add(&st->log, dma.iova, dma.iova + dma.length - 1);
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
		st->log.mode = arg;
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

	mdirty_log_end(&st->log);
	mutex_destroy(&st->lock);
}

/* Logging does not outlive the file: the next user starts afresh. */
static void mdirty_close_device(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	mdirty_log_end(&st->log);
	st->log.mode = MDIRTY_MODE_RANGES;
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
	/* mdev wants one; the device has none of vfio-pci's regions */
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
