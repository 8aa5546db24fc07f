// SPDX-License-Identifier: GPL-2.0
/*
 * The caller's side of one build (see pt_bench.h): what iommufd does
 * around a domain's read_and_clear_dirty(), compiled once per library.
 * The walker is reached through domain->dirty_ops, a pointer the
 * compiler cannot see through, as iommufd reaches a driver's.
 *
 * PT_VARIANT names the struct this build exports.
 */
#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>

#include "pt_bench.h"

struct read_arg {
	struct iommu_domain *domain;
	struct iommu_dirty_bitmap *dirty;
	unsigned long flags;
};

/* Called by iova_bitmap_for_each() for each part of the range it covers. */
static int read_window(struct iova_bitmap *bitmap, unsigned long iova,
		       size_t length, void *opaque)
{
	struct read_arg *arg = opaque;

	return arg->domain->dirty_ops->read_and_clear_dirty(
		arg->domain, iova, length, arg->flags, arg->dirty);
}

static int read_bitmap(struct iommu_domain *domain, unsigned long iova,
		       size_t length, unsigned long page_size,
		       unsigned long uaddr, unsigned long flags)
{
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iova_bitmap *bitmap;
	struct read_arg arg;
	int ret;

	bitmap = iova_bitmap_alloc(iova, length, page_size,
				   (u64 __user *)uaddr);
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);
	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	arg.domain = domain;
	arg.dirty = &dirty;
	arg.flags = flags;
	ret = iova_bitmap_for_each(bitmap, &arg, read_window);
	if (!(flags & IOMMU_DIRTY_NO_CLEAR))
		iommu_iotlb_sync(domain, &gather);
	iova_bitmap_free(bitmap);
	return ret;
}

static int walk_only(struct iommu_domain *domain, unsigned long iova,
		     size_t length, unsigned long flags)
{
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	int ret;

	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	ret = domain->dirty_ops->read_and_clear_dirty(domain, iova, length,
						      flags, &dirty);
	if (!(flags & IOMMU_DIRTY_NO_CLEAR))
		iommu_iotlb_sync(domain, &gather);
	return ret;
}

static const struct iommu_dirty_ops dirty_ops = {
	.read_and_clear_dirty = pt_iommu_amdv1_read_and_clear_dirty,
};

const struct pt_bench_variant PT_VARIANT = {
	.name = PT_VARIANT_NAME,
	.init = pt_iommu_amdv1_init,
	.dirty_ops = &dirty_ops,
	.read = read_bitmap,
	.walk = walk_only,
};
