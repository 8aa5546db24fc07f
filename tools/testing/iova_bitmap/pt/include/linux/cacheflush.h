/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see ../pt_shim.h. */
#ifndef _LINUX_CACHEFLUSH_H
#define _LINUX_CACHEFLUSH_H
#include "../pt_shim.h"

/* Only for PT_FEAT_DMA_INCOHERENT, which no table here has. */
static inline void clflush_cache_range(void *addr, unsigned int size)
{
}
#endif
