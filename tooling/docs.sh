#!/bin/bash
# make docs: build Documentation/core-api (which holds iova_bitmap.rst) with
# Debian's Sphinx into $BUILD/docs, and fail on any warning that names our
# page, lib/iova_bitmap.c or include/linux/iova_bitmap.h.  Other pages'
# warnings are 7.3's own and are only counted.
. "$(dirname "$0")/common.sh"

"$REPO/tooling/deps.sh" --docs
"$REPO/tooling/assemble.sh"
out=$BUILD/docs
mkdir -p "$out"
log "make htmldocs SPHINXDIRS=core-api (log: $out/htmldocs.log)"
make -C "$SRC" O="$out" htmldocs SPHINXDIRS=core-api >"$out/htmldocs.log" 2>&1 ||
	{ tail -20 "$out/htmldocs.log"; die "htmldocs failed"; }
ours=$(grep -E 'WARNING|ERROR' "$out/htmldocs.log" | grep -c 'iova_bitmap' || true)
other=$(grep -E 'WARNING|ERROR' "$out/htmldocs.log" | grep -vc 'iova_bitmap' || true)
page=$(find "$out" -name iova_bitmap.html | head -1)
[ -n "$page" ] || die "no iova_bitmap.html was built"
log "built $page; warnings from our files: $ours (7.3's own elsewhere: $other)"
[ "$ours" = 0 ] || { grep -E 'WARNING|ERROR' "$out/htmldocs.log" | grep iova_bitmap; exit 1; }
