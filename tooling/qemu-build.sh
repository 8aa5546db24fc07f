#!/bin/bash
# Build our QEMU: Debian's qemu 1:10.2.2+ds-1 source (tooling/fetch-qemu-src.sh)
# with tooling/qemu/patches/series applied, TCG-only x86_64-softmmu, no
# default features, in $QEMU_BUILD (default $BUILD/qemu-build):
#   apt/        private apt configuration (bookworm-backports), never the
#               machine's own sources, lists or cache
#   tools/      meson from bookworm-backports, dpkg -x'd (Debian 12's 1.0.1
#               is too old for QEMU 10.2; Debian strips QEMU's bundled one);
#               run with PYTHONPATH=tools/usr/lib/python3/dist-packages
#   src/        writable copy of the source, the series (git format-patch
#               mails) applied with git am, a failed one stops the build
#               (the git directory is src.git beside it, so that the tree
#               builds as a release tarball does); redone only when the
#               source or a patch changed (src.done holds their hash)
#   obj/        the build directory
#   bin/qemu-system-x86_64
#               the binary, copied out of obj/ (replaced only when it
#               changed): beside obj/qemu-bundle a binary looks for its
#               firmware there only, here in the firmware path below
#   build.log   ninja's full output (configure.log, qtest.log beside it)
# Incremental: ninja rebuilds what changed, ccache (when present) keeps
# objects across clean builds and clones.  The compile runs under nice.
# Firmware (bios-256k.bin, kvmvapic.bin, qboot.rom, ...) is not built: the
# binary looks for it in the host's /usr/share/qemu and /usr/share/seabios
# (qemu-system-data and seabios, which tooling/deps.sh installs with
# qemu-system-x86), as Debian's own build does.
#   qemu-build.sh [--qtest]
# --qtest also builds and runs QEMU's tests/qtest/intel-iommu-test and
# amd-iommu-test.
# Prints the path of the binary.
#
# To work on a patch: edit and commit in $QEMU_BUILD/src with
#   git --git-dir=$QEMU_BUILD/src.git --work-tree=$QEMU_BUILD/src ...
# rebuild with this script (local changes are built, not reset), then
# regenerate tooling/qemu/patches with git format-patch base.  A changed
# series resets the tree: local changes there stop that, unless
# QEMU_SRC_FORCE=1 discards them.
. "$(dirname "$0")/common.sh"

MESON_PKG=meson
MESON_PKG_VERSION=1.7.0-1~bpo12+1
MESON_UPSTREAM=1.7.0
MESON_SUITE=bookworm-backports
MESON_MIRROR=${MESON_MIRROR:-$BASE_MIRROR}
QEMU_UPSTREAM=10.2.2
PY=/usr/bin/python3	# Debian's; configure makes its venv from it

QB=${QEMU_BUILD:-$BUILD/qemu-build}
A=$QB/apt
TOOLS=$QB/tools
S=$QB/src
G=$QB/src.git
O=$QB/obj
P=$REPO/tooling/qemu/patches
BIN=$QB/bin/qemu-system-x86_64

qtest=0
case ${1:-} in
'') ;;
--qtest) qtest=1 ;;
*) die "usage: qemu-build.sh [--qtest]" ;;
esac

"$REPO/tooling/deps.sh" --qemu
T=$("$REPO/tooling/fetch-qemu-src.sh")
src_version=$(cat "$T.done")
mkdir -p "$QB"
# One build at a time in $QB.
exec 9>"$QB/lock"
flock 9

