// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of io-pgtable-arm's dirty walker reporting into iova_bitmap.
 *
 * A stage-1 LPAE table with hardware dirty tracking (IO_PGTABLE_QUIRK_ARM_HD)
 * is built with the real allocator and map_pages().  The test marks IOPTEs
 * dirty the way an SMMU does: it finds the leaf entry itself, walking down
 * from the TTBR, and clears its read-only AP bit, so the entry reads as
 * writable-dirty (DBM set, AP read-only clear).  Then it reads the dirty
 * state back the way iommufd does: iova_bitmap_alloc() on a bitmap in real
 * user memory from kunit_vm_mmap(), iova_bitmap_for_each() and, inside it,
 * iommu_dirty_bitmap_init() and ops->read_and_clear_dirty().
 *
 * The whole user mapping, canary bytes around the bitmap included, is then
 * compared byte for byte with an image the test computes from the IOPTEs it
 * dirtied: bit i is set iff the page_size granule of bit i, clipped to the
 * queried range, meets a dirty IOPTE.  Every leaf of the table is checked
 * too: a clearing read leaves each dirty leaf that meets the range
 * writable-clean, IOMMU_DIRTY_NO_CLEAR leaves it dirty, and leaves outside
 * the range keep their state.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

/*
 * Stage-1 descriptor bits of the LPAE format, from the Arm architecture;
 * io-pgtable-arm.c keeps its own definitions private.
 */
#define PTE_TYPE_MASK		GENMASK_ULL(1, 0)
#define PTE_TYPE_BLOCK		1ULL
#define PTE_TYPE_TABLE		3ULL	/* a page at the last level */
#define PTE_AP_RDONLY		BIT_ULL(7)
#define PTE_DBM			BIT_ULL(51)
#define PTE_ADDR_MASK		GENMASK_ULL(47, 12)
#define PTE_WR_STATE		(PTE_AP_RDONLY | PTE_DBM)
#define PTE_WR_CLEAN		(PTE_AP_RDONLY | PTE_DBM)
#define PTE_WR_DIRTY		PTE_DBM

/* 4K granule, 48-bit input addresses: levels 0 to 3, 9 bits each. */
#define LAST_LEVEL		3
#define LEVEL_SHIFT(l)		(PAGE_SHIFT + 9 * (LAST_LEVEL - (l)))
#define TEST_IAS		48

#define MAX_SPECS		4

/* pgcount IOPTEs of pgsize bytes mapped from iova on; pgcount 0 ends. */
struct map_spec {
	unsigned long iova;
	unsigned long pgsize;
	unsigned long pgcount;
};

/*
 * count ranges [iova + k * stride, iova + k * stride + len) whose IOPTEs are
 * all made dirty; each range must consist of whole IOPTEs.  count 0 ends.
 */
struct dirty_spec {
	unsigned long iova;
	unsigned long len;
	unsigned long stride;
	unsigned long count;
};

struct dirty_case {
	const char *name;
	struct map_spec map[MAX_SPECS];
	struct dirty_spec dirty[MAX_SPECS];
	/* The query: IOVA range and bitmap geometry. */
	unsigned long iova;
	unsigned long length;
	unsigned long page_size;
	unsigned long uoff;	/* offset of the bitmap in the user mapping */
	unsigned long flags;	/* of the first read */
};

struct dirty_env {
	struct kunit *test;
	const struct dirty_case *c;
	struct io_pgtable_cfg cfg;
	struct io_pgtable_ops *ops;
	/* User mapping holding the bitmap, canaries on both sides. */
	unsigned long map;
	size_t map_len;
	unsigned long nbits;
	unsigned long nbytes;
	u8 *init;		/* the mapping before a read */
	u8 *want;
	u8 *got;
};

static void dummy_tlb_flush_all(void *cookie)
{
}

static void dummy_tlb_flush(unsigned long iova, size_t size, size_t granule,
			    void *cookie)
{
}

static void dummy_tlb_add_page(struct iommu_iotlb_gather *gather,
			       unsigned long iova, size_t granule,
			       void *cookie)
{
}

static const struct iommu_flush_ops dummy_tlb_ops = {
	.tlb_flush_all	= dummy_tlb_flush_all,
	.tlb_flush_walk	= dummy_tlb_flush,
	.tlb_add_page	= dummy_tlb_add_page,
};

