// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of io-pgtable-arm's dirty walker reporting into iova_bitmap.
 *
 * A stage-1 LPAE table with hardware dirty state (IO_PGTABLE_QUIRK_ARM_HD)
 * is built with the real allocator and map_pages(), and read through
 * ops->read_and_clear_dirty() the way iommufd does: see
 * dirty_walker_kunit.h.  What is Arm's own is how an SMMU records a write:
 * there is no dirty bit, a writable IOPTE has DBM set and the SMMU clears
 * its read-only AP bit on the first write, so writable-clean is DBM with
 * AP read-only and writable-dirty is DBM alone.  The test finds each leaf
 * by walking down from the TTBR as the SMMU does, not through the code
 * under test.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/io.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/sizes.h>

#include "dirty_walker_kunit.h"

/*
 * Stage-1 descriptor bits of the LPAE format, from the Arm architecture;
 * io-pgtable-arm.c keeps its own definitions private.
 */
#define LPAE_TYPE_MASK		GENMASK_ULL(1, 0)
#define LPAE_TYPE_BLOCK		1ULL
#define LPAE_TYPE_TABLE		3ULL	/* a page at the last level */
#define LPAE_AP_RDONLY		BIT_ULL(7)
#define LPAE_DBM		BIT_ULL(51)
#define LPAE_ADDR_MASK		GENMASK_ULL(47, 12)

/* 4K granule, 48-bit input addresses: levels 0 to 3, 9 bits each. */
#define LPAE_LAST_LEVEL		3
#define LPAE_LEVEL_SHIFT(l)	(PAGE_SHIFT + 9 * (LPAE_LAST_LEVEL - (l)))
#define LPAE_TEST_IAS		48

struct arm_dwk_table {
	struct io_pgtable_cfg cfg;
	struct io_pgtable_ops *ops;
};

/* Nothing caches the table: there is no SMMU behind it. */
static void arm_dwk_tlb_flush_all(void *cookie)
{
}

static void arm_dwk_tlb_flush(unsigned long iova, size_t size, size_t granule,
			      void *cookie)
{
}

static void arm_dwk_tlb_add_page(struct iommu_iotlb_gather *gather,
				 unsigned long iova, size_t granule,
				 void *cookie)
{
}

static const struct iommu_flush_ops arm_dwk_tlb_ops = {
	.tlb_flush_all	= arm_dwk_tlb_flush_all,
	.tlb_flush_walk	= arm_dwk_tlb_flush,
	.tlb_add_page	= arm_dwk_tlb_add_page,
};

KUNIT_DEFINE_ACTION_WRAPPER(arm_dwk_free_ops, free_io_pgtable_ops,
			    struct io_pgtable_ops *);

/*
 * io-pgtable-arm allocates its tables on dev_to_node() of the IOMMU
 * device, so each test gets one.  It is registered here rather than in
 * arm_dwk_alloc() because a test may build more than one table, and a
 * KUnit device's name must be unique within its test.
 */
static int arm_dwk_init(struct kunit *test)
{
	struct device *dev;

	dev = kunit_device_register(test, "io-pgtable-arm-dirty");
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	test->priv = dev;
	return 0;
}

/* A stage-1 table with hardware dirty state, freed with the test. */
static void *arm_dwk_alloc(struct kunit *test)
{
	struct arm_dwk_table *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->cfg = (struct io_pgtable_cfg) {
		.quirks = IO_PGTABLE_QUIRK_ARM_HD,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.ias = LPAE_TEST_IAS,
		.oas = LPAE_TEST_IAS,
		/* No DMA mapping of the tables: the "SMMU" is the CPU. */
		.coherent_walk = true,
		.tlb = &arm_dwk_tlb_ops,
		.iommu_dev = test->priv,
	};
	t->ops = alloc_io_pgtable_ops(ARM_64_LPAE_S1, &t->cfg, t);
	if (!t->ops)
		return NULL;
	if (kunit_add_action_or_reset(test, arm_dwk_free_ops, t->ops))
		return NULL;
	/* The walker under test is an op that a format may lack. */
	return t->ops->read_and_clear_dirty ? t : NULL;
}

static int arm_dwk_read(void *pt, unsigned long iova, size_t length,
			unsigned long flags, struct iommu_dirty_bitmap *dirty)
{
	struct arm_dwk_table *t = pt;

	return t->ops->read_and_clear_dirty(t->ops, iova, length, flags, dirty);
}

