// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdirty_vmm - a mediated device a VMM can live-migrate while it writes
 * guest memory by DMA and logs the writes for VFIO's DMA logging
 *
 * mtty shows a migration driver, but its DMA logging records nothing, so a
 * VMM migrating it never sees a page the device dirtied.  This device makes
 * real DMA writes into guest memory with vfio_dma_rw() and logs them the
 * way mlx5 or pds report theirs (mdirty_log.h), so that a VMM's use of
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT during live migration can be
 * tested without migration-capable hardware: after the migration, every
 * page the device wrote must hold the same bytes on the destination.
 *
 * For QEMU's vfio-pci it looks like a PCI function with a config space and
 * no BARs or interrupts; it migrates with VFIO_MIGRATION_STOP_COPY (its
 * config space and how many writes it made).  Its ID, 1af4:10f0, is from
 * the range QEMU's docs/specs/pci-ids.rst leaves to experimental use.
 *
 * The attributes of the mdev, in the group "mdirty_vmm"
 * (Documentation/ABI/testing/sysfs-bus-mdev-mdirty-vmm):
 *   dma_write   "IOVA LENGTH PATTERN [unlogged]", hex: the device writes
 *               64-bit words PATTERN ^ their IOVA while it runs; "unlogged"
 *               leaves the write out of the log (a negative control)
 *   dma_writes  how many writes the device made
 *   log_style   "ranges" or "pages": enum mdirty_mode of mdirty.h
 *   log_history the last START, REPORT and STOP calls and what they did
 * Create one with:
 *   echo $UUID > /sys/class/mdev_bus/mdirty_vmm/mdev_supported_types/mdirty_vmm-1/create
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci_ids.h>
#include <linux/pci_regs.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

#include "mdirty_log.h"

/* Longest write the dma_write attribute takes. */
#define MDVMM_MAX_DMA		SZ_16M
/* Entries of log_history. */
#define MDVMM_HISTORY		64

/* QEMU's experimental range: no real device has this ID. */
#define MDVMM_PCI_VENDOR_ID	PCI_VENDOR_ID_REDHAT_QUMRANET
#define MDVMM_PCI_DEVICE_ID	0x10f0
/* Region offsets in the device fd, as vfio-pci lays them out. */
#define MDVMM_OFFSET_SHIFT	40
#define MDVMM_INDEX_OFFSET(i)	((u64)(i) << MDVMM_OFFSET_SHIFT)
/* The only writable config bits: decode and bus mastering. */
#define MDVMM_COMMAND_MASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

enum mdvmm_event {
	MDVMM_EV_START,
	MDVMM_EV_REPORT,
	MDVMM_EV_STOP,
	MDVMM_EV_CLOSE,	/* closed with logging on: no STOP came */
};

/* One log op: START (ranges, page size), REPORT (iova, length, records, pages) */
struct mdvmm_history {
	enum mdvmm_event event;
	u64 a, b, c, d;
};

/* The device state that migrates: checked whole on resume. */
#define MDVMM_IMAGE_MAGIC	0x6d646972	/* "mdir" */
#define MDVMM_IMAGE_VERSION	1

struct mdvmm_image {
	__le32 magic;
	__le32 version;
	__le64 dma_writes;
	u8 config[PCI_CFG_SPACE_SIZE];
};

/*
 * The data fd of STOP_COPY (read) or RESUMING (written).  It holds its own
 * copy of the image so that its file ops never touch the device, which may
 * be gone before the fd is closed.
 */
struct mdvmm_migf {
	struct file *filp;
	struct mutex lock;	/* the fd's reads or writes against its end */
	bool disabled;		/* the device left the state of this fd */
	size_t off;		/* bytes read or written so far */
	struct mdvmm_image image;
};

struct mdvmm_state {
	struct vfio_device vdev;
	/*
	 * Serializes the log ops, the migration state, the config space and
	 * the device's writes against each other.
	 */
	struct mutex lock;
	struct mdirty_log log;

