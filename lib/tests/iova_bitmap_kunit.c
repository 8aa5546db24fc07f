// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for lib/iova_bitmap.c with real user memory.
 *
 * Each case maps anonymous user memory with kunit_vm_mmap(), so the library
 * pins real pages with pin_user_pages_fast().  The bitmap sits at a chosen
 * offset inside the mapping with guard bytes around it.  After the records
 * the whole mapping is read back and compared byte for byte with an image
 * built by a deliberately naive model: bit i is set iff the IOVA span of
 * bit i intersects a record.  Afterwards no page of the mapping may still
 * be pinned.
 */
#include <kunit/test.h>
#include <linux/iova_bitmap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define GUARD_BYTES	64
#define MAX_RECS	6

enum rec_kind {
	R_END,		/* no more records */
	R_BITS,		/* bits [a, a + b) in page_size units from the base */
	R_SPAN,		/* IOVA base + a (bytes, signed), length b */
	R_RAW,		/* IOVA a, length b */
	R_WALK,		/* b one-page records at bits a, a + step, ... */
};

struct rec {
	enum rec_kind kind;
	long a;
	unsigned long b;
	long step;
};

struct geo_case {
	const char *name;
	unsigned long iova;
	size_t length;
	unsigned long page_size;
	unsigned long uoff;	/* bitmap offset from a page boundary */
	u8 fill;		/* initial value of every bitmap byte */
	struct rec rec[MAX_RECS];
};

struct iova_range {
	unsigned long first, last;	/* inclusive */
};

static unsigned long nbits_of(size_t length, unsigned long page_size)
{
	return (length - 1) / page_size + 1;
}

static unsigned long nbytes_of(unsigned long nbits)
{
	return nbits / 8 + (nbits % 8 != 0);
}

/* The (iova, length) of a single record; false for other kinds. */
static bool rec_range(const struct geo_case *c, const struct rec *r,
		      unsigned long *iova, size_t *length)
{
	switch (r->kind) {
	case R_BITS:
		*iova = c->iova + r->a * c->page_size;
		*length = r->b * c->page_size;
		break;
	case R_SPAN:
		*iova = c->iova + r->a;
		*length = r->b;
		break;
	case R_RAW:
		*iova = r->a;
		*length = r->b;
		break;
	default:
		return false;
	}
	return true;
}

typedef void (*record_fn)(void *ctx, unsigned long iova, size_t length);

/*
 * Call @fn with each (iova, length) the case records, in order: what a
 * dirty-tracking walker would report.
 */
static void walk_records(const struct geo_case *c, record_fn fn, void *ctx)
{
	const struct rec *r;
	unsigned long i, iova;
	size_t length;

	for (r = c->rec; r < c->rec + MAX_RECS && r->kind != R_END; r++) {
		if (r->kind != R_WALK) {
			if (rec_range(c, r, &iova, &length))
				fn(ctx, iova, length);
			continue;
		}
		for (i = 0; i < r->b; i++)
			fn(ctx, c->iova + (r->a + (long)i * r->step) * c->page_size,
			   c->page_size);
	}
}

/* IOVA span of bit @i, clipped to the bitmap's last IOVA. */
static struct iova_range bit_span(const struct geo_case *c, unsigned long i)
{
	unsigned long last = c->iova + (c->length - 1);
	struct iova_range s;

	s.first = c->iova + i * c->page_size;
	s.last = last - s.first < c->page_size - 1 ? last :
		 s.first + (c->page_size - 1);
	return s;
}

static bool spans_meet(struct iova_range a, struct iova_range b)
{
	return a.first <= b.last && b.first <= a.last;
}

/*
 * Model: set in @img every bit whose span meets the record.  Candidates are
 * the bits around the record's clipped ends; each one is decided by the
 * intersection test alone.
 */
static void model_record(const struct geo_case *c, u8 *img, unsigned long iova,
			 size_t length)
{
	unsigned long nbits = nbits_of(c->length, c->page_size);
	unsigned long last = c->iova + (c->length - 1);
	struct iova_range r;
	unsigned long lo, hi, i;

	if (!length)
		return;
	r.first = iova;
	r.last = iova + (length - 1) < iova ? ULONG_MAX : iova + (length - 1);
	if (r.last < c->iova || r.first > last)
		return;
	lo = (max(r.first, c->iova) - c->iova) / c->page_size;
	hi = (min(r.last, last) - c->iova) / c->page_size;
	lo = lo ? lo - 1 : 0;
	hi = min(hi + 1, nbits - 1);
	for (i = lo; i <= hi; i++)
		if (spans_meet(bit_span(c, i), r))
			img[i / 8] |= 1 << (i % 8);
}

