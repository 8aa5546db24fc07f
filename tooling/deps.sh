#!/bin/bash
# Install what the build and the tests need (Debian 12, root).  Quiet when
# everything is already there.
. "$(dirname "$0")/common.sh"

# The last three: the harness's big-endian run (make check-be in
# tools/testing/iova_bitmap), static s390x binaries run by qemu-user;
# libc6-dev-s390x-cross is only a Recommends of the cross gcc, hence named.
PKGS="qemu-system-x86 gcc make flex bison bc libelf-dev
libssl-dev libcap-dev uuid-dev cpio busybox-static ccache sparse xz-utils python3 patch rsync
perl kmod valgrind gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user-static"
[ "${1:-}" = --fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev valgrind"
[ "${1:-}" = --docs ] && PKGS="$PKGS python3-sphinx python3-yaml"
[ "${1:-}" = --series ] && PKGS="$PKGS git python3-ply python3-git"
# Our QEMU (tooling/fetch-qemu-src.sh, tooling/qemu-build.sh): dpkg-source
# unpacks Debian's source package; a TCG-only build without default features
# needs glib, zlib, pkg-config and ninja; the tree is a git work tree; QEMU's
# configure makes a venv of Debian's python3 (venv, with pip or ensurepip).
# Meson itself is too old in Debian 12: qemu-build.sh fetches bookworm-
# backports' one privately; python3-setuptools is what that one depends on.
[ "${1:-}" = --qemu ] && PKGS="$PKGS dpkg-dev git ninja-build pkg-config
libglib2.0-dev zlib1g-dev python3-venv python3-setuptools"
# The other architectures (tooling/arch.sh).  gcc -m32 and its static i386
# libc come from gcc-12-multilib (libc6-dev-i386 with it), not from the
# gcc-multilib metapackage: that one only adds the /usr/include/asm symlink
# and Conflicts with every cross gcc, so the two cannot both be installed.
# The guest builds get <asm/...> from their own uapi headers
# (tooling/guest-build.sh).  libc6-dev-arm64-cross (static libc for the
# arm64 guest's binaries) is only a Recommends of the cross gcc, hence named.
# gcc-arm-linux-gnueabihf is for 32-bit arm kernel builds, qemu-system-arm
# brings qemu-system-aarch64.  The big-endian s390x guest adds
# qemu-system-misc (qemu-system-s390x in Debian 12) to the cross gcc above.
# Busybox and libcap for the guests come from
# tooling/fetch-target.sh: the machine gets no foreign dpkg architecture.
[ "${1:-}" = --arch ] && PKGS="$PKGS gcc-12-multilib gcc-aarch64-linux-gnu
libc6-dev-arm64-cross gcc-arm-linux-gnueabihf qemu-system-arm file
qemu-system-misc"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
log "installing:$missing"
[ "$(id -u)" = 0 ] || die "need root to install:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
