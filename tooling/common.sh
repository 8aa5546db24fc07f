# Shared settings for the tooling scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
BASE=$BUILD/base          # pristine base tree, never edited
SRC=$BUILD/src            # base + patches/series + our overlay
OBJ=$BUILD/obj            # O= directory of the test kernel
ARCH=x86_64
export ARCH
JOBS=${JOBS:-$(nproc)}
BASE_PKG=linux-source-6.12
BASE_TARBALL=/usr/src/linux-source-6.12.tar.xz
# Top-level directories of the repo that mirror kernel paths.
OVERLAY_DIRS="include lib tools Documentation"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

kmake() {
	local cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	make -C "$SRC" O="$OBJ" ARCH=$ARCH CC="$cc" HOSTCC="$cc" -j"$JOBS" "$@"
}
