# Shared settings for the tooling scripts; sourced, not run.
# shellcheck shell=bash
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
BASE=$BUILD/base          # pristine base tree, never edited
SRC=${SRC:-$BUILD/src}    # base + patches/series + our overlay
OBJ=${OBJ:-$BUILD/obj}    # O= directory of the test kernel
BASE_MDIRTY=$BUILD/base-mdirty  # base + only the mdirty sample (tooling/base-mdirty.sh)
# The test kernel is x86_64; tooling/arch.sh sets ARCH (i386, arm64) and
# CROSS_COMPILE for the other architectures' kernels.
ARCH=${ARCH:-x86_64}
CROSS_COMPILE=${CROSS_COMPILE:-}
export ARCH CROSS_COMPILE
JOBS=${JOBS:-$(nproc)}
# The base: Debian's linux-source-7.3 from trixie-backports (Architecture:
# all, unpacks on Debian 12), fetched by tooling/fetch-base.sh.
BASE_PKG=linux-source-7.3
BASE_PKG_VERSION=7.3.4-1~bpo13+1
BASE_SUITE=trixie-backports
BASE_MIRROR=${BASE_MIRROR:-http://deb.debian.org/debian}
BASE_TARBALL_PATH=usr/src/linux-source-7.3.tar.xz
BASE_NAME=7.3
# Top-level directories of the repo that mirror kernel paths.
OVERLAY_DIRS="include lib tools Documentation drivers samples"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ccache keys on the compiler's arguments and on the paths in its
# preprocessed output, all absolute in an O= build.  With base_dir at
# $BUILD they become relative to the object directory, so trees laid out
# alike (build/obj over build/src, build/series/obj over build/series/src,
# any clone's build/) share cached objects.
kmake() {
	local cc=${CROSS_COMPILE}gcc hostcc=gcc
	if command -v ccache >/dev/null; then
		cc="ccache $cc"
		hostcc="ccache gcc"
	fi
	CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD} \
		make -C "$SRC" O="$OBJ" ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$cc" HOSTCC="$hostcc" -j"$JOBS" "$@"
}

# config_misses <fragment> <.config>: print each fragment line that did not
# land ("CONFIG_X=n" means: must be unset).  Prints nothing when all did.
config_misses() {
	local line
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) grep -q "^${line%%=*}=" "$2" && echo "$line" ;;
		CONFIG_*) grep -qx "$line" "$2" || echo "$line" ;;
		esac
	done <"$1"
	return 0
}

# kbuild_progress <t0>: filter make's output: a line every 100 objects,
# warnings and errors.
kbuild_progress() {
	awk -v t0="$1" '
	/^  (CC|AS|LD|AR)/ { n++; if (n % 100 == 0) { printf "  ... %d objects (%ds)\n", n, systime() - t0; fflush() } }
	/error:|warning:/ { print; fflush() }'
}
