#!/bin/bash
# Compare our library with 6.12's on the record patterns of bench.c.
# Runs both binaries interleaved, ROUNDS times, keeps each one's fastest
# run, and prints ns per record and the ratio 6.12 / ours (bigger is
# better for us).  Wall-clock ratios are only meaningful within one run.
set -eu
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-3}
PATTERNS=${PATTERNS:-"S1 S2 S3 S4 S5 S6"}

best() { # binary pattern -> "ns_per_record total_ns"
	local b=$1 p=$2 r line min=
	for r in $(seq "$ROUNDS"); do
		line=$(./"$b" "$p" --reps 2)
		set -- $line
		if [ -z "$min" ] || awk -v a="$4" -v b="$min" 'BEGIN{exit !(a < b)}'; then
			min=$4 per=$3 n=$2
		fi
	done
	echo "$per $min $n"
}

printf '%-4s %10s %14s %14s %10s\n' pattern records "ours ns/rec" "6.12 ns/rec" "6.12/ours"
for p in $PATTERNS; do
	read -r o_per o_tot n < <(best iova_bitmap_bench "$p")
	read -r b_per b_tot _ < <(best iova_bitmap_bench_6.12 "$p")
	printf '%-4s %10s %14.3f %14.3f %9.1fx\n' "$p" "$n" "$o_per" "$b_per" \
		"$(awk -v a="$b_tot" -v b="$o_tot" 'BEGIN{print a / b}')"
	[ "$p" = S3 ] && s3=$o_tot
done
if [ -n "${s3:-}" ]; then
	read -r _ m_tot _ < <(best iova_bitmap_bench memset)
	printf 'S3 against memset of the same 32 MiB: ours %.2fx the memset time\n' \
		"$(awk -v a="$s3" -v b="$m_tot" 'BEGIN{print a / b}')"
fi
