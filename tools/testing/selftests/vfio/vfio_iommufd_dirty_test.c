// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU dirty tracking under a device's bulk DMA.
 *
 * The device (VFIO_SELFTESTS_BDF, or the last argument) needs a libvfio
 * driver that copies memory, as QEMU's igb does in MAC loopback, and an
 * IOMMU whose driver offers dirty tracking (IOMMU_HW_CAP_DIRTY_TRACKING:
 * VT-d SSADS, AMD-Vi HD, SMMUv3 HTTU, or an emulation of them); without
 * one the tests skip.  The device is attached to a HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, copies into chosen pages of a
 * destination buffer, and IOMMU_HWPT_GET_DIRTY_BITMAP must report exactly
 * the IOPTEs it wrote: not the source it read, not an IOPTE it did not
 * write, and every write in a read that ended after the write began.
 *
 * Each IOPTE of the model is mapped by its own IOMMU_IOAS_MAP: a driver may
 * map a physically contiguous run as one larger IOPTE (AMD v1's contiguous
 * replicas), whose dirty bit would cover the whole run.
 */
#include <limits.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/sizes.h>
#include <linux/vfio.h>

#include <libvfio.h>

#include "kselftest_harness.h"

#define PG		4096UL
#define DST_SIZE	SZ_4M
#define DST_PAGES	(DST_SIZE / PG)
#define COPY_SIZE	1024UL	/* what one copy writes */
#define RACE_MAX_READS	8192

static const char *device_bdf;

FIXTURE(dirty) {
	struct iommu *iommu;
	struct vfio_pci_device *device;
	struct iova_allocator *iova_allocator;
	struct dma_region src;
	struct dma_region dst[DST_PAGES];	/* one per IOPTE of the model */
	unsigned long ndst;
	unsigned long gran;	/* bytes per IOPTE of the model */
	void *dst_va;
	iova_t dst_iova;
	u32 hwpt_id;
	u64 bitmap[DST_PAGES / 64];
};

FIXTURE_VARIANT(dirty) {
	bool hugetlb;
};

FIXTURE_VARIANT_ADD(dirty, pages_4k) {
	.hugetlb = false,
};

FIXTURE_VARIANT_ADD(dirty, hugetlb_2m) {
	.hugetlb = true,
};

static int hwpt_alloc_dirty(struct vfio_pci_device *device, u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = device->dev_id,
		.pt_id = device->iommu->ioas_id,
	};

	if (ioctl(device->iommu->iommufd, IOMMU_HWPT_ALLOC, &cmd))
		return -errno;
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

static int attach_pt(struct vfio_pci_device *device, u32 pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = pt_id,
	};

	return ioctl(device->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd) ? -errno : 0;
}

static int set_tracking(FIXTURE_DATA(dirty) *self, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = self->hwpt_id,
	};

	return ioctl(self->iommu->iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd) ?
	       -errno : 0;
}

/* Reads and clears the dirty bits of [iova, iova + length) into @bitmap */
static int get_dirty(FIXTURE_DATA(dirty) *self, iova_t iova, u64 length,
		     u64 *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = self->hwpt_id,
		.iova = iova,
		.length = length,
		.page_size = PG,
		.data = (uintptr_t)bitmap,
	};

	memset(bitmap, 0, (length / PG + 63) / 64 * 8);
	return ioctl(self->iommu->iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd) ?
	       -errno : 0;
}

static bool test_bit64(const u64 *bitmap, unsigned long i)
{
	return bitmap[i / 64] >> (i % 64) & 1;
}

/* Makes @need 2M huge pages free if the pool can grow; best effort. */
static void reserve_hugepages(unsigned long need)
{
	const char *path = "/proc/sys/vm/nr_hugepages";
	unsigned long nr = 0;
	FILE *f = fopen(path, "r+");

	if (!f)
		return;
	if (fscanf(f, "%lu", &nr) == 1 && nr < need) {
		rewind(f);
		fprintf(f, "%lu\n", need);
	}
	fclose(f);
}

static void *map_anon(size_t size, int flags)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | flags, -1, 0);
}

