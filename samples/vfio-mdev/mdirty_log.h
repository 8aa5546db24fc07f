/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dirty log of the mdirty samples: what the device wrote since the last
 * REPORT, given to VFIO's DMA logging the way mlx5 or pds report theirs
 * (enum mdirty_mode in mdirty.h).  Included by mdirty.c, whose writes a test
 * scripts, and by mdirty_vmm.c, whose writes are real DMA into a VM.
 *
 * Not locked: the device serializes every call under its own lock.
 */
#ifndef _SAMPLES_VFIO_MDEV_MDIRTY_LOG_H
#define _SAMPLES_VFIO_MDEV_MDIRTY_LOG_H

#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "mdirty.h"

/* Longest record of MDIRTY_MODE_RANGES, as mlx5's tracker reports. */
#define MDIRTY_MAX_RECORD	SZ_2M

struct mdirty_range {
	unsigned long first;
	unsigned long last;	/* inclusive: ranges may end at ULONG_MAX */
};

struct mdirty_log {
	enum mdirty_mode mode;
	bool on;
	unsigned int pgshift;		/* of the page size START settled on */
	struct mdirty_range *tracked;	/* ranges given to START */
	u32 ntracked;
	struct mdirty_range *writes;	/* written, not yet reported; in order */
	u32 nwrites;
};

/* What one REPORT gave the bitmap. */
struct mdirty_tally {
	u64 records;
	u64 pages;
};

static void mdirty_log_end(struct mdirty_log *log)
{
	kvfree(log->writes);
	log->writes = NULL;
	log->nwrites = 0;
	kfree(log->tracked);
	log->tracked = NULL;
	log->ntracked = 0;
	log->on = false;
}

/* START: tracks @ranges at *@page_size, which it may round to 4K. */
static int mdirty_log_begin(struct mdirty_log *log,
			    struct rb_root_cached *ranges, u32 nnodes,
			    u64 *page_size)
{
	struct interval_tree_node *node;
	u32 i = 0;

	if (log->on)
		return -EBUSY;
	/* The size is a hint: replace one no device could track at. */
	if (*page_size < SZ_4K || !is_power_of_2(*page_size))
		*page_size = SZ_4K;
	log->tracked = kcalloc(nnodes, sizeof(*log->tracked), GFP_KERNEL);
	if (!log->tracked)
		return -ENOMEM;
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX);
	     node && i < nnodes; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		log->tracked[i].first = node->start;
		log->tracked[i++].last = node->last;
	}
	log->ntracked = i;
	log->pgshift = __ffs64(*page_size);
	log->on = true;
	return 0;
}

static bool mdirty_log_tracks(struct mdirty_log *log, unsigned long first,
			      unsigned long last)
{
	u32 i;

	for (i = 0; i < log->ntracked; i++)
		if (first >= log->tracked[i].first && last <= log->tracked[i].last)
			return true;
	return false;
}

