/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Common part of the KUnit tests that drive the dirty-tracking walkers of
 * IOMMU drivers into iova_bitmap, the way iommufd does.
 *
 * A driver file provides a page table it can build without hardware, a way
 * to map IOVA into it and to find the leaf PTE(s) of an IOVA, its
 * read_and_clear_dirty walker and the PTE bits that hold the dirty state.
 * A case maps some IOVA, makes chosen leaf PTEs dirty as the IOMMU would,
 * and reads the dirty state through iova_bitmap_alloc() and
 * iova_bitmap_for_each() into a bitmap in user memory from kunit_vm_mmap().
 * The whole user mapping, canary bytes around the bitmap included, is
 * compared with an image built here: bit i is set iff the IOVA span of
 * bit i, inside the queried range, meets a dirty IOPTE.  Every leaf PTE of
 * the mapping is checked before the marks and after each read: dirty iff
 * marked and not yet cleared by a clearing read that covers the whole
 * IOPTE, so leaves outside the query or only partly inside it keep their
 * state and clean leaves stay clean.
 */
#ifndef _IOMMU_DIRTY_WALKER_KUNIT_H
#define _IOMMU_DIRTY_WALKER_KUNIT_H

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#define DWK_MAX_MAPS		4
#define DWK_MAX_MARKS		6
#define DWK_GUARD		64
#define DWK_CANARY		0xa5
#define DWK_ALL_REPLICAS	(-1)
#define DWK_LAST_REPLICA	(-2)

/* @count IOPTEs of @pgsize bytes from @iova; the IOVA maps to itself. */
struct dwk_map {
	unsigned long iova;
	unsigned long pgsize;
	unsigned long count;
};

/*
 * Make dirty every IOPTE that meets [@iova, @iova + @len); a @len of 0
 * ends the list.  Where the driver replicates a PTE for a large page,
 * @replica picks the copy the IOMMU wrote (modulo the number of copies),
 * DWK_LAST_REPLICA or DWK_ALL_REPLICAS.  @repeat more copies of the mark follow, each
 * @stride bytes after the one before, for patterns too long to list.
 */
struct dwk_mark {
	unsigned long iova;
	unsigned long len;
	int replica;
	unsigned int repeat;
	unsigned long stride;
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
	/* Optional: what iommufd does with the gather after a clearing walk. */
	void (*sync)(void *pt, struct iommu_iotlb_gather *gather);
	/*
	 * The dirty state lives in the PTE bits of @dirty_mask: they read
	 * @dirty once the IOMMU has written through the PTE and @clean when
	 * the walker has cleared it.  A format with a dirty bit has that
	 * bit as @dirty_mask and @dirty, and @clean 0; one that tracks
	 * writes by making a read-only PTE writable (Arm's DBM) has other
	 * values, and a PTE whose bits read neither is broken.
	 */
	u64 dirty_mask;
	u64 dirty;
	u64 clean;
};

struct dwk_fixture {
	struct kunit *test;
	const struct dwk_driver *drv;
	const struct dwk_case *c;
	void *pt;
	/* What the PTEs should hold: marked yet?  Cleared by a read? */
	bool marked, cleared;
	unsigned long nbits, nbytes, map_len, off;
	unsigned long map;
	/* The bits of the query that the marks made dirty. */
	u8 *model;
	/*
	 * Those of IOPTEs the query covers only in part: a clearing read
	 * leaves such an IOPTE dirty, and the next read reports it again.
	 */
	u8 *residue;
	u8 *want, *got;
};

struct dwk_walk {
	const struct dwk_driver *drv;
	void *pt;
	unsigned long flags;
	struct iommu_dirty_bitmap *dirty;
	/* Unmapped once the walk has started, when @unmap_len is not 0. */
	unsigned long unmap, unmap_len;
};

