// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of the VT-d second-stage dirty walker.
 *
 * Included at the end of iommu.c: the walker is reached only through
 * intel_dirty_ops, which the driver installs from
 * intel_iommu_domain_alloc_user() on a device behind a real IOMMU.  The
 * domain here comes from intel_iommu_domain_alloc(), the driver's own
 * allocation of an unmanaged second-stage domain that needs no IOMMU, and
 * gets the rest from the test: 2M and 1G superpages, coherent paging
 * structures, dirty tracking on.  Mapping goes through the driver's
 * map_pages; with no device attached the domain has no cache tags, so the
 * flushes for replaced tables and the IOTLB sync after a read touch no
 * hardware.  The reads go into iova_bitmap the way iommufd drives them:
 * see ../dirty_walker_kunit.h.
 */
#include "../dirty_walker_kunit.h"

static void intel_dwk_free(void *data)
{
	struct dmar_domain *domain = data;

	intel_iommu_domain_free(&domain->domain);
}

static void *intel_dwk_alloc(struct kunit *test)
{
	struct dmar_domain *domain;
	struct iommu_domain *dom;

	dom = intel_iommu_domain_alloc(IOMMU_DOMAIN_UNMANAGED);
	if (!dom)
		return NULL;
	domain = to_dmar_domain(dom);
	dom->type = IOMMU_DOMAIN_UNMANAGED;
	dom->owner = &intel_iommu_ops;
	dom->ops = intel_iommu_ops.default_domain_ops;
	dom->dirty_ops = &intel_dirty_ops;
	domain->use_first_level = false;
	domain->iommu_coherency = true;
	domain->iommu_superpage = 2;
	dom->pgsize_bitmap = SZ_4K | domain_super_pgsize_bitmap(domain);
	domain->dirty_tracking = true;
	if (kunit_add_action_or_reset(test, intel_dwk_free, domain))
		return NULL;
	return domain;
}

/*
 * One IOPTE per call: given a longer aligned run, __domain_mapping() uses
 * superpages whatever pgsize says, and a case asking for 4K IOPTEs would
 * get 2M and 1G ones.
 */
static int intel_dwk_map(void *pt, unsigned long iova, unsigned long pgsize,
			 unsigned long count)
{
	struct dmar_domain *domain = pt;
	size_t mapped;
	int ret = 0;

	for (; count && !ret; count--, iova += pgsize) {
		mapped = 0;
		ret = domain->domain.ops->map_pages(&domain->domain, iova, iova,
						    pgsize, 1,
						    IOMMU_READ | IOMMU_WRITE,
						    GFP_KERNEL, &mapped);
		if (!ret && mapped != pgsize)
			ret = -EIO;
	}
	return ret;
}

static bool intel_dwk_leaf(void *pt, unsigned long iova, struct dwk_leaf *leaf)
{
	struct dmar_domain *domain = pt;
	struct dma_pte *pte;
	int level = 0;

	pte = pfn_to_dma_pte(domain, iova >> VTD_PAGE_SHIFT, &level, GFP_ATOMIC);
	if (!pte || !dma_pte_present(pte))
		return false;
	/* A leaf: level 1, or a superpage above it. */
	if (level > 1 && !dma_pte_superpage(pte))
		return false;
	leaf->pte = &pte->val;
	leaf->nr = 1;
	leaf->size = level_size(level) << VTD_PAGE_SHIFT;
	return true;
}

static int intel_dwk_read(void *pt, unsigned long iova, size_t length,
			  unsigned long flags, struct iommu_dirty_bitmap *dirty)
{
	struct dmar_domain *domain = pt;

	return domain->domain.dirty_ops->read_and_clear_dirty(&domain->domain,
							       iova, length,
							       flags, dirty);
}

static void intel_dwk_sync(void *pt, struct iommu_iotlb_gather *gather)
{
	struct dmar_domain *domain = pt;

	iommu_iotlb_sync(&domain->domain, gather);
}

static const struct dwk_driver intel_dwk_driver = {
	.alloc = intel_dwk_alloc,
	.map = intel_dwk_map,
	.leaf = intel_dwk_leaf,
	.read = intel_dwk_read,
	.sync = intel_dwk_sync,
	.dirty_mask = DMA_SL_PTE_DIRTY,
	.dirty = DMA_SL_PTE_DIRTY,
};

KUNIT_ARRAY_PARAM(intel_dwk_common, dwk_common_cases, dwk_case_desc);

static void intel_dwk_test_common(struct kunit *test)
{
	dwk_run(test, &intel_dwk_driver, test->param_value);
}

static void intel_dwk_test_all_dirty(struct kunit *test)
{
	dwk_run(test, &intel_dwk_driver, &dwk_all_dirty_case);
}

/* Without dirty tracking on, a read into a bitmap is refused. */
static void intel_dwk_test_tracking_off(struct kunit *test)
{
	struct iommu_dirty_bitmap dirty;
	struct dmar_domain *domain;
	struct iova_bitmap *bitmap;
	unsigned long map;
	int ret;

	domain = intel_dwk_alloc(test);
	KUNIT_ASSERT_NOT_NULL(test, domain);
	domain->dirty_tracking = false;
	map = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, map, 0, "kunit_vm_mmap failed");
	bitmap = iova_bitmap_alloc(0, SZ_2M, SZ_4K, (u64 __user *)map);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(bitmap), "iova_bitmap_alloc: %pe", bitmap);
	iommu_dirty_bitmap_init(&dirty, bitmap, NULL);
	ret = intel_dwk_read(domain, 0, SZ_2M, 0, &dirty);
	iova_bitmap_free(bitmap);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
			    "read into a bitmap with dirty tracking off");
}

static struct kunit_case intel_dwk_test_cases[] = {
	KUNIT_CASE_PARAM(intel_dwk_test_common, intel_dwk_common_gen_params),
	KUNIT_CASE_SLOW(intel_dwk_test_all_dirty),
	KUNIT_CASE(intel_dwk_test_tracking_off),
	{}
};

static struct kunit_suite intel_dwk_test_suite = {
	.name = "intel_iommu_sl_dirty",
	.suite_init = dwk_suite_init,
	.suite_exit = dwk_suite_exit,
	.test_cases = intel_dwk_test_cases,
};

kunit_test_suite(intel_dwk_test_suite);
