// SPDX-License-Identifier: GPL-2.0
/* Fake user memory and the kernel calls that reach it; see fakemem.h. */
#include <assert.h>
#include <stdio.h>

#include "include/shim.h"
#include "fakemem.h"

/*
 * Under ASan, a page nobody has pinned is poisoned, so the library writing
 * to one (say through a kernel address it kept past the unpin) is caught
 * on the spot.  The harness's own accesses unpoison around themselves.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define poison(page)	ASAN_POISON_MEMORY_REGION((page)->kaddr, PAGE_SIZE)
#define unpoison(page)	ASAN_UNPOISON_MEMORY_REGION((page)->kaddr, PAGE_SIZE)
#else
#define poison(page)	do { } while (0)
#define unpoison(page)	do { } while (0)
#endif

#define FAKE_USER_BASE	0x7f1200000000UL	/* any page-aligned user address */
#define FAKE_TASK_SIZE	(1UL << 47)

struct upage {
	struct page page;
	enum upage_access access;
};

static struct upage *upages;
static size_t nupages;
static struct vm_area_struct *vmas;	/* sorted, over the mapped pages */
static size_t nvmas;
static bool killed;
static struct mm_struct fake_mm;
static struct task_struct fake_task = { .mm = &fake_mm };
struct task_struct *current = &fake_task;
static struct fakemem_faults faults;
static long alloc_calls;
struct fakemem_stats fakemem_stats;

/* One VMA per stretch of pages with the same access; holes get none. */
static void build_vmas(void)
{
	size_t i, j;

	free(vmas);
	vmas = calloc(nupages ? nupages : 1, sizeof(*vmas));
	assert(vmas);
	nvmas = 0;
	for (i = 0; i < nupages; i = j) {
		for (j = i + 1; j < nupages && upages[j].access == upages[i].access; j++)
			;
		if (upages[i].access == UP_HOLE)
			continue;
		vmas[nvmas].vm_start = FAKE_USER_BASE + i * PAGE_SIZE;
		vmas[nvmas].vm_end = FAKE_USER_BASE + j * PAGE_SIZE;
		vmas[nvmas].vm_flags = VM_READ |
				       (upages[i].access == UP_RW ? VM_WRITE : 0);
		nvmas++;
	}
}

static u8 *contiguous_block;

/*
 * Pages are page-aligned, like the memory behind a kernel page_address().
 * The harness allocates each on its own, so that a write running off the
 * end of one page's kernel address does not land, unnoticed, in the next
 * user page; the benchmark asks for one block (@contiguous), laid out like
 * the plain buffer its floors write.
 */
unsigned long fakemem_map_pages(size_t npages, bool contiguous)
{
	size_t i;

	fakemem_unmap();
	upages = calloc(npages, sizeof(*upages));
	assert(upages);
	if (contiguous) {
		contiguous_block = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
		assert(contiguous_block);
	}
	for (i = 0; i < npages; i++) {
		upages[i].page.kaddr = contiguous ?
			contiguous_block + i * PAGE_SIZE :
			aligned_alloc(PAGE_SIZE, PAGE_SIZE);
		assert(upages[i].page.kaddr);
		poison(&upages[i].page);
	}
	nupages = npages;
	build_vmas();
	killed = false;
	memset(&fakemem_stats, 0, sizeof(fakemem_stats));
	memset(&faults, 0, sizeof(faults));
	alloc_calls = 0;
	return FAKE_USER_BASE;
}

unsigned long fakemem_map(size_t npages)
{
	return fakemem_map_pages(npages, false);
}

void fakemem_unmap(void)
{
	size_t i;

	for (i = 0; i < nupages; i++) {
		unpoison(&upages[i].page);
		if (!contiguous_block)
			free(upages[i].page.kaddr);
	}
	free(contiguous_block);
	contiguous_block = NULL;
	free(upages);
	upages = NULL;
	nupages = 0;
	free(vmas);
	vmas = NULL;
	nvmas = 0;
}

static struct upage *lookup(unsigned long uaddr)
{
	unsigned long idx;

	if (uaddr < FAKE_USER_BASE)
		return NULL;
	idx = (uaddr - FAKE_USER_BASE) >> PAGE_SHIFT;
	return idx < nupages ? &upages[idx] : NULL;
}

void fakemem_set_access(unsigned long uaddr, enum upage_access access)
{
	struct upage *up = lookup(uaddr);

	assert(up);
	up->access = access;
	build_vmas();
}

void fakemem_set_killed(bool k)
{
	killed = k;
}

int mmap_read_lock_killable(struct mm_struct *mm)
{
	if (killed)
		return -EINTR;
	mm->lock_held++;
	return 0;
}