	bool open;			/* vfio_dma_rw() is allowed */
	enum vfio_device_mig_state mig_state;
	struct mdvmm_migf *save;	/* STOP_COPY's fd */
	struct mdvmm_migf *resume;	/* RESUMING's fd */
	u8 config[PCI_CFG_SPACE_SIZE];
	u64 dma_writes;

	struct mdvmm_history history[MDVMM_HISTORY];
	u32 nhistory;			/* ever recorded; the last ones are kept */
};

/* The class names the mdev type directory: mdev_supported_types/mdirty_vmm-1 */
static const struct class mdvmm_class = {
	.name = "mdirty_vmm",
};

static struct device mdvmm_parent_dev;
static struct mdev_parent mdvmm_parent;

static struct mdvmm_state *to_mdvmm(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdvmm_state, vdev);
}

static void mdvmm_note(struct mdvmm_state *st, enum mdvmm_event event,
		       u64 a, u64 b, u64 c, u64 d)
{
	st->history[st->nhistory++ % MDVMM_HISTORY] =
		(struct mdvmm_history){ event, a, b, c, d };
}

static int mdvmm_log_start(struct vfio_device *vdev,
			   struct rb_root_cached *ranges, u32 nnodes,
			    u64 *page_size)
{
	struct mdvmm_state *st = to_mdvmm(vdev);
	int ret;

	mutex_lock(&st->lock);
	ret = mdirty_log_begin(&st->log, ranges, nnodes, page_size);
	if (!ret)
		mdvmm_note(st, MDVMM_EV_START, st->log.ntracked, *page_size, 0, 0);
	mutex_unlock(&st->lock);
	return ret;
}

static int mdvmm_log_stop(struct vfio_device *vdev)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mutex_lock(&st->lock);
	if (st->log.on)
		mdvmm_note(st, MDVMM_EV_STOP, 0, 0, 0, 0);
	mdirty_log_end(&st->log);
	mutex_unlock(&st->lock);
	return 0;
}

static int mdvmm_log_read_and_clear(struct vfio_device *vdev,
				    unsigned long iova, unsigned long length,
				     struct iova_bitmap *dirty)
{
	struct mdvmm_state *st = to_mdvmm(vdev);
	struct mdirty_tally tally = {};
	int ret;

	mutex_lock(&st->lock);
	ret = mdirty_log_report(&st->log, iova, length, dirty, &tally);
	if (!ret)
		mdvmm_note(st, MDVMM_EV_REPORT, iova, length, tally.records,
			   tally.pages);
	mutex_unlock(&st->lock);
	return ret;
}

static const struct vfio_log_ops mdvmm_log_ops = {
	.log_start = mdvmm_log_start,
	.log_stop = mdvmm_log_stop,
	.log_read_and_clear = mdvmm_log_read_and_clear,
};

/* What QEMU's vfio-pci needs to take the device. */

static void mdvmm_config_reset(struct mdvmm_state *st)
{
	u8 *c = st->config;

	memset(c, 0, sizeof(st->config));
	put_unaligned_le16(MDVMM_PCI_VENDOR_ID, c + PCI_VENDOR_ID);
	put_unaligned_le16(MDVMM_PCI_DEVICE_ID, c + PCI_DEVICE_ID);
	put_unaligned_le16(PCI_CLASS_OTHERS << 8, c + PCI_CLASS_DEVICE);
	put_unaligned_le16(MDVMM_PCI_VENDOR_ID, c + PCI_SUBSYSTEM_VENDOR_ID);
	put_unaligned_le16(MDVMM_PCI_DEVICE_ID, c + PCI_SUBSYSTEM_ID);
}

/*
 * The config space is all there is to read or write: no BARs, no ROM.
 * Writes keep only the command register's decode and bus master bits.
 * DMA does not wait for bus mastering: the VMM's test guest runs no driver.
 */