KUNIT_DEFINE_ACTION_WRAPPER(free_ops_action, free_io_pgtable_ops,
			    struct io_pgtable_ops *);
KUNIT_DEFINE_ACTION_WRAPPER(bitmap_free_action, iova_bitmap_free,
			    struct iova_bitmap *);
KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);

static void *test_kvzalloc(struct kunit *test, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	if (p && kunit_add_action_or_reset(test, kvfree_action, p))
		return NULL;
	return p;
}

/*
 * The leaf IOPTE translating @iova, found by walking the table from the
 * TTBR as the SMMU does; NULL if @iova is not mapped.  *@base and *@size
 * give the IOVA range the leaf maps.
 */
static u64 *find_leaf(struct dirty_env *env, unsigned long iova,
		      unsigned long *base, unsigned long *size)
{
	u64 *table = phys_to_virt(env->cfg.arm_lpae_s1_cfg.ttbr);
	int lvl;

	for (lvl = 0; lvl <= LAST_LEVEL; lvl++) {
		unsigned int shift = LEVEL_SHIFT(lvl);
		u64 *ptep = &table[(iova >> shift) & 511];
		u64 pte = READ_ONCE(*ptep);
		u64 type = pte & PTE_TYPE_MASK;

		if (!type || (lvl == LAST_LEVEL && type != PTE_TYPE_TABLE))
			return NULL;
		if (lvl == LAST_LEVEL || type == PTE_TYPE_BLOCK) {
			*size = 1UL << shift;
			*base = iova & ~(*size - 1);
			return ptep;
		}
		table = phys_to_virt(pte & PTE_ADDR_MASK);
	}
	return NULL;
}

static bool ranges_meet(unsigned long a, unsigned long alen, unsigned long b,
			unsigned long blen)
{
	return a < b + blen && b < a + alen;
}

static bool in_query(const struct dirty_case *c, unsigned long iova,
		     unsigned long len)
{
	return ranges_meet(iova, len, c->iova, c->length);
}

/* Whether the case made the leaf [@base, @base + @size) dirty. */
static bool leaf_marked(const struct dirty_case *c, unsigned long base,
			unsigned long size)
{
	const struct dirty_spec *d;
	unsigned long k, start;

	for (d = c->dirty; d < c->dirty + MAX_SPECS && d->count; d++) {
		for (k = 0; k < d->count; k++) {
			start = d->iova + k * d->stride;
			if (base >= start && base + size <= start + d->len)
				return true;
		}
	}
	return false;
}

/* Clear every dirty IOPTE of the case's mappings, reporting nowhere. */
static void clean_all(struct dirty_env *env)
{
	struct kunit *test = env->test;
	const struct map_spec *m;
	struct iommu_dirty_bitmap dirty;
	struct iommu_iotlb_gather gather;

	for (m = env->c->map; m < env->c->map + MAX_SPECS && m->pgcount; m++) {
		iommu_dirty_bitmap_init(&dirty, NULL, &gather);
		KUNIT_ASSERT_EQ_MSG(test,
				    env->ops->read_and_clear_dirty(env->ops, m->iova,
								   m->pgsize * m->pgcount,
								   0, &dirty),
				    0, "clearing read of [%#lx, +%#lx) failed",
				    m->iova, m->pgsize * m->pgcount);
	}
}

static void map_all(struct dirty_env *env)
{
	struct kunit *test = env->test;
	const struct map_spec *m;

	for (m = env->c->map; m < env->c->map + MAX_SPECS && m->pgcount; m++) {
		unsigned long done = 0;

		/* map_pages() may stop at the end of a table; go on from there. */
		while (done < m->pgcount) {
			unsigned long iova = m->iova + done * m->pgsize;
			size_t mapped = 0;
			int ret;

			ret = env->ops->map_pages(env->ops, iova, iova, m->pgsize,
						  m->pgcount - done,
						  IOMMU_READ | IOMMU_WRITE,
						  GFP_KERNEL, &mapped);
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "map_pages at %#lx failed",
					    iova);
			KUNIT_ASSERT_GT_MSG(test, mapped, 0,
					    "map_pages mapped nothing at %#lx", iova);
			done += mapped / m->pgsize;
		}
	}
}