FIXTURE_SETUP(dirty)
{
	struct vfio_pci_driver *driver;
	unsigned long i;
	int ret;

	self->iommu = iommu_init("iommufd");
	self->device = vfio_pci_device_init(device_bdf, self->iommu);
	driver = &self->device->driver;
	if (!driver->ops)
		SKIP(return, "%s: no libvfio driver copies with this device",
		     device_bdf);
	ret = hwpt_alloc_dirty(self->device, &self->hwpt_id);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the IOMMU of %s offers no dirty tracking", device_bdf);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, attach_pt(self->device, self->hwpt_id));
	self->iova_allocator = iova_allocator_init(self->iommu);

	driver->region.vaddr = map_anon(SZ_2M, 0);
	ASSERT_NE(MAP_FAILED, driver->region.vaddr);
	driver->region.size = SZ_2M;
	driver->region.iova = iova_allocator_alloc(self->iova_allocator, SZ_2M);
	iommu_map(self->iommu, &driver->region);

	self->src.vaddr = map_anon(PG, 0);
	ASSERT_NE(MAP_FAILED, self->src.vaddr);
	for (i = 0; i < PG; i++)
		((unsigned char *)self->src.vaddr)[i] = i * 7 + 1;
	self->src.size = PG;
	self->src.iova = iova_allocator_alloc(self->iova_allocator, PG);
	iommu_map(self->iommu, &self->src);

	if (variant->hugetlb) {
		reserve_hugepages(DST_SIZE / SZ_2M + 2);
		self->dst_va = map_anon(DST_SIZE, MAP_HUGETLB | (21 << MAP_HUGE_SHIFT));
		if (self->dst_va == MAP_FAILED)
			SKIP(return, "no 2M huge pages: %s", strerror(errno));
		self->gran = SZ_2M;
	} else {
		self->dst_va = map_anon(DST_SIZE, 0);
		ASSERT_NE(MAP_FAILED, self->dst_va);
		madvise(self->dst_va, DST_SIZE, MADV_NOHUGEPAGE);
		self->gran = PG;
	}
	memset(self->dst_va, 0, DST_SIZE);
	self->dst_iova = iova_allocator_alloc(self->iova_allocator, DST_SIZE);
	self->ndst = DST_SIZE / self->gran;
	for (i = 0; i < self->ndst; i++) {
		self->dst[i].vaddr = self->dst_va + i * self->gran;
		self->dst[i].iova = self->dst_iova + i * self->gran;
		self->dst[i].size = self->gran;
		iommu_map(self->iommu, &self->dst[i]);
	}

	vfio_pci_driver_init(self->device);
	ASSERT_EQ(0, set_tracking(self, true));
	ASSERT_EQ(0, get_dirty(self, self->dst_iova, DST_SIZE, self->bitmap));
}

FIXTURE_TEARDOWN(dirty)
{
	struct vfio_pci_driver *driver = &self->device->driver;
	unsigned long i;

	if (driver->initialized)
		vfio_pci_driver_remove(self->device);
	for (i = 0; i < self->ndst; i++)
		iommu_unmap(self->iommu, &self->dst[i]);
	if (self->dst_va && self->dst_va != MAP_FAILED)
		munmap(self->dst_va, DST_SIZE);
	if (self->src.size) {
		iommu_unmap(self->iommu, &self->src);
		munmap(self->src.vaddr, PG);
	}
	if (driver->region.size) {
		iommu_unmap(self->iommu, &driver->region);
		munmap(driver->region.vaddr, SZ_2M);
	}
	if (self->iova_allocator)
		iova_allocator_cleanup(self->iova_allocator);
	vfio_pci_device_cleanup(self->device);
	iommu_cleanup(self->iommu);
}

/* Where copy @i into page @page lands, and what it carries */
static unsigned long copy_offset(unsigned long page, unsigned long i)
{
	return page * PG + (i * 64) % (PG - COPY_SIZE);
}

static int copy_to_page(FIXTURE_DATA(dirty) *self, unsigned long page,
			unsigned long i)
{
	unsigned long off = copy_offset(page, i);
	int ret;

	ret = vfio_pci_driver_memcpy(self->device, self->src.iova,
				     self->dst_iova + off, COPY_SIZE);
	if (ret)
		return ret;
	return memcmp(self->dst_va + off, self->src.vaddr, COPY_SIZE) ? -EIO : 0;
}

/*
 * Reads the destination's dirty bits and compares them with @want, one
 * flag per IOPTE of the model: a dirty IOPTE reports all its pages.
 */
static void expect_dirty(struct __test_metadata *_metadata,
			 FIXTURE_DATA(dirty) *self, const unsigned char *want)
{
	unsigned long p, wrong = 0, set = 0;

	ASSERT_EQ(0, get_dirty(self, self->dst_iova, DST_SIZE, self->bitmap));
	for (p = 0; p < DST_PAGES; p++) {
		bool bit = test_bit64(self->bitmap, p);

		set += bit;
		if (bit != want[p * PG / self->gran]) {
			if (wrong++ < 4)
				TH_LOG("page %lu (IOVA 0x%llx): dirty bit %d, expected %d",
				       p, (unsigned long long)(self->dst_iova + p * PG),
				       bit, !bit);
		}
	}
	ASSERT_EQ(0, wrong)
		TH_LOG("%lu of %lu bits wrong, %lu set", wrong, DST_PAGES, set);
}

TEST_F(dirty, copies_mark_written_ioptes)
{
	static const unsigned long pages[] = { 0, 1, 5, 64, 300, 511 };
	unsigned char want[DST_PAGES] = { 0 };
	u64 srcbits[1];
	unsigned long i;

	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		ASSERT_EQ(0, copy_to_page(self, pages[i], i))
			TH_LOG("copy to page %lu did not land", pages[i]);
		want[pages[i] * PG / self->gran] = 1;
	}
	expect_dirty(_metadata, self, want);

	/* The first read cleared them; the device only read the source */
	memset(want, 0, sizeof(want));
	expect_dirty(_metadata, self, want);
	ASSERT_EQ(0, get_dirty(self, self->src.iova, PG, srcbits));
	ASSERT_EQ(0, srcbits[0]) TH_LOG("the source the device read is dirty");
}