static ssize_t mdvmm_config_rw(struct vfio_device *vdev, char __user *ubuf,
			       size_t count, loff_t *ppos, bool write)
{
	struct mdvmm_state *st = to_mdvmm(vdev);
	u64 pos = *ppos;
	u8 buf[PCI_CFG_SPACE_SIZE];
	size_t off, i;

	if (pos >> MDVMM_OFFSET_SHIFT != VFIO_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	off = pos - MDVMM_INDEX_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
	if (off >= PCI_CFG_SPACE_SIZE)
		return -EINVAL;
	count = min(count, PCI_CFG_SPACE_SIZE - off);
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;

	mutex_lock(&st->lock);
	if (write) {
		for (i = 0; i < count; i++)
			if (off + i == PCI_COMMAND)
				st->config[PCI_COMMAND] = buf[i] & MDVMM_COMMAND_MASK;
	} else {
		memcpy(buf, st->config + off, count);
	}
	mutex_unlock(&st->lock);

	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t mdvmm_read(struct vfio_device *vdev, char __user *buf,
			  size_t count, loff_t *ppos)
{
	return mdvmm_config_rw(vdev, buf, count, ppos, false);
}

static ssize_t mdvmm_write(struct vfio_device *vdev, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	return mdvmm_config_rw(vdev, (char __user *)buf, count, ppos, true);
}

static int mdvmm_get_region_info(struct vfio_device *vdev,
				 struct vfio_region_info *info,
				  struct vfio_info_cap *caps)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->offset = MDVMM_INDEX_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info->size = PCI_CFG_SPACE_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
	}
	return 0;
}