struct model_ctx {
	const struct geo_case *c;
	u8 *img;
};

static void model_one(void *ctx, unsigned long iova, size_t length)
{
	struct model_ctx *m = ctx;

	model_record(m->c, m->img, iova, length);
}

static void kvfree_action(void *p)
{
	kvfree(p);
}

/* Zeroed memory freed with the test; bitmaps of several MiB need kvmalloc. */
static void *test_kvzalloc(struct kunit *test, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	if (p && kunit_add_action_or_reset(test, kvfree_action, p))
		return NULL;
	return p;
}

struct fixture {
	struct kunit *test;
	unsigned long map;		/* user mapping */
	size_t map_len;
	u64 __user *data;		/* the bitmap inside it */
	unsigned long nbytes;
	u8 *want;			/* expected image of the whole mapping */
	u8 *got;
};

static void fixture_init(struct kunit *test, struct fixture *f,
			 const struct geo_case *c)
{
	unsigned long nbits = nbits_of(c->length, c->page_size);
	u8 *init;

	f->test = test;
	f->nbytes = nbytes_of(nbits);
	/* A guard page's worth before the bitmap page, GUARD_BYTES after. */
	f->map_len = PAGE_ALIGN(PAGE_ALIGN(GUARD_BYTES) + c->uoff + f->nbytes +
				GUARD_BYTES);
	f->map = kunit_vm_mmap(test, NULL, 0, f->map_len,
			       PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, f->map, 0, "kunit_vm_mmap failed");
	f->data = (u64 __user *)(f->map + PAGE_ALIGN(GUARD_BYTES) + c->uoff);
	f->want = test_kvzalloc(test, f->map_len);
	f->got = test_kvzalloc(test, f->map_len);
	KUNIT_ASSERT_NOT_NULL(test, f->want);
	KUNIT_ASSERT_NOT_NULL(test, f->got);

	init = f->want + ((unsigned long)f->data - f->map);
	memset(init, c->fill, f->nbytes);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)f->map, f->want,
					   f->map_len), 0);
}

/* Compare the whole mapping with the expected image. */
static void fixture_check(struct fixture *f)
{
	struct kunit *test = f->test;
	unsigned long off = (unsigned long)f->data - f->map, i;

	KUNIT_ASSERT_EQ(test, copy_from_user(f->got, (void __user *)f->map,
					     f->map_len), 0);
	for (i = 0; i < f->map_len; i++) {
		if (f->got[i] == f->want[i])
			continue;
		KUNIT_FAIL(test,
			   "byte %ld of the bitmap (of %lu) is %#04x, want %#04x%s",
			   (long)(i - off), f->nbytes, f->got[i], f->want[i],
			   i < off || i >= off + f->nbytes ? " (guard byte)" : "");
		return;
	}
}

/* No page of the mapping may remain pinned once the bitmap is freed. */
static void fixture_check_unpinned(struct fixture *f)
{
	unsigned long addr;

	for (addr = f->map; addr < f->map + f->map_len; addr += PAGE_SIZE) {
		struct page *page;

		if (get_user_pages_fast(addr, 1, 0, &page) != 1)
			continue;	/* a hole made by the test */
		KUNIT_EXPECT_FALSE_MSG(f->test, folio_maybe_dma_pinned(page_folio(page)),
				       "user page at +%#lx still pinned",
				       addr - f->map);
		put_page(page);
	}
}

struct walk {
	const struct geo_case *c;
	int calls;
	int ret;		/* what the walker returns */
	unsigned long unmap;	/* a user page the walker unmaps first */
};

static void record_one(void *bitmap, unsigned long iova, size_t length)
{
	iova_bitmap_set(bitmap, iova, length);
}

static int record_case(struct iova_bitmap *bitmap, unsigned long iova,
		       size_t length, void *opaque)
{
	struct walk *w = opaque;

	w->calls++;
	walk_records(w->c, record_one, bitmap);
	return w->ret;
}

#define BITS(a, b) { R_BITS, (a), (b) }
#define SPAN(a, b) { R_SPAN, (a), (b) }
#define RAW(a, b) { R_RAW, (a), (b) }
#define WALK(a, n, step) { R_WALK, (a), (n), (step) }
/* Page sizes of half and a quarter of the address space. */
#define HALF (1UL << (BITS_PER_LONG - 1))
#define QUARTER (1UL << (BITS_PER_LONG - 2))
/* Bitmap of more than 2 MiB: several of the stock library's 512-page pin windows. */
#define BIG_BITS (SZ_2M * 8UL + 100)

