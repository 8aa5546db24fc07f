// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit test of the dirty walker of the AMD IOMMU v1 page table.
 *
 * The page table is the driver's own (alloc_io_pgtable_ops(AMD_IOMMU_V1)),
 * inside a protection_domain built here the way protection_domain_alloc()
 * builds one, minus the domain ID: that comes from a bitmap only the
 * hardware probe allocates.  The domain has no IOMMU and no device, so the
 * flushes that mapping triggers (increase_address_space(), replaced PTEs)
 * walk empty lists and touch no hardware.  The walker runs through
 * io_pgtable_ops, as amd_iommu_read_and_clear_dirty() calls it, into
 * iova_bitmap the way iommufd drives it: see ../dirty_walker_kunit.h.
 */
#include <linux/io-pgtable.h>
#include <linux/slab.h>

#include "amd_iommu_types.h"
#include "amd_iommu.h"
#include "../dirty_walker_kunit.h"

static void amd_dwk_free(void *data)
{
	struct protection_domain *pdom = data;

	free_io_pgtable_ops(&pdom->iop.pgtbl.ops);
	kfree(pdom);
}

static void *amd_dwk_alloc(struct kunit *test)
{
	struct protection_domain *pdom;

	pdom = kzalloc(sizeof(*pdom), GFP_KERNEL);
	if (!pdom)
		return NULL;
	spin_lock_init(&pdom->lock);
	INIT_LIST_HEAD(&pdom->dev_list);
	INIT_LIST_HEAD(&pdom->dev_data_list);
	xa_init(&pdom->iommu_array);
	pdom->domain.type = IOMMU_DOMAIN_UNMANAGED;
	pdom->pd_mode = PD_MODE_V1;
	pdom->dirty_tracking = true;
	pdom->iop.pgtbl.cfg.amd.nid = NUMA_NO_NODE;
	if (!alloc_io_pgtable_ops(AMD_IOMMU_V1, &pdom->iop.pgtbl.cfg, pdom)) {
		kfree(pdom);
		return NULL;
	}
	if (kunit_add_action_or_reset(test, amd_dwk_free, pdom))
		return NULL;
	return pdom;
}

static int amd_dwk_map(void *pt, unsigned long iova, unsigned long pgsize,
		       unsigned long count)
{
	struct protection_domain *pdom = pt;
	struct io_pgtable_ops *ops = &pdom->iop.pgtbl.ops;
	size_t mapped = 0;
	int ret;

	ret = ops->map_pages(ops, iova, iova, pgsize, count,
			     IOMMU_READ | IOMMU_WRITE, GFP_KERNEL, &mapped);
	if (!ret && mapped != pgsize * count)
		ret = -EIO;
	return ret;
}

/*
 * Find the leaf of @iova by walking the table here, not with the driver's
 * fetch_pte(): a large page of a non-default size is a run of identical
 * PTEs one level up from its size, with next level 7 and the size encoded
 * in the low address bits.
 */
static bool amd_dwk_leaf(void *pt, unsigned long iova, struct dwk_leaf *leaf)
{
	struct protection_domain *pdom = pt;
	struct amd_io_pgtable *pgtable = &pdom->iop;
	int level = pgtable->mode - 1;
	u64 *table = pgtable->root;
	unsigned int idx;
	u64 *pte;

	if (iova > PM_LEVEL_SIZE(pgtable->mode))
		return false;
	for (;;) {
		idx = PM_LEVEL_INDEX(level, iova);
		pte = &table[idx];
		if (!IOMMU_PTE_PRESENT(*pte))
			return false;
		if (PM_PTE_LEVEL(*pte) == PAGE_MODE_7_LEVEL) {
			leaf->size = PTE_PAGE_SIZE(*pte);
			leaf->nr = leaf->size / PTE_LEVEL_PAGE_SIZE(level);
			leaf->pte = &table[idx & ~(leaf->nr - 1)];
			return true;
		}
		if (!level || PM_PTE_LEVEL(*pte) == PAGE_MODE_NONE) {
			leaf->size = PTE_LEVEL_PAGE_SIZE(level);
			leaf->nr = 1;
			leaf->pte = pte;
			return true;
		}
		table = IOMMU_PTE_PAGE(*pte);
		level--;
	}
}

