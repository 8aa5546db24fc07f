/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for <linux/iommu.h>: the domain, the IOTLB gather and the dirty
 * bitmap record, as generic_pt's iommu_pt.h and an iommufd-like caller use
 * them.  Which iova_bitmap it records into is the build's choice: the
 * include path finds our header or 7.3's as <linux/iova_bitmap.h>.
 */
#ifndef __LINUX_IOMMU_H
#define __LINUX_IOMMU_H

#include "../pt_shim.h"
#include <linux/iova_bitmap.h>

/* Mapping permissions (the kernel's values). */
#define IOMMU_READ	(1 << 0)
#define IOMMU_WRITE	(1 << 1)
#define IOMMU_MMIO	(1 << 4)

/* read_and_clear_dirty() flags: leave the dirty bits set. */
#define IOMMU_DIRTY_NO_CLEAR	(1 << 0)

#define __IOMMU_DOMAIN_PAGING	(1U << 0)

/* Table pages to free once the IOTLB no longer holds them. */
struct iommu_pages_list {
	struct list_head pages;
};

#define IOMMU_PAGES_LIST_INIT(name) \
	((struct iommu_pages_list){ .pages = LIST_HEAD_INIT(name.pages) })

/*
 * A pending IOTLB invalidation: the inclusive IOVA range [start, end]
 * gathered so far (empty while start > end), plus what generic_pt keeps.
 */
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	union {
		size_t pgsize;
		struct {
			u8 leaf_levels_bitmap;
			u8 table_levels_bitmap;
		} pt;
	};
	struct iommu_pages_list freelist;
	bool queued;
};

struct iommu_domain;

struct iommu_domain_ops {
	void (*iotlb_sync)(struct iommu_domain *domain,
			   struct iommu_iotlb_gather *gather);
};

/* What an IOMMU dirty-tracking walker is handed to record into. */
struct iommu_dirty_bitmap {
	struct iova_bitmap *bitmap;	/* NULL: nothing is recorded */
	struct iommu_iotlb_gather *gather;
};

struct iommu_dirty_ops {
	int (*read_and_clear_dirty)(struct iommu_domain *domain,
				    unsigned long iova, size_t size,
				    unsigned long flags,
				    struct iommu_dirty_bitmap *dirty);
};

struct iommu_domain_geometry {
	unsigned long aperture_start;
	unsigned long aperture_end;	/* inclusive */
	bool force_aperture;
};

struct iommu_domain {
	unsigned int type;
	bool is_iommupt;
	const struct iommu_domain_ops *ops;
	const struct iommu_dirty_ops *dirty_ops;
	unsigned long pgsize_bitmap;
	struct iommu_domain_geometry geometry;
};

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *g)
{
	*g = (struct iommu_iotlb_gather){ .start = ULONG_MAX };
	INIT_LIST_HEAD(&g->freelist.pages);
}

static inline bool iommu_iotlb_gather_queued(struct iommu_iotlb_gather *g)
{
	return g && g->queued;
}

/* Grow the gathered range to cover [iova, iova + size). */
static inline void iommu_iotlb_gather_add_range(struct iommu_iotlb_gather *g,
						unsigned long iova,
						size_t size)
{
	unsigned long last = iova + size - 1;

	g->start = iova < g->start ? iova : g->start;
	g->end = last > g->end ? last : g->end;
}

/* True if [iova, iova + size) neither overlaps nor touches the range. */
static inline bool
iommu_iotlb_gather_is_disjoint(struct iommu_iotlb_gather *g,
			       unsigned long iova, size_t size)
{
	unsigned long last = iova + size - 1;

	if (!g->end)
		return false;
	return last + 1 < g->start || iova > g->end + 1;
}

/* Hand a non-empty gathered range to the driver, then start afresh. */
static inline void iommu_iotlb_sync(struct iommu_domain *domain,
				    struct iommu_iotlb_gather *g)
{
	if (domain->ops->iotlb_sync && likely(g->start < g->end))
		domain->ops->iotlb_sync(domain, g);
	iommu_iotlb_gather_init(g);
}

static inline void iommu_dirty_bitmap_init(struct iommu_dirty_bitmap *dirty,
					   struct iova_bitmap *bitmap,
					   struct iommu_iotlb_gather *gather)
{
	if (gather)
		iommu_iotlb_gather_init(gather);
	dirty->bitmap = bitmap;
	dirty->gather = gather;
}

#endif
