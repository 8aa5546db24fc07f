// SPDX-License-Identifier: GPL-2.0
/*
 * bench_pt: generic_pt's amdv1 read_and_clear_dirty() walking a table it
 * built, with no bitmap, into 7.3's iova_bitmap and into ours.
 *
 *   bench_pt [--rounds N] [--gib G] [--cpu C] [--only NAME] [--strict-ours]
 *
 * Tables are made by the real pt_iommu_amdv1_init() and map_range() over
 * G GiB (64) of IOVA at 1 TiB, mapped with 4K IOPTEs and, separately, 2M
 * IOPTEs.  Before each timed read the dirty bit (D, bit 6 of an AMD v1
 * PTE, as the IOMMU sets it) of every leaf PTE is rewritten to the
 * pattern's and the user bitmap zeroed; after it, every bit of the bitmap
 * is compared with the pattern's image and every PTE checked clean.  None
 * of that is timed.  The ways, interleaved round by round in an order
 * shuffled each round, the fastest of N rounds kept:
 *
 *   walk   the walker with a NULL iova_bitmap (the real code's "gather
 *          only"), then the IOTLB flush: no library at all.  Measured in
 *          both builds; the floor is the faster of the two.
 *   7.3    what iommufd does: alloc, for_each -> read_and_clear_dirty,
 *          flush, free, with 7.3.4's drivers/iommu/iommufd/iova_bitmap.c
 *   ours   the same with lib/iova_bitmap.c and our inline iova_bitmap_set()
 *   floor  the same with no library: floor/'s iova_bitmap_set() makes only
 *          the stores (one OR per one-page record, memset() for longer
 *          ones) into a plain buffer already mapped; what recording costs
 *          at least, on top of the walk
 *   memset the bitmap's bytes written once by memset() into that plain
 *          buffer, no walk: a bound under any recorder's stores
 *
 * overhead = (time with bitmap - walk) / walk; the "own" columns divide
 * by the walk of the library's own build instead, so that the walker's
 * code layout is the same on both sides.  The bitmap tracks 4 KiB pages,
 * as QEMU's.  --strict-ours exits 1 if our library or the floor
 * misses or adds a bit (7.3's known misses are reported, not fatal).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/generic_pt/iommu.h>
#include <linux/iommu.h>
#include <linux/sizes.h>

#include "../fakemem.h"
#include "pt_bench.h"

#define IOVA0		SZ_1T	/* the table spans [IOVA0, IOVA0 + len) */
#define AMDV1_PTE_D	BIT_ULL(6)
#define BITMAP_PGSIZE	SZ_4K

/* An AMD v1 entry: present, next level (bits 11:9), address (51:12). */
#define AMDV1_PR	BIT_ULL(0)
#define AMDV1_NL(e)	(((e) >> 9) & 7)
#define AMDV1_ADDR(e)	((e) & GENMASK_ULL(51, 12))

struct bench_table {
	union {
		struct iommu_domain domain;
		struct pt_iommu_amdv1 amdv1;
	};
	spinlock_t top_lock;
	unsigned long leaf_size;
	unsigned long npte;		/* leaf PTEs over the mapped range */
	u64 **leaf_tables;		/* in IOVA order, 512 PTEs each */
	unsigned long nleaf_tables;
};

static unsigned long iotlb_syncs;

static noinline void bench_iotlb_sync(struct iommu_domain *domain,
				      struct iommu_iotlb_gather *gather)
{
	iotlb_syncs++;
}

static const struct iommu_domain_ops domain_ops = {
	.iotlb_sync = bench_iotlb_sync,
};

static void bench_change_top(struct pt_iommu *iommu, phys_addr_t top,
			     unsigned int level)
{
}

static spinlock_t *bench_get_top_lock(struct pt_iommu *iommu)
{
	return &container_of(iommu, struct bench_table, amdv1.iommu)->top_lock;
}

