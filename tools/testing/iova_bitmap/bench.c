// SPDX-License-Identifier: GPL-2.0
/*
 * iova_bitmap_bench: time one record pattern through the library linked in.
 *
 *   iova_bitmap_bench PATTERN [--reps N | --once] [--floor]
 *
 * Prints "PATTERN records ns_per_record total_ns bits_set" for the fastest
 * of N runs (alloc + for_each + free).  With --floor, the same stores done
 * by a bare loop into an already-mapped plain buffer, the cost no library
 * can beat: one OR per one-bit record, 64 bytes of plain stores per 2M
 * record (S2), and page-sized memsets for S3, because the kernel maps one
 * user page at a time.  The libraries and the floors are built with
 * KERNEL_MEMSET (see include/shim.h): memset() is the kernel's rep stosb.  bench.sh runs this binary for our library, for 7.3's and for the
 * floor, interleaved, and prints the ratios.  Patterns track at 4 KiB like
 * QEMU:
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
	unsigned long rec_len;
	void (*walk)(struct iova_bitmap *bitmap, const struct pattern *p);
	void (*floor)(u8 *buf, const struct pattern *p);
};

static unsigned long *random_pages, *sorted_pages;

/*
 * Walkers hold the IOPTE or log entry size in a variable, not a constant
 * (mlx5's tracked page size, an io-pgtable level's block size): the
 * record length comes from the pattern, so the compiler cannot fold it.
 */
static void walk_every(struct iova_bitmap *b, const struct pattern *p,
		       unsigned long step)
{
	/* In locals, as a page-table walker keeps them. */
	unsigned long iova, end = IOVA0 + p->length, len = p->rec_len;

	for (iova = IOVA0; iova < end; iova += step)
		iova_bitmap_set(b, iova, len);
}

static void s1(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, SZ_4K); }
static void s2(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, SZ_2M); }
static void s3(struct iova_bitmap *b, const struct pattern *p) { iova_bitmap_set(b, IOVA0, p->rec_len); }
static void s4(struct iova_bitmap *b, const struct pattern *p) { iova_bitmap_set(b, IOVA0 + p->length / 3 * 2, p->rec_len); }
static void s6(struct iova_bitmap *b, const struct pattern *p) { walk_every(b, p, 2 * SZ_4K); }

static void walk_pages(struct iova_bitmap *b, const struct pattern *p,
		       const unsigned long *pages)
{
	unsigned long i, len = p->rec_len;

	for (i = 0; i < p->nrec; i++)
		iova_bitmap_set(b, IOVA0 + pages[i] * SZ_4K, len);
}

/* What a page-table walker reports for sparse dirt: random, but in order. */
static void s7(struct iova_bitmap *b, const struct pattern *p) { walk_pages(b, p, sorted_pages); }
static void s5(struct iova_bitmap *b, const struct pattern *p) { walk_pages(b, p, random_pages); }

/*
 * The floors: what each pattern stores, done by bare loops.  Records are
 * made as the walkers above make them, so only the library is missing.
 */
static inline void floor_bit(u8 *buf, unsigned long iova)
{
	unsigned long bit = (iova - IOVA0) / SZ_4K;

	buf[bit / 8] |= 1 << (bit % 8);
}

static void floor_every(u8 *buf, const struct pattern *p, unsigned long step)
{
	unsigned long iova, end = IOVA0 + p->length;

	for (iova = IOVA0; iova < end; iova += step)
		floor_bit(buf, iova);
}

static void floor_s1(u8 *buf, const struct pattern *p) { floor_every(buf, p, SZ_4K); }
static void floor_s6(u8 *buf, const struct pattern *p) { floor_every(buf, p, 2 * SZ_4K); }
static void floor_s4(u8 *buf, const struct pattern *p) { floor_bit(buf, IOVA0 + p->length / 3 * 2); }

static void floor_s2(u8 *buf, const struct pattern *p)
{
	unsigned long iova, end = IOVA0 + p->length;

	/* 64 bytes of a known size: plain stores, the cheapest way. */
	for (iova = IOVA0; iova < end; iova += SZ_2M)
		__builtin_memset(buf + (iova - IOVA0) / SZ_4K / 8, 0xff,
				 SZ_2M / SZ_4K / 8);
}