static inline void dwk_case_desc(const struct dwk_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

/* Whether the query covers [@base, +@size) whole. */
static inline bool dwk_covers(const struct dwk_case *c, unsigned long base,
			      unsigned long size)
{
	return base >= c->iova &&
	       base + (size - 1) <= c->iova + (c->length - 1);
}

/* Set in @model the bits of the query that [@base, +@size) meets. */
static inline void dwk_model_set(struct dwk_fixture *f, u8 *model,
				 unsigned long base, unsigned long size)
{
	const struct dwk_case *c = f->c;
	unsigned long qlast = c->iova + (c->length - 1);
	unsigned long last = base + (size - 1);
	unsigned long bit, end;

	if (last < c->iova || base > qlast)
		return;
	bit = (max(base, c->iova) - c->iova) / c->page_size;
	end = (min(last, qlast) - c->iova) / c->page_size;
	for (; bit <= end; bit++)
		model[bit / 8] |= BIT(bit % 8);
}

static inline bool dwk_marked(const struct dwk_mark *m, unsigned int i,
			      unsigned int nr)
{
	if (m->replica == DWK_LAST_REPLICA)
		return i == nr - 1;
	return m->replica == DWK_ALL_REPLICAS || i == m->replica % nr;
}

/* Whether a mark made copy @i of the IOPTE [@base, +@leaf->size) dirty. */
static inline bool dwk_leaf_marked(struct dwk_fixture *f,
				   const struct dwk_leaf *leaf,
				   unsigned long base, unsigned int i)
{
	const struct dwk_mark *m;
	unsigned long start;
	unsigned int k;

	for (m = f->c->mark; m < f->c->mark + DWK_MAX_MARKS && m->len; m++) {
		if (!dwk_marked(m, i, leaf->nr))
			continue;
		for (k = 0; k <= m->repeat; k++) {
			start = m->iova + k * m->stride;
			if (start <= base + (leaf->size - 1) &&
			    base <= start + (m->len - 1))
				return true;
		}
	}
	return false;
}

/* Dirty the IOPTEs that each copy of @m meets, the way the IOMMU does. */
static inline void dwk_mark_one(struct dwk_fixture *f,
				const struct dwk_mark *m, unsigned long start)
{
	const struct dwk_driver *drv = f->drv;
	unsigned long iova = start, base;
	struct dwk_leaf leaf;
	unsigned int i;

	do {
		KUNIT_ASSERT_TRUE_MSG(f->test, drv->leaf(f->pt, iova, &leaf),
				      "no leaf PTE maps IOVA %#lx", iova);
		base = iova & ~(leaf.size - 1);
		for (i = 0; i < leaf.nr; i++)
			if (dwk_marked(m, i, leaf.nr))
				leaf.pte[i] = (leaf.pte[i] & ~drv->dirty_mask) |
					      drv->dirty;
		dwk_model_set(f, f->model, base, leaf.size);
		if (!dwk_covers(f->c, base, leaf.size))
			dwk_model_set(f, f->residue, base, leaf.size);
		iova = base + leaf.size;
	} while (iova && iova - start < m->len);
}

static inline void dwk_mark_all(struct dwk_fixture *f)
{
	const struct dwk_mark *m;
	unsigned int k;

	for (m = f->c->mark; m < f->c->mark + DWK_MAX_MARKS && m->len; m++)
		for (k = 0; k <= m->repeat; k++)
			dwk_mark_one(f, m, m->iova + k * m->stride);
	f->marked = true;
}

/* Check every copy of one leaf; returns how many are in the wrong state. */
static inline unsigned int dwk_check_leaf(struct dwk_fixture *f,
					  const struct dwk_leaf *leaf,
					  unsigned long base, bool report,
					  const char *when)
{
	const struct dwk_driver *drv = f->drv;
	const struct dwk_case *c = f->c;
	bool read = dwk_covers(c, base, leaf->size);
	unsigned int i, bad = 0;
	bool want;
	u64 got;

	for (i = 0; i < leaf->nr; i++) {
		want = f->marked && !(f->cleared && read) &&
		       dwk_leaf_marked(f, leaf, base, i);
		got = leaf->pte[i] & drv->dirty_mask;
		if (got == (want ? drv->dirty : drv->clean))
			continue;
		if (report && !bad)
			KUNIT_FAIL(f->test,
				   "%s: PTE %u of %u of the IOPTE at %#lx (%#lx bytes) is %s (%#llx), want %s; query [%#lx, +%#lx)",
				   when, i, leaf->nr, base, leaf->size,
				   got == drv->dirty ? "dirty" :
				   got == drv->clean ? "clean" : "neither",
				   got, want ? "dirty" : "clean",
				   c->iova, c->length);
		bad++;
	}
	return bad;
}

/*
 * Check the dirty state of every leaf PTE the case mapped, not only the
 * marked ones: a walker that dirtied or broke a clean PTE, or touched one
 * outside the query, shows here and nowhere else.
 */
static inline void dwk_check_leaves(struct dwk_fixture *f, const char *when)
{
	const struct dwk_map *m;
	unsigned long iova, end, base;
	struct dwk_leaf leaf;
	unsigned int bad = 0;

	for (m = f->c->map; m < f->c->map + DWK_MAX_MAPS && m->count; m++) {
		end = m->iova + m->pgsize * m->count;
		for (iova = m->iova; iova < end; iova = base + leaf.size) {
			KUNIT_ASSERT_TRUE_MSG(f->test, f->drv->leaf(f->pt, iova, &leaf),
					      "%s: no leaf PTE maps IOVA %#lx", when, iova);
			base = iova & ~(leaf.size - 1);
			bad += dwk_check_leaf(f, &leaf, base, !bad, when);
		}
	}
	if (bad > 1)
		KUNIT_FAIL(f->test, "%s: %u PTEs in the wrong state in all", when, bad);
}

static inline int dwk_walk_fn(struct iova_bitmap *bitmap, unsigned long iova,
			      size_t length, void *opaque)
{
	struct dwk_walk *w = opaque;

	/* After iova_bitmap_for_each() checked the buffer: pins will fail. */
	if (w->unmap_len && vm_munmap(w->unmap, w->unmap_len))
		return -EPERM;
	return w->drv->read(w->pt, iova, length, w->flags, w->dirty);
}

/* The expected user mapping: canaries around the bitmap, @bits in it. */
static inline void dwk_build_image(struct dwk_fixture *f, const u8 *bits)
{
	memset(f->want, DWK_CANARY, f->map_len);
	if (bits)
		memcpy(f->want + f->off, bits, f->nbytes);
	else
		memset(f->want + f->off, 0, f->nbytes);
}

/*
 * One read into a zeroed bitmap, in the order iommufd's
 * iommu_read_and_clear_dirty() does it: one iommu_dirty_bitmap and gather
 * for the whole walk, and the gather synced after it unless nothing was
 * cleared.
 */
static inline int dwk_walk(struct dwk_fixture *f, struct dwk_walk *w,
			   const char *what)
{
	struct kunit *test = f->test;
	const struct dwk_case *c = f->c;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iova_bitmap *bitmap;
	ktime_t t0;
	int ret;

	w->drv = f->drv;
	w->pt = f->pt;
	w->dirty = &dirty;
	dwk_build_image(f, NULL);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)f->map, f->want,
					   f->map_len), 0);
	bitmap = iova_bitmap_alloc(c->iova, c->length, c->page_size,
				   (u64 __user *)(f->map + f->off));
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(bitmap), "iova_bitmap_alloc: %pe",
			       bitmap);
	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	t0 = ktime_get();
	ret = iova_bitmap_for_each(bitmap, w, dwk_walk_fn);
	if (f->drv->sync && !(w->flags & IOMMU_DIRTY_NO_CLEAR))
		f->drv->sync(f->pt, &gather);
	iova_bitmap_free(bitmap);
	if (c->timed)
		kunit_info(test, "%s read of %lu bits: %lld us", what, f->nbits,
			   ktime_us_delta(ktime_get(), t0));
	return ret;
}

