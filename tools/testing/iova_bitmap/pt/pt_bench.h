/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One build of the dirty-read path, as bench_pt.c sees it: generic_pt's
 * amdv1 code, an iommufd-like caller and one iova_bitmap library, linked
 * into one object whose only global symbol is the struct below (see the
 * Makefile), so that the 7.3 build and ours live in one binary.
 */
#ifndef PT_BENCH_H
#define PT_BENCH_H

struct iommu_domain;
struct iommu_dirty_ops;
struct pt_iommu_amdv1;
struct pt_iommu_amdv1_cfg;

struct pt_bench_variant {
	const char *name;
	/* This build's pt_iommu_amdv1_init(). */
	int (*init)(struct pt_iommu_amdv1 *table,
		    const struct pt_iommu_amdv1_cfg *cfg, gfp_t gfp);
	/* Its read_and_clear_dirty(), for domain->dirty_ops. */
	const struct iommu_dirty_ops *dirty_ops;
	/*
	 * What iommufd does for IOMMU_HWPT_GET_DIRTY_BITMAP: allocate an
	 * iova_bitmap over the user buffer at @uaddr, walk the range window
	 * by window through domain->dirty_ops, flush the gathered IOTLB
	 * range, free the bitmap.  Returns the walk's error, if any.
	 */
	int (*read)(struct iommu_domain *domain, unsigned long iova,
		    size_t length, unsigned long page_size,
		    unsigned long uaddr, unsigned long flags);
	/* The walk alone: the same walker with no bitmap, then the flush. */
	int (*walk)(struct iommu_domain *domain, unsigned long iova,
		    size_t length, unsigned long flags);
};

extern const struct pt_bench_variant pt_variant_stock, pt_variant_ours,
	pt_variant_floor;

#endif
