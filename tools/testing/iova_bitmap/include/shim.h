/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-ins for the kernel interfaces lib/iova_bitmap.c (and 7.3's
 * drivers/iommu/iommufd/iova_bitmap.c, for the baseline) use, so the real
 * .c compiles in user space.  User memory is simulated by fakemem.c.
 */
#ifndef IOVA_BITMAP_HARNESS_SHIM_H
#define IOVA_BITMAP_HARNESS_SHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The benchmark builds with KERNEL_MEMSET: memset() is then what x86-64
 * kernels run (rep stosb, at every size), not glibc's, for the libraries
 * and the floors alike.  Never in the tests: ASan checks glibc's memset.
 */
#ifdef KERNEL_MEMSET
static inline void *kernel_memset(void *s, int c, size_t n)
{
	void *d = s;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}
#define memset(s, c, n) kernel_memset(s, c, n)
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;

#define __user
#define __must_check
#define noinline __attribute__((noinline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define IS_ENABLED(option) option
#define CONFIG_IOMMUFD_DRIVER 1
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#define EXPORT_SYMBOL_GPL(sym)
#define might_sleep() do { } while (0)
/* Single-threaded: no race detector to tell. */
#define data_race(expr) (expr)
#define WARN_ON(x) ({ bool __w = !!(x); if (__w) shim_warn(__FILE__, __LINE__); __w; })
#define WARN_ON_ONCE(x) WARN_ON(x)

#undef static_assert
#define static_assert(expr, ...) _Static_assert(expr, #expr)

#define BITS_PER_BYTE 8
#define BITS_PER_LONG 64
#define BITS_PER_TYPE(t) (sizeof(t) * BITS_PER_BYTE)
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define ALIGN(x, a) (((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define PAGE_ALIGN(x) ALIGN(x, PAGE_SIZE)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BIT(n) (1UL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define min(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); __a < __b ? __a : __b; })
#define max(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); __a > __b ? __a : __b; })
#define min3(a, b, c) min(min(a, b), c)
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)

static inline u64 ror64(u64 word, unsigned int shift)
{
	return (word >> (shift & 63)) | (word << ((-shift) & 63));
}

static inline u8 rol8(u8 word, unsigned int shift)
{
	return (word << (shift & 7)) | (word >> ((-shift) & 7));
}

static inline u32 ror32(u32 word, unsigned int shift)
{
	return (word >> (shift & 31)) | (word << ((-shift) & 31));
}

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static inline unsigned long __ffs(unsigned long w)
{
	return __builtin_ctzl(w);
}

static inline unsigned long __fls(unsigned long w)
{
	return BITS_PER_LONG - 1 - __builtin_clzl(w);
}

static inline unsigned long __ffs64(u64 w)
{
	return __builtin_ctzll(w);
}

static inline int fls64(u64 w)
{
	return w ? 64 - __builtin_clzll(w) : 0;
}

#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))

static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (__fls(n - 1) + 1);
}

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE(ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* Allocation: failure injection lives in fakemem.c. */
#define GFP_KERNEL 0u
#define GFP_KERNEL_ACCOUNT 0u
void *shim_alloc(size_t size, bool zero);
void shim_free(const void *p);
#define kzalloc(size, gfp) shim_alloc(size, true)
#define kmalloc(size, gfp) shim_alloc(size, false)
#define kcalloc(n, size, gfp) shim_alloc((n) * (size), true)
#define kvmalloc_array(n, size, gfp) shim_alloc((n) * (size), false)
#define kvcalloc(n, size, gfp) shim_alloc((n) * (size), true)
#define kvzalloc(size, gfp) shim_alloc(size, true)
/*
 * 7.3's typed allocators: the first argument is a variable or a type, the
 * gfp flags are optional.  A count that overflows fails like the kernel's.
 */
static inline void *shim_alloc_objs(size_t n, size_t size, bool zero)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return shim_alloc(bytes, zero);
}
#define shim_objs(P, n, zero) \
	((typeof(P) *)shim_alloc_objs(n, sizeof(typeof(P)), zero))
#define kmalloc_obj(P, ...) shim_objs(P, 1, false)
#define kzalloc_obj(P, ...) shim_objs(P, 1, true)
#define kvmalloc_obj(P, ...) shim_objs(P, 1, false)
#define kvzalloc_obj(P, ...) shim_objs(P, 1, true)
#define kmalloc_objs(P, n, ...) shim_objs(P, n, false)
#define kzalloc_objs(P, n, ...) shim_objs(P, n, true)
#define kvmalloc_objs(P, n, ...) shim_objs(P, n, false)
#define kvzalloc_objs(P, n, ...) shim_objs(P, n, true)
#define kfree(p) shim_free(p)
#define kvfree(p) shim_free(p)
unsigned long __get_free_page(gfp_t gfp);
void free_page(unsigned long addr);

/* Pages and pins: see fakemem.c. */
struct page {
	u8 *kaddr;		/* this page's bytes, allocated on their own */
	int pins;
	bool highmem;		/* set at pin time, see fakemem_faults */
};
/*
 * Fake user pages are plain heap memory; a case may call some of them
 * highmem, which only kmap_local_page() may then reach.
 */
#define PageHighMem(page) ((page)->highmem)
#define page_address(page) ((page)->highmem ? NULL : (void *)(page)->kaddr)
#define FOLL_WRITE 0x01u
#define FOLL_LONGTERM 0x100u
long pin_user_pages_fast(unsigned long start, int nr_pages,
			 unsigned int gup_flags, struct page **pages);
void unpin_user_pages(struct page **pages, unsigned long npages);
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);
void unpin_user_page(struct page *page);
void *kmap_local_page(struct page *page);
void shim_kunmap(const void *addr);
#define kunmap_local(addr) shim_kunmap(addr)
bool access_ok(const void __user *addr, unsigned long size);

/*
 * Mappings: fakemem.c keeps one VMA per stretch of pages with the same
 * access, looked up by binary search as the maple tree would.
 */
#define VM_READ		0x01UL
#define VM_WRITE	0x02UL
#define VM_IO		0x4000UL
#define VM_PFNMAP	0x400UL
#define VM_SHADOW_STACK	0UL		/* as without X86_USER_SHADOW_STACK */
struct vm_area_struct {
	unsigned long vm_start, vm_end, vm_flags;
};
struct mm_struct {
	int lock_held;
};
struct task_struct {
	struct mm_struct *mm;
};
extern struct task_struct *current;
int mmap_read_lock_killable(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr);
static inline bool vma_is_secretmem(struct vm_area_struct *vma)
{
	return false;
}
void shim_warn(const char *file, int line);

/* Kernel bitmap helper the 7.3 baseline uses: whole words at a time. */
static inline void bitmap_set(unsigned long *map, unsigned int start,
			      unsigned int nbits)
{
	unsigned long *p = map + start / BITS_PER_LONG;
	unsigned int head = start % BITS_PER_LONG;

	if (!nbits)
		return;
	if (head + nbits <= BITS_PER_LONG) {
		*p |= (~0UL >> (BITS_PER_LONG - nbits)) << head;
		return;
	}
	*p++ |= ~0UL << head;
	nbits -= BITS_PER_LONG - head;
	for (; nbits >= BITS_PER_LONG; nbits -= BITS_PER_LONG)
		*p++ = ~0UL;
	if (nbits)
		*p |= ~0UL >> (BITS_PER_LONG - nbits);
}

#endif
