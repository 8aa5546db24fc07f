#!/bin/bash
# Show that the differential test can fail: each mutant is lib/iova_bitmap.c
# or include/linux/iova_bitmap.h (the inline fast paths) with one deliberate
# bug (a sed expression applied to both); the harness must catch every one
# within CASES cases.  Prints KTAP; exit 1 if a mutant survives.
set -u
cd "$(dirname "$0")"
KDIR=$(cd "${KDIR:-../../..}" && pwd)
CASES=${CASES:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include/linux"

mutants=(
	"last-bit-off-by-one|s/set_bits(kaddr + offset, shift, shift + chunk_last - first);/set_bits(kaddr + offset, shift, shift + chunk_last - first - (chunk_last > first));/"
	"ignore-pointer-page-offset|s/unsigned long offset = offset_in_page(addr);/unsigned long offset = 0;/"
	"no-clip-at-end|s/last_off = min(rlast - base, bitmap->last_off);/last_off = rlast - base;/"
	"no-clip-at-start|s/\*first_bit = (max(iova, base) - base) >>/*first_bit = (iova - base) >>/"
	"run-not-clipped-at-end|s/min(pend->run_next - 1 - pend->iova, bitmap->last_off)/(pend->run_next - 1 - pend->iova)/"
	"fast-path-ignores-wrap|s/iova == p->run_next \&\& iova + length > iova/iova == p->run_next \&\& length/"
	"inline-sets-first-bit-only|s/if (iova_bitmap_pages(length, pgshift) != 1)/if (!length)/"
	"inline-ignores-range-end|s/if (bit >= p->nbits)/if (0)/"
	"inline-ignores-alignment|s/bit = iova_bitmap_pages(iova - p->iova, pgshift);/bit = (iova - p->iova) >> pgshift;/"
	"window-ignores-alignment|s/bit = iova_bitmap_pages(iova - p->win.iova, pgshift);/bit = (iova - p->win.iova) >> pgshift;/"
	"window-one-bit-too-long|s/win->nbits = last - first + 1;/win->nbits = last - first + 2;/"
	"window-ignores-page-offset|s/win->kaddr = (u8 \*)(bitmap->uaddr + first + PAGE_SIZE + s->delta);/win->kaddr = (u8 *)(addr + PAGE_SIZE + s->delta);/"
	"window-kept-after-unpin|/may lie in one of the pages: empty it/{n;s/bitmap->pend.win.nbits = 0;/;/}"
	"window-on-highmem|s/if (s->tag \& SLOT_NOT_INLINE)/if (0)/"
	"inline-writes-highmem|s/if (PageHighMem(page)) {/if (0) {/"
	"slot-kept-after-unpin|s/bitmap->pend.slots\[slot\].tag = 0;/;/"
		"run-end-not-derived|s/bitmap->run_last = run_last(bitmap);/;/"
	"swallow-pin-error|s/bitmap->err = pinned;/(void)pinned;/"
	"leak-pins-at-free|/^void iova_bitmap_free/,/^}/s/release_slots(bitmap, 0, bitmap->pend.slot_mask + 1);/;/"
	"no-merge-check|s/first_bit <= run_last(bitmap) + 1 \&\&/first_bit <= run_last(bitmap) + 2 \&\&/"
	"grow-loses-page-pointers|s/bitmap->slot_page\[slot\] = old_page\[i\];/bitmap->slot_page[slot] = old_page[0];/"
	"grow-rehashes-by-old-slot|s/slot = old_table\[i\].tag \& bitmap->pend.slot_mask;/slot = i;/"
	"inline-ignores-page-offset|s/s->delta = (unsigned long)page_address(page) - (addr + PAGE_SIZE);/s->delta = (unsigned long)page_address(page) - (addr + PAGE_SIZE) + 1;/"
	"refuse-page-size-2^63|s/if (!length || !is_power_of_2(page_size))/if (!length || !is_power_of_2(page_size) || page_size >> 62 > 1)/"
	"walk-before-buffer-check|s/ret = check_user_buffer(bitmap);/ret = 0;/"
	"buffer-check-stops-at-first-vma|s/addr = vma->vm_end;/break;/"
	"buffer-check-allows-read-only|s/return vma->vm_flags \& VM_WRITE;/return true;/"
	"drop-pending-run|s/write_bits(bitmap, bitmap->run_first, bitmap->run_last);/;/"
	"record-accepts-unpinned|s/ret = pin_upages(bitmap, upage, end);/ret = 0; upage = end + 1;/"
	"record-run-past-pinned|s/iova + length - 1 <= p->run_room/iova + length - 1 <= ULONG_MAX/"
)
# ONLY=name[,name...] runs just those mutants.
if [ -n "${ONLY:-}" ]; then
	keep=()
	for m in "${mutants[@]}"; do
		case ",$ONLY," in *",${m%%|*},"*) keep+=("$m") ;; esac
	done
	mutants=("${keep[@]}")
fi
echo "KTAP version 1"
echo "1..${#mutants[@]}"
n=0 survived=0
for m in "${mutants[@]}"; do
	n=$((n + 1))
	name=${m%%|*}
	expr=${m#*|}
	sed -e "$expr" "$KDIR/lib/iova_bitmap.c" >"$work/iova_bitmap.c"
	sed -e "$expr" "$KDIR/include/linux/iova_bitmap.h" >"$work/iova_bitmap.h"
	if cmp -s "$work/iova_bitmap.c" "$KDIR/lib/iova_bitmap.c" &&
	   cmp -s "$work/iova_bitmap.h" "$KDIR/include/linux/iova_bitmap.h"; then
		echo "# mutant $name: sed expression no longer matches the library"
		echo "not ok $n $name"
		survived=$((survived + 1))
		continue
	fi
	# The mutated header, over the stand-ins, ahead of the real one.
	printf '#include "%s/include/shim.h"\n#include "%s/iova_bitmap.h"\n' \
		"$PWD" "$work" >"$work/include/linux/iova_bitmap.h"
	gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-w -I "$work/include" -I include -o "$work/t" main.c harness.c \
		fakemem.c "$work/iova_bitmap.c"
	out=$("$work/t" --cases "$CASES" 2>&1)
	if [ $? -ne 0 ]; then
		echo "# mutant $name caught: $(echo "$out" | grep -m1 -iE '^FAIL|error|HANG' | cut -c1-150)"
		echo "ok $n $name"
	else
		echo "# mutant $name survived $CASES cases"
		echo "not ok $n $name"
		survived=$((survived + 1))
	fi
done
exit $((survived > 0))