static void floor_s3(u8 *buf, const struct pattern *p)
{
	unsigned long off, nbytes = p->length / SZ_4K / 8;

	/* The kernel's memset (rep stosb) on each page, as a library must. */
	for (off = 0; off < nbytes; off += PAGE_SIZE)
		memset(buf + off, 0xff, PAGE_SIZE);
}

static void floor_pages(u8 *buf, const struct pattern *p,
			const unsigned long *pages)
{
	unsigned long i;

	for (i = 0; i < p->nrec; i++)
		floor_bit(buf, IOVA0 + pages[i] * SZ_4K);
}

static void floor_s5(u8 *buf, const struct pattern *p) { floor_pages(buf, p, random_pages); }
static void floor_s7(u8 *buf, const struct pattern *p) { floor_pages(buf, p, sorted_pages); }

static const struct pattern patterns[] = {
	{ "S1", SZ_256G, SZ_256G / SZ_4K, SZ_4K, s1, floor_s1 },
	{ "S2", SZ_1T, SZ_1T / SZ_2M, SZ_2M, s2, floor_s2 },
	{ "S3", SZ_1T, 1, SZ_1T, s3, floor_s3 },
	{ "S4", SZ_1T, 1, SZ_4K, s4, floor_s4 },
	{ "S5", SZ_256G, 1UL << 20, SZ_4K, s5, floor_s5 },
	{ "S6", SZ_256G, SZ_256G / SZ_4K / 2, SZ_4K, s6, floor_s6 },
	{ "S7", SZ_256G, 1UL << 20, SZ_4K, s7, floor_s7 },
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

/* Not inlined, like run_pattern(): the same call structure around the loop. */
static noinline double run_floor(const struct pattern *p, u8 *buf)
{
	double t;

	t = now_ns();
	p->floor(buf, p);
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
	int reps = 5, r, a;
	double best = 1e30;
	bool once = false, do_floor = false;
	u8 *floor_buf = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: %s S1..S7 [--reps N|--once] [--floor]\n",
			argv[0]);
		return 2;
	}
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--reps") && a + 1 < argc)
			reps = atoi(argv[++a]);
		/* --once: a single run, no warm-up (for instruction counting) */
		else if (!strcmp(argv[a], "--once"))
			once = true;
		else if (!strcmp(argv[a], "--floor"))
			do_floor = true;
	}
	for (i = 0; i < ARRAY_SIZE(patterns); i++)
		if (!strcmp(argv[1], patterns[i].name))
			p = &patterns[i];
	if (!p) {
		fprintf(stderr, "unknown pattern %s\n", argv[1]);
		return 2;
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
	if (do_floor) {
		/* A plain buffer, page-aligned and faulted in outside the timing. */
		floor_buf = aligned_alloc(PAGE_SIZE, nbytes);
		memset(floor_buf, 0, nbytes);
		uaddr = 0;
	} else {
		/* Laid out like the floor's buffer: one block. */
		uaddr = fakemem_map_pages(nbytes / PAGE_SIZE + 1, true);
	}
	if (once)
		reps = 1;
	else if (do_floor)
		run_floor(p, floor_buf);
	else
		run_pattern(p, uaddr);	/* warm the allocator and the caches */
	if (p->nrec == 1 && !once)
		reps *= 50;		/* one-record patterns take microseconds */
	for (r = 0; r < reps; r++) {
		double t = do_floor ? run_floor(p, floor_buf) : run_pattern(p, uaddr);

		best = t < best ? t : best;
	}
	/* A library that records nothing would be fast: count what it set. */
	{
		u8 *buf = malloc(nbytes);
		unsigned long set = 0;

		if (do_floor)
			memcpy(buf, floor_buf, nbytes);
		else
			fakemem_read(uaddr, buf, nbytes);
		for (i = 0; i < nbytes; i++)
			set += __builtin_popcount(buf[i]);
		free(buf);
		printf("%s %lu %.3f %.0f %lu\n", p->name, p->nrec, best / p->nrec,
		       best, set);
	}
	if (!do_floor)
		fakemem_unmap();
	free(floor_buf);
	return 0;
}
