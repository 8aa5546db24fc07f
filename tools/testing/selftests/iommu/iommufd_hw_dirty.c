// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking of a real IOMMU driver, with a real device writing.
 *
 * Everything else in this directory tests dirty tracking on the iommufd
 * mock, whose "hardware" sets dirty bits when a test asks it to.  This
 * test runs in a guest whose IOMMU sets them itself: QEMU's intel-iommu
 * with second-stage Access/Dirty emulation (our QEMU, x-ssads=on), and
 * QEMU's "edu" PCI device (1234:11e8) as the DMA engine.  The device is
 * bound to vfio-pci and driven from user space through its vfio cdev,
 * attached to an iommufd HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
 * the test programs edu DMA to chosen pages and checks what
 * IOMMU_HWPT_GET_DIRTY_BITMAP reports.
 *
 * Why not tools/testing/selftests/vfio's libvfio: in iommufd mode its
 * vfio_pci_device_init() opens the cdev, binds it and attaches it to the
 * IOAS of its struct iommu in one static step (vfio_pci_iommufd_setup());
 * there is no way to hand it a HWPT id.  Using it would attach the device
 * to an automatic domain without dirty tracking first and then need a
 * second VFIO_DEVICE_ATTACH_IOMMUFD_PT (a replace) to reach ours, so the
 * attach path under test would not be the one a VMM uses; it also pulls
 * in libuuid.  The VFIO part needed here is small, so it is done directly:
 * open of /dev/vfio/devices/vfioN, VFIO_DEVICE_BIND_IOMMUFD,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_GET_REGION_INFO (config space
 * and BAR0), and pread()/pwrite() at those regions' offsets (bus mastering
 * in PCI_COMMAND, edu's 32-bit DMA registers).
 *
 * The edu device (QEMU hw/misc/edu.c): BAR0 0x80 DMA source, 0x88
 * destination, 0x90 count, 0x98 command (bit 0 start, cleared when done;
 * bit 1: 1 = edu buffer -> RAM, 0 = RAM -> edu buffer).  Its buffer is at
 * device address 0x40000, 4 KiB.  RAM addresses are IOVAs, ANDed with the
 * device's dma_mask (28 bits by default), and go through the IOMMU with
 * pci_dma_read()/pci_dma_write().  One command completes about 100 ms of
 * virtual time after it is started.
 *
 * Fixture hw_dirty maps a buffer into the IOAS and tracks it:
 *   pages_4k    64 anonymous 4 KiB pages at IOVA 0x100000: 4 KiB IOPTEs;
 *   hugetlb_2m  two 2 MiB hugetlb pages at IOVA 0x400000: 2 MiB IOPTEs
 *               (SKIPs when no huge page can be had).
 * Bitmaps have one bit per 4 KiB.  A device write makes the whole IOPTE it
 * lands in dirty, so the test keeps a model: one dirty flag per IOPTE, set
 * by each device write while tracking is on.  Every read is checked bit
 * for bit against the model: a bit is expected for each page of the range
 * whose IOPTE is dirty.  A read clears an IOPTE it covers whole (unless
 * NO_CLEAR); an IOPTE the range covers only in part stays dirty, so that
 * the read that covers the rest reports it too (our fix "iommupt: Keep a
 * dirty IOPTE that the range covers only in part"; stock 7.3.4 clears it,
 * and with its iova_bitmap also drops the part of a read that starts
 * inside a dirty IOPTE).
 *
 * Bitmaps are placed at odd byte offsets of a larger mapping, most of them
 * crossing a page boundary.  The uAPI describes the bitmap as u64 words
 * (data[(iova / page_size) / 64]) but asks no alignment of @data: iommufd
 * pins the user pages and addresses bits from the byte offset.  On a
 * little-endian machine bit n of those words is bit n % 8 of byte n / 8,
 * which is how the test reads it.  All bytes of the mapping around the
 * bitmap are canaries, and so are the bits of its last byte past the
 * range: none may change.
 *
 * Every device write is checked to have landed in the buffer, and every
 * device read to have returned the buffer's bytes (the edu buffer is
 * written back to a scratch page outside the tracked range), so that a
 * missing dirty bit can never be explained by a DMA that did not happen.
 *
 * Fixture hw_dirty_caps checks IOMMU_GET_HW_INFO and the HWPT allocation
 * alone.
 *
 * Environment:
 *   IOMMUFD_HW_DIRTY_BDF=0000:00:03.0  the edu device to use (default: the
 *       first 1234:11e8 in /sys/bus/pci/devices); it is bound to vfio-pci
 *       (driver_override, drivers_probe) if it is not already.
 *   IOMMUFD_HW_DIRTY_EXPECT=none  the IOMMU must NOT offer dirty tracking
 *       (stock QEMU): hw_dirty_caps checks that it does not and that a
 *       dirty-tracking HWPT is refused; every hw_dirty case SKIPs.
 *       Without it, an IOMMU without IOMMU_HW_CAP_DIRTY_TRACKING fails.
 *   IOMMUFD_HW_DIRTY_DMA_TIMEOUT=<s>  seconds to wait for one edu DMA
 *       (default 10).
 *
 * The guest needs: QEMU -machine q35 -device
 * intel-iommu,x-scalable-mode=on,x-ssads=on (not x-flts) -device edu;
 * a kernel with INTEL_IOMMU, VFIO_PCI, VFIO_DEVICE_CDEV and IOMMUFD, booted
 * with intel_iommu=on,sm_on (and without sp_off); root; devtmpfs or sysfs
 * (device nodes are made from sysfs when missing); two free 2 MiB huge
 * pages or the right to raise /proc/sys/vm/nr_hugepages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_DMA_MASK		((1ULL << 28) - 1)
/* The edu buffer: device address and size */
#define EDU_BUF			0x40000
#define EDU_BUF_SIZE		0x1000
/* Its first half holds a pattern loaded at setup: the source of writes */
#define EDU_WSRC		0x000
#define EDU_WSRC_SIZE		0x800
/* Its second half receives the device's reads of the buffer */
#define EDU_RDST		0x800