static inline void dwk_read(struct dwk_fixture *f, unsigned long flags,
			    const u8 *bits, const char *what)
{
	struct kunit *test = f->test;
	const struct dwk_case *c = f->c;
	struct dwk_walk w = { .flags = flags };
	unsigned long i, bit;

	KUNIT_EXPECT_EQ_MSG(test, dwk_walk(f, &w, what), 0,
			    "iova_bitmap_for_each (%s read)", what);
	dwk_build_image(f, bits);
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

/* Map the case's IOVA and its user memory, and mark the IOPTEs dirty. */
static inline struct dwk_fixture *dwk_setup(struct kunit *test,
					    const struct dwk_driver *drv,
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

	/* A guard page before the bitmap's page, DWK_GUARD bytes after. */
	f->nbits = (c->length - 1) / c->page_size + 1;
	f->nbytes = DIV_ROUND_UP(f->nbits, 8);
	f->off = PAGE_SIZE + c->uoff;
	f->map_len = PAGE_ALIGN(f->off + f->nbytes + DWK_GUARD);
	f->map = kunit_vm_mmap(test, NULL, 0, f->map_len, PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, f->map, 0, "kunit_vm_mmap failed");
	f->model = kunit_kzalloc(test, f->nbytes, GFP_KERNEL);
	f->residue = kunit_kzalloc(test, f->nbytes, GFP_KERNEL);
	f->want = kunit_kzalloc(test, f->map_len, GFP_KERNEL);
	f->got = kunit_kzalloc(test, f->map_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->model);
	KUNIT_ASSERT_NOT_NULL(test, f->residue);
	KUNIT_ASSERT_NOT_NULL(test, f->want);
	KUNIT_ASSERT_NOT_NULL(test, f->got);

	for (m = c->map; m < c->map + DWK_MAX_MAPS && m->count; m++) {
		KUNIT_ASSERT_EQ_MSG(test, drv->map(f->pt, m->iova, m->pgsize, m->count), 0,
				    "map %lu x %#lx at %#lx", m->count, m->pgsize, m->iova);
		/* The case is about IOPTEs of this size: check the driver made them. */
		KUNIT_ASSERT_TRUE(test, drv->leaf(f->pt, m->iova, &leaf));
		KUNIT_ASSERT_EQ_MSG(test, leaf.size, m->pgsize,
				    "IOPTE size at %#lx", m->iova);
	}
	/* The model starts from a clean table. */
	dwk_check_leaves(f, "after mapping");
	dwk_mark_all(f);
	return f;
}

static inline void dwk_run(struct kunit *test, const struct dwk_driver *drv,
			   const struct dwk_case *c)
{
	struct dwk_fixture *f = dwk_setup(test, drv, c);

	dwk_read(f, c->flags, f->model, "first");
	f->cleared = !(c->flags & IOMMU_DIRTY_NO_CLEAR);
	dwk_check_leaves(f, f->cleared ? "after the first read" :
			 "after the NO_CLEAR read");
	if (!f->cleared) {
		/* Nothing was consumed: a clearing read sees the same. */
		dwk_read(f, 0, f->model, "clearing");
		f->cleared = true;
		dwk_check_leaves(f, "after the clearing read");
	}
	/*
	 * What the query covers whole was consumed, what it covers in part is
	 * reported again, and nothing else changed.
	 */
	dwk_read(f, 0, f->residue, "last");
	dwk_check_leaves(f, "after the last read");
}

/*
 * A read whose bitmap pages past the first cannot be pinned once the walk
 * has started (another thread unmapped them): iova_bitmap_for_each() has
 * checked the buffer, so only the walk meets the failure.  The read must
 * fail with -EFAULT having stored only bits of dirty IOPTEs.  With the
 * pages mapped again, the next read must report every dirty page the
 * failed one did not store: a walker that cleared an IOPTE whose record
 * was lost shows here as a missing bit.  A last read finds only what the
 * query covers in part.
 */
static inline void dwk_run_unmapped_mid_walk(struct kunit *test,
					     const struct dwk_driver *drv,
					     const struct dwk_case *c)
{
	struct dwk_fixture *f = dwk_setup(test, drv, c);
	unsigned long tail = PAGE_ALIGN(f->map + f->off + 1);
	struct dwk_walk w = { .unmap = tail,
			      .unmap_len = f->map + f->map_len - tail };
	unsigned long i, head = tail - f->map - f->off;
	unsigned int stored = 0;
	u8 *first;
	int ret;

	KUNIT_ASSERT_LT_MSG(test, head, f->nbytes,
			    "the bitmap must span two user pages");
	first = kunit_kzalloc(test, f->nbytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, first);

	ret = dwk_walk(f, &w, "failing");
	KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT,
			    "a read whose bitmap was unmapped mid-walk");
	KUNIT_ASSERT_EQ(test, copy_from_user(f->got, (void __user *)f->map,
					     tail - f->map), 0);
	KUNIT_ASSERT_EQ(test, vm_mmap(NULL, tail, w.unmap_len,
				      PROT_READ | PROT_WRITE,
				      MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED, 0),
			tail);
	for (i = 0; i < f->off; i++)
		KUNIT_ASSERT_EQ_MSG(test, f->got[i], DWK_CANARY,
				    "canary byte %ld", (long)(i - f->off));
	for (i = 0; i < head; i++) {
		first[i] = f->got[f->off + i];
		KUNIT_ASSERT_EQ_MSG(test, first[i] & ~f->model[i], 0,
				    "failing read: byte %lu has bits of clean IOPTEs",
				    i);
		stored += hweight8(first[i]);
	}
	/* Else the walk failed before storing anything: no test of a stop. */
	KUNIT_ASSERT_GT_MSG(test, stored, 0, "the failing read stored nothing");

	w = (struct dwk_walk){};
	KUNIT_ASSERT_EQ_MSG(test, dwk_walk(f, &w, "next"), 0,
			    "the read after the failure");
	KUNIT_ASSERT_EQ(test, copy_from_user(f->got, (void __user *)f->map,
					     f->map_len), 0);
	for (i = 0; i < f->nbytes; i++) {
		u8 got = f->got[f->off + i], want = f->model[i];

		if (!(got & ~want) && (got | first[i]) == want)
			continue;
		KUNIT_FAIL(test,
			   "byte %lu: the failing read stored %#04x, the next %#04x, want %#04x together (%s)",
			   i, first[i], got, want,
			   got & ~want ? "extra bits" : "dirty pages lost");
		return;
	}
	f->cleared = true;
	dwk_check_leaves(f, "after the read after the failure");
	dwk_read(f, 0, f->residue, "last");
	dwk_check_leaves(f, "after the last read");
}

