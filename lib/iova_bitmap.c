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
 * - "off" values are IOVA offsets from the base, "bit" values are indices
 *   into the bitmap, "upage" values are indices of user pages counted from
 *   the page holding byte 0 of the bitmap.
 * - Ranges are inclusive ([first, last]) so that a range ending at
 *   ULONG_MAX needs no special case.
 * - Records are clipped to the bitmap's IOVA range; no byte outside the
 *   bitmap and no bit at or beyond nbits is ever written.
 * - Stores to the bitmap are plain byte ORs and memset(), marked as data
 *   races: the buffer is user memory, and user space may write it, or
 *   hand it to another ioctl, while a walk runs.  Its contents are then
 *   undefined; nothing in the kernel depends on them.
 * - Walkers make one call per dirty IOPTE, so the common cases cost no
 *   call at all: the inline iova_bitmap_set() in the header handles them
 *   through struct iova_bitmap_pending, and everything else comes to
 *   __iova_bitmap_set().  Records that touch or overlap the pending run
 *   extend it (one starting exactly where the run ends is handled inline);
 *   the run is written out when a record does not fit it (which becomes
 *   the new run), before iova_bitmap_for_each() returns and at
 *   iova_bitmap_free().
 * - User pages are pinned when a write first touches them and stay pinned
 *   in a direct-mapped table of slots until evicted or freed.  Nothing
 *   pins pages that no record touches.  The table starts small, so a
 *   bitmap that receives few records costs little, and grows when records
 *   jump back and forth, so unsorted streams do not unpin and re-pin the
 *   same pages.  A slot also holds the page's kernel address, so a record
 *   of one aligned page (of the bitmap's page size) in any pinned page is
 *   set inline, whatever the order records come in (a device's log is in
 *   the order the device wrote).  Pages without a permanent kernel
 *   mapping (highmem) are tagged so that the inline lookup misses them;
 *   the out-of-line path maps them for each write.
 * - The window caches the page the out-of-line path wrote last: its first
 *   bit's IOVA, its number of bits and the kernel address of its first
 *   byte.  A record of one aligned page in it costs a subtraction, a
 *   rotation and a compare before the store, so a walker reporting dirty
 *   pages in IOVA order runs at close to the cost of the stores.  Only
 *   the out-of-line path moves it: a walker entering a page it has not
 *   written yet misses the table, as one-page records pin one page.
 *   Moving it inline would make each record wait for the table lookup of
 *   the one before.
 * - Memory: at most IOVA_BITMAP_MAX_SLOTS user pages are pinned at once
 *   (16 MiB of bitmap with 4 KiB pages), and the table costs 24 bytes per
 *   slot (at most 96 KiB).  The window is part of struct iova_bitmap.
 * - Walkers clear the dirty state they report, so a record the library
 *   cannot store is lost for good.  Before the walker runs,
 *   iova_bitmap_for_each() checks that every page of the buffer lies in a
 *   mapping the kernel may pin for writing, without touching or pinning
 *   any of them: a bad buffer fails the walk before anything is cleared.
 * - A failure only a walk can meet (a pin failing under memory pressure, a
 *   concurrent munmap) is latched and iova_bitmap_for_each() returns it.
 *   Later records that the inline path takes still land in the pages
 *   already pinned (it does not look at the error); the others are
 *   dropped.
 * - A slot is emptied, and the window closed, before a page's pin is
 *   released, so the inline path never writes through a stale address.
 */
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/highmem.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/overflow.h>
#include <linux/secretmem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Slots of the table of pinned pages: at first, and at most; powers of two. */
#define IOVA_BITMAP_MIN_SLOTS	64UL
#define IOVA_BITMAP_MAX_SLOTS	4096UL
/* Most pages pinned by one call when a write enters unpinned pages. */
#define IOVA_BITMAP_PIN_BATCH	64UL

/*
 * The bit set in the tag of a page the inline path must not write
 * (highmem): no user page number has the top bit set.  A slot's tag is 0
 * when it is empty (tags are user page numbers plus one).
 */
#define SLOT_NOT_INLINE		BIT(BITS_PER_LONG - 1)

struct iova_bitmap {
	/* Read and written inline by iova_bitmap_set(); must come first. */
	struct iova_bitmap_pending pend;

	unsigned long last_off;		/* offset from pend.iova of its last IOVA */
	unsigned long nbytes;		/* bytes of user memory it spans */
	unsigned long uaddr;		/* user address of byte 0 */

	/*
	 * Pending run of bits [run_first, run_last].  While run_open, the run
	 * ends at IOVA pend.run_next - 1, clipped to the range, and run_last
	 * is derived from that: a record at pend.run_next just moves it.  The
	 * new value is computed from the record alone, so back-to-back
	 * records do not wait on each other's store.
	 */
	bool run_pending;
	bool run_open;
	unsigned long run_first;
	unsigned long run_last;

	int err;			/* first error, or 0 */

	unsigned long slot_limit;	/* most slots this bitmap can use */
	struct page **slot_page;	/* the page pinned in each used slot */
	unsigned long npinned;		/* slots holding a page */
};

static_assert(offsetof(struct iova_bitmap, pend) == 0);

static unsigned long upage_addr(const struct iova_bitmap *bitmap,
				unsigned long upage)
{
	return (bitmap->uaddr & PAGE_MASK) + (upage << PAGE_SHIFT);
}

static unsigned long byte_upage(const struct iova_bitmap *bitmap,
				unsigned long byte)
{
	return ((bitmap->uaddr + byte) >> PAGE_SHIFT) -
	       (bitmap->uaddr >> PAGE_SHIFT);
}

/* The tag of the user page at @addr: its page number plus one. */
static unsigned long addr_tag(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) + 1;
}

