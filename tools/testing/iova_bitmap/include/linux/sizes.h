/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef __LINUX_SIZES_H__
#define __LINUX_SIZES_H__
#include "../shim.h"
#endif