static long mdvmm_get_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* Every index exists, none has an interrupt: no INTx pin, no MSI. */
static long mdvmm_get_irq_info(void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 0;
	info.count = 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* Migration: STOP_COPY only, with a fixed-size image. */

static int mdvmm_migf_release(struct inode *inode, struct file *filp)
{
	struct mdvmm_migf *migf = filp->private_data;

	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static ssize_t mdvmm_save_read(struct file *filp, char __user *buf,
			       size_t len, loff_t *pos)
{
	struct mdvmm_migf *migf = filp->private_data;
	ssize_t ret;

	if (pos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (migf->disabled) {
		ret = -ENODEV;
		goto out;
	}
	ret = min(len, sizeof(migf->image) - migf->off);
	if (copy_to_user(buf, (u8 *)&migf->image + migf->off, ret))
		ret = -EFAULT;
	else
		migf->off += ret;
out:
	mutex_unlock(&migf->lock);
	return ret;
}

static ssize_t mdvmm_resume_write(struct file *filp, const char __user *buf,
				  size_t len, loff_t *pos)
{
	struct mdvmm_migf *migf = filp->private_data;
	ssize_t ret = len;

	if (pos)
		return -ESPIPE;
	mutex_lock(&migf->lock);
	if (migf->disabled)
		ret = -ENODEV;
	else if (len > sizeof(migf->image) - migf->off)
		ret = -EFBIG;
	else if (copy_from_user((u8 *)&migf->image + migf->off, buf, len))
		ret = -EFAULT;
	else
		migf->off += len;
	mutex_unlock(&migf->lock);
	return ret;
}

static const struct file_operations mdvmm_save_fops = {
	.owner = THIS_MODULE,
	.read = mdvmm_save_read,
	.release = mdvmm_migf_release,
};

static const struct file_operations mdvmm_resume_fops = {
	.owner = THIS_MODULE,
	.write = mdvmm_resume_write,
	.release = mdvmm_migf_release,
};

/*
 * The device keeps a reference of its own to the fd it returns, to end the
 * fd's stream when it leaves the fd's state.
 */
static struct mdvmm_migf *mdvmm_migf_open(const struct file_operations *fops,
					  int flags)
{
	struct mdvmm_migf *migf;

	migf = kzalloc_obj(*migf, GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	migf->filp = anon_inode_getfile("mdirty_vmm_mig", fops, migf, flags);
	if (IS_ERR(migf->filp)) {
		struct file *err = migf->filp;

		kfree(migf);
		return ERR_CAST(err);
	}
	stream_open(migf->filp->f_inode, migf->filp);
	mutex_init(&migf->lock);
	get_file(migf->filp);
	return migf;
}

static void mdvmm_migf_end(struct mdvmm_migf **migfp)
{
	struct mdvmm_migf *migf = *migfp;

	if (!migf)
		return;
	mutex_lock(&migf->lock);
	migf->disabled = true;
	mutex_unlock(&migf->lock);
	fput(migf->filp);
	*migfp = NULL;
}

static struct file *mdvmm_save_open(struct mdvmm_state *st)
{
	struct mdvmm_migf *migf = mdvmm_migf_open(&mdvmm_save_fops, O_RDONLY);

	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->image.magic = cpu_to_le32(MDVMM_IMAGE_MAGIC);
	migf->image.version = cpu_to_le32(MDVMM_IMAGE_VERSION);
	migf->image.dma_writes = cpu_to_le64(st->dma_writes);
	memcpy(migf->image.config, st->config, sizeof(st->config));
	st->save = migf;
	return migf->filp;
}

static struct file *mdvmm_resume_open(struct mdvmm_state *st)
{
	struct mdvmm_migf *migf = mdvmm_migf_open(&mdvmm_resume_fops, O_WRONLY);

	if (IS_ERR(migf))
		return ERR_CAST(migf);
	st->resume = migf;
	return migf->filp;
}

/* RESUMING to STOP: take the image only if all of it arrived intact. */
static int mdvmm_resume_load(struct mdvmm_state *st)
{
	struct mdvmm_migf *migf = st->resume;
	int ret = 0;

	mutex_lock(&migf->lock);
	if (migf->off != sizeof(migf->image) ||
	    le32_to_cpu(migf->image.magic) != MDVMM_IMAGE_MAGIC ||
	    le32_to_cpu(migf->image.version) != MDVMM_IMAGE_VERSION) {
		ret = -EINVAL;
	} else {
		st->dma_writes = le64_to_cpu(migf->image.dma_writes);
		memcpy(st->config, migf->image.config, sizeof(st->config));
		st->config[PCI_COMMAND] &= MDVMM_COMMAND_MASK;
		st->config[PCI_COMMAND + 1] = 0;
	}
	mutex_unlock(&migf->lock);
	mdvmm_migf_end(&st->resume);
	return ret;
}

/* One arc of the state machine; the caller holds st->lock. */
static struct file *mdvmm_mig_step(struct mdvmm_state *st,
				   enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = st->mig_state;
	int ret;

	if ((cur == VFIO_DEVICE_STATE_RUNNING && next == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RUNNING))
		return NULL;
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_STOP_COPY)
		return mdvmm_save_open(st);
	if (cur == VFIO_DEVICE_STATE_STOP_COPY && next == VFIO_DEVICE_STATE_STOP) {
		mdvmm_migf_end(&st->save);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RESUMING)
		return mdvmm_resume_open(st);
	if (cur == VFIO_DEVICE_STATE_RESUMING && next == VFIO_DEVICE_STATE_STOP) {
		ret = mdvmm_resume_load(st);
		return ret ? ERR_PTR(ret) : NULL;
	}
	return ERR_PTR(-EINVAL);
}

static struct file *mdvmm_set_state(struct vfio_device *vdev,
				    enum vfio_device_mig_state new_state)
{
	struct mdvmm_state *st = to_mdvmm(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&st->lock);
	while (st->mig_state != new_state) {
		ret = vfio_mig_get_next_state(vdev, st->mig_state, new_state,
					      &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = mdvmm_mig_step(st, next);
		if (IS_ERR(res)) {
			/* A stream that did not load leaves the device broken */
			if (st->mig_state == VFIO_DEVICE_STATE_RESUMING)
				st->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		st->mig_state = next;
		/* Only a final state hands out an fd */
		if (WARN_ON(res && next != new_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&st->lock);
	return res;
}

static int mdvmm_get_state(struct vfio_device *vdev,
			   enum vfio_device_mig_state *state)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mutex_lock(&st->lock);
	*state = st->mig_state;
	mutex_unlock(&st->lock);
	return 0;
}

static int mdvmm_get_data_size(struct vfio_device *vdev,
			       unsigned long *stop_copy_length)
{
	*stop_copy_length = sizeof(struct mdvmm_image);
	return 0;
}

static const struct vfio_migration_ops mdvmm_mig_ops = {
	.migration_set_state = mdvmm_set_state,
	.migration_get_state = mdvmm_get_state,
	.migration_get_data_size = mdvmm_get_data_size,
};

/* Ends the streams and makes the device run again; holds st->lock. */
static void mdvmm_reset_locked(struct mdvmm_state *st)
{
	mdvmm_migf_end(&st->save);
	mdvmm_migf_end(&st->resume);
	st->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mdvmm_config_reset(st);
}

/* DMA: the dma_write attribute's writes, made from a worker. */

struct mdvmm_dma_job {
	struct work_struct work;
	struct mdvmm_state *st;
	u64 iova;
	u64 length;
	u64 pattern;
	bool unlogged;
	int ret;
};

/* Each 64-bit word holds PATTERN ^ its IOVA, so that no two pages match. */
static void mdvmm_fill(u8 *buf, u64 iova, u64 length, u64 pattern)
{
	u64 i;

	for (i = 0; i < length; i++) {
		u64 a = iova + i;
		u64 word = pattern ^ (a & ~7ULL);

		buf[i] = word >> (8 * (a & 7));
	}
}

/*
 * Writes and logs under st->lock, so that a REPORT sees a write whole or
 * not at all and a stopped device makes none: the VMM's last REPORT, with
 * the device stopped, then covers every write the device made.
 */
static void mdvmm_dma_work(struct work_struct *work)
{
	struct mdvmm_dma_job *job = container_of(work, struct mdvmm_dma_job, work);
	struct mdvmm_state *st = job->st;
	unsigned long last = job->iova + job->length - 1;
	u8 *buf;

	buf = kvmalloc(job->length, GFP_KERNEL);
	if (!buf) {
		job->ret = -ENOMEM;
		return;
	}
	mdvmm_fill(buf, job->iova, job->length, job->pattern);

	mutex_lock(&st->lock);
	if (!st->open || st->mig_state != VFIO_DEVICE_STATE_RUNNING) {
		job->ret = -EBUSY;
		goto out;
	}
	if (st->log.on && !job->unlogged) {
		job->ret = mdirty_log_add(&st->log, job->iova, last);
		if (job->ret)
			goto out;
	}
	/*
	 * A failed write stays logged: both IOMMU backends write what comes
	 * before the first page they cannot write (not mapped, or mapped
	 * read-only), and a page reported but not written costs the VMM a
	 * resend, where a page written but not reported is stale on the
	 * destination.
	 */
	job->ret = vfio_dma_rw(&st->vdev, job->iova, buf, job->length, true);
	if (job->ret)
		goto out;
	st->dma_writes++;
out:
	mutex_unlock(&st->lock);
	kvfree(buf);
}

static ssize_t dma_write_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct mdvmm_state *st = dev_get_drvdata(dev);
	struct mdvmm_dma_job job = { .st = st };
	char flag[16] = "";
	int n;

	n = sscanf(buf, "%llx %llx %llx %15s", &job.iova, &job.length,
		   &job.pattern, flag);
	if (n < 3 || (n == 4 && strcmp(flag, "unlogged")))
		return -EINVAL;
	job.unlogged = n == 4;
	if (!job.length || job.length > MDVMM_MAX_DMA ||
	    job.iova > ULONG_MAX || job.length - 1 > ULONG_MAX - job.iova)
		return -EINVAL;

	/* type1 lets vfio_dma_rw() use the VMM's mm from a kthread only */
	INIT_WORK_ONSTACK(&job.work, mdvmm_dma_work);
	queue_work(system_unbound_wq, &job.work);
	flush_work(&job.work);
	destroy_work_on_stack(&job.work);
	return job.ret ? job.ret : count;
}
static DEVICE_ATTR_WO(dma_write);

static ssize_t dma_writes_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	struct mdvmm_state *st = dev_get_drvdata(dev);
	u64 n;

	mutex_lock(&st->lock);
	n = st->dma_writes;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%llu\n", n);
}
static DEVICE_ATTR_RO(dma_writes);

static const char * const mdvmm_styles[] = {
	[MDIRTY_MODE_RANGES] = "ranges",
	[MDIRTY_MODE_PAGES] = "pages",
};

static ssize_t log_style_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct mdvmm_state *st = dev_get_drvdata(dev);
	enum mdirty_mode mode;

	mutex_lock(&st->lock);
	mode = st->log.mode;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%s\n", mdvmm_styles[mode]);
}

static ssize_t log_style_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct mdvmm_state *st = dev_get_drvdata(dev);
	int mode = sysfs_match_string(mdvmm_styles, buf);

	if (mode < 0)
		return mode;
	mutex_lock(&st->lock);
	st->log.mode = mode;
	mutex_unlock(&st->lock);
	return count;
}
static DEVICE_ATTR_RW(log_style);

static ssize_t log_history_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct mdvmm_state *st = dev_get_drvdata(dev);
	int len = 0;
	u32 i;

	mutex_lock(&st->lock);
	i = st->nhistory > MDVMM_HISTORY ? st->nhistory - MDVMM_HISTORY : 0;
	for (; i < st->nhistory; i++) {
		struct mdvmm_history *h = &st->history[i % MDVMM_HISTORY];

		switch (h->event) {
		case MDVMM_EV_START:
			len += sysfs_emit_at(buf, len, "start ranges=%llu page_size=%llu\n",
					     h->a, h->b);
			break;
		case MDVMM_EV_REPORT:
			len += sysfs_emit_at(buf, len,
					     "report iova=0x%llx length=0x%llx records=%llu pages=%llu\n",
					     h->a, h->b, h->c, h->d);
			break;
		case MDVMM_EV_STOP:
			len += sysfs_emit_at(buf, len, "stop\n");
			break;
		case MDVMM_EV_CLOSE:
			len += sysfs_emit_at(buf, len, "close, logging still on\n");
			break;
		}
	}
	mutex_unlock(&st->lock);
	return len;
}
static DEVICE_ATTR_RO(log_history);

static struct attribute *mdvmm_dev_attrs[] = {
	&dev_attr_dma_write.attr,
	&dev_attr_dma_writes.attr,
	&dev_attr_log_style.attr,
	&dev_attr_log_history.attr,
	NULL,
};

static const struct attribute_group mdvmm_dev_group = {
	.name = "mdirty_vmm",
	.attrs = mdvmm_dev_attrs,
};

static const struct attribute_group *mdvmm_dev_groups[] = {
	&mdvmm_dev_group,
	NULL,
};

static long mdvmm_ioctl(struct vfio_device *vdev, unsigned int cmd,
			unsigned long arg)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mdvmm_get_info((void __user *)arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mdvmm_get_irq_info((void __user *)arg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&st->lock);
		mdvmm_reset_locked(st);
		mutex_unlock(&st->lock);
		return 0;
	}
	return -ENOTTY;
}

