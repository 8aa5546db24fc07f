// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of iova_bitmap against a reference model.
 *
 * A case is random geometry (page size, IOVA base, length, bitmap pointer
 * offset), a random stream of records and, sometimes, a fault (a bitmap
 * page that cannot be pinned, a failing or short pin, a failing
 * allocation).  The library under test runs the case over fake user memory;
 * the model says what the user's memory must look like afterwards.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "include/shim.h"
#include <linux/iova_bitmap.h>
#include "fakemem.h"
#include "harness.h"

#define PAGE_BITS	(PAGE_SIZE * 8)	/* bits in one page of bitmap */
#define MAX_BIG_BITS	(2UL * 1024 * 1024 * 8 + 70000)	/* > 2 MiB of bitmap */

const char *const fail_kind_name[FK_NR] = {
	[FK_NONE] = "none",
	[FK_ALLOC_ACCEPTS_BAD] = "alloc accepts bad geometry",
	[FK_ALLOC_WRONG_ERRNO] = "alloc wrong errno",
	[FK_ALLOC_REFUSES_GOOD] = "alloc refuses good geometry",
	[FK_GUARD_WRITTEN] = "byte outside the bitmap written",
	[FK_EXTRA_BITS] = "bit set that no record covers",
	[FK_MISSING_BITS] = "recorded bit not set",
	[FK_SILENT_LOSS] = "record lost but walk returned 0",
	[FK_WRONG_ERROR] = "walk returned the wrong error",
	[FK_PINS_LEAKED] = "pins not released",
	[FK_KMAP_UNPINNED] = "wrote a page it had not pinned",
	[FK_MEM_LEAK] = "allocation not freed",
	[FK_WARN] = "WARN hit",
	[FK_WALKER_CALLS] = "walker not called exactly once",
	[FK_CRASH] = "crashed",
	[FK_HANG] = "did not finish",
	[FK_DOUBLE_PIN] = "pinned a page it already held",
	[FK_ACCEPTED_LOST] = "record iova_bitmap_record() accepted is missing",
};

