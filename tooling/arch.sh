#!/bin/bash
# make check-arch: the test kernels of the other architectures the callers
# run on, each built from the same tree and fragments as the x86_64 test
# kernel plus its own, booted in QEMU, and counted:
#   i386   32-bit x86 with highmem (tooling/config/i386.config): KUnit,
#          whose iova_bitmap suite asserts that bitmap pages are highmem,
#          and the guest tests (init mode "arch").
#   arm64  cross-built with Debian's gcc-aarch64-linux-gnu, booted on
#          QEMU's virt machine with an SMMUv3 (tooling/config/arm64.config):
#          KUnit, io-pgtable-arm's dirty suite among it, and the guest tests.
#   s390x  64-bit big-endian, cross-built with Debian's gcc-s390x-linux-gnu,
#          booted on QEMU's s390-ccw-virtio machine (qemu-system-misc,
#          tooling/config/s390x.config): KUnit and the guest tests, where
#          the bitmap's little-endian words and the machine's native ones
#          differ (iommufd's dirty_layout test checks the uAPI formula).
#   kcsan  x86_64 with the data-race detector instead of KASAN
#          (tooling/config/kcsan.config): the tests that drive the dirty
#          paths concurrently (init mode "kcsan").  A data race reported in
#          our code or in the paths the series changes fails it; others are
#          listed as upstream's.
#   arch.sh [TARGET...]    (default: i386 arm64 s390x kcsan)
# Each target has its own O= tree under $BUILD/arch/TARGET, so switching
# between them rebuilds nothing.  Ends with "N passed, N failed".
. "$(dirname "$0")/common.sh"

targets=${*:-i386 arm64 s390x kcsan}
t0=$(date +%s)
FRAG_TEST="base iommufd consumers mdirty debug lean"
STEPS_ARCH=demo,iommufd,iommufd_fail_nth,vfio_dma_logging,iommufd_dirty_race,vfio_dirty_report,pin_balance,kmemleak
STEPS_KCSAN=iommufd_dirty_race,vfio_dma_logging,vfio_dirty_report,iommufd,pin_balance
# A KCSAN report with a frame in one of these is ours (tooling/results.py).
OURS='iova_bitmap|iommufd_|iopt_|mock_|vfio_|mdirty|_dirty|dirty_'

"$REPO/tooling/deps.sh" --arch
"$REPO/tooling/assemble.sh"

# target_vars T: the settings of target T.
target_vars() {
	case $1 in
	i386) arch=i386 cross= frags="$FRAG_TEST i386" image=arch/x86/boot/bzImage
	      mode=arch steps=$STEPS_ARCH ;;
	arm64) arch=arm64 cross=$(cross_of arm64) frags="$FRAG_TEST arm64"
	       image=arch/arm64/boot/Image mode=arch steps=$STEPS_ARCH ;;
	s390x) arch=s390 cross=$(cross_of s390) frags="$FRAG_TEST s390x"
	       image=arch/s390/boot/bzImage mode=arch steps=$STEPS_ARCH ;;
	kcsan) arch=x86_64 cross= frags="$FRAG_TEST kcsan" image=arch/x86/boot/bzImage
	       mode=kcsan steps=$STEPS_KCSAN ;;
	*) die "unknown target $1 (i386, arm64, s390x, kcsan)" ;;
	esac
	D=$BUILD/arch/$1
}
for t in $targets; do target_vars "$t"; done

# build_kernel T: configure and build T's kernel; make's output to stdout
# and $D/build.log.  A subshell: ARCH and CROSS_COMPILE stay T's.
build_kernel() (
	target_vars "$1"
	mkdir -p "$D"
	export ARCH=$arch CROSS_COMPILE=$cross
	FRAGS=$frags "$REPO/tooling/kconfig.sh" "$D/obj" || exit
	OBJ=$D/obj kmake "${image##*/}" 2>&1 | tee "$D/build.log"
)

build_failed() {
	tail -30 "$BUILD/arch/$1/build.log"
	die "[$1] kernel build failed (log: $BUILD/arch/$1/build.log)"
}

# A guest keeps about one CPU busy: the next target's kernel builds beside
# it at nice 19 (ARCH_PREBUILD=0: one at a time).  Stopped with its make
# when this script ends early.
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null || true
}
set -- $targets
total_p=0 total_f=0 prebuilt= prebuild_pid=
trap '[ -z "$prebuild_pid" ] || kill_tree "$prebuild_pid"' EXIT
while [ $# -gt 0 ]; do
	t=$1
	shift
	target_vars "$t"
	export ARCH=$arch CROSS_COMPILE=$cross
	guest=x86_64
	[ "$arch" != x86_64 ] && guest=$arch
	[ "$arch" = s390 ] && guest=s390x
	if [ "$prebuilt" = "$t" ]; then
		# The guest's user space needs no kernel (its uapi headers come
		# from the tree): built while the kernel still is.
		GUEST_ARCH=$guest "$REPO/tooling/guest-build.sh"
		log "[$t] waiting for its kernel, building beside the last boot ($(( $(date +%s) - t0 ))s so far)"
		start=$(date +%s)
		wait "$prebuild_pid" || { prebuild_pid=; build_failed "$t"; }
		prebuild_pid=
		log "[$t] kernel ready, $(( $(date +%s) - start ))s after the last boot"
	else
		log "[$t] configure and build $image ($(( $(date +%s) - t0 ))s so far)"
		start=$(date +%s)
		build_kernel "$t" | kbuild_progress "$start" || build_failed "$t"
	fi
	guest_built=$prebuilt
	prebuilt=
	if [ $# -gt 0 ] && [ "${ARCH_PREBUILD:-1}" = 1 ]; then
		prebuilt=$1
		mkdir -p "$BUILD/arch/$1"
		(renice -n 19 -p $BASHPID >/dev/null && build_kernel "$prebuilt") \
			>"$BUILD/arch/$1/prebuild.out" 2>&1 &
		prebuild_pid=$!
	fi
	[ "$guest_built" = "$t" ] || GUEST_ARCH=$guest "$REPO/tooling/guest-build.sh"
	initrd=$BUILD/guest/initramfs.cpio
	[ "$guest" != x86_64 ] && initrd=$BUILD/guest-$guest/initramfs.cpio

	log "[$t] boot ($(( $(date +%s) - t0 ))s so far)"
	QEMU_ARCH=$arch OBJ=$D/obj INITRD=$initrd GUEST_OUT=$D/guest \
		QEMU_TIMEOUT=${QEMU_TIMEOUT:-2400} \
		"$REPO/tooling/qemu-run.sh" "$mode" >/dev/null
	rm -f "$D/guest/counts"
	kcsan=()
	[ "$t" = kcsan ] && kcsan=(--kcsan-ours "$OURS")
	"$REPO/tooling/results.py" "$D/guest" --kunit --kunit-suites "$KUNIT_SUITES" \
		--steps "$steps" "${kcsan[@]}" | sed "s/^/[$t] /" | tee "$D/table" || true
	read -r p f <"$D/guest/counts" || { p=0 f=1; }
	echo "[$t] $p passed, $f failed (guest $(cat "$D/guest/seconds" 2>/dev/null)s)"
	total_p=$((total_p + p)) total_f=$((total_f + f))
done
echo
echo "make check-arch took $(( $(date +%s) - t0 ))s"
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
