/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iova_bitmap - record dirty IOVA ranges into a bitmap owned by user space
 *
 * A caller describes an IOVA range, the granule one bit stands for and a
 * user space buffer.  Dirty-tracking walkers then report dirty ranges with
 * iova_bitmap_set() from inside iova_bitmap_for_each(), and the library
 * turns them into bits in the user's buffer.  See lib/iova_bitmap.c.
 */
#ifndef _IOVA_BITMAP_H_
#define _IOVA_BITMAP_H_

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <asm/page.h>

struct iova_bitmap;

/**
 * typedef iova_bitmap_fn_t - Walker called by iova_bitmap_for_each().
 * @bitmap: The bitmap to record dirty ranges into with iova_bitmap_set().
 * @iova: First IOVA the walker should report on.
 * @length: Number of bytes of IOVA space from @iova to report on.
 * @opaque: The caller's cookie given to iova_bitmap_for_each().
 *
 * Return: 0 on success or a negative errno, which stops the walk.
 */
typedef int (*iova_bitmap_fn_t)(struct iova_bitmap *bitmap,
				unsigned long iova, size_t length,
				void *opaque);

#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
/**
 * struct iova_bitmap_slot - A user page of the bitmap held pinned.
 * @tag: User page number (user address >> PAGE_SHIFT) of the page plus
 *       one, so that 0 marks an empty slot; the top bit is set when the
 *       page has no permanent kernel mapping (highmem).
 * @delta: Kernel address of the page minus (its user address + PAGE_SIZE).
 */
struct iova_bitmap_slot {
	unsigned long tag;
	unsigned long delta;
};

/**
 * struct iova_bitmap_window - The pinned page a walker is writing.
 * @iova: IOVA of the first bit of the bitmap the page holds.
 * @nbits: The number of bits of the bitmap the page holds; 0 when the
 *         window is empty.
 * @kaddr: Kernel address of the byte holding the bit at @iova, which is
 *         bit 0 of that byte.
 */
struct iova_bitmap_window {
	unsigned long iova;
	unsigned long nbits;
	u8 *kaddr;
};

/**
 * struct iova_bitmap_pending - What iova_bitmap_set() handles inline.
 * @run_next: While the pending run is open, the IOVA just past it, which
 *            may lie past the bitmap's range (the run is clipped when it
 *            is written); ULONG_MAX otherwise, where no record fits.
 * @win: The window: the pinned page a walker is writing.
 * @pgshift: log2 of the bitmap's page size, the IOVA bytes a bit stands for.
 * @iova: IOVA of bit 0.
 * @nbits: Number of bits in the bitmap.
 * @uaddr_biased: User address of the bitmap's byte 0, plus PAGE_SIZE: the
 *                user page numbers it gives are the tags of @slots.
 * @slots: The pinned user pages, a direct-mapped table indexed by user
 *         page number and @slot_mask.
 * @slot_mask: Number of @slots less one; a power of two less one.
 *
 * The first member of struct iova_bitmap, the rest of which is private to
 * lib/iova_bitmap.c.  Walkers make one iova_bitmap_set() call per dirty
 * IOPTE or device log entry, so the common cases are handled inline,
 * without a call: the next contiguous IOPTE; a record of one aligned page
 * (of the bitmap's page size) in the window, as a walker reports dirty
 * pages in order; such a record in another pinned page, in whatever order
 * a device logged it.
 * Nothing outside lib/iova_bitmap.c and iova_bitmap_set() may touch it.
 */
struct iova_bitmap_pending {
	unsigned long run_next;
	struct iova_bitmap_window win;
	unsigned int pgshift;
	unsigned long iova;
	unsigned long nbits;
	unsigned long uaddr_biased;
	struct iova_bitmap_slot *slots;
	unsigned long slot_mask;
};

struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data);
void iova_bitmap_free(struct iova_bitmap *bitmap);
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn);
void __iova_bitmap_set(struct iova_bitmap *bitmap,
		       unsigned long iova, size_t length);