#define PG			4096UL
#define SZ_2M			(2UL << 20)
/* A 4K page outside every tracked range: edu's pattern and read-backs */
#define SCRATCH_IOVA		0x80000ULL
#define SCRATCH_RDBK		0x800

/* The mapping that holds the bitmaps and their canaries */
#define BM_AREA_SIZE		(4 * PG)
#define MAX_GRANULES		1024

#define HW_TIMEOUT		120

#define SYS_PCI			"/sys/bus/pci"

static bool expect_no_dirty(void)
{
	const char *e = getenv("IOMMUFD_HW_DIRTY_EXPECT");

	return e && !strcmp(e, "none");
}

static unsigned long dma_timeout_ms(void)
{
	const char *e = getenv("IOMMUFD_HW_DIRTY_DMA_TIMEOUT");
	long s = e ? strtol(e, NULL, 0) : 0;

	return (s > 0 ? s : 10) * 1000UL;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* 0 or -errno */
static int sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return ret;
}

/* Reads a small sysfs attribute into @buf, without the newline. */
static int sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static unsigned long sysfs_ulong(const char *path)
{
	char buf[64];

	if (sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

static bool pci_is_edu(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/vendor", bdf);
	if (sysfs_ulong(path) != EDU_VENDOR)
		return false;
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/device", bdf);
	return sysfs_ulong(path) == EDU_DEVICE;
}

/* The name of the driver @bdf is bound to, "" if none. */
static void pci_driver(const char *bdf, char *name, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		name[0] = 0;
		return;
	}
	link[n] = 0;
	base = strrchr(link, '/');
	snprintf(name, size, "%s", base ? base + 1 : link);
}

/*
 * Opens the character device @node, first making it from the "MAJ:MIN" in
 * @sysfs_dev when it does not exist (no devtmpfs).
 */
static int open_chrdev(const char *node, const char *sysfs_dev)
{
	unsigned int maj, min;
	char buf[32], dir[PATH_MAX];
	char *slash;
	int fd;

	fd = open(node, O_RDWR);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (sysfs_read(sysfs_dev, buf, sizeof(buf)) ||
	    sscanf(buf, "%u:%u", &maj, &min) != 2) {
		errno = ENOENT;
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", node);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(dir, 0755);
		*slash = '/';
	}
	if (mknod(node, S_IFCHR | 0600, makedev(maj, min)) && errno != EEXIST)
		return -1;
	return open(node, O_RDWR);
}

struct hw_dev {
	char bdf[NAME_MAX + 1];
	int iommufd;
	int devfd;
	__u32 dev_id;
	__u32 ioas_id;
	__u64 cfg_off;
	__u64 bar0_off;
};

static void find_edu(struct __test_metadata *_metadata, struct hw_dev *d)
{
	const char *env = getenv("IOMMUFD_HW_DIRTY_BDF");
	struct dirent *de;
	DIR *dir;

	d->bdf[0] = 0;
	if (env) {
		snprintf(d->bdf, sizeof(d->bdf), "%s", env);
		ASSERT_TRUE(pci_is_edu(d->bdf))
			TH_LOG("IOMMUFD_HW_DIRTY_BDF=%s is not a PCI device %04x:%04x",
			       env, EDU_VENDOR, EDU_DEVICE);
		return;
	}
	dir = opendir(SYS_PCI "/devices");
	ASSERT_NE(NULL, dir) TH_LOG("cannot list " SYS_PCI "/devices");
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !pci_is_edu(de->d_name))
			continue;
		snprintf(d->bdf, sizeof(d->bdf), "%s", de->d_name);
		break;
	}
	closedir(dir);
	ASSERT_NE(0, d->bdf[0])
		TH_LOG("no PCI device %04x:%04x: boot QEMU with -device edu",
		       EDU_VENDOR, EDU_DEVICE);
}

static void bind_vfio_pci(struct __test_metadata *_metadata, const char *bdf)
{
	char path[PATH_MAX], drv[PATH_MAX];
	int ret;

	pci_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return;
	ASSERT_EQ(0, access(SYS_PCI "/drivers/vfio-pci", F_OK))
		TH_LOG("no vfio-pci driver (CONFIG_VFIO_PCI)");
	if (drv[0]) {
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver/unbind", bdf);
		ret = sysfs_write(path, bdf);
		ASSERT_EQ(0, ret) TH_LOG("unbind %s from %s: %s", bdf, drv, strerror(-ret));
	}
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver_override", bdf);
	ret = sysfs_write(path, "vfio-pci");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	ret = sysfs_write(SYS_PCI "/drivers_probe", bdf);
	ASSERT_EQ(0, ret) TH_LOG("drivers_probe %s: %s", bdf, strerror(-ret));
	pci_driver(bdf, drv, sizeof(drv));
	ASSERT_STREQ("vfio-pci", drv);
}

static int open_vfio_cdev(struct __test_metadata *_metadata, const char *bdf)
{
	char path[PATH_MAX], node[PATH_MAX], name[NAME_MAX + 1] = "";
	struct dirent *de;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	ASSERT_NE(NULL, dir) TH_LOG("%s missing: CONFIG_VFIO_DEVICE_CDEV?", path);
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			break;
		}
	}
	closedir(dir);
	ASSERT_NE(0, name[0]) TH_LOG("no vfioN in %s", path);
	snprintf(node, sizeof(node), "/dev/vfio/devices/%s", name);
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/vfio-dev/%s/dev", bdf, name);
	fd = open_chrdev(node, path);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", node, strerror(errno));
	return fd;
}

static void region_offset(struct __test_metadata *_metadata, int devfd,
			  __u32 index, __u64 *offset)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri),
		.index = index,
	};

	ASSERT_EQ(0, ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		TH_LOG("region %u: %s", index, strerror(errno));
	ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  ri.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE));
	ASSERT_LE(0x100, ri.size);
	*offset = ri.offset;
}