/* The slot of @upage: tags index the table, as inline. */
static unsigned long upage_slot(const struct iova_bitmap *bitmap,
				unsigned long upage)
{
	return addr_tag(upage_addr(bitmap, upage)) & bitmap->pend.slot_mask;
}

static bool slot_used(const struct iova_bitmap *bitmap, unsigned long slot)
{
	return bitmap->pend.slots[slot].tag;
}

/* The tag of the page a slot holds, highmem or not; 0 if it is empty. */
static unsigned long slot_tag(const struct iova_bitmap *bitmap,
			      unsigned long slot)
{
	return bitmap->pend.slots[slot].tag & ~SLOT_NOT_INLINE;
}

static bool slot_holds(const struct iova_bitmap *bitmap, unsigned long slot,
		       unsigned long upage)
{
	return slot_tag(bitmap, slot) == addr_tag(upage_addr(bitmap, upage));
}

/* Record the page just pinned into @slot for user address @addr. */
static void fill_slot(struct iova_bitmap *bitmap, unsigned long slot,
		      unsigned long addr)
{
	struct iova_bitmap_slot *s = &bitmap->pend.slots[slot];
	struct page *page = bitmap->slot_page[slot];

	if (PageHighMem(page)) {
		s->tag = addr_tag(addr) | SLOT_NOT_INLINE;
		return;
	}
	/* The inline path adds it to a user address biased by a page. */
	s->delta = (unsigned long)page_address(page) - (addr + PAGE_SIZE);
	s->tag = addr_tag(addr);
}

/* Make @slot's page the window; for a highmem page, an empty one. */
static void set_window(struct iova_bitmap *bitmap, unsigned long slot)
{
	const struct iova_bitmap_slot *s = &bitmap->pend.slots[slot];
	struct iova_bitmap_window *win = &bitmap->pend.win;
	/* The bitmap's bytes in the page, then its bits. */
	unsigned long addr = (s->tag - 1) << PAGE_SHIFT;
	unsigned long first = max(addr, bitmap->uaddr) - bitmap->uaddr;
	unsigned long last = min(addr + PAGE_SIZE,
				 bitmap->uaddr + bitmap->nbytes) - 1 -
			     bitmap->uaddr;

	win->nbits = 0;
	if (s->tag & SLOT_NOT_INLINE)
		return;
	win->kaddr = (u8 *)(bitmap->uaddr + first + PAGE_SIZE + s->delta);
	first *= BITS_PER_BYTE;
	last = min(last * BITS_PER_BYTE + BITS_PER_BYTE - 1,
		   bitmap->pend.nbits - 1);
	win->iova = bitmap->pend.iova + (first << bitmap->pend.pgshift);
	win->nbits = last - first + 1;
}

/*
 * Unpin the pages held by slots [@slot, @slot + @n): one call per stretch
 * of occupied slots, so a sequential stream releases whole batches, and
 * no further than the last pinned page.
 */