static const struct pt_iommu_driver_ops driver_ops = {
	.change_top = bench_change_top,
	.get_top_lock = bench_get_top_lock,
};

static void die(const char *what, long err)
{
	fprintf(stderr, "bench_pt: %s: %ld\n", what, err);
	exit(2);
}

/*
 * Collect the tables of @want_level, left to right, by decoding entries
 * (not with the walker under test).  Only the benchmark's mapping is in
 * the table, so their order is IOVA order.
 */
static void collect(struct bench_table *t, u64 *table, unsigned int level,
		    unsigned int want_level)
{
	unsigned int i;

	if (level == want_level) {
		t->leaf_tables[t->nleaf_tables++] = table;
		return;
	}
	for (i = 0; i < 512; i++) {
		u64 e = table[i];

		if (!(e & AMDV1_PR))
			continue;
		if (AMDV1_NL(e) == 0 || AMDV1_NL(e) == 7)
			die("unexpected leaf above the leaf level", level);
		collect(t, (u64 *)(uintptr_t)AMDV1_ADDR(e), level - 1, want_level);
	}
}

static void table_build(struct bench_table *t, const struct pt_bench_variant *v,
			unsigned long len, unsigned long leaf_size)
{
	struct pt_iommu_amdv1_cfg cfg = {
		/* As the AMD driver asks for a v1 table (amd/iommu.c). */
		.common.features = BIT(PT_FEAT_DYNAMIC_TOP) |
				   BIT(PT_FEAT_AMDV1_ENCRYPT_TABLES) |
				   BIT(PT_FEAT_AMDV1_FORCE_COHERENCE) |
				   BIT(PT_FEAT_FLUSH_RANGE),
		.common.hw_max_vasz_lg2 = 48,
		.common.hw_max_oasz_lg2 = 52,
		.starting_level = 2,
	};
	uintptr_t top;
	size_t mapped = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	spin_lock_init(&t->top_lock);
	t->amdv1.iommu.driver_ops = &driver_ops;
	ret = v->init(&t->amdv1, &cfg, GFP_KERNEL);
	if (ret)
		die("pt_iommu_amdv1_init", ret);
	t->domain.ops = &domain_ops;
	/* Only this IOPTE size: map_range() then uses it throughout. */
	t->domain.pgsize_bitmap = leaf_size;
	ret = t->amdv1.iommu.ops->map_range(&t->amdv1.iommu, IOVA0, IOVA0, len,
					    IOMMU_READ | IOMMU_WRITE,
					    GFP_KERNEL, &mapped);
	if (ret || mapped != len)
		die("map_range", ret ? ret : (long)mapped);
	t->leaf_size = leaf_size;
	t->npte = len / leaf_size;
	t->leaf_tables = calloc(t->npte / 512 + 1, sizeof(*t->leaf_tables));
	top = READ_ONCE(t->amdv1.amdpt.common.top_of_table);
	collect(t, (u64 *)(top & ~(uintptr_t)7), top & 7,
		leaf_size == SZ_4K ? 0 : 1);
	if (t->nleaf_tables * 512 != t->npte)
		die("leaf tables found", t->nleaf_tables);
}

static inline u64 *pte(struct bench_table *t, unsigned long j)
{
	return &t->leaf_tables[j / 512][j % 512];
}

enum dirt { ALL, EVERY_OTHER, ONE_PERCENT };

struct pattern {
	const char *name;
	const char *what;
	struct bench_table *table;
	enum dirt dirt;
	unsigned long query_skip;	/* query starts this far into the table */
	/* filled in at start-up */
	unsigned long qiova, qlen, nbits, nbytes, ndirty;
	u8 *image;			/* the bitmap the read must produce */
};

