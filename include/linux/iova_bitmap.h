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
 * @run_room: The last IOVA up to which iova_bitmap_record() may grow the
 *            pending run inline: the user pages of its bits that far are
 *            pinned, so storing it cannot fail.  Below @run_next when
 *            there is no such room.
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
	unsigned long run_room;
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
int __iova_bitmap_record(struct iova_bitmap *bitmap,
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
	/* Racing with user space, or another call, is allowed: see above. */
	data_race(*byte |= bits);
}

/*
 * Store a record of one aligned page (of the bitmap's page size) whose bit
 * lies in a pinned page of the user's buffer: the window, else the slot
 * table.  Return false, storing nothing, for any other record.
 */
static inline bool iova_bitmap_store_page(struct iova_bitmap_pending *p,
					  unsigned long iova, size_t length)
{
	unsigned int pgshift = p->pgshift;
	unsigned long bit, uaddr, tag;
	struct iova_bitmap_slot *slot;

	if (iova_bitmap_pages(length, pgshift) != 1)
		return false;
	bit = iova_bitmap_pages(iova - p->win.iova, pgshift);
	if (likely(bit < p->win.nbits)) {
		iova_bitmap_or_byte(p->win.kaddr + bit / BITS_PER_BYTE,
				    rol8(1, bit));
		return true;
	}
	bit = iova_bitmap_pages(iova - p->iova, pgshift);
	if (bit >= p->nbits)
		return false;
	uaddr = p->uaddr_biased + bit / BITS_PER_BYTE;
	tag = uaddr >> PAGE_SHIFT;
	slot = &p->slots[tag & p->slot_mask];
	if (unlikely(slot->tag != tag))
		return false;
	iova_bitmap_or_byte((u8 *)(uaddr + slot->delta), rol8(1, bit));
	return true;
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
 * reported by iova_bitmap_for_each().  A walker that must know whether a
 * record was stored before it clears the dirty state calls
 * iova_bitmap_record() instead.
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 */
static inline void iova_bitmap_set(struct iova_bitmap *bitmap,
				   unsigned long iova, size_t length)
{
	/* The first member of struct iova_bitmap. */
	struct iova_bitmap_pending *p = (struct iova_bitmap_pending *)bitmap;

	/* The next contiguous IOPTE: the run grows, unless length is 0 or wraps. */
	if (iova == p->run_next && iova + length > iova) {
		p->run_next = iova + length;
		return;
	}
	if (!iova_bitmap_store_page(p, iova, length))
		__iova_bitmap_set(bitmap, iova, length);
}

/**
 * iova_bitmap_record() - Store IOVA [@iova, @iova + @length) as dirty now.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @iova: First dirty IOVA.
 * @length: Bytes of dirty IOVA space; 0 records nothing.
 *
 * Sets the same bits as iova_bitmap_set(), and says whether it could: when
 * it returns 0 the bits are in the user's buffer, or in the pending run
 * with every user page they need pinned, so that nothing can keep them
 * out.  A walker that clears the dirty state it reports calls it before
 * clearing an entry and, when it fails, stops without clearing that entry
 * or any after it: a failure met in the middle of a walk (a pin refused,
 * the buffer unmapped by another thread) then loses nothing, and the next
 * read reports those pages.  A walker uses it or iova_bitmap_set() for
 * all its records on a bitmap, not both.
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 * Return: 0 when every bit of the record inside the bitmap's range is in
 * the user's buffer (a record wholly outside the range stores nothing),
 * else -EFAULT or the error of pin_user_pages_fast(); some of the record's
 * bits may then be set.  iova_bitmap_for_each() returns the error too.
 */
static inline int iova_bitmap_record(struct iova_bitmap *bitmap,
				     unsigned long iova, size_t length)
{
	struct iova_bitmap_pending *p = (struct iova_bitmap_pending *)bitmap;

	/* The next contiguous IOPTE, its bits in pages already pinned. */
	if (iova == p->run_next && iova + length > iova &&
	    iova + length - 1 <= p->run_room) {
		p->run_next = iova + length;
		return 0;
	}
	if (iova_bitmap_store_page(p, iova, length))
		return 0;
	return __iova_bitmap_record(bitmap, iova, length);
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

static inline int iova_bitmap_record(struct iova_bitmap *bitmap,
				     unsigned long iova, size_t length)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_IOMMUFD_DRIVER */

#endif /* _IOVA_BITMAP_H_ */
