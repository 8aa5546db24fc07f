#!/bin/bash
# make bench-kernel: IOMMU_HWPT_GET_DIRTY_BITMAP timed inside QEMU on two
# kernels built the same way from the same base with tooling/config/
# {base,iommufd,bench}.config (no sanitizers, no lockdep, no KUnit):
#   ours   build/src: the base with patches/series and our lib/iova_bitmap.c
#   6.12   build/base: the unpacked Debian source, untouched
# The guest runs tooling/guest/dirty_bench.c.  Boots alternate (ours, 6.12,
# ours, 6.12, ... BENCH_ROUNDS times each); the fastest read per pattern
# and kernel is kept.  QEMU TCG times mean nothing on their own: only the
# ratio between the two kernels, measured side by side here, does.
. "$(dirname "$0")/common.sh"

ROUNDS=${BENCH_ROUNDS:-2}
B=$BUILD/bench
mkdir -p "$B"

"$REPO/tooling/assemble.sh"
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

build() { # name, source tree
	local name=$1 tree=$2 obj=$B/$1/obj start
	SRC=$tree FRAGS="base iommufd bench" "$REPO/tooling/kconfig.sh" "$obj"
	grep -q '^CONFIG_IOMMUFD_TEST=y' "$obj/.config" || die "$name: no IOMMUFD_TEST"
	grep -q '^CONFIG_KASAN=y' "$obj/.config" && die "$name: KASAN in a timing kernel"
	log "building the $name timing kernel in $obj (log: $B/$name/build.log)"
	start=$(date +%s)
	SRC=$tree OBJ=$obj kmake bzImage >"$B/$name/build.log" 2>&1 ||
		{ tail -20 "$B/$name/build.log"; die "$name kernel build failed"; }
	log "$name kernel ready in $(( $(date +%s) - start ))s"
}
build ours "$SRC"
build 6.12 "$BASE"
# One initramfs for both; its uapi headers come from our tree (the same
# iommufd uapi as 6.12's).
"$REPO/tooling/guest-build.sh"

for r in $(seq "$ROUNDS"); do
	for k in ours 6.12; do
		OBJ=$B/$k/obj GUEST_OUT=$B/$k/round$r QEMU_TIMEOUT=900 \
			"$REPO/tooling/qemu-run.sh" bench >/dev/null
		grep -q '^BENCH ' "$B/$k/round$r/tests.log" ||
			{ tail -20 "$B/$k/round$r/console.log"; die "$k round $r: no results"; }
		if grep -q '^not ok' "$B/$k/round$r/tests.log"; then
			grep -E '^(not ok|# )' "$B/$k/round$r/tests.log"
			die "$k round $r: a pattern did not read back exactly"
		fi
	done
done

echo
grep -m1 '^# .*MiB mapped' "$B/ours/round1/tests.log" | sed 's/^# //'
echo "QEMU TCG, $(nproc) host CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $ROUNDS boots per kernel, fastest read kept"
cat "$B"/ours/round*/tests.log | awk '$1 == "BENCH" { print "ours", $2, $3, $4 }' >"$B/results"
cat "$B"/6.12/round*/tests.log | awk '$1 == "BENCH" { print "6.12", $2, $3, $4 }' >>"$B/results"
awk '
	{ k = $1 " " $2; if (!(k in min) || $4 < min[k]) min[k] = $4; dirty[$2] = $3
	  if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 } }
	END {
		printf "%-6s %12s %14s %14s %10s\n", "pattern", "dirty pages", "ours us", "6.12 us", "6.12/ours"
		for (i = 0; i < n; i++) {
			p = order[i]
			printf "%-6s %12d %14d %14d %9.2fx\n", p, dirty[p], min["ours " p], min["6.12 " p], min["6.12 " p] / min["ours " p]
		}
	}' "$B/results" | tee "$B/table"
