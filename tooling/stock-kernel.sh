#!/bin/bash
# Build the stock-7.3 kernel the comparisons run on: the untouched base
# plus only the mdirty sample (tooling/base-mdirty.sh), configured like
# make bench-kernel's timing kernels (no sanitizers), in
# $BUILD/bench/stock-mdirty/obj, and the guest initramfs.  Used by
# make vfio-stock and make inside-stock; make bench-kernel shares the
# object directory.
. "$(dirname "$0")/common.sh"

O=$BUILD/bench/stock-mdirty/obj

"$REPO/tooling/assemble.sh"
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
"$REPO/tooling/base-mdirty.sh"

SRC=$BASE_MDIRTY FRAGS="base iommufd mdirty bench" "$REPO/tooling/kconfig.sh" "$O"
log "building stock $BASE_NAME + mdirty in $O"
start=$(date +%s)
set +e
SRC=$BASE_MDIRTY OBJ=$O kmake bzImage 2>&1 | tee "$BUILD/bench/stock-mdirty/build.log" | kbuild_progress "$start"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || { tail -20 "$BUILD/bench/stock-mdirty/build.log"; die "build failed"; }
"$REPO/tooling/guest-build.sh"
