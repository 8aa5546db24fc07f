/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see ../pt_shim.h. */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H
#include "../pt_shim.h"
#endif
