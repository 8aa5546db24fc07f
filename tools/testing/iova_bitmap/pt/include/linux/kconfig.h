/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see ../pt_shim.h. */
#ifndef __LINUX_KCONFIG_H
#define __LINUX_KCONFIG_H
#include "../pt_shim.h"
#endif
