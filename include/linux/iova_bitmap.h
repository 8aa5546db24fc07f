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

#include <linux/types.h>
#include <linux/errno.h>

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
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data);
void iova_bitmap_free(struct iova_bitmap *bitmap);
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn);
void iova_bitmap_set(struct iova_bitmap *bitmap,
		     unsigned long iova, size_t length);
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
