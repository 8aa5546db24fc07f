#!/bin/bash
# Build the guest's user space: the demo, the upstream iommu selftests (from
# the assembled tree, against its uapi headers) and the initramfs.
. "$(dirname "$0")/common.sh"

G=$BUILD/guest
mkdir -p "$G/root/bin" "$G/bin"
for d in proc sys dev tmp; do mkdir -p "$G/root/$d"; done

log "installing uapi headers"
kmake -s headers_install INSTALL_HDR_PATH="$G/usr" >/dev/null

cflags="-static -O2 -Wall -D_GNU_SOURCE -I$G/usr/include"
build() { # out, sources..., extra flags
	local out=$1; shift
	local newest
	newest=$(ls -t "$@" "$G/usr/include/linux/iommufd.h" 2>/dev/null | head -1)
	if [ ! -x "$out" ] || [ "$newest" -nt "$out" ]; then
		# shellcheck disable=SC2086
		gcc $cflags $EXTRA "$@" -o "$out" -lpthread -lcap
	fi
}
ST=$SRC/tools/testing/selftests/iommu
EXTRA="-I$SRC -Wno-missing-field-initializers" build "$G/bin/dirty_demo" "$REPO/tooling/guest/dirty_demo.c"
EXTRA="-I$SRC -Wno-missing-field-initializers" build "$G/bin/dirty_bench" "$REPO/tooling/guest/dirty_bench.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd" "$ST/iommufd.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_fail_nth" "$ST/iommufd_fail_nth.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_vfio_dma_logging" "$ST/iommufd_vfio_dma_logging.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_dirty_race" "$ST/iommufd_dirty_race.c"
EXTRA="-I$SRC/tools/testing/selftests -Wno-unused-function" build "$G/bin/iommufd_vfio_dirty_report" "$ST/iommufd_vfio_dirty_report.c"
EXTRA="" build "$G/bin/migrate_test" "$REPO/tooling/guest/migrate_test.c"

cp "$REPO/tooling/guest/init" "$G/root/init"
cp /bin/busybox "$G/root/bin/busybox"
cp "$G"/bin/* "$G/root/bin/"
# QEMU 10.0.2 and its libraries, for the migration test (tooling/fetch-qemu.sh)
QROOT=$("$REPO/tooling/fetch-qemu.sh")
cp -a "$QROOT"/. "$G/root/"
(cd "$G/root" && find . | cpio -o -H newc --quiet) >"$G/initramfs.cpio.new"
mv "$G/initramfs.cpio.new" "$G/initramfs.cpio"
log "initramfs $G/initramfs.cpio ($(du -h "$G/initramfs.cpio" | cut -f1))"