static void release_slots(struct iova_bitmap *bitmap, unsigned long slot,
			  unsigned long n)
{
	unsigned long end = slot + n, first;

	/* The window may lie in one of the pages: empty it. */
	bitmap->pend.win.nbits = 0;
	while (slot < end && bitmap->npinned) {
		while (slot < end && !slot_used(bitmap, slot))
			slot++;
		for (first = slot; slot < end && slot_used(bitmap, slot); slot++)
			bitmap->pend.slots[slot].tag = 0;
		if (slot == first)
			continue;
		/* The pages were written through the kernel mapping. */
		unpin_user_pages_dirty_lock(&bitmap->slot_page[first],
					    slot - first, true);
		bitmap->npinned -= slot - first;
	}
}

/* Give @bitmap an empty table of @slots slots; on failure, leave it be. */
static int alloc_slots(struct iova_bitmap *bitmap, unsigned long slots)
{
	struct iova_bitmap_slot *table;
	struct page **pages;

	table = kvzalloc_objs(*table, slots, GFP_KERNEL_ACCOUNT);
	pages = kvmalloc_objs(*pages, slots, GFP_KERNEL_ACCOUNT);
	if (!table || !pages) {
		kvfree(table);
		kvfree(pages);
		return -ENOMEM;
	}
	bitmap->pend.slots = table;
	bitmap->slot_page = pages;
	bitmap->pend.slot_mask = slots - 1;
	return 0;
}

/*
 * Move the pinned pages into a table eight times larger.  Pages keep their
 * pins; a page's slot is its user page number's low bits, so no two of
 * them collide.  Failing to grow is harmless: the table keeps evicting.
 */
static void grow_slots(struct iova_bitmap *bitmap)
{
	struct iova_bitmap_slot *old_table = bitmap->pend.slots;
	struct page **old_page = bitmap->slot_page;
	unsigned long old_mask = bitmap->pend.slot_mask;
	unsigned long slots = min((old_mask + 1) * 8, bitmap->slot_limit);
	unsigned long i, slot;

	if (alloc_slots(bitmap, slots))
		return;
	for (i = 0; i <= old_mask; i++) {
		if (!old_table[i].tag)
			continue;
		slot = old_table[i].tag & bitmap->pend.slot_mask;
		bitmap->pend.slots[slot] = old_table[i];
		bitmap->slot_page[slot] = old_page[i];
	}
	kvfree(old_table);
	kvfree(old_page);
}

/*
 * Pin @upage and as many following pages up to @last_upage as fit in
 * consecutive slots, evicting whatever those slots held.  Evicting a page
 * that lies after @upage means records went back: grow instead if allowed.
 * A failure is latched for iova_bitmap_for_each() and returned.
 */
static int pin_upages(struct iova_bitmap *bitmap, unsigned long upage,
		      unsigned long last_upage)
{
	unsigned long slot = upage_slot(bitmap, upage);
	unsigned long n, i;
	long pinned;

	if (slot_tag(bitmap, slot) > addr_tag(upage_addr(bitmap, upage)) &&
	    bitmap->pend.slot_mask + 1 < bitmap->slot_limit) {
		grow_slots(bitmap);
		slot = upage_slot(bitmap, upage);
	}
	n = min3(last_upage - upage + 1, IOVA_BITMAP_PIN_BATCH,
		 bitmap->pend.slot_mask + 1 - slot);
	release_slots(bitmap, slot, n);

	pinned = pin_user_pages_fast(upage_addr(bitmap, upage), n, FOLL_WRITE,
				     &bitmap->slot_page[slot]);
	if (pinned <= 0) {
		if (!pinned)
			pinned = -EFAULT;
		if (!bitmap->err)
			bitmap->err = pinned;
		return pinned;
	}
	for (i = 0; i < pinned; i++)
		fill_slot(bitmap, slot + i, upage_addr(bitmap, upage + i));
	bitmap->npinned += pinned;
	return 0;
}

/* The pinned page holding @upage, pinning up to @last_upage on a miss. */
static struct page *get_upage(struct iova_bitmap *bitmap, unsigned long upage,
			      unsigned long last_upage)
{
	unsigned long slot = upage_slot(bitmap, upage);
	int ret;

	if (!slot_holds(bitmap, slot, upage)) {
		ret = pin_upages(bitmap, upage, last_upage);
		if (ret)
			return ERR_PTR(ret);
		/* Pinning may have grown the table. */
		slot = upage_slot(bitmap, upage);
	}
	/* Records near this one then take the inline path. */
	set_window(bitmap, slot);
	return bitmap->slot_page[slot];
}

