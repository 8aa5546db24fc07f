// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking, end to end, in the test guest.
 *
 * 1. iommufd: mark a picture's pages dirty in the mock IOMMU domain
 *    (IOMMU_TEST_OP_DIRTY), read them back with IOMMU_HWPT_GET_DIRTY_BITMAP
 *    into a bitmap at an odd user address, draw what came back and compare.
 * 2. The same read into a read-only bitmap must fail with EFAULT before
 *    any dirty bit is cleared, so a read into a good bitmap still gets
 *    them all (6.12 returned 0 and the dirty bits were gone).
 * 3. VFIO: DMA-logging START / REPORT / STOP on an mtty mdev through the
 *    device cdev (6.12 without mlx5/pds: REPORT gave EOPNOTSUPP).
 *
 * Prints KTAP so the check run can count it; exit status 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "drivers/iommu/iommufd/iommufd_test.h"

#define ROWS 7
#define COLS 64
#define NPAGES (ROWS * COLS)
#define IOVA_BASE (1UL << 24)	/* MOCK_APERTURE_START */

static const char *const picture[ROWS] = {
	"                                                                ",
	" ###   ###   #   #   ###        ####   ###  #####  #   #   ###  ",
	"  #   #   #  #   #  #   #       #   #   #     #    ## ##  #   # ",
	"  #   #   #  #   #  #####       ####    #     #    # # #  ##### ",
	"  #   #   #   # #   #   #       #   #   #     #    #   #  #   # ",
	" ###   ###     #    #   #       ####   ###    #    #   #  #   # ",
	"                                                                ",
};

static int ntest, nfail;
static long page_size, io_page;

static void result(bool ok, const char *what)
{
	ntest++;
	if (!ok)
		nfail++;
	printf("%sok %d %s\n", ok ? "" : "not ", ntest, what);
}

static bool test_bit(const uint8_t *map, unsigned long i)
{
	return map[i / 8] >> (i % 8) & 1;
}

static void set_bit(uint8_t *map, unsigned long i)
{
	map[i / 8] |= 1 << (i % 8);
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static int get_dirty(int fd, uint32_t hwpt, void *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.iova = IOVA_BASE,
		.length = NPAGES * io_page,
		.page_size = io_page,
		.data = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd) ? -errno : 0;
}

static void draw(const uint8_t *map)
{
	unsigned long r, c;

	printf("# +%.*s+\n", COLS, "----------------------------------------------------------------");
	for (r = 0; r < ROWS; r++) {
		printf("# |");
		for (c = 0; c < COLS; c++)
			putchar(test_bit(map, r * COLS + c) ? '#' : '.');
		printf("|\n");
	}
	printf("# +%.*s+\n", COLS, "----------------------------------------------------------------");
}

/* Bits set in @got, and bits where @got and @want differ. */
static void compare(const uint8_t *got, const uint8_t *want,
		    unsigned long *ngot, unsigned long *nbad)
{
	unsigned long i;

	*ngot = *nbad = 0;
	for (i = 0; i < NPAGES; i++) {
		*ngot += test_bit(got, i);
		*nbad += test_bit(got, i) != test_bit(want, i);
	}
}

static int iommufd_demo(void)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_option huge_off = {
		.size = sizeof(huge_off),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 0,
	};
	struct iommu_test_cmd cmd = { 0 };
	uint8_t want[NPAGES / 8] = { 0 };
	unsigned long i, nwant = 0, ngot = 0, nbad = 0;
	uint32_t idev, hwpt;
	uint8_t *buf, *area, *got, *ro;
	int fd, ret;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		perror("/dev/iommu");
		return -1;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &ioas))
		return perror("IOAS_ALLOC"), -1;
	/* One IOPTE per host page: physically contiguous pages stay apart. */
	huge_off.object_id = ioas.out_ioas_id;
	if (ioctl(fd, IOMMU_OPTION, &huge_off))
		return perror("IOMMU_OPTION HUGE_PAGES"), -1;

	cmd.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	cmd.id = ioas.out_ioas_id;
	if (test_cmd(fd, &cmd))
		return perror("MOCK_DOMAIN"), -1;
	idev = cmd.mock_domain.out_idev_id;

	buf = mmap(NULL, NPAGES * io_page, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas.out_ioas_id,
		.user_va = (uintptr_t)buf,
		.length = NPAGES * io_page,
		.iova = IOVA_BASE,
	};
	if (buf == MAP_FAILED || ioctl(fd, IOMMU_IOAS_MAP, &map))
		return perror("IOAS_MAP"), -1;

	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev,
		.pt_id = ioas.out_ioas_id,
	};
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &alloc))
		return perror("HWPT_ALLOC"), -1;
	hwpt = alloc.out_hwpt_id;

	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = hwpt,
	};
	if (ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track))
		return perror("SET_DIRTY_TRACKING"), -1;

	for (i = 0; i < NPAGES; i++) {
		if (picture[i / COLS][i % COLS] == '#') {
			set_bit(want, i);
			nwant++;
		}
	}

	/* The device "writes" the picture's pages. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_DIRTY;
	cmd.id = hwpt;
	cmd.dirty.iova = IOVA_BASE;
	cmd.dirty.length = NPAGES * io_page;
	cmd.dirty.page_size = io_page;
	cmd.dirty.uptr = (uintptr_t)want;
	ret = test_cmd(fd, &cmd);
	result(!ret && cmd.dirty.out_nr_dirty == nwant,
	       "mock domain marks the picture's pages dirty");

	/* Read back into a bitmap 3 bytes past a page boundary. */
	area = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	got = area + page_size - 3;
	ret = get_dirty(fd, hwpt, got);
	printf("# IOMMU_HWPT_GET_DIRTY_BITMAP: %d pages of %ld bytes, bitmap at page offset 0x%lx, ret %d\n",
	       NPAGES, io_page, (unsigned long)got % page_size, ret);
	draw(got);
	compare(got, want, &ngot, &nbad);
	printf("# dirty marked %lu, read back %lu, wrong bits %lu\n", nwant, ngot, nbad);
	result(!ret && !nbad && ngot == nwant,
	       "GET_DIRTY_BITMAP returns exactly the dirty pages");

	memset(area, 0, 2 * page_size);
	ret = get_dirty(fd, hwpt, got);
	compare(got, want, &ngot, &nbad);
	result(!ret && !ngot, "second read finds the bits cleared");

	/* Dirty again, then report into a bitmap user space cannot write. */
	cmd.dirty.out_nr_dirty = 0;
	test_cmd(fd, &cmd);
	ro = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = get_dirty(fd, hwpt, ro);
	printf("# read-only bitmap: ret %d (%s)\n", ret, strerror(-ret));
	result(ret == -EFAULT, "read-only bitmap fails with EFAULT");

	/* The failed read consumed nothing: a good bitmap gets every bit. */
	memset(area, 0, 2 * page_size);
	ret = get_dirty(fd, hwpt, got);
	compare(got, want, &ngot, &nbad);
	printf("# then a writable bitmap: ret %d, read back %lu of %lu, wrong bits %lu\n",
	       ret, ngot, nwant, nbad);
	result(!ret && !nbad && ngot == nwant,
	       "the failed read kept every dirty bit for the next one");

	close(fd);
	return 0;
}