static int mdvmm_init_dev(struct vfio_device *vdev)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mutex_init(&st->lock);
	mdvmm_config_reset(st);
	vdev->log_ops = &mdvmm_log_ops;
	vdev->mig_ops = &mdvmm_mig_ops;
	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	return 0;
}

static void mdvmm_release_dev(struct vfio_device *vdev)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mdirty_log_end(&st->log);
	mutex_destroy(&st->lock);
}

/* Each user of the device starts with a fresh one, running. */
static int mdvmm_open_device(struct vfio_device *vdev)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mutex_lock(&st->lock);
	mdvmm_reset_locked(st);
	st->dma_writes = 0;
	st->nhistory = 0;
	st->open = true;
	mutex_unlock(&st->lock);
	return 0;
}

/* Logging does not outlive the file: the next user starts afresh. */
static void mdvmm_close_device(struct vfio_device *vdev)
{
	struct mdvmm_state *st = to_mdvmm(vdev);

	mutex_lock(&st->lock);
	st->open = false;
	if (st->log.on)
		mdvmm_note(st, MDVMM_EV_CLOSE, 0, 0, 0, 0);
	mdirty_log_end(&st->log);
	mdvmm_reset_locked(st);
	st->log.mode = MDIRTY_MODE_RANGES;
	mutex_unlock(&st->lock);
}