/* edu bound to vfio-pci, its cdev bound to a new iommufd with one IOAS. */
static void hw_dev_open(struct __test_metadata *_metadata, struct hw_dev *d)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };

	find_edu(_metadata, d);
	bind_vfio_pci(_metadata, d->bdf);
	d->devfd = open_vfio_cdev(_metadata, d->bdf);
	d->iommufd = open_chrdev("/dev/iommu", "/sys/class/misc/iommu/dev");
	ASSERT_LE(0, d->iommufd) TH_LOG("open /dev/iommu: %s (CONFIG_IOMMUFD)",
					strerror(errno));

	bind.iommufd = d->iommufd;
	ASSERT_EQ(0, ioctl(d->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		TH_LOG("VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
	d->dev_id = bind.out_devid;
	ASSERT_EQ(0, ioctl(d->iommufd, IOMMU_IOAS_ALLOC, &ioas));
	d->ioas_id = ioas.out_ioas_id;

	region_offset(_metadata, d->devfd, VFIO_PCI_CONFIG_REGION_INDEX, &d->cfg_off);
	region_offset(_metadata, d->devfd, VFIO_PCI_BAR0_REGION_INDEX, &d->bar0_off);
}

static void hw_dev_close(struct hw_dev *d)
{
	if (d->devfd >= 0)
		close(d->devfd);
	if (d->iommufd >= 0)
		close(d->iommufd);
	d->devfd = d->iommufd = -1;
}

/* IOMMU_GET_HW_INFO: the capabilities, and a line describing the IOMMU. */
static __u64 hw_info(struct __test_metadata *_metadata, struct hw_dev *d,
		     char *desc, size_t size)
{
	__u64 data[8] = {};
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = d->dev_id,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)data,
	};

	ASSERT_EQ(0, ioctl(d->iommufd, IOMMU_GET_HW_INFO, &info))
		TH_LOG("IOMMU_GET_HW_INFO: %s", strerror(errno));
	if (info.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD) {
		struct iommu_hw_info_vtd *vtd = (void *)data;

		snprintf(desc, size,
			 "VT-d CAP 0x%llx (2M pages, bit 34: %d) ECAP 0x%llx (SMTS 43: %d, SSADS 45: %d, SMPWC 48: %d), capabilities 0x%llx",
			 (unsigned long long)vtd->cap_reg,
			 (int)(vtd->cap_reg >> 34) & 1,
			 (unsigned long long)vtd->ecap_reg,
			 (int)(vtd->ecap_reg >> 43) & 1,
			 (int)(vtd->ecap_reg >> 45) & 1,
			 (int)(vtd->ecap_reg >> 48) & 1,
			 (unsigned long long)info.out_capabilities);
	} else {
		snprintf(desc, size, "IOMMU info type %u, capabilities 0x%llx",
			 info.out_data_type,
			 (unsigned long long)info.out_capabilities);
	}
	return info.out_capabilities;
}

#define NO_DIRTY_HINT \
	"the IOMMU offers no dirty tracking: boot our QEMU with -device intel-iommu,x-scalable-mode=on,x-ssads=on and the guest with intel_iommu=on,sm_on (IOMMUFD_HW_DIRTY_EXPECT=none for a stock QEMU)"

static int hwpt_alloc(struct hw_dev *d, __u32 flags, __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = flags,
		.dev_id = d->dev_id,
		.pt_id = d->ioas_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int ret;

	ret = ioctl(d->iommufd, IOMMU_HWPT_ALLOC, &alloc);
	*hwpt_id = alloc.out_hwpt_id;
	return ret;
}

static int attach(struct hw_dev *d, __u32 pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};

	return ioctl(d->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

static int set_dirty_tracking(struct hw_dev *d, __u32 hwpt_id, bool on)
{
	struct iommu_hwpt_set_dirty_tracking st = {
		.size = sizeof(st),
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};

	return ioctl(d->iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &st);
}

static int get_dirty(struct hw_dev *d, __u32 hwpt_id, __u64 iova, __u64 length,
		     __u32 flags, void *data)
{
	struct iommu_hwpt_get_dirty_bitmap gdb = {
		.size = sizeof(gdb),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = PG,
		.data = (uintptr_t)data,
	};

	return ioctl(d->iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gdb);
}

static void ioas_map(struct __test_metadata *_metadata, struct hw_dev *d,
		     void *va, size_t length, __u64 iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = d->ioas_id,
		.user_va = (uintptr_t)va,
		.length = length,
		.iova = iova,
	};

	ASSERT_EQ(0, ioctl(d->iommufd, IOMMU_IOAS_MAP, &map))
		TH_LOG("IOAS_MAP of 0x%zx bytes at IOVA 0x%llx: %s", length,
		       (unsigned long long)iova, strerror(errno));
}

static void cfg_enable_master(struct __test_metadata *_metadata, struct hw_dev *d)
{
	__u16 cmd;

	ASSERT_EQ(2, pread(d->devfd, &cmd, 2, d->cfg_off + PCI_COMMAND));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(2, pwrite(d->devfd, &cmd, 2, d->cfg_off + PCI_COMMAND));
	ASSERT_EQ(2, pread(d->devfd, &cmd, 2, d->cfg_off + PCI_COMMAND));
	ASSERT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
}

static int edu_wr(struct hw_dev *d, unsigned int reg, __u32 val)
{
	return pwrite(d->devfd, &val, 4, d->bar0_off + reg) == 4 ? 0 : -EIO;
}

static int edu_rd(struct hw_dev *d, unsigned int reg, __u32 *val)
{
	return pread(d->devfd, val, 4, d->bar0_off + reg) == 4 ? 0 : -EIO;
}

/*
 * One edu DMA of @len bytes between IOVA @iova and edu buffer offset
 * @edu_off, edu -> RAM if @to_ram; returns when the device is done: 0,
 * -EIO (a register access failed), -EBUSY (a DMA still runs) or
 * -ETIMEDOUT.  No harness assertions: the race case calls it from a thread.
 */
