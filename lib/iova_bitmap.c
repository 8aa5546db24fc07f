// SPDX-License-Identifier: GPL-2.0
/*
 * iova_bitmap - record dirty IOVA ranges into a bitmap in user memory
 *
 * VFIO migration drivers, IOMMU dirty-tracking walkers and iommufd report
 * which IOVA pages a device wrote.  User space hands in a buffer; this
 * library turns (iova, length) records into bits of that buffer.
 *
 * Conventions used in this file:
 *
 * - Bit @i of the bitmap stands for IOVA [base + i * page_size,
 *   base + (i + 1) * page_size).  Bits are numbered byte by byte: bit @i is
 *   bit (i % 8) of byte (i / 8), the layout of an array of little-endian
 *   u64 words.  Only bytes are ever addressed, so the user pointer may
 *   have any alignment.
 * - "bit" values are indices into the bitmap, "upage" values are indices
 *   of user pages counted from the page holding byte 0 of the bitmap.
 * - Ranges are inclusive ([first, last]) so that a range ending at
 *   ULONG_MAX needs no special case.
 * - Records are clipped to the bitmap's IOVA range; no byte outside the
 *   bitmap and no bit at or beyond nbits is ever written.
 * - Records that touch or overlap are merged into one pending run that is
 *   written out when a record does not extend it, before
 *   iova_bitmap_for_each() returns and at iova_bitmap_free().  A walker
 *   reporting contiguous dirty pages thus costs a compare per record and
 *   one memset per run.
 * - User pages are pinned when a run first touches them and stay pinned in
 *   a direct-mapped cache until evicted or freed.  Nothing pins pages that
 *   no record touches.
 * - The first failure to store a record (pin failure, fault) is latched;
 *   later records are dropped and iova_bitmap_for_each() returns it.
 */
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/highmem.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Most user pages kept pinned at once; a power of two. */
#define IOVA_BITMAP_MAX_SLOTS	4096UL
/* Most pages pinned by one call when a run enters unpinned pages. */
#define IOVA_BITMAP_PIN_BATCH	64UL
#define IOVA_BITMAP_NO_UPAGE	ULONG_MAX

struct iova_bitmap {
	unsigned long iova;		/* IOVA of bit 0 */
	unsigned long last_iova;	/* last IOVA covered, inclusive */
	size_t length;			/* as given to iova_bitmap_alloc() */
	unsigned int pgshift;		/* log2 of the page size */
	unsigned long nbits;		/* bits in the bitmap */
	unsigned long uaddr;		/* user address of byte 0 */
	unsigned long upages;		/* user pages the bitmap spans */

	bool run_pending;		/* [run_first, run_last] not yet written */
	unsigned long run_first;
	unsigned long run_last;
	int err;			/* first error, or 0 */

	unsigned long slot_mask;	/* slots - 1 */
	unsigned long *slot_upage;	/* upage held by a slot, or NO_UPAGE */
	struct page **slot_page;
};

static unsigned long upage_addr(const struct iova_bitmap *bitmap,
				unsigned long upage)
{
	return (bitmap->uaddr & PAGE_MASK) + (upage << PAGE_SHIFT);
}

static void release_slot(struct iova_bitmap *bitmap, unsigned long slot)
{
	if (bitmap->slot_upage[slot] == IOVA_BITMAP_NO_UPAGE)
		return;
	/* The page was written through the kernel mapping. */
	unpin_user_pages_dirty_lock(&bitmap->slot_page[slot], 1, true);
	bitmap->slot_upage[slot] = IOVA_BITMAP_NO_UPAGE;
}

/*
 * Pin @upage and as many following pages up to @last_upage as fit in
 * consecutive slots, evicting whatever those slots held.
 */
static int pin_upages(struct iova_bitmap *bitmap, unsigned long upage,
		      unsigned long last_upage)
{
	unsigned long slot = upage & bitmap->slot_mask;
	unsigned long n, i;
	long pinned;

	n = min3(last_upage - upage + 1, IOVA_BITMAP_PIN_BATCH,
		 bitmap->slot_mask + 1 - slot);
	for (i = 0; i < n; i++)
		release_slot(bitmap, slot + i);

	pinned = pin_user_pages_fast(upage_addr(bitmap, upage), n, FOLL_WRITE,
				     &bitmap->slot_page[slot]);
	if (pinned <= 0)
		return pinned ? pinned : -EFAULT;
	for (i = 0; i < pinned; i++)
		bitmap->slot_upage[slot + i] = upage + i;
	return 0;
}

