/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef __LINUX_BITMAP_H
#define __LINUX_BITMAP_H
#include "../shim.h"
#endif