static const struct geo_case geo_cases[] = {
	/* page sizes */
	{ "ps4K_1bit", 0, SZ_4K, SZ_4K, 0, 0, { BITS(0, 1) } },
	{ "ps8K_7bits", SZ_1M, 7 * SZ_8K, SZ_8K, 0, 0, { BITS(0, 1), BITS(6, 1) } },
	{ "ps64K_8bits", 0, 8 * SZ_64K, SZ_64K, 0, 0, { BITS(0, 8) } },
	{ "ps2M_63bits", SZ_1G, 63 * SZ_2M, SZ_2M, 0, 0, { BITS(1, 61) } },
#if BITS_PER_LONG == 64
	{ "ps1G_64bits", 0, 64UL * SZ_1G, SZ_1G, 0, 0, { BITS(0, 1), BITS(63, 1) } },
	{ "ps1G_65bits", SZ_1G, 65UL * SZ_1G, SZ_1G, 0, 0,
	  { BITS(64, 1), BITS(0, 1), BITS(31, 3) } },
	{ "ps2^40_3bits", 0, 3 * SZ_1T, SZ_1T, 0, 0, { SPAN(SZ_1T - 1, 2) } },
	{ "cve_2025_21724_ps2^31", 0, 16UL << 31, 1UL << 31, 0, 0, { BITS(3, 2), BITS(15, 1) } },
	{ "cve_2025_21724_ps2^32", 1UL << 32, 9UL << 32, 1UL << 32, 0, 0, { BITS(8, 5) } },
#endif
	/*
	 * The top of the address space, for either width of unsigned long:
	 * a bit of a quarter of it, or of half (bug cb30dfa75d55).
	 */
	{ "ps_quarter_4bits", 0, ULONG_MAX, QUARTER, 0, 0, { RAW(ULONG_MAX, 1), RAW(0, 1) } },
	{ "ps_quarter_range_to_ULONG_MAX", QUARTER, ULONG_MAX - QUARTER + 1, QUARTER, 0, 0,
	  { RAW(ULONG_MAX - 1, 2) } },
	{ "ps_half_iova0_1bit", 0, SZ_4K, HALF, 0, 0, { RAW(SZ_4K - 1, SZ_1G) } },
	{ "ps_half_iova0_2bits", 0, ULONG_MAX, HALF, 0, 0, { RAW(HALF, 1) } },
	{ "ps_half_iova0_both_bits", 0, ULONG_MAX, HALF, 0xfff, 0, { RAW(HALF - 1, 2) } },
	{ "ps_half_iova_half", HALF, HALF, HALF, 0, 0, { RAW(ULONG_MAX, 1), RAW(0, ULONG_MAX) } },
	{ "ps_half_iova_half_ragged", HALF, SZ_4K + 1, HALF, 0, 0, { RAW(HALF + SZ_4K, 1) } },
	{ "ps_quarter_iova_half_2bits", HALF, HALF, QUARTER, 0, 0, { RAW(HALF + QUARTER, 1) } },
	{ "ps_quarter_iova0_bits_1_2", 0, 3 * QUARTER, QUARTER, 0, 0, { RAW(HALF - 1, 2) } },
	{ "ps4K_one_page_of_bits", 0, PAGE_SIZE * 8 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(0, 1), BITS(PAGE_SIZE * 8 - 1, 1), BITS(1000, 3000) } },
	/* unaligned geometry */
	{ "iova_unaligned_to_ps", SZ_4K + 123, 10 * SZ_4K, SZ_4K, 0, 0,
	  { SPAN(0, 1), SPAN(SZ_4K - 1, 2), SPAN(9 * SZ_4K + 5, 1) } },
	{ "length_ragged_last_bit", 0, 10 * SZ_4K + 1, SZ_4K, 0, 0,
	  { SPAN(10 * SZ_4K, 1) } },
	{ "range_ends_at_ULONG_MAX", ULONG_MAX - 64 * SZ_4K + 1, 64 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(63, 1), RAW(ULONG_MAX, 1), BITS(0, 1) } },
	{ "range_ends_at_ULONG_MAX_overshoot", ULONG_MAX - 8 * SZ_4K + 1, 8 * SZ_4K, SZ_4K, 0, 0,
	  { RAW(ULONG_MAX - SZ_4K, ULONG_MAX) } },
	{ "unaligned_everything", 0x12345, 0x7777777, SZ_64K, 0xff1, 0,
	  { SPAN(0, 1), SPAN(0x7777776, 1), SPAN(0x10000, 0x30001) } },
	/* pointer placement */
	{ "ptr_page_aligned", 0, 200 * SZ_4K, SZ_4K, 0, 0, { BITS(3, 190) } },
	{ "ptr_plus_1", 0, 200 * SZ_4K, SZ_4K, 1, 0, { BITS(3, 190) } },
	{ "ptr_plus_7", 0, 200 * SZ_4K, SZ_4K, 7, 0, { BITS(0, 1), BITS(199, 1) } },
	{ "ptr_plus_8", 0, 200 * SZ_4K, SZ_4K, 8, 0, { BITS(64, 64) } },
	{ "ptr_plus_0xff1", 0, 200 * SZ_4K, SZ_4K, 0xff1, 0, { BITS(0, 200) } },
	{ "ptr_page_end_minus_1", 0, 64 * SZ_4K, SZ_4K, PAGE_SIZE - 1, 0,
	  { BITS(0, 1), BITS(7, 2), BITS(63, 1) } },
	{ "ptr_straddles_two_pages", 0, 8 * 64 * SZ_4K, SZ_4K, PAGE_SIZE - 20, 0,
	  { BITS(0, 512) } },
	/* records */
	{ "first_and_last_bit", 0, 1000 * SZ_4K, SZ_4K, 0, 0, { BITS(999, 1), BITS(0, 1) } },
	{ "run_across_byte", 0, 64 * SZ_4K, SZ_4K, 0, 0, { BITS(5, 6) } },
	{ "run_across_word", 0, 256 * SZ_4K, SZ_4K, 3, 0, { BITS(60, 10), BITS(127, 2) } },
	{ "run_across_user_page", 0, 3 * PAGE_SIZE * 8 * SZ_4K, SZ_4K, 100, 0,
	  { BITS((PAGE_SIZE - 100) * 8 - 5, 10), BITS((2 * PAGE_SIZE - 100) * 8 - 1, 2) } },
	{ "whole_range", SZ_1G, 5000 * SZ_4K, SZ_4K, 33, 0, { SPAN(0, 5000 * SZ_4K) } },
	{ "overshoot_end", 0, 100 * SZ_4K, SZ_4K, 0, 0, { BITS(98, 50) } },
	{ "overshoot_both_ends", SZ_1G, 100 * SZ_4K, SZ_4K, 0, 0, { BITS(-3, 200) } },
	{ "starts_before_start", SZ_1G, 100 * SZ_4K, SZ_4K, 5, 0, { SPAN(-1, 2), BITS(-10, 11) } },
	{ "entirely_outside", SZ_1G, 100 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(-10, 10), BITS(100, 5), RAW(0, SZ_4K), RAW(ULONG_MAX, 1) } },
	{ "zero_length_records", 0, 100 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(5, 0), SPAN(7, 0), BITS(9, 1) } },
	{ "record_wraps_address_space", 0, 16 * SZ_4K, SZ_4K, 0, 0,
	  { RAW(15 * SZ_4K, ULONG_MAX) } },
	{ "unsorted_records", 0, 4000 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(3000, 3), BITS(10, 1), BITS(3999, 1), BITS(11, 1), BITS(0, 1), BITS(2000, 900) } },
	{ "repeated_records", 0, 100 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(5, 10), BITS(5, 10), BITS(8, 2), BITS(5, 10) } },
	{ "adjacent_records_merge", 0, 100 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(10, 5), BITS(15, 5), BITS(5, 5), BITS(21, 1) } },
	{ "huge_record_at_base_granularity", 0, 1024 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(512, 512), BITS(0, 512) } },
	/* walkers: one record per IOPTE (the inline fast paths) */
	{ "walk_contiguous_pages", SZ_1G, 40000 * SZ_4K, SZ_4K, 5, 0,
	  { WALK(0, 40000, 1) } },
	{ "walk_every_other_page", 0, 40000 * SZ_4K, SZ_4K, 0, 0,
	  { WALK(1, 20000, 2) } },
	{ "walk_run_interrupted", 0, 5000 * SZ_4K, SZ_4K, 0, 0,
	  { WALK(0, 100, 1), BITS(3000, 1), WALK(100, 100, 1), WALK(4001, 30, 3),
	    BITS(130, 1), WALK(201, 10, 1) } },
	{ "walk_past_the_end", 0, 100 * SZ_4K + 1, SZ_4K, 0, 0,
	  { WALK(90, 30, 1) } },
	{ "walk_across_ULONG_MAX", ULONG_MAX - 64 * SZ_4K + 1, 64 * SZ_4K, SZ_4K, 0, 0,
	  { WALK(60, 10, 1), WALK(0, 3, 1) } },
	{ "walk_backwards_every_user_page", 0, BIG_BITS * SZ_4K, SZ_4K, 7, 0,
	  { WALK(BIG_BITS - 1, 600, -(long)(PAGE_SIZE * 8 - 3)) } },
	/* a device's log: pages pinned on first touch, then revisited inline */
	{ "device_order_revisits_every_user_page", 0, BIG_BITS * SZ_4K, SZ_4K, 9, 0,
	  { WALK(3, 500, PAGE_SIZE * 8 + 1), WALK(BIG_BITS - 2, 500, -(long)(PAGE_SIZE * 8 + 5)),
	    WALK(7, 500, PAGE_SIZE * 8 + 11) } },
	/* OR semantics: bits already set stay set */
	{ "or_keeps_existing_bits", 0, 1000 * SZ_4K, SZ_4K, 1, 0xa5, { BITS(0, 3), BITS(500, 1) } },
	{ "or_all_ones_stay", 0, 100 * SZ_4K, SZ_4K, 0, 0xff, { BITS(50, 1) } },
	/* several stock 512-page windows */
	{ "big_bitmap_sparse", 0, BIG_BITS * SZ_4K, SZ_4K, 0, 0,
	  { BITS(0, 1), BITS(BIG_BITS / 2, 1), BITS(BIG_BITS - 1, 1), BITS(SZ_2M * 8UL - 1, 2) } },
	{ "big_bitmap_whole", 0, BIG_BITS * SZ_4K, SZ_4K, 0x11, 0, { BITS(0, BIG_BITS) } },
	{ "big_bitmap_unsorted_across_windows", 0, BIG_BITS * SZ_4K, SZ_4K, 3, 0,
	  { BITS(BIG_BITS - 1, 1), BITS(0, 1), BITS(SZ_2M * 8UL + 1, 1), BITS(1, 1),
	    BITS(SZ_2M * 4UL, 512) } },
	/* one case per upstream fix */
	{ "bug_f38044e5ef58_ptr_not_page_aligned", 0, 2 * PAGE_SIZE * 8 * SZ_4K, SZ_4K, 0x808, 0,
	  { BITS(0, 1), BITS(PAGE_SIZE * 8 - 2, 4), BITS(2 * PAGE_SIZE * 8 - 1, 1) } },
	{ "bug_b058ea3ab5af_bits_across_pages", 0, 4 * PAGE_SIZE * 8 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(PAGE_SIZE * 8 - 1, 2), BITS(2 * PAGE_SIZE * 8 - 7, 9) } },
	{ "bug_a4ab7dedaee0_huge_iopte_past_pins", SZ_1G, 600 * SZ_4K, SZ_4K, 0, 0,
	  { BITS(512, 512), BITS(-512, 513) } },
	{ "bug_d18411ec3057_small_unaligned_ptr", 0, 130 * SZ_4K, SZ_4K, 3, 0,
	  { BITS(0, 1), BITS(64, 1), BITS(129, 1) } },
	{ "bug_2780025e01e2_huge_page_across_window", 0, BIG_BITS * SZ_4K, SZ_4K, 0, 0,
	  { SPAN(64UL * SZ_1G - SZ_1M, SZ_2M) } },
	{ "bug_4bbcbc6ea2fa_offset_needs_extra_page", 0, PAGE_SIZE * 8 * SZ_4K, SZ_4K,
	  PAGE_SIZE - 1, 0,
	  { BITS(PAGE_SIZE * 8 - 1, 1), BITS(0, 1) } },
};

