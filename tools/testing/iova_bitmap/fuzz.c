// SPDX-License-Identifier: GPL-2.0
/* libFuzzer entry: the fuzzer's bytes drive the case generator. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct rng r = { .data = data, .len = size };
	struct case_result res;
	struct hcase c;

	case_generate(&r, &c);
	if (case_run(&c, &res, false) != FK_NONE) {
		fprintf(stderr, "FAIL: %s: %s\n", fail_kind_name[res.kind], res.detail);
		case_print(stderr, &c);
		abort();
	}
	case_free(&c);
	return 0;
}
