#!/bin/bash
# make check-hw: the real Intel and AMD IOMMU drivers reporting dirty bits
# that a device's DMA set.  The test kernel (its hw.config fragment: PCI,
# ACPI, INTEL_IOMMU in scalable mode, AMD_IOMMU, VFIO_PCI) boots twice on
# a q35 under our QEMU (tooling/qemu-build.sh): with intel-iommu, whose
# second-stage Access/Dirty our patches emulate with x-ssads=on, and with
# amd-iommu, whose host Access/Dirty updates they emulate with x-hdsup=on.
# QEMU's edu device is the DMA engine that
# tools/testing/selftests/iommu/iommufd_hw_dirty.c drives through vfio-pci
# and iommufd.  Prints "hw <iommu>: N passed, N failed" per boot and ends
# with "hw: N passed, N failed", their sum.
#   HW_IOMMUS="intel amd"  the boots to run (default both)
#   HW_IGB=1       also QEMU's igb, and tools/testing/selftests/vfio/
#                  vfio_iommufd_dirty_test on it (bulk DMA through libvfio's
#                  igb driver).  Not the default yet: one AMD boot of nine
#                  stalled in that test's fixture setup, the guest idle
#                  (RESULTS.md, "The real IOMMU drivers").
#   HW_STALL=N     seconds after which a step still running reports where
#                  each task waits (default 100: the longest step takes 45 s)
#   HW_QEMU=path   a QEMU binary instead of ours (a stock one offers no
#                  dirty tracking: then HW_EXPECT=none)
#   HW_EXPECT=none the IOMMU must not offer dirty tracking
#   HW_OBJ=dir     a kernel's O= directory instead of the test kernel's
#   check-hw.sh --stock   the same boots on stock 7.3.4 (the untouched base,
#                  the same configuration fragments, in $BUILD/hw-stock):
#                  shows what the drivers report there; their failures are
#                  listed, not fatal (make check-hw-stock).
. "$(dirname "$0")/common.sh"

t0=$(date +%s)
stock=0
[ "${1:-}" = --stock ] && stock=1
if [ -n "${HW_QEMU:-}" ]; then
	qemu=$HW_QEMU
else
	qemu=$("$REPO/tooling/qemu-build.sh")
fi
[ -x "$qemu" ] || die "no QEMU binary at $qemu"
if [ -n "${HW_OBJ:-}" ]; then
	OBJ=$HW_OBJ
elif [ $stock = 1 ]; then
	# Our KUnit suites and samples are not in the base: tolerated.
	"$REPO/tooling/assemble.sh"
	OBJ=$BUILD/hw-stock/obj
	SRC=$BASE KCONFIG_TOLERANT=1 FRAGS="base iommufd consumers hw debug lean" \
		"$REPO/tooling/kconfig.sh" "$OBJ" 2>/dev/null
	command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	log "building stock $BASE_NAME in $OBJ"
	start=$(date +%s)
	set +e
	SRC=$BASE kmake bzImage 2>&1 | tee "$BUILD/hw-stock/build.log" | kbuild_progress "$start"
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || { tail -20 "$BUILD/hw-stock/build.log"; die "stock build failed"; }
else
	"$REPO/tooling/build-kernel.sh"
fi
"$REPO/tooling/guest-build.sh"
log "QEMU and kernel ready in $(( $(date +%s) - t0 ))s"

# The IOMMU first, so that it is in place when the PCI devices come.
# edu's DMA mask wide, so that IOVAs are not truncated behind the test's
# back (the test keeps them under edu's default 28 bits all the same).
#
# AMD: amd-iommu translates an emulated device's DMA only with dma-remap=on.
# The guest runs without interrupt remapping: QEMU's IVRS names the
# southbridge IOAPIC 00:14.0, where q35 has no device, and Linux 7.3 checks
# that device's class (SMBus or ISA bridge) before it enables remapping;
# iommufd then binds a device only with allow_unsafe_interrupts, which
# dirty tracking does not depend on.
iommu_args() { # intel|amd: sets dev (QEMU's -device) and kargs (the kernel's)
	case $1 in
	intel)	dev=intel-iommu,intremap=on,x-scalable-mode=on,x-ssads=on
		kargs=intel_iommu=on,sm_on ;;
	amd)	dev=amd-iommu,intremap=on,dma-remap=on,x-hdsup=on
		kargs=iommufd.allow_unsafe_interrupts=1 ;;
	*)	die "unknown IOMMU $1 (HW_IOMMUS: intel, amd)" ;;
	esac
}

total_passed=0 total_failed=0
igb=
[ "${HW_IGB:-0}" = 1 ] && igb=1
for iommu in ${HW_IOMMUS:-intel amd}; do
	iommu_args "$iommu"
	out=$BUILD/guest/hw-$iommu
	[ $stock = 1 ] && out=$BUILD/guest/hw-stock-$iommu
	b0=$(date +%s)
	GUEST_OUT=$out OBJ=$OBJ QEMU_BIN=$qemu QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800} \
		QEMU_EXTRA="-M q35 -device $dev -device edu,dma_mask=0xffffffffffffffff${igb:+ -device igb}" \
		"$REPO/tooling/qemu-run.sh" hw $kargs iovastall=${HW_STALL:-100} \
		${HW_EXPECT:+IOMMUFD_HW_DIRTY_EXPECT=$HW_EXPECT} >/dev/null
	rm -f "$out/counts"
	"$REPO/tooling/results.py" "$out" --steps iommufd_hw_dirty,${igb:+vfio_iommufd_dirty,}pin_balance,kmemleak || true
	read -r passed failed <"$out/counts" || { passed=0 failed=1; }
	if [ $stock = 1 ]; then
		echo "== stock $BASE_NAME, $iommu ($(sed -n 's/^### GUEST \([^ ]*\).*/\1/p' "$out/tests.log"))"
		grep -E '^(ok|not ok) |iommufd_hw_dirty\.c:[0-9]+:' "$out/tests.log" |
			sed 's#^.*/iommufd_hw_dirty\.c:#  iommufd_hw_dirty.c:#'
	fi
	echo "hw $iommu: $passed passed, $failed failed ($(( $(date +%s) - b0 ))s)"
	total_passed=$((total_passed + passed)) total_failed=$((total_failed + failed))
done
log "make check-hw took $(( $(date +%s) - t0 ))s"
if [ $stock = 1 ]; then
	echo "hw (stock): $total_passed passed, $total_failed failed"
	exit 0
fi
echo "hw: $total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