static void geo_case_desc(const struct geo_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(geo, geo_cases, geo_case_desc);

/* Record @c through one walk into the bitmap of @f and compare with the model. */
static void run_records(struct kunit *test, const struct geo_case *c,
			struct fixture *f)
{
	struct walk w = { .c = c };
	struct iova_bitmap *bitmap;
	struct model_ctx m;
	int ret;

	m.c = c;
	m.img = f->want + ((unsigned long)f->data - f->map);
	walk_records(c, model_one, &m);

	bitmap = iova_bitmap_alloc(c->iova, c->length, c->page_size, f->data);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(bitmap), "alloc: %ld",
			       PTR_ERR(bitmap));
	ret = iova_bitmap_for_each(bitmap, &w, record_case);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, w.calls, 1);
	iova_bitmap_free(bitmap);

	fixture_check(f);
	fixture_check_unpinned(f);
}

static void iova_bitmap_test_records(struct kunit *test)
{
	const struct geo_case *c = test->param_value;
	struct fixture f;

	fixture_init(test, &f, c);
	run_records(test, c, &f);
}

#define HIGHMEM_PAGES	32
#define HIGHMEM_BITS	(HIGHMEM_PAGES * PAGE_SIZE * 8)

/*
 * A bitmap of HIGHMEM_PAGES user pages: a one-page record in each (taken
 * inline when the page has a kernel mapping), a run across ten of them
 * and records apart from it.  Bit i stands for 64 bytes, so the range
 * fits a 32-bit length.
 */
