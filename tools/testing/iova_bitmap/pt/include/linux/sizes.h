/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see ../pt_shim.h. */
#ifndef __LINUX_SIZES_H__
#define __LINUX_SIZES_H__
#include "../pt_shim.h"

#define SZ_1K	0x00000400UL
#define SZ_4K	0x00001000UL
#define SZ_1M	0x00100000UL
#define SZ_2M	0x00200000UL
#define SZ_1G	0x40000000UL
#define SZ_512G	0x8000000000ULL
#define SZ_1T	0x10000000000ULL
#endif