static int edu_dma_raw(struct hw_dev *d, bool to_ram, __u64 iova,
		       unsigned int edu_off, unsigned int len)
{
	unsigned long long start, limit = dma_timeout_ms();
	__u32 cmd;

	if (edu_rd(d, EDU_REG_DMA_CMD, &cmd))
		return -EIO;
	if (cmd & EDU_CMD_START)
		return -EBUSY;
	if (edu_wr(d, EDU_REG_DMA_SRC, to_ram ? EDU_BUF + edu_off : (__u32)iova) ||
	    edu_wr(d, EDU_REG_DMA_DST, to_ram ? (__u32)iova : EDU_BUF + edu_off) ||
	    edu_wr(d, EDU_REG_DMA_CNT, len) ||
	    edu_wr(d, EDU_REG_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0)))
		return -EIO;
	start = now_ms();
	for (;;) {
		if (edu_rd(d, EDU_REG_DMA_CMD, &cmd))
			return -EIO;
		if (!(cmd & EDU_CMD_START))
			return 0;
		if (now_ms() - start >= limit)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

static void edu_dma(struct __test_metadata *_metadata, struct hw_dev *d,
		    bool to_ram, __u64 iova, unsigned int edu_off, unsigned int len)
{
	int ret;

	ASSERT_EQ(iova, iova & EDU_DMA_MASK);
	ASSERT_LE(edu_off + len, EDU_BUF_SIZE);
	ret = edu_dma_raw(d, to_ram, iova, edu_off, len);
	ASSERT_EQ(0, ret)
		TH_LOG("edu DMA %s IOVA 0x%llx (%u bytes): %s", to_ram ? "to" : "from",
		       (unsigned long long)iova, len, strerror(-ret));
}

FIXTURE(hw_dirty_caps) {
	struct hw_dev d;
};

FIXTURE_SETUP(hw_dirty_caps)
{
	self->d.devfd = self->d.iommufd = -1;
	hw_dev_open(_metadata, &self->d);
}

FIXTURE_TEARDOWN(hw_dirty_caps)
{
	hw_dev_close(&self->d);
}

/* IOMMU_GET_HW_INFO reports IOMMU_HW_CAP_DIRTY_TRACKING (or not, if told). */
TEST_F(hw_dirty_caps, get_hw_info)
{
	char desc[512];
	__u64 caps;

	caps = hw_info(_metadata, &self->d, desc, sizeof(desc));
	TH_LOG("%s: %s", self->d.bdf, desc);
	if (expect_no_dirty()) {
		ASSERT_EQ(0, caps & IOMMU_HW_CAP_DIRTY_TRACKING)
			TH_LOG("IOMMUFD_HW_DIRTY_EXPECT=none, but the IOMMU offers dirty tracking");
	} else {
		ASSERT_NE(0, caps & IOMMU_HW_CAP_DIRTY_TRACKING)
			TH_LOG("%s", NO_DIRTY_HINT);
	}
}

/*
 * A dirty-tracking HWPT is allocated, the device attaches to it, tracking
 * turns on and off; without the capability the allocation is refused.
 */
TEST_F(hw_dirty_caps, hwpt_alloc_dirty)
{
	__u32 hwpt_id = 0;
	int ret;

	ret = hwpt_alloc(&self->d, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt_id);
	if (expect_no_dirty()) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(EOPNOTSUPP, errno);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("HWPT_ALLOC(DIRTY_TRACKING): %s", strerror(errno));
	ASSERT_EQ(0, attach(&self->d, hwpt_id))
		TH_LOG("ATTACH_IOMMUFD_PT: %s", strerror(errno));
	ASSERT_EQ(0, set_dirty_tracking(&self->d, hwpt_id, true));
	ASSERT_EQ(0, set_dirty_tracking(&self->d, hwpt_id, false));
	ASSERT_EQ(0, set_dirty_tracking(&self->d, hwpt_id, true));
}

FIXTURE(hw_dirty) {
	struct hw_dev d;
	__u32 hwpt_id;
	__u64 iova;
	size_t size;
	unsigned char *buf;
	unsigned char *scratch;
	unsigned char *bm_area;
	unsigned long npages;
	unsigned long gpp;	/* 4K pages per IOPTE */
	unsigned long nreads;
	bool tracking;
	/* The model: one flag per IOPTE of the buffer */
	unsigned char gdirty[MAX_GRANULES];
	/* What edu's buffer holds at EDU_WSRC */
	unsigned char pattern[EDU_WSRC_SIZE];
};

FIXTURE_VARIANT(hw_dirty) {
	bool hugetlb;
	size_t size;
	__u64 iova;
	unsigned long granule;
};

FIXTURE_VARIANT_ADD(hw_dirty, pages_4k) {
	.hugetlb = false,
	.size = 64 * PG,
	.iova = 0x100000,
	.granule = PG,
};

FIXTURE_VARIANT_ADD(hw_dirty, hugetlb_2m) {
	.hugetlb = true,
	.size = 2 * SZ_2M,
	.iova = 0x400000,
	.granule = SZ_2M,
};

/* Makes @need 2M huge pages free if the pool can grow; best effort. */
static void reserve_hugepages(unsigned long need)
{
	const char *dir = "/sys/kernel/mm/hugepages/hugepages-2048kB";
	unsigned long nr, nfree;
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	nfree = sysfs_ulong(path);
	if (nfree != ULONG_MAX && nfree >= need)
		return;
	snprintf(path, sizeof(path), "%s/nr_hugepages", dir);
	nr = sysfs_ulong(path);
	if (nr == ULONG_MAX || nfree == ULONG_MAX)
		return;
	snprintf(val, sizeof(val), "%lu", nr + need - nfree);
	sysfs_write(path, val);
}

static void *map_anon(size_t size, int flags)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

/* The odd offsets in bm_area where successive reads put their bitmap. */
static const unsigned long bm_offsets[] = {
	PG - 3,			/* crosses the first page boundary */
	1,
	2 * PG - 5,		/* crosses the second */
	3 * PG - 63,		/* crosses the third when over 63 bytes */
};

/* Canary bytes alternate 0x00 and 0xff, 0x00 next to the bitmap. */
static unsigned char canary(unsigned long i, unsigned long start, unsigned long end)
{
	unsigned long dist = i < start ? start - i : i - end + 1;

	return dist & 1 ? 0x00 : 0xff;
}

static bool model_bit(FIXTURE_DATA(hw_dirty) *self, unsigned long page)
{
	return self->gdirty[page / self->gpp];
}

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP of @n pages from page @first of the buffer,
 * checked against the model bit for bit, canaries included; then the model
 * forgets what the read cleared.
 */
static void read_check(struct __test_metadata *_metadata,
		       FIXTURE_DATA(hw_dirty) *self, unsigned long first,
		       unsigned long n, __u32 flags)
{
	unsigned long off = bm_offsets[self->nreads++ % ARRAY_SIZE(bm_offsets)];
	unsigned long nbytes = (n + 7) / 8, i, bad = 0, badpos = 0;
	unsigned long got_set = 0, want_set = 0, wrong = 0;
	unsigned char *bm = self->bm_area + off;
	int ret, err;

	ASSERT_LE(first + n, self->npages);
	ASSERT_LT(off + nbytes, BM_AREA_SIZE);
	for (i = 0; i < BM_AREA_SIZE; i++)
		self->bm_area[i] = canary(i, off, off + nbytes);
	memset(bm, 0, nbytes);

	ret = get_dirty(&self->d, self->hwpt_id, self->iova + first * PG, n * PG,
			flags, bm);
	err = errno;
	ASSERT_EQ(0, ret) TH_LOG("GET_DIRTY_BITMAP of pages [%lu, %lu): %s",
				 first, first + n, strerror(err));

	for (i = 0; i < BM_AREA_SIZE; i++) {
		if (i >= off && i < off + nbytes)
			continue;
		if (self->bm_area[i] != canary(i, off, off + nbytes) && !bad++)
			badpos = i;
	}
	ASSERT_EQ(0, bad)
		TH_LOG("read of pages [%lu, %lu): %lu canary bytes changed, the first %ld bytes from the bitmap's start (bitmap %lu bytes at offset %lu)",
		       first, first + n, bad, (long)badpos - (long)off, nbytes, off);

	for (i = 0; i < nbytes * 8; i++) {
		bool got = bm[i / 8] >> (i % 8) & 1;
		bool want = i < n && model_bit(self, first + i);

		got_set += got;
		want_set += want;
		if (got == want)
			continue;
		if (wrong++ < 8)
			TH_LOG("page %lu (IOVA 0x%llx): dirty bit %d, expected %d%s",
			       first + i,
			       (unsigned long long)(self->iova + (first + i) * PG),
			       got, want, i >= n ? " (past the range)" : "");
	}
	ASSERT_EQ(0, wrong)
		TH_LOG("read of pages [%lu, %lu)%s: %lu bits wrong, %lu set, %lu expected%s",
		       first, first + n, flags ? " NO_CLEAR" : "", wrong,
		       got_set, want_set,
		       self->gpp > 1 ? " (a dirty 2M IOPTE reports all its pages in the range; only the written pages would mean 4K IOPTEs)" : "");

	if (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
		return;
	for (i = 0; i < self->npages / self->gpp; i++) {
		if (i * self->gpp >= first && (i + 1) * self->gpp <= first + n)
			self->gdirty[i] = 0;
	}
}

static void read_all(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hw_dirty) *self, __u32 flags)
{
	read_check(_metadata, self, 0, self->npages, flags);
}

static void set_tracking(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hw_dirty) *self, bool on)
{
	ASSERT_EQ(0, set_dirty_tracking(&self->d, self->hwpt_id, on))
		TH_LOG("SET_DIRTY_TRACKING(%d): %s", on, strerror(errno));
	self->tracking = on;
	/* Turning it on clears every dirty bit first */
	if (on)
		memset(self->gdirty, 0, sizeof(self->gdirty));
}

