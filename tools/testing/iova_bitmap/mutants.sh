#!/bin/bash
# Show that the differential test can fail: each mutant is lib/iova_bitmap.c
# with one deliberate bug (a sed expression); the harness must catch every
# one within CASES cases.  Prints KTAP; exit 1 if a mutant survives.
set -u
cd "$(dirname "$0")"
KDIR=${KDIR:-../../..}
CASES=${CASES:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mutants=(
	"last-bit-off-by-one|s/set_bits(kaddr + offset, shift, shift + chunk_last - first);/set_bits(kaddr + offset, shift, shift + chunk_last - first - (chunk_last > first));/"
	"ignore-pointer-page-offset|s/unsigned long offset = offset_in_page(addr);/unsigned long offset = 0;/"
	"no-clip-at-end|s/last_off = min(rlast - bitmap->iova, bitmap->last_off);/last_off = rlast - bitmap->iova;/"
	"no-clip-at-start|s/off = max(iova, bitmap->iova) - bitmap->iova;/off = iova - bitmap->iova;/"
	"fast-path-overruns-range|s/length - 1 < bitmap->run_room/length - 1 <= bitmap->run_room/"
	"word-flush-drops-last-byte|s/bytes + first, last - first + 1);/bytes + first, last - first);/"
	"run-end-not-derived|s/bitmap->run_last = (bitmap->run_next - 1) >> bitmap->pgshift;/;/"
	"swallow-pin-error|s/bitmap->err = ret;/(void)ret;/"
	"leak-pins-at-free|s/release_slot(bitmap, slot);\$/(void)slot;/"
	"no-merge-check|s/first_bit <= bitmap->run_last + 1 \&\&/first_bit <= bitmap->run_last + 2 \&\&/"
	"accept-page-size-2^63|s/page_size > ULONG_MAX \/ 2/page_size > ULONG_MAX/"
	"drop-pending-run|s/write_bits(bitmap, bitmap->run_first, bitmap->run_last);/;/"
)
echo "KTAP version 1"
echo "1..${#mutants[@]}"
n=0 survived=0
for m in "${mutants[@]}"; do
	n=$((n + 1))
	name=${m%%|*}
	expr=${m#*|}
	sed -e "$expr" "$KDIR/lib/iova_bitmap.c" >"$work/iova_bitmap.c"
	if cmp -s "$work/iova_bitmap.c" "$KDIR/lib/iova_bitmap.c"; then
		echo "# mutant $name: sed expression no longer matches the library"
		echo "not ok $n $name"
		survived=$((survived + 1))
		continue
	fi
	gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-w -I include -o "$work/t" main.c harness.c fakemem.c "$work/iova_bitmap.c"
	out=$("$work/t" --cases "$CASES" 2>&1)
	if [ $? -ne 0 ]; then
		echo "# mutant $name caught: $(echo "$out" | grep -m1 -E '^FAIL|ERROR|HANG' | cut -c1-150)"
		echo "ok $n $name"
	else
		echo "# mutant $name survived $CASES cases"
		echo "not ok $n $name"
		survived=$((survived + 1))
	fi
done
exit $((survived > 0))