/* Make the IOPTEs of [@iova, @iova + @len) writable-dirty, as the SMMU would. */
static void mark_dirty(struct dirty_env *env, unsigned long iova,
		       unsigned long len)
{
	struct kunit *test = env->test;
	unsigned long end = iova + len, base, size;
	u64 *ptep;

	while (iova < end) {
		ptep = find_leaf(env, iova, &base, &size);
		KUNIT_ASSERT_NOT_NULL_MSG(test, ptep, "IOVA %#lx is not mapped", iova);
		KUNIT_ASSERT_TRUE_MSG(test, base == iova && size <= end - iova,
				      "dirty range must be whole IOPTEs: leaf [%#lx, +%#lx)",
				      base, size);
		KUNIT_ASSERT_EQ_MSG(test, *ptep & PTE_WR_STATE, PTE_WR_CLEAN,
				    "leaf at %#lx is not writable-clean before the test",
				    iova);
		WRITE_ONCE(*ptep, *ptep & ~PTE_AP_RDONLY);
		iova += size;
	}
}

/*
 * Check the write state of every leaf the case mapped: dirty iff the case
 * dirtied it and the reads so far did not clear it (@cleared: a clearing
 * read of the query range happened).
 */
static void check_leaves(struct dirty_env *env, bool cleared, const char *when)
{
	struct kunit *test = env->test;
	const struct dirty_case *c = env->c;
	const struct map_spec *m;
	unsigned long iova, end, base, size;
	unsigned int bad = 0;
	u64 *ptep, want;

	for (m = c->map; m < c->map + MAX_SPECS && m->pgcount; m++) {
		end = m->iova + m->pgsize * m->pgcount;
		for (iova = m->iova; iova < end; iova += size) {
			ptep = find_leaf(env, iova, &base, &size);
			KUNIT_ASSERT_NOT_NULL_MSG(test, ptep, "IOVA %#lx lost its mapping",
						  iova);
			want = PTE_WR_CLEAN;
			if (leaf_marked(c, base, size) &&
			    !(cleared && in_query(c, base, size)))
				want = PTE_WR_DIRTY;
			if ((*ptep & PTE_WR_STATE) == want)
				continue;
			if (bad++ < 4)
				KUNIT_FAIL(test, "%s: leaf [%#lx, +%#lx) is %s, want %s",
					   when, base, size,
					   want == PTE_WR_DIRTY ? "clean" : "dirty",
					   want == PTE_WR_DIRTY ? "dirty" : "clean");
		}
	}
	if (bad > 4)
		KUNIT_FAIL(test, "%s: %u leaves in the wrong state in all", when, bad);
}

/* A stage-1 table with hardware dirty state, freed with the test. */
static void init_table(struct kunit *test, struct dirty_env *env)
{
	struct device *dev;

	/* io-pgtable-arm allocates tables on dev_to_node(); no DMA: coherent walk. */
	dev = kunit_device_register(test, "io-pgtable-arm-dirty");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev), "no KUnit device: %ld", PTR_ERR(dev));

	env->cfg = (struct io_pgtable_cfg) {
		.quirks = IO_PGTABLE_QUIRK_ARM_HD,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.ias = TEST_IAS,
		.oas = TEST_IAS,
		.coherent_walk = true,
		.tlb = &dummy_tlb_ops,
		.iommu_dev = dev,
	};
	env->ops = alloc_io_pgtable_ops(ARM_64_LPAE_S1, &env->cfg, env);
	KUNIT_ASSERT_NOT_NULL_MSG(test, env->ops, "alloc_io_pgtable_ops failed");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_ops_action,
							env->ops), 0);
	KUNIT_ASSERT_NOT_NULL(test, env->ops->read_and_clear_dirty);
}