static const struct geo_case highmem_case = {
	"highmem", SZ_1G, HIGHMEM_BITS * 64, 64, 100, 0,
	{ WALK(3, HIGHMEM_PAGES, PAGE_SIZE * 8 + 1),
	  BITS(HIGHMEM_BITS / 4 - 3, HIGHMEM_BITS * 10 / HIGHMEM_PAGES + 6),
	  BITS(HIGHMEM_BITS - 9, 2), BITS(5, 1), BITS(HIGHMEM_BITS / 2 + 11, 3) },
};

/* How many of the pages under the bitmap of @f are highmem. */
static unsigned long count_highmem(struct fixture *f)
{
	unsigned long addr = (unsigned long)f->data & PAGE_MASK;
	unsigned long end = (unsigned long)f->data + f->nbytes;
	unsigned long n = 0;
	struct page *page;

	for (; addr < end; addr += PAGE_SIZE) {
		if (get_user_pages_fast(addr, 1, 0, &page) != 1)
			continue;
		n += PageHighMem(page);
		put_page(page);
	}
	return n;
}

/*
 * On a 32-bit kernel with highmem and enough memory, user pages come from
 * highmem: they have no permanent kernel mapping, so the library must map
 * them for each write and keep them off the inline path.
 */
static void iova_bitmap_test_highmem(struct kunit *test)
{
	const struct geo_case *c = &highmem_case;
	unsigned long high;
	struct fixture f;

	if (!IS_ENABLED(CONFIG_HIGHMEM))
		kunit_skip(test, "this kernel has no highmem");
	fixture_init(test, &f, c);
	high = count_highmem(&f);
	kunit_info(test, "%lu of %lu bitmap pages are highmem\n", high,
		   DIV_ROUND_UP(offset_in_page(f.data) + f.nbytes, PAGE_SIZE));
	KUNIT_ASSERT_GT_MSG(test, high, 0,
			    "no page of the bitmap is highmem: give the guest more memory");
	run_records(test, c, &f);
}

