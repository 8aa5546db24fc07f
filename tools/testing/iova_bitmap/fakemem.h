/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fake user memory for the harness: a run of user pages at a fake address,
 * each page backed by its own heap block (so AddressSanitizer catches a
 * write that runs off a page), with per-page access, pin counts and fault
 * injection.
 */
#ifndef IOVA_BITMAP_FAKEMEM_H
#define IOVA_BITMAP_FAKEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum upage_access { UP_RW, UP_RO, UP_HOLE };

struct fakemem_faults {
	int short_pin;		/* >0: each pin call returns at most this many */
	long fail_pin_nth;	/* >0: the Nth pin call fails with -ENOMEM */
	bool fail_pins_after;	/* and every pin call after it (unmapped) */
	long fail_alloc_nth;	/* >0: the Nth allocation fails */
	int highmem_every;	/* >0: pages whose index is a multiple are highmem */
};

struct fakemem_stats {
	long pin_calls;
	long pages_pinned;	/* pins taken */
	long pins_held;		/* pins now held; 0 after free */
	long max_pins_held;
	long kmap_unpinned;	/* kmaps of a page that was not pinned */
	long double_pins;	/* pins of a page already pinned: one slot per page */
	long kmaps_held;
	long warnings;
	long allocs_held;
	long vma_lookups;
	long unlocked_lookups;	/* vma_lookup() without mmap_lock held */
};

/* Map @npages user pages at a fake page-aligned user address; returns it. */
unsigned long fakemem_map(size_t npages);
unsigned long fakemem_map_pages(size_t npages, bool contiguous);
void fakemem_unmap(void);
void fakemem_set_access(unsigned long uaddr, enum upage_access access);
/* A fatal signal pending: mmap_read_lock_killable() fails. */
void fakemem_set_killed(bool killed);
void fakemem_write(unsigned long uaddr, const void *src, size_t len);
void fakemem_read(unsigned long uaddr, void *dst, size_t len);
void fakemem_set_faults(const struct fakemem_faults *f);
extern struct fakemem_stats fakemem_stats;

#endif