static int arm_dwk_map(void *pt, unsigned long iova, unsigned long pgsize,
		       unsigned long count)
{
	struct arm_dwk_table *t = pt;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	unsigned long at, done = 0;
	size_t mapped;
	int ret;

	/* map_pages() may stop at the end of a table; go on from there. */
	while (done < count) {
		at = iova + done * pgsize;
		mapped = 0;
		ret = t->ops->map_pages(t->ops, at, at, pgsize, count - done,
					IOMMU_READ | IOMMU_WRITE, GFP_KERNEL,
					&mapped);
		if (ret)
			return ret;
		if (!mapped)
			return -EIO;
		done += mapped / pgsize;
	}
	/*
	 * A writable IOPTE is made writable-dirty; iommufd clears the
	 * table with a read into no bitmap when it switches tracking on,
	 * and so does the test, to start from a clean table.
	 */
	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	return arm_dwk_read(pt, iova, pgsize * count, 0, &dirty);
}

/* The leaf IOPTE translating @iova, found by walking from the TTBR. */
static bool arm_dwk_leaf(void *pt, unsigned long iova, struct dwk_leaf *leaf)
{
	struct arm_dwk_table *t = pt;
	u64 *table = phys_to_virt(t->cfg.arm_lpae_s1_cfg.ttbr);
	unsigned int shift;
	u64 *ptep, type;
	int lvl;

	for (lvl = 0; lvl <= LPAE_LAST_LEVEL; lvl++) {
		shift = LPAE_LEVEL_SHIFT(lvl);
		/* Level 0 resolves bit 39 up: past a 32-bit unsigned long. */
		ptep = &table[((u64)iova >> shift) & 511];
		type = READ_ONCE(*ptep) & LPAE_TYPE_MASK;
		if (!type || (lvl == LPAE_LAST_LEVEL && type != LPAE_TYPE_TABLE))
			return false;
		if (lvl == LPAE_LAST_LEVEL || type == LPAE_TYPE_BLOCK) {
			leaf->pte = ptep;
			leaf->nr = 1;
			leaf->size = 1UL << shift;
			return true;
		}
		table = phys_to_virt(READ_ONCE(*ptep) & LPAE_ADDR_MASK);
	}
	return false;
}

static const struct dwk_driver arm_dwk_driver = {
	.alloc = arm_dwk_alloc,
	.map = arm_dwk_map,
	.leaf = arm_dwk_leaf,
	.read = arm_dwk_read,
	.dirty_mask = LPAE_AP_RDONLY | LPAE_DBM,
	.dirty = LPAE_DBM,
	.clean = LPAE_AP_RDONLY | LPAE_DBM,
};

#define MB(n)		((n) * (unsigned long)SZ_1M)
#define GB(n)		((n) * (unsigned long)SZ_1G)

