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
 * To be driven by a real VMM, the device also looks enough like a PCI
 * function for QEMU's vfio-pci (a config space and no BARs or interrupts),
 * migrates with VFIO_MIGRATION_STOP_COPY (a small device state: its config
 * space and how many DMA writes it made), and makes real DMA writes into
 * guest memory with vfio_dma_rw() when its "dma_write" attribute asks, from
 * a worker, while it is running; with logging on, each write is logged in
 * the order of the chosen mode.  The attributes of the mdev:
 *   dma_write   "IOVA LENGTH PATTERN [unlogged]", hex; writes 64-bit words
 *               PATTERN ^ their IOVA; "unlogged" leaves the write out of
 *               the log (a negative control for a VMM's migration test)
 *   log_style   "ranges" or "pages", as MDIRTY_SET_MODE
 *   dma_writes  how many writes the device made (part of its state)
 *   log_history the last START, REPORT and STOP calls and what they did,
 *               and a close with logging still on
 * Create one with:
 *   echo $UUID > /sys/class/mdev_bus/mdirty/mdev_supported_types/mdirty-1/create
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/mdev.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci_ids.h>
#include <linux/pci_regs.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>

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

/* Longest write the dma_write attribute takes. */
#define MDIRTY_MAX_DMA		SZ_16M
/* Entries of log_history. */
#define MDIRTY_HISTORY		64

/* A test-only PCI ID: a Red Hat vendor ID with no real device behind it. */
#define MDIRTY_PCI_DEVICE_ID	0x10f0
/* Region offsets in the device fd, as vfio-pci lays them out. */
#define MDIRTY_OFFSET_SHIFT	40
#define MDIRTY_INDEX_OFFSET(i)	((u64)(i) << MDIRTY_OFFSET_SHIFT)
/* The only writable config bits: decode and bus mastering. */
#define MDIRTY_COMMAND_MASK	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)

struct mdirty_range {
	unsigned long first;
	unsigned long last;	/* inclusive: ranges may end at ULONG_MAX */
};

enum mdirty_event {
	MDIRTY_EV_START,
	MDIRTY_EV_REPORT,
	MDIRTY_EV_STOP,
	MDIRTY_EV_CLOSE,	/* closed with logging on: no STOP came */
};

/* One log op: START (ranges, page size), REPORT (iova, length, records, pages) */
struct mdirty_history {
	enum mdirty_event event;
	u64 a, b, c, d;
};

/* The device state that migrates: checked whole on resume. */
#define MDIRTY_IMAGE_MAGIC	0x6d646972	/* "mdir" */
#define MDIRTY_IMAGE_VERSION	1

struct mdirty_image {
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
struct mdirty_migf {
	struct file *filp;
	struct mutex lock;	/* the fd's reads or writes against its end */
	bool disabled;		/* the device left the state of this fd */
	size_t off;		/* bytes read or written so far */
	struct mdirty_image image;
};

struct mdirty_state {
	struct vfio_device vdev;
	/*
	 * Serializes the log ops, the migration state, the config space and
	 * the device's writes against each other.
	 */
	struct mutex lock;
	enum mdirty_mode mode;
	bool logging;
	unsigned int pgshift;		/* of the page size START settled on */
	struct mdirty_range *tracked;	/* ranges given to START */
	u32 ntracked;
	struct mdirty_range *log;	/* written, not yet reported; in order */
	u32 nlog;

	bool open;			/* vfio_dma_rw() is allowed */
	enum vfio_device_mig_state mig_state;
	struct mdirty_migf *save;	/* STOP_COPY's fd */
	struct mdirty_migf *resume;	/* RESUMING's fd */
	u8 config[PCI_CFG_SPACE_SIZE];
	u64 dma_writes;

	struct mdirty_history history[MDIRTY_HISTORY];
	u32 nhistory;			/* ever recorded; the last ones are kept */
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

static void mdirty_note(struct mdirty_state *st, enum mdirty_event event,
			u64 a, u64 b, u64 c, u64 d)
{
	st->history[st->nhistory++ % MDIRTY_HISTORY] =
		(struct mdirty_history){ event, a, b, c, d };
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
	mdirty_note(st, MDIRTY_EV_START, i, *page_size, 0, 0);
out:
	mutex_unlock(&st->lock);
	return ret;
}

static int mdirty_log_stop(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	if (st->logging)
		mdirty_note(st, MDIRTY_EV_STOP, 0, 0, 0, 0);
	mdirty_drop_log(st);
	mutex_unlock(&st->lock);
	return 0;
}

/* Pages of [first, first + len) inside [wfirst, wlast]: the bits it sets. */
static u64 mdirty_pages_in(struct mdirty_state *st, unsigned long first,
			   unsigned long len, unsigned long wfirst,
			   unsigned long wlast)
{
	unsigned long lo = max(first, wfirst);
	unsigned long hi = min(first + (len - 1), wlast);

	return lo > hi ? 0 : (hi >> st->pgshift) - (lo >> st->pgshift) + 1;
}

/* What one REPORT gave the bitmap, for log_history. */
struct mdirty_tally {
	u64 records;
	u64 pages;
};

static void mdirty_record(struct mdirty_state *st, struct iova_bitmap *dirty,
			  unsigned long iova, unsigned long len,
			  unsigned long first, unsigned long last,
			  struct mdirty_tally *tally)
{
	iova_bitmap_set(dirty, iova, len);
	tally->records++;
	tally->pages += mdirty_pages_in(st, iova, len, first, last);
}

/* One record per range touching [first, last], whole, at most 2M each. */
static void mdirty_report_ranges(struct mdirty_state *st, unsigned long first,
				 unsigned long last, struct iova_bitmap *dirty,
				 struct mdirty_tally *tally)
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
			mdirty_record(st, dirty, r.first, len, first, last, tally);
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
			       unsigned long last, struct iova_bitmap *dirty,
			       struct mdirty_tally *tally)
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
			mdirty_record(st, dirty, pg << shift, 1UL << shift,
				      first, last, tally);
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
	struct mdirty_tally tally = {};
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
		goto out_note;
	/* Allocated first: what was reported must leave the log. */
	left = kvmalloc_array(st->nlog, 2 * sizeof(*left), GFP_KERNEL);
	if (!left) {
		ret = -ENOMEM;
		goto out;
	}
	if (st->mode == MDIRTY_MODE_PAGES)
		ret = mdirty_report_pages(st, iova, last, dirty, &tally);
	else
		mdirty_report_ranges(st, iova, last, dirty, &tally);
	if (ret) {
		kvfree(left);
		goto out;
	}
	mdirty_clear(st, iova, last, left);
out_note:
	mdirty_note(st, MDIRTY_EV_REPORT, iova, length, tally.records,
		    tally.pages);
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

/* Logs a write of [first, last]; the caller holds st->lock. */
static int mdirty_log_add(struct mdirty_state *st, unsigned long first,
			  unsigned long last)
{
	struct mdirty_range *log;

	if (!st->logging || !mdirty_tracked(st, first, last))
		return -EINVAL;
	if (st->nlog >= MDIRTY_MAX_WRITES)
		return -ENOSPC;
	log = kvrealloc(st->log, (st->nlog + 1) * sizeof(*log), GFP_KERNEL);
	if (!log)
		return -ENOMEM;
	log[st->nlog].first = first;
	log[st->nlog++].last = last;
	st->log = log;
	return 0;
}

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
	ret = mdirty_log_add(st, dma.iova, dma.iova + dma.length - 1);
	mutex_unlock(&st->lock);
	return ret;
}

/* PCI personality: what QEMU's vfio-pci needs to take the device. */

static void mdirty_config_reset(struct mdirty_state *st)
{
	u8 *c = st->config;

	memset(c, 0, sizeof(st->config));
	put_unaligned_le16(PCI_VENDOR_ID_REDHAT, c + PCI_VENDOR_ID);
	put_unaligned_le16(MDIRTY_PCI_DEVICE_ID, c + PCI_DEVICE_ID);
	put_unaligned_le16(PCI_CLASS_OTHERS << 8, c + PCI_CLASS_DEVICE);
	put_unaligned_le16(PCI_VENDOR_ID_REDHAT, c + PCI_SUBSYSTEM_VENDOR_ID);
	put_unaligned_le16(MDIRTY_PCI_DEVICE_ID, c + PCI_SUBSYSTEM_ID);
}

/*
 * The config space is all there is to read or write: no BARs, no ROM.
 * Writes keep only the command register's decode and bus master bits.
 * DMA does not wait for bus mastering: the VMM's test guest runs no driver.
 */
static ssize_t mdirty_config_rw(struct vfio_device *vdev, char __user *ubuf,
				size_t count, loff_t *ppos, bool write)
{
	struct mdirty_state *st = to_mdirty(vdev);
	u64 pos = *ppos;
	u8 buf[PCI_CFG_SPACE_SIZE];
	size_t off, i;

	if (pos >> MDIRTY_OFFSET_SHIFT != VFIO_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	off = pos - MDIRTY_INDEX_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
	if (off >= PCI_CFG_SPACE_SIZE)
		return -EINVAL;
	count = min(count, PCI_CFG_SPACE_SIZE - off);
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;

	mutex_lock(&st->lock);
	if (write) {
		for (i = 0; i < count; i++)
			if (off + i == PCI_COMMAND)
				st->config[PCI_COMMAND] = buf[i] & MDIRTY_COMMAND_MASK;
	} else {
		memcpy(buf, st->config + off, count);
	}
	mutex_unlock(&st->lock);

	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t mdirty_read(struct vfio_device *vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	return mdirty_config_rw(vdev, buf, count, ppos, false);
}

static ssize_t mdirty_write(struct vfio_device *vdev, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return mdirty_config_rw(vdev, (char __user *)buf, count, ppos, true);
}

static int mdirty_get_region_info(struct vfio_device *vdev,
				  struct vfio_region_info *info,
				  struct vfio_info_cap *caps)
{
	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->offset = MDIRTY_INDEX_OFFSET(info->index);
	info->size = 0;
	info->flags = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info->size = PCI_CFG_SPACE_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
	}
	return 0;
}

static long mdirty_get_info(void __user *arg)
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
static long mdirty_get_irq_info(void __user *arg)
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

static int mdirty_migf_release(struct inode *inode, struct file *filp)
{
	struct mdirty_migf *migf = filp->private_data;

	mutex_destroy(&migf->lock);
	kfree(migf);
	return 0;
}

static ssize_t mdirty_save_read(struct file *filp, char __user *buf,
				size_t len, loff_t *pos)
{
	struct mdirty_migf *migf = filp->private_data;
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

static ssize_t mdirty_resume_write(struct file *filp, const char __user *buf,
				   size_t len, loff_t *pos)
{
	struct mdirty_migf *migf = filp->private_data;
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

static const struct file_operations mdirty_save_fops = {
	.owner = THIS_MODULE,
	.read = mdirty_save_read,
	.release = mdirty_migf_release,
};

static const struct file_operations mdirty_resume_fops = {
	.owner = THIS_MODULE,
	.write = mdirty_resume_write,
	.release = mdirty_migf_release,
};

/*
 * The device keeps a reference of its own to the fd it returns, to end the
 * fd's stream when it leaves the fd's state.
 */
static struct mdirty_migf *mdirty_migf_open(const struct file_operations *fops,
					    int flags)
{
	struct mdirty_migf *migf;

	migf = kzalloc_obj(*migf, GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	migf->filp = anon_inode_getfile("mdirty_mig", fops, migf, flags);
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

static void mdirty_migf_end(struct mdirty_migf **migfp)
{
	struct mdirty_migf *migf = *migfp;

	if (!migf)
		return;
	mutex_lock(&migf->lock);
	migf->disabled = true;
	mutex_unlock(&migf->lock);
	fput(migf->filp);
	*migfp = NULL;
}

static struct file *mdirty_save_open(struct mdirty_state *st)
{
	struct mdirty_migf *migf = mdirty_migf_open(&mdirty_save_fops, O_RDONLY);

	if (IS_ERR(migf))
		return ERR_CAST(migf);
	migf->image.magic = cpu_to_le32(MDIRTY_IMAGE_MAGIC);
	migf->image.version = cpu_to_le32(MDIRTY_IMAGE_VERSION);
	migf->image.dma_writes = cpu_to_le64(st->dma_writes);
	memcpy(migf->image.config, st->config, sizeof(st->config));
	st->save = migf;
	return migf->filp;
}

static struct file *mdirty_resume_open(struct mdirty_state *st)
{
	struct mdirty_migf *migf = mdirty_migf_open(&mdirty_resume_fops, O_WRONLY);

	if (IS_ERR(migf))
		return ERR_CAST(migf);
	st->resume = migf;
	return migf->filp;
}

/* RESUMING to STOP: take the image only if all of it arrived intact. */
static int mdirty_resume_load(struct mdirty_state *st)
{
	struct mdirty_migf *migf = st->resume;
	int ret = 0;

	mutex_lock(&migf->lock);
	if (migf->off != sizeof(migf->image) ||
	    le32_to_cpu(migf->image.magic) != MDIRTY_IMAGE_MAGIC ||
	    le32_to_cpu(migf->image.version) != MDIRTY_IMAGE_VERSION) {
		ret = -EINVAL;
	} else {
		st->dma_writes = le64_to_cpu(migf->image.dma_writes);
		memcpy(st->config, migf->image.config, sizeof(st->config));
		st->config[PCI_COMMAND] &= MDIRTY_COMMAND_MASK;
		st->config[PCI_COMMAND + 1] = 0;
	}
	mutex_unlock(&migf->lock);
	mdirty_migf_end(&st->resume);
	return ret;
}

/* One arc of the state machine; the caller holds st->lock. */
static struct file *mdirty_mig_step(struct mdirty_state *st,
				    enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = st->mig_state;
	int ret;

	if ((cur == VFIO_DEVICE_STATE_RUNNING && next == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RUNNING))
		return NULL;
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_STOP_COPY)
		return mdirty_save_open(st);
	if (cur == VFIO_DEVICE_STATE_STOP_COPY && next == VFIO_DEVICE_STATE_STOP) {
		mdirty_migf_end(&st->save);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP && next == VFIO_DEVICE_STATE_RESUMING)
		return mdirty_resume_open(st);
	if (cur == VFIO_DEVICE_STATE_RESUMING && next == VFIO_DEVICE_STATE_STOP) {
		ret = mdirty_resume_load(st);
		return ret ? ERR_PTR(ret) : NULL;
	}
	return ERR_PTR(-EINVAL);
}

static struct file *mdirty_set_state(struct vfio_device *vdev,
				     enum vfio_device_mig_state new_state)
{
	struct mdirty_state *st = to_mdirty(vdev);
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
		res = mdirty_mig_step(st, next);
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

static int mdirty_get_state(struct vfio_device *vdev,
			    enum vfio_device_mig_state *state)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	*state = st->mig_state;
	mutex_unlock(&st->lock);
	return 0;
}

static int mdirty_get_data_size(struct vfio_device *vdev,
				unsigned long *stop_copy_length)
{
	*stop_copy_length = sizeof(struct mdirty_image);
	return 0;
}

static const struct vfio_migration_ops mdirty_mig_ops = {
	.migration_set_state = mdirty_set_state,
	.migration_get_state = mdirty_get_state,
	.migration_get_data_size = mdirty_get_data_size,
};

/* Ends the streams and makes the device run again; holds st->lock. */
static void mdirty_reset_locked(struct mdirty_state *st)
{
	mdirty_migf_end(&st->save);
	mdirty_migf_end(&st->resume);
	st->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mdirty_config_reset(st);
}

/* DMA: the dma_write attribute's writes, made from a worker. */

struct mdirty_dma_job {
	struct work_struct work;
	struct mdirty_state *st;
	u64 iova;
	u64 length;
	u64 pattern;
	bool unlogged;
	int ret;
};

/* Each 64-bit word holds PATTERN ^ its IOVA, so that no two pages match. */
static void mdirty_fill(u8 *buf, u64 iova, u64 length, u64 pattern)
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
static void mdirty_dma_work(struct work_struct *work)
{
	struct mdirty_dma_job *job = container_of(work, struct mdirty_dma_job, work);
	struct mdirty_state *st = job->st;
	unsigned long last = job->iova + job->length - 1;
	bool logged = false;
	u8 *buf;

	buf = kvmalloc(job->length, GFP_KERNEL);
	if (!buf) {
		job->ret = -ENOMEM;
		return;
	}
	mdirty_fill(buf, job->iova, job->length, job->pattern);

	mutex_lock(&st->lock);
	if (!st->open || st->mig_state != VFIO_DEVICE_STATE_RUNNING) {
		job->ret = -EBUSY;
		goto out;
	}
	if (st->logging && !job->unlogged) {
		job->ret = mdirty_log_add(st, job->iova, last);
		if (job->ret)
			goto out;
		logged = true;
	}
	job->ret = vfio_dma_rw(&st->vdev, job->iova, buf, job->length, true);
	if (job->ret) {
		if (logged)
			st->nlog--;
		goto out;
	}
	st->dma_writes++;
out:
	mutex_unlock(&st->lock);
	kvfree(buf);
}

static ssize_t dma_write_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct mdirty_state *st = dev_get_drvdata(dev);
	struct mdirty_dma_job job = { .st = st };
	char flag[16] = "";
	int n;

	n = sscanf(buf, "%llx %llx %llx %15s", &job.iova, &job.length,
		   &job.pattern, flag);
	if (n < 3 || (n == 4 && strcmp(flag, "unlogged")))
		return -EINVAL;
	job.unlogged = n == 4;
	if (!job.length || job.length > MDIRTY_MAX_DMA ||
	    job.iova > ULONG_MAX || job.length - 1 > ULONG_MAX - job.iova)
		return -EINVAL;

	/* type1 lets vfio_dma_rw() use the VMM's mm from a kthread only */
	INIT_WORK_ONSTACK(&job.work, mdirty_dma_work);
	queue_work(system_unbound_wq, &job.work);
	flush_work(&job.work);
	destroy_work_on_stack(&job.work);
	return job.ret ? job.ret : count;
}
static DEVICE_ATTR_WO(dma_write);

static ssize_t dma_writes_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	struct mdirty_state *st = dev_get_drvdata(dev);
	u64 n;

	mutex_lock(&st->lock);
	n = st->dma_writes;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%llu\n", n);
}
static DEVICE_ATTR_RO(dma_writes);

static const char * const mdirty_styles[] = {
	[MDIRTY_MODE_RANGES] = "ranges",
	[MDIRTY_MODE_PAGES] = "pages",
};

static ssize_t log_style_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct mdirty_state *st = dev_get_drvdata(dev);
	enum mdirty_mode mode;

	mutex_lock(&st->lock);
	mode = st->mode;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%s\n", mdirty_styles[mode]);
}

static ssize_t log_style_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct mdirty_state *st = dev_get_drvdata(dev);
	int mode = sysfs_match_string(mdirty_styles, buf);

	if (mode < 0)
		return mode;
	mutex_lock(&st->lock);
	st->mode = mode;
	mutex_unlock(&st->lock);
	return count;
}
static DEVICE_ATTR_RW(log_style);

static ssize_t log_history_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct mdirty_state *st = dev_get_drvdata(dev);
	int len = 0;
	u32 i;

	mutex_lock(&st->lock);
	i = st->nhistory > MDIRTY_HISTORY ? st->nhistory - MDIRTY_HISTORY : 0;
	for (; i < st->nhistory; i++) {
		struct mdirty_history *h = &st->history[i % MDIRTY_HISTORY];

		switch (h->event) {
		case MDIRTY_EV_START:
			len += sysfs_emit_at(buf, len, "start ranges=%llu page_size=%llu\n",
					     h->a, h->b);
			break;
		case MDIRTY_EV_REPORT:
			len += sysfs_emit_at(buf, len,
					     "report iova=0x%llx length=0x%llx records=%llu pages=%llu\n",
					     h->a, h->b, h->c, h->d);
			break;
		case MDIRTY_EV_STOP:
			len += sysfs_emit_at(buf, len, "stop\n");
			break;
		case MDIRTY_EV_CLOSE:
			len += sysfs_emit_at(buf, len, "close, logging still on\n");
			break;
		}
	}
	mutex_unlock(&st->lock);
	return len;
}
static DEVICE_ATTR_RO(log_history);

