#!/bin/bash
# Make build/base-mdirty ($BASE_MDIRTY): the untouched 7.3 base plus only
# the mdirty sample (samples/vfio-mdev/mdirty{.c,.h,_log.h} and the patch
# that adds its Kconfig and Makefile lines), so that 7.3's own library can serve VFIO
# DMA-logging REPORTs.  The tree for the 7.3 kernels of make vfio-stock
# and make bench-kernel.  Hard links to the base, real copies of what the
# sample changes; remade when the base or that patch changes, the sample's
# files refreshed when they change (so an unchanged tree rebuilds nothing).
# Expects the assembled base (tooling/assemble.sh).
. "$(dirname "$0")/common.sh"

T=$BASE_MDIRTY
SAMPLE_PATCH=$(grep -l '^+++ b/samples/vfio-mdev/Makefile' "$REPO"/patches/*.patch | head -1)
[ -n "$SAMPLE_PATCH" ] || die "no patch adds the mdirty sample"
[ -f "$BASE/.base-version" ] || die "no assembled base in $BASE (tooling/assemble.sh)"

stamp="$(cat "$BASE/.base-version") $(md5sum <"$SAMPLE_PATCH")"
if [ "$(cat "$T/.stamp" 2>/dev/null)" != "$stamp" ]; then
	log "making $T: 7.3 + $(basename "$SAMPLE_PATCH")"
	rm -rf "$T"
	cp -al "$BASE" "$T"
	find "$T" -type d -exec chmod u+w {} +
	for f in $(sed -n 's#^+++ b/\([^\t ]*\).*#\1#p' "$SAMPLE_PATCH"); do
		rm -f "$T/$f"
		[ -f "$BASE/$f" ] && cp "$BASE/$f" "$T/$f" && chmod u+w "$T/$f"
	done
	patch -d "$T" -p1 -s --no-backup-if-mismatch <"$SAMPLE_PATCH"
	echo "$stamp" >"$T/.stamp"
fi
for f in mdirty.c mdirty.h mdirty_log.h; do
	cmp -s "$REPO/samples/vfio-mdev/$f" "$T/samples/vfio-mdev/$f" ||
		cp "$REPO/samples/vfio-mdev/$f" "$T/samples/vfio-mdev/$f"
done