static const struct vfio_device_ops mdvmm_dev_ops = {
	.name = "vfio-mdirty-vmm",
	.init = mdvmm_init_dev,
	.release = mdvmm_release_dev,
	.open_device = mdvmm_open_device,
	.close_device = mdvmm_close_device,
	.read = mdvmm_read,
	.write = mdvmm_write,
	.ioctl = mdvmm_ioctl,
	.get_region_info_caps = mdvmm_get_region_info,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static int mdvmm_probe(struct mdev_device *mdev)
{
	struct mdvmm_state *st;
	int ret;

	st = vfio_alloc_device(mdvmm_state, vdev, &mdev->dev, &mdvmm_dev_ops);
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

static void mdvmm_remove(struct mdev_device *mdev)
{
	struct mdvmm_state *st = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&st->vdev);
	vfio_put_device(&st->vdev);
}

static struct mdev_type mdvmm_type = {
	.sysfs_name = "1",
	.pretty_name = "DMA writing, dirty logging, migratable device",
};

static struct mdev_type *mdvmm_types[] = { &mdvmm_type };

static struct mdev_driver mdvmm_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = 16,
	.driver = {
		.name = "mdirty_vmm",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = mdvmm_dev_groups,
	},
	.probe = mdvmm_probe,
	.remove = mdvmm_remove,
};

