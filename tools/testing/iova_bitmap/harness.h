/* SPDX-License-Identifier: GPL-2.0 */
/* Case generation, the reference model and checking; see harness.c. */
#ifndef IOVA_BITMAP_HARNESS_H
#define IOVA_BITMAP_HARNESS_H

#include <stdio.h>
#include "include/shim.h"
#include "fakemem.h"

/* make baseline builds the harness over 7.3's library with -DHARNESS_STOCK. */
#ifdef HARNESS_STOCK
#define HARNESS_CHECKED_WALKS 0
#else
#define HARNESS_CHECKED_WALKS 1
#endif

struct rng {
	u64 state;
	const u8 *data;		/* fuzzer input, used instead while it lasts */
	size_t len;
};

struct hrec {
	unsigned long iova;
	unsigned long length;
};

struct hcase {
	unsigned long iova, length, page_size;
	unsigned long uoff;		/* bitmap offset into its first page */
	unsigned long data;		/* user address of the bitmap */
	bool fill_random, guard_random;
	u64 seed;			/* for the memory contents */
	struct hrec *rec;
	size_t nrec, cap;
	int walker_error;
	unsigned int bad_page;		/* 1-based bitmap page made unpinnable */
	enum upage_access bad_access;
	long fail_pin_nth, fail_alloc_nth;
	int short_pin;
	int highmem_every;		/* see struct fakemem_faults */
	bool killed;			/* a fatal signal is pending */
	bool slot_clash;		/* records evict the page written last */
	bool checked;			/* walker uses iova_bitmap_record() */
	bool fail_pins_after;		/* pins fail from fail_pin_nth on */
};

enum fail_kind {
	FK_NONE,
	FK_ALLOC_ACCEPTS_BAD,
	FK_ALLOC_WRONG_ERRNO,
	FK_ALLOC_REFUSES_GOOD,
	FK_GUARD_WRITTEN,
	FK_EXTRA_BITS,
	FK_MISSING_BITS,
	FK_SILENT_LOSS,
	FK_WRONG_ERROR,
	FK_PINS_LEAKED,
	FK_KMAP_UNPINNED,
	FK_MEM_LEAK,
	FK_WARN,
	FK_WALKER_CALLS,
	FK_CRASH,
	FK_HANG,
	FK_DOUBLE_PIN,
	FK_ACCEPTED_LOST,
	FK_NR
};

struct case_result {
	enum fail_kind kind;
	char detail[160];
	int ret;
	long max_pins, pin_calls;
};

extern const char *const fail_kind_name[FK_NR];

u64 rng_next(struct rng *r);
void case_generate(struct rng *r, struct hcase *c);
void case_free(struct hcase *c);
unsigned long case_nbits(const struct hcase *c);
enum fail_kind case_run(struct hcase *c, struct case_result *res, bool verbose);
void case_print(FILE *f, const struct hcase *c);

#endif