static bool is_dirty(enum dirt d, unsigned long j)
{
	u64 h;

	switch (d) {
	case ALL:
		return true;
	case EVERY_OTHER:
		return !(j & 1);
	case ONE_PERCENT:
		/* A fixed hash of the index: the same PTEs every round. */
		h = (j + 1) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 32;
		return h % 100 == 0;
	}
	return false;
}

/* Give every leaf PTE the pattern's dirty bit, as the IOMMU would. */
static void redirty(const struct pattern *p)
{
	struct bench_table *t = p->table;
	unsigned long j;

	for (j = 0; j < t->npte; j++) {
		u64 *e = pte(t, j);

		*e = (*e & ~AMDV1_PTE_D) | (is_dirty(p->dirt, j) ? AMDV1_PTE_D : 0);
	}
}

static unsigned long count_dirty(struct bench_table *t)
{
	unsigned long j, n = 0;

	for (j = 0; j < t->npte; j++)
		n += !!(*pte(t, j) & AMDV1_PTE_D);
	return n;
}

/*
 * Our walker (patches/0006) keeps a dirty IOPTE the query covers only in
 * part dirty for the read that covers the rest; the queries here start
 * inside the first IOPTE at most.  7.3's clears it.
 */
static unsigned long left_dirty(const struct pattern *p,
				const struct pt_bench_variant *v)
{
	if (v != &pt_variant_ours || !(p->query_skip % p->table->leaf_size))
		return 0;
	return !!(*pte(p->table, p->query_skip / p->table->leaf_size) & AMDV1_PTE_D);
}

static void pattern_init(struct pattern *p)
{
	struct bench_table *t = p->table;
	unsigned long b, j, last_j = ULONG_MAX;

	p->qiova = IOVA0 + p->query_skip;
	p->qlen = t->npte * t->leaf_size - p->query_skip;
	p->nbits = p->qlen / BITMAP_PGSIZE;
	p->nbytes = ALIGN(DIV_ROUND_UP(p->nbits, 8), 8);	/* u64 words */
	p->image = calloc(1, p->nbytes);
	p->ndirty = 0;
	for (b = 0; b < p->nbits; b++) {
		j = (p->qiova + b * BITMAP_PGSIZE - IOVA0) / t->leaf_size;
		if (!is_dirty(p->dirt, j))
			continue;
		p->image[b / 8] |= 1 << (b % 8);
		if (j != last_j)
			p->ndirty++;
		last_j = j;
	}
}

enum way { WALK_STOCK, WALK_OURS, STOCK, OURS, FLOOR, MEMSET, NWAYS };

static const char *const way_name[NWAYS] = {
	"walk (7.3 build)", "walk (our build)", "7.3", "ours", "floor",
	"memset",
};

static const struct pt_bench_variant *const way_variant[NWAYS] = {
	&pt_variant_stock, &pt_variant_ours, &pt_variant_stock,
	&pt_variant_ours, &pt_variant_floor, NULL,
};

