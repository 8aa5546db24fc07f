/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What generic_pt needs on top of ../../include/shim.h (the stand-ins the
 * iova_bitmap harness already has) to compile in user space: compiler
 * helpers, once-accesses and atomics, bit fields, lists, a spinlock that
 * never contends, identity physical addresses and page-table memory.
 * Every stand-in header in include/linux/ includes this one.
 *
 * Everything here is written for this harness; the semantics are those
 * of the kernel interfaces of the same names as generic_pt uses them.
 */
#ifndef PT_HARNESS_SHIM_H
#define PT_HARNESS_SHIM_H

#include "../../include/shim.h"

/* The configuration generic_pt is built for: x86-64, SMP, no debug. */
#define CONFIG_X86 1
#define CONFIG_SMP 1
#define CONFIG_IOMMU_PT 1
#define CONFIG_DEBUG_GENERIC_PT 0

typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned long pgoff_t;
typedef struct { int counter; } atomic_t;

/* glibc's <sys/cdefs.h> may have defined it already, to the same effect. */
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define __maybe_unused __attribute__((__unused__))

#define ___pt_paste(a, b) a##b
#define CONCATENATE(a, b) ___pt_paste(a, b)
#define ___pt_str(x) #x
#define __stringify(x) ___pt_str(x)

#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)
#define BIT_ULL(n) (1ULL << (n))
#define GENMASK(h, l) ((~0UL << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))

/* The module boilerplate at the end of iommu_pt.h: nothing to do. */
#define MODULE_LICENSE(s) _Static_assert(1, s)
#define MODULE_DESCRIPTION(s) _Static_assert(1, s)
#define MODULE_IMPORT_NS(s) _Static_assert(1, s)
#define BUILD_BUG() _Static_assert(0, "BUILD_BUG")

/* Single, untorn accesses, as the kernel's, by a volatile lvalue. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) \
	do { *(volatile __typeof__(x) *)&(x) = (v); } while (0)

/* x86-64 orders stores to memory: a compiler barrier is enough. */
#define barrier() __asm__ __volatile__("" : : : "memory")
#define dma_wmb() barrier()

/* Compare-and-exchange that updates *oldp on failure, like the kernel's. */
#define pt_shim_try_cmpxchg(p, oldp, new, order) \
	__atomic_compare_exchange_n(p, oldp, new, false, order, __ATOMIC_RELAXED)
#define try_cmpxchg64(p, oldp, new) pt_shim_try_cmpxchg(p, oldp, new, __ATOMIC_SEQ_CST)
#define try_cmpxchg64_release(p, oldp, new) pt_shim_try_cmpxchg(p, oldp, new, __ATOMIC_RELEASE)
#define try_cmpxchg_release(p, oldp, new) pt_shim_try_cmpxchg(p, oldp, new, __ATOMIC_RELEASE)

/* Bit fields in a u64 register value, selected by a constant mask. */
#define __bf_shf(mask) __builtin_ctzll(mask)
#define FIELD_GET(mask, reg) \
	((u64)(((u64)(reg) & (u64)(mask)) >> __bf_shf(mask)))
#define FIELD_PREP(mask, val) \
	((((u64)(val)) << __bf_shf(mask)) & (u64)(mask))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Only ever applied to constants here; folds at compile time. */
#define ilog2(n) ((int)(63 - __builtin_clzll((unsigned long long)(n))))

static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static inline unsigned long ffz(unsigned long x)
{
	return __builtin_ctzl(~x);
}

static inline void *memset64(u64 *p, u64 v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = v;
	return p;
}

/* Set every byte of *obj after member to v. */
#define memset_after(obj, v, member)                                      \
	memset((u8 *)&(obj)->member + sizeof((obj)->member), v,             \
	       sizeof(*(obj)) - offsetof(__typeof__(*(obj)), member) -      \
		       sizeof((obj)->member))

/* Doubly linked lists: only what iommu-pages.h and the gather use. */
struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/* Move the entries of @from to the front of @to; @from is left stale. */
static inline void list_splice(const struct list_head *from,
			       struct list_head *to)
{
	struct list_head *first = from->next, *last = from->prev;

	if (list_empty(from))
		return;
	first->prev = to;
	last->next = to->next;
	to->next->prev = last;
	to->next = first;
}

/* One thread: the lock only has to be taken and released. */
typedef struct { int locked; } spinlock_t;
#define spin_lock_init(l) ((l)->locked = 0)
#define spin_lock_irqsave(l, flags) ((flags) = 0, (l)->locked = 1)
#define spin_unlock_irqrestore(l, flags) ((void)(flags), (l)->locked = 0)

/*
 * Physical addresses are user virtual addresses (below 2^47, so the AMD
 * format's 52-bit address field holds them).
 */
#define virt_to_phys(p) ((phys_addr_t)(uintptr_t)(p))
#define __va(pa) ((void *)(uintptr_t)(pa))

/*
 * Page-table memory (pt_mem.c): tables come from one arena, and each 4 KiB
 * page of it has a descriptor, the struct folio iommu-pages.h overlays
 * with its list of pages to free.
 */
struct folio {
	unsigned long words[8];		/* the size of a struct page */
};
struct folio *virt_to_folio(const void *virt);

#define NUMA_NO_NODE (-1)

struct device;

#endif