/* The user mapping holding the bitmap of @c's query, and its images. */
static void init_user(struct kunit *test, struct dirty_env *env,
		      const struct dirty_case *c)
{
	env->test = test;
	env->c = c;
	env->nbits = (c->length - 1) / c->page_size + 1;
	env->nbytes = DIV_ROUND_UP(env->nbits, BITS_PER_BYTE);
	/* Canaries: c->uoff bytes before the bitmap, at least 64 after. */
	env->map_len = PAGE_ALIGN(c->uoff + env->nbytes + 64);
	env->map = kunit_vm_mmap(test, NULL, 0, env->map_len,
				 PROT_READ | PROT_WRITE,
				 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, env->map, 0, "kunit_vm_mmap failed");
	env->init = test_kvzalloc(test, env->map_len);
	env->want = test_kvzalloc(test, env->map_len);
	env->got = test_kvzalloc(test, env->map_len);
	KUNIT_ASSERT_NOT_NULL(test, env->init);
	KUNIT_ASSERT_NOT_NULL(test, env->want);
	KUNIT_ASSERT_NOT_NULL(test, env->got);
	/*
	 * The bitmap starts zeroed, as iommufd's users pass it, and so do the
	 * canaries: the library only ever sets bits, so a stray one shows.
	 */
}

/* Set in @img the bits of the query that [@iova, @iova + @len) meets. */
static void expect_range(struct dirty_env *env, u8 *img, unsigned long iova,
			 unsigned long len)
{
	const struct dirty_case *c = env->c;
	unsigned long first, last, i;
	u8 *bits = img + c->uoff;

	if (!in_query(c, iova, len))
		return;
	first = max(iova, c->iova) - c->iova;
	last = min(iova + len, c->iova + c->length) - 1 - c->iova;
	for (i = first / c->page_size; i <= last / c->page_size; i++)
		bits[i / BITS_PER_BYTE] |= BIT(i % BITS_PER_BYTE);
}

/* The mapping as it should read after a read that finds the marked IOPTEs. */
static void expect_marked(struct dirty_env *env)
{
	const struct dirty_spec *d;
	unsigned long k;

	memcpy(env->want, env->init, env->map_len);
	for (d = env->c->dirty; d < env->c->dirty + MAX_SPECS && d->count; d++)
		for (k = 0; k < d->count; k++)
			expect_range(env, env->want, d->iova + k * d->stride, d->len);
}

struct walk_arg {
	struct io_pgtable_ops *ops;
	unsigned long flags;
	struct iommu_iotlb_gather gather;
};

/* What iommufd's walker does for each range iova_bitmap_for_each() gives. */
static int read_dirty_fn(struct iova_bitmap *bitmap, unsigned long iova,
			 size_t length, void *opaque)
{
	struct walk_arg *arg = opaque;
	struct iommu_dirty_bitmap dirty;

	iommu_dirty_bitmap_init(&dirty, bitmap, &arg->gather);
	return arg->ops->read_and_clear_dirty(arg->ops, iova, length, arg->flags,
					      &dirty);
}

/* Zero the bitmap, read the query's dirty state into it, read it back. */
static void read_dirty(struct dirty_env *env, unsigned long flags)
{
	struct kunit *test = env->test;
	const struct dirty_case *c = env->c;
	struct walk_arg arg = { .ops = env->ops, .flags = flags };
	struct iova_bitmap *bitmap;
	int ret;

	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)env->map, env->init,
					   env->map_len), 0);
	bitmap = iova_bitmap_alloc(c->iova, c->length, c->page_size,
				   (u64 __user *)(env->map + c->uoff));
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(bitmap), "iova_bitmap_alloc: %ld",
			       PTR_ERR(bitmap));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bitmap_free_action,
							bitmap), 0);
	ret = iova_bitmap_for_each(bitmap, &arg, read_dirty_fn);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "iova_bitmap_for_each failed");
	/* Unpin before reading back, as iommufd does before returning. */
	kunit_release_action(test, bitmap_free_action, bitmap);
	KUNIT_ASSERT_EQ(test, copy_from_user(env->got, (void __user *)env->map,
					     env->map_len), 0);
}

/*
 * Compare the whole mapping with env->want.  Bits set that should be clear,
 * bits clear that should be set and changed canary bytes are counted
 * apart, and the first of each is named by its bit number and IOVA.
 */
