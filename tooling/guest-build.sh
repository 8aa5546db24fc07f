#!/bin/bash
# Build the guest's user space: the demo, the upstream iommu selftests (from
# the assembled tree, against its uapi headers) and the initramfs.
# GUEST_ARCH picks the guest (not $ARCH, which common.sh exports for the
# kernel build):
#   x86_64 (default)  $BUILD/guest: host gcc, host busybox, plus the
#                     migration test and its QEMU (tooling/fetch-qemu.sh)
#   i386, arm64,      $BUILD/guest-$GUEST_ARCH, for tooling/arch.sh's
#   s390x             kernels: gcc -m32 / aarch64-linux-gnu-gcc /
#                     s390x-linux-gnu-gcc
#                     (tooling/deps.sh --arch), busybox and a static libcap
#                     of that architecture from tooling/fetch-target.sh.
#                     No migrate_test: its QEMU is x86_64.
. "$(dirname "$0")/common.sh"

GUEST_ARCH=${GUEST_ARCH:-x86_64}
case $GUEST_ARCH in
x86_64) G=$BUILD/guest cc=gcc ;;
i386) G=$BUILD/guest-i386 cc="gcc -m32" hdr_arch=x86 hdr_cross='' magic='Intel 80386' ;;
arm64) G=$BUILD/guest-arm64 cc=aarch64-linux-gnu-gcc hdr_arch=arm64
       hdr_cross=aarch64-linux-gnu- magic='ARM aarch64' ;;
s390x) G=$BUILD/guest-s390x cc=s390x-linux-gnu-gcc hdr_arch=s390
       hdr_cross=s390x-linux-gnu- magic='IBM S/390' ;;
*) die "GUEST_ARCH=$GUEST_ARCH: x86_64, i386, arm64 or s390x" ;;
esac
mkdir -p "$G/root/bin" "$G/bin"
for d in proc sys dev tmp; do mkdir -p "$G/root/$d"; done

log "installing uapi headers ($GUEST_ARCH)"
cflags="-static -O2 -Wall -D_GNU_SOURCE -I$G/usr/include"
if [ "$GUEST_ARCH" = x86_64 ]; then
	kmake -s headers_install INSTALL_HDR_PATH="$G/usr" >/dev/null
else
	# Not kmake: that is the test kernel's O= and ARCH.  headers_install
	# needs no .config, so an O= of its own that only holds unifdef.  The
	# uapi asm/ headers also stand in for /usr/include/asm, which gcc -m32
	# looks for and which only the gcc-multilib metapackage (not
	# installable beside the cross compilers) provides.
	make -C "$SRC" O="$G/hdr" ARCH="$hdr_arch" CROSS_COMPILE="$hdr_cross" \
		-s headers_install INSTALL_HDR_PATH="$G/usr" >/dev/null
	TROOT=$("$REPO/tooling/fetch-target.sh" "$GUEST_ARCH")
	cflags="$cflags -I$TROOT/include -L$TROOT/lib"
fi
# On i386 the selftests cast pointers to 64-bit integers: kselftest_harness.h
# each pointer operand of ASSERT_NE/EQ for printing, iommufd_utils.h and
# iommufd.c the user pointers of a few commands ((uint64_t)data).  That is
# some 200 warnings and no bug on a 32-bit kernel: gcc sign-extends a high
# user address and u64_to_user_ptr() truncates it back.  The other 32-bit
# warnings (-Woverflow, -Wformat) stay.
[ "$GUEST_ARCH" = i386 ] && cflags="$cflags -Wno-pointer-to-int-cast"

