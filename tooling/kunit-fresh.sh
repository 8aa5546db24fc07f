#!/bin/bash
# make kunit-fresh: each .kunitconfig the series sends, run the standard
# way (tools/testing/kunit/kunit.py, UML) in a fresh 7.3 tree with the
# series applied by git am, as a maintainer would.  Needs make series first
# (build/series/src: the base commit and the written patches in out/).
# KUNIT_DIRS: the directories to run (default: every directory where the
# series adds or changes a .kunitconfig).  Prints "# dir: N passed, N
# failed, N skipped" per directory and a total line.
. "$(dirname "$0")/common.sh"

S=$BUILD/series
[ -d "$S/src/.git" ] && ls "$S"/out/0001-*.patch >/dev/null 2>&1 ||
	die "no series in $S (make series first)"
F=$BUILD/kunit-fresh
patches=$(ls "$S"/out/*.patch | grep -v '/0000-')
rm -rf "$F/src"
mkdir -p "$F"
git clone -q --no-checkout "$S/src" "$F/src"
git -C "$F/src" checkout -q -b fresh base
git -C "$F/src" -c user.name="iova_bitmap team" -c user.email="iova-bitmap@invalid" \
	am -q $patches || die "git am of the series onto the base failed"
log "fresh tree $F/src: base + $(wc -w <<<"$patches") patches by git am"

dirs=${KUNIT_DIRS:-$(sed -n 's#^+++ b/\(.*\)/\.kunitconfig$#\1#p' $patches | sort -u)}
command -v ccache >/dev/null && export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
tp=0 tf=0 ts=0
for d in $dirs; do
	t0=$(date +%s)
	log "kunit.py run --kunitconfig=$d"
	out=$F/$(tr / _ <<<"$d").log
	(cd "$F/src" && python3 tools/testing/kunit/kunit.py run --kunitconfig="$d" \
		--build_dir="$F/build-$(tr / _ <<<"$d")" --jobs="$(nproc)" \
		--make_options CC="$cc" >"$out" 2>&1)
	rc=$?
	# kunit.py's summary: "Testing complete. Ran N tests: passed: P, failed: F, skipped: S"
	sum=$(grep -m1 'Testing complete' "$out" | sed 's/\x1b\[[0-9;]*m//g')
	p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$sum")
	f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$sum")
	s=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$sum")
	p=${p:-0} f=${f:-0} s=${s:-0}
	[ $rc = 0 ] || [ "$f" != 0 ] || f=1
	echo "# $d: $p passed, $f failed, $s skipped ($(( $(date +%s) - t0 )) s; $out)"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
done
echo "$tp passed, $tf failed ($ts skipped)"
[ "$tf" = 0 ]
