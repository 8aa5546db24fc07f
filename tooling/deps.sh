#!/bin/bash
# Install what the build and the tests need (Debian 12, root).  Quiet when
# everything is already there.
. "$(dirname "$0")/common.sh"

PKGS="qemu-system-x86 gcc make flex bison bc libelf-dev
libssl-dev libcap-dev cpio busybox-static ccache sparse xz-utils python3 patch rsync
perl kmod valgrind"
[ "${1:-}" = --fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev valgrind"
[ "${1:-}" = --docs ] && PKGS="$PKGS python3-sphinx python3-yaml"
[ "${1:-}" = --series ] && PKGS="$PKGS git python3-ply python3-git"

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