static struct attribute *mdirty_dev_attrs[] = {
	&dev_attr_dma_write.attr,
	&dev_attr_dma_writes.attr,
	&dev_attr_log_style.attr,
	&dev_attr_log_history.attr,
	NULL,
};

static const struct attribute_group mdirty_dev_group = {
	.name = "mdirty",
	.attrs = mdirty_dev_attrs,
};

static const struct attribute_group *mdirty_dev_groups[] = {
	&mdirty_dev_group,
	NULL,
};

static long mdirty_ioctl(struct vfio_device *vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct mdirty_state *st = to_mdirty(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mdirty_get_info((void __user *)arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mdirty_get_irq_info((void __user *)arg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&st->lock);
		mdirty_reset_locked(st);
		mutex_unlock(&st->lock);
		return 0;
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
	mdirty_config_reset(st);
	vdev->log_ops = &mdirty_log_ops;
	vdev->mig_ops = &mdirty_mig_ops;
	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY;
	return 0;
}

static void mdirty_release_dev(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mdirty_drop_log(st);
	mutex_destroy(&st->lock);
}

/* Each user of the device starts with a fresh one, running. */
static int mdirty_open_device(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	mdirty_reset_locked(st);
	st->dma_writes = 0;
	st->nhistory = 0;
	st->open = true;
	mutex_unlock(&st->lock);
	return 0;
}

/* Logging does not outlive the file: the next user starts afresh. */
static void mdirty_close_device(struct vfio_device *vdev)
{
	struct mdirty_state *st = to_mdirty(vdev);

	mutex_lock(&st->lock);
	st->open = false;
	if (st->logging)
		mdirty_note(st, MDIRTY_EV_CLOSE, 0, 0, 0, 0);
	mdirty_drop_log(st);
	mdirty_reset_locked(st);
	st->mode = MDIRTY_MODE_RANGES;
	mutex_unlock(&st->lock);
}

static const struct vfio_device_ops mdirty_dev_ops = {
	.name = "vfio-mdirty",
	.init = mdirty_init_dev,
	.release = mdirty_release_dev,
	.open_device = mdirty_open_device,
	.close_device = mdirty_close_device,
	.read = mdirty_read,
	.write = mdirty_write,
	.ioctl = mdirty_ioctl,
	.get_region_info_caps = mdirty_get_region_info,
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
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = 16,
	.driver = {
		.name = "mdirty",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = mdirty_dev_groups,
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