void mmap_read_unlock(struct mm_struct *mm)
{
	if (mm->lock_held-- <= 0)
		fakemem_stats.warnings++;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	size_t lo = 0, hi = nvmas;

	fakemem_stats.vma_lookups++;
	if (mm->lock_held <= 0)
		fakemem_stats.unlocked_lookups++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr >= vmas[mid].vm_end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nvmas && addr >= vmas[lo].vm_start)
		return &vmas[lo];
	return NULL;
}

void fakemem_write(unsigned long uaddr, const void *src, size_t len)
{
	const u8 *s = src;

	while (len) {
		struct upage *up = lookup(uaddr);
		size_t n = min(len, PAGE_SIZE - offset_in_page(uaddr));

		assert(up);
		unpoison(&up->page);
		memcpy(up->page.kaddr + offset_in_page(uaddr), s, n);
		if (up->page.pins <= 0)
			poison(&up->page);
		uaddr += n;
		s += n;
		len -= n;
	}
}

void fakemem_read(unsigned long uaddr, void *dst, size_t len)
{
	u8 *d = dst;

	while (len) {
		struct upage *up = lookup(uaddr);
		size_t n = min(len, PAGE_SIZE - offset_in_page(uaddr));

		assert(up);
		unpoison(&up->page);
		memcpy(d, up->page.kaddr + offset_in_page(uaddr), n);
		if (up->page.pins <= 0)
			poison(&up->page);
		uaddr += n;
		d += n;
		len -= n;
	}
}

void fakemem_set_faults(const struct fakemem_faults *f)
{
	faults = *f;
}

long pin_user_pages_fast(unsigned long start, int nr_pages,
			 unsigned int gup_flags, struct page **pages)
{
	long i;

	fakemem_stats.pin_calls++;
	if (current->mm->lock_held)	/* GUP takes mmap_lock itself */
		fakemem_stats.warnings++;
	if (faults.fail_pin_nth &&
	    (faults.fail_pins_after ? fakemem_stats.pin_calls >= faults.fail_pin_nth :
				      fakemem_stats.pin_calls == faults.fail_pin_nth))
		return -ENOMEM;
	if (nr_pages <= 0)
		return -EINVAL;
	start &= PAGE_MASK;	/* as GUP does */
	if (faults.short_pin && nr_pages > faults.short_pin)
		nr_pages = faults.short_pin;
	for (i = 0; i < nr_pages; i++) {
		struct upage *up = lookup(start + i * PAGE_SIZE);

		if (!up || up->access == UP_HOLE ||
		    (up->access == UP_RO && (gup_flags & FOLL_WRITE)))
			break;
		if (up->page.pins)
			fakemem_stats.double_pins++;
		if (!up->page.pins++)
			unpoison(&up->page);
		up->page.highmem = faults.highmem_every &&
				   (up - upages) % faults.highmem_every == 0;
		pages[i] = &up->page;
		fakemem_stats.pages_pinned++;
		fakemem_stats.pins_held++;
	}
	if (fakemem_stats.pins_held > fakemem_stats.max_pins_held)
		fakemem_stats.max_pins_held = fakemem_stats.pins_held;
	return i ? i : -EFAULT;
}

void unpin_user_page(struct page *page)
{
	if (page->pins <= 0) {
		fakemem_stats.warnings++;
		return;
	}
	if (!--page->pins)
		poison(page);
	fakemem_stats.pins_held--;
}

void unpin_user_pages(struct page **pages, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		unpin_user_page(pages[i]);
}

void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	unpin_user_pages(pages, npages);
}

void *kmap_local_page(struct page *page)
{
	if (page->pins <= 0)
		fakemem_stats.kmap_unpinned++;
	fakemem_stats.kmaps_held++;
	return page->kaddr;
}

void shim_kunmap(const void *addr)
{
	fakemem_stats.kmaps_held--;
}

bool access_ok(const void __user *addr, unsigned long size)
{
	unsigned long a = (unsigned long)addr;

	return size <= FAKE_TASK_SIZE && a <= FAKE_TASK_SIZE - size;
}

void *shim_alloc(size_t size, bool zero)
{
	void *p;

	alloc_calls++;
	if (faults.fail_alloc_nth && alloc_calls == faults.fail_alloc_nth)
		return NULL;
	p = zero ? calloc(1, size ? size : 1) : malloc(size ? size : 1);
	if (p)
		fakemem_stats.allocs_held++;
	return p;
}

void shim_free(const void *p)
{
	if (!p)
		return;
	fakemem_stats.allocs_held--;
	free((void *)p);
}

unsigned long __get_free_page(gfp_t gfp)
{
	void *p = shim_alloc(PAGE_SIZE, false);

	return (unsigned long)p;
}

void free_page(unsigned long addr)
{
	shim_free((void *)addr);
}

void shim_warn(const char *file, int line)
{
	fakemem_stats.warnings++;
	fprintf(stderr, "WARN at %s:%d\n", file, line);
}
