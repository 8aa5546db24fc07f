#!/bin/bash
# fetch-target.sh ARCH (i386, arm64 or s390x): the guest's user space pieces that
# the host cannot build for that architecture, from Debian 12's own
# packages for it: busybox-static (the guest's shell and tools) and
# libcap-dev + libcap2 (the selftests link libcap statically).  Fetched
# with a private apt configuration under $BUILD/target/ARCH/apt, as
# fetch-qemu.sh does, with APT::Architecture set to ARCH: the machine's own
# apt sources, lists, cache and dpkg architectures are never touched, and
# nothing is installed, only unpacked (dpkg -x).  Assembles
# $BUILD/target/ARCH/root:
#   bin/busybox          static, for ARCH (checked with file)
#   lib/libcap.a         for gcc -L (the .so is not copied: links are static)
#   include/sys/capability.h   and the rest of libcap-dev's headers, for -I
# Lists what it fetched (package=version) on stderr; quiet when already
# done.  Prints the path of the root.
. "$(dirname "$0")/common.sh"

# Not $ARCH: common.sh exports that for the kernel build (x86, arm64, ...).
T_ARCH=${1:-}
SUITE=bookworm
PKGS="busybox-static libcap-dev libcap2"
case $T_ARCH in
i386) triplet=i386-linux-gnu magic='Intel 80386' ;;
arm64) triplet=aarch64-linux-gnu magic='ARM aarch64' ;;
s390x) triplet=s390x-linux-gnu magic='IBM S/390' ;;
*) die "usage: fetch-target.sh i386|arm64|s390x" ;;
esac

T=$BUILD/target/$T_ARCH
A=$T/apt
R=$T/root
STAMP=$T/root.done	# outside the root, as in fetch-qemu.sh
want="$T_ARCH $SUITE $PKGS $(sha1sum "$REPO/tooling/fetch-target.sh" | cut -d' ' -f1)"

if [ -x "$R/bin/busybox" ] && [ -f "$R/lib/libcap.a" ] &&
   [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	echo "$R"
	exit 0
fi

log "fetching $PKGS for $T_ARCH from $SUITE (private apt configuration in $A)"
# APT::Architectures too: without it apt adds the host's dpkg architectures
# (amd64) to the lists it fetches.  An empty dpkg status of our own: what the
# host has installed (for amd64) is irrelevant to a download for ARCH.
private_apt "$A" -o Dir::State::status="$A/status" \
	-o APT::Architecture="$T_ARCH" -o APT::Architectures="$T_ARCH"
: >"$A/status"
private_apt_lists "$BASE_MIRROR" "arch=$T_ARCH" "$SUITE"

rm -rf "$T/deb" "$T/x" "$R.new"
mkdir -p "$T/deb" "$T/x"
# shellcheck disable=SC2086
(cd "$T/deb" && apt-get "${APT_CONF[@]}" -qq download $PKGS >&2) ||
	die "cannot download $PKGS for $T_ARCH"
for d in "$T"/deb/*.deb; do
	log "  fetched $(dpkg-deb -f "$d" Package)=$(dpkg-deb -f "$d" Version) ($(dpkg-deb -f "$d" Architecture))"
	[ "$(dpkg-deb -f "$d" Architecture)" = "$T_ARCH" ] || die "$d is not for $T_ARCH"
	dpkg -x "$d" "$T/x"
done

# Paths as Debian 12 ships them (before the /usr merge moved busybox):
# try both.
N=$R.new
mkdir -p "$N/bin" "$N/lib" "$N/include"
bb=
for f in "$T/x/bin/busybox" "$T/x/usr/bin/busybox"; do
	[ -f "$f" ] && { bb=$f; break; }
done
[ -n "$bb" ] || die "busybox-static for $T_ARCH has no bin/busybox"
cp "$bb" "$N/bin/busybox"
cap=$T/x/usr/lib/$triplet/libcap.a
[ -f "$cap" ] || die "libcap-dev for $T_ARCH has no usr/lib/$triplet/libcap.a"
cp "$cap" "$N/lib/"
[ -f "$T/x/usr/include/sys/capability.h" ] || die "libcap-dev for $T_ARCH has no sys/capability.h"
cp -a "$T/x/usr/include"/. "$N/include/"

# The right architecture, and static: the guest has no dynamic loader.
what=$(file -b "$N/bin/busybox")
case $what in
*"$magic"*statically\ linked* | *"$magic"*static-pie\ linked*) ;;
*) die "busybox for $T_ARCH is not a static $magic binary: $what" ;;
esac
what_a=$(cd "$N/lib" && ar x libcap.a cap_proc.o && file -b cap_proc.o; rm -f cap_proc.o)
case $what_a in
*"${magic}"*) ;;
*) die "libcap.a for $T_ARCH is not $magic: $what_a" ;;
esac

rm -rf "$R" "$T/deb" "$T/x"
mv "$N" "$R"
echo "$want" >"$STAMP"
log "target root $R: busybox $what"
echo "$R"
