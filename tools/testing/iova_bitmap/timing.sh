# shellcheck shell=bash
# Timing shared by ablate.sh and steps.sh: each variant's fastest time of
# ROUNDS rounds on bench.c's PATTERNS (whole call) and on bench_pt's
# patterns ("ours": walk + library), interleaved, pinned to BENCH_CPU.
# The caller defines bin VARIANT PROGRAM (the path of a variant's
# iova_bitmap_bench or pt/bench_pt) and declares the associative array
# best, which time_variants fills: best[VARIANT.PATTERN] in ns.

lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

machine_line() {
	echo "# $(date -u +%Y-%m-%d), CPU $BENCH_CPU: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
}

# time_variants "bench variants..." "bench_pt variants..."
time_variants() {
	local r p n t
	for r in $(seq "$ROUNDS"); do
		# bench.c: "PATTERN records ns_per_record total_ns bits_set"
		for p in $PATTERNS; do
			for n in $1; do
				read -r _ _ _ t _ < <(taskset -c "$BENCH_CPU" "$(bin "$n" iova_bitmap_bench)" "$p" --reps 2)
				best[$n.$p]=$(lower "$t" "${best[$n.$p]:-}")
			done
		done
		# bench_pt: the "ours" column of each pattern
		for n in $2; do
			while read -r p _ _ _ _ t _; do
				best[$n.$p]=$(lower "$t" "${best[$n.$p]:-}")
			done < <("$(bin "$n" pt/bench_pt)" --rounds 1 --gib "$GIB" --cpu "$BENCH_CPU" | grep -E '^(4K|2M)')
		done
	done
}
