/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see shim.h. */
#ifndef __LINUX_UACCESS_H__
#define __LINUX_UACCESS_H__
#include "../shim.h"
#endif