/*
 * The device writes @len bytes at byte @off of page @page of the buffer;
 * the bytes must land, and the model marks the IOPTEs written.
 */
static void dev_write(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hw_dirty) *self, unsigned long page,
		      unsigned long off, unsigned int len)
{
	unsigned long boff = page * PG + off, p;
	unsigned int src = (page * 24 + off) % (EDU_WSRC_SIZE - len), i;

	ASSERT_LE(boff + len, self->size);
	for (i = 0; i < len; i++)
		self->buf[boff + i] = ~self->pattern[src + i];
	edu_dma(_metadata, &self->d, true, self->iova + boff, EDU_WSRC + src, len);
	ASSERT_EQ(0, memcmp(self->buf + boff, self->pattern + src, len))
		TH_LOG("the device's write to IOVA 0x%llx did not land",
		       (unsigned long long)(self->iova + boff));
	if (!self->tracking)
		return;
	for (p = boff / PG; p <= (boff + len - 1) / PG; p++)
		self->gdirty[p / self->gpp] = 1;
}

/*
 * The device reads @len bytes at byte @off of page @page; edu then writes
 * them to the scratch page, where they must equal the buffer's.
 */
static void dev_read(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hw_dirty) *self, unsigned long page,
		     unsigned long off, unsigned int len)
{
	unsigned long boff = page * PG + off;
	unsigned int i;

	ASSERT_LE(boff + len, self->size);
	ASSERT_LE(len, EDU_BUF_SIZE - EDU_RDST);
	ASSERT_LE(len, PG - SCRATCH_RDBK);
	for (i = 0; i < len; i++) {
		self->buf[boff + i] = (unsigned char)(page * 7 + i * 13 + 1);
		self->scratch[SCRATCH_RDBK + i] = ~self->buf[boff + i];
	}
	edu_dma(_metadata, &self->d, false, self->iova + boff, EDU_RDST, len);
	edu_dma(_metadata, &self->d, true, SCRATCH_IOVA + SCRATCH_RDBK, EDU_RDST, len);
	ASSERT_EQ(0, memcmp(self->scratch + SCRATCH_RDBK, self->buf + boff, len))
		TH_LOG("the device's read of IOVA 0x%llx did not return the buffer's bytes",
		       (unsigned long long)(self->iova + boff));
}

