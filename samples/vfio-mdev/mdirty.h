/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The test interface of the mdirty sample (samples/vfio-mdev/mdirty.c):
 * two ioctls of its vfio device fd that let a test play the device.  Test
 * ABI, like drivers/iommu/iommufd/iommufd_test.h: the selftests include
 * this file by its path in the tree; nothing installs it.
 *
 * MDIRTY_DMA_WRITE takes a struct mdirty_dma: "the device wrote
 * [iova, iova + length)".  The range must lie inside one range given to
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_START, @flags must be 0 and @argsz at
 * least sizeof(struct mdirty_dma).  The log holds MDIRTY_MAX_WRITES
 * writes.  Errors: EINVAL for a bad argument, for no logging or for a
 * range outside the tracked ones; ENOSPC when the log is full; EFAULT.
 *
 * MDIRTY_SET_MODE takes an enum mdirty_mode as its argument (not a
 * pointer): how the next REPORTs give the log to the bitmap.  EINVAL for
 * any other value.  A new open of the device starts in MDIRTY_MODE_RANGES.
 */
#ifndef _SAMPLES_VFIO_MDEV_MDIRTY_H
#define _SAMPLES_VFIO_MDEV_MDIRTY_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/vfio.h>

struct mdirty_dma {
	__u32 argsz;
	__u32 flags;
	__u64 iova;
	__u64 length;
};

/**
 * enum mdirty_mode - how REPORT gives the log to the bitmap
 * @MDIRTY_MODE_RANGES: like mlx5: one record per written range, in the order
 *	written, in pieces of at most 2 MiB; a range that touches the queried
 *	window is reported whole, overshooting it on either side.
 * @MDIRTY_MODE_PAGES: like pds: one record per dirty page at the page size of
 *	START, in ascending order.
 *
 * In both modes only the part of the log inside the window leaves it.
 */
enum mdirty_mode {
	MDIRTY_MODE_RANGES,
	MDIRTY_MODE_PAGES,
};

#define MDIRTY_MAX_WRITES	4096

/* Far above the numbers of the VFIO core's own ioctls. */
#define MDIRTY_DMA_WRITE	_IO(VFIO_TYPE, VFIO_BASE + 96)
#define MDIRTY_SET_MODE		_IO(VFIO_TYPE, VFIO_BASE + 97)

#endif /* _SAMPLES_VFIO_MDEV_MDIRTY_H */