/* The IOPTE holding @a, every copy of it; or only copy @r. */
#define DWK_MARK(a)		{ .iova = (a), .len = 1, .replica = DWK_ALL_REPLICAS }
#define DWK_MARK_R(a, r)	{ .iova = (a), .len = 1, .replica = (r) }
#define DWK_MARK_ALL(a, l)	{ .iova = (a), .len = (l), .replica = DWK_ALL_REPLICAS }
/* @n copies of DWK_MARK_ALL(@a, @l), @s bytes apart. */
#define DWK_MARK_EVERY(a, l, s, n)					\
	{ .iova = (a), .len = (l), .replica = DWK_ALL_REPLICAS,		\
	  .stride = (s), .repeat = (n) - 1 }

/*
 * Cases for any driver with 4K, 2M and 1G IOPTEs whose walker skips holes:
 * io-pgtable-arm's WARNs on one (iommufd never walks them), so it runs
 * only its own cases and the array may go unused.
 */
static const struct dwk_case dwk_common_cases[] __maybe_unused = {
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

/*
 * For dwk_run_unmapped_mid_walk(): bitmaps of two or more user pages whose
 * first page holds some of the dirty bits.
 */
static const struct dwk_case dwk_unmapped_cases[] __maybe_unused = {
	/*
	 * 2M IOPTEs at 4K a bit: 32 KiB of bitmap, a record of 512 bits
	 * each; the first user page ends at bit 16375, inside the 2M IOPTE
	 * at 62 MiB, in a run of contiguous dirty IOPTEs from 48 MiB.
	 */
	{ .name = "unmapped_mid_walk_2m", .map = { { 0, SZ_2M, 512 } },
	  .mark = { DWK_MARK(0), DWK_MARK(SZ_32M), DWK_MARK_ALL(48 * SZ_1M, SZ_32M),
		    DWK_MARK_ALL(100 * SZ_1M, SZ_64M), DWK_MARK(SZ_1G - SZ_2M) },
	  .iova = 0, .length = SZ_1G, .page_size = SZ_4K, .uoff = 0x801 },
	/* Every fourth of 32768 4K IOPTEs: one-bit records, the inline path. */
	{ .name = "unmapped_mid_walk_4k", .map = { { 0, SZ_4K, 32768 } },
	  .mark = { DWK_MARK_EVERY(0, SZ_4K, SZ_16K, 8192) },
	  .iova = 0, .length = SZ_128M, .page_size = SZ_4K, .uoff = 0x801 },
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