static const struct dwk_case arm_dwk_cases[] = {
	/*
	 * Four 2M blocks at [2M, 10M); the query starts inside the first (at
	 * half of it), ends inside the last (at half of it, or at a quarter
	 * when it starts inside too), or both.  Dirty blocks outside the query
	 * must keep their state; a 12K tail leaves the last bitmap byte ragged.
	 */
	{ .name = "straddle_start_2M", .map = { { MB(2), SZ_2M, 4 } },
	  .mark = { DWK_MARK_ALL(MB(2), SZ_2M), DWK_MARK_ALL(MB(6), SZ_2M),
		    DWK_MARK_ALL(MB(8), SZ_2M) },
	  .iova = MB(3), .length = MB(5), .page_size = SZ_4K, .uoff = 0x3 },
	{ .name = "straddle_end_2M", .map = { { MB(2), SZ_2M, 4 } },
	  .mark = { DWK_MARK_ALL(MB(2), SZ_2M), DWK_MARK_ALL(MB(6), SZ_2M),
		    DWK_MARK_ALL(MB(8), SZ_2M) },
	  .iova = MB(4), .length = MB(5) + SZ_8K + SZ_4K, .page_size = SZ_4K,
	  .uoff = 0xff1 },
	{ .name = "straddle_both_2M", .map = { { MB(2), SZ_2M, 4 } },
	  .mark = { DWK_MARK_ALL(MB(2), SZ_2M), DWK_MARK_ALL(MB(8), SZ_2M) },
	  .iova = MB(3), .length = MB(5) + MB(1) / 2 + SZ_8K + SZ_4K,
	  .page_size = SZ_4K, .uoff = 0x40 },
	/* A query of two bits inside one dirty block. */
	{ .name = "query_inside_dirty_2M", .map = { { MB(2), SZ_2M, 1 } },
	  .mark = { DWK_MARK_ALL(MB(2), SZ_2M) },
	  .iova = MB(2) + SZ_64K, .length = SZ_8K, .page_size = SZ_4K,
	  .uoff = 0x40 },
#if BITS_PER_LONG == 64
	/*
	 * The same with four 1G blocks at [1G, 5G), but straddle_end_1G ends
	 * on a byte boundary of the bitmap: an overshoot would land in the
	 * canary after it.
	 */
	{ .name = "straddle_start_1G", .map = { { GB(1), SZ_1G, 4 } },
	  .mark = { DWK_MARK_ALL(GB(1), SZ_1G), DWK_MARK_ALL(GB(3), SZ_1G),
		    DWK_MARK_ALL(GB(4), SZ_1G) },
	  .iova = GB(1) + MB(512), .length = GB(2) + MB(512),
	  .page_size = SZ_4K, .uoff = 0x3 },
	{ .name = "straddle_end_1G", .map = { { GB(1), SZ_1G, 4 } },
	  .mark = { DWK_MARK_ALL(GB(1), SZ_1G), DWK_MARK_ALL(GB(3), SZ_1G),
		    DWK_MARK_ALL(GB(4), SZ_1G) },
	  .iova = GB(2), .length = GB(2) + MB(512) + SZ_32K,
	  .page_size = SZ_4K, .uoff = 0xff1 },
	{ .name = "straddle_both_1G", .map = { { GB(1), SZ_1G, 4 } },
	  .mark = { DWK_MARK_ALL(GB(1), SZ_1G), DWK_MARK_ALL(GB(4), SZ_1G) },
	  .iova = GB(1) + MB(512), .length = GB(2) + MB(768) + SZ_8K + SZ_4K,
	  .page_size = SZ_4K, .uoff = 0x40 },
#else
	/*
	 * The same within a 32-bit IOVA space: three 1G blocks at [0, 3G),
	 * the first and the last dirty.
	 */
	{ .name = "straddle_start_1G", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK_ALL(0, SZ_1G), DWK_MARK_ALL(GB(2), SZ_1G) },
	  .iova = MB(512), .length = GB(1) + MB(512), .page_size = SZ_4K,
	  .uoff = 0x3 },
	{ .name = "straddle_end_1G", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK_ALL(0, SZ_1G), DWK_MARK_ALL(GB(2), SZ_1G) },
	  .iova = GB(1), .length = GB(1) + MB(512) + SZ_32K,
	  .page_size = SZ_4K, .uoff = 0xff1 },
	{ .name = "straddle_both_1G", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK_ALL(0, SZ_1G), DWK_MARK_ALL(GB(2), SZ_1G) },
	  .iova = MB(512), .length = GB(1) + MB(768) + SZ_8K + SZ_4K,
	  .page_size = SZ_4K, .uoff = 0x40 },
#endif
	{ .name = "query_inside_dirty_1G", .map = { { GB(1), SZ_1G, 1 } },
	  .mark = { DWK_MARK_ALL(GB(1), SZ_1G) },
	  .iova = GB(1) + SZ_64K, .length = SZ_8K, .page_size = SZ_4K,
	  .uoff = 0x40 },
	/* 2M bits over 4K pages: one dirty page sets a whole bit. */
	{ .name = "bits_2M_over_4K_pages", .map = { { SZ_2M, SZ_4K, 2048 } },
	  .mark = { DWK_MARK_ALL(SZ_2M, SZ_4K), DWK_MARK_ALL(SZ_8M - SZ_4K, SZ_4K),
		    DWK_MARK_ALL(SZ_8M + SZ_1M, SZ_64K) },
	  .iova = SZ_2M, .length = SZ_8M, .page_size = SZ_2M, .uoff = 0x3 },
#if BITS_PER_LONG == 64
	/* 1G bits over 4K pages, 2M blocks and 1G blocks. */
	{ .name = "bits_1G_over_mixed",
	  .map = { { 0, SZ_1G, 1 }, { SZ_1G, SZ_4K, 512 },
		   { SZ_1G + SZ_2M, SZ_2M, 511 }, { SZ_2G, SZ_1G, 2 } },
	  .mark = { DWK_MARK_ALL(SZ_1G + SZ_8K, SZ_4K),
		    DWK_MARK_ALL(3UL * SZ_1G, SZ_1G) },
	  .iova = 0, .length = 4UL * SZ_1G, .page_size = SZ_1G, .uoff = 0x40 },
#else
	{ .name = "bits_1G_over_mixed",
	  .map = { { 0, SZ_1G, 1 }, { SZ_1G, SZ_4K, 512 },
		   { SZ_1G + SZ_2M, SZ_2M, 511 }, { SZ_2G, SZ_1G, 1 } },
	  .mark = { DWK_MARK_ALL(SZ_1G + SZ_8K, SZ_4K),
		    DWK_MARK_ALL(GB(2), SZ_1G) },
	  .iova = 0, .length = GB(3), .page_size = SZ_1G, .uoff = 0x40 },
#endif
	/* Every other 2M block of 1G: 32K of bitmap over 9 user pages. */
	{ .name = "many_pages_alternate_2M", .map = { { 0, SZ_2M, 512 } },
	  .mark = { DWK_MARK_EVERY(0, SZ_2M, SZ_4M, 256) },
	  .iova = 0, .length = SZ_1G, .page_size = SZ_4K, .uoff = 0xff1 },
