#!/bin/bash
# make bench-kernel: dirty bitmap reads timed inside QEMU on two kernels
# built the same way from the same base with tooling/config/
# {base,iommufd,mdirty,bench}.config (no sanitizers, no lockdep, no KUnit):
#   ours   build/src: the base with patches/series and our lib/iova_bitmap.c
#   7.3   build/base-mdirty (tooling/base-mdirty.sh): the unpacked Debian
#          source, untouched but for the mdirty VFIO sample, so 7.3's own
#          library serves the VFIO REPORTs; its objects
#          (build/bench/stock-mdirty/obj) are shared with make vfio-stock
# The guest runs tooling/guest/dirty_bench.c: IOMMU_HWPT_GET_DIRTY_BITMAP
# over the iommufd mock (walk, all, alt, rand, one: the mock walker records
# in IOVA order) and VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT of an mdirty
# mdev that the guest's init creates, reporting like mlx5 (dev-rand,
# dev-sorted, dev-wide: one record per page the device wrote, in the order
# it wrote them).  Boots alternate (ours, 7.3, ours, 7.3, ...
# BENCH_ROUNDS (5) times each); the fastest read per pattern and kernel is
# kept.  QEMU TCG times mean nothing on their own: only the ratio between
# the two kernels, measured side by side here, does.
# The table's last column, "beyond the walk", subtracts each kernel's
# nothing-dirty time (walk: the mock walker and the ioctl) from a mock
# pattern's, leaving what recording costs.  The dev patterns have no walk
# to subtract (a REPORT is the VFIO core, mdirty's pass over its log of
# writes and the library), so they show '-' there.
. "$(dirname "$0")/common.sh"

ROUNDS=${BENCH_ROUNDS:-5}
# allnoconfig has no HPET or ACPI PM timer, so under TCG the TSC fails to
# calibrate and the guest falls back to jiffies (4 ms steps).  Give it the
# host's TSC rate: TCG's TSC is the host's.  Were the rate off, every time
# would scale by the same factor, which the ratios do not see.
TSC_KHZ=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
# QEMU on one host CPU: here the two run at different speeds, and a vCPU
# thread moving between them mid-read would be timed as a kernel's doing.
CPU=${BENCH_CPU:-$(( $(nproc) - 1 ))}
B=$BUILD/bench
mkdir -p "$B"

"$REPO/tooling/assemble.sh"
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

build() { # name, source tree, O= directory
	local name=$1 tree=$2 obj=$3 start blog
	blog=$(dirname "$obj")/build.log
	SRC=$tree FRAGS="base iommufd mdirty bench" "$REPO/tooling/kconfig.sh" "$obj"
	grep -q '^CONFIG_IOMMUFD_TEST=y' "$obj/.config" || die "$name: no IOMMUFD_TEST"
	grep -q '^CONFIG_SAMPLE_VFIO_MDEV_MDIRTY=y' "$obj/.config" || die "$name: no mdirty sample"
	grep -q '^CONFIG_KASAN=y' "$obj/.config" && die "$name: KASAN in a timing kernel"
	log "building the $name timing kernel in $obj (log: $blog)"
	start=$(date +%s)
	set +e
	SRC=$tree OBJ=$obj kmake bzImage 2>&1 | tee "$blog" |
		kbuild_progress "$start"
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || { tail -20 "$blog"; die "$name kernel build failed"; }
	log "$name kernel ready in $(( $(date +%s) - start ))s"
}
# 7.3's tree: the base and the mdirty sample only (as make vfio-stock).
"$REPO/tooling/base-mdirty.sh"
declare -A KOBJ=([ours]=$B/ours/obj [7.3]=$B/stock-mdirty/obj)
build ours "$SRC" "${KOBJ[ours]}"
build 7.3 "$BASE_MDIRTY" "${KOBJ[7.3]}"
# One initramfs for both; its uapi headers come from our tree (the same
# iommufd uapi as 7.3's).
"$REPO/tooling/guest-build.sh"

rm -rf "$B"/ours/round* "$B"/7.3/round* "$B"/tsc-test
for r in $(seq "$ROUNDS"); do
	for k in ours 7.3; do
		log "round $r/$ROUNDS: $k"
		OBJ=${KOBJ[$k]} GUEST_OUT=$B/$k/round$r QEMU_TIMEOUT=900 \
			taskset -c "$CPU" "$REPO/tooling/qemu-run.sh" bench \
			${TSC_KHZ:+tsc_early_khz=$TSC_KHZ} tsc=reliable >/dev/null
		grep -q 'Switched to clocksource tsc' "$B/$k/round$r/console.log" ||
			die "$k round $r: the guest clock is not the TSC (see console.log)"
		grep -q '^BENCH ' "$B/$k/round$r/tests.log" ||
			{ tail -20 "$B/$k/round$r/console.log"; die "$k round $r: no results"; }
		if grep -q '^not ok' "$B/$k/round$r/tests.log"; then
			grep -E '^(not ok|# )' "$B/$k/round$r/tests.log"
			die "$k round $r: a pattern did not read back exactly"
		fi
		# Both kernels have the sample: a skipped device pattern is a fault.
		if grep -q '# SKIP' "$B/$k/round$r/tests.log"; then
			grep -E '^(ok .*# SKIP|# )' "$B/$k/round$r/tests.log"
			die "$k round $r: the device patterns were skipped (no mdirty mdev?)"
		fi
	done
done

echo
grep -m1 '^# .*MiB mapped' "$B/ours/round1/tests.log" | sed 's/^# //'
grep -m1 '^# dev patterns:' "$B/ours/round1/tests.log" | sed 's/^# //'
echo "QEMU TCG on host CPU $CPU of $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $ROUNDS boots per kernel, fastest read kept"
cat "$B"/ours/round*/tests.log | awk '$1 == "BENCH" { print "ours", $2, $3, $4 }' >"$B/results"
cat "$B"/7.3/round*/tests.log | awk '$1 == "BENCH" { print "7.3", $2, $3, $4 }' >>"$B/results"
awk '
	{ k = $1 " " $2; if (!(k in min) || $4 < min[k]) min[k] = $4; dirty[$2] = $3
	  if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 } }
	END {
		printf "%-10s %11s %10s %10s %9s   %s\n", "pattern", "dirty pages", "ours ms", "7.3 ms",
			"7.3/ours", "beyond the walk: ours, 7.3 ms (7.3/ours)"
		for (i = 0; i < n; i++) {
			p = order[i]; o = min["ours " p]; b = min["7.3 " p]
			printf "%-10s %11d %10.2f %10.2f %8.2fx", p, dirty[p], o / 1000, b / 1000, b / o
			if (p ~ /^dev-/) {
				# A VFIO REPORT: no mock walk in it to subtract.
				printf "   -"
			} else if (p != "walk") {
				# Time spent beyond walking the IOPTEs: the recording.
				ow = o - min["ours walk"]; bw = b - min["7.3 walk"]
				printf "   %.2f, %.2f", ow / 1000, bw / 1000
				if (ow > 0) printf " (%.1fx)", bw / ow
			}
			printf "\n"
		}
	}' "$B/results" | tee "$B/table"