# --- meson from backports --------------------------------------------------
meson_want="$MESON_PKG $MESON_PKG_VERSION"
if [ ! -f "$TOOLS/usr/bin/meson" ] || [ "$(cat "$TOOLS.done" 2>/dev/null)" != "$meson_want" ]; then
	log "fetching $MESON_PKG $MESON_PKG_VERSION from $MESON_SUITE (private apt configuration in $A)"
	private_apt "$A"
	private_apt_lists "$MESON_MIRROR" "" "$MESON_SUITE"
	have=$(apt-cache "${APT_CONF[@]}" madison "$MESON_PKG" | awk -v s="$MESON_SUITE/" 'index($0, s) {print $3}')
	grep -qxF "$MESON_PKG_VERSION" <<<"$have" ||
		die "$MESON_PKG=$MESON_PKG_VERSION is not in $MESON_SUITE (it has: ${have:-nothing}); update MESON_PKG_VERSION"
	rm -rf "$A/deb" "$TOOLS" "$TOOLS.done"
	mkdir -p "$A/deb"
	(cd "$A/deb" && apt-get "${APT_CONF[@]}" -qq download "$MESON_PKG=$MESON_PKG_VERSION" >&2) ||
		die "cannot download $MESON_PKG=$MESON_PKG_VERSION"
	dpkg -x "$A"/deb/"${MESON_PKG}"_*.deb "$TOOLS"
	rm -rf "$A/deb"
	echo "$meson_want" >"$TOOLS.done"
fi
# Configure, ninja's regeneration and meson's own helpers all run it
# through QEMU's venv (which sees the system's packages and PYTHONPATH).
export PYTHONPATH=$TOOLS/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
v=$("$PY" "$TOOLS/usr/bin/meson" --version) || die "meson from $TOOLS does not run"
[ "$v" = "$MESON_UPSTREAM" ] || die "unexpected meson version $v in $TOOLS"

# --- the patched tree --------------------------------------------------------
sgit() { git --git-dir="$G" --work-tree="$S" -c user.name="iova_bitmap build" \
	-c user.email="build@invalid" "$@"; }
patches=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$P/series")
for p in $patches; do [ -f "$P/$p" ] || die "tooling/qemu/patches/series names $p, which is missing"; done
# shellcheck disable=SC2086
src_want="$src_version $(cd "$P" && { echo $patches; cat $patches; } | sha1sum | cut -d' ' -f1)"
if [ ! -f "$S/VERSION" ] || [ "$(cat "$QB/src.done" 2>/dev/null)" != "$src_want" ]; then
	if [ -d "$G" ] && [ "$(cat "$G/base-version" 2>/dev/null)" = "$src_version" ]; then
		# Same source: back to it, keeping the times of files the old and
		# the new series do not touch (no needless rebuild).
		if [ "${QEMU_SRC_FORCE:-0}" != 1 ] &&
			{ [ -n "$(sgit status --porcelain)" ] ||
			  [ "$(sgit rev-parse HEAD)" != "$(cat "$QB/src.applied" 2>/dev/null)" ]; }; then
			die "$S has changes of its own (git --git-dir=$G --work-tree=$S status/log base..):" \
				"put them into tooling/qemu/patches, or QEMU_SRC_FORCE=1 discards them"
		fi
		log "patch series changed: resetting $S to the source"
		sgit am --abort >/dev/null 2>&1 || true
		sgit reset -q --hard base
		sgit clean -q -fdx
	else
		log "copying $T into $S"
		rm -rf "$S" "$G" "$QB/src.done" "$QB/src.applied"
		cp -a "$T" "$S"
		chmod -R u+w "$S"
		sgit init -q -b base-branch
		sgit config gc.auto 0
		# -f: Debian's top-level .gitignore ignores all but debian/.
		sgit add -A -f
		GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
			sgit commit -q -m "QEMU $QEMU_UPSTREAM (Debian's qemu $src_version source, unpacked)"
		sgit tag base
		echo "$src_version" >"$G/base-version"
	fi
	rm -f "$QB/src.done"
	for p in $patches; do
		log "applying $p"
		sgit am -q "$P/$p" >&2 || {
			sgit am --abort >/dev/null 2>&1 || true
			die "tooling/qemu/patches/$p does not apply to $src_version (after the patches before it in series)"
		}
	done
	sgit rev-parse HEAD >"$QB/src.applied"
	echo "$src_want" >"$QB/src.done"
fi

# --- configure ---------------------------------------------------------------
# TCG only, x86_64-softmmu; no optional library (--without-default-features):
# the boards and devices (q35, intel-iommu, amd-iommu, edu, igb, virtio,
# serial) are Kconfig defaults, not features, so they stay.  No tools, docs,
# firmware blobs or downloads.  -Werror: the patches must build cleanly.
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
args=(--python="$PY" --target-list=x86_64-softmmu --without-default-features
      --enable-tcg --disable-kvm --disable-tools --disable-docs
      --disable-install-blobs --disable-download --enable-werror
      --disable-debug-info --cc="$cc"
      --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu)
