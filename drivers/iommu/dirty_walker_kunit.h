/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common part of the KUnit tests that drive the dirty-tracking walkers of
 * IOMMU drivers into iova_bitmap, the way iommufd does.
 *
 * A driver file provides a page table it can build without hardware, a way
 * to map IOVA into it and to find the leaf PTE(s) of an IOVA, and its
 * read_and_clear_dirty walker.  A case maps some IOVA, sets the hardware
 * dirty bit in chosen leaf PTEs as the IOMMU would, and reads the dirty
 * state through iova_bitmap_alloc() and iova_bitmap_for_each() into a
 * bitmap in user memory from kunit_vm_mmap().  The whole user mapping,
 * canary bytes around the bitmap included, is compared with an image built
 * here: bit i is set iff the IOVA span of bit i, inside the queried range,
 * meets a dirty IOPTE.  The PTEs are checked afterwards: clean after a
 * clearing read of their IOVA, untouched by IOMMU_DIRTY_NO_CLEAR.
 */
#ifndef _IOMMU_DIRTY_WALKER_KUNIT_H
#define _IOMMU_DIRTY_WALKER_KUNIT_H

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/ktime.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#define DWK_MAX_MAPS		4
#define DWK_MAX_MARKS		6
#define DWK_MAX_RANGES		16
#define DWK_GUARD		64
#define DWK_CANARY		0xa5
#define DWK_ALL_REPLICAS	(-1)

/* @count IOPTEs of @pgsize bytes from @iova; the IOVA maps to itself. */
struct dwk_map {
	unsigned long iova;
	unsigned long pgsize;
	unsigned long count;
};

/*
 * Set the dirty bit of every IOPTE that meets [@iova, @iova + @len); a
 * @len of 0 ends the list.  Where the driver replicates a PTE for a large
 * page, @replica picks the copy the IOMMU wrote (modulo the number of
 * copies), or DWK_ALL_REPLICAS.
 */
struct dwk_mark {
	unsigned long iova;
	unsigned long len;
	int replica;
};

struct dwk_case {
	const char *name;
	struct dwk_map map[DWK_MAX_MAPS];
	struct dwk_mark mark[DWK_MAX_MARKS];
	/* The query: what iommufd passes to iova_bitmap_alloc(). */
	unsigned long iova;
	unsigned long length;
	unsigned long page_size;
	/* Byte offset of the bitmap from the start of a user page. */
	unsigned long uoff;
	unsigned long flags;
	bool timed;	/* log how long each read takes */
};

/* The leaf PTE(s) of one IOPTE: @nr copies from @pte map @size bytes. */
struct dwk_leaf {
	u64 *pte;
	unsigned int nr;
	unsigned long size;
};

struct dwk_driver {
	/* A new, empty page table; freed by a kunit action. */
	void *(*alloc)(struct kunit *test);
	int (*map)(void *pt, unsigned long iova, unsigned long pgsize,
		   unsigned long count);
	bool (*leaf)(void *pt, unsigned long iova, struct dwk_leaf *leaf);
	int (*read)(void *pt, unsigned long iova, size_t length,
		    unsigned long flags, struct iommu_dirty_bitmap *dirty);
	/* Optional: what iommufd does with the gather after the walk. */
	void (*sync)(void *pt, struct iommu_iotlb_gather *gather);
	u64 dirty;	/* the PTE bit the IOMMU sets on a DMA write */
};

struct dwk_range {
	unsigned long first, last;	/* inclusive */
};

struct dwk_fixture {
	struct kunit *test;
	const struct dwk_driver *drv;
	const struct dwk_case *c;
	void *pt;
	struct dwk_range dirty[DWK_MAX_RANGES];
	unsigned int ndirty;
	unsigned long check_flags;
	unsigned long nbits, nbytes, map_len, off;
	unsigned long map;
	u8 *want, *got;
};

struct dwk_walk {
	const struct dwk_driver *drv;
	void *pt;
	unsigned long flags;
};

