/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KUnit test of a format's read_and_clear_dirty() reporting into iova_bitmap.
 *
 * fmt/Makefile builds this once per format with dirty tracking, from the
 * format's iommu_<fmt>.c with GENERIC_PT_KUNIT_DIRTY defined, as it builds
 * kunit_iommu_pt.h.  The walker under test is the format's exported
 * pt_iommu_<fmt>_read_and_clear_dirty(), reached through the domain's
 * iommu_dirty_ops the way iommufd reaches it, on a table made by the
 * format's own init and map_range() with no IOMMU behind it.
 *
 * The cases and the checks are those of drivers/iommu/dirty_walker_kunit.h:
 * a case maps IOPTEs of chosen sizes, sets the dirty bit in chosen leaf PTEs
 * as the IOMMU does (in one copy of a contiguous entry, or in all), reads
 * the range through iova_bitmap_for_each() into a bitmap in memory from
 * kunit_vm_mmap(), compares the whole user mapping, canary bytes included,
 * with the image it expects, and checks the dirty bit of every leaf PTE.
 * Leaves are found with the format's decoding of entries, but clean and
 * dirty are told apart by the bit the IOMMU specification names, not by
 * the format's pt_entry_is_write_dirty(), which is part of the walker.
 *
 * Besides the header's cases for 4K, 2M and 1G IOPTEs, a format runs those
 * of the cases below whose IOPTE sizes it has (contiguous entries, the 2K
 * granule of iommufd's mock), every page size it offers in each of its test
 * configurations, and 1 GiB of dirty 4K IOPTEs.
 */
#include <kunit/test.h>
#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../dirty_walker_kunit.h"
#include "../iommu-pages.h"
#include "pt_iter.h"

/*
 * The bit an IOMMU sets in a leaf PTE when a device writes through it: D,
 * bit 6 of an AMD I/O page table PTE, and D, bit 9 of a VT-d second-stage
 * leaf entry.  iommufd's mock is the AMD format with a smaller granule.
 */
#define kdirty_pte_d_amdv1	BIT_ULL(6)
#define kdirty_pte_d_vtdss	BIT_ULL(9)
#define KDIRTY_PTE_D		CONCATENATE(kdirty_pte_d_, PT_FMT)

static_assert(sizeof(u64) == PT_ITEM_WORD_SIZE);

#define kdirty_table_cfg CONCATENATE(pt_iommu_table, _cfg)
#define kdirty_table_init CONCATENATE(CONCATENATE(pt_iommu_, PTPFX), init)
#define KDIRTY_DIRTY_OPS(fmt) IOMMU_PT_DIRTY_OPS(fmt)

/*
 * Features of each test configuration besides its own: all the format
 * supports, less DMA_INCOHERENT (an IOMMU that writes dirty bits into the
 * table walks it coherently) and those kunit_fmt_cfgs choose.
 */
#define KDIRTY_FEATURES                 \
	(PT_SUPPORTED_FEATURES &        \
	 ~(KUNIT_FMT_FEATURES | BIT(PT_FEAT_DMA_INCOHERENT)))

/* The table embedded in a domain, as an IOMMU driver embeds it. */
struct kdirty_table {
	union {
		struct iommu_domain domain;
		struct pt_iommu_table fmt_table;
	};
	spinlock_t top_lock;	/* what get_top_lock() returns */
};

PT_IOMMU_CHECK_DOMAIN(struct kdirty_table, fmt_table.iommu, domain);

/* The test configuration (index in kunit_fmt_cfgs) of a test's tables. */
struct kdirty_priv {
	unsigned int cfg;
};

/* What each test configuration offers, filled in by the suite's init. */
static pt_vaddr_t kdirty_pgsizes[ARRAY_SIZE(kunit_fmt_cfgs)];

/* No IOMMU caches the table; what an unmap collected is freed. */
static void kdirty_iotlb_sync(struct iommu_domain *domain,
			      struct iommu_iotlb_gather *gather)
{
	iommu_put_pages_list(&gather->freelist);
}

static const struct iommu_domain_ops kdirty_domain_ops = {
	.iotlb_sync = kdirty_iotlb_sync,
};

static const struct iommu_dirty_ops kdirty_dirty_ops = {
	KDIRTY_DIRTY_OPS(PTPFX_RAW),
};

/* A larger top needs nothing from the (absent) IOMMU. */
static void kdirty_change_top(struct pt_iommu *iommu_table,
			      phys_addr_t top_paddr, unsigned int top_level)
{
}

static spinlock_t *kdirty_get_top_lock(struct pt_iommu *iommu_table)
{
	return &container_of(iommu_table, struct kdirty_table,
			     fmt_table.iommu)->top_lock;
}

static const struct pt_iommu_driver_ops kdirty_driver_ops = {
	.change_top = kdirty_change_top,
	.get_top_lock = kdirty_get_top_lock,
};

static int kdirty_table_init_cfg(struct kdirty_table *t, unsigned int cfg_id)
{
	struct kdirty_table_cfg cfg = kunit_fmt_cfgs[cfg_id];

	cfg.common.features |= KDIRTY_FEATURES;
	if (!cfg.common.hw_max_vasz_lg2)
		cfg.common.hw_max_vasz_lg2 = PT_MAX_VA_ADDRESS_LG2;
	if (!cfg.common.hw_max_oasz_lg2)
		cfg.common.hw_max_oasz_lg2 = pt_max_oa_lg2(NULL);

	spin_lock_init(&t->top_lock);
	t->fmt_table.iommu.nid = NUMA_NO_NODE;
	t->fmt_table.iommu.driver_ops = &kdirty_driver_ops;
	t->domain.ops = &kdirty_domain_ops;
	t->domain.dirty_ops = &kdirty_dirty_ops;
	return kdirty_table_init(&t->fmt_table, &cfg, GFP_KERNEL);
}

KUNIT_DEFINE_ACTION_WRAPPER(kdirty_deinit, pt_iommu_deinit, struct pt_iommu *);

static void *kdirty_alloc(struct kunit *test)
{
	const struct kdirty_priv *priv = test->priv;
	struct kdirty_table *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	if (!t || kdirty_table_init_cfg(t, priv->cfg))
		return NULL;
	if (kunit_add_action_or_reset(test, kdirty_deinit, &t->fmt_table.iommu))
		return NULL;
	return t;
}

/*
 * Map @count IOPTEs of exactly @pgsize from @iova: for the call the domain
 * offers only that size, which map_range() honours.  The OA is the IOVA,
 * wrapped to what the table can hold.
 */
static int kdirty_map(void *pt, unsigned long iova, unsigned long pgsize,
		      unsigned long count)
{
	struct kdirty_table *t = pt;
	struct pt_common *common = common_from_iommu(&t->fmt_table.iommu);
	unsigned long sizes = t->domain.pgsize_bitmap;
	int ret;

	if (!(sizes & pgsize))
		return -EOPNOTSUPP;
	t->domain.pgsize_bitmap = pgsize;
	ret = iommu_map(&t->domain, iova, oalog2_mod(iova, common->max_oasz_lg2),
			pgsize * count, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
	t->domain.pgsize_bitmap = sizes;
	return ret;
}

static int kdirty_find_leaf(struct pt_range *range, void *arg,
			    unsigned int level, struct pt_table_p *table)
{
	struct pt_state pts = pt_init(range, level, table);
	struct dwk_leaf *leaf = arg;
	unsigned int contig_lg2;

	switch (pt_load_single_entry(&pts)) {
	case PT_ENTRY_TABLE:
		return pt_descend(&pts, arg, kdirty_find_leaf);
	case PT_ENTRY_OA:
		/* Every copy of a contiguous entry, from the first. */
		contig_lg2 = pt_entry_num_contig_lg2(&pts);
		leaf->pte = pt_cur_table(&pts, u64) +
			    log2_set_mod(pts.index, 0, contig_lg2);
		leaf->nr = log2_to_int(contig_lg2);
		leaf->size = log2_to_int(pt_entry_oa_lg2sz(&pts));
		return 0;
	default:
		return -ENOENT;
	}
}

static bool kdirty_leaf(void *pt, unsigned long iova, struct dwk_leaf *leaf)
{
	struct kdirty_table *t = pt;
	struct pt_range range =
		pt_make_range(common_from_iommu(&t->fmt_table.iommu), iova, iova);

	return !pt_check_range(&range) &&
	       !pt_walk_range(&range, kdirty_find_leaf, leaf);
}

static int kdirty_read(void *pt, unsigned long iova, size_t length,
		       unsigned long flags, struct iommu_dirty_bitmap *dirty)
{
	struct kdirty_table *t = pt;

	return t->domain.dirty_ops->read_and_clear_dirty(&t->domain, iova,
							 length, flags, dirty);
}

static void kdirty_sync(void *pt, struct iommu_iotlb_gather *gather)
{
	struct kdirty_table *t = pt;

	iommu_iotlb_sync(&t->domain, gather);
}

static const struct dwk_driver kdirty_driver = {
	.alloc = kdirty_alloc,
	.map = kdirty_map,
	.leaf = kdirty_leaf,
	.read = kdirty_read,
	.sync = kdirty_sync,
	.dirty_mask = KDIRTY_PTE_D,
	.dirty = KDIRTY_PTE_D,
};

/*
 * Cases for some formats only: each runs where the first test
 * configuration has every IOPTE size it maps.
 */
static const struct dwk_case kdirty_cases[] = {
	/*
	 * Contiguous entries (AMD v1 and the mock): the IOMMU sets D in the
	 * copy it walked, any of them; the walker must see it and clear all.
	 */
	{ .name = "16k_last_replica", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_16K, DWK_LAST_REPLICA) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "16k_every_replica", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK(SZ_1M + SZ_16K), DWK_MARK(SZ_1M + 7 * SZ_16K) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "32k_first_and_last_replica", .map = { { SZ_1M, SZ_32K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_32K, 0),
		    DWK_MARK_R(SZ_1M + 3 * SZ_32K, DWK_LAST_REPLICA) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "32k_bitmap_64k", .map = { { SZ_1M, SZ_32K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + 3 * SZ_32K, 5) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_64K },
	{ .name = "16k_straddle_start", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M, 2), DWK_MARK_R(SZ_1M + SZ_16K, 1) },
	  .iova = SZ_1M + SZ_8K, .length = SZ_64K, .page_size = SZ_4K,
	  .uoff = 0x3 },
	{ .name = "64k_straddle_both", .map = { { SZ_1M, SZ_64K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M, DWK_LAST_REPLICA),
		    DWK_MARK_R(SZ_1M + 3 * SZ_64K, 0) },
	  .iova = SZ_1M + SZ_32K, .length = 3 * SZ_64K, .page_size = SZ_4K,
	  .uoff = 0xff1 },
	{ .name = "1m_query_inside", .map = { { SZ_1M, SZ_1M, 2 } },
	  .mark = { DWK_MARK_R(SZ_2M, 200) },
	  .iova = SZ_2M + SZ_256K, .length = SZ_64K, .page_size = SZ_4K },
	/* One bit of bitmap, a 1M IOPTE behind it: not a byte more written. */
	{ .name = "1m_straddle_end_one_bit", .map = { { SZ_1M, SZ_1M, 1 } },
	  .mark = { DWK_MARK(SZ_1M + SZ_4K) },
	  .iova = SZ_1M, .length = SZ_4K, .page_size = SZ_4K },
	{ .name = "8m_last_replica", .map = { { SZ_8M, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_16M, DWK_LAST_REPLICA) },
	  .iova = SZ_8M, .length = SZ_16M, .page_size = SZ_4K },
	{ .name = "8m_bitmap_16m", .map = { { SZ_8M, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_8M, 1) },
	  .iova = 0, .length = SZ_32M, .page_size = SZ_16M },
	{ .name = "8m_straddle_end", .map = { { SZ_8M, SZ_8M, 1 } },
	  .mark = { DWK_MARK_R(SZ_8M, 2) },
	  .iova = SZ_4M, .length = SZ_8M, .page_size = SZ_4K },
	{ .name = "512m_straddle_start_bitmap_2m", .map = { { SZ_512M, SZ_512M, 2 } },
	  .mark = { DWK_MARK_R(SZ_512M, DWK_LAST_REPLICA), DWK_MARK_R(SZ_1G, 0) },
	  .iova = SZ_512M + SZ_256M, .length = SZ_512M, .page_size = SZ_2M,
	  .uoff = 0x3 },
	{ .name = "16g_straddle_end_bitmap_2m", .map = { { 16UL * SZ_1G, 16UL * SZ_1G, 1 } },
	  .mark = { DWK_MARK_R(16UL * SZ_1G, 7) },
	  .iova = 8UL * SZ_1G, .length = 12UL * SZ_1G, .page_size = SZ_2M,
	  .uoff = 0xff1 },
	{ .name = "16k_no_clear", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M, 1), DWK_MARK_R(SZ_1M + 5 * SZ_16K, 2) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	{ .name = "8m_no_clear_user_offset_0xff1", .map = { { 0, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_8M, 3) },
	  .iova = 0, .length = SZ_16M, .page_size = SZ_4K, .uoff = 0xff1,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	/*
	 * The mock's 2K granule, where a 4K IOPTE is two 2K entries and
	 * iommufd lets a bitmap of 2K pages start in the middle of one; the
	 * 4K cases run on every format.
	 */
	{ .name = "2k_sparse", .map = { { SZ_1M, SZ_2K, 64 } },
	  .mark = { DWK_MARK(SZ_1M + 3 * SZ_2K), DWK_MARK(SZ_1M + 40 * SZ_2K),
		    DWK_MARK(SZ_1M + 63 * SZ_2K) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_2K, .uoff = 0x3 },
	{ .name = "2k_bitmap_4k", .map = { { SZ_1M, SZ_2K, 16 } },
	  .mark = { DWK_MARK(SZ_1M + SZ_2K), DWK_MARK(SZ_1M + 6 * SZ_2K) },
	  .iova = SZ_1M, .length = SZ_32K, .page_size = SZ_4K },
	{ .name = "4k_query_inside_bitmap_2k", .map = { { SZ_1M, SZ_4K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_4K, 1) },
	  .iova = SZ_1M + SZ_4K + SZ_2K, .length = SZ_2K, .page_size = SZ_2K },
	{ .name = "4k_straddle_both_bitmap_2k", .map = { { SZ_1M, SZ_4K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M, 0), DWK_MARK_R(SZ_1M + 3 * SZ_4K, 1) },
	  .iova = SZ_1M + SZ_2K, .length = 3 * SZ_4K, .page_size = SZ_2K,
	  .uoff = 0xff1 },
	{ .name = "4k_no_clear_bitmap_2k", .map = { { SZ_1M, SZ_4K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_4K, 0), DWK_MARK_R(SZ_1M + 2 * SZ_4K, 1) },
	  .iova = SZ_1M + SZ_2K, .length = SZ_8K, .page_size = SZ_2K,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	/* For every format. */
#if BITS_PER_LONG == 64
	{ .name = "1g_straddle_both_ragged", .map = { { SZ_1G, SZ_1G, 4 } },
	  .mark = { DWK_MARK(SZ_1G), DWK_MARK(3UL * SZ_1G), DWK_MARK(4UL * SZ_1G) },
	  .iova = SZ_1G + SZ_512M, .length = 3UL * SZ_1G - SZ_256M + SZ_8K + SZ_4K,
	  .page_size = SZ_4K, .uoff = 0x40 },
	{ .name = "bitmap_1g_over_mixed",
	  .map = { { 0, SZ_1G, 1 }, { SZ_1G, SZ_4K, 512 },
		   { SZ_1G + SZ_2M, SZ_2M, 511 }, { 2UL * SZ_1G, SZ_1G, 2 } },
	  .mark = { DWK_MARK(SZ_1G + SZ_8K), DWK_MARK(3UL * SZ_1G) },
	  .iova = 0, .length = 4UL * SZ_1G, .page_size = SZ_1G, .uoff = 0x3 },
	/* 512K of bitmap over 129 user pages, more than the pins held at first. */
	{ .name = "many_pages_sparse_1g", .map = { { 0, SZ_1G, 16 } },
	  .mark = { DWK_MARK(SZ_1G), DWK_MARK(7UL * SZ_1G), DWK_MARK(15UL * SZ_1G) },
	  .iova = 0, .length = 16UL * SZ_1G, .page_size = SZ_4K, .uoff = 0xff1 },
#else
	/* The same within a 32-bit IOVA space. */
	{ .name = "1g_straddle_both_ragged", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK(0), DWK_MARK(SZ_1G), DWK_MARK(2UL * SZ_1G) },
	  .iova = SZ_512M, .length = 2UL * SZ_1G - SZ_256M + SZ_8K + SZ_4K,
	  .page_size = SZ_4K, .uoff = 0x40 },
	{ .name = "bitmap_1g_over_mixed",
	  .map = { { 0, SZ_1G, 1 }, { SZ_1G, SZ_4K, 512 },
		   { SZ_1G + SZ_2M, SZ_2M, 511 }, { 2UL * SZ_1G, SZ_1G, 1 } },
	  .mark = { DWK_MARK(SZ_1G + SZ_8K), DWK_MARK(2UL * SZ_1G) },
	  .iova = 0, .length = 3UL * SZ_1G, .page_size = SZ_1G, .uoff = 0x3 },
	{ .name = "many_pages_sparse_1g", .map = { { 0, SZ_1G, 3 } },
	  .mark = { DWK_MARK(0), DWK_MARK(2UL * SZ_1G) },
	  .iova = 0, .length = 3UL * SZ_1G, .page_size = SZ_4K, .uoff = 0xff1 },
#endif
};

static bool kdirty_case_fits(const struct dwk_case *c)
{
	const struct dwk_map *m;

	for (m = c->map; m < c->map + DWK_MAX_MAPS && m->count; m++)
		if (!(kdirty_pgsizes[0] & m->pgsize))
			return false;
	return true;
}

static const void *kdirty_cases_gen(struct kunit *test, const void *prev,
				    char *desc)
{
	const struct dwk_case *c = prev ? (const struct dwk_case *)prev + 1 :
					  kdirty_cases;

	for (; c < kdirty_cases + ARRAY_SIZE(kdirty_cases); c++) {
		if (kdirty_case_fits(c)) {
			dwk_case_desc(c, desc);
			return c;
		}
	}
	return NULL;
}

/*
 * Every page size of every test configuration: the parameter is
 * cfg * 64 + log2(size) + 1.
 */
static const void *kdirty_sizes_gen(struct kunit *test, const void *prev,
				    char *desc)
{
	uintptr_t at = (uintptr_t)prev;
	unsigned int cfg, lg2;

	while (++at <= ARRAY_SIZE(kdirty_pgsizes) * 64) {
		cfg = (at - 1) / 64;
		lg2 = (at - 1) % 64;
		if (!(kdirty_pgsizes[cfg] & log2_to_int(lg2)))
			continue;
		/* Two IOPTEs of the size must fit in the IOVA space. */
		if (lg2 > BITS_PER_LONG - 2)
			continue;
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "cfg_%u_%lu%c", cfg,
			 1UL << (lg2 % 10), "BKMGTPE"[lg2 / 10]);
		return (const void *)at;
	}
	return NULL;
}

static void dirty_common_cases(struct kunit *test)
{
	dwk_run(test, &kdirty_driver, test->param_value);
}

static void dirty_format_cases(struct kunit *test)
{
	dwk_run(test, &kdirty_driver, test->param_value);
}

/*
 * Two IOPTEs of the size, a query from the middle of the first to the
 * middle of the second at 1/16 of the size a bit (or the smallest page):
 * both dirty and read; only the first, read without clearing; only the
 * second.
 */
static void dirty_every_page_size(struct kunit *test)
{
	uintptr_t at = (uintptr_t)test->param_value - 1;
	struct kdirty_priv *priv = test->priv;
	unsigned long size = 1UL << (at % 64);
	const struct dwk_mark first = DWK_MARK_R(0, DWK_LAST_REPLICA);
	const struct dwk_mark second = DWK_MARK_R(size, 0);
	const struct dwk_mark second_last = DWK_MARK_R(size, DWK_LAST_REPLICA);
	struct dwk_case *c;

	priv->cfg = at / 64;
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	*c = (struct dwk_case) {
		.name = "two_straddling",
		.map = { { 0, size, 2 } },
		.mark = { first, second },
		.iova = size / 2, .length = size,
		.page_size = max(size / 16,
				 1UL << __ffs(kdirty_pgsizes[priv->cfg])),
	};
	dwk_run(test, &kdirty_driver, c);

	c->mark[1] = (struct dwk_mark){};
	c->flags = IOMMU_DIRTY_NO_CLEAR;
	c->uoff = 0xff1;
	dwk_run(test, &kdirty_driver, c);

	c->mark[0] = second_last;
	c->flags = 0;
	c->uoff = 0x3;
	dwk_run(test, &kdirty_driver, c);
}

static void dirty_all_4k_1g(struct kunit *test)
{
	dwk_run(test, &kdirty_driver, &dwk_all_dirty_case);
}

static void dirty_unmapped_mid_walk(struct kunit *test)
{
	if (!kdirty_case_fits(test->param_value))
		kunit_skip(test, "no IOPTEs of the case's size");
	dwk_run_unmapped_mid_walk(test, &kdirty_driver, test->param_value);
}

KUNIT_ARRAY_PARAM(kdirty_common, dwk_common_cases, dwk_case_desc);
KUNIT_ARRAY_PARAM(kdirty_unmapped, dwk_unmapped_cases, dwk_case_desc);

static struct kunit_case kdirty_test_cases[] = {
	KUNIT_CASE_PARAM(dirty_common_cases, kdirty_common_gen_params),
	KUNIT_CASE_PARAM(dirty_format_cases, kdirty_cases_gen),
	KUNIT_CASE_PARAM(dirty_every_page_size, kdirty_sizes_gen),
	KUNIT_CASE_SLOW(dirty_all_4k_1g),
	KUNIT_CASE_PARAM(dirty_unmapped_mid_walk, kdirty_unmapped_gen_params),
	{}
};

/* Tables use the first test configuration unless a case says otherwise. */
static int kdirty_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct kdirty_priv), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

/* Find the page sizes of each test configuration from a table of it. */
static int kdirty_suite_init(struct kunit_suite *suite)
{
	struct kdirty_table *t;
	unsigned int i;
	int ret = 0;

	t = kzalloc_obj(*t);
	if (!t)
		return -ENOMEM;
	for (i = 0; i != ARRAY_SIZE(kunit_fmt_cfgs); i++) {
		memset(t, 0, sizeof(*t));
		ret = kdirty_table_init_cfg(t, i);
		if (ret) {
			pr_err("%s: test configuration %u: %pe\n", suite->name,
			       i, ERR_PTR(ret));
			break;
		}
		kdirty_pgsizes[i] = t->domain.pgsize_bitmap;
		pt_iommu_deinit(&t->fmt_table.iommu);
	}
	kfree(t);
	return ret ? ret : dwk_suite_init(suite);
}

static struct kunit_suite NS(dirty_suite) = {
	.name = "iommu_pt_dirty_" __stringify(PTPFX_RAW),
	.init = kdirty_test_init,
	.suite_init = kdirty_suite_init,
	.suite_exit = dwk_suite_exit,
	.test_cases = kdirty_test_cases,
};

kunit_test_suites(&NS(dirty_suite));

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit test of generic page table dirty tracking into iova_bitmap");
MODULE_IMPORT_NS("GENERIC_PT_IOMMU");
MODULE_IMPORT_NS("IOMMUFD");
