// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit benchmark for lib/iova_bitmap.c: what the check of the user's
 * buffer before a walk costs, against the mm helper that could replace
 * it.  It prints timings and asserts only what the check must not do
 * (populate the buffer); it is not a test of speed and not part of
 * IOVA_BITMAP_KUNIT_TEST.
 */
#include <kunit/test.h>
#include <linux/iova_bitmap.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/timekeeping.h>

static int walk_nothing(struct iova_bitmap *bitmap, unsigned long iova,
			size_t length, void *opaque)
{
	return 0;
}

/*
 * Mean time of one of @n runs of iova_bitmap_for_each() with a walker that
 * finds nothing: many runs, as the guest's clock may tick in milliseconds.
 */
static u64 time_buffer_check(struct kunit *test, struct iova_bitmap *bitmap,
			     unsigned int n)
{
	unsigned int i, failed = 0;
	u64 t = ktime_get_ns();

	for (i = 0; i < n; i++)
		failed += iova_bitmap_for_each(bitmap, NULL, walk_nothing) != 0;
	t = ktime_get_ns() - t;
	KUNIT_EXPECT_EQ(test, failed, 0);
	return div_u64(t, n);
}

/*
 * Benchmark, not a test of speed: what checking a 32 MiB bitmap (1 TiB at
 * 4 KiB; on 32-bit, 128 KiB for the whole 4 GiB) costs before the walk,
 * the way the library does it (a VMA walk) against the alternative,
 * fault_in_safe_writeable(), on fresh and on present pages.  Asserts only
 * that the check populates nothing.
 */
static void iova_bitmap_bench_buffer_check(struct kunit *test)
{
	const size_t len = BITS_PER_LONG == 64 ? SZ_32M : SZ_128K;
	u64 vma_ns, cold_ns, warm_ns, t;
	struct iova_bitmap *bitmap;
	unsigned long map, addr;
	struct page *page;
	int i;

	map = kunit_vm_mmap(test, NULL, 0, len, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, map, 0);
	/* The last bit's page ends at ULONG_MAX on 32-bit: no overflow. */
	bitmap = iova_bitmap_alloc(0, (len * BITS_PER_BYTE - 1) * SZ_4K + 1, SZ_4K,
				   (u64 __user *)map);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bitmap));
	vma_ns = time_buffer_check(test, bitmap, 20000);
	iova_bitmap_free(bitmap);
	for (addr = map; addr < map + len; addr += SZ_1M) {
		KUNIT_EXPECT_EQ_MSG(test, get_user_pages_fast_only(addr, 1, 0, &page), 0,
				    "the check populated +%#lx", addr - map);
	}

	t = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, fault_in_safe_writeable((char __user *)map, len), 0);
	cold_ns = ktime_get_ns() - t;
	t = ktime_get_ns();
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, fault_in_safe_writeable((char __user *)map, len), 0);
	warm_ns = div_u64(ktime_get_ns() - t, 4);

	kunit_info(test,
		   "BENCH buffer_check 32MiB: vma_walk %llu ns, fault_in fresh %llu ns (%llux), fault_in present %llu ns (%llux)\n",
		   vma_ns, cold_ns, div64_u64(cold_ns, max(vma_ns, 1ULL)),
		   warm_ns, div64_u64(warm_ns, max(vma_ns, 1ULL)));
}

static struct kunit_case iova_bitmap_bench_cases[] = {
	KUNIT_CASE(iova_bitmap_bench_buffer_check),
	{}
};

static struct kunit_suite iova_bitmap_bench_suite = {
	.name = "iova_bitmap_bench",
	.test_cases = iova_bitmap_bench_cases,
};

kunit_test_suites(&iova_bitmap_bench_suite);

MODULE_DESCRIPTION("KUnit benchmark for iova_bitmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("IOMMUFD");