/*
 * Set bits [first, last] counted from bit 0 of @p[0], a byte of the user's
 * bitmap (see iova_bitmap_or_byte() for why the stores are data races).
 */
static void set_bits(u8 *p, unsigned long first, unsigned long last)
{
	unsigned long fbyte = first / BITS_PER_BYTE;
	unsigned long lbyte = last / BITS_PER_BYTE;
	u8 head = 0xff << (first % BITS_PER_BYTE);
	u8 tail = 0xff >> (BITS_PER_BYTE - 1 - last % BITS_PER_BYTE);

	if (fbyte == lbyte) {
		iova_bitmap_or_byte(p + fbyte, head & tail);
		return;
	}
	/* Whole bytes at either end go to memset, which then stays aligned. */
	if (head != 0xff)
		iova_bitmap_or_byte(p + fbyte++, head);
	if (tail != 0xff)
		iova_bitmap_or_byte(p + lbyte--, tail);
	/* Like iova_bitmap_or_byte(): the bytes are user memory. */
	data_race(memset(p + fbyte, 0xff, lbyte + 1 - fbyte));
}

/*
 * Write bits [first, last] into the user's bitmap, one user page at a time.
 * Return: 0, or the error that stopped it; the pages before it are written.
 */
static int write_bits(struct iova_bitmap *bitmap, unsigned long first,
		      unsigned long last)
{
	unsigned long last_upage = byte_upage(bitmap, last / BITS_PER_BYTE);

	/* Even after a failure: the run was recorded before it. */
	while (first <= last) {
		unsigned long addr = bitmap->uaddr + first / BITS_PER_BYTE;
		unsigned long offset = offset_in_page(addr);
		/* Last bit stored in this user page. */
		unsigned long page_last = first - first % BITS_PER_BYTE +
					  (PAGE_SIZE - offset) * BITS_PER_BYTE - 1;
		unsigned long chunk_last = min(last, page_last);
		unsigned long shift = first % BITS_PER_BYTE;
		struct page *page;
		u8 *kaddr;

		page = get_upage(bitmap, byte_upage(bitmap, first / BITS_PER_BYTE),
				 last_upage);
		if (IS_ERR(page))
			return PTR_ERR(page);
		kaddr = kmap_local_page(page);
		set_bits(kaddr + offset, shift, shift + chunk_last - first);
		kunmap_local(kaddr);
		first = chunk_last + 1;
	}
	return 0;
}

/* The pending run's last bit. */
static unsigned long run_last(const struct iova_bitmap *bitmap)
{
	const struct iova_bitmap_pending *pend = &bitmap->pend;

	if (!bitmap->run_open)
		return bitmap->run_last;
	/* run_next > iova: it starts past a record's end and never wraps. */
	return min(pend->run_next - 1 - pend->iova, bitmap->last_off) >>
	       pend->pgshift;
}

/* Make run_last exact and stop the cheap extension of the run. */
static void close_run_end(struct iova_bitmap *bitmap)
{
	bitmap->run_last = run_last(bitmap);
	bitmap->run_open = false;
	bitmap->pend.run_next = ULONG_MAX;
}

static void flush_run(struct iova_bitmap *bitmap)
{
	if (!bitmap->run_pending)
		return;
	close_run_end(bitmap);
	bitmap->run_pending = false;
	bitmap->pend.run_room = 0;
	/*
	 * A failure is latched.  It cannot meet a run iova_bitmap_record()
	 * grew: its pages are pinned, and nothing pins pages while it waits
	 * but the record that grows it (see pin_bits()).
	 */
	write_bits(bitmap, bitmap->run_first, bitmap->run_last);
}

/*
 * Let records starting at offset @last_off + 1 extend the run cheaply.
 * Called when the run's last bit is the one holding @last_off.
 */
static void open_run_end(struct iova_bitmap *bitmap, unsigned long last_off)
{
	/* A run ending at ULONG_MAX cannot be extended. */
	if (bitmap->pend.iova + last_off == ULONG_MAX)
		return;
	bitmap->run_open = true;
	bitmap->pend.run_next = bitmap->pend.iova + last_off + 1;
}

/*
 * Whether pin_user_pages_fast(FOLL_WRITE) accepts pages of @vma: GUP's own
 * test, less what only FOLL_FORCE and FOLL_LONGTERM pins look at.
 */