struct bad_geo {
	const char *name;
	unsigned long iova;
	size_t length;
	unsigned long page_size;
	int err;
	bool at_top;		/* the bitmap starts 4 bytes below 2^BITS_PER_LONG */
};

static const struct bad_geo bad_geos[] = {
	{ "length_0", 0, 0, SZ_4K, -EINVAL },
	{ "debian_zero_length_report", SZ_1G, 0, SZ_2M, -EINVAL },
	{ "page_size_0", 0, SZ_4K, 0, -EINVAL },
	{ "page_size_3", 0, SZ_4K, 3, -EINVAL },
	{ "page_size_4097", 0, SZ_4K, 4097, -EINVAL },
	{ "page_size_ULONG_MAX", 0, SZ_4K, ULONG_MAX, -EINVAL },
	{ "range_wraps", ULONG_MAX - SZ_4K + 1, 2 * SZ_4K, SZ_4K, -EOVERFLOW },
	{ "range_wraps_by_one", 2, ULONG_MAX, SZ_4K, -EOVERFLOW },
	/*
	 * A bitmap that wraps: refused on every architecture, s390 included,
	 * whose access_ok() passes any address (user space has an address
	 * space of its own there, up to -PAGE_SIZE).
	 */
	{ "bitmap_wraps", 0, 64 * SZ_4K, SZ_4K, -EFAULT, true },
};

static void bad_geo_desc(const struct bad_geo *g, char *desc)
{
	strscpy(desc, g->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_geo, bad_geos, bad_geo_desc);

static void iova_bitmap_test_alloc_rejects(struct kunit *test)
{
	const struct bad_geo *g = test->param_value;
	unsigned long map;
	struct iova_bitmap *bitmap;

	map = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, map, 0);
	if (g->at_top)
		map = ULONG_MAX - 3;
	bitmap = iova_bitmap_alloc(g->iova, g->length, g->page_size,
				   (u64 __user *)map);
	KUNIT_EXPECT_TRUE(test, IS_ERR(bitmap));
	if (!IS_ERR_OR_NULL(bitmap)) {
		iova_bitmap_free(bitmap);
		return;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(bitmap), (long)g->err);
}

/*
 * A bitmap page the kernel may not pin for writing: the walk must fail
 * before the walker runs (it would clear dirty state it cannot store),
 * touching nothing.
 */
enum hole_kind { HOLE_UNMAPPED, HOLE_READ_ONLY, HOLE_NONE, HOLE_SHARED_READ_ONLY };

struct hole {
	const char *name;
	enum hole_kind kind;
	unsigned int page;	/* which of the bitmap's 3 pages */
};