#if BITS_PER_LONG == 64
	/* 512K of bitmap, 129 user pages, more than the pin cache holds. */
	{ .name = "many_pages_sparse_1G", .map = { { 0, SZ_1G, 16 } },
	  .mark = { DWK_MARK_ALL(SZ_1G, SZ_1G), DWK_MARK_ALL(7UL * SZ_1G, SZ_1G),
		    DWK_MARK_ALL(15UL * SZ_1G, SZ_1G) },
	  .iova = 0, .length = 16UL * SZ_1G, .page_size = SZ_4K, .uoff = 0xff1 },
#else
	/* 96K of bitmap, 25 user pages. */
	{ .name = "many_pages_sparse_1G", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK_ALL(0, SZ_1G), DWK_MARK_ALL(GB(2), SZ_1G) },
	  .iova = 0, .length = GB(3), .page_size = SZ_4K, .uoff = 0xff1 },
#endif
	/* Pages, a run of pages and a block, read without clearing. */
	{ .name = "no_clear",
	  .map = { { SZ_2M, SZ_4K, 1024 }, { SZ_2M * 3, SZ_2M, 2 } },
	  .mark = { DWK_MARK_ALL(SZ_2M, SZ_4K),
		    DWK_MARK_ALL(SZ_4M - SZ_64K, SZ_128K),
		    DWK_MARK_ALL(SZ_8M, SZ_2M) },
	  .iova = SZ_2M + SZ_4K, .length = SZ_8M - SZ_8K, .page_size = SZ_4K,
	  .uoff = 0x3, .flags = IOMMU_DIRTY_NO_CLEAR },
	/*
	 * No case reads an unmapped range: the walker WARNs and fails with
	 * -EINVAL on an empty entry, and iommufd never asks it to (it refuses
	 * a range with a hole before walking).
	 */
	{ .name = "clean_table",
	  .map = { { 0, SZ_4K, 512 }, { SZ_2M, SZ_2M, 511 }, { SZ_1G, SZ_1G, 1 } },
	  .iova = 0, .length = SZ_2G, .page_size = SZ_4K, .uoff = 0x40 },
};

KUNIT_ARRAY_PARAM(arm_dwk, arm_dwk_cases, dwk_case_desc);

static void io_pgtable_arm_dirty_test(struct kunit *test)
{
	dwk_run(test, &arm_dwk_driver, test->param_value);
}

/*
 * Every one of the 262144 4K IOPTEs of 1G dirty: the walker makes one
 * record per IOPTE, here many to a 2M bit and read without clearing
 * first, then one to a 4K bit (the common case).
 */
static const struct dwk_case arm_dwk_all_dirty_2m_case = {
	.name = "all_dirty_1g_at_4k_bitmap_2m",
	.map = { { 0, SZ_4K, SZ_1G / SZ_4K } },
	.mark = { DWK_MARK_ALL(0, SZ_1G) },
	.iova = 0, .length = SZ_1G, .page_size = SZ_2M, .uoff = 0x3,
	.flags = IOMMU_DIRTY_NO_CLEAR, .timed = true,
};

static void io_pgtable_arm_dirty_all_4k(struct kunit *test)
{
	dwk_run(test, &arm_dwk_driver, &arm_dwk_all_dirty_2m_case);
	dwk_run(test, &arm_dwk_driver, &dwk_all_dirty_case);
}

static void io_pgtable_arm_dirty_unmapped(struct kunit *test)
{
	dwk_run_unmapped_mid_walk(test, &arm_dwk_driver, test->param_value);
}

KUNIT_ARRAY_PARAM(arm_dwk_unmapped, dwk_unmapped_cases, dwk_case_desc);

static struct kunit_case io_pgtable_arm_dirty_cases[] = {
	KUNIT_CASE_PARAM(io_pgtable_arm_dirty_test, arm_dwk_gen_params),
	KUNIT_CASE_SLOW(io_pgtable_arm_dirty_all_4k),
	KUNIT_CASE_PARAM(io_pgtable_arm_dirty_unmapped, arm_dwk_unmapped_gen_params),
	{}
};

static struct kunit_suite io_pgtable_arm_dirty_suite = {
	.name = "io_pgtable_arm_dirty",
	.init = arm_dwk_init,
	.suite_init = dwk_suite_init,
	.suite_exit = dwk_suite_exit,
	.test_cases = io_pgtable_arm_dirty_cases,
};

kunit_test_suite(io_pgtable_arm_dirty_suite);

MODULE_DESCRIPTION("KUnit test of io-pgtable-arm dirty tracking into iova_bitmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IOMMUFD");