static bool way_records(enum way w)
{
	return w == STOCK || w == OURS || w == FLOOR;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned long uaddr, ubytes;
static u8 *scratch;
u8 *pt_floor_bits;	/* the floor build's plain bitmap */

/* Bits the read got wrong, against the image: missing and extra. */
static void compare(const struct pattern *p, enum way w,
		    unsigned long *missing, unsigned long *extra)
{
	unsigned long i;

	*missing = *extra = 0;
	if (w == FLOOR)
		memcpy(scratch, pt_floor_bits, p->nbytes);
	else
		fakemem_read(uaddr, scratch, p->nbytes);
	for (i = 0; i < p->nbytes; i++) {
		*missing += __builtin_popcount(p->image[i] & ~scratch[i]);
		*extra += __builtin_popcount(scratch[i] & ~p->image[i]);
	}
}

static double run_way(const struct pattern *p, enum way w)
{
	const struct pt_bench_variant *v = way_variant[w];
	struct iommu_domain *domain = &p->table->domain;
	double t;
	int ret;

	if (w == MEMSET) {
		memset(pt_floor_bits, 0, ubytes);
		t = now_ns();
		memset(pt_floor_bits, 0xff, p->nbytes);
		return now_ns() - t;
	}
	redirty(p);
	if (w == FLOOR) {
		memset(pt_floor_bits, 0, ubytes);
	} else if (way_records(w)) {
		memset(scratch, 0, ubytes);
		fakemem_write(uaddr, scratch, ubytes);
	}
	domain->dirty_ops = v->dirty_ops;
	t = now_ns();
	if (way_records(w))
		ret = v->read(domain, p->qiova, p->qlen, BITMAP_PGSIZE, uaddr, 0);
	else
		ret = v->walk(domain, p->qiova, p->qlen, 0);
	t = now_ns() - t;
	if (ret)
		die(way_name[w], ret);
	if (count_dirty(p->table) > left_dirty(p, v))
		die("PTEs left dirty", count_dirty(p->table));
	return t;
}

/*
 * A new order of the ways for each round, from a fixed seed: a rotation
 * would have each way follow the same one every round (ours always after
 * 7.3's), and what a way leaves in the caches moves the next one by 5-10%.
 */
static void shuffle_ways(enum way *order)
{
	static unsigned long long state = 0x9e3779b97f4a7c15ULL;
	int k, j;
	enum way w;

	for (k = 0; k < NWAYS; k++)
		order[k] = k;
	for (k = NWAYS - 1; k > 0; k--) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		j = state % (k + 1);
		w = order[k];
		order[k] = order[j];
		order[j] = w;
	}
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

int main(int argc, char **argv)
{
	static struct bench_table t4k, t2m;
	struct pattern patterns[] = {
		{ "4K-all", "every 4K IOPTE dirty", &t4k, ALL, 0 },
		{ "4K-alt", "every other 4K IOPTE dirty", &t4k, EVERY_OTHER, 0 },
		{ "2M-all", "every 2M IOPTE dirty", &t2m, ALL, 0 },
		{ "4K-1%", "1% of 4K IOPTEs dirty, at random", &t4k, ONE_PERCENT, 0 },
		{ "2M-inside", "2M-all, query from 1M into the first IOPTE",
		  &t2m, ALL, SZ_1M },
	};
	const unsigned int np = ARRAY_SIZE(patterns);
	double best[ARRAY_SIZE(patterns)][NWAYS];
	unsigned long missing[ARRAY_SIZE(patterns)][NWAYS] = {};
	unsigned long extra[ARRAY_SIZE(patterns)][NWAYS] = {};
	unsigned long gib = 64, len;
	int rounds = 10, cpu = 0, r, a;
	const char *only = NULL;
	bool strict_ours = false, bad_ours = false;
	unsigned int i, k;
	enum way order[NWAYS];
	double t0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--rounds") && a + 1 < argc)
			rounds = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--gib") && a + 1 < argc)
			gib = strtoul(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--cpu") && a + 1 < argc)
			cpu = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--only") && a + 1 < argc)
			only = argv[++a];
		else if (!strcmp(argv[a], "--strict-ours"))
			strict_ours = true;
		else {
			fprintf(stderr, "usage: %s [--rounds N] [--gib G] [--cpu C] "
				"[--only PATTERN] [--strict-ours]\n", argv[0]);
			return 2;
		}
	}
	if (gib < 1 || gib > 256 || rounds < 1)
		die("bad --gib or --rounds", gib);
	pin_cpu(cpu);
	len = gib << 30;

	t0 = now_ns();
	table_build(&t4k, &pt_variant_ours, len, SZ_4K);
	table_build(&t2m, &pt_variant_ours, len, SZ_2M);
	for (i = 0; i < np; i++)
		pattern_init(&patterns[i]);
	ubytes = len / BITMAP_PGSIZE / 8;
	uaddr = fakemem_map_pages(ubytes / PAGE_SIZE + 1, true);
	scratch = malloc(ubytes);
	pt_floor_bits = malloc(ubytes);
	printf("# bench_pt: %lu GiB at IOVA 0x%lx, %lu 4K + %lu 2M IOPTEs, "
	       "%.0f ms to build; CPU %d; fastest of %d rounds\n", gib, (unsigned long)IOVA0,
	       t4k.npte, t2m.npte, (now_ns() - t0) / 1e6, cpu, rounds);

	for (i = 0; i < np; i++)
		for (k = 0; k < NWAYS; k++)
			best[i][k] = 1e30;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < np; i++) {
			struct pattern *p = &patterns[i];

			if (only && strcmp(only, p->name))
				continue;
			shuffle_ways(order);
			for (k = 0; k < NWAYS; k++) {
				enum way w = order[k];
				double t = run_way(p, w);
				unsigned long m, e;

				if (t < best[i][w])
					best[i][w] = t;
				if (!way_records(w))
					continue;
				compare(p, w, &m, &e);
				missing[i][w] = max(missing[i][w], m);
				extra[i][w] = max(extra[i][w], e);
			}
		}
	}

	printf("%-10s %9s %9s %13s %13s %13s %13s %9s %9s %9s %9s %9s %9s %9s %9s\n",
	       "pattern", "IOPTEs", "dirty", "walk ns", "7.3 ns", "ours ns",
	       "floor ns", "7.3 ovh", "ours ovh", "floor ovh", "memset",
	       "7.3 +ns/d", "ours +ns/d", "7.3 own", "ours own");
	for (i = 0; i < np; i++) {
		struct pattern *p = &patterns[i];
		double walk = min(best[i][WALK_STOCK], best[i][WALK_OURS]);
		double s = best[i][STOCK], o = best[i][OURS], f = best[i][FLOOR];
		unsigned long niopte = p->table->npte;
		double ws = best[i][WALK_STOCK], wo = best[i][WALK_OURS];

		if (only && strcmp(only, p->name))
			continue;
		printf("%-10s %9lu %9lu %13.0f %13.0f %13.0f %13.0f %8.1f%% %8.1f%% %8.1f%% %8.1f%% %9.2f %9.2f %8.1f%% %8.1f%%\n",
		       p->name, niopte, p->ndirty, walk, s, o, f,
		       100 * (s - walk) / walk, 100 * (o - walk) / walk,
		       100 * (f - walk) / walk, 100 * best[i][MEMSET] / walk,
		       (s - walk) / p->ndirty, (o - walk) / p->ndirty,
		       100 * (s - ws) / ws, 100 * (o - wo) / wo);
	}
	printf("# walk ns = the faster of the walk alone in either build "
	       "(7.3 build / our build):");
	for (i = 0; i < np; i++)
		if (!only || !strcmp(only, patterns[i].name))
			printf(" %s %.0f/%.0f", patterns[i].name,
			       best[i][WALK_STOCK], best[i][WALK_OURS]);
	printf("\n# ovh = (ns - walk ns) / walk ns; +ns/d = (ns - walk ns) per "
	       "dirty IOPTE; own = the same against the walk of the library's "
	       "own build\n");
	for (i = 0; i < np; i++) {
		for (k = STOCK; k <= FLOOR; k++) {
			if (!missing[i][k] && !extra[i][k])
				continue;
			printf("# %s: %s's bitmap wrong: %lu bits missing, %lu extra "
			       "(of %lu)\n", patterns[i].name, way_name[k],
			       missing[i][k], extra[i][k], patterns[i].nbits);
			if (k != STOCK)
				bad_ours = true;
		}
	}
	if (fakemem_stats.pins_held || fakemem_stats.warnings)
		printf("# fakemem: %ld pins held, %ld warnings\n",
		       fakemem_stats.pins_held, fakemem_stats.warnings);
	return strict_ours && bad_ours ? 1 : 0;
}
