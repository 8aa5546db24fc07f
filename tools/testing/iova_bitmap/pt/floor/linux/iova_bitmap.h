/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The floor build's <linux/iova_bitmap.h>: no library, only the stores
 * any library must make.  The bits go to a plain buffer that is already
 * mapped (pt_floor_bits, which bench_pt provides and zeroes), so nothing
 * is pinned, mapped or buffered: a one-page record is one OR, anything
 * else a loop over its bytes with memset() for the whole ones.  This is
 * make bench's floor (a bare store into a plain buffer) put inside the
 * real walker, so that walk + floor is what recording costs at least.
 */
#ifndef PT_FLOOR_IOVA_BITMAP_H
#define PT_FLOOR_IOVA_BITMAP_H

#include "../../../include/shim.h"

struct iova_bitmap {
	unsigned long iova;
	unsigned long length;
	unsigned long nbits;
	unsigned int pgshift;
	u8 *bits;
};

typedef int (*iova_bitmap_fn_t)(struct iova_bitmap *bitmap,
				unsigned long iova, size_t length,
				void *opaque);

/* At least DIV_ROUND_UP(nbits, 8) bytes, zeroed before each read. */
extern u8 *pt_floor_bits;

static inline struct iova_bitmap *iova_bitmap_alloc(unsigned long iova,
						    size_t length,
						    unsigned long page_size,
						    u64 __user *data)
{
	static struct iova_bitmap b;

	b.iova = iova;
	b.length = length;
	b.pgshift = __builtin_ctzl(page_size);
	b.nbits = (length + page_size - 1) >> b.pgshift;
	b.bits = pt_floor_bits;
	return &b;
}

static inline void iova_bitmap_free(struct iova_bitmap *bitmap)
{
}

static inline int iova_bitmap_for_each(struct iova_bitmap *bitmap,
				       void *opaque, iova_bitmap_fn_t fn)
{
	return fn(bitmap, bitmap->iova, bitmap->length, opaque);
}

/* Bits [first, last] of the buffer. */
static noinline void floor_set_range(struct iova_bitmap *b,
				     unsigned long first, unsigned long last)
{
	for (; first <= last && first % 8; first++)
		b->bits[first / 8] |= 1 << (first % 8);
	if (first + 7 <= last) {
		memset(&b->bits[first / 8], 0xff, (last + 1 - first) / 8);
		first += (last + 1 - first) / 8 * 8;
	}
	for (; first <= last; first++)
		b->bits[first / 8] |= 1 << (first % 8);
}

static inline void iova_bitmap_set(struct iova_bitmap *b,
				   unsigned long iova, size_t length)
{
	unsigned long first, last;

	first = (iova - b->iova) >> b->pgshift;
	last = (iova + length - 1 - b->iova) >> b->pgshift;
	if (first == last && first < b->nbits) {
		b->bits[first / 8] |= 1 << (first % 8);
		return;
	}
	/* Clipped to the bitmap's range: walkers report whole IOPTEs. */
	first = iova < b->iova ? 0 : first;
	last = min(last, b->nbits - 1);
	if (length && first <= last && iova + length - 1 >= b->iova)
		floor_set_range(b, first, last);
}

#endif
