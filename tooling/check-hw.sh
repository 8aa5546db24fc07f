#!/bin/bash
# make check-hw: the real Intel IOMMU driver reporting dirty bits that a
# device's DMA set.  The test kernel (its hw.config fragment: PCI, ACPI,
# INTEL_IOMMU in scalable mode, AMD_IOMMU, VFIO_PCI) boots on a q35 under
# our QEMU (tooling/qemu-build.sh), whose intel-iommu emulates
# second-stage Access/Dirty with x-ssads=on; QEMU's edu device is the DMA
# engine that tools/testing/selftests/iommu/iommufd_hw_dirty.c drives
# through vfio-pci and iommufd.  Ends with "hw: N passed, N failed".
#   HW_QEMU=path   a QEMU binary instead of ours (a stock one offers no
#                  dirty tracking: then HW_EXPECT=none)
#   HW_EXPECT=none the IOMMU must not offer dirty tracking
#   HW_OBJ=dir     a kernel's O= directory instead of the test kernel's
#   check-hw.sh --stock   the same boot on stock 7.3.4 (the untouched base,
#                  the same configuration fragments, in $BUILD/hw-stock):
#                  shows what the driver reports there; its failures are
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
	SRC=$BASE KCONFIG_TOLERANT=1 FRAGS="base iommufd consumers hw debug" \
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
out=$BUILD/guest/hw
[ $stock = 1 ] && out=$BUILD/guest/hw-stock
GUEST_OUT=$out OBJ=$OBJ QEMU_BIN=$qemu QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800} \
	QEMU_EXTRA="-M q35 -device intel-iommu,intremap=on,x-scalable-mode=on,x-ssads=on -device edu,dma_mask=0xffffffffffffffff" \
	"$REPO/tooling/qemu-run.sh" hw intel_iommu=on,sm_on \
	${HW_EXPECT:+IOMMUFD_HW_DIRTY_EXPECT=$HW_EXPECT} >/dev/null
rm -f "$out/counts"
"$REPO/tooling/results.py" "$out" --steps iommufd_hw_dirty,pin_balance,kmemleak || true
read -r passed failed <"$out/counts" || { passed=0 failed=1; }
log "make check-hw took $(( $(date +%s) - t0 ))s"
if [ $stock = 1 ]; then
	echo "== stock $BASE_NAME ($(sed -n 's/^### GUEST \([^ ]*\).*/\1/p' "$out/tests.log"))"
	grep -E '^(ok|not ok) |iommufd_hw_dirty\.c:[0-9]+:' "$out/tests.log" |
		sed 's#^.*/iommufd_hw_dirty\.c:#  iommufd_hw_dirty.c:#'
	echo "hw (stock): $passed passed, $failed failed"
	exit 0
fi
echo "hw: $passed passed, $failed failed"
[ "$failed" = 0 ]