# QEMU_CONFIGURE_EXTRA: more configure options, e.g. --enable-debug-info.
# shellcheck disable=SC2206
args+=(${QEMU_CONFIGURE_EXTRA:-})
cfg_want="$src_version $meson_want $(printf '%s\n' "${args[@]}" | sha1sum | cut -d' ' -f1)"
if [ ! -f "$O/build.ninja" ] || [ "$(cat "$QB/configure.done" 2>/dev/null)" != "$cfg_want" ]; then
	log "configuring in $O (log: $QB/configure.log)"
	rm -rf "$O" "$QB/configure.done"
	mkdir -p "$O"
	(cd "$O" && nice -n 19 "$S/configure" "${args[@]}") >"$QB/configure.log" 2>&1 || {
		tail -30 "$QB/configure.log"
		die "configure failed (log: $QB/configure.log)"
	}
	echo "$cfg_want" >"$QB/configure.done"
fi

# qemu_progress <t0>: filter ninja's output: a line every 100 steps,
# warnings, errors and failed steps.
qemu_progress() {
	awk -v t0="$1" '
	/^\[[0-9]+\/[0-9]+\] / { n++; if (n % 100 == 0) { printf "  ... %s (%ds)\n", $1, systime() - t0; fflush() } }
	/error:|warning:|^FAILED:|^ninja: error/ { print; fflush() }'
}

# qninja <log> <target>...: ninja in $O, nice, its output in <log>.
qninja() {
	local out=$1 start rc
	shift
	start=$(date +%s)
	set +e
	CCACHE_BASEDIR=${CCACHE_BASEDIR:-$QB} nice -n 19 ninja -C "$O" -j"$JOBS" "$@" 2>&1 |
		tee "$out" | qemu_progress "$start" >&2
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" != 0 ]; then
		grep -A20 '^FAILED:' "$out" | head -60 >&2
		die "ninja $* failed (log: $out)"
	fi
	steps=$(grep -c '^\[[0-9]*/[0-9]*\] ' "$out" || true)
	secs=$(( $(date +%s) - start ))
}

# --- build -------------------------------------------------------------------
log "building qemu-system-x86_64 in $O ($JOBS jobs, nice; log: $QB/build.log)"
qninja "$QB/build.log" qemu-system-x86_64
[ -x "$O/qemu-system-x86_64" ] || die "no $O/qemu-system-x86_64 after the build"
if ! cmp -s "$O/qemu-system-x86_64" "$BIN"; then
	mkdir -p "$QB/bin"
	# A new inode: a QEMU still running the old binary is not disturbed.
	cp "$O/qemu-system-x86_64" "$BIN.new"
	mv -f "$BIN.new" "$BIN"
fi
ver=$("$BIN" --version) || die "$BIN does not run"
ver=${ver%%$'\n'*}
grep -q "version $QEMU_UPSTREAM" <<<"$ver" || die "unexpected qemu version: $ver"
for dev_prop in intel-iommu:x-ssads amd-iommu:x-hdsup; do
	props=$("$BIN" -device "${dev_prop%:*},help") || die "$BIN -device ${dev_prop%:*},help failed"
	grep -q "^  ${dev_prop#*:}=" <<<"$props" || die "$BIN has no ${dev_prop%:*} property ${dev_prop#*:}"
done
log "qemu-system-x86_64 ready ($steps build steps, ${secs}s): $ver"

if [ $qtest = 1 ]; then
	: >"$QB/qtest.log"
	for t in intel-iommu-test amd-iommu-test; do
		log "building and running tests/qtest/$t (log: $QB/qtest.log)"
		qninja "$QB/qtest-build.log" "tests/qtest/$t"
		QTEST_QEMU_BINARY=$BIN "$O/tests/qtest/$t" --tap -k >>"$QB/qtest.log" 2>&1 || {
			cat "$QB/qtest.log" >&2
			die "$t failed"
		}
	done
	grep -E '^(ok|not ok) ' "$QB/qtest.log" | sed 's/^/  /' >&2
fi
echo "$BIN"