static struct page *get_upage(struct iova_bitmap *bitmap, unsigned long upage,
			      unsigned long last_upage)
{
	unsigned long slot = upage & bitmap->slot_mask;
	int ret;

	if (bitmap->slot_upage[slot] != upage) {
		ret = pin_upages(bitmap, upage, last_upage);
		if (ret) {
			bitmap->err = ret;
			return NULL;
		}
	}
	return bitmap->slot_page[slot];
}

/* Set bits [first, last] counted from bit 0 of @p[0]. */
static void set_bits(u8 *p, unsigned long first, unsigned long last)
{
	unsigned long fbyte = first / BITS_PER_BYTE;
	unsigned long lbyte = last / BITS_PER_BYTE;
	u8 head = 0xff << (first % BITS_PER_BYTE);
	u8 tail = 0xff >> (BITS_PER_BYTE - 1 - last % BITS_PER_BYTE);

	if (fbyte == lbyte) {
		p[fbyte] |= head & tail;
		return;
	}
	p[fbyte] |= head;
	memset(p + fbyte + 1, 0xff, lbyte - fbyte - 1);
	p[lbyte] |= tail;
}

/* Write bits [first, last] into the user's bitmap, one user page at a time. */
static void write_bits(struct iova_bitmap *bitmap, unsigned long first,
		       unsigned long last)
{
	unsigned long page0 = bitmap->uaddr >> PAGE_SHIFT;
	unsigned long last_upage =
		((bitmap->uaddr + last / BITS_PER_BYTE) >> PAGE_SHIFT) - page0;

	while (first <= last) {
		unsigned long addr = bitmap->uaddr + first / BITS_PER_BYTE;
		unsigned long offset = offset_in_page(addr);
		unsigned long upage = (addr >> PAGE_SHIFT) - page0;
		/* Last bit stored in this user page. */
		unsigned long page_last = first - first % BITS_PER_BYTE +
					  (PAGE_SIZE - offset) * BITS_PER_BYTE - 1;
		unsigned long chunk_last = min(last, page_last);
		unsigned long shift = first % BITS_PER_BYTE;
		struct page *page;
		u8 *kaddr;

		page = get_upage(bitmap, upage, last_upage);
		if (!page)
			return;
		kaddr = kmap_local_page(page);
		set_bits(kaddr + offset, shift, shift + chunk_last - first);
		kunmap_local(kaddr);
		first = chunk_last + 1;
	}
}

static void flush_run(struct iova_bitmap *bitmap)
{
	if (!bitmap->run_pending)
		return;
	bitmap->run_pending = false;
	if (!bitmap->err)
		write_bits(bitmap, bitmap->run_first, bitmap->run_last);
}

/**
 * iova_bitmap_alloc() - Describe a user bitmap of an IOVA range.
 * @iova: First IOVA the bitmap covers; need not be aligned to @page_size.
 * @length: Bytes of IOVA space covered; need not be a multiple of @page_size.
 * @page_size: IOVA bytes one bit stands for; a power of two below
 *             2^(BITS_PER_LONG - 1).
 * @data: User buffer of at least DIV_ROUND_UP(nbits, 8) bytes, where
 *        nbits = (@length - 1) / @page_size + 1.  Any alignment.
 *
 * Nothing is pinned or written here.  Bit i of @data stands for IOVA
 * [@iova + i * @page_size, @iova + (i + 1) * @page_size); bits are only
 * ever set, never cleared.
 *
 * Context: Process context.  May sleep.
 * Return: The bitmap, or ERR_PTR(-EINVAL) if @length is 0 or @page_size
 * is not an accepted power of two, ERR_PTR(-EOVERFLOW) if the range wraps,
 * ERR_PTR(-EFAULT) if the buffer is not a user address range, or
 * ERR_PTR(-ENOMEM).
 */
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data)
{
	struct iova_bitmap *bitmap;
	unsigned long last_iova, nbytes, slots, i;

	/*
	 * A bit standing for half the address space or more has no use and
	 * only ever came from fuzzers, where it broke shift arithmetic.
	 */
	if (!length || !is_power_of_2(page_size) || page_size > ULONG_MAX / 2)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(iova, length - 1, &last_iova))
		return ERR_PTR(-EOVERFLOW);

	bitmap = kzalloc(sizeof(*bitmap), GFP_KERNEL_ACCOUNT);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	bitmap->iova = iova;
	bitmap->last_iova = last_iova;
	bitmap->length = length;
	bitmap->pgshift = __ffs(page_size);
	bitmap->nbits = ((length - 1) >> bitmap->pgshift) + 1;
	bitmap->uaddr = (unsigned long)data;

	nbytes = bitmap->nbits / BITS_PER_BYTE +
		 !!(bitmap->nbits % BITS_PER_BYTE);
	if (!access_ok(data, nbytes)) {
		kfree(bitmap);
		return ERR_PTR(-EFAULT);
	}
	bitmap->upages = ((bitmap->uaddr + nbytes - 1) >> PAGE_SHIFT) -
			 (bitmap->uaddr >> PAGE_SHIFT) + 1;

	slots = roundup_pow_of_two(min(bitmap->upages, IOVA_BITMAP_MAX_SLOTS));
	bitmap->slot_mask = slots - 1;
	bitmap->slot_upage = kvmalloc_array(slots, sizeof(*bitmap->slot_upage),
					    GFP_KERNEL_ACCOUNT);
	bitmap->slot_page = kvmalloc_array(slots, sizeof(*bitmap->slot_page),
					   GFP_KERNEL_ACCOUNT);
	if (!bitmap->slot_upage || !bitmap->slot_page) {
		kvfree(bitmap->slot_upage);
		kvfree(bitmap->slot_page);
		kfree(bitmap);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < slots; i++)
		bitmap->slot_upage[i] = IOVA_BITMAP_NO_UPAGE;
	return bitmap;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_alloc, IOMMUFD);