static const struct hole holes[] = {
	{ "munmapped_middle", HOLE_UNMAPPED, 1 },
	{ "munmapped_first", HOLE_UNMAPPED, 0 },
	{ "munmapped_last", HOLE_UNMAPPED, 2 },
	{ "PROT_READ_middle", HOLE_READ_ONLY, 1 },
	{ "PROT_READ_last", HOLE_READ_ONLY, 2 },
	{ "PROT_NONE_middle", HOLE_NONE, 1 },
	{ "PROT_NONE_first", HOLE_NONE, 0 },
	{ "PROT_READ_shared_shmem_middle", HOLE_SHARED_READ_ONLY, 1 },
	{ "PROT_READ_shared_shmem_last", HOLE_SHARED_READ_ONLY, 2 },
};

static void hole_desc(const struct hole *h, char *desc)
{
	strscpy(desc, h->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hole, holes, hole_desc);

static void make_hole(struct kunit *test, const struct hole *h,
		      unsigned long addr)
{
	struct file *file = NULL;
	unsigned long got, flags = MAP_ANONYMOUS | MAP_PRIVATE | MAP_FIXED;
	unsigned long prot = PROT_READ;

	switch (h->kind) {
	case HOLE_UNMAPPED:
		KUNIT_ASSERT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
		return;
	case HOLE_NONE:
		prot = PROT_NONE;
		break;
	case HOLE_SHARED_READ_ONLY:
		file = shmem_file_setup("iova_bitmap_kunit", PAGE_SIZE, EMPTY_VMA_FLAGS);
		KUNIT_ASSERT_FALSE(test, IS_ERR(file));
		flags = MAP_SHARED | MAP_FIXED;
		break;
	default:
		break;
	}
	got = kunit_vm_mmap(test, file, addr, PAGE_SIZE, prot, flags, 0);
	if (file)
		fput(file);	/* the mapping holds its own reference */
	KUNIT_ASSERT_EQ(test, got, addr);
}

static void iova_bitmap_test_unwritable_page(struct kunit *test)
{
	const struct hole *h = test->param_value;
	const unsigned long bits_per_page = PAGE_SIZE * 8;
	/* Three pages of bitmap, starting at a page boundary. */
	const struct geo_case c = {
		.name = "hole", .iova = 0, .page_size = SZ_4K,
		.length = 3 * bits_per_page * SZ_4K, .fill = 0x5a,
		.rec = { BITS(1, 1), BITS(bits_per_page + 5, 1),
			 BITS(2 * bits_per_page + 9, 1) },
	};
	unsigned long hole, page, off;
	struct walk w = { .c = &c };
	struct iova_bitmap *bitmap;
	struct fixture f;
	int ret;

	fixture_init(test, &f, &c);
	KUNIT_ASSERT_EQ(test, (unsigned long)f.data % PAGE_SIZE, 0UL);
	hole = (unsigned long)f.data + h->page * PAGE_SIZE;
	make_hole(test, h, hole);

	bitmap = iova_bitmap_alloc(c.iova, c.length, c.page_size, f.data);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bitmap));
	ret = iova_bitmap_for_each(bitmap, &w, record_case);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	KUNIT_EXPECT_EQ_MSG(test, w.calls, 0, "walker ran on a bad buffer");
	iova_bitmap_free(bitmap);

	/* Every page still readable is as it was: nothing was written. */
	for (page = f.map; page < f.map + f.map_len; page += PAGE_SIZE) {
		off = page - f.map;
		if (page == hole)	/* gone, or a fresh page */
			continue;
		KUNIT_ASSERT_EQ(test, copy_from_user(f.got + off, (void __user *)page,
						     PAGE_SIZE), 0);
		KUNIT_EXPECT_MEMEQ_MSG(test, f.got + off, f.want + off, PAGE_SIZE,
				       "page +%#lx written", off);
	}
	fixture_check_unpinned(&f);
}

/*
 * A walker that unmaps the bitmap's middle page before recording into it:
 * what no check before the walk can see.  The error is still reported,
 * and the records that could be stored are.
 */
static int unmap_then_walk(struct iova_bitmap *bitmap, unsigned long iova,
			   size_t length, void *opaque)
{
	struct walk *w = opaque;

	w->calls++;
	if (vm_munmap(w->unmap, PAGE_SIZE))
		return -EINVAL;
	walk_records(w->c, record_one, bitmap);
	return 0;
}