/* splitmix64, or bytes from a fuzzer's input while they last. */
u64 rng_next(struct rng *r)
{
	u64 z;

	if (r->data) {
		z = 0;
		if (r->len) {
			size_t n = r->len < 8 ? r->len : 8;

			memcpy(&z, r->data, n);
			r->data += n;
			r->len -= n;
		}
		return z;
	}
	z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 below(struct rng *r, u64 n)
{
	return n ? rng_next(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* Contract, section 6: what alloc must refuse, and with which errno. */
static int model_alloc_errno(const struct hcase *c, unsigned long nbytes)
{
	unsigned long last;

	if (!c->length || !is_power_of_2(c->page_size))
		return -EINVAL;
	if (__builtin_add_overflow(c->iova, c->length - 1, &last))
		return -EOVERFLOW;
	if (!access_ok((void *)c->data, nbytes))
		return -EFAULT;
	return 0;
}

unsigned long case_nbits(const struct hcase *c)
{
	return (c->length - 1) / c->page_size + 1;
}

static unsigned long nbytes_of(unsigned long nbits)
{
	return nbits / 8 + (nbits % 8 != 0);
}

static unsigned long gen_page_size(struct rng *r)
{
	static const unsigned long bad[] = { 0, 3, 4097, ULONG_MAX, 6 << 20 };
	u64 p = below(r, 100);

	if (p < 2)
		return bad[below(r, ARRAY_SIZE(bad))];
	if (p < 50)
		return 1UL << 12;
	if (p < 60)
		return 1UL << 21;
	if (p < 65)
		return 1UL << 30;
	if (p < 67)
		return 1UL << (62 + below(r, 2));
	return 1UL << below(r, 64);
}

static unsigned long gen_nbits(struct rng *r)
{
	u64 p = below(r, 100);

	if (p < 20)
		return 1 + below(r, 9);
	if (p < 50)
		return 1 + below(r, 200);
	if (p < 60)
		return 64 * (1 + below(r, 8)) + below(r, 3) - 1;
	if (p < 85)
		return 1 + below(r, 40000);
	if (p < 99)
		return PAGE_SIZE * 8 * (1 + below(r, 3)) + below(r, 17) - 8;
	/* Half of these exceed the pin cache's first 64 slots many times. */
	if (below(r, 2))
		return 1 + below(r, 400000);
	return 1 + below(r, MAX_BIG_BITS);
}

static void gen_geometry(struct rng *r, struct hcase *c)
{
	unsigned long ps = gen_page_size(r), nbits, maxbits, span, max_iova;
	unsigned int shift = is_power_of_2(ps) ? __ffs(ps) : 12;

	c->page_size = ps;
	nbits = gen_nbits(r);
	maxbits = shift ? (shift >= 64 ? 1 : 1UL << (64 - shift)) : ULONG_MAX;
	if (nbits > maxbits)
		nbits = maxbits;
	/* length in ((nbits - 1) * ps, nbits * ps], computed in page units */
	if (__builtin_mul_overflow(nbits - 1, 1UL << shift, &span) ||
	    __builtin_add_overflow(span, 1 + below(r, 1UL << shift), &c->length))
		c->length = ULONG_MAX;
	if (chance(r, 40))	/* whole pages, the common caller's choice */
		c->length = c->length + ((1UL << shift) - 1) < c->length ? c->length :
			    ALIGN(c->length, 1UL << shift);
	if (!c->length)
		c->length = 1;

	max_iova = ULONG_MAX - (c->length - 1);
	switch (below(r, 20)) {
	case 0 ... 5:
		c->iova = 0;
		break;
	case 6 ... 11:
		c->iova = ALIGN_DOWN(below(r, max_iova) , 1UL << shift);
		break;
	case 12 ... 15:
		c->iova = below(r, max_iova == ULONG_MAX ? ULONG_MAX : max_iova + 1);
		break;
	case 16 ... 17:
		c->iova = max_iova;	/* the range ends at ULONG_MAX */
		break;
	case 18:
		if (max_iova != ULONG_MAX) {	/* wraps: -EOVERFLOW */
			c->iova = max_iova + 1 + below(r, ULONG_MAX - max_iova);
			break;
		}
		c->iova = 0;
		break;
	default:
		c->iova = below(r, 1UL << 40);
		if (chance(r, 50))
			c->length = 0;
		else if (c->iova > max_iova)
			c->iova = max_iova;
		break;
	}
}

static void add_rec(struct hcase *c, unsigned long iova, unsigned long length)
{
	if (c->nrec == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->rec = realloc(c->rec, c->cap * sizeof(*c->rec));
		assert(c->rec);
	}
	c->rec[c->nrec].iova = iova;
	c->rec[c->nrec].length = length;
	c->nrec++;
}

static void gen_records(struct rng *r, struct hcase *c)
{
	unsigned long nbits = case_nbits(c), ps = c->page_size, n, i;
	unsigned long last = c->iova + (c->length - 1), iova, len;

	if (nbits > 70 * PAGE_BITS && chance(r, 25)) {
		/*
		 * A page written, then one 64 bitmap pages on, which shares
		 * its slot in a table not yet grown and evicts it, then the
		 * first page again: when the pin for the second fails, the
		 * first page must not be written through what the library
		 * kept of it.
		 */
		iova = c->iova + below(r, nbits - 70 * PAGE_BITS) * ps;
		add_rec(c, iova, ps);
		add_rec(c, iova + 10 * ps, ps);
		add_rec(c, iova + 64 * PAGE_BITS * ps, ps);
		add_rec(c, iova + 20 * ps, ps);
		c->slot_clash = true;
		return;
	}
	n = chance(r, 5) ? below(r, 3000) : below(r, 65);
	for (i = 0; i < n; i++) {
		unsigned long b = below(r, nbits), cnt;

		switch (below(r, 20)) {
		case 0 ... 3:	/* one bit, anywhere inside it */
			add_rec(c, c->iova + b * ps + below(r, ps), 1 + below(r, ps));
			break;
		case 4 ... 6:	/* one whole page, as a device logs it */
			add_rec(c, c->iova + b * ps, ps);
			break;
		case 7 ... 10:	/* a run of bits */
			cnt = 1 + below(r, chance(r, 10) ? nbits : 300);
			add_rec(c, c->iova + b * ps, cnt * ps);
			break;
		case 11 ... 12:	/* a huge IOPTE at base-page granularity */
			cnt = 1UL << (1 + below(r, 10));
			add_rec(c, c->iova + ALIGN_DOWN(b, cnt) * ps, cnt * ps);
			break;
		case 13:	/* starts before the start */
			add_rec(c, c->iova - (1 + below(r, 600)) * ps,
				(1 + below(r, 1200)) * ps);
			break;
		case 14:	/* entirely outside */
			if (chance(r, 50))
				add_rec(c, c->iova - (1 + below(r, 600)) * ps,
					1 + below(r, c->iova ? c->iova - 1 : 1));
			else
				add_rec(c, last + 1 + below(r, 1UL << 20), 1 + below(r, 1UL << 30));
			break;
		case 15:	/* anything at all */
			add_rec(c, rng_next(r), rng_next(r) >> below(r, 64));
			break;
		case 16:
			add_rec(c, c->iova + b * ps, 0);
			break;
		case 17:	/* wraps around the end of the address space */
			add_rec(c, ULONG_MAX - below(r, 1UL << 32), ULONG_MAX - below(r, 1UL << 32));
			break;
		case 18:
			if (chance(r, 30)) {
				add_rec(c, c->iova, c->length);
				break;
			}
			if (nbits > 200 * PAGE_BITS && chance(r, 30)) {
				/*
				 * A run over 70 bitmap pages, written out when
				 * a record 100 pages on arrives (a small pin
				 * cache evicts that record's page meanwhile),
				 * then one bit beside that record: the library
				 * must not use a page it no longer pins.
				 */
				b = below(r, nbits - 200 * PAGE_BITS);
				add_rec(c, c->iova + b * ps, 70 * PAGE_BITS * ps);
				b += 100 * PAGE_BITS;
				add_rec(c, c->iova + (b + 1000) * ps, 2 * PAGE_BITS * ps);
				add_rec(c, c->iova + (b + 10) * ps, ps);
				break;
			}
			/*
			 * A walk across the end of a bitmap page: the run goes
			 * on into a page no record has pinned yet.
			 */
			if (nbits > (PAGE_SIZE - c->uoff) * 8 + 40 && chance(r, 30))
				b = (PAGE_SIZE - c->uoff) * 8 - below(r, 40);
			/* a walk: contiguous records, each where the last ended */
			cnt = 1 + below(r, 40);
			for (iova = c->iova + b * ps - below(r, 2) * below(r, ps);
			     cnt--; iova += len) {
				len = chance(r, 70) ? ps : 1 + below(r, 4 * ps);
				add_rec(c, iova, len);
			}
			break;
		default:	/* runs past the end */
			add_rec(c, c->iova + b * ps, (nbits - b + below(r, 1000)) * ps);
			break;
		}
	}
	if (c->nrec > 1 && chance(r, 50)) {	/* walkers usually go upwards */
		for (i = 1; i < c->nrec; i++) {
			struct hrec t = c->rec[i];
			unsigned long j = i;

			while (j && c->rec[j - 1].iova > t.iova) {
				c->rec[j] = c->rec[j - 1];
				j--;
			}
			c->rec[j] = t;
		}
	}
}

void case_generate(struct rng *r, struct hcase *c)
{
	static const unsigned long offs[] = { 0, 1, 7, 8, 0xff1, PAGE_SIZE - 1 };

	memset(c, 0, sizeof(*c));
	gen_geometry(r, c);
	c->uoff = chance(r, 50) ? offs[below(r, ARRAY_SIZE(offs))] : below(r, PAGE_SIZE);
	c->fill_random = chance(r, 30);
	c->guard_random = chance(r, 50);
	c->seed = rng_next(r);
	if (c->length && is_power_of_2(c->page_size) && case_nbits(c) <= MAX_BIG_BITS)
		gen_records(r, c);
	c->walker_error = chance(r, 2) ? -EIO : 0;
	if (chance(r, 20)) {
		switch (below(r, 6)) {
		case 0:
			c->bad_page = 1 + below(r, 4);
			c->bad_access = UP_HOLE;
			break;
		case 1:
			c->bad_page = 1 + below(r, 4);
			c->bad_access = UP_RO;
			break;
		case 2:
			c->fail_pin_nth = 1 + below(r, 4);
			break;
		case 3:
			c->short_pin = 1 + below(r, 3);
			break;
		case 4:
			c->killed = true;
			break;
		default:
			c->fail_alloc_nth = 1 + below(r, 3);
			break;
		}
	}
	/* Drawn last: the cases of a seed stay what they were without it. */
	if (chance(r, 10))
		c->highmem_every = 1 + below(r, 3);
	if (c->slot_clash && !c->fail_pin_nth && chance(r, 50))
		c->fail_pin_nth = 2;
	/* Drawn for 7.3 too, so that a seed gives it the same cases. */
	c->checked = chance(r, 50) && HARNESS_CHECKED_WALKS;
	/* The buffer unmapped mid-walk: what the pins took must survive. */
	if (c->fail_pin_nth && chance(r, 50))
		c->fail_pins_after = true;
	if (c->checked && !c->fail_pin_nth && !c->bad_page && chance(r, 20)) {
		c->fail_pin_nth = 1 + below(r, 3);
		c->fail_pins_after = true;
	}
}

void case_free(struct hcase *c)
{
	free(c->rec);
	c->rec = NULL;
}

/*
 * The model: bit i is set iff the IOVA span of bit i meets a record.  Spans
 * partition the range, so a record sets one interval of bits whose ends
 * are found by testing the spans around its clipped ends; the intervals of
 * all records are then merged and set bit by bit.
 */
struct bit_span {
	unsigned long first, last;
};

static struct bit_span span_of(const struct hcase *c, unsigned long i)
{
	unsigned long last = c->iova + (c->length - 1);
	struct bit_span s;

	s.first = c->iova + i * c->page_size;
	s.last = last - s.first < c->page_size - 1 ? last :
		 s.first + (c->page_size - 1);
	return s;
}

static bool meets(const struct hcase *c, unsigned long i, unsigned long first,
		  unsigned long last)
{
	struct bit_span s = span_of(c, i);

	return s.first <= last && first <= s.last;
}

/* Bits [*lo, *hi] the record covers; false if none. */
static bool model_interval(const struct hcase *c, const struct hrec *rec,
			   unsigned long *lo, unsigned long *hi)
{
	unsigned long nbits = case_nbits(c), last = c->iova + (c->length - 1);
	unsigned long rfirst = rec->iova, rlast, guess;
	int d;

	if (!rec->length)
		return false;
	rlast = rfirst + (rec->length - 1) < rfirst ? ULONG_MAX :
		rfirst + (rec->length - 1);
	if (rlast < c->iova || rfirst > last)
		return false;

	*lo = ULONG_MAX;
	guess = (max(rfirst, c->iova) - c->iova) / c->page_size;
	for (d = -1; d <= 1; d++) {
		if ((d < 0 && !guess) || guess + d >= nbits)
			continue;
		if (meets(c, guess + d, rfirst, rlast)) {
			*lo = guess + d;
			break;
		}
	}
	*hi = ULONG_MAX;
	guess = (min(rlast, last) - c->iova) / c->page_size;
	for (d = 1; d >= -1; d--) {
		if ((d < 0 && !guess) || guess + d >= nbits)
			continue;
		if (meets(c, guess + d, rfirst, rlast)) {
			*hi = guess + d;
			break;
		}
	}
	assert(*lo != ULONG_MAX && *hi != ULONG_MAX && *lo <= *hi);
	return true;
}

static int cmp_interval(const void *a, const void *b)
{
	const struct hrec *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * Bit b is bit b % 8 of byte b / 8: the uAPI's little-endian u64 words, on
 * either byte order (make check-be runs this on big-endian s390x).
 */
static void model_apply(const struct hcase *c, u8 *img)
{
	struct hrec *iv = malloc((c->nrec + 1) * sizeof(*iv));
	size_t n = 0, i;
	unsigned long b, end = 0;
	bool have = false;

	assert(iv);
	for (i = 0; i < c->nrec; i++) {
		unsigned long lo, hi;

		if (model_interval(c, &c->rec[i], &lo, &hi)) {
			iv[n].iova = lo;	/* reused as [lo, hi] in bits */
			iv[n].length = hi;
			n++;
		}
	}
	qsort(iv, n, sizeof(*iv), cmp_interval);
	for (i = 0; i < n; i++) {
		b = iv[i].iova;
		if (have && b <= end)
			b = end + 1;
		if (have && iv[i].length <= end)
			continue;
		for (; b <= iv[i].length; b++)
			img[b / 8] |= 1 << (b % 8);
		end = iv[i].length;
		have = true;
	}
	free(iv);
}

struct walk {
	const struct hcase *c;
	int calls;
	size_t stored;		/* records iova_bitmap_record() accepted */
	int rec_err;		/* and the error of the one that stopped it */
};

/*
 * A checked walker stops at the first record iova_bitmap_record() cannot
 * store, as generic_pt's does, and returns its error.  7.3's library has
 * no iova_bitmap_record(): make baseline walks with iova_bitmap_set().
 */
static int walker(struct iova_bitmap *bitmap, unsigned long iova,
		  size_t length, void *opaque)
{
	struct walk *w = opaque;
	const struct hrec *rec;
	size_t i;

	w->calls++;
	if (iova != w->c->iova || length != w->c->length)
		w->calls += 1000;
	for (i = 0; i < w->c->nrec; i++) {
		rec = &w->c->rec[i];
		if (!w->c->checked) {
			iova_bitmap_set(bitmap, rec->iova, rec->length);
			continue;
		}
#if HARNESS_CHECKED_WALKS
		w->rec_err = iova_bitmap_record(bitmap, rec->iova, rec->length);
		if (w->rec_err)
			return w->rec_err;
		w->stored++;
#endif
	}
	return w->c->walker_error;
}

static void __attribute__((format(printf, 3, 4)))
fail(struct case_result *res, enum fail_kind k, const char *fmt, ...)
{
	va_list ap;

	if (res->kind != FK_NONE)
		return;
	res->kind = k;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

static void fill(struct rng *r, u8 *p, size_t n, bool random)
{
	size_t i;

	if (!random) {
		memset(p, 0, n);
		return;
	}
	for (i = 0; i < n; i += 8) {
		u64 v = rng_next(r);

		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/*
 * The error iova_bitmap_for_each() must return before calling the walker,
 * or 0.  Every page of the buffer must lie in a writable mapping; a bitmap
 * larger than the fake mapping is not all mapped.
 */
static int refusal(const struct hcase *c, unsigned long base,
		   unsigned long map_len)
{
	unsigned long nbits = case_nbits(c);
	unsigned long last = c->data + nbytes_of(nbits) - 1;
	unsigned long page;

	if (c->killed)
		return -EINTR;
	if (last >= base + map_len)
		return -EFAULT;
	if (!c->bad_page)
		return 0;
	page = ALIGN_DOWN(c->data, PAGE_SIZE) + (c->bad_page - 1) * PAGE_SIZE;
	return page <= last ? -EFAULT : 0;
}

enum fail_kind case_run(struct hcase *c, struct case_result *res, bool verbose)
{
	unsigned long nbits = 0, nbytes = 0, map_len, base, i, pages;
	struct rng r = { .state = c->seed };
	struct fakemem_faults faults = { 0 };
	struct iova_bitmap *bitmap;
	struct walk w = { .c = c };
	bool faulted = false;
	u8 *init, *want, *got;
	int want_err, ret, refused;
	long pin_calls;
	size_t off;

	memset(res, 0, sizeof(*res));
	if (c->length && c->page_size)
		nbits = (c->length - 1) / c->page_size + 1;
	nbytes = nbytes_of(nbits);
	/* Geometry too large to map: only alloc's answer matters. */
	if (nbytes > MAX_BIG_BITS / 8 + 1)
		nbytes = 0;
	pages = (PAGE_SIZE + c->uoff + nbytes + PAGE_SIZE - 1) / PAGE_SIZE + 1;
	map_len = pages * PAGE_SIZE;
	base = fakemem_map(pages);
	off = PAGE_SIZE + c->uoff;
	c->data = base + off;

	init = malloc(map_len);
	want = malloc(map_len);
	got = malloc(map_len);
	assert(init && want && got);
	fill(&r, init, map_len, c->guard_random);
	fill(&r, init + off, nbytes, c->fill_random);
	fakemem_write(base, init, map_len);
	memcpy(want, init, map_len);

	if (c->bad_page) {
		unsigned long bad = ALIGN_DOWN(c->data, PAGE_SIZE) +
				    (c->bad_page - 1) * PAGE_SIZE;

		if (bad < base + map_len)
			fakemem_set_access(bad, c->bad_access);
	}
	fakemem_set_killed(c->killed);
	faults.short_pin = c->short_pin;
	faults.fail_pin_nth = c->fail_pin_nth;
	faults.fail_pins_after = c->fail_pins_after;
	faults.fail_alloc_nth = c->fail_alloc_nth;
	faults.highmem_every = c->highmem_every;
	fakemem_set_faults(&faults);

	want_err = model_alloc_errno(c, c->length && c->page_size ?
				     nbytes_of(nbits) : 0);
	if (verbose)
		case_print(stderr, c);

	bitmap = iova_bitmap_alloc(c->iova, c->length, c->page_size,
				   (u64 __user *)c->data);
	if (want_err) {
		if (!IS_ERR_OR_NULL(bitmap)) {
			fail(res, FK_ALLOC_ACCEPTS_BAD, "accepted, want errno %d", -want_err);
			iova_bitmap_free(bitmap);
		} else if (PTR_ERR(bitmap) != want_err && !c->fail_alloc_nth) {
			fail(res, FK_ALLOC_WRONG_ERRNO, "errno %ld, want %d",
			     -PTR_ERR(bitmap), -want_err);
		}
		goto out;
	}
	if (IS_ERR_OR_NULL(bitmap)) {
		if (!(c->fail_alloc_nth && PTR_ERR(bitmap) == -ENOMEM))
			fail(res, FK_ALLOC_REFUSES_GOOD, "errno %ld",
			     -PTR_ERR(bitmap));
		goto out;
	}

	ret = iova_bitmap_for_each(bitmap, &w, walker);
	pin_calls = fakemem_stats.pin_calls;
	iova_bitmap_free(bitmap);
	res->ret = ret;

	refused = refusal(c, base, map_len);
	if (!refused)
		model_apply(c, want + off);
	fakemem_read(base, got, map_len);
	/* What a checked walk stored must be there, whatever came after. */
	if (c->checked && !refused) {
		struct hcase accepted = *c;
		u8 *acc = malloc(map_len);

		assert(acc);
		memcpy(acc, init, map_len);
		accepted.nrec = w.stored;
		model_apply(&accepted, acc + off);
		for (i = off; i < off + nbytes; i++) {
			if (acc[i] & ~got[i]) {
				fail(res, FK_ACCEPTED_LOST, "bitmap byte %lu: bits %#x",
				     i - off, acc[i] & ~got[i] & 0xff);
				break;
			}
		}
		free(acc);
		if (w.rec_err && !(c->bad_page || c->fail_pin_nth || c->fail_alloc_nth))
			fail(res, FK_WRONG_ERROR, "iova_bitmap_record() %d without a fault",
			     w.rec_err);
	}

	if (w.calls != !refused)
		fail(res, FK_WALKER_CALLS, "walker called %d times, want %d%s",
		     w.calls, !refused, refused ? " (bad buffer)" : "");
	if (refused && ret != refused)
		fail(res, FK_WRONG_ERROR, "ret %d, want %d before the walk",
		     ret, refused);
	if (refused && pin_calls)
		fail(res, FK_WRONG_ERROR, "%ld pin calls for a refused buffer",
		     pin_calls);
	faulted = c->bad_page || c->fail_pin_nth || c->fail_alloc_nth;
	for (i = 0; i < map_len; i++) {
		bool in = i >= off && i < off + nbytes;

		if (!in && got[i] != init[i]) {
			fail(res, FK_GUARD_WRITTEN, "byte %ld (bitmap has %lu)",
			     (long)(i - off), nbytes);
			break;
		}
		if (in && (got[i] & ~want[i])) {
			fail(res, FK_EXTRA_BITS, "bitmap byte %lu: extra bits %#x",
			     i - off, got[i] & ~want[i] & 0xff);
			break;
		}
		if (in && (want[i] & ~got[i]) && !ret) {
			fail(res, faulted ? FK_SILENT_LOSS : FK_MISSING_BITS,
			     "bitmap byte %lu: missing bits %#x", i - off,
			     want[i] & ~got[i] & 0xff);
			break;
		}
	}
	if (refused) {
		/* checked above */
	} else if (w.rec_err || c->walker_error) {
		int walker_ret = w.rec_err ? w.rec_err : c->walker_error;

		if (ret != walker_ret)
			fail(res, FK_WRONG_ERROR, "ret %d, want walker's %d",
			     ret, walker_ret);
	} else if (ret && !(faulted && (ret == -EFAULT || ret == -ENOMEM))) {
		fail(res, FK_WRONG_ERROR, "ret %d with%s a fault", ret,
		     faulted ? "" : "out");
	}
out:
	if (fakemem_stats.pins_held)
		fail(res, FK_PINS_LEAKED, "%ld pins held", fakemem_stats.pins_held);
	if (fakemem_stats.double_pins)
		fail(res, FK_DOUBLE_PIN, "%ld pins of a page already pinned",
		     fakemem_stats.double_pins);
	if (fakemem_stats.kmap_unpinned)
		fail(res, FK_KMAP_UNPINNED, "%ld kmaps of unpinned pages", fakemem_stats.kmap_unpinned);
	if (fakemem_stats.allocs_held)
		fail(res, FK_MEM_LEAK, "%ld allocations held", fakemem_stats.allocs_held);
	if (fakemem_stats.unlocked_lookups)
		fail(res, FK_WARN, "%ld vma_lookup() calls without mmap_lock",
		     fakemem_stats.unlocked_lookups);
	if (current->mm->lock_held)
		fail(res, FK_WARN, "mmap_lock left held");
	if (fakemem_stats.warnings)
		fail(res, FK_WARN, "%ld warnings", fakemem_stats.warnings);
	res->max_pins = fakemem_stats.max_pins_held;
	res->pin_calls = fakemem_stats.pin_calls;
	free(init);
	free(want);
	free(got);
	fakemem_unmap();
	return res->kind;
}

void case_print(FILE *f, const struct hcase *c)
{
	size_t i;

	fprintf(f, "  iova %#lx length %#lx page_size %#lx uoff %#lx nbits %lu\n",
		c->iova, c->length, c->page_size, c->uoff,
		c->length && c->page_size ? case_nbits(c) : 0);
	fprintf(f, "  faults: bad_page %u (%s) fail_pin_nth %ld short_pin %d fail_alloc_nth %ld walker_error %d killed %d highmem_every %d checked %d fail_pins_after %d\n",
		c->bad_page, c->bad_access == UP_RO ? "read-only" : "hole",
		c->fail_pin_nth, c->short_pin, c->fail_alloc_nth, c->walker_error,
		c->killed, c->highmem_every, c->checked, c->fail_pins_after);
	fprintf(f, "  %zu records:", c->nrec);
	for (i = 0; i < c->nrec && i < 40; i++)
		fprintf(f, " [%#lx+%#lx]", c->rec[i].iova, c->rec[i].length);
	fprintf(f, "%s\n", c->nrec > 40 ? " ..." : "");
}