/* Logs a write of [first, last], which must lie in one tracked range. */
static int mdirty_log_add(struct mdirty_log *log, unsigned long first,
			  unsigned long last)
{
	struct mdirty_range *w;

	if (!log->on || !mdirty_log_tracks(log, first, last))
		return -EINVAL;
	if (log->nwrites >= MDIRTY_MAX_WRITES)
		return -ENOSPC;
	w = kvrealloc(log->writes, (log->nwrites + 1) * sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w[log->nwrites].first = first;
	w[log->nwrites++].last = last;
	log->writes = w;
	return 0;
}

/* Pages of [first, first + len) inside [wfirst, wlast]: the bits it sets. */
static u64 mdirty_pages_in(struct mdirty_log *log, unsigned long first,
			   unsigned long len, unsigned long wfirst,
			   unsigned long wlast)
{
	unsigned long lo = max(first, wfirst);
	unsigned long hi = min(first + (len - 1), wlast);

	return lo > hi ? 0 : (hi >> log->pgshift) - (lo >> log->pgshift) + 1;
}

static void mdirty_record(struct mdirty_log *log, struct iova_bitmap *dirty,
			  unsigned long iova, unsigned long len,
			  unsigned long first, unsigned long last,
			  struct mdirty_tally *tally)
{
	iova_bitmap_set(dirty, iova, len);
	tally->records++;
	tally->pages += mdirty_pages_in(log, iova, len, first, last);
}

/* One record per write touching [first, last], whole, at most 2M each. */
static void mdirty_report_ranges(struct mdirty_log *log, unsigned long first,
				 unsigned long last, struct iova_bitmap *dirty,
				 struct mdirty_tally *tally)
{
	u32 i;

	for (i = 0; i < log->nwrites; i++) {
		struct mdirty_range r = log->writes[i];
		unsigned long len;

		if (r.last < first || r.first > last)
			continue;
		for (;;) {
			/* Cannot wrap: START ranges end below ULONG_MAX. */
			len = min_t(unsigned long, r.last - r.first + 1, MDIRTY_MAX_RECORD);
			mdirty_record(log, dirty, r.first, len, first, last, tally);
			if (r.last - r.first < len)
				break;
			r.first += len;
		}
		cond_resched();
	}
}

static int mdirty_cmp_range(const void *a, const void *b)
{
	const struct mdirty_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* One record per dirty page touching [first, last], ascending. */
static int mdirty_report_pages(struct mdirty_log *log, unsigned long first,
			       unsigned long last, struct iova_bitmap *dirty,
			       struct mdirty_tally *tally)
{
	unsigned int shift = log->pgshift;
	struct mdirty_range *in;
	u64 pg, next = 0;
	u32 i, n = 0;

	in = kvmalloc_array(log->nwrites, sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	for (i = 0; i < log->nwrites; i++) {
		if (log->writes[i].last < first || log->writes[i].first > last)
			continue;
		in[n].first = max(log->writes[i].first, first) >> shift;
		in[n++].last = min(log->writes[i].last, last) >> shift;
	}
	sort(in, n, sizeof(*in), mdirty_cmp_range, NULL);
	/* Page numbers, so that a page at the top of the IOVA space cannot wrap. */
	for (i = 0; i < n; i++) {
		for (pg = max_t(u64, in[i].first, next); pg <= in[i].last; pg++) {
			mdirty_record(log, dirty, pg << shift, 1UL << shift,
				      first, last, tally);
			if (!(pg % 1024))
				cond_resched();
		}
		next = max_t(u64, next, (u64)in[i].last + 1);
	}
	kvfree(in);
	return 0;
}

/*
 * Drops [first, last] from the log; what is left of each write stays.
 * @left has room for two pieces of each write.
 */
static void mdirty_clear(struct mdirty_log *log, unsigned long first,
			 unsigned long last, struct mdirty_range *left)
{
	u32 i, n = 0;

	for (i = 0; i < log->nwrites; i++) {
		struct mdirty_range r = log->writes[i];

		if (r.last < first || r.first > last) {
			left[n++] = r;
			continue;
		}
		if (r.first < first)
			left[n++] = (struct mdirty_range){ r.first, first - 1 };
		if (r.last > last)
			left[n++] = (struct mdirty_range){ last + 1, r.last };
	}
	kvfree(log->writes);
	log->writes = left;
	log->nwrites = n;
}

/* REPORT of [iova, iova + length): records into @dirty, then clears. */
static int mdirty_log_report(struct mdirty_log *log, unsigned long iova,
			     unsigned long length, struct iova_bitmap *dirty,
			     struct mdirty_tally *tally)
{
	struct mdirty_range *left;
	unsigned long last;
	int ret = 0;

	if (!length || check_add_overflow(iova, length - 1, &last) || !log->on)
		return -EINVAL;
	if (!log->nwrites)
		return 0;
	/* Allocated first: what was reported must leave the log. */
	left = kvmalloc_array(log->nwrites, 2 * sizeof(*left), GFP_KERNEL);
	if (!left)
		return -ENOMEM;
	if (log->mode == MDIRTY_MODE_PAGES)
		ret = mdirty_report_pages(log, iova, last, dirty, tally);
	else
		mdirty_report_ranges(log, iova, last, dirty, tally);
	if (ret) {
		kvfree(left);
		return ret;
	}
	mdirty_clear(log, iova, last, left);
	return 0;
}

#endif /* _SAMPLES_VFIO_MDEV_MDIRTY_LOG_H */
