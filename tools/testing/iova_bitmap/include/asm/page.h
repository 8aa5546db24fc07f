/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef _ASM_PAGE_H
#define _ASM_PAGE_H
#include "../shim.h"
#endif