FIXTURE_SETUP(hw_dirty)
{
	char desc[512];
	unsigned int i;
	__u64 caps;

	self->d.devfd = self->d.iommufd = -1;
	self->buf = self->scratch = self->bm_area = MAP_FAILED;
	self->iova = variant->iova;
	self->size = variant->size;
	self->npages = variant->size / PG;
	self->gpp = variant->granule / PG;
	ASSERT_LE(self->npages / self->gpp, MAX_GRANULES);
	ASSERT_EQ(0, self->npages % self->gpp);
	ASSERT_EQ(0, variant->iova % variant->granule);
	ASSERT_EQ(0, (variant->iova + variant->size - 1) & ~EDU_DMA_MASK);

	if (variant->hugetlb) {
		reserve_hugepages(variant->size / SZ_2M);
		self->buf = map_anon(variant->size, MAP_HUGETLB | (21 << MAP_HUGE_SHIFT));
		if (self->buf == MAP_FAILED)
			SKIP(return, "no 2M huge pages (/proc/sys/vm/nr_hugepages): %s",
			     strerror(errno));
	} else {
		self->buf = map_anon(variant->size, 0);
		ASSERT_NE(MAP_FAILED, self->buf);
		madvise(self->buf, variant->size, MADV_NOHUGEPAGE);
	}
	memset(self->buf, 0, variant->size);
	self->scratch = map_anon(PG, 0);
	ASSERT_NE(MAP_FAILED, self->scratch);
	self->bm_area = map_anon(BM_AREA_SIZE, 0);
	ASSERT_NE(MAP_FAILED, self->bm_area);

	hw_dev_open(_metadata, &self->d);
	caps = hw_info(_metadata, &self->d, desc, sizeof(desc));
	if (expect_no_dirty()) {
		ASSERT_EQ(0, caps & IOMMU_HW_CAP_DIRTY_TRACKING)
			TH_LOG("IOMMUFD_HW_DIRTY_EXPECT=none, but: %s", desc);
		SKIP(return, "IOMMUFD_HW_DIRTY_EXPECT=none: no dirty tracking to test");
	}
	ASSERT_NE(0, caps & IOMMU_HW_CAP_DIRTY_TRACKING)
		TH_LOG("%s: %s", desc, NO_DIRTY_HINT);

	ASSERT_EQ(0, hwpt_alloc(&self->d, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				&self->hwpt_id))
		TH_LOG("HWPT_ALLOC(DIRTY_TRACKING): %s", strerror(errno));
	ASSERT_EQ(0, attach(&self->d, self->hwpt_id))
		TH_LOG("ATTACH_IOMMUFD_PT: %s", strerror(errno));
	ioas_map(_metadata, &self->d, self->scratch, PG, SCRATCH_IOVA);
	/*
	 * One map per IOPTE of the model: AMD v1 maps a physically contiguous
	 * run (4K pages, or two 2M huge pages) as one larger IOPTE of
	 * contiguous replicas, whose dirty bit covers the whole run.
	 */
	for (i = 0; i < self->npages; i += self->gpp)
		ioas_map(_metadata, &self->d, self->buf + i * PG,
			 self->gpp * PG, self->iova + i * PG);

	set_tracking(_metadata, self, true);
	read_all(_metadata, self, 0);

	cfg_enable_master(_metadata, &self->d);
	for (i = 0; i < EDU_WSRC_SIZE; i++)
		self->pattern[i] = (unsigned char)(i * 37 + 0x5b);
	memcpy(self->scratch, self->pattern, EDU_WSRC_SIZE);
	edu_dma(_metadata, &self->d, false, SCRATCH_IOVA, EDU_WSRC, EDU_WSRC_SIZE);
}

FIXTURE_TEARDOWN(hw_dirty)
{
	hw_dev_close(&self->d);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, self->size);
	if (self->scratch != MAP_FAILED)
		munmap(self->scratch, PG);
	if (self->bm_area != MAP_FAILED)
		munmap(self->bm_area, BM_AREA_SIZE);
}

/*
 * Exactly the written pages are reported (all pages of their IOPTE, none of
 * another): first and last pages, pages on both sides of a bitmap byte
 * boundary, a write across a page boundary.  With 2M IOPTEs every write is
 * in the first IOPTE and the second must stay clean.
 */
TEST_F_TIMEOUT(hw_dirty, written_pages_exact, HW_TIMEOUT)
{
	unsigned long last = self->gpp > 1 ? self->gpp - 1 : self->npages - 1;

	dev_write(_metadata, self, 0, 0, 8);
	dev_write(_metadata, self, 1, 100, 8);
	dev_write(_metadata, self, 7, PG - 8, 8);
	dev_write(_metadata, self, 8, 0, 8);
	dev_write(_metadata, self, 33, 2048, 4);
	dev_write(_metadata, self, 40, PG - 8, 16);	/* pages 40 and 41 */
	dev_write(_metadata, self, last, 512, 8);
	read_all(_metadata, self, 0);
}

