#!/bin/bash
# Boot the test kernel under QEMU (TCG) with the guest initramfs.
#   qemu-run.sh run|check|kunit|bench [extra kernel args]
# run: the demo; check: every guest test; kunit: KUnit at boot only;
# bench: dirty_bench (tooling/bench-kernel.sh sets OBJ and GUEST_OUT).
# tooling/arch.sh boots the other architectures' kernels (modes arch and
# kcsan) with QEMU_ARCH=i386|arm64|s390, OBJ and INITRD set.
# make check-hw (tooling/check-hw.sh) boots our QEMU (QEMU_BIN) as a q35
# with an emulated IOMMU and a DMA device (QEMU_EXTRA: more arguments).
# Console (kernel log, KUnit) -> $BUILD/guest/<mode>/console.log
# Test output (ttyS1)         -> $BUILD/guest/<mode>/tests.log, echoed live.
. "$(dirname "$0")/common.sh"

mode=${1:?run or check}
shift
out=${GUEST_OUT:-$BUILD/guest/$mode}
mkdir -p "$out"
rm -f "$out/console.log" "$out/tests.log"
: >"$out/tests.log"

kunit="kunit.enable=0"
case $mode in check | kunit | arch | kcsan | fixes | inside) kunit="kunit.enable=1" ;; esac
timeout_s=${QEMU_TIMEOUT:-3000}

# Live progress: the test stream, without the per-case noise of "run".
filter='.'
[ "$mode" = check ] && filter='^(### |# Totals|# (PASSED|FAILED|SKIP)|not ok|ok [0-9]+ [a-z_]+$|# [0-9]+ passed)'
# Known failures (tooling/selftests-xfail) are counted by results.py; keep them off the screen.
sed -e '/^\s*#/d' -e '/^\s*$/d' -e 's/ .*//' "$REPO/tooling/selftests-xfail" >"$out/xfail.names"
# tail --pid ends with this script, so nothing is left holding stdout open.
tail -n +1 -F --pid=$$ "$out/tests.log" 2>/dev/null |
	grep --line-buffered -E "$filter" |
	grep --line-buffered -v -F -f "$out/xfail.names" &

# The machine, and the ports for the console and the test output.  On x86
# the two are the first two UARTs.  arm64's virt machine has one UART, so
# its test output goes to a virtio console; its SMMUv3 sits in front of
# the PCI bus, where the driver probes it.  3 GiB give a 32-bit kernel
# about 2 GiB of highmem.
initrd=${INITRD:-$BUILD/guest/initramfs.cpio}
case ${QEMU_ARCH:-x86_64} in
x86_64 | i386)
	# qemu-system-i386's max CPU calls itself an AMD K7, whose SMP check
	# warns; the same CPU with Intel's vendor string does not.
	# la57=off: 4-level paging.  With 5-level paging, x86's KASAN takes
	# the kernel's address width from the boot CPU's LA57 feature bit,
	# which identify_cpu() clears for a moment while it probes the CPU
	# again: an interrupt in that window finds the direct map "outside"
	# the shadow, a false "wild-memory-access" report (7.3.4;
	# RESULTS.md, "The early-boot KASAN report").  QEMU_CPU overrides.
	cpu=${QEMU_CPU:-max,la57=off}
	[ "${QEMU_ARCH:-x86_64}" = i386 ] && cpu=${QEMU_CPU:-max,vendor=GenuineIntel}
	image=$OBJ/arch/x86/boot/bzImage
	machine=("${QEMU_BIN:-qemu-system-${QEMU_ARCH:-x86_64}}" -accel tcg -cpu "$cpu" -smp 2 -m 3G
		 -bios /usr/share/qemu/qboot.rom
		 -serial file:"$out/console.log" -serial file:"$out/tests.log")
	console="console=ttyS0"
	;;
arm64)
	image=$OBJ/arch/arm64/boot/Image
	machine=(qemu-system-aarch64 -accel tcg -machine virt,iommu=smmuv3
		 -cpu max,pauth-impdef=on -smp 2 -m 3G
		 -serial file:"$out/console.log"
		 -device virtio-serial-device -chardev file,id=tests,path="$out/tests.log"
		 -device virtconsole,chardev=tests)
	console="console=ttyAMA0 iovatty=hvc0"
	;;
s390)
	# s390-ccw-virtio: the SCLP VT220 line is the console, the tests'
	# output goes to a virtio console on the channel subsystem.
	image=$OBJ/arch/s390/boot/bzImage
	machine=(qemu-system-s390x -accel tcg -machine s390-ccw-virtio
		 -cpu max -smp 2 -m 3G
		 -serial file:"$out/console.log"
		 -device virtio-serial-ccw -chardev file,id=tests,path="$out/tests.log"
		 -device virtconsole,chardev=tests)
	console="console=ttysclp0 iovatty=hvc0"
	;;
*) die "unknown QEMU_ARCH=$QEMU_ARCH" ;;
esac

read -ra extra <<<"${QEMU_EXTRA:-}"
log "booting $image ($mode, timeout ${timeout_s}s, logs in $out)"
start=$(date +%s)
set +e
timeout "$timeout_s" "${machine[@]}" \
	-display none -monitor none -no-reboot \
	-kernel "$image" -initrd "$initrd" \
	-append "$console iovamode=$mode $kunit panic=-1 oops=panic loglevel=7 $*" \
	"${extra[@]}" </dev/null
rc=$?
set -e
sleep 1	# let the progress pipeline print the last lines
echo "$(( $(date +%s) - start ))" >"$out/seconds"
[ $rc = 124 ] && echo "### TIMEOUT after ${timeout_s}s" >>"$out/tests.log"
log "guest finished in $(cat "$out/seconds")s (qemu rc=$rc)"
exit 0
