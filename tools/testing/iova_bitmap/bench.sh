#!/bin/bash
# Compare our library with 7.3's, and both with the floor, on the record
# patterns of bench.c.
#
#   bench.sh            wall clock: ours, 7.3's and the floor (the same
#                       stores by a bare loop into a plain buffer),
#                       interleaved, ROUNDS rounds, the fastest run of each
#                       kept; ns per record, ours / floor (smaller is
#                       better, 1.0 is the floor) and 7.3 / ours (bigger
#                       is better for us)
#   bench.sh --icount   instructions per record under callgrind, counted
#                       inside run_pattern() only (alloc, walk, free):
#                       noise-free, but blind to cache misses and
#                       unfair to rep stosb (see the note it prints)
#
# Every run is pinned to CPU BENCH_CPU (0): this VM's two CPUs run at
# different speeds.  Wall-clock ratios are only meaningful within one run
# on one machine.
set -eu
cd "$(dirname "$0")"
# Ten rounds: this VM shares its host, and S5 (bound by cache misses on
# 8 MiB of bitmap) swings 2-4x between runs minutes apart, its floor too.
ROUNDS=${ROUNDS:-10}
PATTERNS=${PATTERNS:-"S1 S2 S3 S4 S5 S6 S7"}
BENCH_CPU=${BENCH_CPU:-0}
OURS=iova_bitmap_bench
BASE=iova_bitmap_bench_7.3

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
per() { awk -v t="$1" -v n="$2" 'BEGIN { print t / n }'; }
pinned() { taskset -c "$BENCH_CPU" "$@"; }

wall() {
	local p r o_min b_min f_min n line
	echo "# $(date -u +%Y-%m-%d), CPU $BENCH_CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
	printf '%-4s %10s %12s %12s %11s %12s %10s\n' pattern records "ours ns/rec" \
		"floor ns/rec" "ours/floor" "7.3 ns/rec" "7.3/ours"
	for p in $PATTERNS; do
		o_min= b_min= f_min=
		for r in $(seq "$ROUNDS"); do
			# "PATTERN records ns_per_record total_ns bits_set"
			read -r _ n _ line _ < <(pinned ./$OURS "$p" --reps 2)
			o_min=$(lower "$line" "$o_min")
			read -r _ _ _ line _ < <(pinned ./$BASE "$p" --reps 2)
			b_min=$(lower "$line" "$b_min")
			read -r _ _ _ line _ < <(pinned ./$OURS "$p" --reps 2 --floor)
			f_min=$(lower "$line" "$f_min")
		done
		printf '%-4s %10s %12.3f %12.3f %10sx %12.3f %9sx\n' "$p" "$n" \
			"$(per "$o_min" "$n")" "$(per "$f_min" "$n")" \
			"$(ratio "$o_min" "$f_min")" "$(per "$b_min" "$n")" \
			"$(ratio "$b_min" "$o_min")"
	done
	echo "# S4 is one record: its time is alloc + buffer check + free, its floor one OR."
}

icount() { # function binary pattern [--floor] -> instructions inside function
	local fn=$1 out=/tmp/iova_bitmap_bench.$$.cg
	shift
	pinned valgrind -q --tool=callgrind --callgrind-out-file=$out \
		--toggle-collect="$fn" ./"$1" "$2" --once ${3:-} >/dev/null
	awk '/^summary:/ { print $2 }' $out
	rm -f $out
}

icounts() {
	local p n o b f
	printf '%-4s %10s %14s %14s %14s %10s\n' pattern records "ours insn/rec" \
		"floor insn/rec" "7.3 insn/rec" "7.3/ours"
	for p in $PATTERNS; do
		n=$(./$OURS "$p" --once | awk '{ print $2 }')
		o=$(icount run_pattern $OURS "$p")
		f=$(icount run_floor $OURS "$p" --floor)
		b=$(icount run_pattern $BASE "$p")
		printf '%-4s %10s %14.2f %14.2f %14.2f %9sx\n' "$p" "$n" \
			"$(per "$o" "$n")" "$(per "$f" "$n")" "$(per "$b" "$n")" \
			"$(ratio "$b" "$o")"
	done
	echo "# Our run interiors are memset(), which runs as rep stosb here and in"
	echo "# the kernel; callgrind counts rep stosb once per byte, so S2 and S3"
	echo "# overstate our count (7.3 stores a word per instruction).  Time them."
}

case "${1:-}" in
--icount) icounts ;;
"") wall ;;
*) echo "usage: $0 [--icount]" >&2; exit 2 ;;
esac