static int vfio_feature(int dev, uint32_t flags, void *payload, size_t len)
{
	struct vfio_device_feature *f = calloc(1, sizeof(*f) + len);
	int ret;

	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	memcpy(f->data, payload, len);
	ret = ioctl(dev, VFIO_DEVICE_FEATURE, f) ? -errno : 0;
	free(f);
	return ret;
}

static int vfio_demo(void)
{
	const char *uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
	struct vfio_device_feature_dma_logging_range range = {
		.iova = 0, .length = 64UL << 20,
	};
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = 4096, .num_ranges = 1, .ranges = (uintptr_t)&range,
	};
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = 0, .length = 64UL << 20, .page_size = 4096,
	};
	static uint8_t map[(64 << 20) / 4096 / 8];
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[256];
	glob_t g;
	int fd, dev, ret;
	unsigned long i, set = 0;

	if (glob("/sys/class/mdev_bus/*/mdev_supported_types/mtty-1/create", 0,
		 NULL, &g) || g.gl_pathc != 1)
		return printf("# no mtty parent\n"), -1;
	fd = open(g.gl_pathv[0], O_WRONLY);
	if (fd < 0 || write(fd, uuid, strlen(uuid)) < 0)
		return perror("mdev create"), -1;
	close(fd);
	globfree(&g);

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev/vfio*", uuid);
	if (glob(path, 0, NULL, &g) || g.gl_pathc != 1)
		return printf("# no vfio cdev for the mdev\n"), -1;
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	dev = open(path, O_RDWR);
	bind.iommufd = open("/dev/iommu", O_RDWR);
	if (dev < 0 || bind.iommufd < 0 ||
	    ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return perror(path), -1;
	printf("# mtty mdev %s bound to iommufd as device %u (%s)\n", uuid,
	       bind.out_devid, path);

	ret = vfio_feature(dev, VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &ctl, sizeof(ctl));
	result(!ret, "VFIO DMA_LOGGING_START on mtty");

	memset(map, 0, sizeof(map));
	rep.bitmap = (uintptr_t)map;
	ret = vfio_feature(dev, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep, sizeof(rep));
	for (i = 0; i < sizeof(map); i++)
		set += __builtin_popcount(map[i]);
	printf("# DMA_LOGGING_REPORT over 64 MiB at 4 KiB: ret %d (%s), %lu dirty pages\n",
	       ret, strerror(-ret), set);
	result(!ret && !set, "VFIO DMA_LOGGING_REPORT succeeds with an empty map");

	rep.length = 0;
	ret = vfio_feature(dev, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep, sizeof(rep));
	result(ret == -EINVAL, "VFIO DMA_LOGGING_REPORT of length 0 is EINVAL");

	ret = vfio_feature(dev, VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
	result(!ret, "VFIO DMA_LOGGING_STOP on mtty");
	close(dev);
	close(bind.iommufd);
	return 0;
}

int main(void)
{
	page_size = sysconf(_SC_PAGESIZE);
	/*
	 * The mock's page table maps each host page as one IOPTE of two
	 * contiguous 2 KiB entries and reports it whole: one bit per host
	 * page, so a marked pixel reads back as itself.
	 */
	io_page = page_size;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..9\n");
	if (iommufd_demo())
		result(false, "iommufd demo setup");
	if (vfio_demo())
		result(false, "vfio demo setup");
	while (ntest < 9)
		result(false, "not reached");
	printf("# %d passed, %d failed\n", ntest - nfail, nfail);
	return nfail ? 1 : 0;
}
