/* SPDX-License-Identifier: GPL-2.0 */
/* Stand-in for the kernel header of the same name; see ../pt_shim.h. */
#ifndef __MEM_ENCRYPT_H__
#define __MEM_ENCRYPT_H__
#include "../pt_shim.h"

/*
 * As on x86 with CONFIG_AMD_MEM_ENCRYPT (distribution kernels): the mask
 * is a variable, 0 unless memory encryption is active.
 */
extern u64 sme_me_mask;
#define __sme_set(x) ((x) | sme_me_mask)
#define __sme_clr(x) ((x) & ~sme_me_mask)
#endif