static void check_image(struct dirty_env *env, const char *when)
{
	struct kunit *test = env->test;
	const struct dirty_case *c = env->c;
	const u8 *got = env->got + c->uoff, *want = env->want + c->uoff;
	unsigned long i, bit, extra = 0, missing = 0, canary = 0;
	unsigned long first_extra = 0, first_missing = 0;
	long first_canary = 0;

	for (i = 0; i < env->map_len; i++) {
		long byte = (long)i - (long)c->uoff;

		if (env->got[i] != env->want[i] &&
		    (byte < 0 || byte >= env->nbytes) && !canary++)
			first_canary = byte;
	}
	for (i = 0; i < env->nbytes; i++) {
		u8 more = got[i] & ~want[i], less = want[i] & ~got[i];

		if (more && !extra)
			first_extra = i * BITS_PER_BYTE + __ffs(more);
		if (less && !missing)
			first_missing = i * BITS_PER_BYTE + __ffs(less);
		extra += hweight8(more);
		missing += hweight8(less);
	}
	KUNIT_EXPECT_EQ_MSG(test, canary, 0,
			    "%s: %lu canary bytes changed, the first at %ld from the bitmap",
			    when, canary, first_canary);
	bit = first_extra;
	KUNIT_EXPECT_EQ_MSG(test, extra, 0,
			    "%s: %lu bits set that should be clear, the first bit %lu (IOVA %#lx)%s",
			    when, extra, bit, c->iova + bit * c->page_size,
			    bit >= env->nbits ? ", past the last bit" : "");
	bit = first_missing;
	KUNIT_EXPECT_EQ_MSG(test, missing, 0,
			    "%s: %lu dirty bits missing, the first bit %lu (IOVA %#lx)",
			    when, missing, bit, c->iova + bit * c->page_size);
}

static void setup_case(struct kunit *test, struct dirty_env *env,
		       const struct dirty_case *c)
{
	const struct dirty_spec *d;
	unsigned long k;

	init_user(test, env, c);
	init_table(test, env);
	map_all(env);
	/* New writable IOPTEs start out dirty; start from a clean table. */
	clean_all(env);
	for (d = c->dirty; d < c->dirty + MAX_SPECS && d->count; d++)
		for (k = 0; k < d->count; k++)
			mark_dirty(env, d->iova + k * d->stride, d->len);
}

static void io_pgtable_arm_dirty_test(struct kunit *test)
{
	const struct dirty_case *c = test->param_value;
	struct dirty_env env = {};
	bool no_clear = c->flags & IOMMU_DIRTY_NO_CLEAR;

	setup_case(test, &env, c);

	read_dirty(&env, c->flags);
	expect_marked(&env);
	check_image(&env, no_clear ? "NO_CLEAR read" : "first read");
	check_leaves(&env, !no_clear, no_clear ? "after NO_CLEAR read" : "after first read");

	if (no_clear) {
		read_dirty(&env, 0);
		check_image(&env, "clearing read after NO_CLEAR");
		check_leaves(&env, true, "after clearing read");
	}

	/* Everything in range was cleared: nothing left to report. */
	read_dirty(&env, 0);
	memcpy(env.want, env.init, env.map_len);
	check_image(&env, "read after clearing");
	check_leaves(&env, true, "after the last read");
}

#define M(i, s, n)	{ .iova = (i), .pgsize = (s), .pgcount = (n) }
#define D(i, l)		{ .iova = (i), .len = (l), .count = 1 }
#define DN(i, l, s, n)	{ .iova = (i), .len = (l), .stride = (s), .count = (n) }

#define MB(n)		((n) * (unsigned long)SZ_1M)
#define GB(n)		((n) * (unsigned long)SZ_1G)

