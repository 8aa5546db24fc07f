/* SPDX-License-Identifier: GPL-2.0 */
/* The real header, over the stand-ins. */
#include "../shim.h"
#include "../../../../../include/linux/iova_bitmap.h"