static bool vma_pinnable_for_write(struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_SHADOW_STACK))
		return false;
	if (vma_is_secretmem(vma))
		return false;
	return vma->vm_flags & VM_WRITE;
}

/*
 * Check that every byte of the buffer lies in a mapping writes can pin.
 * A walk over the VMAs costs the same for a 32 MiB bitmap as for one
 * byte, and unlike faulting the pages in, it neither allocates nor
 * pins pages that no record will touch.
 */
static int check_user_buffer(const struct iova_bitmap *bitmap)
{
	struct mm_struct *mm = current->mm;
	/* iova_bitmap_alloc() refused a buffer that wraps. */
	unsigned long addr = bitmap->uaddr, end = addr + bitmap->nbytes;
	struct vm_area_struct *vma;
	int ret = 0;

	if (!mm)
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma || !vma_pinnable_for_write(vma)) {
			ret = -EFAULT;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

/**
 * iova_bitmap_alloc() - Describe a user bitmap of an IOVA range.
 * @iova: First IOVA the bitmap covers; need not be aligned to @page_size.
 * @length: Bytes of IOVA space covered; need not be a multiple of @page_size.
 * @page_size: IOVA bytes one bit stands for; any power of two.
 * @data: User buffer of at least DIV_ROUND_UP(nbits, 8) bytes, where
 *        nbits = (@length - 1) / @page_size + 1.  Any alignment.
 *
 * Nothing is pinned or written here.  Bit i of @data stands for IOVA
 * [@iova + i * @page_size, @iova + (i + 1) * @page_size); bits are only
 * ever set, never cleared.
 *
 * Context: Process context.  May sleep.
 * Return: The bitmap, or ERR_PTR(-EINVAL) if @length is 0 or @page_size
 * is not a power of two, ERR_PTR(-EOVERFLOW) if the range wraps,
 * ERR_PTR(-EFAULT) if the buffer is not a user address range, or
 * ERR_PTR(-ENOMEM).
 */
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data)
{
	struct iova_bitmap *bitmap;
	unsigned long last_iova, upages, slots;

	/*
	 * Page sizes up to 2^(BITS_PER_LONG - 1) are valid, if odd: such a
	 * bitmap has one or two bits.  Nothing below shifts by BITS_PER_LONG.
	 */
	if (!length || !is_power_of_2(page_size))
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(iova, length - 1, &last_iova))
		return ERR_PTR(-EOVERFLOW);

	bitmap = kzalloc_obj(*bitmap, GFP_KERNEL_ACCOUNT);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	bitmap->pend.iova = iova;
	bitmap->pend.run_next = ULONG_MAX;	/* no run yet */
	bitmap->last_off = length - 1;
	bitmap->pend.pgshift = __ffs(page_size);
	bitmap->pend.nbits = ((length - 1) >> bitmap->pend.pgshift) + 1;
	bitmap->uaddr = (unsigned long)data;
	bitmap->pend.uaddr_biased = bitmap->uaddr + PAGE_SIZE;
	bitmap->nbytes = bitmap->pend.nbits / BITS_PER_BYTE +
			 !!(bitmap->pend.nbits % BITS_PER_BYTE);
	/*
	 * Where user space has an address space of its own (s390),
	 * access_ok() passes anything, a buffer that wraps included.
	 */
	if (bitmap->uaddr + bitmap->nbytes <= bitmap->uaddr ||
	    !access_ok(data, bitmap->nbytes)) {
		kfree(bitmap);
		return ERR_PTR(-EFAULT);
	}

	upages = byte_upage(bitmap, bitmap->nbytes - 1) + 1;
	bitmap->slot_limit = roundup_pow_of_two(min(upages,
						    IOVA_BITMAP_MAX_SLOTS));
	slots = min(bitmap->slot_limit, IOVA_BITMAP_MIN_SLOTS);
	if (alloc_slots(bitmap, slots)) {
		kfree(bitmap);
		return ERR_PTR(-ENOMEM);
	}
	return bitmap;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_alloc, "IOMMUFD");

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
	flush_run(bitmap);
	release_slots(bitmap, 0, bitmap->pend.slot_mask + 1);
	kvfree(bitmap->pend.slots);
	kvfree(bitmap->slot_page);
	kfree(bitmap);
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_free, "IOMMUFD");

