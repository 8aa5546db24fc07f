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

# KUnit suites every test kernel runs; tooling/results.py counts each as a
# layer (make check, make check-arch).
KUNIT_SUITES=iova_bitmap,iova_bitmap_edge,iova_bitmap_bench,io_pgtable_arm_dirty,iommu_pt_dirty_amdv1,iommu_pt_dirty_amdv1_mock,iommu_pt_dirty_vtdss

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ccache keys on the compiler's arguments and on the paths in its
# preprocessed output, all absolute in an O= build.  With base_dir at
# $BUILD they become relative to the object directory, so trees laid out
# alike (build/obj over build/src, build/series/obj over build/series/src,
# any clone's build/) share cached objects.
#
# PYTHON3 is Debian's (tooling/deps.sh installs it): W=1 runs kernel-doc on
# every C file it compiles, and a python3 found first in PATH may be a
# version manager's shim, which costs 0.6 s of CPU per run where Debian's
# takes 0.14 (kernel-doc -none on four files of 7.3: 2.4 s against 0.5).
kmake() {
	local cc=${CROSS_COMPILE}gcc hostcc=gcc
	if command -v ccache >/dev/null; then
		cc="ccache $cc"
		hostcc="ccache gcc"
	fi
	CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD} \
		make -C "$SRC" O="$OBJ" ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="$cc" HOSTCC="$hostcc" PYTHON3="${KBUILD_PYTHON3:-/usr/bin/python3}" \
		-j"$JOBS" "$@"
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

# cross_of <ARCH>: the CROSS_COMPILE prefix of Debian's cross compiler for
# a kernel ARCH; empty for the host's (x86_64, i386).
cross_of() {
	case $1 in
	arm) echo arm-linux-gnueabihf- ;;
	arm64) echo aarch64-linux-gnu- ;;
	s390) echo s390x-linux-gnu- ;;
	esac
}

# private_apt <dir> [-o option...]: an apt of the project's own under
# <dir> (sources.list, lists, cache), so that the machine's apt sources,
# lists and cache are never touched.  Leaves the options for apt-get and
# apt-cache in APT_CONF.
private_apt() {
	local dir=$1
	shift
	APT_DIR=$dir
	APT_CONF=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
		  -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		  -o Debug::NoDropPrivs=true -o APT::Sandbox::User=root
		  -o Acquire::Languages=none "$@")
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
}

# private_apt_lists <mirror> <deb options> <suite>...: the private
# sources.list holds these suites' main, signed by Debian's archive key
# (<deb options> adds to the [...] of each line, e.g. arch=arm64); updated.
private_apt_lists() {
	local mirror=$1 opts=$2 s
	shift 2
	for s in "$@"; do
		echo "deb [${opts:+$opts }signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
	done >"$APT_DIR/sources.list"
	apt-get "${APT_CONF[@]}" -qq update >&2 || die "apt-get update of $* failed"
}

# git_tree <src> <dir> <message>: <dir> becomes a git repository holding a
# copy of the tree <src>, one commit tagged "base" (the author is $name
# <$email>, as the caller set them).  Debian's unpack stamps stay out.
git_tree() {
	local src=$1 dir=$2 msg=$3
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	cp -a "$src" "$dir"
	chmod -R u+w "$dir"
	rm -f "$dir/.base-version" "$dir/.version" "$dir/changelog.Debian.gz"
	git -C "$dir" init -q -b base-branch
	# No automatic gc: a detached repack while the tree is cloned or
	# checked out makes that fail ("failed to copy file ... objects").
	git -C "$dir" config gc.auto 0
	git -C "$dir" config maintenance.auto false
	# -f: Debian's top-level .gitignore ignores everything but debian/.
	git -C "$dir" add -A -f
	GIT_AUTHOR_DATE="2024-11-17T00:00:00Z" GIT_COMMITTER_DATE="2024-11-17T00:00:00Z" \
		git -C "$dir" -c user.name="$name" -c user.email="$email" commit -q -m "$msg"
	git -C "$dir" tag base
}