static inline void dwk_case_desc(const struct dwk_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

/* Remember [first, last] as dirty, merged into the previous range if adjacent. */
static inline void dwk_add_dirty(struct dwk_fixture *f, unsigned long first,
				 unsigned long last)
{
	if (f->ndirty && f->dirty[f->ndirty - 1].last + 1 == first) {
		f->dirty[f->ndirty - 1].last = last;
		return;
	}
	KUNIT_ASSERT_LT_MSG(f->test, f->ndirty, DWK_MAX_RANGES,
			    "too many separate dirty ranges for the model");
	f->dirty[f->ndirty].first = first;
	f->dirty[f->ndirty].last = last;
	f->ndirty++;
}

static inline bool dwk_marked(const struct dwk_mark *m, unsigned int i,
			      unsigned int nr)
{
	return m->replica == DWK_ALL_REPLICAS || i == m->replica % nr;
}

static inline void dwk_set_dirty(struct dwk_fixture *f,
				 const struct dwk_mark *m,
				 struct dwk_leaf *leaf, unsigned long base)
{
	unsigned int i;

	for (i = 0; i < leaf->nr; i++)
		if (dwk_marked(m, i, leaf->nr))
			leaf->pte[i] |= f->drv->dirty;
	dwk_add_dirty(f, base, base + (leaf->size - 1));
}

static inline bool dwk_check_pte(struct dwk_fixture *f,
				 const struct dwk_mark *m,
				 struct dwk_leaf *leaf, unsigned long base)
{
	const struct dwk_case *c = f->c;
	unsigned long last = base + (leaf->size - 1);
	bool read = base <= c->iova + (c->length - 1) && last >= c->iova;
	bool keep = !read || (f->check_flags & IOMMU_DIRTY_NO_CLEAR);
	unsigned int i;

	for (i = 0; i < leaf->nr; i++) {
		bool set = leaf->pte[i] & f->drv->dirty;
		bool want = keep && dwk_marked(m, i, leaf->nr);

		if (set == want)
			continue;
		KUNIT_FAIL(f->test,
			   "PTE %u of %u of the IOPTE at %#lx (%#lx bytes) is %s after a %s read of [%#lx, +%#lx)",
			   i, leaf->nr, base, leaf->size,
			   set ? "still dirty" : "clean",
			   f->check_flags & IOMMU_DIRTY_NO_CLEAR ? "NO_CLEAR" : "clearing",
			   c->iova, c->length);
		return false;
	}
	return true;
}

/*
 * Visit the leaf of each IOPTE the marks cover: set its dirty bit(s), or
 * (@check) check them after a read.
 */
static inline void dwk_visit_marks(struct dwk_fixture *f, bool check)
{
	const struct dwk_mark *m;
	unsigned long iova, base;
	struct dwk_leaf leaf;

	for (m = f->c->mark; m < f->c->mark + DWK_MAX_MARKS && m->len; m++) {
		iova = m->iova;
		do {
			KUNIT_ASSERT_TRUE_MSG(f->test, f->drv->leaf(f->pt, iova, &leaf),
					      "no leaf PTE maps IOVA %#lx", iova);
			base = iova & ~(leaf.size - 1);
			if (!check)
				dwk_set_dirty(f, m, &leaf, base);
			else if (!dwk_check_pte(f, m, &leaf, base))
				return;
			iova = base + leaf.size;
		} while (iova && iova - m->iova < m->len);
	}
}

static inline int dwk_walk_fn(struct iova_bitmap *bitmap, unsigned long iova,
			      size_t length, void *opaque)
{
	struct dwk_walk *w = opaque;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	int ret;

	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	ret = w->drv->read(w->pt, iova, length, w->flags, &dirty);
	if (w->drv->sync)
		w->drv->sync(w->pt, &gather);
	return ret;
}

/* The expected user mapping: canaries around the bitmap, model bits in it. */
static inline void dwk_build_image(struct dwk_fixture *f, bool empty)
{
	const struct dwk_case *c = f->c;
	unsigned long qlast = c->iova + (c->length - 1);
	unsigned long first, last, bit;
	unsigned int i;

	memset(f->want, DWK_CANARY, f->map_len);
	memset(f->want + f->off, 0, f->nbytes);
	if (empty)
		return;
	for (i = 0; i < f->ndirty; i++) {
		if (f->dirty[i].last < c->iova || f->dirty[i].first > qlast)
			continue;
		first = (max(f->dirty[i].first, c->iova) - c->iova) / c->page_size;
		last = (min(f->dirty[i].last, qlast) - c->iova) / c->page_size;
		for (bit = first; bit <= last; bit++)
			f->want[f->off + bit / 8] |= BIT(bit % 8);
	}
}

/* One read the way iommufd does it, into a zeroed bitmap. */
static inline void dwk_read(struct dwk_fixture *f, unsigned long flags,
			    bool empty, const char *what)
{
	struct kunit *test = f->test;
	const struct dwk_case *c = f->c;
	struct dwk_walk w = { .drv = f->drv, .pt = f->pt, .flags = flags };
	struct iova_bitmap *bitmap;
	unsigned long i, bit;
	ktime_t t0;
	int ret;

	dwk_build_image(f, true);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)f->map, f->want,
					   f->map_len), 0);
	bitmap = iova_bitmap_alloc(c->iova, c->length, c->page_size,
				   (u64 __user *)(f->map + f->off));
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(bitmap), "iova_bitmap_alloc: %pe",
			       bitmap);
	t0 = ktime_get();
	ret = iova_bitmap_for_each(bitmap, &w, dwk_walk_fn);
	iova_bitmap_free(bitmap);
	if (c->timed)
		kunit_info(test, "%s read of %lu bits: %lld us", what, f->nbits,
			   ktime_us_delta(ktime_get(), t0));
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "iova_bitmap_for_each (%s read)", what);

	dwk_build_image(f, empty);
	KUNIT_ASSERT_EQ(test, copy_from_user(f->got, (void __user *)f->map,
					     f->map_len), 0);
	for (i = 0; i < f->map_len; i++) {
		if (f->got[i] == f->want[i])
			continue;
		if (i < f->off || i >= f->off + f->nbytes) {
			KUNIT_FAIL(test,
				   "%s read: canary byte %ld from the bitmap is %#04x, want %#04x",
				   what, (long)(i - f->off), f->got[i], f->want[i]);
			return;
		}
		bit = (i - f->off) * 8 + __ffs(f->got[i] ^ f->want[i]);
		KUNIT_FAIL(test,
			   "%s read: bit %lu (IOVA %#lx) is %d, want %d; byte %lu of %lu is %#04x, want %#04x",
			   what, bit, c->iova + bit * c->page_size,
			   !!(f->got[i] & BIT(bit % 8)), !!(f->want[i] & BIT(bit % 8)),
			   i - f->off, f->nbytes, f->got[i], f->want[i]);
		return;
	}
}