static void iova_bitmap_test_unmapped_mid_walk(struct kunit *test)
{
	const unsigned long bits_per_page = PAGE_SIZE * 8;
	const struct geo_case c = {
		.name = "mid_walk", .iova = 0, .page_size = SZ_4K,
		.length = 3 * bits_per_page * SZ_4K,
		.rec = { BITS(1, 1), BITS(bits_per_page + 5, 1),
			 BITS(2 * bits_per_page + 9, 1) },
	};
	struct walk w = { .c = &c };
	struct iova_bitmap *bitmap;
	struct fixture f;
	unsigned long off;

	fixture_init(test, &f, &c);
	off = (unsigned long)f.data - f.map;
	w.unmap = (unsigned long)f.data + PAGE_SIZE;
	/* Recorded before the failure: still written. */
	f.want[off] = BIT(1);

	bitmap = iova_bitmap_alloc(c.iova, c.length, c.page_size, f.data);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bitmap));
	KUNIT_EXPECT_EQ(test, iova_bitmap_for_each(bitmap, &w, unmap_then_walk),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, w.calls, 1);
	iova_bitmap_free(bitmap);
	KUNIT_ASSERT_EQ(test, copy_from_user(f.got, (void __user *)f.map,
					     off + PAGE_SIZE), 0);
	KUNIT_EXPECT_MEMEQ(test, f.got, f.want, off + PAGE_SIZE);
	fixture_check_unpinned(&f);
}

static int fail_walk(struct iova_bitmap *bitmap, unsigned long iova,
		     size_t length, void *opaque)
{
	iova_bitmap_set(bitmap, iova, 1);
	return -EIO;
}

/* The walker's own error wins, and what it recorded is still written. */
static void iova_bitmap_test_walker_error(struct kunit *test)
{
	const struct geo_case c = {
		.name = "walker_error", .iova = 0, .length = 64 * SZ_4K,
		.page_size = SZ_4K,
	};
	struct iova_bitmap *bitmap;
	struct fixture f;

	fixture_init(test, &f, &c);
	f.want[(unsigned long)f.data - f.map] = 1;
	bitmap = iova_bitmap_alloc(c.iova, c.length, c.page_size, f.data);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bitmap));
	KUNIT_EXPECT_EQ(test, iova_bitmap_for_each(bitmap, NULL, fail_walk), -EIO);
	iova_bitmap_free(bitmap);
	fixture_check(&f);
	fixture_check_unpinned(&f);
}

static int set_every_third(struct iova_bitmap *bitmap, unsigned long iova,
			   size_t length, void *opaque)
{
	unsigned long i;

	for (i = 0; i < length / SZ_4K; i += 3)
		iova_bitmap_set(bitmap, iova + i * SZ_4K, SZ_4K);
	return 0;
}

/*
 * The uAPI's formula, word by word: page n is dirty when bit n % 64 of
 * le64_to_cpu(data[n / 64]) is set, on every machine.  With every third
 * page dirty no word reads the same in both byte orders, so a bitmap
 * written in native words fails here on a big-endian kernel.
 */
static void iova_bitmap_test_le64_words(struct kunit *test)
{
	const struct geo_case c = {
		.name = "le64_words", .iova = SZ_1M, .length = 256 * SZ_4K,
		.page_size = SZ_4K, .uoff = 5,
	};
	struct iova_bitmap *bitmap;
	struct fixture f;
	__le64 got[4];
	unsigned long w, n;

	fixture_init(test, &f, &c);
	bitmap = iova_bitmap_alloc(c.iova, c.length, c.page_size, f.data);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bitmap));
	KUNIT_EXPECT_EQ(test, iova_bitmap_for_each(bitmap, NULL, set_every_third), 0);
	iova_bitmap_free(bitmap);

	KUNIT_ASSERT_EQ(test, copy_from_user(got, f.data, sizeof(got)), 0);
	for (w = 0; w < ARRAY_SIZE(got); w++) {
		u64 want = 0;

		for (n = w * 64; n < (w + 1) * 64; n++)
			if (n % 3 == 0)
				want |= 1ULL << (n % 64);
		KUNIT_EXPECT_EQ_MSG(test, le64_to_cpu(got[w]), want, "word %lu", w);
	}
}

static struct kunit_case iova_bitmap_test_cases[] = {
	KUNIT_CASE_PARAM(iova_bitmap_test_records, geo_gen_params),
	KUNIT_CASE_PARAM(iova_bitmap_test_alloc_rejects, bad_geo_gen_params),
	KUNIT_CASE_PARAM(iova_bitmap_test_unwritable_page, hole_gen_params),
	KUNIT_CASE(iova_bitmap_test_highmem),
	KUNIT_CASE(iova_bitmap_test_unmapped_mid_walk),
	KUNIT_CASE(iova_bitmap_test_walker_error),
	KUNIT_CASE(iova_bitmap_test_le64_words),
	{}
};

static struct kunit_suite iova_bitmap_test_suite = {
	.name = "iova_bitmap",
	.test_cases = iova_bitmap_test_cases,
};

kunit_test_suites(&iova_bitmap_test_suite);

MODULE_DESCRIPTION("KUnit tests for iova_bitmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IOMMUFD");
