/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef _LINUX_MMAP_LOCK_H
#define _LINUX_MMAP_LOCK_H
#include "../shim.h"
#endif
