// SPDX-License-Identifier: GPL-2.0
/*
 * Page-table memory for generic_pt in user space: what iommu-pages.c
 * does in the kernel, over one arena.
 *
 * Tables are carved, aligned to their size, from one big anonymous
 * mapping, as the kernel hands out pages of its direct map (which huge
 * pages back, so the arena asks for transparent huge pages too).  Each
 * 4 KiB page of the arena has a descriptor, the struct folio that the real
 * iommu-pages.h overlays with its struct ioptdesc to chain pages on a free
 * list.  Freed 4 KiB tables are reused; nothing is returned to the system.
 */
#include <assert.h>
#include <stdio.h>
#include <sys/mman.h>

#include "include/pt_shim.h"
#include PT_IOMMU_PAGES_H	/* the real drivers/iommu/iommu-pages.h */

#define ARENA_BYTES	(16UL << 30)	/* reserved, touched as used */

u64 sme_me_mask;	/* no memory encryption */

static u8 *arena, *arena_next;
static struct folio *descs;	/* one per 4 KiB page of the arena */
static void *free_4k;		/* freed 4 KiB tables, chained through word 0 */
unsigned long pt_mem_tables_live;

static void arena_init(void)
{
	arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	descs = mmap(NULL, ARENA_BYTES / PAGE_SIZE * sizeof(*descs),
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert(arena != MAP_FAILED && descs != MAP_FAILED);
	madvise(arena, ARENA_BYTES, MADV_HUGEPAGE);
	arena_next = arena;
}

struct folio *virt_to_folio(const void *virt)
{
	const u8 *p = virt;

	assert(p >= arena && p < arena_next);
	return &descs[(p - arena) / PAGE_SIZE];
}

static void *folio_virt(struct folio *folio)
{
	return arena + (folio - descs) * PAGE_SIZE;
}

/* Zeroed memory of @size rounded up to a power of two, aligned to it. */
void *iommu_alloc_pages_node_sz(int nid, gfp_t gfp, size_t size)
{
	size_t sz = size <= PAGE_SIZE ? PAGE_SIZE : roundup_pow_of_two(size);
	u8 *p;

	if (!arena)
		arena_init();
	if (sz == PAGE_SIZE && free_4k) {
		p = free_4k;
		free_4k = *(void **)p;
		memset(p, 0, PAGE_SIZE);
	} else {
		p = (u8 *)ALIGN((uintptr_t)arena_next, sz);
		if (p + sz > arena + ARENA_BYTES)
			return NULL;
		arena_next = p + sz;	/* fresh anonymous memory is zero */
	}
	pt_mem_tables_live++;
	return p;
}

void iommu_free_pages(void *virt)
{
	if (!virt)
		return;
	/* Only 4 KiB tables are reused (amdv1's are all 4 KiB). */
	*(void **)virt = free_4k;
	free_4k = virt;
	pt_mem_tables_live--;
}

void iommu_put_pages_list(struct iommu_pages_list *list)
{
	struct list_head *pos = list->pages.next, *next;

	for (; pos != &list->pages; pos = next) {
		struct ioptdesc *d = container_of(pos, struct ioptdesc,
						  iopt_freelist_elm);

		next = pos->next;
		iommu_free_pages(folio_virt(ioptdesc_folio(d)));
	}
	INIT_LIST_HEAD(&list->pages);
}

/* PT_FEAT_DMA_INCOHERENT only: never used by the tables here. */
int iommu_pages_start_incoherent(void *virt, struct device *dma_dev)
{
	return -EOPNOTSUPP;
}

int iommu_pages_start_incoherent_list(struct iommu_pages_list *list,
				      struct device *dma_dev)
{
	return -EOPNOTSUPP;
}
