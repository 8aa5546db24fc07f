#!/bin/bash
# What each fast-path mechanism of the library buys: every ablation is
# lib/iova_bitmap.c and include/linux/iova_bitmap.h with one mechanism
# taken out (a perl expression applied to both) and the behaviour kept:
# the harness must still pass it.  Each variant, and the library as it is,
# is then timed on the record patterns of bench.c (whole call: alloc,
# records, free) and on generic_pt's real walker (pt/, walk + library),
# interleaved, fastest of ROUNDS, pinned to BENCH_CPU.  Prints each
# variant's time over the library's per pattern: above 1.05 on some
# pattern, the mechanism pays for itself.
#   ./ablate.sh [name...]    ROUNDS (5), CASES (20000), GIB (64)
set -eu
cd "$(dirname "$0")"
KDIR=$(cd "${KDIR:-../../..}" && pwd)
BASE_TREE=$(cd "${BASE_TREE:-$KDIR/build/base}" && pwd)
# The walker bench_pt runs: the series' generic_pt (the assembled tree).
OURS_TREE=$(cd "${OURS_TREE:-$KDIR/build/src}" && pwd)
ROUNDS=${ROUNDS:-5}
CASES=${CASES:-20000}
GIB=${GIB:-64}
BENCH_CPU=${BENCH_CPU:-0}
PATTERNS=${PATTERNS:-"S1 S2 S3 S4 S5 S6 S7"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name|perl expression (applied with -0pe to the library and its header)
ablations=(
	"none|"
	"no-inline|s/(\tstruct iova_bitmap_pending \*p = \(struct iova_bitmap_pending \*\)bitmap;\n)\n(\t\/\* The next contiguous IOPTE: )/\$1\n\t__iova_bitmap_set(bitmap, iova, length);\n\treturn;\n\$2/; s/(\tstruct iova_bitmap_pending \*p = \(struct iova_bitmap_pending \*\)bitmap;\n)\n(\t\/\* The next contiguous IOPTE, )/\$1\n\treturn __iova_bitmap_record(bitmap, iova, length);\n\$2/"
	"no-inline-run|s/if \(iova == p->run_next && iova \+ length > iova\)/if (0)/"
	"no-inline-window|s/if \(likely\(bit < p->win.nbits\)\)/if (0)/"
	"no-inline-slot|s/if \(bit >= p->nbits\)\n\t\treturn false;/return false;/"
	"no-rotate|s/return BITS_PER_LONG == 64 \? ror64\(x, pgshift\) : ror32\(x, pgshift\);/return x & ((1UL << pgshift) - 1) ? ULONG_MAX : x >> pgshift;/"
	"no-run|s/\tif \(bitmap->run_pending && !run_touches\(bitmap, first_bit, last_bit\)\)\n\t\tflush_run\(bitmap\);\n\trun_add\(bitmap, first_bit, last_bit, last_off\);/\twrite_bits(bitmap, first_bit, last_bit);/; s/(\tmerge = bitmap->run_pending)/\treturn write_bits(bitmap, first_bit, last_bit);\n\$1/"
	"no-grow|s/(bitmap->pend.slot_mask \+ 1 < bitmap->slot_limit)/0 \&\& \$1/"
)
if [ $# -gt 0 ]; then
	keep=("${ablations[0]}")
	for a in "${ablations[@]:1}"; do
		for n in "$@"; do [ "${a%%|*}" = "$n" ] && keep+=("$a"); done
	done
	ablations=("${keep[@]}")
fi

# A copy of the harness at the same depth below a tree holding the variant,
# so that its stand-ins' relative includes find the variant's header.
variant() { # name expr
	local d=$work/$1 t=$work/$1/tools/testing/iova_bitmap
	mkdir -p "$d/lib" "$d/include/linux" "$t"
	cp -- *.c *.h Makefile "$t/"
	cp -r include "$t/"
	mkdir -p "$t/pt"
	cp pt/Makefile pt/*.c pt/*.h "$t/pt/"
	cp -r pt/include pt/floor "$t/pt/"
	perl -0pe "$2" "$KDIR/lib/iova_bitmap.c" >"$d/lib/iova_bitmap.c"
	perl -0pe "$2" "$KDIR/include/linux/iova_bitmap.h" >"$d/include/linux/iova_bitmap.h"
	if [ -n "$2" ] && cmp -s "$d/lib/iova_bitmap.c" "$KDIR/lib/iova_bitmap.c" &&
	   cmp -s "$d/include/linux/iova_bitmap.h" "$KDIR/include/linux/iova_bitmap.h"; then
		echo "# $1: the expression no longer matches the library" >&2
		return 1
	fi
	# A variant may leave a helper unused: its warnings are expected.
	if ! { make -s -C "$t" KDIR=../../.. CFLAGS=-w iova_bitmap_test iova_bitmap_bench &&
	       make -s -C "$t/pt" KDIR=../../../.. BASE_TREE="$BASE_TREE" OURS_TREE="$OURS_TREE" bench_pt; } \
	       >"$d/build.log" 2>&1; then
		cat "$d/build.log" >&2
		echo "# $1: does not build" >&2
		return 1
	fi
	if ! "$t/iova_bitmap_test" --cases "$CASES" >/dev/null 2>&1; then
		echo "# $1: the harness fails it: not a valid ablation" >&2
		return 1
	fi
}

names=()
for a in "${ablations[@]}"; do
	name=${a%%|*}
	if variant "$name" "${a#*|}"; then
		names+=("$name")
	fi
done
. ./timing.sh
machine_line
echo "# variants built and passing $CASES harness cases: ${names[*]}"

declare -A best
bin() { echo "$work/$1/tools/testing/iova_bitmap/$2"; }
time_variants "${names[*]}" "${names[*]}"

pt_patterns=$(printf '%s\n' "${!best[@]}" | sed -n 's/^none\.\(\(4K\|2M\).*\)/\1/p' | sort)
printf '%-18s' variant
for p in $PATTERNS $pt_patterns; do printf ' %9s' "$p"; done
echo
for n in "${names[@]}"; do
	printf '%-18s' "$n"
	for p in $PATTERNS $pt_patterns; do
		if [ "$n" = none ]; then
			printf ' %9s' "$(awk -v t="${best[$n.$p]}" 'BEGIN { printf "%.3gms", t / 1e6 }')"
		else
			printf ' %8sx' "$(awk -v a="${best[$n.$p]}" -v b="${best[none.$p]}" 'BEGIN { printf "%.2f", a / b }')"
		fi
	done
	echo
done
echo "# none: the library as it is, whole time per call; others: their time over it"
