/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef _LINUX_SECRETMEM_H
#define _LINUX_SECRETMEM_H
#include "../shim.h"
#endif