static inline void dwk_run(struct kunit *test, const struct dwk_driver *drv,
			   const struct dwk_case *c)
{
	struct dwk_fixture *f;
	const struct dwk_map *m;
	struct dwk_leaf leaf;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->test = test;
	f->drv = drv;
	f->c = c;
	f->pt = drv->alloc(test);
	KUNIT_ASSERT_NOT_NULL(test, f->pt);

	for (m = c->map; m < c->map + DWK_MAX_MAPS && m->count; m++) {
		KUNIT_ASSERT_EQ_MSG(test, drv->map(f->pt, m->iova, m->pgsize, m->count), 0,
				    "map %lu x %#lx at %#lx", m->count, m->pgsize, m->iova);
		/* The case is about IOPTEs of this size: check the driver made them. */
		KUNIT_ASSERT_TRUE(test, drv->leaf(f->pt, m->iova, &leaf));
		KUNIT_ASSERT_EQ_MSG(test, leaf.size, m->pgsize,
				    "IOPTE size at %#lx", m->iova);
	}
	dwk_visit_marks(f, false);

	/* A guard page before the bitmap's page, DWK_GUARD bytes after. */
	f->nbits = (c->length - 1) / c->page_size + 1;
	f->nbytes = DIV_ROUND_UP(f->nbits, 8);
	f->off = PAGE_SIZE + c->uoff;
	f->map_len = PAGE_ALIGN(f->off + f->nbytes + DWK_GUARD);
	f->map = kunit_vm_mmap(test, NULL, 0, f->map_len, PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, f->map, 0, "kunit_vm_mmap failed");
	f->want = kunit_kzalloc(test, f->map_len, GFP_KERNEL);
	f->got = kunit_kzalloc(test, f->map_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->want);
	KUNIT_ASSERT_NOT_NULL(test, f->got);

	dwk_read(f, c->flags, false, "first");
	f->check_flags = c->flags;
	dwk_visit_marks(f, true);
	if (c->flags & IOMMU_DIRTY_NO_CLEAR) {
		/* Nothing was consumed: a clearing read sees the same. */
		dwk_read(f, 0, false, "clearing");
		f->check_flags = 0;
		dwk_visit_marks(f, true);
	}
	/* Everything in range was consumed. */
	dwk_read(f, 0, true, "last");
}