static void mdvmm_parent_release(struct device *dev)
{
}

static int __init mdvmm_init(void)
{
	int ret;

	ret = mdev_register_driver(&mdvmm_driver);
	if (ret)
		return ret;
	ret = class_register(&mdvmm_class);
	if (ret)
		goto err_driver;
	mdvmm_parent_dev.class = &mdvmm_class;
	mdvmm_parent_dev.release = mdvmm_parent_release;
	dev_set_name(&mdvmm_parent_dev, "mdirty_vmm");
	ret = device_register(&mdvmm_parent_dev);
	if (ret)
		goto err_put;
	ret = mdev_register_parent(&mdvmm_parent, &mdvmm_parent_dev,
				   &mdvmm_driver, mdvmm_types,
				   ARRAY_SIZE(mdvmm_types));
	if (ret)
		goto err_device;
	return 0;

err_device:
	device_del(&mdvmm_parent_dev);
err_put:
	put_device(&mdvmm_parent_dev);
	class_unregister(&mdvmm_class);
err_driver:
	mdev_unregister_driver(&mdvmm_driver);
	return ret;
}

static void __exit mdvmm_exit(void)
{
	mdev_unregister_parent(&mdvmm_parent);
	device_unregister(&mdvmm_parent_dev);
	class_unregister(&mdvmm_class);
	mdev_unregister_driver(&mdvmm_driver);
}

module_init(mdvmm_init);
module_exit(mdvmm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated device a VMM migrates while it writes guest memory by DMA");
MODULE_IMPORT_NS("IOMMUFD");