static const struct dirty_case dirty_cases[] = {
	/*
	 * Four 2M blocks at [2M, 10M); the query starts inside the first (at
	 * half of it), ends inside the last (at half of it, or at a quarter
	 * when it starts inside too), or both.  Dirty blocks outside the query
	 * must keep their state; a 12K tail leaves the last bitmap byte ragged.
	 */
	{
		.name = "straddle_start_2M",
		.map = { M(MB(2), SZ_2M, 4) },
		.dirty = { D(MB(2), SZ_2M), D(MB(6), SZ_2M), D(MB(8), SZ_2M) },
		.iova = MB(3), .length = MB(5),
		.page_size = SZ_4K, .uoff = 0x3,
	},
	{
		.name = "straddle_end_2M",
		.map = { M(MB(2), SZ_2M, 4) },
		.dirty = { D(MB(2), SZ_2M), D(MB(6), SZ_2M), D(MB(8), SZ_2M) },
		.iova = MB(4), .length = MB(5) + SZ_8K + SZ_4K,
		.page_size = SZ_4K, .uoff = 0xff1,
	},
	{
		.name = "straddle_both_2M",
		.map = { M(MB(2), SZ_2M, 4) },
		.dirty = { D(MB(2), SZ_2M), D(MB(8), SZ_2M) },
		.iova = MB(3), .length = MB(5) + MB(1) / 2 + SZ_8K + SZ_4K,
		.page_size = SZ_4K, .uoff = 0x40,
	},
	{
		/* A query of two bits inside one dirty block. */
		.name = "query_inside_dirty_2M",
		.map = { M(MB(2), SZ_2M, 1) },
		.dirty = { D(MB(2), SZ_2M) },
		.iova = MB(2) + SZ_64K, .length = SZ_8K,
		.page_size = SZ_4K, .uoff = 0x40,
	},
	/*
	 * The same with four 1G blocks at [1G, 5G), but straddle_end_1G ends
	 * on a byte boundary of the bitmap.
	 */
	{
		.name = "straddle_start_1G",
		.map = { M(GB(1), SZ_1G, 4) },
		.dirty = { D(GB(1), SZ_1G), D(GB(3), SZ_1G), D(GB(4), SZ_1G) },
		.iova = GB(1) + MB(512), .length = GB(2) + MB(512),
		.page_size = SZ_4K, .uoff = 0x3,
	},
	{
		.name = "straddle_end_1G",
		.map = { M(GB(1), SZ_1G, 4) },
		.dirty = { D(GB(1), SZ_1G), D(GB(3), SZ_1G), D(GB(4), SZ_1G) },
		/* Whole bytes: an overshoot would land in the canary after. */
		.iova = GB(2), .length = GB(2) + MB(512) + SZ_32K,
		.page_size = SZ_4K, .uoff = 0xff1,
	},
	{
		.name = "straddle_both_1G",
		.map = { M(GB(1), SZ_1G, 4) },
		.dirty = { D(GB(1), SZ_1G), D(GB(4), SZ_1G) },
		.iova = GB(1) + MB(512), .length = GB(2) + MB(768) + SZ_8K + SZ_4K,
		.page_size = SZ_4K, .uoff = 0x40,
	},
	{
		/* A query of two bits inside one dirty block. */
		.name = "query_inside_dirty_1G",
		.map = { M(GB(1), SZ_1G, 1) },
		.dirty = { D(GB(1), SZ_1G) },
		.iova = GB(1) + SZ_64K, .length = SZ_8K,
		.page_size = SZ_4K, .uoff = 0x40,
	},
	{
		/* 2M bits over 4K pages: one dirty page sets a whole bit. */
		.name = "bits_2M_over_4K_pages",
		.map = { M(SZ_2M, SZ_4K, 2048) },
		.dirty = { D(SZ_2M, SZ_4K), D(SZ_8M - SZ_4K, SZ_4K),
			   D(SZ_8M + SZ_1M, SZ_64K) },
		.iova = SZ_2M, .length = SZ_8M, .page_size = SZ_2M, .uoff = 0x3,
	},
	{
		/* 1G bits over 4K pages, 2M blocks and 1G blocks. */
		.name = "bits_1G_over_mixed",
		.map = { M(0, SZ_1G, 1), M(SZ_1G, SZ_4K, 512),
			 M(SZ_1G + SZ_2M, SZ_2M, 511), M(SZ_2G, SZ_1G, 2) },
		.dirty = { D(SZ_1G + SZ_8K, SZ_4K), D(3UL * SZ_1G, SZ_1G) },
		.iova = 0, .length = 4UL * SZ_1G, .page_size = SZ_1G, .uoff = 0x40,
	},
	{
		/* Every other 2M block of 1G: 32K of bitmap over 8 user pages. */
		.name = "many_pages_alternate_2M",
		.map = { M(0, SZ_2M, 512) },
		.dirty = { DN(0, SZ_2M, SZ_4M, 256) },
		.iova = 0, .length = SZ_1G, .page_size = SZ_4K, .uoff = 0xff1,
	},
	{
		/* 512K of bitmap, 129 user pages, more than the pin cache holds. */
		.name = "many_pages_sparse_1G",
		.map = { M(0, SZ_1G, 16) },
		.dirty = { D(SZ_1G, SZ_1G), D(7UL * SZ_1G, SZ_1G),
			   D(15UL * SZ_1G, SZ_1G) },
		.iova = 0, .length = 16UL * SZ_1G, .page_size = SZ_4K, .uoff = 0xff1,
	},
	{
		/* Pages, a run of pages and a block, read without clearing. */
		.name = "no_clear",
		.map = { M(SZ_2M, SZ_4K, 1024), M(SZ_2M * 3, SZ_2M, 2) },
		.dirty = { D(SZ_2M, SZ_4K), D(SZ_4M - SZ_64K, SZ_128K),
			   D(SZ_8M, SZ_2M) },
		.iova = SZ_2M + SZ_4K, .length = SZ_8M - SZ_8K, .page_size = SZ_4K,
		.uoff = 0x3, .flags = IOMMU_DIRTY_NO_CLEAR,
	},
	/*
	 * No case reads an unmapped range: the walker WARNs and fails with
	 * -EINVAL on an empty entry, and iommufd never asks it to (it refuses
	 * a range with a hole before walking).
	 */
	{
		.name = "clean_table",
		.map = { M(0, SZ_4K, 512), M(SZ_2M, SZ_2M, 511), M(SZ_1G, SZ_1G, 1) },
		.iova = 0, .length = SZ_2G, .page_size = SZ_4K, .uoff = 0x40,
	},
};

