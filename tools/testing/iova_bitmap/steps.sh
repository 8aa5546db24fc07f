#!/bin/bash
# The library at each step of the series: every commit of the series' git
# tree (make series: build/series/src, branch "series") whose library has
# iova_bitmap_record(), the steps from the rewrite on, built in user space
# over this harness the way ablate.sh builds its variants.
#   ./steps.sh            run CASES (20000) harness cases over each step;
#                         before them, the old API's steps in lib/ with
#                         the harness of make baseline (OLD_CASES, 3000;
#                         failures printed, none allowed at the last)
#   ./steps.sh --bench    time each step on bench.c's patterns (whole call)
#                         and under generic_pt's walker (bench_pt's "ours"
#                         column), fastest of ROUNDS (3), pinned to
#                         BENCH_CPU; 7.3's library on bench.c's patterns
#                         first.  Prints each step's time over the step
#                         before it: below 0.95, the step pays.
set -eu
cd "$(dirname "$0")"
KDIR=$(cd "${KDIR:-../../..}" && pwd)
SERIES=${SERIES:-$KDIR/build/series/src}
BASE_TREE=$(cd "${BASE_TREE:-$KDIR/build/base}" && pwd)
OURS_TREE=$(cd "${OURS_TREE:-$KDIR/build/src}" && pwd)
CASES=${CASES:-20000}
ROUNDS=${ROUNDS:-3}
GIB=${GIB:-64}
BENCH_CPU=${BENCH_CPU:-0}
PATTERNS=${PATTERNS:-"S1 S2 S3 S4 S5 S6 S7"}
bench=0
[ "${1:-}" = --bench ] && bench=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The commits that change the library, oldest first, from the first whose
# header declares iova_bitmap_record(); before it, those with the old API
# once the library is in lib/ (old_steps).
steps=() old_steps=()
for c in $(git -C "$SERIES" rev-list --reverse base..series -- lib/iova_bitmap.c include/linux/iova_bitmap.h); do
	git -C "$SERIES" cat-file -e "$c:lib/iova_bitmap.c" 2>/dev/null || continue
	if git -C "$SERIES" show "$c:include/linux/iova_bitmap.h" | grep -q 'iova_bitmap_record('; then
		steps+=("$c")
	elif [ ${#steps[@]} = 0 ]; then
		old_steps+=("$c")
	fi
done
[ ${#steps[@]} -gt 0 ] || { echo "no library steps in $SERIES: run make series first" >&2; exit 1; }

# A copy of the harness below a tree holding the step's library.
build() { # n commit targets...
	local d=$work/$1 c=$2 t=$work/$1/tools/testing/iova_bitmap
	shift 2
	mkdir -p "$d/lib" "$d/include/linux" "$t/pt"
	git -C "$SERIES" show "$c:lib/iova_bitmap.c" >"$d/lib/iova_bitmap.c"
	git -C "$SERIES" show "$c:include/linux/iova_bitmap.h" >"$d/include/linux/iova_bitmap.h"
	cp -- *.c *.h Makefile "$t/"
	cp -r include "$t/"
	cp pt/Makefile pt/*.c pt/*.h "$t/pt/"
	cp -r pt/include pt/floor "$t/pt/"
	make -s -C "$t" KDIR=../../.. "$@" >"$d/build.log" 2>&1 || { cat "$d/build.log" >&2; return 1; }
}
subject() { git -C "$SERIES" log -1 --format=%s "$1"; }

if [ $bench = 0 ]; then
	# The old API's steps, informational: the harness built as make
	# baseline builds it over 7.3 (-DHARNESS_STOCK, a child per case),
	# OLD_CASES cases; what fails there is what the following steps fix.
	for c in "${old_steps[@]}"; do
		d=$work/old-$c t=$work/old-$c/tools/testing/iova_bitmap
		mkdir -p "$d/drivers/iommu/iommufd" "$d/include/linux" "$t"
		git -C "$SERIES" show "$c:lib/iova_bitmap.c" >"$d/drivers/iommu/iommufd/iova_bitmap.c"
		git -C "$SERIES" show "$c:include/linux/iova_bitmap.h" >"$d/include/linux/iova_bitmap.h"
		cp -- *.c *.h Makefile "$t/"
		cp -r include "$t/"
		make -s -C "$t" KDIR=../../.. BASE_TREE="$d" iova_bitmap_test_7.3 >"$d/build.log" 2>&1 ||
			{ cat "$d/build.log" >&2; echo "# old API: does not build: $(subject "$c")"; continue; }
		echo "# old API: $(subject "$c")"
		old_out=$(cd "$t" && ./iova_bitmap_test_7.3 --fork --timeout 2 --cases "${OLD_CASES:-3000}" 2>/dev/null |
			sed -n 's/^# /#   /p')
		echo "$old_out"
	done
	# The last of them has every behaviour the harness checks on the old
	# API: it must pass it (a wrong buffer size in its check failed 279
	# of 1,000 cases).
	old_fail=0
	if [ ${#old_steps[@]} -gt 0 ] && ! echo "$old_out" | grep -q ' 0 failed'; then
		echo "# the last old-API step fails make baseline's harness"
		old_fail=1
	fi
	echo "KTAP version 1"
	echo "1..${#steps[@]}"
	n=0 fail=0
	for c in "${steps[@]}"; do
		n=$((n + 1))
		if build $n "$c" iova_bitmap_test &&
		   out=$("$work/$n/tools/testing/iova_bitmap/iova_bitmap_test" --cases "$CASES" 2>&1 | tail -1); then
			echo "# ${out#\# }"
			echo "ok $n harness: $(subject "$c")"
		else
			echo "# ${out:-does not build}"
			echo "not ok $n harness: $(subject "$c")"
			fail=$((fail + 1))
		fi
	done
	exit $((fail + old_fail > 0))
fi

. ./timing.sh
declare -A best
names=(7.3)
make -s KDIR="$KDIR" BASE_TREE="$BASE_TREE" iova_bitmap_bench_7.3 >/dev/null
n=0
for c in "${steps[@]}"; do
	n=$((n + 1))
	build $n "$c" iova_bitmap_bench
	make -s -C "$work/$n/tools/testing/iova_bitmap/pt" KDIR=../../../.. \
		BASE_TREE="$BASE_TREE" OURS_TREE="$OURS_TREE" bench_pt >>"$work/$n/build.log" 2>&1
	names+=("$n")
done
bin() { [ "$1" = 7.3 ] && echo "$PWD/iova_bitmap_bench_7.3" || echo "$work/$1/tools/testing/iova_bitmap/$2"; }
machine_line
time_variants "${names[*]}" "${names[*]:1}"
pt_patterns=$(printf '%s\n' "${!best[@]}" | sed -n 's/^1\.\(\(4K\|2M\).*\)/\1/p' | sort)
printf '%-4s %-44.44s' step library
for p in $PATTERNS $pt_patterns; do printf ' %9s' "$p"; done
echo
prev=
for s in "${names[@]}"; do
	if [ "$s" = 7.3 ]; then label="7.3's library (ms per call)"
	else label=$(subject "${steps[$((s - 1))]}"); fi
	printf '%-4s %-44.44s' "$s" "$label"
	for p in $PATTERNS $pt_patterns; do
		t=${best[$s.$p]:-}
		if [ -z "$t" ]; then printf ' %9s' -
		elif [ -z "$prev" ] || [ -z "${best[$prev.$p]:-}" ]; then
			printf ' %9s' "$(awk -v t="$t" 'BEGIN { printf "%.3gms", t / 1e6 }')"
		else
			printf ' %8sx' "$(awk -v a="$t" -v b="${best[$prev.$p]}" 'BEGIN { printf "%.2f", a / b }')"
		fi
	done
	echo
	prev=$s
done
echo "# each row: its time over the row before (the first of each column: ms per call)"
echo "# 7.3: its library as Debian ships it; 4K/2M columns: generic_pt's amdv1 walk + the library"