/* The IOPTE holding @a, every copy of it; or only copy @r. */
#define DWK_MARK(a)		{ .iova = (a), .len = 1, .replica = DWK_ALL_REPLICAS }
#define DWK_MARK_R(a, r)	{ .iova = (a), .len = 1, .replica = (r) }
#define DWK_MARK_ALL(a, l)	{ .iova = (a), .len = (l), .replica = DWK_ALL_REPLICAS }

/* Cases for any driver with 4K, 2M and 1G IOPTEs. */
static const struct dwk_case dwk_common_cases[] = {
	{ .name = "4k_sparse", .map = { { SZ_1M, SZ_4K, 64 } },
	  .mark = { DWK_MARK(SZ_1M + 3 * SZ_4K), DWK_MARK(SZ_1M + 40 * SZ_4K),
		    DWK_MARK(SZ_1M + 63 * SZ_4K) },
	  .iova = SZ_1M, .length = SZ_256K, .page_size = SZ_4K },
	/* Bitmap pages larger than the IOPTEs. */
	{ .name = "4k_bitmap_64k", .map = { { SZ_1M, SZ_4K, 64 } },
	  .mark = { DWK_MARK(SZ_1M + 3 * SZ_4K), DWK_MARK(SZ_1M + 40 * SZ_4K) },
	  .iova = SZ_1M, .length = SZ_256K, .page_size = SZ_64K },
	{ .name = "4k_bitmap_2m", .map = { { 0, SZ_4K, 1024 } },
	  .mark = { DWK_MARK(SZ_4K), DWK_MARK(SZ_2M + 5 * SZ_4K) },
	  .iova = 0, .length = SZ_4M, .page_size = SZ_2M },
	{ .name = "1g_bitmap_2m", .map = { { SZ_1G, SZ_1G, 2 } },
	  .mark = { DWK_MARK(2UL * SZ_1G) },
	  .iova = SZ_1G, .length = 2UL * SZ_1G, .page_size = SZ_2M },
	/* Bitmap pages smaller than the IOPTEs. */
	{ .name = "2m_bitmap_4k", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(SZ_2M) },
	  .iova = 0, .length = SZ_8M, .page_size = SZ_4K },
	/* Huge IOPTEs across the ends of the query: the library clips them. */
	{ .name = "2m_straddle_start", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(0), DWK_MARK(SZ_2M) },
	  .iova = SZ_1M, .length = SZ_4M, .page_size = SZ_4K },
	{ .name = "2m_straddle_start_next_dirty", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(SZ_2M) },
	  .iova = SZ_1M, .length = SZ_4M, .page_size = SZ_4K },
	{ .name = "2m_straddle_end", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(0), DWK_MARK(SZ_4M) },
	  .iova = 0, .length = SZ_4M + SZ_1M, .page_size = SZ_4K },
	{ .name = "2m_straddle_both", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(0), DWK_MARK(SZ_4M + SZ_2M) },
	  .iova = SZ_1M, .length = SZ_4M + SZ_2M, .page_size = SZ_4K },
	{ .name = "1g_straddle_end_bitmap_2m", .map = { { 0, SZ_1G, 2 } },
	  .mark = { DWK_MARK(SZ_1G) },
	  .iova = 0, .length = SZ_1G + SZ_4M, .page_size = SZ_2M },
	/* Queries smaller than one huge IOPTE. */
	{ .name = "query_inside_2m", .map = { { SZ_2M, SZ_2M, 1 } },
	  .mark = { DWK_MARK(SZ_2M) },
	  .iova = SZ_2M + SZ_64K, .length = SZ_128K, .page_size = SZ_4K },
	{ .name = "query_inside_1g", .map = { { SZ_1G, SZ_1G, 1 } },
	  .mark = { DWK_MARK(SZ_1G) },
	  .iova = SZ_1G + 3 * SZ_1M, .length = SZ_2M, .page_size = SZ_4K },
	/* A query that starts in a hole not aligned to the hole's level. */
	{ .name = "hole_then_4k", .map = { { SZ_2M, SZ_4K, 512 } },
	  .mark = { DWK_MARK(SZ_2M + 3 * SZ_4K) },
	  .iova = SZ_1M, .length = SZ_2M, .page_size = SZ_4K },
	{ .name = "hole_then_1g", .map = { { SZ_1G, SZ_1G, 1 } },
	  .mark = { DWK_MARK(SZ_1G) },
	  .iova = SZ_1G - SZ_2M, .length = SZ_4M, .page_size = SZ_4K },
	/* User pointers at odd offsets; 0xff1 crosses into the next page. */
	{ .name = "user_offset_0xff1", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(SZ_2M), DWK_MARK(3 * SZ_2M) },
	  .iova = 0, .length = SZ_8M, .page_size = SZ_4K, .uoff = 0xff1 },
	{ .name = "user_offset_3", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(SZ_2M) },
	  .iova = SZ_2M, .length = SZ_4M, .page_size = SZ_4K, .uoff = 3 },
	/* 1 GiB at 4K: 32 KiB of bitmap over nine user pages. */
	{ .name = "many_user_pages", .map = { { 0, SZ_2M, 512 } },
	  .mark = { DWK_MARK(0), DWK_MARK_ALL(100 * SZ_1M, SZ_64M),
		    DWK_MARK(SZ_1G - SZ_2M) },
	  .iova = 0, .length = SZ_1G, .page_size = SZ_4K, .uoff = 0x801 },
	{ .name = "no_clear_2m", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(SZ_2M), DWK_MARK(3 * SZ_2M) },
	  .iova = 0, .length = SZ_8M, .page_size = SZ_4K,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	{ .name = "no_clear_4k", .map = { { SZ_1M, SZ_4K, 64 } },
	  .mark = { DWK_MARK(SZ_1M), DWK_MARK(SZ_1M + 63 * SZ_4K) },
	  .iova = SZ_1M, .length = SZ_256K, .page_size = SZ_4K,
	  .flags = IOMMU_DIRTY_NO_CLEAR },
	/* Dirty IOPTEs outside the query are neither reported nor cleared. */
	{ .name = "dirty_outside_query", .map = { { 0, SZ_2M, 4 } },
	  .mark = { DWK_MARK(0), DWK_MARK(3 * SZ_2M) },
	  .iova = SZ_2M, .length = SZ_4M, .page_size = SZ_4K },
	{ .name = "empty_table", .iova = 0, .length = SZ_1G, .page_size = SZ_4K },
	{ .name = "clean_table", .map = { { 0, SZ_2M, 512 } },
	  .iova = 0, .length = SZ_1G, .page_size = SZ_4K },
};

/* Every one of 262144 4K IOPTEs dirty: the walk at its longest. */
static const struct dwk_case dwk_all_dirty_case = {
	.name = "all_dirty_1g_at_4k", .map = { { 0, SZ_4K, SZ_1G / SZ_4K } },
	.mark = { DWK_MARK_ALL(0, SZ_1G) },
	.iova = 0, .length = SZ_1G, .page_size = SZ_4K, .uoff = 0x123,
	.timed = true,
};

/* The suite's time in the guest, for the log. */
static ktime_t dwk_suite_start;

static inline int dwk_suite_init(struct kunit_suite *suite)
{
	dwk_suite_start = ktime_get();
	return 0;
}

static inline void dwk_suite_exit(struct kunit_suite *suite)
{
	pr_info("%s: suite ran in %lld ms\n", suite->name,
		ktime_ms_delta(ktime_get(), dwk_suite_start));
}

#endif /* _IOMMU_DIRTY_WALKER_KUNIT_H */