static void dirty_case_desc(const struct dirty_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dirty, dirty_cases, dirty_case_desc);

/*
 * Every one of the 262144 4K IOPTEs of 1G dirty, read at a 2M and then a
 * 4K bitmap granule: the walker makes one record per IOPTE.
 */
static void io_pgtable_arm_dirty_all_4k(struct kunit *test)
{
	static const struct dirty_case c2m = {
		.name = "all_dirty_4K_pages",
		.map = { M(0, SZ_4K, SZ_1G / SZ_4K) },
		.dirty = { D(0, SZ_1G) },
		.iova = 0, .length = SZ_1G, .page_size = SZ_2M, .uoff = 0x3,
		.flags = IOMMU_DIRTY_NO_CLEAR,
	};
	struct dirty_case c4k = c2m;
	struct dirty_env env2m = {}, env4k = {};
	ktime_t t0;
	s64 us;

	setup_case(test, &env2m, &c2m);
	t0 = ktime_get();
	read_dirty(&env2m, IOMMU_DIRTY_NO_CLEAR);
	us = ktime_us_delta(ktime_get(), t0);
	expect_marked(&env2m);
	check_image(&env2m, "2M bits, NO_CLEAR");
	kunit_info(test, "262144 dirty 4K IOPTEs into 512 2M bits: %lld us\n", us);

	/* Same table, a 4K-bit bitmap: 32K of ones. */
	c4k.page_size = SZ_4K;
	c4k.uoff = 0xff1;
	c4k.flags = 0;
	init_user(test, &env4k, &c4k);
	env4k.ops = env2m.ops;
	env4k.cfg = env2m.cfg;
	check_leaves(&env4k, false, "after NO_CLEAR read");
	t0 = ktime_get();
	read_dirty(&env4k, 0);
	us = ktime_us_delta(ktime_get(), t0);
	expect_marked(&env4k);
	check_image(&env4k, "4K bits, clearing");
	check_leaves(&env4k, true, "after clearing read");
	kunit_info(test, "262144 dirty 4K IOPTEs into 262144 4K bits: %lld us\n", us);

	read_dirty(&env4k, 0);
	memcpy(env4k.want, env4k.init, env4k.map_len);
	check_image(&env4k, "read after clearing");
}

static struct kunit_case io_pgtable_arm_dirty_cases[] = {
	KUNIT_CASE_PARAM(io_pgtable_arm_dirty_test, dirty_gen_params),
	KUNIT_CASE_SLOW(io_pgtable_arm_dirty_all_4k),
	{}
};

static struct kunit_suite io_pgtable_arm_dirty_suite = {
	.name = "io_pgtable_arm_dirty",
	.test_cases = io_pgtable_arm_dirty_cases,
};

kunit_test_suite(io_pgtable_arm_dirty_suite);

MODULE_DESCRIPTION("KUnit test of io-pgtable-arm dirty tracking into iova_bitmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOMMUFD);
