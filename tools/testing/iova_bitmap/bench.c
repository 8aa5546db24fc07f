// SPDX-License-Identifier: GPL-2.0
/*
 * iova_bitmap_bench: time one record pattern through the library linked in.
 *
 *   iova_bitmap_bench PATTERN [--reps N | --once]
 *
 * Prints "PATTERN records ns_per_record total_ns" for the fastest of N runs
 * (alloc + for_each + free).  bench.sh runs this binary for our library and
 * for 6.12's, interleaved, and prints the ratios.  Patterns track at 4 KiB
 * like QEMU:
 *   S1  256 GiB, one 4K record per page, ascending
 *   S2  1 TiB in 2M records
 *   S3  1 TiB in one record          (memset: the same bitmap bytes)
 *   S4  one 4K record in 1 TiB
 *   S5  1M random 4K records over 256 GiB
 *   S6  every other 4K page over 256 GiB
 *   S7  S5's pages in ascending order, as a page-table walker finds them
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "include/shim.h"
#include <linux/iova_bitmap.h>
#include "fakemem.h"

#define SZ_4K	(1UL << 12)
#define SZ_2M	(1UL << 21)
#define SZ_256G	(1UL << 38)
#define SZ_1T	(1UL << 40)
#define IOVA0	(1UL << 40)	/* any base; aligned like a real guest's */

struct pattern {
	const char *name;
	unsigned long length;
	unsigned long nrec;
	void (*walk)(struct iova_bitmap *bitmap, const struct pattern *p);
};

static unsigned long *random_pages, *sorted_pages;

static void walk_every(struct iova_bitmap *b, const struct pattern *p,
		       unsigned long step, unsigned long len)
{
	/* In a local, as a page-table walker keeps it. */
	unsigned long iova, end = IOVA0 + p->length;

	for (iova = IOVA0; iova < end; iova += step)
		iova_bitmap_set(b, iova, len);
}

static void s1(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, SZ_4K, SZ_4K); }
static void s2(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, SZ_2M, SZ_2M); }
static void s3(struct iova_bitmap *b, const struct pattern *p) { iova_bitmap_set(b, IOVA0, p->length); }
static void s4(struct iova_bitmap *b, const struct pattern *p) { iova_bitmap_set(b, IOVA0 + p->length / 3 * 2, SZ_4K); }
static void s6(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, 2 * SZ_4K, SZ_4K); }

/* What a page-table walker reports for sparse dirt: random, but in order. */
static void s7(struct iova_bitmap *b, const struct pattern *p)
{
	unsigned long i;

	for (i = 0; i < p->nrec; i++)
		iova_bitmap_set(b, IOVA0 + sorted_pages[i] * SZ_4K, SZ_4K);
}

static void s5(struct iova_bitmap *b, const struct pattern *p)
{
	unsigned long i;

	for (i = 0; i < p->nrec; i++)
		iova_bitmap_set(b, IOVA0 + random_pages[i] * SZ_4K, SZ_4K);
}

static const struct pattern patterns[] = {
	{ "S1", SZ_256G, SZ_256G / SZ_4K, s1 },
	{ "S2", SZ_1T, SZ_1T / SZ_2M, s2 },
	{ "S3", SZ_1T, 1, s3 },
	{ "S4", SZ_1T, 1, s4 },
	{ "S5", SZ_256G, 1UL << 20, s5 },
	{ "S6", SZ_256G, SZ_256G / SZ_4K / 2, s6 },
	{ "S7", SZ_256G, 1UL << 20, s7 },
};

static int walker(struct iova_bitmap *bitmap, unsigned long iova,
		  size_t length, void *opaque)
{
	const struct pattern *p = opaque;

	p->walk(bitmap, p);
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run_memset(unsigned long bytes)
{
	static u8 *buf;
	double t;

	if (!buf) {
		buf = malloc(bytes);
		memset(buf, 0, bytes);	/* fault it in outside the timing */
	}
	t = now_ns();
	memset(buf, 0xff, bytes);
	__asm__ volatile("" : : "r"(buf) : "memory");
	return now_ns() - t;
}

/* Not inlined: bench.sh --icount counts instructions inside it only. */
static noinline double run_pattern(const struct pattern *p, unsigned long uaddr)
{
	struct iova_bitmap *b;
	double t;
	int ret;

	t = now_ns();
	b = iova_bitmap_alloc(IOVA0, p->length, SZ_4K, (u64 __user *)uaddr);
	if (IS_ERR_OR_NULL(b)) {
		fprintf(stderr, "alloc failed: %ld\n", PTR_ERR(b));
		exit(1);
	}
	ret = iova_bitmap_for_each(b, (void *)p, walker);
	iova_bitmap_free(b);
	t = now_ns() - t;
	if (ret) {
		fprintf(stderr, "for_each failed: %d\n", ret);
		exit(1);
	}
	return t;
}

int main(int argc, char **argv)
{
	const struct pattern *p = NULL;
	unsigned long uaddr, nbytes, i, s = 12345;
	int reps = 5, r;
	double best = 1e30;
	bool do_memset, once;

	if (argc < 2) {
		fprintf(stderr, "usage: %s S1..S7|memset [--reps N|--once]\n",
			argv[0]);
		return 2;
	}
	if (argc >= 4 && !strcmp(argv[2], "--reps"))
		reps = atoi(argv[3]);
	/* --once: a single run, no warm-up (for instruction counting) */
	once = argc >= 3 && !strcmp(argv[2], "--once");
	do_memset = !strcmp(argv[1], "memset");
	for (i = 0; i < ARRAY_SIZE(patterns); i++)
		if (!strcmp(argv[1], patterns[i].name))
			p = &patterns[i];
	if (!p && !do_memset) {
		fprintf(stderr, "unknown pattern %s\n", argv[1]);
		return 2;
	}
	if (do_memset) {
		nbytes = SZ_1T / SZ_4K / 8;
		for (r = 0; r < reps; r++) {
			double t = run_memset(nbytes);

			best = t < best ? t : best;
		}
		printf("memset %lu %.3f %.0f\n", 1UL, best, best);
		return 0;
	}

	random_pages = malloc((1UL << 20) * sizeof(*random_pages));
	for (i = 0; i < (1UL << 20); i++) {
		s = s * 6364136223846793005UL + 1442695040888963407UL;
		random_pages[i] = (s >> 20) % (SZ_256G / SZ_4K);
	}
	sorted_pages = malloc((1UL << 20) * sizeof(*sorted_pages));
	memcpy(sorted_pages, random_pages, (1UL << 20) * sizeof(*sorted_pages));
	qsort(sorted_pages, 1UL << 20, sizeof(*sorted_pages), cmp_ulong);
	nbytes = p->length / SZ_4K / 8;
	uaddr = fakemem_map(nbytes / PAGE_SIZE + 1);
	if (once)
		reps = 1;
	else
		run_pattern(p, uaddr);	/* warm the allocator and the caches */
	if (p->nrec == 1 && !once)
		reps *= 50;		/* one-record patterns take microseconds */
	for (r = 0; r < reps; r++) {
		double t = run_pattern(p, uaddr);

		best = t < best ? t : best;
	}
	/* A library that records nothing would be fast: count what it set. */
	{
		u8 *buf = malloc(nbytes);
		unsigned long set = 0;

		fakemem_read(uaddr, buf, nbytes);
		for (i = 0; i < nbytes; i++)
			set += __builtin_popcount(buf[i]);
		free(buf);
		printf("%s %lu %.3f %.0f %lu\n", p->name, p->nrec, best / p->nrec,
		       best, set);
	}
	fakemem_unmap();
	return 0;
}