/*
 * The whole file takes about 15 s under TCG; a copy that hangs should fail
 * its test, not outlast the boot's timeout.
 */
TEST_F_TIMEOUT(dirty, bulk_copy_every_page, 120)
{
	unsigned char want[DST_PAGES];
	unsigned long p;

	for (p = 0; p < DST_PAGES; p++)
		ASSERT_EQ(0, copy_to_page(self, p, p))
			TH_LOG("copy to page %lu did not land", p);
	memset(want, 1, sizeof(want));
	expect_dirty(_metadata, self, want);
	memset(want, 0, sizeof(want));
	expect_dirty(_metadata, self, want);
}

struct race_write {
	unsigned long page;
	unsigned long ws, we;	/* clock before and after the copy */
	int err;
};

struct race_read {
	unsigned long rs, re;	/* clock before and after the read */
	u64 bits[DST_PAGES / 64];
};

struct race {
	FIXTURE_DATA(dirty) *self;
	struct race_write w[DST_PAGES];
	unsigned long clock;
	bool done;
};

static unsigned long race_tick(struct race *r)
{
	return __atomic_fetch_add(&r->clock, 1, __ATOMIC_SEQ_CST);
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	unsigned long i;

	for (i = 0; i < DST_PAGES; i++) {
		struct race_write *w = &r->w[i];

		/* 37 is prime to the page count: every page once */
		w->page = (i * 37 + 5) % DST_PAGES;
		w->ws = race_tick(r);
		w->err = copy_to_page(r->self, w->page, i);
		w->we = race_tick(r);
		if (w->err)
			break;
	}
	__atomic_store_n(&r->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * The device copies into every page, one after another, while reads loop.
 * By one clock around each copy and each read: every copy is reported by
 * a read that ended after it began and began no later than the first read
 * that began after the copy was done; no read reports an IOPTE that no
 * copy began to write before the read ended.
 */
TEST_F_TIMEOUT(dirty, reads_during_bulk_copies, 120)
{
	unsigned long ppg = self->gran / PG, nreads = 0, i, k, g;
	unsigned long first[DST_PAGES];
	struct race_read *rd;
	struct race *r;
	pthread_t th;
	int ret = 0;

	r = calloc(1, sizeof(*r));
	rd = calloc(RACE_MAX_READS, sizeof(*rd));
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, rd);
	r->self = self;

	ASSERT_EQ(0, pthread_create(&th, NULL, race_writer, r));
	for (;;) {
		bool last = __atomic_load_n(&r->done, __ATOMIC_SEQ_CST);

		if (nreads == RACE_MAX_READS - 1 && !last) {
			usleep(1000);
			continue;
		}
		rd[nreads].rs = race_tick(r);
		ret = get_dirty(self, self->dst_iova, DST_SIZE, rd[nreads].bits);
		rd[nreads].re = race_tick(r);
		if (ret)
			break;
		nreads++;
		if (last)
			break;
	}
	pthread_join(th, NULL);
	ASSERT_EQ(0, ret) TH_LOG("read %lu: %s", nreads, strerror(-ret));
	for (i = 0; i < DST_PAGES - 1 && !r->w[i].err; i++)
		;
	ASSERT_EQ(0, r->w[i].err)
		TH_LOG("copy %lu (page %lu): %s", i, r->w[i].page,
		       strerror(-r->w[i].err));
	TH_LOG("%lu copies of %lu bytes, %lu reads", DST_PAGES, COPY_SIZE, nreads);

	for (i = 0; i < DST_PAGES; i++) {
		struct race_write *w = &r->w[i];
		bool seen = false;

		for (k = 0; k < nreads; k++) {
			if (rd[k].re > w->ws && test_bit64(rd[k].bits, w->page)) {
				seen = true;
				break;
			}
			if (rd[k].rs > w->we)
				break;	/* the first read after the copy */
		}
		ASSERT_TRUE(seen)
			TH_LOG("copy %lu to page %lu (clock %lu-%lu) lost: not in read %lu nor any before it that overlapped the copy",
			       i, w->page, w->ws, w->we, k);
	}

	/* When a copy first began to write each IOPTE */
	for (g = 0; g < self->ndst; g++)
		first[g] = ULONG_MAX;
	for (i = 0; i < DST_PAGES; i++) {
		g = r->w[i].page / ppg;
		if (r->w[i].ws < first[g])
			first[g] = r->w[i].ws;
	}
	for (k = 0; k < nreads; k++)
		for (i = 0; i < DST_PAGES; i++)
			ASSERT_FALSE(test_bit64(rd[k].bits, i) &&
				     first[i / ppg] > rd[k].re)
				TH_LOG("read %lu reports page %lu, whose IOPTE no copy had begun to write",
				       k, i);
	free(rd);
	free(r);
}

int main(int argc, char *argv[])
{
	device_bdf = vfio_selftests_get_bdf(&argc, argv);
	return test_harness_run(argc, argv);
}