/**
 * iova_bitmap_for_each() - Let a walker record dirty ranges of the bitmap.
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @opaque: Cookie passed to @fn.
 * @fn: Walker, called once with the whole IOVA range of @bitmap.  It calls
 *      iova_bitmap_set() for each dirty range it finds, in any order.
 *
 * Walkers clear the dirty state they report, so before calling @fn this
 * checks that every page of the user buffer lies in a mapping the kernel
 * may pin for writing (mapped, writable, not VM_IO or VM_PFNMAP, not
 * secret memory).  It looks only at the mappings: no page is faulted in,
 * pinned or written.  If the check fails, @fn is not called, so no dirty
 * state is consumed.
 *
 * A failure that only the walk itself can meet - the buffer unmapped or
 * made read-only by another thread after the check, a pin failing for
 * lack of memory, a hardware-poisoned page - is returned too.  A walker
 * that records with iova_bitmap_record() stops at it and loses nothing;
 * one that uses iova_bitmap_set() goes on, and the dirty state it cleared
 * for the records that could not be stored is lost.  Records stored
 * before the failure stay written.
 *
 * Context: Process context, in the task whose memory holds the buffer.
 * May sleep; takes mmap_lock for reading.  Calls on the same @bitmap, and
 * iova_bitmap_set() from other threads, must be serialized by the caller.
 * Return: -EFAULT if the buffer failed the check (@fn not called), -EINTR
 * if a fatal signal interrupted it, else the error @fn returned if any,
 * else the first error met while storing a record (-EFAULT or the error
 * of pin_user_pages_fast()), else 0.
 */
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn)
{
	int ret;

	ret = check_user_buffer(bitmap);
	if (ret)
		return ret;
	ret = fn(bitmap, bitmap->pend.iova, bitmap->last_off + 1, opaque);
	flush_run(bitmap);
	return ret ? ret : bitmap->err;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_for_each, "IOMMUFD");

/* Whether bits [@first_bit, @last_bit] overlap or touch the pending run. */
static bool run_touches(const struct iova_bitmap *bitmap,
			unsigned long first_bit, unsigned long last_bit)
{
	return first_bit <= run_last(bitmap) + 1 &&
	       last_bit + 1 >= bitmap->run_first;
}

/*
 * Add bits [@first_bit, @last_bit] to the pending run, which they touch,
 * or make them the run if none is pending; @last_off is the last IOVA
 * offset of the record.
 */
static void run_add(struct iova_bitmap *bitmap, unsigned long first_bit,
		    unsigned long last_bit, unsigned long last_off)
{
	if (!bitmap->run_pending) {
		bitmap->run_pending = true;
		bitmap->run_first = first_bit;
		bitmap->run_last = last_bit;
		open_run_end(bitmap, last_off);
		return;
	}
	close_run_end(bitmap);
	bitmap->run_first = min(bitmap->run_first, first_bit);
	if (last_bit >= bitmap->run_last) {
		bitmap->run_last = last_bit;
		open_run_end(bitmap, last_off);
	}
}

/* The number of user pages that bits [@first, @last] lie in. */
static unsigned long bits_upages(const struct iova_bitmap *bitmap,
				 unsigned long first, unsigned long last)
{
	return byte_upage(bitmap, last / BITS_PER_BYTE) -
	       byte_upage(bitmap, first / BITS_PER_BYTE) + 1;
}

/*
 * Pin the pages of bits [@first, @last] that are not pinned yet.  Each
 * stretch of missing pages goes to pin_upages(), which only evicts the
 * slots of the pages it pins: while no more pages than slots are asked
 * for, the pinned pages among them keep their pins, whatever fails.
 */