/* A read clears what it reports: the next read, cleared or not, is empty. */
TEST_F_TIMEOUT(hw_dirty, second_read_empty, HW_TIMEOUT)
{
	dev_write(_metadata, self, 5, 0, 8);
	dev_write(_metadata, self, self->npages - 5, 8, 8);
	read_all(_metadata, self, 0);
	read_all(_metadata, self, 0);
	read_all(_metadata, self, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
}

/* NO_CLEAR reads report and keep; a clearing read after them still reports. */
TEST_F_TIMEOUT(hw_dirty, no_clear_keeps, HW_TIMEOUT)
{
	dev_write(_metadata, self, 2, 0, 8);
	dev_write(_metadata, self, self->npages / 2 + 3, 0, 8);
	read_all(_metadata, self, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	read_all(_metadata, self, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	read_all(_metadata, self, 0);
	read_all(_metadata, self, 0);
}

/* The device reading pages sets no dirty bit; a write afterwards does. */
TEST_F_TIMEOUT(hw_dirty, device_read_not_dirty, HW_TIMEOUT)
{
	dev_read(_metadata, self, 10, 0, 64);
	dev_read(_metadata, self, self->npages - 10, 1000, 256);
	read_all(_metadata, self, 0);
	dev_write(_metadata, self, self->npages - 10, 0, 8);
	read_all(_metadata, self, 0);
}

/*
 * A write right after a read of the same IOPTE is reported: the read left
 * a cached translation whose dirty bit is clear, and the write must not
 * complete through it without setting the bit (with 2M IOPTEs the write
 * goes to another 4K page of the IOPTE the device read).
 */
TEST_F_TIMEOUT(hw_dirty, write_after_read, HW_TIMEOUT)
{
	unsigned long rpage = self->gpp > 1 ? self->gpp + 8 : 20;
	unsigned long wpage = self->gpp > 1 ? self->gpp + 188 : 20;

	dev_read(_metadata, self, rpage, 0, 64);
	dev_write(_metadata, self, wpage, 64, 8);
	read_all(_metadata, self, 0);
}

/*
 * A page written again after a read cleared it is reported again: the read
 * must flush the translation that still says dirty.
 */
TEST_F_TIMEOUT(hw_dirty, rewrite_after_clear, HW_TIMEOUT)
{
	dev_write(_metadata, self, 30, 0, 8);
	read_all(_metadata, self, 0);
	dev_write(_metadata, self, 30, 8, 8);
	read_all(_metadata, self, 0);
	read_all(_metadata, self, 0);
}

/* Writes while tracking is off set no dirty bit; tracking back on works. */
TEST_F_TIMEOUT(hw_dirty, tracking_off, HW_TIMEOUT)
{
	set_tracking(_metadata, self, false);
	dev_write(_metadata, self, 3, 0, 8);
	dev_write(_metadata, self, self->npages - 4, 0, 8);
	read_all(_metadata, self, 0);
	set_tracking(_metadata, self, true);
	read_all(_metadata, self, 0);
	dev_write(_metadata, self, 6, 0, 8);
	read_all(_metadata, self, 0);
}

/*
 * A read that starts inside a dirty 2M IOPTE reports the IOPTE's pages in
 * the range, and nothing of the clean IOPTE after it.  (Stock 7.3.4 reports
 * nothing and loses the IOPTE's dirty state.)
 */
TEST_F_TIMEOUT(hw_dirty, read_starts_inside_iopte, HW_TIMEOUT)
{
	if (self->gpp == 1)
		SKIP(return, "4K IOPTEs: a 4K read cannot start inside one");
	dev_write(_metadata, self, 100, 0, 8);
	read_check(_metadata, self, 256, self->npages - 256, 0);
}

/*
 * A read that ends inside a dirty 2M IOPTE reports the IOPTE's pages in the
 * range, and nothing past its bitmap (613 bits: the last byte's three high
 * bits are canaries too).
 */
TEST_F_TIMEOUT(hw_dirty, read_ends_inside_iopte, HW_TIMEOUT)
{
	if (self->gpp == 1)
		SKIP(return, "4K IOPTEs: a 4K read cannot end inside one");
	dev_write(_metadata, self, self->gpp + 200, 0, 8);
	read_check(_metadata, self, 0, self->gpp + 101, 0);
}

/*
 * Reads that cover a dirty 2M IOPTE in two parts both report their part,
 * and the IOPTE stays dirty until a read covers it whole.
 */
TEST_F_TIMEOUT(hw_dirty, partial_read_keeps_rest, HW_TIMEOUT)
{
	if (self->gpp == 1)
		SKIP(return, "4K IOPTEs: no read covers one in part");
	dev_write(_metadata, self, 40, 0, 8);
	read_check(_metadata, self, self->gpp / 2, self->gpp / 2, 0);
	read_check(_metadata, self, 0, self->gpp / 2, 0);
	read_all(_metadata, self, 0);
	read_all(_metadata, self, 0);
}

/*
 * A read into a bitmap the kernel cannot write (read-only, unmapped) fails
 * with EFAULT and clears nothing: a good read afterwards gets every bit.
 */
TEST_F_TIMEOUT(hw_dirty, bad_bitmap_keeps_bits, HW_TIMEOUT)
{
	unsigned char *ro, *gone;
	int ret, err;

	dev_write(_metadata, self, 12, 0, 8);
	dev_write(_metadata, self, self->npages - 3, 0, 8);

	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ret = get_dirty(&self->d, self->hwpt_id, self->iova, self->size, 0, ro + 1);
	err = errno;
	munmap(ro, PG);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EFAULT, err);

	gone = map_anon(PG, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone, PG);
	ret = get_dirty(&self->d, self->hwpt_id, self->iova, self->size, 0, gone + 1);
	err = errno;
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EFAULT, err);

	read_all(_metadata, self, 0);
}

/*
 * The race: the device writes pages one after another while reads loop.
 * Events are ordered by one atomic clock: a write is [ws, we] (before it is
 * programmed, after the device says done), a read [rs, re] (around the
 * ioctl).  The hardware sets D while a read clears it, and only the
 * clear-then-flush order of the walker and the IOMMU's re-walk on a write
 * to a clean cached entry keep a write from being lost.  Checked:
 *   - no loss: a write's IOPTE is reported by a read that ended after the
 *     write began and began no later than the first read that began after
 *     the write was done;
 *   - nothing spurious: a read reports an IOPTE only if a write to it
 *     began before the read ended and no read began after that write was
 *     done and before this one;
 *   - a read reports every page of an IOPTE or none of them.
 */
#define RACE_WRITES	48
#define RACE_MAX_READS	20000

struct race_write {
	unsigned long page;
	unsigned long ws, we;
	int err;
};

struct race_read {
	unsigned long rs, re;
	__u64 granules;		/* bit g: IOPTE g reported */
};

struct race {
	FIXTURE_DATA(hw_dirty) *self;
	struct race_write w[RACE_WRITES];
	unsigned long clock;
	bool writer_done;
};

static unsigned long race_tick(struct race *r)
{
	return __atomic_fetch_add(&r->clock, 1, __ATOMIC_SEQ_CST);
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	FIXTURE_DATA(hw_dirty) *self = r->self;
	unsigned int i;

	for (i = 0; i < RACE_WRITES; i++) {
		struct race_write *w = &r->w[i];
		unsigned long boff;

		/* 37 is prime to the page count: distinct pages */
		w->page = (i * 37UL + 5) % self->npages;
		boff = w->page * PG + (i * 8) % (PG - 8);
		w->ws = race_tick(r);
		w->err = edu_dma_raw(&self->d, true, self->iova + boff,
				     EDU_WSRC + i * 8, 8);
		w->we = race_tick(r);
		if (!w->err && memcmp(self->buf + boff, self->pattern + i * 8, 8))
			w->err = -EIO;
		if (w->err)
			break;
	}
	__atomic_store_n(&r->writer_done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/* One whole-range read into @bm; its IOPTEs, or -1 on mixed bits. */
static int race_read(struct hw_dev *d, FIXTURE_DATA(hw_dirty) *self,
		     unsigned char *bm, struct race_read *rd, struct race *r)
{
	unsigned long i, g;
	int ret;

	memset(bm, 0, self->npages / 8);
	rd->rs = race_tick(r);
	ret = get_dirty(d, self->hwpt_id, self->iova, self->size, 0, bm);
	rd->re = race_tick(r);
	if (ret)
		return -errno;
	rd->granules = 0;
	for (g = 0; g < self->npages / self->gpp; g++) {
		unsigned long set = 0;

		for (i = g * self->gpp; i < (g + 1) * self->gpp; i++)
			set += bm[i / 8] >> (i % 8) & 1;
		if (set && set != self->gpp)
			return -EILSEQ;
		if (set)
			rd->granules |= 1ULL << g;
	}
	return 0;
}

TEST_F_TIMEOUT(hw_dirty, race_reads_during_writes, HW_TIMEOUT)
{
	unsigned long ngran = self->npages / self->gpp, nreads = 0, i, k, g;
	struct race_read *rd;
	unsigned char *bm;
	struct race *r;
	pthread_t th;
	int ret;

	ASSERT_LE(ngran, 64);
	ASSERT_LE(RACE_WRITES * 8, EDU_WSRC_SIZE);
	r = calloc(1, sizeof(*r));
	rd = calloc(RACE_MAX_READS, sizeof(*rd));
	bm = calloc(1, self->npages / 8);
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, rd);
	ASSERT_NE(NULL, bm);
	r->self = self;

	ASSERT_EQ(0, pthread_create(&th, NULL, race_writer, r));
	for (;;) {
		bool last = __atomic_load_n(&r->writer_done, __ATOMIC_SEQ_CST);

		if (nreads == RACE_MAX_READS - 1 && !last) {
			usleep(1000);
			continue;
		}
		ret = race_read(&self->d, self, bm, &rd[nreads], r);
		if (ret)
			break;
		nreads++;
		if (last)
			break;
	}
	pthread_join(th, NULL);
	ASSERT_EQ(0, ret) TH_LOG("read %lu: %s", nreads,
				 ret == -EILSEQ ? "an IOPTE reported in part" : strerror(-ret));
	for (i = 0; i < RACE_WRITES - 1 && !r->w[i].err; i++)
		;
	ASSERT_EQ(0, r->w[i].err)
		TH_LOG("device write %lu (page %lu): %s", i, r->w[i].page,
		       strerror(-r->w[i].err));
	TH_LOG("%u device writes, %lu reads", RACE_WRITES, nreads);

	for (i = 0; i < RACE_WRITES; i++) {
		struct race_write *w = &r->w[i];
		bool seen = false;

		g = w->page / self->gpp;
		for (k = 0; k < nreads; k++) {
			if (rd[k].re > w->ws && rd[k].granules & 1ULL << g) {
				seen = true;
				break;
			}
			if (rd[k].rs > w->we)
				break;	/* the first read after the write */
		}
		ASSERT_TRUE(seen)
			TH_LOG("write %lu to page %lu (clock %lu-%lu) lost: not in read %lu (clock %lu-%lu) nor any before it that overlapped the write",
			       i, w->page, w->ws, w->we, k,
			       k < nreads ? rd[k].rs : 0, k < nreads ? rd[k].re : 0);
	}

	for (k = 0; k < nreads; k++) {
		for (g = 0; g < ngran; g++) {
			long last = -1;
			unsigned long j;

			if (!(rd[k].granules & 1ULL << g))
				continue;
			for (i = 0; i < RACE_WRITES; i++)
				if (r->w[i].page / self->gpp == g && r->w[i].ws < rd[k].re)
					last = i;
			ASSERT_LE(0, last)
				TH_LOG("read %lu reports IOPTE %lu, never written before it", k, g);
			for (j = 0; j < k; j++)
				ASSERT_FALSE(rd[j].rs > r->w[last].we)
					TH_LOG("read %lu reports IOPTE %lu again: read %lu began after its last write (%ld) was done",
					       k, g, j, last);
		}
	}

	/* Quiet now: the next read is empty. */
	memset(self->gdirty, 0, sizeof(self->gdirty));
	read_all(_metadata, self, 0);
	free(bm);
	free(rd);
	free(r);
}

TEST_HARNESS_MAIN