/*
 * @x rotated right by @pgshift: the number of pages in @x if it is a
 * multiple of the page size, else a number no bitmap reaches (the
 * remainder lands in the top bits).
 */
static inline unsigned long iova_bitmap_pages(unsigned long x,
					      unsigned int pgshift)
{
	return BITS_PER_LONG == 64 ? ror64(x, pgshift) : ror32(x, pgshift);
}

/*
 * Set @bits in a byte of the user's bitmap.  The buffer is user memory:
 * other threads of the task, or another ioctl handed the same buffer, may
 * write it during a walk.  Its contents are then up to user space, and the
 * kernel never reads them back, so such races are harmless to the kernel;
 * data_race() says so to KCSAN.
 */
static inline void iova_bitmap_or_byte(u8 *byte, u8 bits)
{
	data_race(*byte |= bits);
}

/**
 * iova_bitmap_set() - Record IOVA [@iova, @iova + @length) as dirty.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @iova: First dirty IOVA.
 * @length: Bytes of dirty IOVA space; 0 records nothing.
 *
 * Sets every bit whose page intersects the range.  The part of the range
 * outside the bitmap's IOVA range is ignored, so walkers may report whole
 * huge IOPTEs that straddle its ends.  Records may come in any order.  A
 * record may be buffered until the next record, the end of
 * iova_bitmap_for_each() or iova_bitmap_free(); a failure to store it is
 * reported by iova_bitmap_for_each().
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 */
static inline void iova_bitmap_set(struct iova_bitmap *bitmap,
				   unsigned long iova, size_t length)
{
	/* The first member of struct iova_bitmap. */
	struct iova_bitmap_pending *p = (struct iova_bitmap_pending *)bitmap;
	unsigned long bit, uaddr, tag;
	struct iova_bitmap_slot *slot;
	unsigned int pgshift;

	/* The next contiguous IOPTE: the run grows, unless length is 0 or wraps. */
	if (iova == p->run_next && iova + length > iova) {
		p->run_next = iova + length;
		return;
	}
	pgshift = p->pgshift;
	if (iova_bitmap_pages(length, pgshift) != 1)
		goto out_of_line;
	/* One aligned page in the window. */
	bit = iova_bitmap_pages(iova - p->win.iova, pgshift);
	if (likely(bit < p->win.nbits)) {
		iova_bitmap_or_byte(p->win.kaddr + bit / BITS_PER_BYTE,
				    rol8(1, bit));
		return;
	}
	/* One aligned page in another pinned page. */
	bit = iova_bitmap_pages(iova - p->iova, pgshift);
	if (bit >= p->nbits)
		goto out_of_line;
	uaddr = p->uaddr_biased + bit / BITS_PER_BYTE;
	tag = uaddr >> PAGE_SHIFT;
	slot = &p->slots[tag & p->slot_mask];
	if (unlikely(slot->tag != tag))
		goto out_of_line;
	iova_bitmap_or_byte((u8 *)(uaddr + slot->delta), rol8(1, bit));
	return;
out_of_line:
	__iova_bitmap_set(bitmap, iova, length);
}
#else
/*
 * Without the library nothing can be recorded: allocation yields no bitmap
 * and the walk reports that the operation is unsupported, so callers need
 * no conditional compilation of their own.
 */
static inline struct iova_bitmap *iova_bitmap_alloc(unsigned long iova,
						    size_t length,
						    unsigned long page_size,
						    u64 __user *data)
{
	return NULL;
}

static inline void iova_bitmap_free(struct iova_bitmap *bitmap)
{
}

static inline int iova_bitmap_for_each(struct iova_bitmap *bitmap,
				       void *opaque, iova_bitmap_fn_t fn)
{
	return -EOPNOTSUPP;
}

static inline void iova_bitmap_set(struct iova_bitmap *bitmap,
				   unsigned long iova, size_t length)
{
}
#endif /* CONFIG_IOMMUFD_DRIVER */

#endif /* _IOVA_BITMAP_H_ */