/**
 * iova_bitmap_free() - Write pending records, unpin and free a bitmap.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 *
 * Records made since the last iova_bitmap_for_each() are written first;
 * an error doing so can no longer be reported, so callers record from
 * inside iova_bitmap_for_each().  Every page the bitmap pinned is
 * released and marked dirty.
 *
 * Context: Process context.  May sleep.
 */
void iova_bitmap_free(struct iova_bitmap *bitmap)
{
	unsigned long slot;

	flush_run(bitmap);
	for (slot = 0; slot <= bitmap->slot_mask; slot++)
		release_slot(bitmap, slot);
	kvfree(bitmap->slot_upage);
	kvfree(bitmap->slot_page);
	kfree(bitmap);
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_free, IOMMUFD);

/**
 * iova_bitmap_for_each() - Let a walker record dirty ranges of the bitmap.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @opaque: Cookie passed to @fn.
 * @fn: Walker, called once with the whole IOVA range of @bitmap.  It calls
 *      iova_bitmap_set() for each dirty range it finds, in any order.
 *
 * Context: Process context.  May sleep.  Calls on the same @bitmap, and
 * iova_bitmap_set() from other threads, must be serialized by the caller.
 * Return: The error @fn returned if any, else the first error met while
 * storing a record (-EFAULT or the error of pin_user_pages_fast() when a
 * bitmap page is not mapped writable), else 0.  Records made before an
 * error are still written where possible.
 */
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn)
{
	int ret;

	ret = fn(bitmap, bitmap->iova, bitmap->length, opaque);
	flush_run(bitmap);
	return ret ? ret : bitmap->err;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_for_each, IOMMUFD);

/**
 * iova_bitmap_set() - Record IOVA [@iova, @iova + @length) as dirty.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @iova: First dirty IOVA.
 * @length: Bytes of dirty IOVA space; 0 records nothing.
 *
 * Sets every bit whose page intersects the range.  The part of the range
 * outside the bitmap's IOVA range is ignored, so walkers may report whole
 * huge IOPTEs that straddle its ends.  The record may be buffered until
 * the next record, the end of iova_bitmap_for_each() or
 * iova_bitmap_free(); a failure to store it is reported by
 * iova_bitmap_for_each().
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 */
void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova,
		     size_t length)
{
	unsigned long last, first_bit, last_bit;

	if (!length || bitmap->err)
		return;
	if (check_add_overflow(iova, length - 1, &last))
		last = ULONG_MAX;
	if (last < bitmap->iova || iova > bitmap->last_iova)
		return;

	first_bit = (max(iova, bitmap->iova) - bitmap->iova) >> bitmap->pgshift;
	last_bit = (min(last, bitmap->last_iova) - bitmap->iova) >>
		   bitmap->pgshift;

	if (bitmap->run_pending && first_bit <= bitmap->run_last + 1 &&
	    last_bit + 1 >= bitmap->run_first) {
		bitmap->run_first = min(bitmap->run_first, first_bit);
		bitmap->run_last = max(bitmap->run_last, last_bit);
		return;
	}
	flush_run(bitmap);
	bitmap->run_pending = true;
	bitmap->run_first = first_bit;
	bitmap->run_last = last_bit;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_set, IOMMUFD);