static int pin_bits(struct iova_bitmap *bitmap, unsigned long first,
		    unsigned long last)
{
	unsigned long upage = byte_upage(bitmap, first / BITS_PER_BYTE);
	unsigned long last_upage = byte_upage(bitmap, last / BITS_PER_BYTE);
	unsigned long end;
	int ret;

	while (upage <= last_upage) {
		if (slot_holds(bitmap, upage_slot(bitmap, upage), upage)) {
			upage++;
			continue;
		}
		for (end = upage; end < last_upage; end++)
			if (slot_holds(bitmap, upage_slot(bitmap, end + 1), end + 1))
				break;
		ret = pin_upages(bitmap, upage, end);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The last IOVA whose bit lies in the user page holding @bit, within the
 * range.  An overflow gives a smaller value, which is only less room.
 */
static unsigned long upage_room(const struct iova_bitmap *bitmap,
				unsigned long bit)
{
	unsigned long addr = bitmap->uaddr + bit / BITS_PER_BYTE;
	unsigned long last_byte = (addr | ~PAGE_MASK) - bitmap->uaddr;
	unsigned long last_bit = min(last_byte * BITS_PER_BYTE + BITS_PER_BYTE - 1,
				     bitmap->pend.nbits - 1);

	return bitmap->pend.iova +
	       min(((last_bit + 1) << bitmap->pend.pgshift) - 1, bitmap->last_off);
}

/*
 * Clip record [@iova, @iova + @length) to the bitmap's range.  Return
 * false if nothing of it is left, else true with the last IOVA offset it
 * covers in @last_off and its bits in [@first_bit, @last_bit].
 */
static bool clip_record(const struct iova_bitmap *bitmap, unsigned long iova,
			size_t length, unsigned long *last_off,
			unsigned long *first_bit, unsigned long *last_bit)
{
	unsigned long base = bitmap->pend.iova;
	unsigned long rlast;

	if (!length)
		return false;
	if (check_add_overflow(iova, length - 1, &rlast))
		rlast = ULONG_MAX;
	if (rlast < base || iova > base + bitmap->last_off)
		return false;
	*last_off = min(rlast - base, bitmap->last_off);
	*first_bit = (max(iova, base) - base) >> bitmap->pend.pgshift;
	*last_bit = *last_off >> bitmap->pend.pgshift;
	return true;
}

/**
 * __iova_bitmap_set() - The out-of-line part of iova_bitmap_set().
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @iova: First dirty IOVA.
 * @length: Bytes of dirty IOVA space; 0 records nothing.
 *
 * Takes any record, including those iova_bitmap_set() handles inline;
 * callers use iova_bitmap_set().
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 */
void __iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova,
		       size_t length)
{
	unsigned long last_off, first_bit, last_bit;

	if (bitmap->err ||
	    !clip_record(bitmap, iova, length, &last_off, &first_bit, &last_bit))
		return;

	if (bitmap->run_pending && !run_touches(bitmap, first_bit, last_bit))
		flush_run(bitmap);
	run_add(bitmap, first_bit, last_bit, last_off);
}
EXPORT_SYMBOL_NS_GPL(__iova_bitmap_set, "IOMMUFD");

/**
 * __iova_bitmap_record() - The out-of-line part of iova_bitmap_record().
 * @bitmap: Bitmap from iova_bitmap_alloc().
 * @iova: First dirty IOVA.
 * @length: Bytes of dirty IOVA space; 0 records nothing.
 *
 * Takes any record, including those iova_bitmap_record() stores inline;
 * callers use iova_bitmap_record().
 *
 * Context: Process context.  May sleep (it may pin user pages).  Not safe
 * against concurrent calls on the same @bitmap.
 * Return: As iova_bitmap_record().
 */
int __iova_bitmap_record(struct iova_bitmap *bitmap, unsigned long iova,
			 size_t length)
{
	unsigned long last_off, first_bit, last_bit;

	if (!clip_record(bitmap, iova, length, &last_off, &first_bit, &last_bit))
		return 0;
	unsigned long first = first_bit, last = last_bit;
	bool merge;
	int ret;

	/*
	 * The record joins the pending run only once every page the run
	 * then needs is pinned, so that writing it later cannot fail: the
	 * caller clears the dirty state as soon as this returns 0.  A run
	 * that would span more pages than the table holds is written first;
	 * a record that alone would is written at once.
	 */
	merge = bitmap->run_pending && run_touches(bitmap, first_bit, last_bit);
	if (merge) {
		first = min(bitmap->run_first, first_bit);
		last = max(run_last(bitmap), last_bit);
	}
	if (!merge ||
	    bits_upages(bitmap, first, last) > bitmap->pend.slot_mask + 1) {
		flush_run(bitmap);
		first = first_bit;
		last = last_bit;
		if (bits_upages(bitmap, first, last) > bitmap->pend.slot_mask + 1)
			return write_bits(bitmap, first, last);
	}
	ret = pin_bits(bitmap, first, last);
	if (ret)
		return ret;
	run_add(bitmap, first_bit, last_bit, last_off);
	bitmap->pend.run_room = bitmap->run_open ?
				upage_room(bitmap, bitmap->run_last) : 0;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(__iova_bitmap_record, "IOMMUFD");
