#!/bin/bash
# Build the test kernel incrementally (ccache when present), showing a
# progress line every 100 compiled files.  Full log: $BUILD/kernel-build.log.
. "$(dirname "$0")/common.sh"

"$REPO/tooling/assemble.sh"
"$REPO/tooling/kconfig.sh"
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
log "building bzImage in $OBJ with $JOBS jobs"
start=$(date +%s)
set +e
kmake bzImage 2>&1 | tee "$BUILD/kernel-build.log" | kbuild_progress "$start"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
	tail -30 "$BUILD/kernel-build.log"
	die "kernel build failed (log: $BUILD/kernel-build.log)"
fi
log "bzImage ready in $(( $(date +%s) - start ))s: $OBJ/arch/x86/boot/bzImage"
