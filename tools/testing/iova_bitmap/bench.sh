#!/bin/bash
# Compare our library with 6.12's on the record patterns of bench.c.
#
#   bench.sh            wall clock: both binaries interleaved, ROUNDS
#                       rounds, the fastest run of each kept; ns per record
#                       and the ratio 6.12 / ours (bigger is better for us)
#   bench.sh --icount   instructions per record under callgrind, counted
#                       inside run_pattern() only (alloc, walk, free):
#                       noise-free, but blind to cache misses and
#                       unfair to rep stosb (see the note it prints)
#
# Wall-clock ratios are only meaningful within one run on one machine.
set -eu
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-5}
PATTERNS=${PATTERNS:-"S1 S2 S3 S4 S5 S6 S7"}
OURS=iova_bitmap_bench
BASE=iova_bitmap_bench_6.12

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

wall() {
	local p r o_min b_min n line
	printf '%-4s %10s %14s %14s %10s\n' pattern records "ours ns/rec" \
		"6.12 ns/rec" "6.12/ours"
	for p in $PATTERNS; do
		o_min= b_min=
		for r in $(seq "$ROUNDS"); do
			# "PATTERN records ns_per_record total_ns bits_set"
			read -r _ n _ line _ < <(./$OURS "$p" --reps 2)
			o_min=$(lower "$line" "$o_min")
			read -r _ _ _ line _ < <(./$BASE "$p" --reps 2)
			b_min=$(lower "$line" "$b_min")
			[ "$p" = S3 ] && { read -r _ _ _ line < <(./$OURS memset --reps 2)
					   m_min=$(lower "$line" "${m_min:-}"); }
		done
		printf '%-4s %10s %14.3f %14.3f %9sx\n' "$p" "$n" \
			"$(awk -v t="$o_min" -v n="$n" 'BEGIN { print t / n }')" \
			"$(awk -v t="$b_min" -v n="$n" 'BEGIN { print t / n }')" \
			"$(ratio "$b_min" "$o_min")"
		[ "$p" = S3 ] && s3=$o_min
	done
	if [ -n "${s3:-}" ]; then
		echo "S3 against memset of the same 32 MiB: ours takes" \
		     "$(awk -v a="$s3" -v b="$m_min" 'BEGIN { printf "%.2f", a / b }')x" \
		     "the memset's time"
	fi
}

icount() { # binary pattern -> instructions inside run_pattern()
	local out=/tmp/iova_bitmap_bench.$$.cg
	valgrind -q --tool=callgrind --callgrind-out-file=$out \
		--toggle-collect=run_pattern ./"$1" "$2" --once >/dev/null
	awk '/^summary:/ { print $2 }' $out
	rm -f $out
}

icounts() {
	local p n o b
	printf '%-4s %10s %14s %14s %10s\n' pattern records "ours insn/rec" \
		"6.12 insn/rec" "6.12/ours"
	for p in $PATTERNS; do
		n=$(./$OURS "$p" --once | awk '{ print $2 }')
		o=$(icount $OURS "$p")
		b=$(icount $BASE "$p")
		printf '%-4s %10s %14.2f %14.2f %9sx\n' "$p" "$n" \
			"$(awk -v t="$o" -v n="$n" 'BEGIN { print t / n }')" \
			"$(awk -v t="$b" -v n="$n" 'BEGIN { print t / n }')" \
			"$(ratio "$b" "$o")"
	done
	echo "# Our run interiors are memset(), which runs as rep stosb here and in"
	echo "# the kernel; callgrind counts rep stosb once per byte, so S2 and S3"
	echo "# overstate our count (6.12 stores a word per instruction).  Time them."
}

case "${1:-}" in
--icount) icounts ;;
"") wall ;;
*) echo "usage: $0 [--icount]" >&2; exit 2 ;;
esac