build() { # out, sources...; $EXTRA: flags, $DEPS: headers it includes
	local out=$1; shift
	local newest
	newest=$(ls -t "$@" ${DEPS:-} "$G/usr/include/linux/iommufd.h" 2>/dev/null | head -1)
	if [ ! -x "$out" ] || [ "$newest" -nt "$out" ]; then
		# shellcheck disable=SC2086
		$cc $cflags $EXTRA "$@" -o "$out" ${LIBS:-} -lpthread -lcap
	fi
}
ST=$SRC/tools/testing/selftests/iommu
EXTRA="-I$SRC -Wno-missing-field-initializers" build "$G/bin/dirty_demo" "$REPO/tooling/guest/dirty_demo.c"
DEPS=$SRC/samples/vfio-mdev/mdirty.h EXTRA="-I$SRC -Wno-missing-field-initializers" \
	build "$G/bin/dirty_bench" "$REPO/tooling/guest/dirty_bench.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd" "$ST/iommufd.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_fail_nth" "$ST/iommufd_fail_nth.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_dirty_race" "$ST/iommufd_dirty_race.c"
# selftests/vfio's own, with its -Werror (its Makefile builds them only
# for x86 and arm64; the other guests run them too)
VT=$SRC/tools/testing/selftests/vfio
EXTRA="-I$SRC/tools/testing/selftests -Werror" build "$G/bin/vfio_dma_logging_test" "$VT/vfio_dma_logging_test.c"
DEPS=$SRC/samples/vfio-mdev/mdirty.h EXTRA="-I$SRC/tools/testing/selftests -Werror" \
	build "$G/bin/vfio_dirty_report_test" "$VT/vfio_dirty_report_test.c"
[ "$GUEST_ARCH" = x86_64 ] && EXTRA="" build "$G/bin/migrate_test" "$REPO/tooling/guest/migrate_test.c"
# The real-IOMMU dirty test (make check-hw): x86_64 only, the one guest
# booted on a q35 with an emulated VT-d.
[ "$GUEST_ARCH" = x86_64 ] && EXTRA="-I$SRC/tools/testing/selftests" build "$G/bin/iommufd_hw_dirty" "$ST/iommufd_hw_dirty.c"
# The same under bulk DMA: libvfio's igb driver copies with QEMU's igb.
# As selftests/vfio's Makefile has it, tools/include comes before the uapi
# headers (-isystem): libvfio takes its linux/list.h and types from there.
VL=$SRC/tools/testing/selftests/vfio/lib
[ "$GUEST_ARCH" = x86_64 ] && cflags=${cflags/-I$G\/usr\/include/-isystem $G/usr/include} \
	LIBS=-luuid EXTRA="-I$SRC/tools/testing/selftests -I$VL/include -I$SRC/tools/include" \
	build "$G/bin/vfio_iommufd_dirty_test" "$SRC/tools/testing/selftests/vfio/vfio_iommufd_dirty_test.c" \
	"$VL"/iommu.c "$VL"/iova_allocator.c "$VL"/libvfio.c "$VL"/sysfs.c "$VL"/vfio_pci_device.c \
	"$VL"/vfio_pci_driver.c "$VL"/drivers/ioat/ioat.c "$VL"/drivers/dsa/dsa.c \
	"$VL"/drivers/nv_falcon/nv_falcon.c "$VL"/drivers/igb/igb.c

cp "$REPO/tooling/guest/init" "$G/root/init"
cp "$G"/bin/* "$G/root/bin/"
if [ "$GUEST_ARCH" = x86_64 ]; then
	cp /bin/busybox "$G/root/bin/busybox"
	# QEMU 10.0.2 and its libraries, for the migration test (tooling/fetch-qemu.sh)
	QROOT=$("$REPO/tooling/fetch-qemu.sh")
	cp -a "$QROOT"/. "$G/root/"
else
	cp "$TROOT/bin/busybox" "$G/root/bin/busybox"
	# A wrong-architecture binary would only show up as a guest that
	# cannot run it: refuse it here.
	for f in "$G"/root/bin/*; do
		case $(file -b "$f") in
		*"$magic"*statically\ linked*) ;;
		*) die "$f is not a static $magic binary: $(file -b "$f")" ;;
		esac
	done
fi
(cd "$G/root" && find . | cpio -o -H newc --quiet) >"$G/initramfs.cpio.new"
mv "$G/initramfs.cpio.new" "$G/initramfs.cpio"
log "initramfs $G/initramfs.cpio ($(du -h "$G/initramfs.cpio" | cut -f1))"