static int amd_dwk_read(void *pt, unsigned long iova, size_t length,
			unsigned long flags, struct iommu_dirty_bitmap *dirty)
{
	struct protection_domain *pdom = pt;
	struct io_pgtable_ops *ops = &pdom->iop.pgtbl.ops;

	return ops->read_and_clear_dirty(ops, iova, length, flags, dirty);
}

static const struct dwk_driver amd_dwk_driver = {
	.alloc = amd_dwk_alloc,
	.map = amd_dwk_map,
	.leaf = amd_dwk_leaf,
	.read = amd_dwk_read,
	.dirty_mask = IOMMU_PTE_HD,
	.dirty = IOMMU_PTE_HD,
};

KUNIT_ARRAY_PARAM(amd_dwk_common, dwk_common_cases, dwk_case_desc);

static void amd_dwk_test_common(struct kunit *test)
{
	dwk_run(test, &amd_dwk_driver, test->param_value);
}

static void amd_dwk_test_all_dirty(struct kunit *test)
{
	dwk_run(test, &amd_dwk_driver, &dwk_all_dirty_case);
}

/*
 * Page sizes between the levels are runs of 2^n replicated PTEs, of which
 * the IOMMU may set the dirty bit in any one: the walker must OR them all
 * and clear them all.
 */
static const struct dwk_case amd_dwk_replicated_cases[] = {
	{ .name = "16k_last_replica", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_16K, 3) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "16k_all_replicas", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK(SZ_1M + SZ_16K), DWK_MARK(SZ_1M + 7 * SZ_16K) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "32k_first_and_last_replica", .map = { { SZ_1M, SZ_32K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_32K, 0), DWK_MARK_R(SZ_1M + 3 * SZ_32K, 7) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "32k_bitmap_64k", .map = { { SZ_1M, SZ_32K, 4 } },
	  .mark = { DWK_MARK_R(SZ_1M + 3 * SZ_32K, 5) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_64K },
	{ .name = "8m_last_replica", .map = { { SZ_8M, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_16M, 3) },
	  .iova = SZ_8M, .length = SZ_16M, .page_size = SZ_4K },
	{ .name = "8m_bitmap_16m", .map = { { SZ_8M, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_8M, 1) },
	  .iova = 0, .length = SZ_32M, .page_size = SZ_16M },
	{ .name = "8m_straddle_end", .map = { { SZ_8M, SZ_8M, 1 } },
	  .mark = { DWK_MARK_R(SZ_8M, 2) },
	  .iova = SZ_4M, .length = SZ_8M, .page_size = SZ_4K },
	{ .name = "16k_straddle_start", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M + SZ_16K, 2) },
	  .iova = SZ_1M + SZ_8K, .length = SZ_64K, .page_size = SZ_4K },
	{ .name = "16k_no_clear", .map = { { SZ_1M, SZ_16K, 8 } },
	  .mark = { DWK_MARK_R(SZ_1M, 1), DWK_MARK_R(SZ_1M + 5 * SZ_16K, 2) },
	  .iova = SZ_1M, .length = SZ_128K, .page_size = SZ_4K,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	{ .name = "8m_no_clear_user_offset_0xff1", .map = { { 0, SZ_8M, 2 } },
	  .mark = { DWK_MARK_R(SZ_8M, 3) },
	  .iova = 0, .length = SZ_16M, .page_size = SZ_4K, .uoff = 0xff1,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
};

KUNIT_ARRAY_PARAM(amd_dwk_replicated, amd_dwk_replicated_cases, dwk_case_desc);

static void amd_dwk_test_replicated(struct kunit *test)
{
	dwk_run(test, &amd_dwk_driver, test->param_value);
}

static struct kunit_case amd_dwk_test_cases[] = {
	KUNIT_CASE_PARAM(amd_dwk_test_common, amd_dwk_common_gen_params),
	KUNIT_CASE_SLOW(amd_dwk_test_all_dirty),
	KUNIT_CASE_PARAM(amd_dwk_test_replicated, amd_dwk_replicated_gen_params),
	{}
};

static struct kunit_suite amd_dwk_test_suite = {
	.name = "amd_iommu_v1_dirty",
	.suite_init = dwk_suite_init,
	.suite_exit = dwk_suite_exit,
	.test_cases = amd_dwk_test_cases,
};

kunit_test_suite(amd_dwk_test_suite);
